"""Bootstrap intervals and paired comparisons over test rows, without refitting any model.

A leaderboard number is computed on one finite test set; resampling that test set's
rows (with replacement, within each class) shows how much the number would move on
another test set drawn the same way. The models stay fixed: only the rows they are
scored on are redrawn, so every resample costs a few array operations, not a fit.

**The draw.** For a test set named ``name`` (``"selection/<task>"`` or
``"debugging/<data_id>"``) and each class ``c`` present in its labels, the rows of
class ``c`` (ascending row index) are resampled with

    numpy.random.default_rng(SeedSequence(seed, spawn_key=(*words(name), c)))
        .integers(0, n_c, size=(resamples, n_c))

where ``words(name)`` are the first four little-endian uint32 words of the SHA-256 of
the UTF-8 name. Consequences: the draw depends only on (seed, name, the labels,
resamples), so every submission is scored on the *same* resamples (that is what
makes paired comparisons meaningful); adding or removing a task or data_id never
changes another one's draw; each class keeps its size in every resample
(stratified); and the first b resamples stay the same when ``resamples`` grows.
Resample b of a leaderboard mean is resample b of every test set together.

**The interval.** The 2.5th and 97.5th percentiles of the resampled values, with
numpy's default ("linear") interpolation between order statistics.

Metrics are recomputed from per-row counts (how often each test row was drawn), so
F1 and accuracies are exact: the same floats a direct computation on the resampled
rows gives.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np
from threadpoolctl import threadpool_limits

DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 0
LEVEL = 0.95
PERCENTILES = (2.5, 97.5)  # the central 95%


def stream(seed: int, name: str, label: int) -> np.random.Generator:
    """The random stream of one class of one named test set (see the module docstring)."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    words = tuple(int.from_bytes(digest[4 * i:4 * i + 4], "little") for i in range(4))
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(*words, int(label))))


def stratified_resamples(labels: np.ndarray, resamples: int, seed: int, name: str) -> np.ndarray:
    """Row indices of every resample, shape (resamples, n): within each class, drawn with replacement.

    Columns are grouped by class (ascending label), which no metric here depends on.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError("labels must be one-dimensional")
    if labels.size and (labels.min() < 0 or not np.issubdtype(labels.dtype, np.integer)):
        raise ValueError("labels must be non-negative integers")
    columns = []
    for label in np.unique(labels):
        rows = np.flatnonzero(labels == label)
        picks = stream(seed, name, int(label)).integers(0, len(rows), size=(resamples, len(rows)))
        columns.append(rows[picks])
    if not columns:
        return np.zeros((resamples, 0), dtype=np.int64)
    return np.concatenate(columns, axis=1).astype(np.int64, copy=False)


def row_counts(indices: np.ndarray, n_rows: int) -> np.ndarray:
    """How many times each row is drawn in each resample: int64 (resamples, n_rows)."""
    indices = np.asarray(indices, dtype=np.int64)
    resamples = len(indices)
    offsets = (np.arange(resamples, dtype=np.int64) * n_rows)[:, None]
    flat = np.bincount((indices + offsets).ravel(), minlength=resamples * n_rows)
    return flat.reshape(resamples, n_rows)


def resample_counts(labels: np.ndarray, resamples: int, seed: int, name: str) -> np.ndarray:
    """:func:`row_counts` of :func:`stratified_resamples`: what the metrics below take."""
    labels = np.asarray(labels)
    return row_counts(stratified_resamples(labels, resamples, seed, name), len(labels))


def _weighted_sums(counts: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """counts @ rows.T as exact integers: rows (k, n) of 0/1, result (k, resamples).

    The products and sums are integers far below 2**53, so float64 BLAS is exact
    whatever its summation order.
    """
    sums = np.asarray(rows, dtype=np.float64) @ np.asarray(counts, dtype=np.float64).T
    return np.rint(sums).astype(np.int64)


def f1_resampled(test_y: np.ndarray, predicted: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """F1 of the positive class 1 on every resample: float64 (resamples,).

    Same formula as scikit-learn's ``f1_score(zero_division=0)``: 2 TP / (true 1s + predicted 1s).
    """
    test_y = np.asarray(test_y) == 1
    predicted = np.asarray(predicted) == 1
    tp, true_ones, predicted_ones = _weighted_sums(counts, np.stack([test_y & predicted, test_y, predicted]))
    denominator = (true_ones + predicted_ones).astype(np.float64)
    safe = np.where(denominator == 0, 1.0, denominator)
    return np.where(denominator == 0, 0.0, (2.0 * tp) / safe)


def average_precision_resampled(test_y: np.ndarray, scores: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Average precision of the positive class on every resample: float64 (resamples,).

    The step-function area of scikit-learn's ``average_precision_score``: over the distinct
    scores, highest first, the recall gained at each one times the precision there. Computed
    from per-row counts in one pass; equal to scikit-learn on the resampled rows up to float
    rounding (its sum runs in another order). 0 when the test set has no positive row, as in
    :func:`benchmark.scoring.selection.metrics_of_predictions`.
    """
    positive = np.asarray(test_y) == 1
    counts = np.asarray(counts, dtype=np.int64)
    if not positive.any():
        return np.zeros(len(counts))
    scores = np.asarray(scores, dtype=np.float64)
    order = np.argsort(-scores, kind="stable")
    ranked = scores[order]
    last_of_tie = np.flatnonzero(np.append(ranked[1:] != ranked[:-1], True))
    drawn = counts[:, order]
    true_positives = np.cumsum(drawn * positive[order], axis=1)[:, last_of_tie]
    predicted_positive = np.cumsum(drawn, axis=1)[:, last_of_tie]
    gained = np.diff(true_positives, axis=1, prepend=0)
    precision = true_positives / np.maximum(predicted_positive, 1)
    return (gained * precision).sum(axis=1) / true_positives[:, -1]


