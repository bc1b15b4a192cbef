"""KNN-Shapley: exact Shapley values of training rows for a K-nearest-neighbour utility.

Jia et al. (2019), "Efficient Task-Specific Data Valuation for Nearest Neighbor
Algorithms", Theorem 1. For one validation point (x, y) let the training rows be
sorted by distance to x, nearest first: a_1, ..., a_N. The utility of a subset S
is the fraction of its K nearest members (fewer if |S| < K) whose label is y:

    U(S) = (1/K) * sum_{k=1}^{min(K, |S|)} 1[y_{a_k(S)} = y]

and its Shapley values follow from one backward recursion:

    s_{a_N} = 1[y_{a_N} = y] / N                     (N >= K; in general * min(K, N) / K)
    s_{a_i} = s_{a_{i+1}} + (1[y_{a_i} = y] - 1[y_{a_{i+1}} = y]) / K * min(K, i) / i

(The paper states the base case for N >= K; the general factor min(K, N) / (N K)
is the chance that a_N is among the K nearest of a random coalition, over K.)

The value of a row is the mean over validation points (the Shapley value of the
mean utility). Rows whose noisy label disagrees with nearby validation labels get
low, often negative, values, so the inspection order is ascending value.
Distance ties are broken by training-row index.
"""
from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits

DEFAULT_K = 10


def squared_distances(val_X: np.ndarray, train_X: np.ndarray) -> np.ndarray:
    """(n_val, n_train) squared Euclidean distances."""
    val_X = np.asarray(val_X, dtype=np.float64)
    train_X = np.asarray(train_X, dtype=np.float64)
    with threadpool_limits(1):  # identical float reductions on every machine layout
        d = (np.einsum("ij,ij->i", val_X, val_X)[:, None] + np.einsum("ij,ij->i", train_X, train_X)[None, :]
             - 2.0 * val_X @ train_X.T)
    return np.maximum(d, 0.0)


def knn_shapley_from_distances(distances: np.ndarray, train_y: np.ndarray, val_y: np.ndarray,
                               k: int = DEFAULT_K) -> np.ndarray:
    """Shapley values (n_train,) given the (n_val, n_train) distance matrix."""
    distances = np.asarray(distances, dtype=np.float64)
    train_y = np.asarray(train_y)
    val_y = np.asarray(val_y)
    n_val, n = distances.shape
    if k < 1:
        raise ValueError("k must be at least 1")
    if n == 0 or n_val == 0:
        return np.zeros(n)
    order = np.argsort(distances, axis=1, kind="stable")  # nearest first, ties by row index
    match = (train_y[order] == val_y[:, None]).astype(np.float64)  # (n_val, n) in sorted order
    rank = np.arange(1, n, dtype=np.float64)  # 1-based i = 1..N-1
    steps = (match[:, :-1] - match[:, 1:]) / k * (np.minimum(k, rank) / rank)
    # s_i = s_N + sum_{j >= i} steps_j: a reversed cumulative sum
    sorted_values = np.empty_like(match)
    sorted_values[:, -1] = match[:, -1] * min(k, n) / (n * k)  # 1/N when N >= K, as in the paper
    sorted_values[:, :-1] = sorted_values[:, -1:] + np.cumsum(steps[:, ::-1], axis=1)[:, ::-1]
    values = np.empty_like(sorted_values)
    np.put_along_axis(values, order, sorted_values, axis=1)
    return values.mean(axis=0)


def knn_shapley(train_X: np.ndarray, train_y: np.ndarray, val_X: np.ndarray, val_y: np.ndarray,
                k: int = DEFAULT_K) -> np.ndarray:
    """Shapley value of every training row for the K-NN utility on the validation set."""
    return knn_shapley_from_distances(squared_distances(val_X, train_X), train_y, val_y, k)


def knn_shapley_order(train_X: np.ndarray, train_y: np.ndarray, val_X: np.ndarray, val_y: np.ndarray,
                      k: int = DEFAULT_K) -> np.ndarray:
    """Training rows by ascending Shapley value (most harmful first), ties by row index."""
    values = knn_shapley(train_X, train_y, val_X, val_y, k)
    return np.argsort(values, kind="stable")
