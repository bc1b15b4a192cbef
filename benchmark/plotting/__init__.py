"""Figures and the HTML report from the evaluation results (the ``plot`` task).

May import formats/, workspace/, scoring/ (interval rules) and the base modules (never tasks/, methods/ or sources/).
Split by concern so each piece can be tested alone: :mod:`benchmark.formats.results`
reads and checks the results files and fixes the leaderboard order,
:mod:`.inputs` reads the time files, :mod:`.style` pins colours and PNG output,
:mod:`.figures` draws, :mod:`.report` writes the page. :func:`render_all` ties them together and writes every output.
"""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from ..errors import InputError
from ..formats.atomic import atomic_write_bytes, atomic_write_text
from ..formats.parameters import PlotParams
from ..formats.results import CURVES_FILE, read_curves, read_results, results_path
from ..workspace.layout import DEBUGGING, SELECTION
from . import figures as figs
from .analysis_report import analysis_section, make_analysis_figures
from .inputs import load_timings
from .report import build_report
from .style import colour_map

REPORT_FILE = "report.html"


def render_all(results_root: Path, submission_root: Path, out: Path, params: PlotParams) -> list[Path]:
    """Read results_root/{selection,debugging}, write the PNGs and report.html into ``out``."""
    selection = read_results(results_path(results_root, SELECTION), SELECTION)
    debugging = read_results(results_path(results_root, DEBUGGING), DEBUGGING)
    if selection is None and debugging is None:
        expected = " or ".join(str(results_path(Path(), kind)) for kind in (SELECTION, DEBUGGING))
        raise InputError(f"no {expected}; run an evaluation first", results_root)
    curves = read_curves(results_root / DEBUGGING / CURVES_FILE, debugging) if debugging else {}
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

    extra = make_analysis_figures(selection, debugging, curves, colours, params.dpi)
    written = []
    for fig in [*selection_figures, *debugging_figures, *extra]:
        atomic_write_bytes(out / fig.filename, fig.png)
        written.append(out / fig.filename)
    page = build_report(params.title, selection, debugging, timings, selection_figures, debugging_figures,
                        colours, asdict(params), analysis=analysis_section(selection, debugging, extra, colours))
    atomic_write_text(out / REPORT_FILE, page)
    written.append(out / REPORT_FILE)
    return written
