"""Figures of the analyses beyond the leaderboard number (results.yaml's ``analysis`` section; docs/analysis.md).

One figure per analysis, one panel per data_id or task, the legend outside on the right and
shared by the panels, so 30 submissions stay readable; a method keeps its colour from
every other figure (from the 21st on, dashed, as the palette repeats).
"""
from __future__ import annotations

import math
import textwrap

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

from ..formats.results import Curve, Results, ranked
from ..scoring.analysis.budget import PowerLaw
from .figures import Figure
from .style import PALETTE, marker_map, pinned_style, png_bytes

TEXT = {"font.size": 11, "axes.titlesize": 12, "axes.labelsize": 11, "legend.fontsize": 10}
RANDOM_COLOUR, ORACLE_COLOUR = "#777777", "#111111"


HEAD_IN = 1.25  # inches above the panels for the title and its subtitle


def _grid(count: int, legend_rows: int) -> tuple[plt.Figure, list[plt.Axes]]:
    cols = min(3, count)
    rows = math.ceil(count / cols)
    height = max(3.9 * rows, 0.25 * legend_rows + 0.6) + HEAD_IN
    fig, axes = plt.subplots(rows, cols, figsize=(4.8 * cols, height), squeeze=False)
    flat = list(axes.flat)
    for ax in flat[count:]:
        ax.set_visible(False)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.6 / height, top=1 - HEAD_IN / height, wspace=0.3,
                        hspace=0.45)
    return fig, flat[:count]


def _style(colours: dict[str, str], name: str) -> dict:
    index = sorted(colours).index(name) if name in colours else 0
    return {"color": colours.get(name, PALETTE[0]), "linestyle": "--" if index >= len(PALETTE) else "-"}


def _legend(fig: plt.Figure, handles: list, labels: list[str], title: str) -> None:
    """Right of every panel (the PNG's tight box grows to hold it), top-aligned with them."""
    top = fig.subplotpars.top
    fig.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.0, top), title=title, frameon=False,
               title_fontproperties={"weight": "bold", "size": 10}, alignment="left")


def _heading(fig: plt.Figure, title: str, subtitle: str) -> None:
    """Bold title and a wrapped grey subtitle in the space above the panels."""
    height = fig.get_figheight()
    width_chars = int(fig.get_figwidth() * 11)
    fig.text(0.01, 1 - 0.12 / height, title, ha="left", va="top", fontsize=13, fontweight="bold")
    fig.text(0.01, 1 - 0.45 / height, textwrap.fill(subtitle, width_chars), ha="left", va="top", fontsize=10,
             color="#444444")


def _methods(debugging: Results) -> list[str]:
    """Ranked methods, then references (as the leaderboard lists them)."""
    return [s.name for _, s in ranked(debugging)] + [s.name for s in debugging.submissions.values() if s.reference]


# --------------------------------------------------------------------------- debugging
def precision_recall(debugging: Results, colours: dict[str, str], dpi: int) -> Figure | None:
    """Precision against recall of each order per data_id (exact: from where each mislabeled row was found)."""
    parts = (debugging.analysis or {}).get("data_ids", {})
    ids = [d for d in sorted(parts) if parts[d]["submissions"] and debugging.data_ids[d]["n_mislabeled"] > 0]
    if not ids:
        return None
    names = [n for n in _methods(debugging) if any(n in parts[d]["submissions"] for d in ids)]
    with pinned_style(), plt.rc_context(TEXT):
        fig, axes = _grid(len(ids), len(names) + 2)
        for ax, d in zip(axes, ids):
            n, m = int(debugging.data_ids[d]["n_train"]), int(debugging.data_ids[d]["n_mislabeled"])
            for name in names:
                entry = parts[d]["submissions"].get(name)
                if entry is None:
                    continue
                hits = np.arange(1, len(entry["found_at"]) + 1)
                recall = hits / m  # one point per mislabeled row found, where it is found
                precision = hits / np.asarray(entry["found_at"], dtype=float)
                ax.plot(recall, precision, linewidth=1.5, alpha=0.9, **_style(colours, name))
            ax.axhline(m / n, color=RANDOM_COLOUR, linestyle=":", linewidth=1.6)
            ax.set_xlim(0, 1.0)
            ax.set_ylim(0, 1.03)
            ax.set_title(f"{d} ({m} of {n} rows mislabeled)", loc="left", fontsize=10.5)
            ax.set_xlabel("recall (share of mislabeled rows found)")
            ax.set_ylabel("precision")
        handles = [Line2D([], [], linewidth=2, **_style(colours, n)) for n in names]
        def mean_ap(name: str) -> float:
            return float(np.mean([parts[d]["submissions"][name]["average_precision"] for d in ids
                                  if name in parts[d]["submissions"]]))
        labels = [f"{n} — mean AP {mean_ap(n):.3f}" for n in names]
        handles.append(Line2D([], [], color=RANDOM_COLOUR, linestyle=":", linewidth=1.6))
        labels.append("random order (precision m ÷ n)")
        _legend(fig, handles, labels, "method — mean average precision")
        _heading(fig, "Debugging: precision–recall of each inspection order",
                 "Exact, from the position of every mislabeled row in the order; rows an order leaves out are "
                 "never found. Higher and further right is better.")
        png = png_bytes(fig, dpi)
    return Figure("analysis_debugging_precision_recall.png", "Debugging: precision–recall of the orders",
                  "Precision against recall of each order against the true mislabeled rows, per data_id; the "
                  "legend gives the mean average precision (the area under the curve) over data_ids.", png)


