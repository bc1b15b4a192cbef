"""Writers for DataPerf's resource file formats, so generated data looks exactly like real resources.

The readers of the same formats are in :mod:`benchmark.formats.resources`; submissions
are written by :mod:`benchmark.formats.submissions`. All writers are atomic and use fixed
parquet settings (:mod:`benchmark.formats.atomic`), so the same inputs give the same bytes.
"""
from __future__ import annotations

import hashlib
import math
import time
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from ..formats.atomic import atomic_write_parquet, atomic_write_text


def image_ids(prefix: str, count: int, start: int = 0) -> list[str]:
    """Stable 16-hex-digit identifiers like DataPerf's OpenImages IDs."""
    return [hashlib.blake2b(f"{prefix}/{i}".encode(), digest_size=8).hexdigest()
            for i in range(start, start + count)]


def embedding_array(X: np.ndarray) -> pa.FixedSizeListArray | pa.ListArray:
    """A list<float> column from an (n, d) matrix (float32 or float64 kept as given)."""
    X = np.ascontiguousarray(X)
    values = pa.array(X.reshape(-1))
    offsets = pa.array(np.arange(0, X.size + 1, X.shape[1], dtype=np.int32))
    return pa.ListArray.from_arrays(offsets, values)


def write_table(path: Path, table: pa.Table, row_group_size: int | None = None) -> None:
    atomic_write_parquet(path, table, row_group_size)


def selection_table(ids: Sequence[str], X: np.ndarray, labels: np.ndarray | None = None) -> pa.Table:
    columns = {"ImageID": pa.array(list(ids), pa.string())}
    if labels is not None:
        columns["Confidence"] = pa.array(np.asarray(labels, dtype=np.int64))
    columns["embedding"] = embedding_array(X)
    return pa.table(columns)


def debugging_table(ids: Sequence[str], X: np.ndarray, labels: np.ndarray) -> pa.Table:
    return pa.table({
        "filename": pa.array(list(ids), pa.string()),
        "encoding": embedding_array(X),
        "label": pa.array(np.asarray(labels, dtype=np.int64)),
    })


def write_examples(path: Path, label_name: str, display_name: str, ids: Iterable[str]) -> None:
    frame = pd.DataFrame({"LabelName": label_name, "ImageID": list(ids), "Confidence": 1,
                          "OriginalURL": "", "DisplayName": display_name})
    atomic_write_text(path, frame.to_csv(index=False, lineterminator="\n"))


def write_ground_truth(path: Path, ids: Sequence[str], clean: np.ndarray) -> None:
    frame = pd.DataFrame({"ImageID": list(ids), "hv_label": np.asarray(clean, dtype=np.int64)})
    atomic_write_text(path, frame.to_csv(index=False, lineterminator="\n"))


def timed_random_order(n: int, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """A random inspection order and the seconds it took, rounded up to the millisecond.

    Rounding keeps example time files byte-identical across reruns (drawing a
    permutation takes far less than a millisecond) while staying an honest upper bound.
    """
    start = time.perf_counter()
    order = rng.permutation(n)
    return order, math.ceil((time.perf_counter() - start) * 1000) / 1000


def flip_labels(labels: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Flip exactly round(fraction * n) labels, chosen at random (DataPerf's 30% noise)."""
    noisy = np.array(labels, copy=True)
    flipped = rng.choice(len(labels), size=int(round(fraction * len(labels))), replace=False)
    noisy[flipped] = 1 - noisy[flipped]
    return noisy
