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

    from ..plotting import REPORT_FILE, render_all  # matplotlib loads only when plotting

    written = render_all(results_root, Path(submission_path), out, params)
    for path in written:
        log.info("wrote %s", shown(path))
    figures = sum(1 for p in written if p.suffix == ".png")
    log.info("plot: wrote %d figure(s) and %s under %s; open %s", figures, REPORT_FILE, shown(out),
             out / REPORT_FILE)
    return EXIT_OK
