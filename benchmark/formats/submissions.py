"""Submissions of both benchmarks: their file names, how they are found, read and written.

Selection: ``<submission_root>/<name>/<Task>.csv`` (``ImageID,Confidence``), one
folder per submission. Debugging: ``<submission_root>/<data_id>_<method>.txt``
(one 0-based row index per line) and optionally ``time_<data_id>_<method>.txt``
(seconds the method took). The evaluations get parsed content from here, each
part either its value or the :class:`InputError` that makes it invalid, so one
bad file never costs the others their scores. Files that are not part of any
submission are returned as *stray* and never scored. Baselines, example
submissions and the plot task use the same names and writers.
"""
from __future__ import annotations

import io
import math
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np

from ..errors import InputError, excerpt
from .atomic import atomic_write_text
from .csvrows import CsvProblem, records

TIME_PREFIX = "time_"


# --------------------------------------------------------------------------- names
def training_set_file(task: str) -> str:
    return f"{task}.csv"


def ordering_file(data_id: str, method: str) -> str:
    return f"{data_id}_{method}.txt"


def time_file(data_id: str, method: str) -> str:
    return f"{TIME_PREFIX}{ordering_file(data_id, method)}"


def _hidden(path: Path) -> bool:
    return path.name.startswith(".")


def require_folder(path: Path) -> None:
    """The submission path must be an existing folder."""
    if not path.is_dir():
        raise InputError("submission folder not found" if not path.exists()
                         else "submission path is not a folder", path)


# Bounded reads: the largest file each format allows, derived from its limits.
BYTES_PER_TRAINING_ROW = 1024  # an ImageID is 16 characters; extra columns are allowed but not essays
BYTES_PER_ORDER_LINE = 64  # an index of a few digits plus surrounding spaces
MAX_TIME_FILE_BYTES = 4096
MAX_INDEX_DIGITS = 18  # any real training set index fits; longer tokens are refused before int()


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def leaves_root(path: Path, root: Path) -> bool:
    """True when ``path`` (through any symbolic links) resolves outside the submission root."""
    return not _inside(os.path.realpath(path), os.path.realpath(root))


