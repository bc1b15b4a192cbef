"""Readers for the benchmark's resource files, validated at the edge.

Selection: the candidate pool (one parquet file or a directory of part files,
never loaded whole), per-task test sets and example sets. Debugging: per data_id
train/val/test parquet files and the ground-truth CSV. Every problem raises
:class:`ResourceError` naming the file, before any result is written.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from .embeddings import embedding_matrix
from .errors import ResourceError


@dataclass(frozen=True)
class LabeledEmbeddings:
    """Rows of a labeled parquet file: identifiers, float64 features, 0/1 labels."""

    ids: np.ndarray  # object array of str
    X: np.ndarray  # (n, d) float64
    y: np.ndarray  # (n,) int64 in {0, 1}


# --------------------------------------------------------------------------- shared
def _require_file(path: Path, what: str) -> None:
    if not path.exists():
        raise ResourceError(f"{what} not found", path)
    if not path.is_file():
        raise ResourceError(f"{what} is not a file", path)


def _read_parquet(path: Path, columns: list[str], what: str) -> pa.Table:
    _require_file(path, what)
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ResourceError(f"{what} is not a readable parquet file ({_first_line(exc)})", path) from None
    missing = [c for c in columns if c not in schema.names]
    if missing:
        raise ResourceError(
            f"{what} lacks column(s) {', '.join(missing)} (has: {', '.join(schema.names)})", path)
    try:
        return pq.read_table(path, columns=columns)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ResourceError(f"{what} cannot be read ({_first_line(exc)})", path) from None


def _read_csv(path: Path, columns: list[str], what: str) -> pd.DataFrame:
    """A CSV resource as strings (no NA guessing), with the named columns present."""
    _require_file(path, what)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ResourceError(f"{what} cannot be parsed ({_first_line(exc)})", path) from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ResourceError(f"{what} lacks column(s) {', '.join(missing)}", path)
    return frame


def binary_labels(values: pa.ChunkedArray | pa.Array | pd.Series, path: Path, name: str) -> np.ndarray:
    """0/1 labels from integers, booleans or the strings '0'/'1' (DataPerf uses both)."""
    if isinstance(values, (pa.ChunkedArray, pa.Array)):
        if values.null_count:
            raise ResourceError(f"column {name!r} has missing labels", path)
        values = values.to_pandas()
    series = pd.Series(values)
    if series.isna().any():
        raise ResourceError(f"column {name!r} has missing labels", path)
    if series.dtype == object or pd.api.types.is_string_dtype(series):
        text = series.astype(str).str.strip()
        bad = ~text.isin(["0", "1"])
        labels = np.where(text == "1", 1, 0)
    elif pd.api.types.is_bool_dtype(series):
        return series.to_numpy().astype(np.int64)
    else:
        numeric = series.to_numpy()
        bad = pd.Series(~np.isin(numeric, [0, 1]))
        labels = numeric
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ResourceError(f"column {name!r}: row {row} has label {_show(series.iloc[row])}, expected 0 or 1", path)
    return np.asarray(labels, dtype=np.int64)


def _string_ids(column: pa.ChunkedArray, path: Path, name: str) -> np.ndarray:
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        raise ResourceError(f"column {name!r} must hold strings, found {column.type}", path)
    if column.null_count:
        raise ResourceError(f"column {name!r} has missing identifiers", path)
    return np.asarray(column.to_pylist(), dtype=object)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# --------------------------------------------------------------------------- selection
class CandidatePool:
    """The selection candidate pool, scanned with a filter so only wanted rows are read.

    The real pool is more than a million 256-d rows in ~72 part files (over 2 GB as
    float64); it is never loaded into memory as a whole.
    """

    ID, EMBEDDING = "ImageID", "embedding"

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.exists():
            raise ResourceError("candidate pool not found", self.path)
        try:
            self.dataset = ds.dataset(self.path, format="parquet")
        except (pa.ArrowInvalid, OSError) as exc:
            raise ResourceError(f"candidate pool is not readable parquet ({_first_line(exc)})", self.path) from None
        if not self.dataset.files:
            raise ResourceError("candidate pool holds no parquet files", self.path)
        names = self.dataset.schema.names
        missing = [c for c in (self.ID, self.EMBEDDING) if c not in names]
        if missing:
            raise ResourceError(
                f"candidate pool lacks column(s) {', '.join(missing)} (has: {', '.join(names)})", self.path)

    def lookup(self, image_ids: Iterable[str], expected_dim: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Rows for the given ImageIDs that exist in the pool: (sorted ids, float64 matrix).

        One filtered scan of the whole pool; IDs absent from the pool are simply
        not returned (the caller reports them against the submission).
        """
        wanted = pa.array(sorted(set(image_ids)), type=pa.string())
        try:
            # One fragment and one batch in flight: peak memory is about one decoded
            # row group, not the readahead of many (measured: perf/selection_memory.py).
            table = self.dataset.scanner(
                columns=[self.ID, self.EMBEDDING],
                filter=pc.field(self.ID).isin(wanted),
                batch_size=8192,
                batch_readahead=1,
                fragment_readahead=1,
                use_threads=False,
            ).to_table()
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OSError) as exc:
            raise ResourceError(f"candidate pool cannot be scanned ({_first_line(exc)})", self.path) from None
        ids = _string_ids(table.column(self.ID), self.path, self.ID)
        X = embedding_matrix(table.column(self.EMBEDDING), self.path, self.EMBEDDING, expected_dim)
        order = np.argsort(ids, kind="stable")
        ids, X = ids[order], X[order]
        if len(ids) > 1:
            dup = np.flatnonzero(ids[1:] == ids[:-1])
            if dup.size:
                raise ResourceError(f"candidate pool holds ImageID {ids[dup[0]]!r} more than once", self.path)
        return ids, X


