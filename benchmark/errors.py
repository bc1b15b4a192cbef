"""Errors that end a run (or one submission) with a one-line message.

Everything the user can get wrong -- a path, a parameters file, a resource file,
a submission -- raises :class:`InputError`. The CLI turns it into one line on
stderr and a non-zero exit instead of a traceback; evaluation tasks catch it per
submission so one bad submission never costs the others their scores.
"""
from __future__ import annotations

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
        text = f"{where}: {self.problem}" if where else self.problem
        return " ".join(text.split())  # always exactly one line


class ResourceError(InputError):
    """A benchmark resource (pool, test set, training set, ground truth) is unusable.

    Unlike a bad submission, this stops the whole task before any result is written.
    """


EXCERPT_CHARS = 32


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """A short, printable, quoted rendering of a value taken from an input file.

    Errors end up in logs and in published results.yaml files, so they never echo
    more than ``limit`` characters of what a file holds, and never raw control
    characters: ``'abc'… (4000 chars)``.
    """
    quoted = isinstance(value, str)
    if quoted:
        text = value
    else:  # numbers and the like are shown bare, as Python's repr would
        try:
            text = str(value.item() if hasattr(value, "item") else value)
        except ValueError:  # an integer beyond Python's 4,300-digit str() limit
            return "a number too long to show"
    shown = "".join(c if c.isprintable() else "?" for c in text[:limit])
    return (repr(shown) if quoted else shown) + (f"… ({len(text)} chars)" if len(text) > limit else "")
