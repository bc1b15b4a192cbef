"""Label propagation from the examples: the pool rows the examples reach on the k-NN graph are the positives.

Rows: the examples, the task's nearest candidates and the first
:data:`.selftrain.GRAPH_SAMPLE` rows of the shared uniform sample (see
:func:`.selftrain.task_rows`). On their cosine k-nearest-neighbour graph, a
personalised PageRank started from the examples scores every row by how well
connected it is to them: unlike the cosine to the examples' mean direction
(``baseline_nearest``), it follows the concept along its own manifold, so rows
of the concept that look unlike the mean still rank high and rows of a
neighbouring concept that happen to point the same way do not.

Training set (:data:`SIZE` rows): the examples and the :data:`POSITIVES`
best-scored rows, labelled 1, then rows of the uniform sample in its random
order, labelled 0. Random negatives (not the lowest-scored rows) keep the hard
negatives near the concept's boundary and a realistic share of positives; a
few true positives among them cost less than a training set that never shows
the classifier where the concept ends.
"""
from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits

from .selftrain import graph_scorer, task_rows
from .training_sets import TaskRows, TrainingSet

SIZE = 500
POSITIVES = 100


def propagation_baseline(rows: TaskRows, sample_ids: np.ndarray, sample_X: np.ndarray,
                         size: int = SIZE, positives: int = POSITIVES) -> TrainingSet:
    ids, X, is_example, in_graph = task_rows(rows, sample_ids, sample_X)
    graph = np.flatnonzero(in_graph)
    with threadpool_limits(1):
        scores = graph_scorer(X[graph])(is_example[graph])
    unlabeled = ~is_example[graph]
    ranked = graph[unlabeled][np.argsort(-scores[unlabeled], kind="stable")]
    chosen = np.concatenate([np.flatnonzero(is_example), ranked[:positives]])
    taken = set(ids[chosen].tolist())
    row_of = {image_id: r for r, image_id in enumerate(ids.tolist())}
    negatives = [row_of[i] for i in sample_ids.tolist() if i not in taken][: max(0, size - len(chosen))]
    ids_out = np.concatenate([ids[chosen], ids[np.asarray(negatives, dtype=np.int64)]])
    labels = np.concatenate([np.ones(len(chosen), np.int64), np.zeros(len(negatives), np.int64)])
    return TrainingSet(ids_out, labels)
