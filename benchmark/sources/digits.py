"""The embedded demo: a complete, small resource set built offline from real images.

scikit-learn ships the UCI handwritten digits (1,797 8x8 images); their 64 pixel
intensities serve as embeddings. Selection concepts are digits; debugging data_ids
are pairs of easily confused digits with 30% of the training labels wrong.

The noise is class-conditional (:func:`relabel_one_class`): every wrong label is
a row of the pair's second digit labelled as the first, as when annotators
systematically take one digit for the other. Symmetric flips at the same 30%
barely move a linear model on digits (before cleaning it was already within a
few points of the 95% target, so a couple of lucky fixes decided the score);
one-way confusion costs it 30 to 45 points, so how well an ordering finds the
wrong labels decides how soon the target is reached.
Everything is seeded, so the same parameters always give the same bytes.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

from ..errors import InputError
from ..formats.parameters import Parameters
from ..formats.submissions import write_ordering, write_training_set
from ..workspace.layout import DEBUGGING, REFERENCE_PREFIX, SELECTION
from . import layout

POOL_FRACTION = 0.7
EXAMPLES_PER_CONCEPT = 5
RANDOM_SELECTION_SIZE = 500
DEBUG_TRAIN, DEBUG_VAL = 200, 50


def build_demo(params: Parameters, data_root: Path, submission_root: Path | None) -> list[Path]:
    """Write the demo resources (and example submissions) and return the files written."""
    demo = params.download.demo
    for task in sorted(set(params.selection.tasks) - set(demo.concepts)):
        raise InputError(f"download.demo.concepts: no digit for selection task {task!r}")
    for data_id in sorted(set(params.debugging.data_ids) - set(demo.pairs)):
        raise InputError(f"download.demo.pairs: no digit pair for data_id {data_id!r}")
    digits = load_digits()
    X = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    rng = np.random.default_rng(demo.seed)
    written: list[Path] = []

    # ---- selection: one pool, one test set and example set per concept
    sel_root = data_root / SELECTION
    order = rng.permutation(len(X))
    n_pool = int(POOL_FRACTION * len(X))
    pool_idx, test_idx = np.sort(order[:n_pool]), np.sort(order[n_pool:])
    ids = np.asarray(layout.image_ids("digits", len(X)), dtype=object)
    pool_path = sel_root / params.selection.pool
    layout.write_table(pool_path, layout.selection_table(ids[pool_idx], X[pool_idx]))
    written.append(pool_path)
    for task, spec in sorted(params.selection.tasks.items()):
        digit = demo.concepts[task]
        test_path = sel_root / spec.test_set
        layout.write_table(test_path, layout.selection_table(
            ids[test_idx], X[test_idx], (y[test_idx] == digit).astype(np.int64)))
        written.append(test_path)
        if spec.examples:
            positives = pool_idx[y[pool_idx] == digit]
            chosen = np.sort(rng.choice(positives, size=EXAMPLES_PER_CONCEPT, replace=False))
            layout.write_examples(sel_root / spec.examples, f"/demo/digit/{digit}", task, ids[chosen])
            written.append(sel_root / spec.examples)

    # ---- debugging: per data_id a pair of digits, 30% of training rows relabelled from the second to the first
    dbg_root = data_root / DEBUGGING
    for data_id, spec in sorted(params.debugging.data_ids.items()):
        negative, positive = demo.pairs[data_id]
        rows = rng.permutation(np.flatnonzero((y == negative) | (y == positive)))
        labels = (y[rows] == positive).astype(np.int64)
        train, val, test = np.split(np.arange(len(rows)), [DEBUG_TRAIN, DEBUG_TRAIN + DEBUG_VAL])
        clean = labels[train]
        noisy = relabel_one_class(clean, demo.noise, rng, f"download.demo.noise ({data_id})")
        split_ids = np.asarray(layout.image_ids(f"digits-{data_id}", len(rows)), dtype=object)
        for part, labels_out, rel in ((train, noisy, spec.train), (val, labels[val], spec.val),
                                      (test, labels[test], spec.test)):
            if rel is None:
                continue
            layout.write_table(dbg_root / rel, layout.debugging_table(split_ids[part], X[rows[part]], labels_out))
            written.append(dbg_root / rel)
        layout.write_ground_truth(dbg_root / spec.ground_truth, split_ids[train], clean)
        written.append(dbg_root / spec.ground_truth)

    if submission_root is not None and params.download.write_examples:
        written += _example_submissions(params, digits.target, ids, pool_idx, submission_root, rng)
    return written


def relabel_one_class(labels: np.ndarray, fraction: float, rng: np.random.Generator,
                      what: str = "noise") -> np.ndarray:
    """Relabel exactly round(fraction * n) rows of class 1, chosen at random, as class 0.

    The share counts all rows (DataPerf's 30% of the training set), so it cannot
    exceed the share of class-1 rows.
    """
    noisy = np.array(labels, dtype=np.int64, copy=True)
    positives = np.flatnonzero(noisy == 1)
    count = int(round(fraction * len(noisy)))
    if count > len(positives):
        raise InputError(f"{what}: {fraction} of {len(noisy)} rows is {count} wrong labels, "
                         f"but only {len(positives)} rows have label 1 to relabel")
    noisy[rng.choice(positives, size=count, replace=False)] = 0
    return noisy


def _example_submissions(params: Parameters, y: np.ndarray, ids: np.ndarray, pool_idx: np.ndarray,
                         submission_root: Path, rng: np.random.Generator) -> list[Path]:
    """Like the originals' random_500.csv and 01g317_my_method.txt, plus one clearly named reference.

    ``random_500``: random pool rows with random labels (a fair coin per row), as
    the original's example: no participant has the ground truth. ``reference_true_labels_500``:
    the same rows labelled from the ground truth, a reference point for what random
    picks would score if labelling them were perfect, not a submission.
    """
    written = []
    size = min(RANDOM_SELECTION_SIZE, len(pool_idx), params.selection.max_train_size)
    random_folder = submission_root / SELECTION / f"random_{size}"
    reference_folder = submission_root / SELECTION / f"{REFERENCE_PREFIX}true_labels_{size}"
    for task in sorted(params.selection.tasks):
        chosen = np.sort(rng.choice(pool_idx, size=size, replace=False))
        coin = rng.integers(0, 2, size=size)
        truth = (y[chosen] == params.download.demo.concepts[task]).astype(np.int64)
        for folder, labels in ((random_folder, coin), (reference_folder, truth)):
            written.append(write_training_set(folder, task, ids[chosen], labels))
    folder = submission_root / DEBUGGING
    for data_id in sorted(params.debugging.data_ids):
        order, seconds = layout.timed_random_order(DEBUG_TRAIN, rng)
        written.append(write_ordering(folder, data_id, "random", order, seconds))
    return written
