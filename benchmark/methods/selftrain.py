"""The strong selection baseline: self-training sized by leave-one-example-out CV, then farthest-point sampling.

Rows: the examples (known positives), the task's nearest candidates and the
shared uniform sample of the pool (unlabelled; mostly negative, since concepts
are rare). Only these in-memory rows are used, never the whole pool.

1. How many rows belong to the concept? On a subset (examples, candidates and
   the first :data:`GRAPH_SAMPLE` sample rows) labels are propagated from the
   examples over the cosine k-nearest-neighbour graph (personalised PageRank).
   Cross-validation: each example in turn is hidden and propagation runs from
   the others; twice the median rank of the hidden examples among the
   unlabelled rows estimates the number of positives there, and so the share
   of positives among all unlabelled rows.
2. Self-training: rows are ranked by cosine to the examples' mean direction;
   that share of the top rows is taken as pseudo-positives and a class-balanced
   logistic regression is refitted on them for :data:`ROUNDS` rounds, so the
   concept's direction is learnt from many rows instead of a handful.
3. Training set (:data:`SIZE` rows): the examples, up to :data:`MAX_POSITIVES`
   pseudo-positives chosen by farthest-point sampling (greedy k-center) among
   the final top-ranked rows, and negatives chosen by farthest-point sampling
   among the rows ranked below :data:`NEGATIVE_MARGIN` times the positive count,
   so each class is covered rather than one region of it repeated.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from .training_sets import TaskRows, TrainingSet, farthest_point_sampling

SIZE = 500
MAX_POSITIVES = 250  # at most half of SIZE: balanced classes, since the test prior is unknown
MIN_POSITIVES = 10
GRAPH_SAMPLE = 4_000
NEIGHBOURS = 10
PAGERANK_ALPHA, PAGERANK_STEPS = 0.9, 30
ROUNDS = 3
LINEAR_C = 1.0
NEGATIVE_MARGIN = 2.0  # negatives come from rows ranked below this many times the positive estimate

Scorer = Callable[[np.ndarray], np.ndarray]  # seeds (bool per row) -> score per row


def task_rows(rows: TaskRows, sample_ids: np.ndarray, sample_X: np.ndarray,
              graph_sample: int = GRAPH_SAMPLE) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(ids, unit rows, is_example, in_graph) over examples, candidates and the whole sample, each row once.

    Rows come in that order; ``in_graph`` marks the examples, the candidates and the
    first ``graph_sample`` rows of the (uniformly ordered) sample.
    """
    ids = np.concatenate([rows.example_ids, rows.candidate_ids, sample_ids])
    X = np.concatenate([rows.examples, rows.candidates, sample_X])
    n_head = len(rows.example_ids) + len(rows.candidate_ids)
    in_graph = np.arange(len(ids)) < n_head + graph_sample
    _, first = np.unique(ids.astype(str), return_index=True)
    keep = np.sort(first)
    is_example = np.zeros(len(ids), dtype=bool)
    is_example[: len(rows.example_ids)] = True
    return ids[keep], X[keep], is_example[keep], in_graph[keep]


def knn_graph(X: np.ndarray, k: int = NEIGHBOURS, block: int = 1024) -> sp.csr_matrix:
    """Symmetrically normalised adjacency of the symmetrised cosine k-NN graph (unit rows)."""
    n = len(X)
    k = min(k, n - 1)
    if k < 1:
        return sp.csr_matrix((n, n))
    neighbours = np.empty((n, k), dtype=np.int64)
    for start in range(0, n, block):
        S = X[start:start + block] @ X.T
        S[np.arange(len(S)), np.arange(start, start + len(S))] = -np.inf
        part = np.argpartition(-S, k - 1, axis=1)[:, :k]
        neighbours[start:start + block] = part
    W = sp.csr_matrix((np.ones(n * k), (np.repeat(np.arange(n), k), neighbours.ravel())), shape=(n, n))
    W = ((W + W.T) > 0).astype(np.float64)
    degree = np.asarray(W.sum(axis=1)).ravel()
    scale = sp.diags(1.0 / np.sqrt(np.maximum(degree, 1.0)))
    return (scale @ W @ scale).tocsr()


