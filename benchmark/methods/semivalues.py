"""Data Banzhaf and Beta-Shapley: two semivalues of the validation accuracy, each with its exact definition.

A semivalue credits row i with a weighted mean of its marginal contributions
U(S ∪ {i}) - U(S) over subsets S of the other rows; the weight depends only on
|S|. Shapley weighs every cardinality equally (:mod:`.tmc_shapley`); the two
here weigh them differently, and both are estimated by reusing each utility
evaluation for many rows.

* Data Banzhaf -- Wang and Jia (2023), "Data Banzhaf: A Robust Data Valuation
  Framework for Machine Learning" (AISTATS). Every subset counts the same:
  φ_i = 2^-(N-1) Σ_{S ⊆ N∖i} [U(S ∪ i) - U(S)]. Maximum sample reuse (MSR,
  their Algorithm 1): draw subsets that hold each row independently with
  probability 1/2 and estimate φ_i as the mean utility of the sampled subsets
  that hold i minus the mean of those that do not. Every evaluation informs
  every row, and the value is the one semivalue whose ranking is most robust
  to noise in U (their Theorem 4.6), which is why it suits an accuracy that a
  single flipped prediction moves.
* Beta-Shapley -- Kwon and Zou (2022), "Beta Shapley: a Unified and
  Noise-reduced Data Valuation Framework for Machine Learning" (AISTATS).
  Cardinality j = |S| + 1 gets probability
  π(j) = C(N-1, j-1) B(j + β - 1, N - j + α) / B(α, β), and
  ψ_i = Σ_j π(j) mean_{|S| = j-1} [U(S ∪ i) - U(S)]; α = β = 1 is Shapley.
  Beta(16, 1), their choice for finding mislabeled rows, puts the mass on
  small subsets, where one wrong label moves the model most. Estimated over
  random permutations (their Algorithm 1): in a permutation, row i at
  position j is credited N π(j) times its marginal contribution (its position
  is uniform, its predecessors a uniform subset of size j-1, so the mean
  credit is ψ_i). Positions past the point where the remaining mass
  Σ_{j>k} π(j) falls below ``tail`` are not evaluated: with U in [0, 1] that
  changes each value by at most ``tail``.

U is :class:`.tmc_shapley.ValidationAccuracy` (the reference L2 logistic
regression in the training set's top principal coordinates). All randomness
comes from the ``numpy.random.Generator`` passed in, and the fits run on one
BLAS thread, so values are identical on every run.
"""
from __future__ import annotations

from itertools import combinations
from math import comb
from typing import Any, Iterable, Mapping

import numpy as np
from scipy.special import betaln, gammaln
from threadpoolctl import threadpool_limits

from .tmc_shapley import Utility, ValidationAccuracy

DEFAULT_SAMPLES = 1000  # Data Banzhaf: sampled subsets
DEFAULT_PERMUTATIONS = 100  # Beta-Shapley: sampled permutations
DEFAULT_ALPHA, DEFAULT_BETA = 16.0, 1.0  # Kwon and Zou's Beta(16, 1)
DEFAULT_TAIL = 1e-3  # Beta-Shapley: cardinality mass left unevaluated (bounds each value's bias)


# --------------------------------------------------------------------------- Data Banzhaf
def msr_banzhaf(n: int, utility: Utility, subsets: Iterable[np.ndarray]) -> np.ndarray:
    """Maximum-sample-reuse estimate: mean U over subsets holding i minus mean U over those without i.

    ``subsets`` are boolean masks of length n. Fed all 2^n subsets once, the
    result is the exact Banzhaf value. A row that no subset holds (or every
    subset holds) has the missing side's mean replaced by the mean of all
    evaluations.
    """
    sum_in, count_in = np.zeros(n), np.zeros(n)
    sum_out, count_out = np.zeros(n), np.zeros(n)
    total, evaluations = 0.0, 0
    for mask in subsets:
        u = utility(np.flatnonzero(mask))
        sum_in[mask] += u
        count_in[mask] += 1
        sum_out[~mask] += u
        count_out[~mask] += 1
        total += u
        evaluations += 1
    overall = total / max(evaluations, 1)
    mean_in = np.where(count_in > 0, sum_in / np.maximum(count_in, 1), overall)
    mean_out = np.where(count_out > 0, sum_out / np.maximum(count_out, 1), overall)
    return mean_in - mean_out


def half_subsets(n: int, count: int, rng: np.random.Generator) -> Iterable[np.ndarray]:
    """``count`` masks, each row in each with probability 1/2 (one ``rng.random(n)`` per mask)."""
    for _ in range(count):
        yield rng.random(n) < 0.5


def exact_banzhaf(n: int, utility: Utility) -> np.ndarray:
    """The definition: 2^-(n-1) Σ_{S ⊆ N∖i} [U(S ∪ i) - U(S)], by enumerating every subset (small n only)."""
    values = np.zeros(n)
    for i in range(n):
        others = [r for r in range(n) if r != i]
        for size in range(n):
            for S in combinations(others, size):
                values[i] += utility(np.asarray(sorted(S + (i,)))) - utility(np.asarray(S, dtype=np.int64))
    return values / 2 ** (n - 1)


