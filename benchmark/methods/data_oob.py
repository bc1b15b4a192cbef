"""Data-OOB: the value of a training row is how often bagged models that never saw it agree with its label.

Kwon and Zou (2023), "Data-OOB: Out-of-bag Estimate as a Simple and Efficient
Data Value". Draw B bootstrap samples of the N training rows (N draws with
replacement each) and fit one model per sample. Row i's value is the mean, over
the samples that do not contain i (its out-of-bag models), of 1[model_b(x_i) = y_i]
with y_i its given, possibly wrong, label. A wrong label is one the models
trained on the other rows disagree with, so low values are inspected first.

Chosen over influence functions because it needs no validation set, no Hessian
inverse and no assumption that removing one row changes the model a little
(influence functions' first-order approximation is unreliable exactly where 30%
of labels are wrong); its definition is a direct bagging computation, so it can
be tested as one; and its cost is B independent fits.

The models are the benchmark's own L2 logistic regression (C from the
settings), fitted in the training set's top principal coordinates with the
Newton solver of :mod:`.small_logistic`. Bag b is ``rng.integers(0, N, N)``,
drawn in order from ``numpy.random.default_rng(seed)``. A row that is in every
bag (practically impossible beyond tiny N) gets value 0.5.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
from threadpoolctl import threadpool_limits

from .small_logistic import COMPONENTS, fit_logistic, predict, principal_coordinates

DEFAULT_BAGS = 100


def bootstrap_bags(n: int, bags: int, seed: int | list[int]) -> np.ndarray:
    """(bags, n) row indices: bag b is the b-th ``rng.integers(0, n, n)`` of ``default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    return np.stack([rng.integers(0, n, n) for _ in range(bags)]) if bags else np.empty((0, n), np.int64)


def data_oob(X: np.ndarray, labels: np.ndarray, bags: int = DEFAULT_BAGS, seed: int | list[int] = 0,
             classifier: Mapping[str, Any] | None = None, components: int = COMPONENTS) -> np.ndarray:
    """Data-OOB value of every training row: mean out-of-bag agreement with its label."""
    labels = np.asarray(labels, dtype=np.int64)
    n = len(labels)
    C = float(dict(classifier or {}).get("C", 1.0))
    agree = np.zeros(n)
    out_of_bag = np.zeros(n)
    with threadpool_limits(1):
        Z = principal_coordinates(X, components)(X)
        for bag in bootstrap_bags(n, bags, seed):
            oob = np.ones(n, dtype=bool)
            oob[bag] = False
            if not oob.any():
                continue
            y = labels[bag]
            if y.min() == y.max():  # a one-class bag predicts its class
                predicted = np.full(n, y[0])
            else:
                predicted = predict(Z, fit_logistic(Z[bag], y.astype(np.float64), np.zeros(Z.shape[1] + 1), C))
            agree[oob] += predicted[oob] == labels[oob]
            out_of_bag[oob] += 1
    return np.where(out_of_bag > 0, agree / np.maximum(out_of_bag, 1), 0.5)


def data_oob_order(X: np.ndarray, labels: np.ndarray, bags: int = DEFAULT_BAGS, seed: int | list[int] = 0,
                   classifier: Mapping[str, Any] | None = None) -> np.ndarray:
    """Training rows by ascending Data-OOB value (least agreed-with label first), ties by row index."""
    return np.argsort(data_oob(X, labels, bags, seed, classifier), kind="stable")
