"""Errors that end a run (or one submission) with a one-line message.

Everything the user can get wrong -- a path, a parameters file, a resource file,
a submission -- raises :class:`InputError`. The CLI turns it into one line on
stderr and a non-zero exit instead of a traceback; evaluation tasks catch it per
submission so one bad submission never costs the others their scores.
"""
from __future__ import annotations

import re
from pathlib import Path

from .logs import shown

# Exit codes of every task (docs/errors.md).
EXIT_OK = 0  # every submission scored
EXIT_INVALID_SUBMISSION = 1  # results written, but at least one submission was invalid
EXIT_BAD_INPUT = 2  # bad input stopped the task before anything was written
EXIT_INTERNAL_ERROR = 3  # a bug: one line names the task and exception, the traceback goes to a log file
EXIT_INTERRUPTED = 130  # Ctrl-C; stopped by another signal N: 128 + N (143 for SIGTERM)


class InputError(Exception):
    """Bad user input, located as precisely as we can: ``file:line: problem``."""

    def __init__(self, problem: str, path: str | Path | None = None, line: int | None = None):
        self.problem = problem
        self.path = None if path is None else str(path)
        # Fixed where it is raised: relative to the running task's parameter folders, so the
        # message (and results.yaml) reads the same in a container and in a local run.
        self.shown_path = None if path is None else shown(path)
        self.line = line
        super().__init__(self.message)

    @property
    def message(self) -> str:
        where = self.shown_path or ""
        if where and self.line is not None:
            where = f"{where}:{self.line}"
        problem = printable(_ASCII_SPACES.sub(" ", self.problem).strip(), one_to_one=False)
        where = printable(where, one_to_one=False)
        return f"{where}: {problem}" if where else problem  # always exactly one printable line


class ResourceError(InputError):
    """A benchmark resource (pool, test set, training set, ground truth) is unusable.

    Unlike a bad submission, this stops the whole task before any result is written.
    """


EXCERPT_CHARS = 32
_ASCII_SPACES = re.compile(r"[ \t\n\r\f\v]+")
_NAMED_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(char: str, one_to_one: bool = True) -> str:
    if char in _NAMED_ESCAPES and (one_to_one or char != "\\"):
        return _NAMED_ESCAPES[char]
    if char.isprintable():
        return char
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8, as os.fsdecode keeps it (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def printable(text: str, limit: int | None = None, one_to_one: bool = True) -> str:
    """``text`` as one printable line: what every user-facing string (names, ids, paths, excerpts) goes through.

    Results are read by people, logs and YAML/CSV parsers, so nothing that could break a
    line or fake one survives: control characters, line and paragraph separators, format
    and unassigned code points become ``\\uXXXX``; a byte that was not UTF-8 in a file
    name becomes ``\\xNN``; ``\\n``, ``\\r``, ``\\t`` and ``\\\\`` are escaped by name.
    The escaping is one-to-one, so two different names never print the same. With
    ``limit``, at most that many characters of ``text`` are shown, then ``… (N chars)``.
    ``one_to_one=False`` leaves backslashes alone: for whole messages, whose names and excerpts
    are escaped already (so escaping again changes nothing).
    """
    shown = "".join(_escaped(c, one_to_one) for c in (text if limit is None else text[:limit]))
    return shown + (f"… ({len(text)} chars)" if limit is not None and len(text) > limit else "")


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """A short, printable, quoted rendering of a value taken from an input file.

    Errors end up in logs and in published results.yaml files, so they never echo
    more than ``limit`` characters of what a file holds, and never raw control
    characters (:func:`printable`): ``'abc'… (4000 chars)``.
    """
    if isinstance(value, str):
        shown = printable(value, limit)
        cut = shown.rfind("… (") if len(value) > limit else len(shown)
        return f"'{shown[:cut]}'{shown[cut:]}"
    try:  # numbers and the like are shown bare, as Python's repr would
        text = str(value.item() if hasattr(value, "item") else value)
    except ValueError:  # an integer beyond Python's 4,300-digit str() limit
        return "a number too long to show"
    return printable(text, limit)
