"""Task entrypoints: thin functions that read workspace paths and write result files.

May import every layer below (methods, sources, plotting, formats, workspace, scoring, base); only cli.py imports it.

Each task is declared once in :data:`TASKS`, with its parameters in MLCube's
terms (inputs/outputs, file/directory, default relative to the workspace). The
CLI is built from this table and a test checks it against ``mlcube.yaml``.
"""
from __future__ import annotations

import importlib
import os
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterator, Literal

from ..errors import EXIT_INVALID_SUBMISSION, EXIT_OK, InputError, printable
from ..logs import log, mounted_roots

if TYPE_CHECKING:
    from ..formats.results import Results


@dataclass(frozen=True)
class Param:
    name: str
    default: str  # relative to the workspace
    kind: Literal["file", "directory"]
    io: Literal["input", "output"]
    # an input folder the task can do without (checked to exist otherwise); an output written only when given
    optional: bool = False


@dataclass(frozen=True)
class Task:
    name: str
    help: str
    params: tuple[Param, ...]
    run: Callable[..., int]
    # declared in mlcube.yaml (demo runs the others in one workspace; evaluate is in container_config.yaml only)
    in_mlcube: bool = True
    scores_submissions: bool = False  # its exit code reports invalid submissions (in strict mode)

    def call(self, paths: dict[str, str | None]) -> int:
        """Run on these parameter paths (None: an optional output not asked for); logs and results name
        paths relative to their folders."""
        given = {p.name: (p.kind, paths[p.name]) for p in self.params if paths.get(p.name) is not None}
        with mounted_roots({name: path for name, (kind, path) in given.items() if kind == "directory"},
                           {name: path for name, (kind, path) in given.items() if kind == "file"}):
            return self.run(**paths)


def _lazy(module: str, function: str = "run") -> Callable[..., int]:
    """The entrypoint ``benchmark.tasks.<module>.<function>``, imported on first call.

    Importing a task pulls in heavy libraries (scikit-learn, matplotlib, cleanlab);
    ``--help`` and the other tasks should not pay for them.
    """

    def run(**kwargs) -> int:
        return getattr(importlib.import_module(f"{__name__}.{module}"), function)(**kwargs)

    run.__name__ = f"{module}.{function}"
    return run


PARAMETERS = Param("parameters_file", "parameters.yaml", "file", "input")
# file.py:function and module:function methods are loaded from here (in the container: read-only)
METHODS = Param("methods_path", "methods/", "directory", "input", optional=True)