def data_banzhaf(X: np.ndarray, labels: np.ndarray, val_X: np.ndarray, val_y: np.ndarray,
                 rng: np.random.Generator, samples: int = DEFAULT_SAMPLES,
                 classifier: Mapping[str, Any] | None = None) -> np.ndarray:
    """Data Banzhaf value of every training row (MSR over ``samples`` subsets) for the validation accuracy."""
    utility = ValidationAccuracy(X, labels, val_X, val_y, classifier)
    with threadpool_limits(1):
        return msr_banzhaf(len(labels), utility, half_subsets(len(labels), samples, rng))


def data_banzhaf_order(X: np.ndarray, labels: np.ndarray, val_X: np.ndarray, val_y: np.ndarray,
                       rng: np.random.Generator, samples: int = DEFAULT_SAMPLES,
                       classifier: Mapping[str, Any] | None = None) -> np.ndarray:
    """Training rows by ascending Data Banzhaf value (most harmful first), ties by row index."""
    return np.argsort(data_banzhaf(X, labels, val_X, val_y, rng, samples, classifier), kind="stable")


# --------------------------------------------------------------------------- Beta-Shapley
def cardinality_weights(n: int, alpha: float = DEFAULT_ALPHA, beta: float = DEFAULT_BETA) -> np.ndarray:
    """π(j) for j = 1..n: C(n-1, j-1) B(j + β - 1, n - j + α) / B(α, β) (sums to 1)."""
    j = np.arange(1, n + 1, dtype=np.float64)
    log_choose = gammaln(n) - gammaln(j) - gammaln(n - j + 1)
    return np.exp(log_choose + betaln(j + beta - 1, n - j + alpha) - betaln(alpha, beta))


def evaluated_positions(weights: np.ndarray, tail: float) -> int:
    """The smallest k with Σ_{j>k} π(j) <= tail: positions after k are not evaluated."""
    remaining = np.concatenate([np.cumsum(weights[::-1])[::-1][1:], [0.0]])  # remaining[k-1] = Σ_{j>k}
    return int(np.argmax(remaining <= tail)) + 1


def permutation_semivalue(n: int, utility: Utility, permutations: Iterable[np.ndarray], weights: np.ndarray,
                          tail: float = 0.0) -> np.ndarray:
    """Mean over the permutations of n π(position) x marginal contribution (positions past the tail skipped).

    ``tail=0`` evaluates every position; fed every permutation of range(n) once,
    the result is then the exact semivalue with weights π.
    """
    k = evaluated_positions(weights, tail) if tail > 0 else n
    scale = n * weights
    empty = utility(np.empty(0, dtype=np.int64))
    totals = np.zeros(n)
    count = 0
    for order in permutations:
        count += 1
        previous = empty
        for position, row in enumerate(order[:k]):
            current = utility(np.sort(order[: position + 1]))
            totals[row] += scale[position] * (current - previous)
            previous = current
    return totals / max(count, 1)


def exact_semivalue(n: int, utility: Utility, weights: np.ndarray) -> np.ndarray:
    """The definition: Σ_{S ⊆ N∖i} π(|S|+1) / C(n-1, |S|) [U(S ∪ i) - U(S)], by enumeration (small n only)."""
    values = np.zeros(n)
    for i in range(n):
        others = [r for r in range(n) if r != i]
        for size in range(n):
            share = weights[size] / comb(n - 1, size)
            for S in combinations(others, size):
                values[i] += share * (utility(np.asarray(sorted(S + (i,))))
                                      - utility(np.asarray(S, dtype=np.int64)))
    return values


def beta_shapley(X: np.ndarray, labels: np.ndarray, val_X: np.ndarray, val_y: np.ndarray,
                 rng: np.random.Generator, permutations: int = DEFAULT_PERMUTATIONS,
                 alpha: float = DEFAULT_ALPHA, beta: float = DEFAULT_BETA, tail: float = DEFAULT_TAIL,
                 classifier: Mapping[str, Any] | None = None) -> np.ndarray:
    """Beta(α, β)-Shapley value of every training row for the validation accuracy."""
    n = len(labels)
    utility = ValidationAccuracy(X, labels, val_X, val_y, classifier)
    with threadpool_limits(1):
        return permutation_semivalue(n, utility, (rng.permutation(n) for _ in range(permutations)),
                                     cardinality_weights(n, alpha, beta), tail)


def beta_shapley_order(X: np.ndarray, labels: np.ndarray, val_X: np.ndarray, val_y: np.ndarray,
                       rng: np.random.Generator, permutations: int = DEFAULT_PERMUTATIONS,
                       alpha: float = DEFAULT_ALPHA, beta: float = DEFAULT_BETA, tail: float = DEFAULT_TAIL,
                       classifier: Mapping[str, Any] | None = None) -> np.ndarray:
    """Training rows by ascending Beta-Shapley value (most harmful first), ties by row index."""
    values = beta_shapley(X, labels, val_X, val_y, rng, permutations, alpha, beta, tail, classifier)
    return np.argsort(values, kind="stable")
