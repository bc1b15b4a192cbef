"""Imitations of the published DataPerf resources: the same file names, columns and archive layouts.

Small dimensions (the real ones are 2048-d and 256-d), but the real row counts of
the debugging sets and the real names: the debugging zip unzips to
``embeddings/`` and ``data/``; the selection zip to
``dataperf-vision-selection-resources/{embeddings,test_sets}`` (and, as the original's later README has it,
``examples,train_sets,results``), while the Coactive repository itself ships ``data/examples``,
``data/train_sets/random_500.csv`` and ``data/results/result_for_random_500.json``.
``nest`` puts everything one folder deeper, which the harness must not mind.
Embeddings are low-rank (a decaying spectrum plus noise), like real ones.
"""
from __future__ import annotations

import io
import json
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

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


COACTIVE_REPO_FILES = tuple([f"examples/alpha_example_set_{t}.csv" for t in SELECTION_TASKS]
                            + ["train_sets/random_500.csv", "results/result_for_random_500.json"])


def write_selection(root: Path, tasks=SELECTION_TASKS, pool_rows: int = 3000, dim: int = 10, seed: int = 0,
                    repo_files: bool = True) -> dict:
    """``embeddings/train_emb_256_dataperf.parquet`` and ``test_sets/alpha_test_set_<Task>_256.parquet``
    (Confidence as the strings '0'/'1', like the originals'); with ``repo_files`` also what the Coactive
    repository ships in its data/ folder (COACTIVE_REPO_FILES: example sets, ``train_sets/random_500.csv``,
    ``results/result_for_random_500.json`` holding the original's scores of random_500). The returned
    ``repo_files`` maps those paths to their bytes either way."""
    rng = np.random.default_rng(seed)
    X = low_rank(rng, pool_rows, dim)
    ids = np.asarray(layout.image_ids("sel/pool", pool_rows), dtype=object)
    pool_path = root / "embeddings" / "train_emb_256_dataperf.parquet"
    layout.write_table(pool_path, layout.selection_table(ids, X))
    weights = {t: rng.standard_normal(dim) for t in tasks}
    tests = {}
    for t in tasks:
        tX = low_rank(np.random.default_rng(hash(t) % 1000 + seed), 120, dim)
        ty = (tX @ weights[t] > 0.2).astype(np.int64)
        tids = layout.image_ids(f"sel/test/{t}", 120)
        table = layout.selection_table(tids, tX, ty)
        table = table.set_column(1, "Confidence", pa.array([str(v) for v in ty], pa.string()))
        layout.write_table(root / "test_sets" / f"alpha_test_set_{t}_256.parquet", table)
        tests[t] = (tX, ty)
    chosen = rng.choice(pool_rows, 500, replace=False)
    labels = (X[chosen] @ weights[tasks[0]] > 0.2).astype(np.int64)
    frame = pd.DataFrame({"ImageID": ids[chosen], "Confidence": labels})
    files = {"train_sets/random_500.csv": frame.to_csv(index=False, lineterminator="\n").encode()}
    for t in tasks:
        best = np.argsort(-(X @ weights[t]), kind="stable")[:20]
        examples = pd.DataFrame({"LabelName": "/m/0test", "ImageID": ids[best], "Confidence": 1,
                                 "OriginalURL": [f"https://example.org/{i}.jpg" for i in ids[best]],
                                 "DisplayName": t})
        files[f"examples/alpha_example_set_{t}.csv"] = examples.to_csv(index=False, lineterminator="\n").encode()
    with tempfile.TemporaryDirectory() as scratch:
        train = Path(scratch) / "random_500.csv"
        train.write_bytes(files["train_sets/random_500.csv"])
        scores = {t: original_scores(train, pool_path, root / "test_sets" / f"alpha_test_set_{t}_256.parquet")
                  for t in tasks}
    files["results/result_for_random_500.json"] = json.dumps(scores, indent=4).encode()
    if repo_files:
        for rel, content in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(content)
    return {"pool_ids": ids, "pool_X": X, "tests": tests, "random_500": frame, "repo_files": files}


def original_scores(train_csv: Path, pool_parquet: Path, test_parquet: Path) -> dict[str, float]:
    """What CoactiveAI/dataperf-vision-selection computes, written out directly: the training CSV read as strings
    (Spark's CSV reader), inner-joined with the pool on ImageID (a repeated ImageID is kept as often as it appears,
    one not in the pool dropped), LogisticRegression(random_state=0) fitted on the joined rows, metrics on the test
    set with pos_label='1' (its labels are the strings '0'/'1'), in the key order of its result JSON."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

    train = pd.read_csv(train_csv, dtype=str)
    pool = pq.read_table(pool_parquet).to_pandas()
    joined = train.merge(pool[["ImageID", "embedding"]], on="ImageID")
    clf = LogisticRegression(random_state=0).fit(joined["embedding"].tolist(), joined["Confidence"].tolist())
    test = pq.read_table(test_parquet).to_pandas()
    y, predicted = test["Confidence"].tolist(), clf.predict(test["embedding"].tolist()).tolist()
    return {"accuracy": accuracy_score(y, predicted), "recall": recall_score(y, predicted, pos_label="1"),
            "precision": precision_score(y, predicted, pos_label="1"), "f1": f1_score(y, predicted, pos_label="1")}


def debugging_zip(work: Path, nest: str = "") -> bytes:
    write_debugging(work / "debugging" / nest)
    return zip_folder(work / "debugging")


def selection_zip(work: Path, nest: str = "", repo_files: bool = False) -> bytes:
    """The Drive zip: ``embeddings/`` and ``test_sets/`` as the original's first README lists them; with
    ``repo_files`` also ``examples/``, ``train_sets/`` and ``results/``, as its later README moves them."""
    write_selection(work / "selection" / nest / "dataperf-vision-selection-resources", repo_files=repo_files)
    return zip_folder(work / "selection")


def coactive_repo_files(work: Path) -> dict[str, bytes]:
    """The bytes of COACTIVE_REPO_FILES for the resources ``selection_zip(work)`` builds (same seed)."""
    return write_selection(work / "repo-files-scratch", repo_files=False)["repo_files"]
