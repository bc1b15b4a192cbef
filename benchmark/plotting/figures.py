"""The figures, each a pure function from checked results to PNG bytes.

Legends sit outside the axes (right of them) so that ten or more submissions
never cover the data, list methods in leaderboard order and carry each one's
score, so a figure can be read without the report next to it.
"""
from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from ..formats.results import CI_SUFFIX, DATAPERF_2022, PROTOCOL_LABELS, Curve, Results, part_order, ranked
from .inputs import Timing
from .style import fmt, fmt_seconds, hatch, line_style, marker_map, pinned_style, png_bytes

MIN_TIME_S = 1e-4  # log axis floor: a time file may say 0 seconds
NOTE_WIDTH = 110


@dataclass(frozen=True)
class Figure:
    """One rendered figure: written as ``filename`` and embedded in report.html with its caption."""

    filename: str
    title: str
    caption: str
    png: bytes


def _titles(fig: plt.Figure, ax: plt.Axes, title: str, subtitle: str) -> None:
    """Bold title over a grey subtitle, left-aligned with the axes (the subtitle clears a top axis)."""
    ax.set_title(subtitle, loc="left", fontsize=9, color="#444444", fontweight="normal", pad=8)
    fig.draw_without_rendering()  # lay out the top axis so the title can sit above the subtitle
    box = ax.title.get_window_extent().transformed(fig.transFigure.inverted())
    gap = 5 / (72 * fig.get_figheight())  # 5 points, whatever the figure size
    fig.text(ax.get_position().x0, box.y1 + gap, title, fontsize=12, fontweight="bold", ha="left",
             va="bottom")


def _decade_label(seconds: float) -> str:
    for scale, unit in ((1, "s"), (1e3, "ms"), (1e6, "µs"), (1e9, "ns")):
        if seconds * scale >= 0.999:
            return f"{seconds * scale:.0f} {unit}"
    return f"{seconds:g} s"


def _log_seconds_axis(ax: plt.Axes, low: float, high: float) -> None:
    """Whole decades on a log axis (at least two), ticks labelled with units: 100 µs, 1 ms, 1 s, 100 s."""
    lo = 10.0 ** math.floor(math.log10(low / 2))  # a margin of at least x2: no point on the frame
    hi = 10.0 ** math.ceil(math.log10(high * 2))
    if hi / lo < 100:  # at least two decades, so there are ticks to read
        lo, hi = lo / 10, hi * 10
    ax.set_xlim(lo, hi)
    ax.xaxis.set_major_locator(LogLocator(base=10, numticks=12))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _decade_label(v)))
    ax.xaxis.set_minor_formatter(NullFormatter())


def _dodged(ax: plt.Axes, xs: list[float], ys: list[float], gap_pt: float = 9.0) -> list[float]:
    """x positions at which no two markers cover each other: a point that would land on one already
    placed moves sideways (right, left, further right ...) in steps of one marker width. Limits must
    be set; the order given (leaderboard order) decides who stays on its true time."""
    fig = ax.figure
    gap = gap_pt * fig.dpi / 72
    to_px, from_px = ax.transData, ax.transData.inverted()
    placed: list[tuple[float, float]] = []
    out = []
    for x, y in zip(xs, ys):
        px, py = to_px.transform((x, y))
        for k in (0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5):
            cx = px + k * gap
            if all((cx - qx) ** 2 + (py - qy) ** 2 >= (0.95 * gap) ** 2 for qx, qy in placed):
                break
        placed.append((cx, py))
        out.append(float(from_px.transform((cx, py))[0]))
    return out