def mean_resampled(per_part: Mapping[str, np.ndarray]) -> np.ndarray:
    """Mean over tasks (or data_ids) in name order, resample by resample, as ``np.mean`` would."""
    names = sorted(per_part)
    # one contiguous row per resample: numpy then sums each row exactly as np.mean sums a list
    stacked = np.ascontiguousarray(np.stack([np.asarray(per_part[n], dtype=np.float64) for n in names], axis=1))
    return np.mean(stacked, axis=1)


def debugging_resampled(correct: np.ndarray, step_state: np.ndarray, clean_correct: np.ndarray,
                        counts: np.ndarray, n_train: int,
                        target_ratio: float) -> tuple[np.ndarray, np.ndarray]:
    """(score, auc) of one inspection order on every resample, each float64 (resamples,).

    ``correct`` (n_states, n_test) says which test rows each fitted state on the order
    predicts right, ``step_state`` (len(order)+1,) the state at step k, ``clean_correct``
    (n_test,) the same for the fully cleaned state. On each resample acc(k), the clean
    accuracy and the target are recomputed from these bits, then the first k reaching
    the target gives the score exactly as :func:`benchmark.scoring.debugging.corrected.score_curve` does.
    The auc is the exact mean of acc(0..n_train), correctly rounded.
    """
    correct = np.asarray(correct, dtype=bool)
    step_state = np.asarray(step_state, dtype=np.int64)
    counts = np.asarray(counts)
    n_test = counts.shape[1]
    if correct.ndim != 2 or correct.shape[1] != n_test or len(clean_correct) != n_test:
        raise ValueError("correct, clean_correct and counts must cover the same test rows")
    listed = len(step_state) - 1
    if listed < 0 or np.any(np.diff(step_state) < 0):
        raise ValueError("step_state must be non-decreasing, one entry per step 0..len(order)")
    if listed > n_train:
        raise ValueError("the order lists more steps than training rows")
    hits = _weighted_sums(counts, np.vstack([correct, np.asarray(clean_correct, dtype=bool)]))
    state_hits, clean_hits = hits[:-1], hits[-1]
    state_acc = state_hits / n_test
    target = target_ratio * (clean_hits / n_test)
    # steps move through the states in order: the first step reaching the target is the
    # first step in the first visited state that reaches it
    visited = np.unique(step_state)
    reached = state_acc[visited] >= target
    ever = reached.any(axis=0)
    fixes = np.searchsorted(step_state, visited[reached.argmax(axis=0)], side="left")
    score = np.where(ever, fixes / n_train, 1.0)
    weight = np.bincount(step_state, minlength=len(correct)).astype(np.int64)
    weight[step_state[-1]] += n_train - listed  # the curve stays flat after the last listed row
    total_hits = weight @ state_hits
    auc = total_hits / (n_test * (n_train + 1))
    return score.astype(np.float64), auc.astype(np.float64)


def interval(values: np.ndarray) -> list[float]:
    """The 95% percentile interval [lo, hi] of resampled values (numpy's linear interpolation)."""
    lo, hi = np.percentile(np.asarray(values, dtype=np.float64), PERCENTILES)
    return [float(lo), float(hi)]


