"""Pool labels estimated from the examples: what the published selection winners started from, made here.

FPSCV and modified uncertainty sampling (DataPerf's first and third selection
approaches) both began from labels of the pool itself: Open Images' human-verified
(FPSCV) or human and machine (uncertainty sampling) labels of the concept, hundreds
of positive pool rows per task, downloaded next to the challenge's data. A
participant of this harness has only the task's examples. Run on the examples
alone, the two methods submitted 5 positives and hundreds of "negatives", some of
them positives, and scored far below a random training set on the demo. So both
get the labels they were designed for, estimated from the examples:

* positives: the examples plus the ``count`` unlabelled rows that a personalised
  PageRank from the examples over the cosine k-NN graph ranks highest (the graph
  and walk of ``baseline_propagation``, :mod:`.propagation`);
* ``count``: the leave-one-example-out estimate of the concept's unlabelled rows
  on that graph (:func:`.selftrain.estimate_positives`, as ``baseline_selftrain_fps``
  sizes its pseudo-positives);
* clear negatives: rows ranked below ``margin`` times ``count``
  (:data:`.selftrain.NEGATIVE_MARGIN`), so the rows just below the estimate, which
  are as likely to be the concept as not, are labelled neither way.

Rows: the examples, the task's nearest candidates and the first
:data:`.selftrain.GRAPH_SAMPLE` rows of the shared uniform sample (the graph of
:func:`.selftrain.task_rows`). These labels are an estimate: on the demo's Eight
a little over half of the estimated positives are eights (docs/baselines.md), which
is what separates these baselines from the published runs with verified labels.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from .selftrain import NEGATIVE_MARGIN, estimate_positives, graph_scorer, task_rows
from .training_sets import TaskRows


@dataclass(frozen=True)
class ConceptLabels:
    """A task's graph rows with the examples and the rows ranked by how strongly the examples reach them."""

    ids: np.ndarray  # ImageIDs of the graph rows (examples first)
    X: np.ndarray  # their unit rows
    is_example: np.ndarray  # bool per row
    ranked: np.ndarray  # the non-example rows, best first (row indices)
    count: int  # estimated number of the concept's rows among them

    def positives(self) -> np.ndarray:
        """Row indices labelled 1: the examples, then the ``count`` best-ranked rows."""
        return np.concatenate([np.flatnonzero(self.is_example), self.ranked[: self.count]])

    def clear_negatives(self, margin: float = NEGATIVE_MARGIN) -> np.ndarray:
        """Row indices labelled 0: those ranked below ``margin`` times the estimate, best-ranked first."""
        return self.ranked[min(len(self.ranked), int(np.ceil(margin * self.count))):]


def concept_labels(rows: TaskRows, sample_ids: np.ndarray, sample_X: np.ndarray) -> ConceptLabels:
    """The graph rows of a task, ranked by a personalised PageRank from its examples, and the positive estimate."""
    ids, X, is_example, in_graph = task_rows(rows, sample_ids, sample_X)
    graph = np.flatnonzero(in_graph)
    ids, X, is_example = ids[graph], X[graph], is_example[graph]
    with threadpool_limits(1):
        score = graph_scorer(X)
        count = estimate_positives(score, is_example)
        scores = score(is_example)
    unlabeled = np.flatnonzero(~is_example)
    ranked = unlabeled[np.argsort(-scores[unlabeled], kind="stable")]
    return ConceptLabels(ids, X, is_example, ranked, int(min(count, len(ranked))))
