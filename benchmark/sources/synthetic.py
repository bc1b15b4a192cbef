"""Synthetic resources at DataPerf's real sizes, for tests and benchmarks.

The pool is streamed to a Spark-style directory of part files, one part at a
time, so a pool of millions of 256-d float64 rows never sits in memory whole.
Each concept is a direction in embedding space; a pool row belongs to a concept
with probability ``positive_rate`` and is then shifted along its direction.
Debugging sets are two classes in 2048-d with 30% of training labels flipped,
embedded like CNN features: a few strong directions with a decaying spectrum plus
weak isotropic noise (:class:`LowRankEmbedding`); ``two_gaussian_classes`` keeps the
isotropic case for comparisons. Every part is seeded from (seed, part number): same parameters, same bytes.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..formats.atomic import atomic_write_text
from ..formats.parameters import Parameters
from ..formats.submissions import write_ordering, write_training_set
from ..logs import progress_bar
from ..workspace.layout import DEBUGGING, SELECTION
from . import layout

SIGNAL = 3.0  # shift along a concept direction, in noise standard deviations
DEBUG_SIGNAL = 2.5
EXAMPLE_SUBMISSION_SIZE = 500


def _directions(count: int, dim: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng([seed, 7])
    U = rng.standard_normal((count, dim))
    return U / np.linalg.norm(U, axis=1, keepdims=True)


def _concept_rows(rng: np.random.Generator, rows: int, directions: np.ndarray,
                  memberships: np.ndarray) -> np.ndarray:
    X = rng.standard_normal((rows, directions.shape[1]))
    X += SIGNAL * memberships.astype(np.float64) @ directions
    return X


def two_gaussian_classes(rng: np.random.Generator, n: int, direction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """n rows of two balanced classes, N(+-DEBUG_SIGNAL * direction, I), as float32 like DataPerf's encodings."""
    labels = (rng.random(n) < 0.5).astype(np.int64)
    X = rng.standard_normal((n, len(direction))) + DEBUG_SIGNAL * (2 * labels[:, None] - 1) * direction
    return X.astype(np.float32), labels