def beats_share(a: np.ndarray, b: np.ndarray, higher_is_better: bool) -> float:
    """Share of resamples in which a beats b; a tie counts half."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1 or not len(a):
        raise ValueError("a and b must be resampled on the same, non-empty set of resamples")
    wins = np.count_nonzero(a > b if higher_is_better else a < b)
    ties = np.count_nonzero(a == b)
    return (2 * wins + ties) / (2 * len(a))


def comparisons(values: Mapping[str, np.ndarray], higher_is_better: bool) -> dict[str, dict[str, float]]:
    """For every ordered pair of distinct names, the share of resamples in which the first beats the second."""
    names = sorted(values)
    return {a: {b: beats_share(values[a], values[b], higher_is_better) for b in names if b != a}
            for a in names}


def separable(share: float) -> bool:
    """True when one side wins in at least 97.5% of the paired resamples (two-sided, 95%)."""
    return share >= PERCENTILES[1] / 100 or share <= PERCENTILES[0] / 100


def adjacent_separable(ranked: Sequence[str], shares: Mapping[str, Mapping[str, float]]) -> list[bool]:
    """For each entry after the first in a ranking, whether it is separable from the one above."""
    return [separable(shares[upper][lower]) for upper, lower in zip(ranked, ranked[1:])]


@dataclass(frozen=True)
class BootstrapSummary:
    """The intervals of one evaluation's numbers and the paired comparisons of its leaderboard mean."""

    parts: dict[str, dict[str, dict[str, list[float]]]]  # submission -> task or data_id -> metric -> [lo, hi]
    means: dict[str, list[float]]  # valid submission -> [lo, hi] of its leaderboard mean
    comparisons: dict[str, dict[str, float]]  # valid a -> valid b -> share of resamples in which a beats b


def _summarize(per_part: Mapping[str, Mapping[str, Mapping[str, np.ndarray]]], leaderboard: str,
               valid: Iterable[str], higher_is_better: bool) -> BootstrapSummary:
    parts = {name: {part: {metric: interval(values) for metric, values in sorted(metrics.items())}
                    for part, metrics in sorted(by_part.items())}
             for name, by_part in sorted(per_part.items())}
    means = {name: mean_resampled({part: m[leaderboard] for part, m in per_part[name].items()})
             for name in sorted(set(valid))}
    return BootstrapSummary(parts=parts, means={name: interval(v) for name, v in means.items()},
                            comparisons=comparisons(means, higher_is_better))


def selection_summary(test_labels: Mapping[str, np.ndarray],
                      predictions: Mapping[str, Mapping[str, tuple[np.ndarray, np.ndarray]]], valid: Iterable[str],
                      resamples: int, seed: int, leaderboard: str = "f1") -> BootstrapSummary:
    """F1 (and, when it ranks, average-precision) intervals per (submission, task); intervals of the mean of
    ``leaderboard`` (f1 or average_precision) and comparisons on it, for the valid submissions.

    ``predictions``: submission -> task -> (0/1 prediction, score of class 1) per test row, for the
    tasks that were scored; a valid submission has every task.
    """
    with threadpool_limits(1):  # tiny products: threads only add overhead
        counts = {task: resample_counts(y, resamples, seed, f"selection/{task}") for task, y in test_labels.items()}
        per_part: dict[str, dict[str, dict[str, np.ndarray]]] = {}
        for name, by_task in predictions.items():
            per_part[name] = {}
            for task, (predicted, scores) in by_task.items():
                per_part[name][task] = {"f1": f1_resampled(test_labels[task], predicted, counts[task])}
                if leaderboard == "average_precision":  # the costlier one: only when it ranks
                    per_part[name][task]["average_precision"] = average_precision_resampled(
                        test_labels[task], scores, counts[task])
        return _summarize(per_part, leaderboard, valid, higher_is_better=True)


def debugging_summary(test_labels: Mapping[str, np.ndarray], clean_correct: Mapping[str, np.ndarray],
                      n_train: Mapping[str, int],
                      correctness: Mapping[str, Mapping[str, tuple[np.ndarray, np.ndarray]]],
                      valid: Iterable[str], resamples: int, seed: int, target_ratio: float) -> BootstrapSummary:
    """Score and auc intervals per (submission, data_id), mean-score intervals and comparisons (lower wins).

    ``correctness``: submission -> data_id -> (step_state, correct) as
    :meth:`benchmark.scoring.debugging.corrected.CleaningEvaluator.correctness` returns them.
    """
    with threadpool_limits(1):
        counts = {d: resample_counts(y, resamples, seed, f"debugging/{d}") for d, y in test_labels.items()}
        per_part: dict[str, dict[str, dict[str, np.ndarray]]] = {}
        for name, by_id in correctness.items():
            per_part[name] = {}
            for data_id, (step_state, correct) in by_id.items():
                score, auc = debugging_resampled(correct, step_state, clean_correct[data_id], counts[data_id],
                                                 n_train[data_id], target_ratio)
                per_part[name][data_id] = {"score": score, "auc": auc}
        return _summarize(per_part, "score", valid, higher_is_better=False)


def settings_record(resamples: int, seed: int) -> dict[str, object]:
    """What results.yaml records under ``settings.bootstrap``: enough to redraw every resample."""
    return {"resamples": resamples, "seed": seed, "level": LEVEL, "interval": "percentile",
            "strata": "class"}
