"""select_baselines and debug_baselines: the select and debug tasks with the built-in methods.

Kept for compatibility (the MLCube task names of earlier versions); the baselines are methods on
the method API (:mod:`benchmark.methods.api`) and run through the same harness as any other method.
Both read only what a participant is given (selection: the pool and the example sets;
debugging: the noisy training sets and the validation sets).
"""
from __future__ import annotations

from .methods import run_methods


def run_select(data_path: str, parameters_file: str, submission_path: str) -> int:
    return run_methods("select_baselines", "selection", data_path, parameters_file, None, submission_path,
                       built_in=True)


def run_debug(data_path: str, parameters_file: str, submission_path: str) -> int:
    return run_methods("debug_baselines", "debugging", data_path, parameters_file, None, submission_path,
                       built_in=True)
