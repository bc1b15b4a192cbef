"""Readers for the benchmark's resource files, validated at the edge.

Selection: the candidate pool (one parquet file or a directory of part files,
never loaded whole), per-task test sets and example sets. Debugging: per data_id
train/val/test parquet files and the ground-truth CSV. Every problem raises
:class:`ResourceError` naming the file, before any result is written.

The debugging readers use neither pandas nor pyarrow.dataset (nor pq.read_table, nor
pyarrow's to_numpy and compute functions, which import pandas): a debugging
evaluation at N = 300 takes about 1 s, a fifth of which was importing pandas.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

if TYPE_CHECKING:
    import pandas as pd

from ..errors import ResourceError, excerpt
from .csvrows import CsvProblem, records
from .embeddings import arrow_numbers, embedding_matrix


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
        with pq.ParquetFile(path) as parquet:
            return parquet.read(columns=columns)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ResourceError(f"{what} cannot be read ({_first_line(exc)})", path) from None


def _read_csv(path: Path, columns: list[str], what: str) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """A CSV resource as strings (no NA guessing): its columns by name (object arrays; the named
    ones required), and each row's file line."""
    _require_file(path, what)
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            for line, record in records(handle):
                if header is None:
                    header = [name.strip() for name in record]
                    continue
                if len(record) != len(header):
                    raise ResourceError(f"{what}: {len(record)} field(s) where the header has {len(header)}",
                                        path, line)
                rows.append(record)
                lines.append(line)
    except CsvProblem as problem:
        raise ResourceError(f"{what}: {problem.problem}", path, problem.line) from None
    except UnicodeDecodeError:
        raise ResourceError(f"{what} is not UTF-8 text", path) from None
    except OSError as exc:
        raise ResourceError(f"{what} cannot be read ({exc.strerror or type(exc).__name__})", path) from None
    if header is None:
        raise ResourceError(f"{what} is empty", path)
    missing = [c for c in columns if c not in header]
    if missing:
        raise ResourceError(f"{what} lacks column(s) {', '.join(missing)} (has: {excerpt(','.join(header), 80)})",
                            path, 1)
    table: dict[str, np.ndarray] = {}
    for i, name in enumerate(header):
        column = np.empty(len(rows), dtype=object)
        column[:] = [record[i] for record in rows]
        table.setdefault(name, column)          # a name repeated in the header: its first column
    return table, np.asarray(lines, dtype=np.int64)