def against_references(debugging: Results, curves: dict[tuple[str, str], Curve], colours: dict[str, str],
                       dpi: int) -> Figure | None:
    """Each order's accuracy-vs-inspections curve (curves.csv) beside the oracle and the random expectation."""
    parts = (debugging.analysis or {}).get("data_ids", {})
    ids = [d for d in sorted(parts) if parts[d]["random"] is not None]
    if not ids:
        return None
    names = [n for n in _methods(debugging) if any(n in parts[d]["submissions"] for d in ids)]
    with pinned_style(), plt.rc_context(TEXT):
        fig, axes = _grid(len(ids), len(names) + 3)
        for ax, d in zip(axes, ids):
            n = int(debugging.data_ids[d]["n_train"])
            x = np.arange(n + 1) / n
            random, oracle = parts[d]["random"], parts[d]["oracle"]
            mean = np.asarray(random["curve"])
            band = 1.96 * np.asarray(random["curve_se"])
            for name in names:
                if (name, d) not in curves or name not in parts[d]["submissions"]:
                    continue
                c = curves[(name, d)]
                xs = np.append(np.asarray(c.fixes, dtype=float), n) / n
                ys = np.append(np.asarray(c.accuracy), c.accuracy[-1])
                ax.step(xs, ys, where="post", linewidth=1.2, alpha=0.85, **_style(colours, name))
            ax.fill_between(x, mean - band, mean + band, color=RANDOM_COLOUR, alpha=0.25, linewidth=0, zorder=4)
            ax.plot(x, mean, color=RANDOM_COLOUR, linestyle="--", linewidth=2.0, zorder=5)
            ax.step(x, oracle["curve"], where="post", color=ORACLE_COLOUR, linewidth=2.2, zorder=6)
            ax.set_xlim(0, 1)
            ax.set_title(f"{d} (areas: random {random['auc']:.3f}, oracle {oracle['auc']:.3f})", loc="left",
                         fontsize=10.5)
            ax.set_xlabel("fraction of training rows inspected")
            ax.set_ylabel("test accuracy")
        def mean_normalised(name: str) -> str:
            values = [parts[d]["submissions"][name]["normalised_auc"] for d in ids if name in parts[d]["submissions"]]
            values = [v for v in values if v is not None]
            return f"{np.mean(values):.3f}" if values else "—"
        handles = [Line2D([], [], color=ORACLE_COLOUR, linewidth=2.2),
                   Line2D([], [], color=RANDOM_COLOUR, linestyle="--", linewidth=2.0)]
        labels = ["oracle (mislabeled rows first) = 1", "random order, expected = 0 (band: 95%)"]
        handles += [Line2D([], [], linewidth=2, **_style(colours, n)) for n in names]
        labels += [f"{n} — {mean_normalised(n)}" for n in names]
        _legend(fig, handles, labels, "method — mean normalised score")
        exact = all(parts[d]["random"]["exact"] for d in ids)
        _heading(fig, "Debugging: accuracy while cleaning, against the oracle and a random order",
                 "Normalised score = (area − random's expected area) ÷ (oracle's area − random's). Random "
                 + ("expectation exact." if exact else
                    f"expectation: exact mixing over the mislabeled count, {parts[ids[0]]['random']['draws']} "
                    "seeded orders of the mislabeled rows; band ±1.96 standard errors."))
        png = png_bytes(fig, dpi)
    return Figure("analysis_debugging_references.png", "Debugging: curves against the oracle and random",
                  "Each order's test accuracy while its labels are fixed (curves.csv), with the oracle order (black) "
                  "and the expected curve of a uniformly random order (grey, with its 95% band); the legend gives "
                  "each method's normalised score averaged over data_ids.", png)


