"""What a person reads: the log on stderr, and paths named the way the person named them.

Machine-readable results go to files, never to the log. A container sees its inputs under
mount points (``/mlcube_io1/...``), a local run under the workspace: everything written to logs
and result files names a path relative to the task parameter folder that holds it
(``mine/Five.csv:12`` under ``submission_path``), so container and local runs write the same
bytes. Tasks run inside :func:`mounted_roots` (see ``benchmark.tasks.Task.call``); outside it,
paths are shown as given.
"""
from __future__ import annotations

import logging
import os
import sys
import time
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Iterable, Iterator

from tqdm import tqdm

log = logging.getLogger("benchmark")
LOG_EVERY_S = 30.0  # off a terminal, a long transfer says how far it got this often


class BarAwareHandler(logging.StreamHandler):
    """Writes each record through :func:`tqdm.write`: a progress bar on the same terminal is cleared first and
    redrawn after, so a log line never lands on the end of a bar's line."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            tqdm.write(self.format(record), file=self.stream)
        except Exception:  # noqa: BLE001 -- logging's own contract: report, never raise
            self.handleError(record)


def on_terminal() -> bool:
    """Is stderr a terminal? Progress bars are drawn only there: a saved log gets no carriage-return frames."""
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed stream
        return False


def progress_bar(iterable: Iterable[Any] | None = None, enabled: bool = True, **options: Any) -> tqdm:
    """A tqdm bar on stderr, shown only on a terminal (and when ``enabled``); elsewhere a silent pass-through."""
    shown = enabled and on_terminal()
    if shown and _columns() == 0:  # a pty nobody sized (script, some CI runners): tqdm would draw nothing
        options.setdefault("ncols", 80)
        options.setdefault("nrows", 24)
    else:
        options.setdefault("dynamic_ncols", True)
    return tqdm(iterable, file=sys.stderr, disable=not shown, **options)


def _columns() -> int:
    try:
        return os.get_terminal_size(sys.stderr.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return 0


class Throttled:
    """Off a terminal, where no bar is drawn: at most one progress log line every ``every`` seconds."""

    def __init__(self, every: float = LOG_EVERY_S):
        self.every = every
        self._last = time.monotonic()

    def due(self) -> bool:
        now = time.monotonic()
        if now - self._last < self.every:
            return False
        self._last = now
        return True


def setup(verbose: bool = False) -> None:
    if not log.handlers:
        handler = BarAwareHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
        log.addHandler(handler)
    log.setLevel(logging.DEBUG if verbose else logging.INFO)
    log.propagate = True  # tests and embedding applications can still capture records


_ROOTS: ContextVar[tuple[tuple[Path, str], ...]] = ContextVar("mounted_roots", default=())
_PARAMS: ContextVar[dict[Path, str]] = ContextVar("parameter_paths", default={})


@contextmanager
def mounted_roots(folders: dict[str, str | Path], files: dict[str, str | Path] | None = None) -> Iterator[None]:
    """Within this block, :func:`shown` names paths relative to these task parameters' folders.

    ``folders``: directory parameters (name -> path); ``files``: file parameters, whose
    containing folder is the root (so ``parameters.yaml`` is shown by its name).
    """
    roots = [(Path(os.path.abspath(path)), name) for name, path in folders.items()]
    roots += [(Path(os.path.abspath(path)).parent, name) for name, path in (files or {}).items()]
    roots.sort(key=lambda root: len(root[0].parts), reverse=True)  # the deepest folder that holds a path wins
    exact = {Path(os.path.abspath(path)): name for name, path in folders.items()}
    exact.update({Path(os.path.abspath(path)): "" for path in (files or {}).values()})
    tokens = _ROOTS.set(tuple(roots)), _PARAMS.set(exact)
    try:
        yield
    finally:
        _ROOTS.reset(tokens[0])
        _PARAMS.reset(tokens[1])


def shown(path: str | Path) -> str:
    """``path`` relative to the task parameter folder that holds it.

    A folder parameter's own path is shown as ``name (path as given)`` and a file parameter
    (parameters.yaml) as given: what the caller named is shown the way they named it.
    """
    roots = _ROOTS.get()
    if not roots:
        return str(path)
    absolute = Path(os.path.abspath(path))
    if absolute in _PARAMS.get():
        name = _PARAMS.get()[absolute]
        return f"{name} ({path})" if name else str(path)  # a file parameter: as given
    for root, name in roots:
        if absolute == root:
            return name
        if absolute.is_relative_to(root):
            return absolute.relative_to(root).as_posix()
    return str(path)
