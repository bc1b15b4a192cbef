"""Imitations of the published DataPerf resources: the same file names, columns and archive layouts.

Small dimensions (the real ones are 2048-d and 256-d), but the real row counts of
the debugging sets and the real names: the debugging zip unzips to
``embeddings/`` and ``data/``; the selection zip to
``dataperf-vision-selection-resources/{embeddings,test_sets,train_sets}``.
``nest`` puts everything one folder deeper, which the harness must not mind.
Embeddings are low-rank (a decaying spectrum plus noise), like real ones.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.sources import layout

DEBUGGING_DATA_IDS = ["01g317-flipped", "04hgtk-flipped", "04rky-flipped", "09j2d-flipped",
                      "01g317", "04hgtk", "04rky", "09j2d"]
SELECTION_TASKS = ["Cupcake", "Hawk", "Sushi"]
DEBUGGING_FILE_ID = "1_-WZCGd31XTENCtVjP4GqDLYShP3NzwK"
SELECTION_FOLDER_ID = "181uI-7NFJwK3IOPy2kOYVIQS4vZOC02A"


def low_rank(rng: np.random.Generator, n: int, dim: int, rank: int = 4) -> np.ndarray:
    basis = np.linalg.qr(rng.standard_normal((dim, rank)))[0].T  # rank x dim, orthonormal rows
    scale = 3.0 * 0.5 ** np.arange(rank)
    return (rng.standard_normal((n, rank)) * scale) @ basis + 0.05 * rng.standard_normal((n, dim))


def zip_folder(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


def write_debugging(root: Path, data_ids=DEBUGGING_DATA_IDS, dim: int = 12, seed: int = 0) -> None:
    """``embeddings/<id>_{train_0.3_300,val_100,test_500}.parquet`` and ``data/dataset_<id>_train.csv``."""
    for k, data_id in enumerate(data_ids):
        rng = np.random.default_rng(seed + k)
        X = low_rank(rng, 900, dim)
        w = rng.standard_normal(dim)
        y = (X @ w + 0.3 * rng.standard_normal(900) > 0).astype(np.int64)
        ids = np.asarray(layout.image_ids(f"dbg/{data_id}", 900), dtype=object)
        tr, va, te = slice(0, 300), slice(300, 400), slice(400, 900)
        noisy = layout.flip_labels(y[tr], 0.3, rng)
        emb = root / "embeddings"
        layout.write_table(emb / f"{data_id}_train_0.3_300.parquet", layout.debugging_table(ids[tr], X[tr], noisy))
        layout.write_table(emb / f"{data_id}_val_100.parquet", layout.debugging_table(ids[va], X[va], y[va]))
        layout.write_table(emb / f"{data_id}_test_500.parquet", layout.debugging_table(ids[te], X[te], y[te]))
        layout.write_ground_truth(root / "data" / f"dataset_{data_id}_train.csv", ids[tr], y[tr])


def write_selection(root: Path, tasks=SELECTION_TASKS, pool_rows: int = 3000, dim: int = 10, seed: int = 0) -> dict:
    """``embeddings/train_emb_256_dataperf.parquet``, ``test_sets/alpha_test_set_<Task>_256.parquet``
    (Confidence as the strings '0'/'1', like the originals') and ``train_sets/random_500.csv``."""
    rng = np.random.default_rng(seed)
    X = low_rank(rng, pool_rows, dim)
    ids = np.asarray(layout.image_ids("sel/pool", pool_rows), dtype=object)
    layout.write_table(root / "embeddings" / "train_emb_256_dataperf.parquet", layout.selection_table(ids, X))
    weights = {t: rng.standard_normal(dim) for t in tasks}
    tests = {}
    for t in tasks:
        tX = low_rank(np.random.default_rng(hash(t) % 1000 + seed), 120, dim)
        ty = (tX @ weights[t] > 0.2).astype(np.int64)
        tids = layout.image_ids(f"sel/test/{t}", 120)
        table = layout.selection_table(tids, tX, ty)
        import pyarrow as pa

        table = table.set_column(1, "Confidence", pa.array([str(v) for v in ty], pa.string()))
        layout.write_table(root / "test_sets" / f"alpha_test_set_{t}_256.parquet", table)
        tests[t] = (tX, ty)
    chosen = rng.choice(pool_rows, 500, replace=False)
    labels = (X[chosen] @ weights[tasks[0]] > 0.2).astype(np.int64)
    frame = pd.DataFrame({"ImageID": ids[chosen], "Confidence": labels})
    (root / "train_sets").mkdir(parents=True, exist_ok=True)
    (root / "train_sets" / "random_500.csv").write_text(frame.to_csv(index=False, lineterminator="\n"))
    return {"pool_ids": ids, "pool_X": X, "tests": tests, "random_500": frame}


def debugging_zip(work: Path, nest: str = "") -> bytes:
    write_debugging(work / "debugging" / nest)
    return zip_folder(work / "debugging")


def selection_zip(work: Path, nest: str = "") -> bytes:
    write_selection(work / "selection" / nest / "dataperf-vision-selection-resources")
    return zip_folder(work / "selection")
