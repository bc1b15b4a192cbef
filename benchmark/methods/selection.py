"""Selection baselines: a labelled training set of at most max_train_size pool rows per task.

A participant has the candidate pool and a handful of positive examples per task
(ImageIDs in the pool); nothing else. Test sets are never read, and every label a
baseline submits is derived from the examples.

The pool is read in two streaming passes shared by all tasks and all baselines
(see :mod:`.streaming`): a filtered lookup of the example rows, then one scan
that keeps, per task, the :data:`CANDIDATES` rows most similar to the examples,
and, for all tasks, a uniform random sample of :data:`SAMPLE_SIZE` rows.
Everything below works on those in-memory rows.

* ``baseline_random`` -- the DataPerf ``random_500`` analogue: the examples plus
  uniformly random rows, 500 in all. A row is labelled positive when it is at
  least as close (cosine) to its nearest example as the examples are to each other
  (the largest leave-one-out nearest-example distance); otherwise negative.
* ``baseline_nearest`` -- the :data:`NEAREST_POSITIVES` rows most similar to the
  examples' mean direction, labelled positive, and :data:`NEAREST_NEGATIVES`
  random rows labelled negative.
* ``baseline_selftrain_fps`` -- self-training plus farthest-point sampling
  (:mod:`.selftrain`): the share of concept rows is estimated by hiding each
  example in turn from a label propagation over the k-NN graph; a logistic
  regression is refitted a few rounds on that many pseudo-positives; the
  submission thins pseudo-positives and clear negatives by farthest-point
  sampling so it covers each class instead of repeating near-duplicates.
* ``baseline_propagation`` -- label propagation (:mod:`.propagation`): the
  100 rows a personalised PageRank from the examples over the k-NN graph ranks
  highest, labelled positive, and random rows labelled negative.

The three approaches published as DataPerf's winners (docs/baselines.md; settings
in ``selection.baselines``), each on the shared uniform sample as the pool:

* ``baseline_fpscv`` -- farthest-point-sampled negatives and the best small
  training set under nested cross-validation (:mod:`.fpscv`), from pool labels
  estimated from the examples (:mod:`.concept_labels`).
* ``baseline_pseudo_labels`` -- an MLP on every task's examples pseudo-labels
  the pool; equal shares per pseudo-class (:mod:`.pseudo_labels`).
* ``baseline_uncertainty`` -- modified uncertainty sampling: labelled positives
  and near misses from just below them in a classifier of those labels
  (:mod:`.uncertainty`; the same estimated pool labels).
"""
from __future__ import annotations

import zlib
from pathlib import Path
from typing import Callable

import numpy as np
from threadpoolctl import threadpool_limits

from ..errors import InputError, ResourceError
from ..formats.discovery import DataTree, resolve_selection
from ..formats.parameters import Parameters
from ..formats.resources import CandidatePool, read_examples
from ..logs import log
from ..workspace.layout import SELECTION
from . import streaming
from .api import SelectionProblem
from .concept_labels import concept_labels
from .fpscv import RawRows, fpscv_training_set
from .propagation import propagation_baseline
from .pseudo_labels import pseudo_label_training_set
from .selftrain import selftrain_fps_baseline
from .uncertainty import uncertainty_training_set
from .training_sets import TaskRows, TrainingSet, unit_rows

SEED = 0
PREFIX = "baseline_"
RANDOM, NEAREST, SELFTRAIN_FPS, PROPAGATION, FPSCV, PSEUDO_LABELS, UNCERTAINTY = (
    PREFIX + name for name in ("random", "nearest", "selftrain_fps", "propagation", "fpscv", "pseudo_labels",
                               "uncertainty"))
METHODS = (RANDOM, NEAREST, SELFTRAIN_FPS, PROPAGATION, FPSCV, PSEUDO_LABELS, UNCERTAINTY)

SAMPLE_SIZE = 20_000  # uniform sample of the pool kept in memory (all tasks share it)
CANDIDATES = 2_000  # per task: rows most similar to the examples
RANDOM_SIZE = 500
NEAREST_POSITIVES, NEAREST_NEGATIVES = 100, 400


# --------------------------------------------------------------------------- reading
def read_task_examples(params: Parameters, data_root: Path) -> dict[str, np.ndarray]:
    root = data_root / SELECTION
    _, tasks = resolve_selection(params.selection.pool, params.selection.tasks, root, with_tests=False)
    examples = {}
    for task, spec in sorted(tasks.items()):
        if spec.examples is None:
            raise InputError(f"selection.tasks.{task}: the baselines need an example set (examples: ...)")
        frame = read_examples(root / spec.examples)
        positive = frame.loc[frame["Confidence"] == 1, "ImageID"].str.strip()
        ids = np.asarray(sorted(set(positive)), dtype=object)
        if len(ids) == 0:
            raise ResourceError("example set holds no positive example", root / spec.examples)
        examples[task] = ids
    return examples