def binary_labels(values: pa.ChunkedArray | pa.Array | np.ndarray, path: Path, name: str,
                  lines: np.ndarray | None = None) -> np.ndarray:
    """0/1 labels from integers, booleans or the strings '0'/'1' (DataPerf uses both).

    ``lines``: the file line of each value (CSV files), so an error names the line.
    """
    if isinstance(values, (pa.ChunkedArray, pa.Array)):
        if values.null_count:
            raise ResourceError(f"column {name!r} has missing labels", path)
        if pa.types.is_boolean(values.type) or pa.types.is_integer(values.type) or pa.types.is_floating(values.type):
            values = arrow_numbers(values)
        else:
            values = np.asarray(values.to_pylist(), dtype=object)
    values = np.asarray(values)
    if values.dtype.kind == "b":
        return values.astype(np.int64)
    if values.dtype.kind in "OUS":
        if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in values):
            raise ResourceError(f"column {name!r} has missing labels", path)
        text = np.array([str(v).strip() for v in values], dtype=object)
        bad = (text != "0") & (text != "1")
        labels = (text == "1").astype(np.int64)
    else:
        if values.dtype.kind == "f" and np.isnan(values).any():
            raise ResourceError(f"column {name!r} has missing labels", path)
        bad = ~np.isin(values, [0, 1])
        labels = values
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        value = excerpt(values[row])
        if lines is not None:
            raise ResourceError(f"column {name!r} has label {value}, expected 0 or 1", path, int(lines[row]))
        raise ResourceError(f"column {name!r}: row {row} has label {value}, expected 0 or 1", path)
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
        import pyarrow.dataset as ds  # here only (it imports pandas): the debugging readers never need it

        try:
            self.dataset = ds.dataset(self.path, format="parquet")
        except (pa.ArrowInvalid, OSError) as exc:
            raise ResourceError(f"candidate pool is not readable parquet ({_first_line(exc)})", self.path) from None
        if not self.dataset.files:
            raise ResourceError("candidate pool holds no parquet files", self.path)
        self._check_parts()

    def _check_parts(self) -> None:
        """Every part file must be readable parquet with ImageID (strings) and embedding (lists of
        numbers) of the same types as the first part.

        A dataset takes its schema from one file; a part that differs would silently lose
        rows (an int64 ImageID never matches), so the part that differs is named instead.
        """
        first: tuple[str, str, str] | None = None
        for part in self.dataset.files:
            try:
                schema = pq.read_schema(part, filesystem=self.dataset.filesystem)
            except (pa.ArrowInvalid, OSError) as exc:
                raise ResourceError(f"candidate pool part is not readable parquet ({_first_line(exc)})", part) from None
            missing = [c for c in (self.ID, self.EMBEDDING) if c not in schema.names]
            if missing:
                raise ResourceError(f"candidate pool part lacks column(s) {', '.join(missing)} "
                                    f"(has: {excerpt(', '.join(schema.names), 80)})", part)
            id_type, embedding_type = schema.field(self.ID).type, schema.field(self.EMBEDDING).type
            if not (pa.types.is_string(id_type) or pa.types.is_large_string(id_type)):
                raise ResourceError(f"candidate pool part: column {self.ID!r} must hold strings, found {id_type}", part)
            if not ((pa.types.is_list(embedding_type) or pa.types.is_large_list(embedding_type)
                     or pa.types.is_fixed_size_list(embedding_type))
                    and (pa.types.is_floating(embedding_type.value_type)
                         or pa.types.is_integer(embedding_type.value_type))):
                raise ResourceError(f"candidate pool part: column {self.EMBEDDING!r} must be a list of numbers, "
                                    f"found {embedding_type}", part)
            # the list's item name ("item", "element") differs between writers and does not matter
            kind = ("fixed_size_list" if pa.types.is_fixed_size_list(embedding_type) else
                    "large_list" if pa.types.is_large_list(embedding_type) else "list")
            size = f", {embedding_type.list_size}" if kind == "fixed_size_list" else ""
            described = (part, str(id_type), f"{kind}<{embedding_type.value_type}{size}>")
            if first is None:
                first = described
            elif described[1:] != first[1:]:
                raise ResourceError(
                    f"candidate pool part has {self.ID} {described[1]} and {self.EMBEDDING} {described[2]}, but "
                    f"{Path(first[0]).name} has {first[1]} and {first[2]}; every part must share one schema", part)

    def _parts_holding(self, image_id: str) -> list[str]:
        """The part files holding an ImageID (error messages only: one more filtered scan)."""
        try:
            found = self.dataset.to_table(columns=["__filename"], filter=pc.field(self.ID) == image_id)
        except (pa.ArrowInvalid, OSError):
            return []
        return sorted({Path(name).name for name in found.column("__filename").to_pylist()})

    def _row_label(self, ids: np.ndarray) -> "Callable[[int], str]":
        def label(row: int) -> str:
            parts = self._parts_holding(str(ids[row]))
            return f"ImageID {excerpt(ids[row])}" + (f" (in {', '.join(parts)})" if parts else "")
        return label

    def lookup(self, image_ids: Iterable[str], expected_dim: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Rows for the given ImageIDs that exist in the pool: (sorted ids, float64 matrix).

        One filtered pass over the whole pool; IDs absent from the pool are simply
        not returned (the caller reports them against the submission).
        """
        wanted = pa.array(sorted(set(image_ids)), type=pa.string())
        columns = [self.ID, self.EMBEDDING]
        try:
            # File by file in 8,192-row batches, each filtered as it is decoded: peak memory is
            # about one decoded row group plus the matched rows, whether the pool is many part
            # files or one big file (measured: perf/selection_memory.py).
            parts = []
            for path in self.dataset.files:
                # buffer_size: column chunks are streamed in 1 MiB reads; unbuffered (0), each whole
                # compressed chunk is read first: 685 MiB peak on a 500,000-row single-file pool
                # against 383-409 MiB (perf/selection_memory.py --rows 500000 --parts 1)
                with pq.ParquetFile(path, pre_buffer=False, buffer_size=1 << 20) as parquet:
                    for batch in parquet.iter_batches(batch_size=8192, columns=columns, use_threads=False):
                        batch = batch.filter(pc.is_in(batch.column(self.ID), value_set=wanted))
                        if batch.num_rows:
                            parts.append(batch)
            table = (pa.Table.from_batches(parts) if parts
                     else self.dataset.schema.empty_table().select(columns))
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OSError) as exc:
            raise ResourceError(f"candidate pool cannot be scanned ({_first_line(exc)})", self.path) from None
        ids = _string_ids(table.column(self.ID), self.path, self.ID)
        X = embedding_matrix(table.column(self.EMBEDDING), self.path, self.EMBEDDING, expected_dim,
                             row_label=self._row_label(ids))
        order = np.argsort(ids, kind="stable")
        ids, X = ids[order], X[order]
        if len(ids) > 1:
            dup = np.flatnonzero(ids[1:] == ids[:-1])
            if dup.size:
                parts = self._parts_holding(str(ids[dup[0]]))
                raise ResourceError(f"candidate pool holds ImageID {excerpt(ids[dup[0]])} more than once "
                                    f"(in {', '.join(parts) or 'one part'})", self.path)
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


def read_examples(path: str | Path) -> "pd.DataFrame":
    """The labeled example set of a task (LabelName,ImageID,Confidence,OriginalURL,DisplayName)."""
    import pandas as pd

    path = Path(path)
    columns, lines = _read_csv(path, ["ImageID", "Confidence"], "example set")
    columns["Confidence"] = binary_labels(columns["Confidence"], path, "Confidence", lines)
    return pd.DataFrame(columns)


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
    columns, lines = _read_csv(path, ["ImageID", "hv_label"], "ground truth")
    labels = binary_labels(columns["hv_label"], path, "hv_label", lines)
    ids = columns["ImageID"]
    position: dict[str, int] = {}
    for row, image_id in enumerate(ids):
        first = position.setdefault(image_id, row)
        if first != row:
            raise ResourceError(f"ground truth lists ImageID {excerpt(image_id)} again (first on line {lines[first]})",
                                path, int(lines[row]))
    absent = [image_id for image_id in train_ids if image_id not in position]
    if absent:
        raise ResourceError(
            f"ground truth has no label for {len(absent)} training row(s), first {excerpt(absent[0])}", path)
    training = set(train_ids)
    outside = [row for row, image_id in enumerate(ids) if image_id not in training]
    if outside:
        raise ResourceError(f"ground truth holds {len(outside)} row(s) that are not in the training set, "
                            f"first {excerpt(ids[outside[0]])}", path, int(lines[outside[0]]))
    return labels[np.fromiter((position[image_id] for image_id in train_ids), dtype=np.int64, count=len(train_ids))]


def load_debugging_data(data_id: str, root: Path, train: str, test: str, ground_truth: str,
                        val: str | None = None) -> DebuggingData:
    """Load and cross-check the files of one data_id (paths relative to root)."""
    train_set = read_debugging_split(root / train, f"training set of {data_id}")
    if len(set(train_set.ids)) < len(train_set.ids):
        raise ResourceError("training set lists a filename twice", root / train)
    dim = train_set.X.shape[1]
    test_set = read_debugging_split(root / test, f"test set of {data_id}", dim)
    val_set = None if val is None else read_debugging_split(root / val, f"validation set of {data_id}", dim)
    clean = read_ground_truth(root / ground_truth, train_set.ids)
    if len(np.unique(clean)) < 2:
        raise ResourceError("ground truth holds only one class; no classifier can be trained", root / ground_truth)
    return DebuggingData(data_id=data_id, train=train_set, clean_labels=clean, test=test_set, val=val_set)

