"""plot: figures from the evaluation results."""
from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..logs import log
from ..parameters import load_parameters


def run(results_path: str, submission_path: str, parameters_file: str, output_path: str) -> int:
    from ..plotting import render_all

    params = load_parameters(parameters_file)
    results_root = Path(results_path)
    if not results_root.is_dir():
        raise InputError("results folder not found", results_root)
    written = render_all(results_root, Path(submission_path), Path(output_path), params)
    for path in written:
        log.info("wrote %s", path)
    return 0
