"""Hard slices: the test images most submissions get wrong, and the mislabeled rows every order leaves late."""
from __future__ import annotations

from typing import Mapping

import numpy as np


def hard_test_rows(misclassified: Mapping[str, np.ndarray]) -> list[tuple[int, list[str]]]:
    """Test rows misclassified by more than half of the given submissions (bool per test row each), with the
    submissions that miss them: most-missed first, then by row."""
    names = sorted(misclassified)
    if not names:
        return []
    wrong = np.stack([np.asarray(misclassified[n], dtype=bool) for n in names])
    counts = wrong.sum(axis=0)
    rows = [int(r) for r in np.flatnonzero(2 * counts > len(names))]
    rows.sort(key=lambda r: (-int(counts[r]), r))
    return [(r, [n for i, n in enumerate(names) if wrong[i, r]]) for r in rows]


def late_rows(positions: Mapping[str, Mapping[int, int | None]], n_mislabeled: int) -> list[int]:
    """Mislabeled rows that no order lists within its first m positions (m = number of mislabeled rows): the
    ones every method leaves for after the precision@m window. ``positions``: method -> row -> 1-based position
    (None when not listed). Latest first (by the earliest position any order gives them), then by row."""
    if not positions:
        return []
    rows = sorted(next(iter(positions.values())))
    earliest = {}
    for r in rows:
        listed = [p[r] for p in positions.values() if p[r] is not None]
        if all(p > n_mislabeled for p in listed):
            earliest[r] = min(listed, default=None)
    return sorted(earliest, key=lambda r: (-(earliest[r] or 10**18), r))