def graph_scorer(X: np.ndarray) -> Scorer:
    W = knn_graph(X)

    def score(seeds: np.ndarray) -> np.ndarray:
        start = seeds.astype(np.float64) / max(1, int(seeds.sum()))
        f = start.copy()
        for _ in range(PAGERANK_STEPS):
            f = (1 - PAGERANK_ALPHA) * start + PAGERANK_ALPHA * (W @ f)
        return f

    return score


def self_train(X: np.ndarray, seeds: np.ndarray, scores: np.ndarray, count: int,
               rounds: int = ROUNDS) -> np.ndarray:
    """Refit a logistic regression on the examples plus the ``count`` top-scored rows, a few rounds."""
    unlabeled = np.flatnonzero(~seeds)
    for _ in range(rounds):
        ranked = unlabeled[np.argsort(-scores[unlabeled], kind="stable")]
        y = seeds.astype(np.int64)
        y[ranked[:count]] = 1
        model = LogisticRegression(C=LINEAR_C, class_weight="balanced", max_iter=1000, random_state=0)
        scores = model.fit(X, y).decision_function(X)
    return scores


def hidden_ranks(score: Scorer, is_example: np.ndarray) -> np.ndarray:
    """Rank (0 = best) of each example among the unlabelled rows when it is hidden from the scorer."""
    examples = np.flatnonzero(is_example)
    ranks = []
    for e in examples:
        seeds = is_example.copy()
        seeds[e] = False
        scores = score(seeds)
        others = ~is_example
        ranks.append(int(np.count_nonzero(scores[others] > scores[e])))
    return np.asarray(ranks)


def estimate_positives(score: Scorer, is_example: np.ndarray) -> int:
    """Twice the median rank of a hidden example among the unlabelled rows (leave-one-example-out)."""
    if is_example.sum() < 2:
        return MAX_POSITIVES
    return int(2 * np.median(hidden_ranks(score, is_example))) + 1


def ranked_by_self_training(rows: TaskRows, sample_ids: np.ndarray,
                            sample_X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Steps 1 and 2: (ids, unit rows, is_example, unlabelled rows best first, estimated positives among them).

    Shared with :mod:`.concept_labels`, which gives the published approaches the same pool labels.
    """
    ids, X, is_example, in_graph = task_rows(rows, sample_ids, sample_X)
    with threadpool_limits(1):
        # 1. the share of positives among unlabelled rows, from hidden examples on the graph subset
        estimate = estimate_positives(graph_scorer(X[in_graph]), is_example[in_graph])
        share = estimate / max(1, int(np.count_nonzero(~is_example[in_graph])))
        unlabeled = np.flatnonzero(~is_example)
        # pseudo-positives never take more than half the unlabelled rows: the rest are the negatives
        count = int(np.clip(round(share * len(unlabeled)), 1, max(1, len(unlabeled) // 2)))
        count = max(count, min(MIN_POSITIVES, len(unlabeled) // 2))
        # 2. self-training from the examples' mean direction
        centroid = X[is_example].sum(axis=0)
        scores = self_train(X, is_example, X @ (centroid / np.linalg.norm(centroid)), count)
    ranked = unlabeled[np.argsort(-scores[unlabeled], kind="stable")]
    return ids, X, is_example, ranked, count


def selftrain_fps_baseline(rows: TaskRows, sample_ids: np.ndarray, sample_X: np.ndarray,
                           size: int = SIZE, max_positives: int = MAX_POSITIVES) -> TrainingSet:
    ids, X, is_example, ranked, count = ranked_by_self_training(rows, sample_ids, sample_X)
    with threadpool_limits(1):
        # 3. farthest-point sampling within the pseudo-positives and within the clear negatives
        top = ranked[:count]
        n_pos = max(1, min(max_positives, len(top), size - len(rows.example_ids) - 1))
        positives = np.concatenate([np.flatnonzero(is_example), top[farthest_point_sampling(X[top], n_pos)]])
        n_neg = size - len(positives)
        cut = min(int(np.ceil(NEGATIVE_MARGIN * count)), max(0, len(ranked) - n_neg))
        bottom = ranked[cut:]
        negatives = bottom[farthest_point_sampling(X[bottom], n_neg, start=len(bottom) - 1)]
    chosen = np.concatenate([positives, negatives])
    labels = np.concatenate([np.ones(len(positives), np.int64), np.zeros(len(negatives), np.int64)])
    return TrainingSet(ids[chosen], labels)