def normalised_scores(debugging: Results, colours: dict[str, str], dpi: int) -> Figure | None:
    """Normalised score (0 random, 1 oracle) beside the leaderboard's fraction inspected, per method and data_id."""
    parts = (debugging.analysis or {}).get("data_ids", {})
    ids = [d for d in sorted(parts) if parts[d]["random"] is not None]
    if not ids:
        return None
    names = [n for n in _methods(debugging) if any(n in parts[d]["submissions"] for d in ids)]
    markers = marker_map(ids)
    with pinned_style(), plt.rc_context(TEXT):
        height = max(4.0, 0.42 * len(names) + 1.6) + HEAD_IN
        fig, (left, right) = plt.subplots(1, 2, figsize=(12, height), sharey=True)
        fig.subplots_adjust(left=0.2, right=0.98, bottom=0.7 / height, top=1 - HEAD_IN / height, wspace=0.08)
        for row, name in enumerate(names):
            for d in ids:
                entry = parts[d]["submissions"].get(name)
                part = debugging.submissions[name].parts.get(d, {})
                if entry is None or entry["normalised_auc"] is None:
                    continue
                style = _style(colours, name)
                left.scatter([entry["normalised_auc"]], [row], marker=markers[d], s=60, color=style["color"],
                             edgecolors="white", zorder=3)
                right.scatter([part["score"]], [row], marker=markers[d], s=60, color=style["color"],
                              edgecolors="white", zorder=3)
        left.axvline(0, color=RANDOM_COLOUR, linestyle="--", linewidth=1.4)
        left.axvline(1, color=ORACLE_COLOUR, linewidth=1.4)
        left.set_yticks(range(len(names)), names)
        left.invert_yaxis()
        left.set_xlabel("normalised score\n(0 = random's expectation, 1 = oracle; higher is better)")
        right.set_xlabel("leaderboard score: fraction inspected\nto reach the target (lower is better)")
        right.set_xlim(0, 1.02)
        handles = [Line2D([], [], color="#555555", marker=markers[d], linestyle="none", markersize=8) for d in ids]
        _legend(fig, handles, ids, "data_id")
        _heading(fig, "Debugging: normalised score next to the fraction of fixes",
                 "One point per method and data_id; methods in leaderboard order.")
        png = png_bytes(fig, dpi)
    return Figure("analysis_debugging_normalised.png", "Debugging: normalised score and fraction of fixes",
                  "Left: where each order's area under the cleaning curve falls between a random order's "
                  "expectation (0) and the oracle's (1). Right: the leaderboard score of the same order.", png)


def point_removal(debugging: Results, colours: dict[str, str], dpi: int) -> Figure | None:
    """OpenDataVal's point-removal curves, when the evaluation computed them."""
    analysis = debugging.analysis or {}
    fractions = analysis.get("settings", {}).get("removal_fractions")
    parts = analysis.get("data_ids", {})
    ids = [d for d in sorted(parts) if any("removal_accuracy" in e for e in parts[d]["submissions"].values())]
    if not ids or not fractions:
        return None
    names = [n for n in _methods(debugging) if any(n in parts[d]["submissions"] for d in ids)]
    with pinned_style(), plt.rc_context(TEXT):
        fig, axes = _grid(len(ids), len(names) + 1)
        for ax, d in zip(axes, ids):
            for name in names:
                entry = parts[d]["submissions"].get(name)
                if entry is None or "removal_accuracy" not in entry:
                    continue
                ax.plot(fractions, entry["removal_accuracy"], marker="o", markersize=4, linewidth=1.4,
                        **_style(colours, name))
            ax.axhline(debugging.data_ids[d]["clean_acc"], color=ORACLE_COLOUR, linestyle=":", linewidth=1.4)
            ax.set_title(d, loc="left")
            ax.set_xlabel("fraction of rows removed, highest ranked first")
            ax.set_ylabel("test accuracy (noisy labels)")
        handles = [Line2D([], [], linewidth=2, **_style(colours, n)) for n in names]
        handles.append(Line2D([], [], color=ORACLE_COLOUR, linestyle=":", linewidth=1.4))
        _legend(fig, handles, [*names, "accuracy with every label fixed"], "method")
        _heading(fig, "Debugging: point removal (OpenDataVal)",
                 "Rows removed in the order's ranking, the rest trained on their noisy labels; rising is better.")
        png = png_bytes(fig, dpi)
    return Figure("analysis_debugging_point_removal.png", "Debugging: point removal",
                  "Test accuracy after removing the first 10%, 20%, ... of each order's rows and retraining on the "
                  "noisy labels of the rest.", png)


