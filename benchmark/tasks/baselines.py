"""select_baselines and debug_baselines: write the reference methods' submissions.

Thin entrypoints; the methods live in :mod:`benchmark.methods`. Both read only
what a participant is given (selection: the pool and the example sets;
debugging: the noisy training sets and the validation sets).
"""
from __future__ import annotations

from pathlib import Path

from ..errors import EXIT_OK
from ..formats.parameters import load_parameters
from ..logs import log, shown


def run_select(data_path: str, parameters_file: str, submission_path: str) -> int:
    from ..methods.selection import run_selection_baselines

    params = load_parameters(parameters_file)
    written = run_selection_baselines(params, Path(data_path), Path(submission_path))
    log.info("select_baselines: wrote %d training set(s) under %s", len(written), shown(submission_path))
    return EXIT_OK


def run_debug(data_path: str, parameters_file: str, submission_path: str) -> int:
    from ..methods.debugging import run_debugging_baselines

    params = load_parameters(parameters_file)
    written = run_debugging_baselines(params, Path(data_path), Path(submission_path))
    log.info("debug_baselines: wrote %d ordering(s) and their time files under %s", len(written),
             shown(submission_path))
    return EXIT_OK
