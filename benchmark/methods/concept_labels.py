"""Pool labels estimated from the examples: what the published selection winners started from, made here.

FPSCV and modified uncertainty sampling (DataPerf's first and third selection
approaches) both began from labels of the pool itself: Open Images' human-verified
(FPSCV) or human and machine (uncertainty sampling) labels of the concept, hundreds
of positive pool rows per task, downloaded next to the challenge's data. A
participant of this harness has only the task's examples. Run on the examples
alone, the two methods submitted 5 positives and hundreds of "negatives", some of
them positives, and scored far below a random training set on the demo (mean F1
0.157 and 0.142). So both get the labels they were designed for, estimated from the
examples by the first two steps of ``baseline_selftrain_fps``
(:func:`.selftrain.ranked_by_self_training`):

* ``count``: the concept's unlabelled rows, estimated by hiding each example in
  turn from a label propagation over the k-NN graph (at least
  :data:`.selftrain.MIN_POSITIVES`, at most half of the unlabelled rows);
* the ranking: a logistic regression self-trained a few rounds on that many
  pseudo-positives, from the examples' mean direction;
* positives: the examples and the ``count`` best-ranked rows;
* clear negatives: rows ranked below ``margin`` times ``count``
  (:data:`.selftrain.NEGATIVE_MARGIN`), so the rows just below the estimate, which
  are as likely to be the concept as not, are labelled neither way (at most half of
  the rows below the positives are skipped so).

Rows: the examples, the task's nearest candidates and the shared uniform sample
(:func:`.selftrain.task_rows`). These labels are an estimate, which is what
separates these baselines from the published runs with verified labels
(docs/baselines.md).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .selftrain import NEGATIVE_MARGIN, ranked_by_self_training
from .training_sets import TaskRows


@dataclass(frozen=True)
class ConceptLabels:
    """A task's rows with the examples and the other rows ranked by how likely they are the concept."""

    ids: np.ndarray  # ImageIDs (examples first)
    X: np.ndarray  # their unit rows
    is_example: np.ndarray  # bool per row
    ranked: np.ndarray  # the non-example rows, best first (row indices)
    count: int  # estimated number of the concept's rows among them

    def positives(self) -> np.ndarray:
        """Row indices labelled 1: the examples, then the ``count`` best-ranked rows."""
        return np.concatenate([np.flatnonzero(self.is_example), self.ranked[: self.count]])

    def clear_negatives(self, margin: float = NEGATIVE_MARGIN) -> np.ndarray:
        """Row indices labelled 0: those ranked below ``margin`` times the estimate (at most half of the rows
        below the positives skipped), best-ranked first."""
        rest = len(self.ranked) - self.count
        return self.ranked[min(int(np.ceil(margin * self.count)), self.count + rest // 2):]


def concept_labels(rows: TaskRows, sample_ids: np.ndarray, sample_X: np.ndarray) -> ConceptLabels:
    """The task's rows ranked by self-training from its examples, and the estimated number of positives."""
    ids, X, is_example, ranked, count = ranked_by_self_training(rows, sample_ids, sample_X)
    return ConceptLabels(ids, X, is_example, ranked, int(min(count, len(ranked) // 2)))
