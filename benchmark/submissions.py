"""Readers for submission files, with errors that point at the file and line.

A bad submission raises :class:`InputError`; the evaluation tasks record the
message against that submission and go on scoring the others.
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from .errors import InputError


def require_folder(path: Path) -> None:
    """The submission path must be an existing folder."""
    if not path.is_dir():
        raise InputError("submission folder not found" if not path.exists()
                         else "submission path is not a folder", path)


def read_text(path: Path, what: str) -> str:
    """UTF-8 text of a submission file; empty, binary and non-UTF-8 files are errors."""
    if not path.is_file():
        raise InputError(f"{what} not found" if not path.exists() else f"{what} is not a file", path)
    data = path.read_bytes()
    if not data.strip():
        raise InputError("file is empty", path)
    if b"\x00" in data:
        raise InputError("file is binary, expected UTF-8 text", path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError("file is not UTF-8 text", path, line) from None
    return text


# --------------------------------------------------------------------------- selection
@dataclass(frozen=True)
class SelectionCsv:
    """A submitted training set for one task, in file order."""

    path: Path
    image_ids: list[str]
    labels: np.ndarray  # int64, 0/1
    lines: list[int]  # 1-based file line of each row, for error messages


def read_selection_csv(path: Path, max_rows: int) -> SelectionCsv:
    """Parse ``ImageID,Confidence`` rows (extra columns ignored), rejecting every malformed row."""
    text = read_text(path, "training set file")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except csv.Error as exc:
        raise InputError(f"malformed CSV ({exc})", path, 1) from None
    names = [h.strip() for h in header]
    if "ImageID" not in names or "Confidence" not in names:
        raise InputError(f"header must be ImageID,Confidence, found {','.join(names)[:80]!r}", path, 1)
    id_col, label_col = names.index("ImageID"), names.index("Confidence")
    ids: list[str] = []
    labels: list[int] = []
    lines: list[int] = []
    first_line: dict[str, int] = {}
    try:
        for row in reader:
            line = reader.line_num
            if not row or all(not cell.strip() for cell in row):
                continue  # blank line
            if len(row) <= max(id_col, label_col):
                raise InputError(f"row has {len(row)} field(s), expected ImageID and Confidence", path, line)
            image_id, label = row[id_col].strip(), row[label_col].strip()
            if not image_id:
                raise InputError("missing ImageID", path, line)
            if label not in ("0", "1"):
                raise InputError(f"Confidence {label!r} is not 0 or 1", path, line)
            if image_id in first_line:
                raise InputError(f"ImageID {image_id!r} repeats line {first_line[image_id]}", path, line)
            if len(ids) == max_rows:
                raise InputError(f"more than {max_rows} rows, the limit for a training set", path, line)
            first_line[image_id] = line
            ids.append(image_id)
            labels.append(int(label))
            lines.append(line)
    except csv.Error as exc:
        raise InputError(f"malformed CSV ({exc})", path, reader.line_num) from None
    if not ids:
        raise InputError("training set has a header but no rows", path)
    return SelectionCsv(path=path, image_ids=ids, labels=np.asarray(labels, dtype=np.int64), lines=lines)


# --------------------------------------------------------------------------- debugging
def split_debugging_name(filename: str, data_ids: Iterable[str]) -> tuple[str, str] | None:
    """``<data_id>_<method>.txt`` -> (data_id, method); None when no known data_id matches."""
    if not filename.endswith(".txt") or filename.startswith("time_"):
        return None
    stem = filename[: -len(".txt")]
    for data_id in sorted(data_ids, key=len, reverse=True):
        prefix = f"{data_id}_"
        if stem.startswith(prefix) and len(stem) > len(prefix):
            return data_id, stem[len(prefix):]
    return None


def read_ordering(path: Path, n_train: int) -> np.ndarray:
    """Distinct 0-based training-row indices, one per line; blank lines and whitespace tolerated."""
    text = read_text(path, "ordering file")
    order: list[int] = []
    first_line: dict[int, int] = {}
    for line_no, raw in enumerate(text.splitlines(), start=1):
        token = raw.strip()
        if not token:
            continue
        if not (token.isascii() and token.isdigit()):
            raise InputError(f"{token[:40]!r} is not a non-negative integer index", path, line_no)
        index = int(token)
        if index >= n_train:
            raise InputError(f"index {index} is out of range: the training set has {n_train} rows", path, line_no)
        if index in first_line:
            raise InputError(f"index {index} repeats line {first_line[index]}", path, line_no)
        first_line[index] = line_no
        order.append(index)
    return np.asarray(order, dtype=np.int64)


def read_time(path: Path) -> float:
    """Seconds a method took, from ``time_<data_id>_<method>.txt``: one finite non-negative number."""
    text = read_text(path, "time file")
    tokens = text.split()
    if len(tokens) != 1:
        raise InputError(f"expected one number of seconds, found {len(tokens)} values", path)
    try:
        seconds = float(tokens[0])
    except ValueError:
        raise InputError(f"{tokens[0][:40]!r} is not a number of seconds", path) from None
    if not math.isfinite(seconds) or seconds < 0:
        raise InputError(f"{tokens[0]!r} is not a finite non-negative number of seconds", path)
    return seconds
