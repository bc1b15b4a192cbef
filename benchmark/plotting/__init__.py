"""Figures and the HTML report from the evaluation results (the ``plot`` task).

Split by concern so each piece can be tested alone: :mod:`.inputs` reads and
checks the files, :mod:`.ranking` fixes the leaderboard order, :mod:`.style`
pins colours and PNG output, :mod:`.figures` draws, :mod:`.report` writes the
page. :func:`render_all` ties them together and writes every output.
"""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from ..errors import InputError
from ..parameters import PlotParams
from ..results import atomic_write_bytes, atomic_write_text
from . import figures as figs
from .inputs import load_curves, load_results, load_timings
from .report import build_report
from .style import colour_map

REPORT_FILE = "report.html"


def render_all(results_root: Path, submission_root: Path, out: Path, params: PlotParams) -> list[Path]:
    """Read results_root/{selection,debugging}, write the PNGs and report.html into ``out``."""
    selection = load_results(results_root / "selection" / "results.yaml", "selection")
    debugging = load_results(results_root / "debugging" / "results.yaml", "debugging")
    if selection is None and debugging is None:
        raise InputError("no selection/results.yaml or debugging/results.yaml; run an evaluation first",
                         results_root)
    curves = load_curves(results_root / "debugging" / "curves.csv", debugging) if debugging else {}
    timings = load_timings(debugging, submission_root) if debugging else {}
    names = [n for res in (selection, debugging) if res is not None for n in res.submissions]
    colours = colour_map(names)

    selection_figures = []
    if selection is not None:
        selection_figures = [f for f in [figs.selection_bars(selection, colours, params.dpi)] if f]
    debugging_figures = []
    if debugging is not None:
        overview = figs.debugging_overview(debugging, timings, colours, params.dpi)
        per_id = [figs.debugging_curves(debugging, d, curves, colours, params.dpi) for d in sorted(debugging.data_ids)]
        debugging_figures = [f for f in [overview, *per_id] if f]

    written = []
    for fig in [*selection_figures, *debugging_figures]:
        atomic_write_bytes(out / fig.filename, fig.png)
        written.append(out / fig.filename)
    page = build_report(params.title, selection, debugging, timings, selection_figures, debugging_figures,
                        colours, asdict(params))
    atomic_write_text(out / REPORT_FILE, page)
    written.append(out / REPORT_FILE)
    return written