def read_test_set(path: str | Path) -> LabeledEmbeddings:
    """A selection test set: ImageID, Confidence (0/1 or '0'/'1'), embedding; other columns ignored."""
    path = Path(path)
    table = _read_parquet(path, ["ImageID", "Confidence", "embedding"], "test set")
    if table.num_rows == 0:
        raise ResourceError("test set is empty", path)
    ids = _string_ids(table.column("ImageID"), path, "ImageID")
    y = binary_labels(table.column("Confidence"), path, "Confidence")
    X = embedding_matrix(table.column("embedding"), path, "embedding")
    return LabeledEmbeddings(ids=ids, X=X, y=y)


def read_examples(path: str | Path) -> pd.DataFrame:
    """The labeled example set of a task (LabelName,ImageID,Confidence,OriginalURL,DisplayName)."""
    path = Path(path)
    frame = _read_csv(path, ["ImageID", "Confidence"], "example set")
    frame["Confidence"] = binary_labels(frame["Confidence"], path, "Confidence")
    return frame


# --------------------------------------------------------------------------- debugging
@dataclass(frozen=True)
class DebuggingData:
    """Everything the debugging evaluation needs for one data_id."""

    data_id: str
    train: LabeledEmbeddings  # y holds the noisy labels
    clean_labels: np.ndarray  # ground truth, aligned with train rows
    test: LabeledEmbeddings
    val: LabeledEmbeddings | None = None

    @property
    def mislabeled(self) -> np.ndarray:
        return self.train.y != self.clean_labels


def read_debugging_split(path: str | Path, what: str, expected_dim: int | None = None) -> LabeledEmbeddings:
    """A debugging parquet file: filename, encoding, label."""
    path = Path(path)
    table = _read_parquet(path, ["filename", "encoding", "label"], what)
    if table.num_rows == 0:
        raise ResourceError(f"{what} is empty", path)
    ids = _string_ids(table.column("filename"), path, "filename")
    X = embedding_matrix(table.column("encoding"), path, "encoding", expected_dim)
    y = binary_labels(table.column("label"), path, "label")
    return LabeledEmbeddings(ids=ids, X=X, y=y)


def read_ground_truth(path: str | Path, train_ids: np.ndarray) -> np.ndarray:
    """Clean labels aligned with the training rows, matched by filename == ImageID."""
    path = Path(path)
    frame = _read_csv(path, ["ImageID", "hv_label"], "ground truth")
    labels = binary_labels(frame["hv_label"], path, "hv_label")
    ids = frame["ImageID"].to_numpy(dtype=object)
    seen = pd.Index(ids)
    if seen.has_duplicates:
        raise ResourceError(f"ground truth lists ImageID {seen[seen.duplicated()][0]!r} twice", path)
    position = pd.Series(np.arange(len(ids)), index=seen)
    train = pd.Index(train_ids)
    absent = train[~train.isin(seen)]
    if len(absent):
        raise ResourceError(
            f"ground truth has no label for {len(absent)} training row(s), first {absent[0]!r}", path)
    extra = seen[~seen.isin(train)]
    if len(extra):
        raise ResourceError(
            f"ground truth holds {len(extra)} row(s) that are not in the training set, first {extra[0]!r}", path)
    return labels[position.loc[train].to_numpy()]


def load_debugging_data(data_id: str, root: Path, train: str, test: str, ground_truth: str,
                        val: str | None = None) -> DebuggingData:
    """Load and cross-check the files of one data_id (paths relative to root)."""
    train_set = read_debugging_split(root / train, f"training set of {data_id}")
    if pd.Index(train_set.ids).has_duplicates:
        raise ResourceError("training set lists a filename twice", root / train)
    dim = train_set.X.shape[1]
    test_set = read_debugging_split(root / test, f"test set of {data_id}", dim)
    val_set = None if val is None else read_debugging_split(root / val, f"validation set of {data_id}", dim)
    clean = read_ground_truth(root / ground_truth, train_set.ids)
    if len(np.unique(clean)) < 2:
        raise ResourceError("ground truth holds only one class; no classifier can be trained", root / ground_truth)
    return DebuggingData(data_id=data_id, train=train_set, clean_labels=clean, test=test_set, val=val_set)


def _show(value: object) -> str:
    return repr(value.item() if isinstance(value, np.generic) else value)