def gather(pool: CandidatePool, examples: dict[str, np.ndarray], sample_size: int = SAMPLE_SIZE,
           candidates: int = CANDIDATES, seed: int = SEED,
           batch_rows: int = streaming.BATCH_ROWS) -> tuple[dict[str, TaskRows], np.ndarray, np.ndarray]:
    """Two streaming passes: the example rows, then per-task candidates and one shared uniform sample.

    Returns (rows per task, sample ImageIDs in random order, sample unit rows).
    """
    wanted = sorted({i for ids in examples.values() for i in ids})
    found_ids, found_X = pool.lookup(wanted)
    row_of = {image_id: r for r, image_id in enumerate(found_ids)}
    centroids, example_rows = {}, {}
    for task, ids in examples.items():
        present = np.asarray([i for i in ids if i in row_of], dtype=object)
        if len(present) < len(ids):
            log.warning("%s: %d of %d example ImageIDs are not in the candidate pool",
                        task, len(ids) - len(present), len(ids))
        if len(present) == 0:
            raise ResourceError(f"no example of task {task} is in the candidate pool", pool.path)
        E = unit_rows(found_X[[row_of[i] for i in present]])
        example_rows[task] = (present, E)
        centroids[task] = unit_rows(E.mean(axis=0, keepdims=True))[0]

    tops = {task: streaming.TopK(candidates) for task in examples}
    sample = streaming.HashSample(sample_size, seed)
    dim = found_X.shape[1]
    names = sorted(examples)
    C = np.stack([centroids[t] for t in names], axis=1)  # (d, tasks)
    with threadpool_limits(1):
        for ids, X in streaming.scan_pool(pool, batch_rows, expected_dim=dim):
            U = unit_rows(X)
            scores = U @ C
            for j, task in enumerate(names):
                tops[task].add(ids, U, scores[:, j])
            sample.add_rows(ids, U)
    rows = {}
    for task in names:
        present, E = example_rows[task]
        top = tops[task]
        rows[task] = TaskRows(task, present, E, top.ids, top.X, top.scores)
    sample_X = sample.X if sample.X is not None else np.empty((0, dim))
    return rows, sample.ids, sample_X


# --------------------------------------------------------------------------- the baselines
def random_baseline(rows: TaskRows, sample_ids: np.ndarray, sample_X: np.ndarray,
                    size: int = RANDOM_SIZE) -> TrainingSet:
    """Examples plus uniform random rows; labels from the distance to the nearest example."""
    is_example = np.isin(sample_ids, rows.example_ids)
    take = np.flatnonzero(~is_example)[: max(0, size - len(rows.example_ids))]
    ids = np.concatenate([rows.example_ids, sample_ids[take]])
    X = np.concatenate([rows.examples, sample_X[take]])
    similarity = (X @ rows.examples.T).max(axis=1)
    labels = (similarity >= example_threshold(rows.examples)).astype(np.int64)
    labels[: len(rows.example_ids)] = 1
    return _ensure_negative(TrainingSet(ids, labels), X, rows.examples)


def example_threshold(E: np.ndarray) -> float:
    """Smallest cosine similarity of an example to its nearest other example (leave-one-out)."""
    if len(E) < 2:
        return 1.0  # a single example: only itself counts as positive
    S = E @ E.T
    np.fill_diagonal(S, -np.inf)
    return float(S.max(axis=1).min())


def nearest_baseline(rows: TaskRows, sample_ids: np.ndarray, sample_X: np.ndarray,
                     positives: int = NEAREST_POSITIVES, negatives: int = NEAREST_NEGATIVES) -> TrainingSet:
    """The rows most similar to the examples' mean direction (positive) and random rows (negative)."""
    pos_ids = _unique_first(np.concatenate([rows.example_ids, rows.candidate_ids]))[:positives]
    free = np.flatnonzero(~np.isin(sample_ids, pos_ids))[:negatives]
    ids = np.concatenate([pos_ids, sample_ids[free]])
    labels = np.concatenate([np.ones(len(pos_ids), np.int64), np.zeros(len(free), np.int64)])
    return TrainingSet(ids, labels)


def _unique_first(ids: np.ndarray) -> np.ndarray:
    _, first = np.unique(ids.astype(str), return_index=True)
    return ids[np.sort(first)]


def _ensure_negative(sub: TrainingSet, X: np.ndarray, E: np.ndarray) -> TrainingSet:
    """The classifier needs both classes: if every row came out positive, the least similar is negative."""
    if sub.labels.min() == 1 and len(sub.labels) > len(E):
        labels = sub.labels.copy()
        labels[len(E) + int(np.argmin((X[len(E):] @ E.T).max(axis=1)))] = 0
        return TrainingSet(sub.ids, labels)
    return sub