# --------------------------------------------------------------------------- selection
def budget_curves(selection: Results, colours: dict[str, str], dpi: int) -> Figure | None:
    """F1 against the number of rows trained on, file order and random order, with the power-law fit."""
    tasks = (selection.analysis or {}).get("tasks", {})
    drawn = [t for t in sorted(tasks) if any("budget_curve" in e for e in tasks[t]["submissions"].values())]
    if not drawn:
        return None
    names = [s.name for _, s in ranked(selection)] + [s.name for s in selection.submissions.values() if s.reference]
    names = [n for n in names if any(n in tasks[t]["submissions"] for t in drawn)]
    with pinned_style(), plt.rc_context(TEXT):
        fig, axes = _grid(len(drawn), len(names) + 4)
        for ax, task in zip(axes, drawn):
            top = 1
            for name in names:
                entry = tasks[task]["submissions"].get(name)
                if entry is None or "budget_curve" not in entry:
                    continue
                curve, style = entry["budget_curve"], _style(colours, name)
                sizes = np.asarray(curve["sizes"], dtype=float)
                top = max(top, int(sizes.max()))
                file_f1 = np.array([np.nan if v is None else v for v in curve["f1_file_order"]])
                random_f1 = np.array([np.nan if v is None else v for v in curve["f1_random_order"]])
                ax.plot(sizes, file_f1, marker="o", markersize=4, linewidth=1.5, **style)
                ax.plot(sizes, random_f1, marker="x", markersize=5, linewidth=0, color=style["color"])
                law = entry.get("power_law")
                if law is not None and not law["at_bound"]:
                    grid = np.linspace(sizes.min(), sizes.max(), 100)
                    ax.plot(grid, PowerLaw(law["a"], law["b"], law["c"])(grid), color=style["color"], linestyle=":",
                            linewidth=1.2)
            if tasks[task]["winning_f1"] is not None:
                ax.axhline(tasks[task]["winning_f1"], color="#555555", linestyle="--", linewidth=1.0)
            ax.set_xlim(0, top * 1.03)
            ax.set_ylim(0, 1.02)
            ax.set_title(task, loc="left")
            ax.set_xlabel("training rows used (first k of the submitted set)")
            ax.set_ylabel("test F1")
        handles = [Line2D([], [], linewidth=2, **_style(colours, n)) for n in names]
        labels = list(names)
        handles += [Line2D([], [], color="#555555", marker="o", linewidth=1.5),
                    Line2D([], [], color="#555555", marker="x", linewidth=0),
                    Line2D([], [], color="#555555", linestyle=":"), Line2D([], [], color="#555555", linestyle="--")]
        labels += ["file order", "random order (seeded)", "power-law fit of the random order", "winning F1"]
        _legend(fig, handles, labels, "submission")
        _heading(fig, "Selection: F1 against the training budget",
                 "Each submitted set trained on its first 100, 200, ... rows; fits that end on a bound are not drawn "
                 "(see the table).")
        png = png_bytes(fig, dpi)
    return Figure("analysis_selection_budget.png", "Selection: budget curves",
                  "Test F1 when training on the first k rows of each submitted set, in its file order (line) and in "
                  "a seeded random order (crosses), with a DataEval-style power-law fit f(k) = c − a·k^−b of the "
                  "random order and the task's winning F1 (dashed).", png)