def _error_bars(ax: plt.Axes, xs: list[float], ys: list[float], intervals: list[list[float] | None],
                colour: str | list[str] = "#222222", horizontal: bool = False, alpha: float = 1.0) -> None:
    """95% bootstrap intervals as thin bars on the points that have one (one colour, or one per point)."""
    colours = [colour] * len(xs) if isinstance(colour, str) else list(colour)
    for x, y, interval, c in zip(xs, ys, intervals, colours):
        if interval is None:
            continue
        lo, hi = interval
        centre = x if horizontal else y
        spread = [[max(0.0, centre - lo)], [max(0.0, hi - centre)]]
        ax.errorbar([x], [y], **({"xerr": spread} if horizontal else {"yerr": spread}), fmt="none", ecolor=c,
                    elinewidth=1.0, capsize=2.5, capthick=1.0, alpha=alpha, zorder=5)


def _note(fig: plt.Figure, ax: plt.Axes, lines: list[str], y: float = -0.16) -> None:
    if lines:
        text = "\n".join(textwrap.fill(line, NOTE_WIDTH, subsequent_indent="    ") for line in lines)
        ax.text(0, y, text, transform=ax.transAxes, fontsize=8.5, color="#555555", va="top")


# --------------------------------------------------------------------------- debugging, per data_id
OTHERS_GREY = "#d9d9d9"  # every other method's curve, behind the one a panel is about
PANEL_IN = (2.9, 2.2)  # one panel's size in inches


def _panel_grid(count: int) -> tuple[int, int]:
    """(rows, columns) for ``count`` panels: up to 4 side by side for few methods, 5 for many."""
    columns = count if count <= 4 else 4 if count <= 8 else 5
    return math.ceil(count / columns), columns


def _ties(methods: list, data_id: str) -> dict[str, list[str]]:
    """Per method: the others with exactly the same score on ``data_id`` (their panels look alike)."""
    by_score: dict[float, list[str]] = {}
    for sub in methods:
        by_score.setdefault(sub.parts[data_id]["score"], []).append(sub.name)
    return {name: [n for n in names if n != name] for names in by_score.values() for name in names}


