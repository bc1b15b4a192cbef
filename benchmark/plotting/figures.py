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
from .style import fmt, fmt_seconds, marker_map, pinned_style, png_bytes

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
def debugging_curves(debugging: Results, data_id: str, curves: dict[tuple[str, str], Curve],
                     colours: dict[str, str], dpi: int) -> Figure | None:
    """Accuracy against inspected points for every method scored on ``data_id``; None if none was."""
    summary = debugging.data_ids[data_id]
    n = int(summary["n_train"])
    methods = part_order(debugging, data_id)
    if not methods:
        return None
    with pinned_style():
        fig, ax = plt.subplots(figsize=(9, 5))
        lows = [summary["before_acc"], summary["target_acc"]]
        highs = [summary["target_acc"], summary["clean_acc"]]
        for sub in methods:
            part = sub.parts[data_id]
            curve = curves[(sub.name, data_id)]
            x = np.append(np.asarray(curve.fixes, dtype=float), n)
            y = np.append(np.asarray(curve.accuracy, dtype=float), curve.accuracy[-1])
            lows.append(float(y.min()))
            highs.append(float(y.max()))
            reached = part["fixes_to_target"]
            label = (f"{sub.name} — score {part['score']:.3f}" if reached is not None
                     else f"{sub.name} — target not reached (score {part['score']:.3f})")
            ax.step(x, y, where="post", color=colours[sub.name], linewidth=1.6, alpha=0.9, label=label,
                    zorder=3)
            if reached is not None and reached < len(curve.accuracy):
                ax.plot([curve.fixes[reached]], [curve.accuracy[reached]], marker="o", markersize=6, color=colours[sub.name],
                        markeredgecolor="white", markeredgewidth=1, linestyle="none", zorder=4)
                interval = part.get("score" + CI_SUFFIX)
                if interval is not None:  # where the target is reached, in points inspected
                    _error_bars(ax, [float(reached)], [curve.accuracy[reached]], [[v * n for v in interval]],
                                colours[sub.name], horizontal=True, alpha=0.55)
        ax.axhline(summary["before_acc"], color="black", linestyle="--", linewidth=1.1, zorder=2,
                   label=f"before cleaning ({summary['before_acc']:.3f})")
        ax.axhline(summary["target_acc"], color="#555555", linestyle=":", linewidth=1.6, zorder=2,
                   label=f"target ({summary['target_acc']:.3f})")
        ax.set_xlim(0, n)
        lo, hi = min(lows), max(highs)
        pad = max(0.01, 0.06 * (hi - lo))
        ax.set_ylim(max(0.0, lo - pad), min(1.0, hi + pad) + (0.005 if hi + pad >= 1 else 0))
        ax.set_xlabel("training points inspected, in submitted order (count)")
        ax.set_ylabel("test accuracy (fraction correct)")
        top = ax.secondary_xaxis("top", functions=(lambda v: v / n, lambda f: f * n))
        top.set_xlabel("fraction of the training set inspected", fontsize=9, color="#444444")
        top.tick_params(labelsize=8, colors="#444444")
        rule = (f"score = (budget reaching the target − 1) ÷ {n}, rounded accuracies (lower is better)"
                if debugging.protocol == DATAPERF_2022
                else f"score = points inspected by then ÷ {n} (lower is better)")
        _titles(fig, ax, f"Debugging {data_id}: test accuracy while fixing labels "
                f"({PROTOCOL_LABELS[debugging.protocol]})",
                f"{n} training points, {int(summary['n_mislabeled'])} mislabeled, {int(summary['n_test'])} "
                f"test points.  Dot: target reached; {rule}."
                + ("  Bar: its 95% bootstrap interval." if debugging.has_intervals else ""))
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), title="method — score",
                  title_fontproperties={"weight": "bold", "size": 9})
        missing = [s.name for _, s in ranked(debugging) if s not in methods]
        _note(fig, ax, [f"Not scored on {data_id} (errors in report.html): " + ", ".join(missing)] if missing else [])
        png = png_bytes(fig, dpi)
    caption = (f"Test accuracy on {data_id} after fixing the labels of the first k points of each method's "
               f"order ({PROTOCOL_LABELS[debugging.protocol]}); dashed: before cleaning, dotted: target "
               f"({summary['target_acc']:.3f}).")
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
def selection_bars(selection: Results, colours: dict[str, str], dpi: int) -> Figure | None:
    """The ranking metric per task (F1 by default) and its mean, bars in leaderboard order; None if nothing has one.

    Written as ``selection_<per-task metric>.png``: ``selection_f1.png`` by default.
    """
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
    width = 0.84 / n
    with pinned_style():
        fig, ax = plt.subplots(figsize=(min(13.0, max(7.0, len(groups) * (0.19 * n + 0.6) + 1.0)), 5))
        width = min(width, 0.25)
        mean_x = len(tasks)
        ax.axvspan(mean_x - 0.5, mean_x + 0.5, color="#f0f0f0", zorder=0)
        ax.axvline(mean_x - 0.5, color="#999999", linewidth=0.8, zorder=1)
        crosses = False
        for i, (rank, s) in enumerate(drawn):
            offset = (i - (n - 1) / 2) * width
            values = [s.parts.get(t, {}).get(key) for t in tasks] + [s.metric]
            xs = [g + offset for g, v in enumerate(values) if v is not None]
            ys = [v for v in values if v is not None]
            label = (f"{rank}. {s.name} — {mean} {s.metric:.3f}" if s.metric is not None
                     else f"{s.name} — invalid")
            ax.bar(xs, ys, width * 0.92, color=colours[s.name], label=label, zorder=3)
            intervals = [s.parts.get(t, {}).get(key + CI_SUFFIX) for t in tasks] + [s.metric_ci95]
            _error_bars(ax, xs, ys, [iv for iv, v in zip(intervals, values) if v is not None])
            for g, v in enumerate(values[:-1]):
                if v is None:
                    crosses = True
                    ax.text(g + offset, 0.01, "×", color=colours[s.name], ha="center", va="bottom",
                            fontsize=9, fontweight="bold", zorder=4)
            if s.metric is not None:  # the value inside a tall bar, above a short one
                inside = s.metric >= 0.25
                ax.text(mean_x + offset, s.metric + (-0.015 if inside else 0.015), f"{s.metric:.3f}", rotation=90,
                        ha="center", va="top" if inside else "bottom", fontsize=7 if n > 6 else 8,
                        color="white" if inside else "#333333", fontweight="bold", zorder=4, clip_on=True)
        ax.set_xticks(range(len(groups)), groups)
        for label in ax.get_xticklabels()[-1:]:
            label.set_fontweight("bold")
        ax.set_xlim(-0.5, len(groups) - 0.5)
        ax.set_ylim(0, 1.02)
        ax.grid(axis="x", visible=False)
        ax.set_xlabel("selection task (positive concept)")
        ax.set_ylabel(f"test {part} of the positive class (0–1)")
        _titles(fig, ax, f"Selection: test {part} per task and {mean}",
                f"Bars in leaderboard order, best first; higher is better. The leaderboard ranks the {mean}."
                + (" Whiskers: 95% bootstrap intervals." if selection.has_intervals else ""))
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), title=f"rank. submission — {mean}",
                  title_fontproperties={"weight": "bold", "size": 9})
        notes = []
        if crosses:
            notes.append("×: task not scored (invalid training set; see the report).")
        skipped = [s.name for _, s in order if (_, s) not in drawn]
        if skipped:
            notes.append(f"No {part} on any task, not drawn: " + ", ".join(skipped))
        _note(fig, ax, notes, y=-0.13)
        png = png_bytes(fig, dpi)
    return Figure(f"selection_{key}.png", f"Selection: {part} per task and {mean}",
                  f"Test {part} of a logistic regression trained on each submitted training set, per task, "
                  "and the mean over tasks that ranks the leaderboard.", png)