class LowRankEmbedding:
    """Embeddings like a CNN's: ``rank`` directions whose scales decay as 1/j**decay, plus noise.

    Two classes differ along a direction inside the strong subspace. Conditioning of
    such matrices is far worse than of isotropic noise, which is what makes
    first-order solvers slow on real embeddings.
    """

    def __init__(self, rng: np.random.Generator, dim: int, rank: int = 128, decay: float = 1.0,
                 noise: float = 0.05, signal: float = 0.35, mean_norm: float = 3.0):
        rank = min(rank, dim)
        basis, _ = np.linalg.qr(rng.standard_normal((dim, rank)))
        self.basis = basis.T                                    # (rank, dim), orthonormal rows
        self.scales = np.arange(1, rank + 1, dtype=np.float64) ** -decay
        self.noise = noise
        # features after a ReLU share a large positive mean: the worst-conditioned direction
        mean = np.abs(basis @ rng.standard_normal(rank))
        self.mean = mean_norm * mean / np.linalg.norm(mean)
        class_axis = rng.standard_normal(rank) * self.scales
        self.class_axis = signal * class_axis / np.linalg.norm(class_axis)

    def classes(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """n rows of two balanced classes, as float32 like DataPerf's encodings."""
        labels = (rng.random(n) < 0.5).astype(np.int64)
        latent = rng.standard_normal((n, len(self.scales))) * self.scales
        latent += (2 * labels[:, None] - 1) * self.class_axis
        X = self.mean + latent @ self.basis + self.noise * rng.standard_normal((n, self.basis.shape[1]))
        return X.astype(np.float32), labels


def condition_number(X: np.ndarray) -> float:
    """Largest over smallest singular value (of the min(n, d) there are)."""
    s = np.linalg.svd(np.asarray(X, dtype=np.float64), compute_uv=False)
    return float(s[0] / s[-1])


def build_synthetic(params: Parameters, data_root: Path, submission_root: Path | None) -> list[Path]:
    s = params.download.synthetic
    tasks = sorted(params.selection.tasks)
    directions = _directions(len(tasks), s.dim, s.seed)
    written: list[Path] = []

    # ---- selection pool, streamed part by part
    sel_root = data_root / SELECTION
    pool_dir = sel_root / params.selection.pool
    pool_dir.mkdir(parents=True, exist_ok=True)
    starts = range(0, s.pool_rows, s.rows_per_part)
    example_rows: tuple[list[str], np.ndarray] | None = None
    for part, start in enumerate(progress_bar(starts, desc="synthetic pool", unit="part")):
        rows = min(s.rows_per_part, s.pool_rows - start)
        rng = np.random.default_rng([s.seed, 1, part])
        member = rng.random((rows, len(tasks))) < s.positive_rate
        X = _concept_rows(rng, rows, directions, member)
        ids = layout.image_ids(f"pool-{s.seed}", rows, start)
        layout.write_table(pool_dir / f"part-{part:05d}.parquet", layout.selection_table(ids, X),
                           row_group_size=min(rows, 50_000))
        if part == 0:
            example_rows = (ids, member)
    atomic_write_text(pool_dir / "_SUCCESS", "")
    written.append(pool_dir)

    # ---- per task: a balanced test set and a few positive examples
    for t, task in enumerate(tasks):
        spec = params.selection.tasks[task]
        rng = np.random.default_rng([s.seed, 2, t])
        member = rng.random((s.test_rows, len(tasks))) < s.positive_rate
        member[:, t] = np.arange(s.test_rows) % 2 == 0
        X = _concept_rows(rng, s.test_rows, directions, member)
        ids = layout.image_ids(f"test-{s.seed}-{task}", s.test_rows)
        layout.write_table(sel_root / spec.test_set, layout.selection_table(ids, X, member[:, t].astype(np.int64)))
        written.append(sel_root / spec.test_set)
        if spec.examples and example_rows is not None:
            pool_ids, pool_member = example_rows
            positives = np.flatnonzero(pool_member[:, t])[: s.example_rows]
            layout.write_examples(sel_root / spec.examples, f"/synthetic/{task}", task,
                                  [pool_ids[i] for i in positives])
            written.append(sel_root / spec.examples)

    # ---- debugging: two classes of low-rank embeddings per data_id
    dbg_root = data_root / DEBUGGING
    for d, (data_id, spec) in enumerate(sorted(params.debugging.data_ids.items())):
        rng = np.random.default_rng([s.seed, 3, d])
        embedding = LowRankEmbedding(rng, s.debugging_dim)
        sizes = {"train": s.debugging_train_rows, "val": s.debugging_val_rows, "test": s.debugging_test_rows}
        clean = None
        for split, rel in (("train", spec.train), ("val", spec.val), ("test", spec.test)):
            n = sizes[split]
            X, labels = embedding.classes(rng, n)
            ids = layout.image_ids(f"debug-{s.seed}-{data_id}-{split}", n)
            shown = labels
            if split == "train":
                clean, train_ids = labels, ids
                shown = layout.flip_labels(labels, s.noise, rng)
            if rel is not None:
                layout.write_table(dbg_root / rel, layout.debugging_table(ids, X, shown))
                written.append(dbg_root / rel)
        layout.write_ground_truth(dbg_root / spec.ground_truth, train_ids, clean)
        written.append(dbg_root / spec.ground_truth)

    if submission_root is not None and params.download.write_examples and example_rows is not None:
        written += _example_submissions(params, example_rows, submission_root)
    return written


def _example_submissions(params: Parameters, example_rows: tuple[list[str], np.ndarray],
                         submission_root: Path) -> list[Path]:
    s = params.download.synthetic
    ids, member = example_rows
    rng = np.random.default_rng([s.seed, 4])
    size = min(EXAMPLE_SUBMISSION_SIZE, len(ids), params.selection.max_train_size)
    written = []
    folder = submission_root / SELECTION / f"random_{size}"
    for t, task in enumerate(sorted(params.selection.tasks)):
        chosen = np.sort(rng.choice(len(ids), size=size, replace=False))
        written.append(write_training_set(folder, task, [ids[i] for i in chosen], member[chosen, t]))
    folder = submission_root / DEBUGGING
    for data_id in sorted(params.debugging.data_ids):
        order, seconds = layout.timed_random_order(s.debugging_train_rows, rng)
        written.append(write_ordering(folder, data_id, "random", order, seconds))
    return written