def cap(sub: TrainingSet, limit: int) -> TrainingSet:
    """At most ``limit`` rows, keeping each class's share (and at least one row of each class)."""
    if len(sub.ids) <= limit:
        return sub
    pos, neg = np.flatnonzero(sub.labels == 1), np.flatnonzero(sub.labels == 0)
    n_pos = int(round(limit * len(pos) / len(sub.ids)))
    n_pos = min(len(pos), max(1 if len(pos) else 0, min(n_pos, limit - (1 if len(neg) else 0))))
    keep = np.concatenate([pos[:n_pos], neg[: limit - n_pos]])  # each class in the method's order of preference
    return TrainingSet(sub.ids[keep], sub.labels[keep])


# --------------------------------------------------------------------------- the builders
Build = Callable[[TaskRows, np.ndarray, np.ndarray], TrainingSet]


def builders(params: Parameters, rows: dict[str, TaskRows], sample_ids: np.ndarray, sample_X: np.ndarray,
             raw_rows: RawRows) -> list[tuple[str, Build]]:
    """Every baseline as (name, build(task rows, sample ids, sample rows)), in :data:`METHODS` order.

    ``raw_rows`` looks rows up in the pool as the evaluator reads them (FPSCV cross-validates on them).
    """
    settings = params.selection.baselines
    every_task = {task: task_rows.examples for task, task_rows in rows.items()}
    published = {  # each gets its own Generator, seeded from (SEED, method, task)
        FPSCV: lambda r, rng: fpscv_training_set(
            concept_labels(r, sample_ids, sample_X), raw_rows, rng, settings.fpscv_positives,
            settings.fpscv_negatives, settings.fpscv_folds, settings.fpscv_candidates, params.selection.classifier),
        PSEUDO_LABELS: lambda r, rng: pseudo_label_training_set(
            sample_ids, sample_X, every_task, r.task, rng, settings.pseudo_label_size, settings.pseudo_label_hidden),
        UNCERTAINTY: lambda r, rng: uncertainty_training_set(
            concept_labels(r, sample_ids, sample_X), rng, settings.uncertainty_size, settings.uncertainty_C,
            settings.uncertainty_band_top, settings.uncertainty_band_bottom)}
    return [(RANDOM, random_baseline), (NEAREST, nearest_baseline), (SELFTRAIN_FPS, selftrain_fps_baseline),
            (PROPAGATION, propagation_baseline), *((m, _seeded(f, m)) for m, f in published.items())]


def _seeded(build: Callable[[TaskRows, np.random.Generator], TrainingSet], method: str) -> Build:
    """The runner's call for a method that takes a Generator: a fresh one per (method, task)."""
    def run(rows: TaskRows, _ids: np.ndarray, _X: np.ndarray) -> TrainingSet:
        seed = [SEED, zlib.crc32(method.encode("utf-8")), zlib.crc32(rows.task.encode("utf-8"))]
        return build(rows, np.random.default_rng(seed))
    return run


def raw_rows_of(pool: CandidatePool) -> RawRows:
    """ImageIDs -> their pool embeddings in the order given (one filtered scan of the pool per call)."""
    def raw_rows(ids: np.ndarray) -> np.ndarray:
        found_ids, found_X = pool.lookup(sorted(set(ids.tolist())))
        row_of = {image_id: r for r, image_id in enumerate(found_ids.tolist())}
        return np.asarray(found_X, dtype=np.float64)[[row_of[i] for i in ids.tolist()]]
    return raw_rows


# --------------------------------------------------------------------------- on the method API
def pool_rows(problem: SelectionProblem) -> tuple[dict[str, TaskRows], np.ndarray, np.ndarray]:
    """The two streaming passes of :func:`gather`, made once per run for every task and built-in baseline."""
    return problem.pool.shared("baselines.gather", lambda: gather(problem.pool.source, dict(problem.all_examples)))


def _on_the_api(name: str) -> Callable[[SelectionProblem], dict[str, int]]:
    """The built-in ``name`` as a method: its builder on the shared rows, capped at the budget."""
    def method(problem: SelectionProblem) -> dict[str, int]:
        rows, sample_ids, sample_X = pool_rows(problem)
        build = dict(builders(problem.parameters, rows, sample_ids, sample_X, raw_rows_of(problem.pool.source)))[name]
        sub = cap(build(rows[problem.task], sample_ids, sample_X), problem.max_train_size)
        return dict(zip(sub.ids.tolist(), sub.labels.tolist()))

    method.prepare = pool_rows  # type: ignore[attr-defined]  # the shared pass runs once, before the calls
    method.__name__ = method.__qualname__ = name.removeprefix(PREFIX) + "_method"
    return method


random_method, nearest_method, selftrain_fps_method, propagation_method, fpscv_method, pseudo_labels_method, \
    uncertainty_method = (_on_the_api(name) for name in METHODS)
