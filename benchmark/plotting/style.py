"""One look for every figure: colours, markers, fonts and byte-stable PNG output.

Colours are assigned once per run from the sorted union of submission names of
both benchmarks, so a method has the same colour in every figure and in the
report's tables. The style is pinned here (not taken from a user's matplotlibrc)
and PNGs carry no version stamp, so re-running on the same results gives the
same bytes.
"""
from __future__ import annotations

import io
from contextlib import contextmanager
from typing import Iterable, Iterator

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# Tableau 10 first (distinct for up to ten submissions), then ten darker/lighter
# companions; beyond twenty the palette repeats.
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    "#393b79", "#e7ba52", "#637939", "#ad494a", "#7b4173",
    "#3182bd", "#843c39", "#31a354", "#d6616b", "#636363",
)
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">", "h", "p")
PNG_METADATA = {"Software": None}  # no matplotlib version stamp: reruns give the same bytes

RC = {
    "font.family": "DejaVu Sans",  # ships with matplotlib: same glyphs everywhere
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "svg.hashsalt": "benchmark",
    "path.simplify": False,
}


def colour_map(names: Iterable[str]) -> dict[str, str]:
    """Method name -> colour, by position in the sorted set of names."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(sorted(set(names)))}


def marker_map(data_ids: Iterable[str]) -> dict[str, str]:
    return {d: MARKERS[i % len(MARKERS)] for i, d in enumerate(sorted(set(data_ids)))}


@contextmanager
def pinned_style() -> Iterator[None]:
    with matplotlib.rc_context():
        matplotlib.style.use("default")
        matplotlib.rcParams.update(RC)
        yield


def png_bytes(fig: plt.Figure, dpi: int) -> bytes:
    """The figure as PNG bytes (and closed): fixed metadata, tight box around legends outside the axes."""
    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=dpi, metadata=PNG_METADATA, bbox_inches="tight",
                    pad_inches=0.15)
    finally:
        plt.close(fig)
    return buffer.getvalue()


def fmt(value: float | int | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def fmt_seconds(seconds: float | None, digits: int = 3) -> str:
    """Human-readable duration with its unit, for tick labels and table cells."""
    if seconds is None:
        return "—"
    for limit, scale, unit in ((1e-3, 1e6, "µs"), (1, 1e3, "ms"), (120, 1, "s"), (7200, 1 / 60, "min")):
        if seconds < limit:
            return f"{seconds * scale:.{digits}g} {unit}"
    return f"{seconds / 3600:.{digits}g} h"