TASKS: dict[str, Task] = {t.name: t for t in (
    Task("download", "build or fetch the benchmark resources (and example submissions)", (
        PARAMETERS,
        Param("output_path", "data/", "directory", "output"),
        Param("submission_path", "submissions/", "directory", "output"),
    ), _lazy("download")),
    Task("select_baselines", "write the reference selection baselines' training sets (pool and examples only)", (
        Param("data_path", "data/", "directory", "input"),
        PARAMETERS,
        Param("submission_path", "submissions/selection/", "directory", "output"),
    ), _lazy("baselines", "run_select")),
    Task("debug_baselines", "write the reference debugging baselines' orders and time files "
                            "(noisy training and validation sets only)", (
        Param("data_path", "data/", "directory", "input"),
        PARAMETERS,
        Param("submission_path", "submissions/debugging/", "directory", "output"),
    ), _lazy("baselines", "run_debug")),
    Task("select", "run the selection methods parameters.yaml names (selection.methods; default: the baselines) "
                   "and write their training sets", (
        Param("data_path", "data/", "directory", "input"),
        PARAMETERS,
        METHODS,
        Param("submission_path", "submissions/selection/", "directory", "output"),
    ), _lazy("methods", "run_select"), scores_submissions=True),
    Task("debug", "run the debugging methods parameters.yaml names (debugging.methods; default: the baselines) "
                  "and write their orders and time files", (
        Param("data_path", "data/", "directory", "input"),
        PARAMETERS,
        METHODS,
        Param("submission_path", "submissions/debugging/", "directory", "output"),
    ), _lazy("methods", "run_debug"), scores_submissions=True),
    Task("methods", "list the methods select and debug can run (built-in, installed, named in parameters.yaml)", (
        PARAMETERS,
        METHODS,
    ), _lazy("methods", "run_list"), in_mlcube=False),
    Task("evaluate_selection", "score training-set selection submissions", (
        Param("data_path", "data/", "directory", "input"),
        Param("submission_path", "submissions/selection/", "directory", "input"),
        PARAMETERS,
        Param("output_path", "results/selection/", "directory", "output"),
    ), _lazy("evaluate_selection"), scores_submissions=True),
    Task("evaluate_debugging", "score training-data debugging submissions", (
        Param("data_path", "data/", "directory", "input"),
        Param("submission_path", "submissions/debugging/", "directory", "input"),
        PARAMETERS,
        Param("output_path", "results/debugging/", "directory", "output"),
    ), _lazy("evaluate_debugging"), scores_submissions=True),
    Task("plot", "draw figures and an HTML report from the results", (
        Param("results_path", "results/", "directory", "input"),
        Param("submission_path", "submissions/", "directory", "input", optional=True),  # time files, if any
        PARAMETERS,
        Param("output_path", "plots/", "directory", "output"),
    ), _lazy("plot")),
    Task("evaluate", "MedPerf's evaluator task: score the one submission in predictions (selection or debugging, "
                     "see benchmark: in parameters.yaml) and write its flat metrics file", (
        Param("predictions", "predictions/", "directory", "input"),
        Param("labels", "data/", "directory", "input"),
        PARAMETERS,
        Param("output_path", "results/metrics.yaml", "file", "output"),
        Param("local_outputs_path", "", "directory", "output", optional=True),  # full results.yaml, curves.csv
    ), _lazy("evaluate"), in_mlcube=False, scores_submissions=True),
    Task("demo", "download, select_baselines, debug_baselines, evaluate_selection, evaluate_debugging and plot "
                 "in one workspace, then print the scores", (
        PARAMETERS,
        Param("output_path", ".", "directory", "output"),
    ), _lazy("demo"), in_mlcube=False, scores_submissions=True),
)}


# --------------------------------------------------------------------------- exit codes
# Once its results are written, an evaluation exits 0 even when some submission is invalid,
# so a pipeline (mlcube's task chain, a shell `&&`) goes on to plot and publish. Strict mode,
# for CI gates, exits 1 instead: `--strict` on the command line, or DATAPERF_STRICT=1 in the
# environment (the way into a container: mlcube passes only its declared path parameters,
# but `-Pdocker.env_args.DATAPERF_STRICT=1` becomes `docker run -e DATAPERF_STRICT=1`).
STRICT_ENV = "DATAPERF_STRICT"
_STRICT: ContextVar[bool] = ContextVar("strict", default=False)
_LISTED = 10  # invalid submissions named in the summary line


def strict_from_environment() -> bool:
    value = os.environ.get(STRICT_ENV, "").strip().lower()
    if value in ("", "0", "false", "no"):
        return False
    if value in ("1", "true", "yes"):
        return True
    raise InputError(f"environment variable {STRICT_ENV}={value[:20]!r}: expected 1 (strict) or 0")


@contextmanager
def strict_mode(strict: bool) -> Iterator[None]:
    """Within this block, invalid submissions make an evaluation exit 1 instead of 0."""
    token = _STRICT.set(strict)
    try:
        yield
    finally:
        _STRICT.reset(token)


def strict() -> bool:
    """Whether invalid submissions make this evaluation exit 1 (see :func:`strict_mode`)."""
    return _STRICT.get()


def report(results: "Results") -> int:
    """Log each submission's leaderboard value or errors, then one summary line of the invalid ones."""
    for name, s in results.submissions.items():
        if s.valid:
            log.info("%s: %s %.4f", printable(name), results.ranking.label, s.metric)
        for error in s.errors:
            log.error("%s", printable(error))
    invalid = [printable(name) for name, s in results.submissions.items() if not s.valid]
    if not invalid:
        return EXIT_OK
    names = ", ".join(invalid[:_LISTED]) + (f" and {len(invalid) - _LISTED} more" if len(invalid) > _LISTED else "")
    strict = _STRICT.get()
    log.warning("%d of %d submission(s) invalid: %s (their errors are in results.yaml); %s", len(invalid),
                len(results.submissions), names,
                "exit 1 (strict mode)" if strict else f"exit 0 (--strict or {STRICT_ENV}=1 makes this exit 1)")
    return EXIT_INVALID_SUBMISSION if strict else EXIT_OK
