"""TMC-Shapley: Shapley values of training rows estimated by truncated Monte Carlo permutation sampling.

Ghorbani and Zou (2019), "Data Shapley: Equitable Valuation of Data for Machine
Learning", Algorithm 1. The Shapley value of row i for a utility U over subsets
is its marginal contribution U(P ∪ {i}) - U(P) averaged over all orderings, P
being the rows before i. It is estimated by sampling orderings: walk through a
random permutation, add one row at a time, and credit each row with the change
in utility it causes. Truncation: once the utility of the prefix is within
``tolerance`` x U(all rows) of U(all rows), the rest of the permutation is
credited 0 without fitting (adding rows to an almost complete set hardly
changes the model).

The utility here is the validation accuracy of the reference logistic
regression trained on the subset (a subset with one class predicts that class;
the empty set predicts the validation set's majority class). Rows whose noisy
label hurts the model get low, often negative, values: they are inspected first.

Cost: at most ``permutations`` x N fits; truncation usually stops a permutation
well before its end. Fits run in the thin-SVD coordinates of the centred
training matrix (exact for an L2 penalty with unpenalized intercept, see
:mod:`.label_noise`) and warm-start from the previous prefix's model, which
changes the solver's path but not the optimum it converges to.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

import numpy as np
from threadpoolctl import threadpool_limits

from .small_logistic import COMPONENTS, fit_logistic, predict, principal_coordinates

DEFAULT_PERMUTATIONS = 30
DEFAULT_TOLERANCE = 0.01

Utility = Callable[[np.ndarray], float]  # sorted subset indices -> utility


def permutation_shapley(n: int, utility: Utility, permutations: Iterable[np.ndarray],
                        tolerance: float = DEFAULT_TOLERANCE) -> np.ndarray:
    """Mean marginal contribution of each of n rows over the given orderings, with truncation.

    ``tolerance=0`` disables truncation; fed every permutation of range(n) once,
    the result is then the exact Shapley value.
    """
    full = utility(np.arange(n))
    empty = utility(np.empty(0, dtype=np.int64))
    totals = np.zeros(n)
    count = 0
    for order in permutations:
        count += 1
        previous = empty
        for position, row in enumerate(order):
            if tolerance > 0 and abs(full - previous) <= tolerance * abs(full):
                break  # truncated: the rows after this point are credited 0
            current = utility(np.sort(order[: position + 1]))
            totals[row] += current - previous
            previous = current
    return totals / max(count, 1)


def sampled_permutations(n: int, count: int, seed: int | list[int]) -> Iterable[np.ndarray]:
    rng = np.random.default_rng(seed)
    for _ in range(count):
        yield rng.permutation(n)


class ValidationAccuracy:
    """U(S): validation accuracy of L2 logistic regression (C from the settings) trained on rows S.

    Fitted in the top :data:`COMPONENTS` principal coordinates of the training set
    (all of them when there are fewer) with a warm-started Newton solver: a utility
    evaluated thousands of times must cost well under a millisecond. The scored
    model is the same logistic regression on the full embeddings; with fewer
    coordinates than the embedding's rank this is a cheaper proxy of it.
    """

    def __init__(self, X: np.ndarray, labels: np.ndarray, val_X: np.ndarray, val_y: np.ndarray,
                 classifier: Mapping[str, Any] | None = None, components: int = COMPONENTS):
        project = principal_coordinates(X, components)
        self.Z, self.val_Z = project(X), project(val_X)
        self.labels = np.asarray(labels, dtype=np.float64)
        self.val_y = np.asarray(val_y, dtype=np.int64)
        self.C = float(dict(classifier or {}).get("C", 1.0))
        self.theta = np.zeros(self.Z.shape[1] + 1)
        self.majority = int(np.bincount(self.val_y, minlength=2).argmax()) if len(self.val_y) else 0
        self.fits = 0

    def __call__(self, subset: np.ndarray) -> float:
        if len(self.val_y) == 0:
            return 0.0
        y = self.labels[subset]
        if len(subset) == 0:
            return float(np.mean(self.val_y == self.majority))
        if y.min() == y.max():
            return float(np.mean(self.val_y == int(y[0])))
        self.fits += 1
        self.theta = fit_logistic(self.Z[subset], y, self.theta, self.C)
        return float(np.mean(predict(self.val_Z, self.theta) == self.val_y))


def tmc_shapley(X: np.ndarray, labels: np.ndarray, val_X: np.ndarray, val_y: np.ndarray,
                permutations: int = DEFAULT_PERMUTATIONS, tolerance: float = DEFAULT_TOLERANCE,
                seed: int | list[int] = 0, classifier: Mapping[str, Any] | None = None) -> np.ndarray:
    """TMC-Shapley value of every training row, for validation accuracy of the logistic regression."""
    utility = ValidationAccuracy(X, labels, val_X, val_y, classifier)
    with threadpool_limits(1):
        return permutation_shapley(len(labels), utility, sampled_permutations(len(labels), permutations, seed),
                                   tolerance)


def tmc_shapley_order(X: np.ndarray, labels: np.ndarray, val_X: np.ndarray, val_y: np.ndarray,
                      permutations: int = DEFAULT_PERMUTATIONS, tolerance: float = DEFAULT_TOLERANCE,
                      seed: int | list[int] = 0, classifier: Mapping[str, Any] | None = None) -> np.ndarray:
    """Training rows by ascending TMC-Shapley value (most harmful first), ties by row index."""
    values = tmc_shapley(X, labels, val_X, val_y, permutations, tolerance, seed, classifier)
    return np.argsort(values, kind="stable")
