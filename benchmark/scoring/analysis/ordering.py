"""How well an inspection order ranks the truly mislabeled rows (no fit needed).

An order lists row indices, most suspicious first; rows it leaves out are treated as
never inspected (they count as not found at every budget), so a short list is never
rewarded for what it did not rank.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

BUDGET_FRACTIONS = (0.1, 0.2, 0.3)  # recall at 10%, 20%, 30% of the training rows inspected


def budget_rows(fraction: float, n: int) -> int:
    """Rows inspected at ``fraction`` of ``n``: floor(fraction x n), robust to float noise (0.29 x 100 = 29)."""
    return int(math.floor(round(fraction * n, 9)))


def found_at(order: Sequence[int], mislabeled: np.ndarray) -> np.ndarray:
    """1-based positions in the order of the mislabeled rows it lists, ascending.

    Enough to redraw the whole precision-recall curve exactly: after the i-th hit at
    position p, precision = i / p and recall = i / m.
    """
    order = np.asarray(order, dtype=np.int64)
    return (np.flatnonzero(np.asarray(mislabeled, dtype=bool)[order]) + 1).astype(np.int64)


def precision_recall(positions: np.ndarray, n_mislabeled: int) -> tuple[np.ndarray, np.ndarray]:
    """(precision, recall) after each hit, from :func:`found_at` (the curve's corners)."""
    hits = np.arange(1, len(positions) + 1, dtype=np.float64)
    return hits / np.asarray(positions, dtype=np.float64), hits / n_mislabeled


def average_precision(positions: np.ndarray, n_mislabeled: int) -> float | None:
    """Area under the precision-recall curve as average precision: the mean over the m mislabeled rows of the
    precision at the position where each is found (0 for a row the order never lists); None when m = 0."""
    if n_mislabeled == 0:
        return None
    precision, _ = precision_recall(positions, n_mislabeled)
    return math.fsum(map(float, precision)) / n_mislabeled


def recall_at(positions: np.ndarray, n_mislabeled: int, rows: int) -> float | None:
    """Share of the mislabeled rows among the first ``rows`` of the order; None when m = 0."""
    if n_mislabeled == 0:
        return None
    return int(np.count_nonzero(np.asarray(positions) <= rows)) / n_mislabeled


def oracle_order(mislabeled: np.ndarray) -> np.ndarray:
    """The order that knows the answer: every mislabeled row first (by index), then the others (by index)."""
    mislabeled = np.asarray(mislabeled, dtype=bool)
    return np.concatenate([np.flatnonzero(mislabeled), np.flatnonzero(~mislabeled)]).astype(np.int64)


def positions_of(order: Sequence[int], rows: np.ndarray) -> list[int | None]:
    """1-based position of each of ``rows`` in the order (None: not listed)."""
    where = {int(r): i + 1 for i, r in enumerate(np.asarray(order, dtype=np.int64))}
    return [where.get(int(r)) for r in rows]