def curves_figure(debugging: Results, data_id: str, curves: dict[tuple[str, str], Curve],
                  colours: dict[str, str]) -> plt.Figure | None:
    """Small multiples: one panel per method scored on ``data_id`` (best first), its curve in its colour over
    every other method's in grey, so thirty methods stay as readable as three and tied methods never hide
    each other. The dot sits where the curve crosses the target line. Drawn, not saved (see
    :func:`debugging_curves`); call inside :func:`pinned_style`."""
    summary = debugging.data_ids[data_id]
    n = int(summary["n_train"])
    methods = part_order(debugging, data_id)
    if not methods:
        return None
    rows, columns = _panel_grid(len(methods))
    width, height = PANEL_IN[0] * columns + 0.9, PANEL_IN[1] * rows + 1.8
    fig, axes = plt.subplots(rows, columns, figsize=(width, height), sharex=True, sharey=True, squeeze=False)
    fig.subplots_adjust(left=0.9 / width, right=1 - 0.15 / width, top=1 - 1.3 / height,
                        bottom=0.55 / height, wspace=0.08, hspace=0.42)
    drawn = {}
    lows = [summary["before_acc"], summary["target_acc"]]
    highs = [summary["target_acc"], summary["clean_acc"]]
    for sub in methods:
        curve = curves[(sub.name, data_id)]
        x = np.append(np.asarray(curve.fixes, dtype=float), n)
        y = np.append(np.asarray(curve.accuracy, dtype=float), curve.accuracy[-1])
        drawn[sub.name] = (x, y)
        lows.append(float(y.min()))
        highs.append(float(y.max()))
    ties = _ties(methods, data_id)
    ranks = {s.name: rank for rank, s in ranked(debugging)}
    for i, sub in enumerate(methods):
        ax = axes[i // columns][i % columns]
        part = sub.parts[data_id]
        for other, (x, y) in drawn.items():
            if other != sub.name:
                ax.step(x, y, where="post", color=OTHERS_GREY, linewidth=0.8, zorder=1)
        ax.axhline(summary["before_acc"], color="black", linestyle="--", linewidth=0.9, zorder=2)
        ax.axhline(summary["target_acc"], color="#555555", linestyle=":", linewidth=1.3, zorder=2)
        x, y = drawn[sub.name]
        colour = colours[sub.name]
        ax.step(x, y, where="post", color=colour, linewidth=1.7, linestyle=line_style(sub.name), zorder=3)
        reached = part["fixes_to_target"]
        curve = curves[(sub.name, data_id)]
        if reached is not None and reached < len(curve.accuracy):
            at = float(curve.fixes[reached])
            interval = part.get("score" + CI_SUFFIX)
            if interval is not None:  # where the target is reached, in points inspected
                _error_bars(ax, [at], [summary["target_acc"]], [[v * n for v in interval]], colour,
                            horizontal=True)
            ax.plot([at], [summary["target_acc"]], marker="o", markersize=6, color=colour,
                    markeredgecolor="white", markeredgewidth=1, linestyle="none", zorder=6)
        head = sub.name if ranks.get(sub.name) is not None else f"{sub.name} (invalid)"
        score = (f"score {part['score']:.3f}" if reached is not None
                 else f"target not reached: score {part['score']:.3f}")
        tied = ties[sub.name] if reached is not None else []  # "not reached" already says it all
        if tied:
            score += "; tied with " + ", ".join(tied[:2]) + (f" +{len(tied) - 2}" if len(tied) > 2 else "")
        ax.set_title(f"{_shorten(head, 38)}\n{_shorten(score, 44)}", loc="left", fontsize=8.5,
                     fontweight="normal", color="#222222", pad=4)
        ax.tick_params(labelsize=8)
    for j in range(len(methods), rows * columns):
        axes[j // columns][j % columns].set_axis_off()
    lo, hi = min(lows), max(highs)
    pad = max(0.01, 0.06 * (hi - lo))
    axes[0][0].set_xlim(0, n)
    axes[0][0].set_ylim(max(0.0, lo - pad), min(1.0, hi + pad) + (0.005 if hi + pad >= 1 else 0))
    fig.supxlabel(f"training points inspected, in submitted order (of {n})", fontsize=10,
                  y=0.12 / height)
    fig.supylabel("test accuracy (fraction correct)", fontsize=10, x=0.15 / width)
    rule = (f"score = (budget reaching the target − 1) ÷ {n}, rounded accuracies"
            if debugging.protocol == DATAPERF_2022 else f"score = points inspected by then ÷ {n}")
    fig.text(0.1 / width, 1 - 0.12 / height, f"Debugging {data_id}: test accuracy while fixing labels "
             f"({PROTOCOL_LABELS[debugging.protocol]})", fontsize=12, fontweight="bold", va="top")
    fig.text(0.1 / width, 1 - 0.42 / height,
             f"{n} training points, {int(summary['n_mislabeled'])} mislabeled, {int(summary['n_test'])} test "
             f"points. One panel per method, best first; grey: the other methods. Dashed: before cleaning "
             f"({summary['before_acc']:.3f}); dotted: target ({summary['target_acc']:.3f}).",
             fontsize=8.5, color="#444444", va="top", wrap=True)
    fig.text(0.1 / width, 1 - 0.62 / height,
             f"Dot: where the target is reached ({rule}; lower is better)."
             + ("  Bar: its 95% bootstrap interval." if debugging.has_intervals else ""),
             fontsize=8.5, color="#444444", va="top")
    missing = [s.name for _, s in ranked(debugging) if s not in methods]
    if missing:
        fig.text(0.1 / width, 0.02 / height, _shorten(f"Not scored on {data_id} (errors in report.html): "
                                                      + ", ".join(missing), 160),
                 fontsize=8.5, color="#555555", va="bottom")
    return fig


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def debugging_curves(debugging: Results, data_id: str, curves: dict[tuple[str, str], Curve],
                     colours: dict[str, str], dpi: int) -> Figure | None:
    """Accuracy against inspected points for every method scored on ``data_id``; None if none was."""
    with pinned_style():
        fig = curves_figure(debugging, data_id, curves, colours)
        if fig is None:
            return None
        png = png_bytes(fig, dpi)
    summary = debugging.data_ids[data_id]
    caption = (f"Test accuracy on {data_id} after fixing the labels of the first k points of each method's "
               f"order ({PROTOCOL_LABELS[debugging.protocol]}), one panel per method with the others in grey; "
               f"dashed: before cleaning, dotted: target ({summary['target_acc']:.3f}); the dot marks where "
               "the target is reached.")
    return Figure(f"debugging_{data_id}.png", f"Debugging {data_id}: accuracy while cleaning", caption, png)


# --------------------------------------------------------------------------- debugging overview
def debugging_overview(debugging: Results, timings: dict[tuple[str, str], Timing], colours: dict[str, str],
                       dpi: int) -> Figure | None:
    """Valuation time (log) against score: is a slower method worth it? None if nothing was scored."""
    order = [s for _, s in ranked(debugging)]
    data_ids = sorted(debugging.data_ids)
    markers = marker_map(data_ids)
    scored = [(s, d) for s in order for d in data_ids if d in s.parts and "error" not in s.parts[d]]
    if not scored:
        return None
    points = [(s, d, timings[(s.name, d)].seconds) for s, d in scored if timings[(s.name, d)].seconds is not None]
    left_out: dict[str, list[str]] = {}
    for s, d in scored:
        if timings[(s.name, d)].seconds is None:
            left_out.setdefault(s.name, []).append(d)
    notes = []
    if left_out:
        parts = []
        for name in sorted(left_out):
            ids = left_out[name]
            total = sum(1 for s, _ in scored if s.name == name)
            parts.append(f"{name} ({'all data_ids' if len(ids) == total else ', '.join(ids)})")
        notes.append("Left out, no time file: " + "; ".join(parts))
    clipped = sorted({s.name for s, _, t in points if t < MIN_TIME_S})
    if clipped:
        notes.append(f"Times under {fmt_seconds(MIN_TIME_S)} drawn at {fmt_seconds(MIN_TIME_S)}: "
                     + ", ".join(clipped))
    with pinned_style():
        fig, ax = plt.subplots(figsize=(9, 5))
        ax.set_xscale("log")
        times = [max(t, MIN_TIME_S) for _, _, t in points]
        scores = [s.parts[d]["score"] for s, d, _ in points]
        _log_seconds_axis(ax, min(times, default=1e-3), max(times, default=1.0))
        tops = scores + [s.parts[d]["score" + CI_SUFFIX][1] for s, d, _ in points
                         if s.parts[d].get("score" + CI_SUFFIX) is not None]
        ax.set_ylim(0, min(1.05, max(tops, default=1.0) * 1.15 + 0.02))
        dodged = _dodged(ax, times, scores)
        for (s, d, _), x, y in zip(points, dodged, scores):
            ax.scatter([x], [y], s=70, marker=markers[d], color=colours[s.name], edgecolors="white",
                       linewidths=0.8, zorder=3, alpha=0.95)
        _error_bars(ax, dodged, scores, [s.parts[d].get("score" + CI_SUFFIX) for s, d, _ in points],
                    [colours[s.name] for s, _, _ in points], alpha=0.6)
        if not points:
            ax.text(0.5, 0.5, "no method has a time file", transform=ax.transAxes, ha="center",
                    va="center", color="#777777", fontsize=11)
        ax.set_xlabel("valuation time per data_id, from the time file (log scale)")
        ax.set_ylabel("score: fraction of training set inspected")
        _titles(fig, ax, "Debugging overview: valuation time against score",
                "One point per method and data_id; lower is better (fewer points inspected), left is faster. "
                "Overlapping points are set side by side."
                + (" Bars: 95% bootstrap intervals." if debugging.has_intervals else ""))
        drawn = {s.name for s, _, _ in points}
        blank = Line2D([], [], linestyle="none", marker="none")
        handles: list[Line2D] = [blank]
        labels = ["method (colour) — mean score"]
        for s in order:
            if s.name in drawn:
                handles.append(Line2D([], [], color=colours[s.name], marker="o", linestyle="none", markersize=8))
                labels.append(f"{s.name} — {fmt(s.metric)}" if s.metric is not None else f"{s.name} — invalid")
        handles += [blank, blank]
        labels += ["", "data_id (marker)"]
        for d in data_ids:
            handles.append(Line2D([], [], color="#555555", marker=markers[d], linestyle="none", markersize=8))
            labels.append(d)
        legend = ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0), handletextpad=0.4)
        for i, text in enumerate(legend.get_texts()):
            if labels[i] in ("method (colour) — mean score", "data_id (marker)"):
                text.set_fontweight("bold")
                text.set_x(-20)
        _note(fig, ax, notes)
        png = png_bytes(fig, dpi)
    caption = ("Valuation time from each method's time file (log scale) against its score on each data_id. "
               + ("" if left_out else "Every scored method has a time file. ") + " ".join(f"{n}." for n in notes))
    return Figure("debugging_overview.png", "Debugging overview: time against score", caption, png)