def read_bytes(path: Path, what: str, root: Path, max_bytes: int) -> bytes:
    """The bytes of a submission file, refused in one line *before any read* when it is not a
    regular file inside ``root`` (symbolic links leaving it, devices, FIFOs) or is larger than
    its format allows; at most ``max_bytes`` are ever read.

    Results are published: a link to a file elsewhere must never put that file's
    content into an error message, and a hostile file must not exhaust memory.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{what} not found" if not os.path.islink(path)
                         else f"{what} is a symbolic link to nothing", path) from None
    except OSError as exc:
        raise InputError(f"{what} cannot be read ({exc.strerror or type(exc).__name__})", path) from None
    if leaves_root(path, root):
        raise InputError(f"{what} is a symbolic link leading outside the submission folder; refused", path)
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{what} is {_kind(st.st_mode)}, expected a regular file; refused", path)
    if st.st_size > max_bytes:
        raise InputError(f"{what} is {st.st_size} bytes, more than the {max_bytes} its format allows", path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):  # swapped since the check
                raise InputError(f"{what} is not a regular file; refused", path)
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(f"{what} cannot be read ({exc.strerror or type(exc).__name__})", path) from None
    if len(data) > max_bytes:
        raise InputError(f"{what} is more than the {max_bytes} bytes its format allows", path)
    return data


def read_text(path: Path, what: str, root: Path | None = None, max_bytes: int = 1 << 20) -> str:
    """UTF-8 text of a submission file (see :func:`read_bytes`); empty, binary and non-UTF-8 files are errors."""
    data = read_bytes(path, what, path.parent if root is None else root, max_bytes)
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
    repeats: tuple[tuple[str, int, int], ...] = ()  # (ImageID, line, line it first appeared on), when allowed


def read_selection_csv(path: Path, max_rows: int, root: Path | None = None,
                       repeats_allowed: bool = False) -> SelectionCsv:
    """Parse ``ImageID,Confidence`` rows (extra columns ignored), rejecting every malformed row.

    A repeated ImageID is an error unless ``repeats_allowed`` (the dataperf_2022
    protocol: the original evaluator trains on every row); then each repeat is kept
    and listed in ``repeats``.
    """
    text = read_text(path, "training set file", root, (max_rows + 1) * BYTES_PER_TRAINING_ROW)
    rows = records(io.StringIO(text, newline=""))
    try:
        _, header = next(rows)
    except StopIteration:
        raise InputError("file is empty", path) from None
    except CsvProblem as problem:
        raise InputError(problem.problem, path, problem.line) from None
    names = [h.strip() for h in header]
    if "ImageID" not in names or "Confidence" not in names:
        raise InputError(f"header must be ImageID,Confidence, found {excerpt(','.join(names), 80)}", path, 1)
    id_col, label_col = names.index("ImageID"), names.index("Confidence")
    ids: list[str] = []
    labels: list[int] = []
    lines: list[int] = []
    repeats: list[tuple[str, int, int]] = []
    first_line: dict[str, int] = {}
    try:
        for line, row in rows:
            if len(row) <= max(id_col, label_col):
                raise InputError(f"row has {len(row)} field(s), expected ImageID and Confidence", path, line)
            image_id, label = row[id_col].strip(), row[label_col].strip()
            if not image_id:
                raise InputError("missing ImageID", path, line)
            if label not in ("0", "1"):
                raise InputError(f"Confidence {excerpt(label)} is not 0 or 1", path, line)
            if image_id in first_line:
                if not repeats_allowed:
                    raise InputError(f"ImageID {excerpt(image_id)} repeats line {first_line[image_id]}", path, line)
                repeats.append((image_id, line, first_line[image_id]))
            if len(ids) == max_rows:
                raise InputError(f"more than {max_rows} rows, the limit for a training set", path, line)
            first_line.setdefault(image_id, line)
            ids.append(image_id)
            labels.append(int(label))
            lines.append(line)
    except CsvProblem as problem:
        raise InputError(problem.problem, path, problem.line) from None
    if not ids:
        raise InputError("training set has a header but no rows", path)
    return SelectionCsv(path=path, image_ids=ids, labels=np.asarray(labels, dtype=np.int64), lines=lines,
                        repeats=tuple(repeats))


TASK_SETUP = "task_setup.yaml"  # the original's mapping: <Task>: [<training set>.csv, <test set>.parquet]
MAX_TASK_SETUP_BYTES = 64 * 1024


def read_task_setup(path: Path, tasks: Sequence[str], root: Path) -> dict[str, str]:
    """The training set file of each task a ``task_setup.yaml`` (the Coactive evaluator's) names.

    Its task entries are ``<Task>: ['train_sets/<file>.csv', 'test_sets/...']``;
    every other key (``data_dir``, ``emb_file``, ``dim``, ...) is the original's
    own setting and ignored. Task names match case-insensitively.
    """
    from .parameters import strict_yaml  # the same strict YAML reading as parameters.yaml

    raw = strict_yaml(read_text(path, "task setup file", root, MAX_TASK_SETUP_BYTES), path)
    if not isinstance(raw, dict):
        raise InputError("expected a mapping <Task>: [training set, test set], as the original's task_setup.yaml",
                         path)
    by_fold = {task.casefold(): task for task in tasks}
    mapping: dict[str, str] = {}
    for key, value in raw.items():
        task = by_fold.get(str(key).casefold())
        if task is None:
            continue
        first = value[0] if isinstance(value, list) and value else value
        if not isinstance(first, str) or not first.strip():
            raise InputError(f"{key}: expected [training set file, test set file], found {excerpt(str(value), 60)}",
                             path)
        if task in mapping:
            raise InputError(f"task {task} is named twice (task names match case-insensitively)", path)
        mapping[task] = first.strip()
    return mapping


def _mapped_file(folder: Path, rel: str, task: str, source: str) -> Path:
    """The file a mapping names: the path as written inside the folder, else the file of that name beside it.

    (The original's paths are relative to its data folder, e.g. ``train_sets/Hawk.csv``,
    while the files usually sit right in the submission folder.)
    """
    parts = [p for p in rel.replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts or ".." in parts or rel.startswith(("/", "\\")):
        raise InputError(f"{source} names {excerpt(rel)} for {task}: expected a path inside the submission folder",
                         folder)
    for candidate in (folder.joinpath(*parts), folder / parts[-1]):
        if os.path.lexists(candidate):
            return candidate
    raise InputError(f"training set file not found ({source} names {excerpt(rel)} for {task})", folder.joinpath(*parts))


def _named_file(folder: Path, names: Sequence[str], task: str) -> Path:
    """``<Task>.csv``, else the one file whose name equals it case-insensitively (``cupcake.csv``)."""
    exact = folder / training_set_file(task)
    if os.path.lexists(exact):
        return exact
    folded = [n for n in names if n.casefold() == training_set_file(task).casefold()]
    if len(folded) > 1:
        raise InputError(f"{len(folded)} files could be the training set of {task} ({', '.join(sorted(folded))}); "
                         f"name one {training_set_file(task)}", folder)
    return folder / folded[0] if folded else exact


def _stray_reason(name: str, tasks: Sequence[str], used: Mapping[str, str], folder_name: str) -> str:
    """Why a file in a submission folder is not scored, naming the task it might have meant."""
    stem, _, suffix = name.rpartition(".")
    stem = stem or name
    for task, file in used.items():
        if stem == file.rsplit(".", 1)[0] and suffix.lower() == "json":
            return f"a JSON copy of {file}, the training set of {task} (only the CSV is scored)"
    guesses = [t for t in sorted(tasks) if stem.casefold().startswith(t.casefold())]
    hint = ""
    if guesses:
        hint = (f"; the training set of {guesses[0]}? name it {training_set_file(guesses[0])} or map it "
                f"({TASK_SETUP} beside it, as the original's, or selection.submissions.{folder_name}.files"
                f".{guesses[0]} in the parameters)")
    return f"not the training set of a task ({', '.join(sorted(tasks))}){hint}"


# --------------------------------------------------------------------------- debugging
def split_debugging_name(filename: str, data_ids: Iterable[str]) -> tuple[str, str] | None:
    """``<data_id>_<method>.txt`` -> (data_id, method); None when no known data_id matches."""
    if not filename.endswith(".txt") or filename.startswith(TIME_PREFIX):
        return None
    stem = filename[: -len(".txt")]
    for data_id in sorted(data_ids, key=len, reverse=True):
        prefix = f"{data_id}_"
        if stem.startswith(prefix) and len(stem) > len(prefix):
            return data_id, stem[len(prefix):]
    return None


def read_ordering(path: Path, n_train: int, root: Path | None = None) -> np.ndarray:
    """Distinct 0-based training-row indices, one per line; blank lines and whitespace tolerated."""
    return read_ordering_lines(path, n_train, root)[0]


def read_ordering_lines(path: Path, n_train: int, root: Path | None = None,
                        repeats_allowed: bool = False) -> tuple[np.ndarray, tuple[tuple[int, int, int], ...]]:
    """The indices of an ordering file and, when ``repeats_allowed`` (the dataperf_2022 protocol: the
    original fixes a listed row again, which changes nothing), each repeat as (index, line, first line)."""
    text = read_text(path, "ordering file", root, max(n_train, 1) * BYTES_PER_ORDER_LINE + 4096)
    order: list[int] = []
    repeats: list[tuple[int, int, int]] = []
    first_line: dict[int, int] = {}
    for line_no, raw in enumerate(text.splitlines(), start=1):
        token = raw.strip()
        if not token:
            continue
        if not (token.isascii() and token.isdigit()):
            raise InputError(f"{excerpt(token)} is not a non-negative integer index", path, line_no)
        if len(token) > MAX_INDEX_DIGITS:
            raise InputError(f"index of {len(token)} digits is out of range: the training set has {n_train} rows",
                             path, line_no)
        index = int(token)
        if index >= n_train:
            hint = ("; indices start at 0, so a 1-based order must subtract 1 from each" if index == n_train
                    else "")
            raise InputError(f"index {index} is out of range: the training set has {n_train} rows, indexed "
                             f"0..{n_train - 1}{hint}", path, line_no)
        if index in first_line:
            if not repeats_allowed:
                raise InputError(f"index {index} repeats line {first_line[index]}", path, line_no)
            repeats.append((index, line_no, first_line[index]))
        first_line.setdefault(index, line_no)
        order.append(index)
    return np.asarray(order, dtype=np.int64), tuple(repeats)


def read_time(path: Path, root: Path | None = None) -> float:
    """Seconds a method took, from ``time_<data_id>_<method>.txt``: one finite non-negative number."""
    text = read_text(path, "time file", root, MAX_TIME_FILE_BYTES)
    tokens = text.split()
    if len(tokens) != 1:
        raise InputError(f"expected one number of seconds, found {len(tokens)} values", path)
    try:
        seconds = float(tokens[0])
    except ValueError:
        raise InputError(f"{excerpt(tokens[0])} is not a number of seconds", path) from None
    if not math.isfinite(seconds) or seconds < 0:
        raise InputError(f"{excerpt(tokens[0])} is not a finite non-negative number of seconds", path)
    return seconds


# --------------------------------------------------------------------------- finding submissions
@dataclass(frozen=True)
class SelectionSubmission:
    """One submission folder: per task its training set, or why that task is invalid."""

    name: str
    training_sets: dict[str, SelectionCsv | InputError]
    files: dict[str, str] = field(default_factory=dict)  # task -> its file, where that is not <Task>.csv


@dataclass(frozen=True)
class Ordering:
    """One inspection order and the seconds its method says it took (None without a time file)."""

    path: Path
    order: np.ndarray  # int64 row indices, most suspicious first
    seconds: float | None
    repeats: tuple[tuple[int, int, int], ...] = ()  # (index, line, first line), dataperf_2022 protocol only


@dataclass(frozen=True)
class DebuggingSubmission:
    """One method: per data_id its ordering, or why that data_id is invalid."""

    method: str
    orderings: dict[str, Ordering | InputError]


@dataclass(frozen=True)
class Found:
    """What a submission folder holds: the submissions, and files that belong to none (never scored)."""

    submissions: list = field(default_factory=list)
    stray: list[InputError] = field(default_factory=list)


def ignored_files(found: Found, root: Path) -> dict[str, str]:
    """The stray files, each once: its path relative to the submission folder -> why it is not scored.

    Relative, so results.yaml reads the same wherever the folder is mounted.
    """
    return {Path(os.path.relpath(error.path or root, root)).as_posix(): error.problem for error in found.stray}


def _listing(folder: Path) -> list[Path]:
    """The sorted entries of a folder; an unreadable folder is one InputError."""
    try:
        return sorted(folder.iterdir())
    except OSError as exc:
        raise InputError(f"folder cannot be read ({exc.strerror or type(exc).__name__})", folder) from None


def find_selection_submissions(root: Path, tasks: Sequence[str], max_rows: int,
                               mappings: Mapping[str, Mapping[str, str]] | None = None,
                               repeats_allowed: bool = False) -> Found:
    """Every ``<name>/`` folder under ``root`` with its parsed training set per task.

    Which file is a task's training set: the parameters' ``selection.submissions.<name>.files``
    mapping, else a ``task_setup.yaml`` in the folder (the original's), else ``<Task>.csv``
    or the one file named so case-insensitively.
    """
    require_folder(root)
    mappings = mappings or {}
    found = Found()
    for entry in _listing(root):
        if _hidden(entry):
            continue
        if leaves_root(entry, root):
            found.stray.append(InputError("a symbolic link leading outside the submission folder; refused", entry))
            continue
        if not entry.is_dir():
            found.stray.append(InputError("not a submission folder (expected <submission_name>/<Task>.csv)", entry))
            continue
        _read_selection_folder(entry, entry.name, tasks, max_rows, root, found, mappings.get(entry.name, {}),
                               repeats_allowed)
    if not found.submissions:
        raise InputError("no submission folders (expected <submission_name>/<Task>.csv)", root)
    return found


def _read_selection_folder(folder: Path, name: str, tasks: Sequence[str], max_rows: int, root: Path,
                           found: Found, mapping: Mapping[str, str] | None = None,
                           repeats_allowed: bool = False) -> None:
    """One submission folder's training set per task (each parsed or its error); other entries are stray.

    Which file is a task's: ``mapping`` (the parameters' ``selection.submissions.<name>.files``),
    else a ``task_setup.yaml`` in the folder (the original's), else ``<Task>.csv`` or the one file
    named so case-insensitively.
    """
    try:
        inside = [p for p in _listing(folder) if not _hidden(p)]
    except InputError as error:
        found.submissions.append(SelectionSubmission(name, {task: error for task in sorted(tasks)}))
        return
    names = [p.name for p in inside]
    mapping = mapping or {}
    source = f"selection.submissions.{name}.files"
    setup_error: InputError | None = None
    if not mapping and TASK_SETUP in names:
        source = TASK_SETUP
        try:
            mapping = read_task_setup(folder / TASK_SETUP, tasks, root)
        except InputError as error:
            setup_error = error
    parts: dict[str, SelectionCsv | InputError] = {}
    used: dict[str, str] = {}  # task -> file (relative to the folder), where it is not <Task>.csv
    scored: dict[str, str] = {}  # task -> file name, every task
    chosen: set[Path] = set()
    for task in sorted(tasks):
        try:
            if setup_error is not None:
                raise setup_error
            path = (_mapped_file(folder, mapping[task], task, source) if task in mapping
                    else _named_file(folder, names, task))
            chosen.add(path)
            scored[task] = path.name
            if path != folder / training_set_file(task):
                used[task] = path.relative_to(folder).as_posix()
            parts[task] = read_selection_csv(path, max_rows, root, repeats_allowed)
        except InputError as error:
            parts[task] = error
    for inner in inside:
        if inner in chosen or (inner.name == TASK_SETUP and source == TASK_SETUP):
            continue
        if inner.is_dir() and any(p.is_relative_to(inner) for p in chosen):
            continue  # the folder a mapped training set sits in (train_sets/...)
        found.stray.append(InputError(_stray_reason(inner.name, tasks, scored, name), inner))
    found.submissions.append(SelectionSubmission(name, parts, used))


class NoSubmission(InputError):
    """The folder that should hold exactly one submission holds none, or several: that submission is invalid.

    Unlike a resource problem this does not stop the task: the evaluate task records it as the reason.
    """


ONE_SUBMISSION = "submission"  # the name of the one submission a predictions folder holds (any mount point)


def find_one_selection_submission(folder: Path, tasks: Sequence[str], max_rows: int,
                                  mapping: Mapping[str, str] | None = None, repeats_allowed: bool = False) -> Found:
    """``folder`` itself is one submission: ``<folder>/<Task>.csv`` (or as mapped), named :data:`ONE_SUBMISSION`."""
    require_folder(folder)
    names = [training_set_file(task) for task in sorted(tasks)]
    entries = {p.name.casefold() for p in _listing(folder) if not _hidden(p)}
    if not mapping and TASK_SETUP not in entries and not entries & {n.casefold() for n in names}:
        raise NoSubmission(f"the predictions folder holds none of the training set files {', '.join(names)}")
    found = Found()
    _read_selection_folder(folder, ONE_SUBMISSION, tasks, max_rows, folder, found, mapping, repeats_allowed)
    return found


def find_one_debugging_submission(folder: Path, n_train: Mapping[str, int], repeats_allowed: bool = False) -> Found:
    """The orderings of one method: ``<folder>/<data_id>_<method>.txt`` (and time files) for a single method."""
    try:
        found = find_debugging_submissions(folder, n_train, repeats_allowed)
    except InputError as error:  # named without the folder's path, which differs between mounts
        raise NoSubmission(f"the predictions folder: {error.problem}") from None
    if len(found.submissions) > 1:
        methods = [s.method for s in found.submissions]
        raise NoSubmission(f"the predictions folder holds the orderings of {len(methods)} methods "
                           f"({', '.join(methods[:5])}{', ...' if len(methods) > 5 else ''}); "
                           "one submission is one method")
    return found


def find_debugging_submissions(root: Path, n_train: Mapping[str, int], repeats_allowed: bool = False) -> Found:
    """Every method with a ``<data_id>_<method>.txt`` under ``root``, its orders read for each data_id."""
    require_folder(root)
    data_ids = sorted(n_train)
    files: dict[str, dict[str, Path]] = {}
    found = Found()
    entries = [p for p in _listing(root) if not _hidden(p)]
    names = {p.name for p in entries}
    for path in entries:
        if path.name.startswith(TIME_PREFIX) and path.name[len(TIME_PREFIX):] in names:
            continue  # read with its ordering
        split = split_debugging_name(path.name, data_ids) if path.is_file() else None
        if split is None:
            found.stray.append(InputError(
                f"file name is not <data_id>_<method>.txt for a known data_id ({', '.join(data_ids)})"
                if path.is_file() else "not an ordering file", path))
            continue
        data_id, method = split
        files.setdefault(method, {})[data_id] = path
    if not files:
        raise InputError("no submission files (expected <data_id>_<method>.txt)", root)
    for method in sorted(files):
        orderings: dict[str, Ordering | InputError] = {}
        for data_id in data_ids:
            path = files[method].get(data_id, root / ordering_file(data_id, method))
            try:
                if data_id not in files[method]:
                    raise InputError(f"no ordering for data_id {data_id}", path)
                order, repeats = read_ordering_lines(path, n_train[data_id], root, repeats_allowed)
                time_path = root / time_file(data_id, method)
                seconds = read_time(time_path, root) if os.path.lexists(time_path) else None
                orderings[data_id] = Ordering(path, order, seconds, repeats)
            except InputError as error:
                orderings[data_id] = error
        found.submissions.append(DebuggingSubmission(method, orderings))
    return found


# --------------------------------------------------------------------------- writing
def write_training_set(folder: Path, task: str, ids: Sequence[str], labels: np.ndarray) -> Path:
    """``<folder>/<task>.csv`` with header ImageID,Confidence."""
    import pandas as pd  # here only: evaluations never write training sets, nor pay for the import

    path = folder / training_set_file(task)
    frame = pd.DataFrame({"ImageID": list(ids), "Confidence": np.asarray(labels, dtype=np.int64)})
    atomic_write_text(path, frame.to_csv(index=False, lineterminator="\n"))
    return path


def write_ordering(folder: Path, data_id: str, method: str, order: Sequence[int], seconds: float | None) -> Path:
    """``<data_id>_<method>.txt`` (one index per line) and, when given, its time file."""
    path = folder / ordering_file(data_id, method)
    atomic_write_text(path, "".join(f"{int(i)}\n" for i in order))
    if seconds is not None:
        atomic_write_text(folder / time_file(data_id, method), f"{seconds}\n")
    return path
