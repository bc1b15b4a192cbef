"""What a random order and the oracle order reach on the accuracy-vs-inspections curve, and the normalised score.

The random expectation is exact in its inspection part: for a uniformly random order of
all n rows, the number J_k of mislabeled rows among the first k is hypergeometric
(n rows, m mislabeled, k drawn), and given J_k = j the fixed set is a uniform j-subset
of the m mislabeled rows, independent of k. So

    E[acc(k)] = sum_j P(J_k = j) * A(j),   A(j) = mean accuracy over the j-subsets fixed,

with P(J_k = j) = C(m, j) C(n - m, k - j) / C(n, k) computed in exact integers. A(j) is
exact when every subset is fitted (2^m states, done when 2^m <= ``exact_states``);
otherwise it is the mean over seeded random orders of the mislabeled rows (each one
fits the m + 1 states of a nested chain, which is a uniform j-subset at every j), and
the draws' spread gives a standard error for every point and for the area.
"""
from __future__ import annotations

import itertools
import math
import zlib
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

EXACT_STATES = 1024  # fit every subset of the mislabeled rows when there are at most this many

# accuracy along each order: acc(0..len(order)), the fixes made in order (CleaningEvaluator.curves)
CurvesOf = Callable[[Sequence[np.ndarray]], list[np.ndarray]]


def seeded(seed: int, *names: str) -> np.random.Generator:
    """A generator fixed by the seed and the names (data_id, submission, task): independent streams per part."""
    return np.random.default_rng([seed, *(zlib.crc32(name.encode("utf-8")) for name in names)])


def fix_weights(n: int, m: int) -> np.ndarray:
    """(n + 1, m + 1): P(J_k = j), the law of the mislabeled count among k random rows (hypergeometric), exactly
    rounded."""
    weights = np.zeros((n + 1, m + 1))
    for k in range(n + 1):
        total = math.comb(n, k)
        for j in range(max(0, k - (n - m)), min(k, m) + 1):
            weights[k, j] = math.comb(m, j) * math.comb(n - m, k - j) / total  # int / int: correctly rounded
    return weights


def curve_auc(curve: np.ndarray) -> float:
    """Mean of acc(0..n): the ``auc`` of the debugging results (a listed order's flat tail included)."""
    return math.fsum(map(float, curve)) / len(curve)


@dataclass(frozen=True)
class RandomReference:
    """The random order's expected curve acc(0..n), its area, and their standard errors (0 when exact)."""

    curve: np.ndarray
    curve_se: np.ndarray
    auc: float
    auc_se: float
    exact: bool
    draws: int  # seeded random orders of the mislabeled rows (0 when exact)
    fits: int  # subsets (exact) or chains x (m + 1) states asked of ``curves_of``


def random_reference(n: int, mislabeled: np.ndarray, curves_of: CurvesOf, draws: int,
                     rng: np.random.Generator, exact_states: int = EXACT_STATES) -> RandomReference:
    """E[acc(k)] for k = 0..n over uniformly random orders of all n rows (module docstring)."""
    rows = np.flatnonzero(np.asarray(mislabeled, dtype=bool)).astype(np.int64)
    m = len(rows)
    weights = fix_weights(n, m)
    if 2 ** m <= exact_states:
        by_size: list[list[np.ndarray]] = [[np.asarray(s, dtype=np.int64) for s in itertools.combinations(rows, j)]
                                           for j in range(m + 1)]
        subsets = [s for group in by_size for s in group]
        finals = iter(float(c[-1]) for c in curves_of(subsets))
        means = np.array([math.fsum(next(finals) for _ in group) / len(group) for group in by_size])
        curve = weights @ means
        return RandomReference(curve, np.zeros(n + 1), curve_auc(curve), 0.0, True, 0, len(subsets))
    if draws < 2:
        raise ValueError("the random expectation needs at least 2 draws when the subsets are too many to fit")
    chains = [rng.permutation(rows) for _ in range(draws)]
    per_draw = np.stack([weights @ np.asarray(c, dtype=np.float64) for c in curves_of(chains)])  # (draws, n + 1)
    curve = per_draw.mean(axis=0)
    aucs = np.array([curve_auc(c) for c in per_draw])
    root = math.sqrt(draws)
    return RandomReference(curve, per_draw.std(axis=0, ddof=1) / root, float(aucs.mean()),
                           float(aucs.std(ddof=1) / root), False, draws, draws * (m + 1))


def normalised_score(auc: float, random_auc: float, oracle_auc: float) -> float | None:
    """(auc - random) / (oracle - random): 0 is a random order's expectation, 1 the oracle's area; None when
    the two references coincide. Above 1 is possible: the oracle fixes the mislabeled rows by index, not in
    the best order."""
    if oracle_auc == random_auc:
        return None
    return (auc - random_auc) / (oracle_auc - random_auc)
