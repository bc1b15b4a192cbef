"""plot: figures and report.html from the evaluation results (drawing lives in benchmark.plotting)."""
from __future__ import annotations

from pathlib import Path

from ..errors import EXIT_OK, InputError
from ..formats.parameters import load_parameters
from ..logs import log, shown


def run(results_path: str, submission_path: str, parameters_file: str, output_path: str) -> int:
    params = load_parameters(parameters_file).plot
    results_root = Path(results_path)
    if not results_root.is_dir():
        raise InputError("results folder not found" if not results_root.exists()
                         else "results path is not a folder", results_root)
    out = Path(output_path)
    if out.exists() and not out.is_dir():
        raise InputError("output path is not a folder", out)

    from ..plotting import render_all  # matplotlib loads only when plotting

    for path in render_all(results_root, Path(submission_path), out, params):
        log.info("wrote %s", shown(path))
    return EXIT_OK
