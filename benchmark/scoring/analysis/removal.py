"""OpenDataVal's point-removal curve: drop the rows an order ranks first, retrain on the noisy labels, test accuracy.

A good order for label errors ranks mislabeled rows first, so removing them should raise
accuracy; removing useful clean rows lowers it. Unlike the cleaning curve, no label is
fixed: this asks whether the ranking finds harmful points, whatever their label.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
from threadpoolctl import threadpool_limits

from ...execution import aligned
from ..debugging.corrected import accuracy_of, fit_correctness
from .ordering import budget_rows

REMOVAL_FRACTIONS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)


def kept_rows(order: Sequence[int], n: int, fraction: float) -> np.ndarray:
    """Rows left after removing the first floor(fraction x n) listed rows (fewer if the order is shorter)."""
    removed = np.asarray(order, dtype=np.int64)[:budget_rows(fraction, n)]
    keep = np.ones(n, dtype=bool)
    keep[removed] = False
    return np.flatnonzero(keep)


def removal_accuracy(keep: np.ndarray, X: np.ndarray, noisy: np.ndarray, test_X: np.ndarray, test_y: np.ndarray,
                     classifier: Mapping[str, Any] | None) -> float:
    """One job: test accuracy of the classifier trained on the noisy labels of the kept rows.

    ``X``/``test_X`` may be the QR coordinates the cleaning evaluator fits in (a subset's
    optimum lies in the span of all rows, so predictions are the raw embeddings' ones).
    """
    with threadpool_limits(1):
        return accuracy_of(fit_correctness(aligned(X[keep]), noisy[keep], aligned(test_X), test_y, classifier))
