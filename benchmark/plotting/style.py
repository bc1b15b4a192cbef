"""One look for every figure: colours, markers, fonts and byte-stable PNG output.

A submission's colour is derived from its name alone (a CRC-32 into a fixed
palette), so it is the same in every figure, in the report's tables and in every
report, whichever other submissions are present. The project's own baselines have
fixed, distinct colours; randoms (names like ``random_500`` or ``baseline_random``)
are greys and drawn dashed or hatched, references near-black, so neither is
mistaken for an entry. The style is pinned here (not taken from a user's
matplotlibrc) and PNGs carry no version stamp, so re-running on the same results
gives the same bytes.
"""
from __future__ import annotations

import io
import zlib
from contextlib import contextmanager
from typing import Iterable, Iterator

import matplotlib

from ..workspace.layout import is_random, is_reference

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# Tableau 10 without its grey, then darker companions: distinct hues for entries (greys are for randoms).
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#bcbd22", "#17becf", "#393b79",
    "#e7ba52", "#637939", "#ad494a", "#7b4173", "#3182bd",
    "#843c39", "#31a354", "#d6616b",
)
RANDOM_GREYS = ("#7f7f7f", "#5f5f5f", "#9a9a9a")
REFERENCE_COLOUR = "#222222"
# The shipped baselines and randoms: one colour each, never shared on one board (participants' names hash).
BASELINE_COLOURS = {
    "baseline_propagation": "#1f77b4", "baseline_nearest": "#ff7f0e", "baseline_selftrain_fps": "#2ca02c",
    "baseline_tmc_shapley": "#bcbd22", "baseline_knn_shapley": "#2ca02c", "baseline_confident_learning": "#1f77b4",
    "baseline_loss": "#d62728", "baseline_data_oob": "#ff7f0e",
    # the shipped randoms: distinct greys where they meet (random_500 and random are never on one board)
    "baseline_random": "#5f5f5f", "random_500": "#9a9a9a", "random": "#9a9a9a",
}
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


def _crc(name: str) -> int:
    """CRC-32, not hash(): Python salts str hashes per process, CRC-32 is the same everywhere."""
    return zlib.crc32(name.encode("utf-8"))


def colour_of(name: str) -> str:
    """The colour a submission has from its name alone (what :func:`colour_map` gives it unless another
    name in the same report claims that colour first)."""
    if is_reference(name):
        return REFERENCE_COLOUR
    if name in BASELINE_COLOURS:
        return BASELINE_COLOURS[name]
    if is_random(name):
        return RANDOM_GREYS[_crc(name) % len(RANDOM_GREYS)]
    return PALETTE[_crc(name) % len(PALETTE)]


def colour_map(names: Iterable[str]) -> dict[str, str]:
    """Method name -> colour for every name given.

    References and the shipped baselines keep :func:`colour_of`. Every other name gets its own colour
    too, unless another name (a baseline, or one earlier in sorted order) holds it: then it takes the
    next colour no name holds (randoms among the greys, entries in the palette). So a colour changes
    between two reports only where two names hash alike, and two entries share a colour only beyond the
    palette's eighteen.
    """
    ordered = sorted(set(names))
    out = {n: colour_of(n) for n in ordered if is_reference(n) or n in BASELINE_COLOURS}
    taken = set(out.values())
    for name in ordered:  # first every name whose own colour is still free
        if name not in out and colour_of(name) not in taken:
            out[name] = colour_of(name)
            taken.add(out[name])
    for name in ordered:  # then the ones that collided, each to the next free colour of its kind
        if name in out:
            continue
        palette = RANDOM_GREYS if is_random(name) else PALETTE
        start = _crc(name) % len(palette)
        probes = [palette[(start + k) % len(palette)] for k in range(len(palette))]
        out[name] = next((c for c in probes if c not in taken), probes[0])
        taken.add(out[name])
    return {name: out[name] for name in ordered}


def line_style(name: str) -> str:
    """Randoms dashed, references dash-dotted, entries solid."""
    return "--" if is_random(name) else "-." if is_reference(name) else "-"


def hatch(name: str) -> str | None:
    """Bars of randoms are hatched, so a grey bar never reads as an entry's."""
    return "////" if is_random(name) else None


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