# --------------------------------------------------------------------------- selection
MAX_VALUE_LABELS = 12  # more bars than this: the values are in the legend only (labels would touch)
LABEL_GAP = 0.015  # between a value label and a bar end or whisker cap, in F1 units


def _ink_on(colour: str) -> str:
    """White text on a dark fill, near-black on a light one (relative luminance, sRGB weights)."""
    r, g, b = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return "white" if 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.55 else "#222222"


def _value_labels(fig: plt.Figure, ax: plt.Axes, bars: list[tuple[float, float, list[float] | None, str]],
                  fontsize: float) -> float:
    """Vertical value labels for the mean group's bars, never crossed by a whisker: inside the bar below
    its interval when the label fits there, else above the interval's upper cap. ``bars``: (x, value,
    interval, colour). Returns the y the axis must reach for the labels above."""
    renderer = fig.canvas.get_renderer()
    to_data = ax.transData.inverted()
    top = 0.0
    for x, value, interval, colour in bars:
        lo, hi = interval if interval is not None else (value, value)
        text = ax.text(x, LABEL_GAP, f"{value:.3f}", rotation=90, ha="center", va="bottom", fontsize=fontsize,
                       fontweight="bold", color=_ink_on(colour), zorder=6,
                       bbox={"boxstyle": "square,pad=0.12", "facecolor": colour, "edgecolor": "none"})
        box = text.get_window_extent(renderer).transformed(to_data)
        if LABEL_GAP + box.height + LABEL_GAP > min(lo, value):  # no room inside: above the upper cap
            text.set_y(max(hi, value) + LABEL_GAP)
            text.set_color("#222222")
            text.get_bbox_patch().set_facecolor("none")
            top = max(top, max(hi, value) + LABEL_GAP + box.height + LABEL_GAP)
    return top


