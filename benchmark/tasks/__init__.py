"""Task entrypoints: thin functions that read workspace paths and write result files.

Each task is declared once in :data:`TASKS`, with its parameters in MLCube's
terms (inputs/outputs, file/directory, default relative to the workspace). The
CLI is built from this table and a test checks it against ``mlcube.yaml``.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Literal

from ..errors import EXIT_INVALID_SUBMISSION, EXIT_OK
from ..logs import log

if TYPE_CHECKING:
    from ..results import Results


@dataclass(frozen=True)
class Param:
    name: str
    default: str  # relative to the workspace
    kind: Literal["file", "directory"]
    io: Literal["input", "output"]


@dataclass(frozen=True)
class Task:
    name: str
    help: str
    params: tuple[Param, ...]
    run: Callable[..., int]
    in_mlcube: bool = True  # declared in mlcube.yaml (the demo runs the others in one workspace)


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
    Task("evaluate_selection", "score training-set selection submissions", (
        Param("data_path", "data/", "directory", "input"),
        Param("submission_path", "submissions/selection/", "directory", "input"),
        PARAMETERS,
        Param("output_path", "results/selection/", "directory", "output"),
    ), _lazy("evaluate_selection")),
    Task("evaluate_debugging", "score training-data debugging submissions", (
        Param("data_path", "data/", "directory", "input"),
        Param("submission_path", "submissions/debugging/", "directory", "input"),
        PARAMETERS,
        Param("output_path", "results/debugging/", "directory", "output"),
    ), _lazy("evaluate_debugging")),
    Task("plot", "draw figures and an HTML report from the results", (
        Param("results_path", "results/", "directory", "input"),
        Param("submission_path", "submissions/", "directory", "input"),
        PARAMETERS,
        Param("output_path", "plots/", "directory", "output"),
    ), _lazy("plot")),
    Task("demo", "download, select_baselines, debug_baselines, evaluate_selection, evaluate_debugging and plot "
                 "in one workspace, then print the scores", (
        PARAMETERS,
        Param("output_path", ".", "directory", "output"),
    ), _lazy("demo"), in_mlcube=False),
)}


def report(results: "Results") -> int:
    """Log each submission's leaderboard value or errors; the exit code says whether any was invalid."""
    for name, s in results.submissions.items():
        if s.valid:
            log.info("%s: %s %.4f", name, results.ranking.label, s.metric)
        for error in s.errors:
            log.error("%s", error)
    return EXIT_OK if all(s.valid for s in results.submissions.values()) else EXIT_INVALID_SUBMISSION
