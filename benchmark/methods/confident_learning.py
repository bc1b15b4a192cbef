"""Confident learning, step by step as cleanlab defines it, and the inspection order built on it.

Northcutt, Jiang and Chuang (2021), "Confident Learning: Estimating Uncertainty
in Dataset Labels" (JAIR), as implemented by cleanlab 2.9.0's
``cleanlab.count.compute_confident_joint`` and ``cleanlab.filter.find_label_issues``
with its default ``filter_by="prune_by_noise_rate"``. Written out here, so
that each step can be read and the result checked against cleanlab itself
(tests compare the flagged sets):

1. Out-of-sample probabilities p (cross-validation, :mod:`.label_noise`).
2. Per-class thresholds t_k: the mean p_k over the rows labelled k.
3. Confident joint C[i, j]: rows labelled i whose p_j >= t_j (if several
   classes pass, the argmax of p), calibrated so each row sums to the count
   of label i and the whole to N, then rounded keeping row totals.
4. Pruning by noise rate: each class keeps at least one row; among the rows
   labelled i, the C[i, j] rows with the largest margin p_j - p_i are flagged
   (j ≠ i), and a row whose prediction is its given label is never flagged.

The order (what differs from ranking by loss): the flagged rows first, then
the others; within each group by self-confidence adjusted by the class
thresholds (p_k - t_k, shifted and renormalized: cleanlab's
``adjust_pred_probs``), so a class the model is systematically less sure of
is not inspected first merely for that.
"""
from __future__ import annotations

import numpy as np

FLOAT_TOLERANCE = 1e-6  # cleanlab's slack on p >= t
MIN_ROWS_PER_CLASS = 1


def class_thresholds(labels: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """t_k = mean p_k over the rows labelled k (2, cleanlab's value, for a class no row has)."""
    K = probabilities.shape[1]
    return np.asarray([probabilities[labels == k, k].mean() if np.any(labels == k) else 2.0 for k in range(K)])


def round_keeping_sum(values: np.ndarray) -> np.ndarray:
    """Round to integers with the same (rounded) total: the largest rounding losses go up first."""
    ints = np.round(values)
    gap = int(np.round(np.round(values.sum()) - ints.sum()))
    if gap:
        step = 1 if gap > 0 else -1
        order = np.argsort(values - ints)[::-step][: abs(gap)]
        ints[order] += step
    return ints


def confident_joint(labels: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """The calibrated, rounded (K, K) confident joint: rows the given label, columns the likely true one."""
    K = probabilities.shape[1]
    t = class_thresholds(labels, probabilities)
    confident = probabilities >= t - FLOAT_TOLERANCE
    passing = confident.sum(axis=1)
    guess = np.where(passing > 1, probabilities.argmax(axis=1), confident.argmax(axis=1))
    counted = passing > 0
    joint = np.zeros((K, K))
    np.add.at(joint, (labels[counted], guess[counted]), 1)
    label_counts = np.bincount(labels, minlength=K)
    joint = (joint.T / np.clip(joint.sum(axis=1), 1e-16, None) * label_counts).T
    joint = joint / np.clip(joint.sum(), 1e-16, None) * label_counts.sum()
    return np.apply_along_axis(round_keeping_sum, 1, joint).astype(np.int64)


def prune_counts(joint: np.ndarray, min_rows: int = MIN_ROWS_PER_CLASS) -> np.ndarray:
    """How many rows of each (given i, true j) pair to flag, leaving at least ``min_rows`` in each true class."""
    counts = joint.T.astype(np.float64)  # counts[j, i]: true j, given i
    diagonal = np.diagonal(counts).copy()
    raised = np.maximum(diagonal, min_rows)
    nonzero_off = np.maximum(np.count_nonzero(counts, axis=0) - 1.0, 1.0)
    counts = counts - (raised - diagonal) / nonzero_off
    counts[counts < 0] = 0
    np.fill_diagonal(counts, raised)
    return np.apply_along_axis(round_keeping_sum, 1, counts).astype(np.int64).T  # back to [given, true]


def label_issues(labels: np.ndarray, probabilities: np.ndarray, min_rows: int = MIN_ROWS_PER_CLASS) -> np.ndarray:
    """Boolean mask of the rows confident learning flags (prune by noise rate)."""
    labels = np.asarray(labels, dtype=np.int64)
    K = probabilities.shape[1]
    prune = prune_counts(confident_joint(labels, probabilities), min_rows)
    flagged = np.zeros(len(labels), dtype=bool)
    for given in range(K):
        rows = np.flatnonzero(labels == given)
        if len(rows) <= min_rows:
            continue
        for true in range(K):
            if true != given and prune[given, true] > 0:
                margin = probabilities[rows, true] - probabilities[rows, given]
                flagged[rows[np.argsort(-margin)[: prune[given, true]]]] = True
    boosted = probabilities.copy()
    boosted[np.arange(len(labels)), labels] += FLOAT_TOLERANCE
    flagged[boosted.argmax(axis=1) == labels] = False
    return flagged


def adjusted_self_confidence(labels: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """p of the given label after subtracting the class thresholds (shifted non-negative, rows renormalized)."""
    labels = np.asarray(labels, dtype=np.int64)
    t = class_thresholds(labels, probabilities)
    adjusted = probabilities - t + t.max()
    adjusted = adjusted / adjusted.sum(axis=1, keepdims=True)
    return adjusted[np.arange(len(labels)), labels]


def confident_learning_order(labels: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """Flagged rows, then the rest; each group by ascending adjusted self-confidence, ties by row index."""
    labels = np.asarray(labels, dtype=np.int64)
    flagged = label_issues(labels, probabilities)
    score = adjusted_self_confidence(labels, probabilities)
    return np.lexsort((np.arange(len(labels)), score, ~flagged)).astype(np.int64)