def selection_figure(selection: Results, colours: dict[str, str]) -> plt.Figure | None:
    """The bars, drawn and not saved (see :func:`selection_bars`); call inside :func:`pinned_style`."""
    metric = selection.ranking
    key, part, mean = metric.part_key, metric.part_label, metric.label
    order = [(rank, s) for rank, s in ranked(selection)]
    tasks = sorted({t for _, s in order for t in s.parts} | set(selection.settings.get("tasks", {}) or {}))
    drawn = [(rank, s) for rank, s in order
             if s.metric is not None or any(s.parts.get(t, {}).get(key) is not None for t in tasks)]
    if not drawn:
        return None
    groups = [*tasks, mean]
    n = len(drawn)
    width = min(0.84 / n, 0.25)
    fig, ax = plt.subplots(figsize=(min(13.0, max(7.0, len(groups) * (0.19 * n + 0.6) + 1.0)), 5))
    mean_x = len(tasks)
    ax.axvspan(mean_x - 0.5, mean_x + 0.5, color="#f0f0f0", zorder=0)
    ax.axvline(mean_x - 0.5, color="#999999", linewidth=0.8, zorder=1)
    ax.set_xlim(-0.5, len(groups) - 0.5)
    ax.set_ylim(0, 1.02)
    crosses = False
    labelled = []
    for i, (rank, s) in enumerate(drawn):
        offset = (i - (n - 1) / 2) * width
        values = [s.parts.get(t, {}).get(key) for t in tasks] + [s.metric]
        xs = [g + offset for g, v in enumerate(values) if v is not None]
        ys = [v for v in values if v is not None]
        label = (f"{rank}. {s.name} — {mean} {s.metric:.3f}" if s.metric is not None
                 else f"{s.name} — invalid")
        ax.bar(xs, ys, width * 0.92, color=colours[s.name], label=label, zorder=3, hatch=hatch(s.name),
               edgecolor="white", linewidth=0)
        intervals = [s.parts.get(t, {}).get(key + CI_SUFFIX) for t in tasks] + [s.metric_ci95]
        _error_bars(ax, xs, ys, [iv for iv, v in zip(intervals, values) if v is not None])
        for g, v in enumerate(values[:-1]):
            if v is None:
                crosses = True
                ax.text(g + offset, 0.01, "×", color=colours[s.name], ha="center", va="bottom",
                        fontsize=9, fontweight="bold", zorder=4)
        if s.metric is not None:
            labelled.append((mean_x + offset, s.metric, s.metric_ci95, colours[s.name]))
    ax.set_xticks(range(len(groups)), groups)
    for tick in ax.get_xticklabels()[-1:]:
        tick.set_fontweight("bold")
    ax.grid(axis="x", visible=False)
    ax.set_xlabel("selection task (positive concept)")
    ax.set_ylabel(f"test {part} of the positive class (0–1)")
    _titles(fig, ax, f"Selection: test {part} per task and {mean}",
            f"Bars in leaderboard order, best first; higher is better. The leaderboard ranks the {mean}."
            + (" Whiskers: 95% bootstrap intervals." if selection.has_intervals else ""))
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), title=f"rank. submission — {mean}",
              title_fontproperties={"weight": "bold", "size": 9})
    if len(labelled) <= MAX_VALUE_LABELS:
        top = _value_labels(fig, ax, labelled, 7 if n > 6 else 8)
        ax.set_ylim(0, max(1.02, top))
        ax.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    notes = []
    if crosses:
        notes.append("×: task not scored (invalid training set; see the report).")
    if any(hatch(s.name) for _, s in drawn):
        notes.append("Hatched grey: a random entry (the floor to beat, see the report).")
    skipped = [s.name for _, s in order if (_, s) not in drawn]
    if skipped:
        notes.append(f"No {part} on any task, not drawn: " + ", ".join(skipped))
    _note(fig, ax, notes, y=-0.13)
    return fig


def selection_bars(selection: Results, colours: dict[str, str], dpi: int) -> Figure | None:
    """The ranking metric per task (F1 by default) and its mean, bars in leaderboard order; None if nothing has one.

    Written as ``selection_<per-task metric>.png``: ``selection_f1.png`` by default.
    """
    metric = selection.ranking
    with pinned_style():
        fig = selection_figure(selection, colours)
        if fig is None:
            return None
        png = png_bytes(fig, dpi)
    key, part, mean = metric.part_key, metric.part_label, metric.label
    return Figure(f"selection_{key}.png", f"Selection: {part} per task and {mean}",
                  f"Test {part} of a logistic regression trained on each submitted training set, per task, "
                  "and the mean over tasks that ranks the leaderboard.", png)
