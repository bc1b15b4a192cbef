"""Writing files safely: atomic replacement and fixed settings, so outputs are whole and reproducible.

Every file the harness writes (results, submissions, generated resources, plots)
goes to a temporary file in the same folder and is renamed over the target, so an
interrupted run never leaves a half-written file behind. A write that fails (a full
disk, a folder where the file should go, a file where a folder should be) removes its
temporary and raises one :class:`~benchmark.errors.InputError` naming the file: the
task exits 2 and the old file is kept. :func:`atomic_write_files` replaces a set of
files only once every one of them is written (the plot task's figures and page), and
every write removes the temporaries a killed run left beside its file (each writer
holds a lock on its own temporary, so a live one is never taken for a leftover).
Writers of result sets into one folder serialize on :func:`locked`.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import tempfile
from pathlib import Path
from typing import Iterator, Mapping

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import InputError
from ..logs import shown

LOCK_FILE = ".lock"


class WriteError(InputError):
    """A write that failed, one line, keeping the OSError's errno and strerror: a caller that can fall back
    (the MedPerf metrics file, a bind-mounted file nothing can be renamed over) decides by them."""

    def __init__(self, problem: str, path: Path, error: OSError):
        super().__init__(problem, path)
        self.errno, self.strerror = error.errno, error.strerror


def write_error(path: Path, exc: OSError) -> WriteError:
    """The one line for a write that failed: which file, why (e.g. No space left on device), and what is in
    the way when that is not the file itself (a file where a folder must be, a folder where the file goes)."""
    culprit = exc.filename2 or exc.filename
    if exc.errno == errno.ENOTDIR:  # name the file that stands where a folder must be
        culprit = next((str(p) for p in reversed(path.parents) if p.exists() and not p.is_dir()), culprit)
    in_the_way = culprit is not None and Path(culprit).name.startswith(f".{path.name}.") is False \
        and Path(culprit) != path
    if exc.errno == errno.ENOTDIR and in_the_way:
        return WriteError(f"cannot write the file: {shown(culprit)} is a file where a folder must be", path, exc)
    return WriteError(f"cannot write the file ({exc.strerror or type(exc).__name__}"
                      f"{': ' + shown(culprit) if in_the_way else ''}); nothing was replaced", path, exc)


def _temporary(path: Path) -> tuple[int, str]:
    """A fresh ``.<name>.<random>.tmp`` beside ``path``, flock-ed while this process writes it.

    The lock is how :func:`remove_stale_temporaries` tells a killed run's leftover (no lock:
    the kernel drops it with the process) from another run's file still being written.
    """
    while True:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a fresh file: nobody else holds it
        try:
            if os.stat(tmp).st_ino == os.fstat(fd).st_ino:  # not removed as stale before we locked it
                return fd, tmp
        except FileNotFoundError:
            pass
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    atomic_write_files({path: data})


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_files(files: Mapping[Path, bytes]) -> None:
    """Replace every file in ``files`` or none: all are written (and synced) first, then renamed.

    A full disk or a killed run leaves the old files in place; temporaries of these names that
    an earlier killed run left behind are removed first.
    """
    written: dict[Path, tuple[int, str]] = {}
    current = next(iter(files))
    try:
        for current in sorted({path.parent for path in files}):
            current.mkdir(parents=True, exist_ok=True)
            remove_stale_temporaries(current, [p.name for p in files if p.parent == current])
        for current, data in files.items():
            fd, tmp = written[current] = _temporary(current)
            with os.fdopen(os.dup(fd), "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o644)  # mkstemp makes 0600; other users (a container's uid) must read the data
        for current in files:
            fd, tmp = written.pop(current)
            try:
                os.replace(tmp, current)
            except BaseException:
                written[current] = (fd, tmp)
                raise
            os.close(fd)
    except OSError as exc:
        raise write_error(current, exc) from None
    finally:
        for fd, tmp in written.values():
            Path(tmp).unlink(missing_ok=True)
            os.close(fd)


def remove_stale_temporaries(folder: Path, names: list[str]) -> None:
    """Delete ``.<name>.<random>.tmp`` files of these names that no live writer holds (a SIGKILL-ed run's)."""
    prefixes = tuple(f".{name}." for name in names)
    for entry in os.scandir(folder):
        if not (entry.name.endswith(".tmp") and entry.name.startswith(prefixes)):
            continue
        try:
            fd = os.open(entry.path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue  # gone already, a link, unreadable: not ours to judge
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if stat.S_ISREG(os.fstat(fd).st_mode) and os.stat(entry.path).st_ino == os.fstat(fd).st_ino:
                os.unlink(entry.path)
        except OSError:
            pass  # held by a writer that is alive
        finally:
            os.close(fd)


def atomic_write_parquet(path: Path, table: pa.Table, row_group_size: int | None = None) -> None:
    """A parquet file with fixed settings (snappy), so the same table always gives the same bytes."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(path.parent, [path.name])
        fd, tmp = _temporary(path)
        try:
            pq.write_table(table, tmp, row_group_size=row_group_size, compression="snappy")
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        finally:
            os.close(fd)
    except OSError as exc:
        raise write_error(path, exc) from None


def open_lock(folder: Path) -> int:
    """The lock file of ``folder``, opened without following a link and without blocking.

    A FIFO would block ``open`` forever and a symbolic link would create its target
    elsewhere: both, and anything else that is not a regular file, are one InputError.
    """
    path = folder / LOCK_FILE
    flags = os.O_RDWR | os.O_CREAT | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError("the lock file is a symbolic link; remove it (it must be a plain file)",
                             path) from None
        raise InputError(f"cannot open the lock file ({exc.strerror or type(exc).__name__})", path) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise InputError("the lock file is not a regular file; remove it (it must be a plain file)", path)
    return fd


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Serialize writers into one folder (a concurrent run must not delete what another just published)."""
    fd = open_lock(folder)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
