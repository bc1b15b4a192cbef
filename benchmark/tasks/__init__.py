"""Task entrypoints: thin functions that read workspace paths and write result files.

Each task is declared once in :data:`TASKS`, with its parameters in MLCube's
terms (inputs/outputs, file/directory, default relative to the workspace). The
CLI is built from this table and a test checks it against ``mlcube.yaml``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal


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


def _download(**kw) -> int:
    from .download import run

    return run(**kw)


def _select_baselines(**kw) -> int:
    from .baselines import run_select

    return run_select(**kw)


def _debug_baselines(**kw) -> int:
    from .baselines import run_debug

    return run_debug(**kw)


def _evaluate_selection(**kw) -> int:
    from .evaluate_selection import run

    return run(**kw)


def _evaluate_debugging(**kw) -> int:
    from .evaluate_debugging import run

    return run(**kw)


def _plot(**kw) -> int:
    from .plot import run

    return run(**kw)


PARAMETERS = Param("parameters_file", "parameters.yaml", "file", "input")

TASKS: dict[str, Task] = {t.name: t for t in (
    Task("download", "build or fetch the benchmark resources (and example submissions)", (
        PARAMETERS,
        Param("output_path", "data/", "directory", "output"),
        Param("submission_path", "submissions/", "directory", "output"),
    ), _download),
    Task("select_baselines", "write the reference selection baselines' training sets (pool and examples only)", (
        Param("data_path", "data/", "directory", "input"),
        PARAMETERS,
        Param("submission_path", "submissions/selection/", "directory", "output"),
    ), _select_baselines),
    Task("debug_baselines", "write the reference debugging baselines' orders and time files "
                            "(noisy training and validation sets only)", (
        Param("data_path", "data/", "directory", "input"),
        PARAMETERS,
        Param("submission_path", "submissions/debugging/", "directory", "output"),
    ), _debug_baselines),
    Task("evaluate_selection", "score training-set selection submissions", (
        Param("data_path", "data/", "directory", "input"),
        Param("submission_path", "submissions/selection/", "directory", "input"),
        PARAMETERS,
        Param("output_path", "results/selection/", "directory", "output"),
    ), _evaluate_selection),
    Task("evaluate_debugging", "score training-data debugging submissions", (
        Param("data_path", "data/", "directory", "input"),
        Param("submission_path", "submissions/debugging/", "directory", "input"),
        PARAMETERS,
        Param("output_path", "results/debugging/", "directory", "output"),
    ), _evaluate_debugging),
    Task("plot", "draw figures and an HTML report from the results", (
        Param("results_path", "results/", "directory", "input"),
        Param("submission_path", "submissions/", "directory", "input"),
        PARAMETERS,
        Param("output_path", "plots/", "directory", "output"),
    ), _plot),
)}
