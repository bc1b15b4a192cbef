"""report.html's "Analyses" section: one figure per analysis, its table, and a plain reading of each.

The readings are sentences built from the numbers in results.yaml's ``analysis`` section
(who is best, how far from random, what is left late), so they stay true for any run.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..formats.results import Results, ranked
from .figures import Figure
from .report import e, figure_html, name_cell, number_cell, table

RECALLS = (("recall_at_10", "Recall @10%"), ("recall_at_20", "Recall @20%"), ("recall_at_30", "Recall @30%"))
MAX_LISTED = 50  # rows per hard-example table; results.yaml holds them all


def _paragraph(text: str) -> str:
    return f'<p class="lead reading">{text}</p>'


def _mean(values: list[float | None]) -> float | None:
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else None


def _methods(results: Results) -> list[str]:
    return [s.name for _, s in ranked(results)] + [s.name for s in results.submissions.values() if s.reference]


def debugging_analysis(dbg: Results, figures: dict[str, Figure], colours: dict[str, str]) -> list[str]:
    parts = dbg.analysis["data_ids"]
    ids = sorted(parts)
    names = [n for n in _methods(dbg) if any(n in parts[d]["submissions"] for d in ids)]
    out = ['<h3 id="analysis-debugging">Debugging</h3>']
    # --- order quality
    rows = []
    for name in names:
        for d in ids:
            entry = parts[d]["submissions"].get(name)
            if entry is None:
                continue
            score = dbg.submissions[name].parts[d].get("score")
            rows.append("<tr>" + name_cell(name, colours) + f'<td class="text">{e(d)}</td>'
                        + number_cell(score) + number_cell(entry["normalised_auc"])
                        + number_cell(entry["average_precision"])
                        + "".join(number_cell(entry[k]) for k, _ in RECALLS) + "</tr>")
    ap = {n: _mean([parts[d]["submissions"][n]["average_precision"] for d in ids if n in parts[d]["submissions"]])
          for n in names}
    best_ap = max((n for n in names if ap[n] is not None), key=lambda n: ap[n], default=None)
    if "analysis_debugging_precision_recall.png" in figures:
        out.append(figure_html(figures["analysis_debugging_precision_recall.png"]))
        shares = ", ".join(f"{e(d)} {dbg.data_ids[d]['n_mislabeled'] / dbg.data_ids[d]['n_train']:.2f}" for d in ids)
        out.append(_paragraph(
            "How to read it: a curve high on the left finds mislabeled rows with few false alarms. "
            + (f"{e(best_ap)} ranks them best (mean average precision {ap[best_ap]:.3f}). " if best_ap else "")
            + f"A random order keeps a precision equal to the share of mislabeled rows ({shares}); a method near "
              "that line ranks no better than chance."))
    normalised = {n: _mean([parts[d]["submissions"][n]["normalised_auc"] for d in ids
                            if n in parts[d]["submissions"]]) for n in names}
    if "analysis_debugging_references.png" in figures:
        out.append(figure_html(figures["analysis_debugging_references.png"]))
        scored = sorted((n for n in names if normalised[n] is not None), key=lambda n: -normalised[n])
        below = [n for n in scored if normalised[n] < 0]
        r = parts[ids[0]]["random"]
        out.append(_paragraph(
            "How to read it: curves above the grey one gain accuracy faster than a random inspection order; the "
            "black one is what an inspector who knew every mislabeled row would see. "
            + (f"Best normalised score: {e(scored[0])} ({normalised[scored[0]]:.3f} on average, 1 = oracle). "
               if scored else "")
            + (f"Below a random order's expectation (negative): {e(', '.join(below))}. " if below
               else "Every method beats a random order's expectation on average. ")
            + ("The random expectation is exact." if r["exact"] else
               f"The random expectation mixes the exact law of the mislabeled count with {r['draws']} seeded orders "
               f"of the mislabeled rows (standard error of its area {r['auc_se']:.4f} on {e(ids[0])}).")))
    if "analysis_debugging_normalised.png" in figures:
        out.append(figure_html(figures["analysis_debugging_normalised.png"]))
        out.append(_paragraph(
            "How to read it: the leaderboard counts inspections until a target is reached; the normalised score "
            "uses the whole curve. A method can reach the target late yet clean well early (or the reverse); "
            "points far apart in the two panels say the target hides part of the story."))
    out.append(table("analysis-debugging-orders", "Order quality per method and data_id (exact; no fit)",
                     [("Method", True), ("data_id", True), ("Score", False), ("Normalised score", False),
                      ("Average precision", False), *[(label, False) for _, label in RECALLS]], rows))
    if "analysis_debugging_point_removal.png" in figures:
        out.append(figure_html(figures["analysis_debugging_point_removal.png"]))
        out.append(_paragraph(
            "How to read it: removing truly harmful rows first raises accuracy even though no label is fixed; a "
            "falling curve means the order ranks useful rows first."))
    # --- late rows
    late_rows = []
    for d in ids:
        for item in parts[d]["late_mislabeled"][:MAX_LISTED]:
            listed = [p for p in item["positions"].values() if p is not None]
            late_rows.append(f'<tr><td class="text">{e(d)}</td>{number_cell(item["row"], integer=True)}'
                             f'{number_cell(min(listed) if listed else None, integer=True)}'
                             f'{number_cell(_mean(listed), digits=1)}'
                             f'<td class="text wrap">{e(", ".join(f"{k}: {v}" for k, v in item["positions"].items()))}'
                             "</td></tr>")
    counts = ", ".join(f"{e(d)} {len(parts[d]['late_mislabeled'])} of {int(dbg.data_ids[d]['n_mislabeled'])}"
                       for d in ids)
    out.append(_paragraph(
        f"Mislabeled rows that no (non-reference) order lists within its first m positions, m the number of "
        f"mislabeled rows: {counts}. These are the label errors every method leaves for last; the table gives "
        "each one's row in the training file and its position in every order."))
    out.append(table("analysis-debugging-late", "Mislabeled rows every order leaves late (row: 0-based, in the "
                     "training file)", [("data_id", True), ("Row", False), ("Earliest position", False),
                                        ("Mean position", False), ("Position per method", True)], late_rows))
    return out


def _still_rising(entry: dict) -> bool:
    """F1 at the full set above F1 at the budget before it (random order); a set within one step has no such pair."""
    curve = (entry.get("budget_curve") or {}).get("f1_random_order") or []
    return len(curve) >= 2 and None not in curve[-2:] and curve[-1] > curve[-2]


def selection_analysis(sel: Results, figures: dict[str, Figure], colours: dict[str, str]) -> list[str]:
    tasks = sel.analysis["tasks"]
    names = [n for n in _methods(sel) if any(n in tasks[t]["submissions"] for t in tasks)]
    out = ['<h3 id="analysis-selection">Selection</h3>']
    rows = []
    for name in names:
        for t in sorted(tasks):
            entry = tasks[t]["submissions"].get(name)
            if entry is None:
                continue
            law = entry.get("power_law")
            curve = entry.get("budget_curve")
            first = None if curve is None else curve["f1_file_order"][0]
            first_random = None if curve is None else curve["f1_random_order"][0]
            cells = [name_cell(name, colours), f'<td class="text">{e(t)}</td>',
                     number_cell(sel.submissions[name].parts[t].get("f1")), number_cell(entry["budget_used"]),
                     number_cell(first), number_cell(first_random)]
            if law is None:
                cells += ['<td class="na">—</td>'] * 4
            else:
                cells += [number_cell(law["c"]), number_cell(law["b"]),
                          number_cell(law["budget_for_winning_f1"], digits=0),
                          f'<td class="text">{"at a bound: not trusted" if law["at_bound"] else "fitted"}</td>']
            rows.append("<tr>" + "".join(cells) + "</tr>")
    if "analysis_selection_budget.png" in figures:
        out.append(figure_html(figures["analysis_selection_budget.png"]))
        rising = sum(1 for t in tasks for en in tasks[t]["submissions"].values() if _still_rising(en))
        total = sum(1 for t in tasks for en in tasks[t]["submissions"].values() if en.get("budget_curve"))
        trusted = sum(1 for t in tasks for en in tasks[t]["submissions"].values()
                      if en.get("power_law") and not en["power_law"]["at_bound"])
        out.append(_paragraph(
            "How to read it: a curve still rising at its last point would gain from more rows; a flat one has "
            "what it needs. A file-order line above the crosses means the submission put its best rows first. "
            f"{rising} of {total} random-order curves still rise over their last step; the power law fits "
            f"{trusted} of the {total} without ending on a bound (the others are too flat or too noisy to "
            "project, and the table marks them)."))
    out.append(table("analysis-selection-budget", "Budget use, first-budget F1 and the power-law projection",
                     [("Submission", True), ("Task", True), ("F1", False), ("Share of budget used", False),
                      ("F1, first 100 (file order)", False), ("F1, first 100 (random order)", False),
                      ("Plateau c", False), ("Exponent b", False), ("Rows for winning F1", False),
                      ("Fit", True)], rows))
    hard_rows = []
    readings = []
    for t in sorted(tasks):
        items = tasks[t]["hard_examples"]
        ranked_count = tasks[t]["ranked_submissions"]
        positives = sum(1 for it in items if it["label"] == 1)
        readings.append(f"{e(t)}: {len(items)} images ({positives} positives) missed by more than half of "
                        f"{ranked_count} ranked submissions")
        for it in items[:MAX_LISTED]:
            hard_rows.append(f'<tr><td class="text">{e(t)}</td><td class="text">{e(it["image_id"])}</td>'
                             f'{number_cell(it["label"], integer=True)}'
                             f'<td data-value="{len(it["misclassified_by"])}">{len(it["misclassified_by"])} of '
                             f'{ranked_count}</td>'
                             f'<td class="text wrap">{e(", ".join(it["misclassified_by"]))}</td></tr>')
    out.append(_paragraph(
        "Hard slices: test images misclassified by more than half of the valid, non-reference submissions. "
        + "; ".join(readings) + ". Positives missed by everyone point at a part of the concept no submitted set "
        f"covers. Up to {MAX_LISTED} per task are listed here; results.yaml holds them all."))
    out.append(table("analysis-selection-hard", "Test images most submissions get wrong",
                     [("Task", True), ("ImageID", True), ("Label", False), ("Missed by", False),
                      ("Submissions that miss it", True)], hard_rows))
    return out


def analysis_section(selection: Results | None, debugging: Results | None, figures: list[Figure],
                     colours: dict[str, str]) -> str:
    """The section, or '' when neither results file has an analysis section (analysis.enabled: false)."""
    have = [r for r in (selection, debugging) if r is not None and r.analysis is not None]
    if not have:
        return ""
    by_name = {f.filename: f for f in figures}
    out = ['<section id="analysis"><h2>Analyses beyond the leaderboard</h2>',
           '<p class="lead">What the leaderboard number does not say: how well each debugging order ranks the '
           "mislabeled rows, where it falls between a random order and the oracle, how selection scores grow "
           "with the budget, and which examples every submission gets wrong. Computed from the evaluation's own "
           "fits, plus the few new ones noted (docs/analysis.md).</p>"]
    if selection is not None and selection.analysis is not None:
        out += selection_analysis(selection, by_name, colours)
    if debugging is not None and debugging.analysis is not None:
        out += debugging_analysis(debugging, by_name, colours)
    out.append("</section>")
    return "\n".join(out)


def make_analysis_figures(selection: Results | None, debugging: Results | None, curves: dict, colours: dict[str, str],
                     dpi: int) -> list[Figure]:
    from . import analysis_figures as af

    made: list[Any] = []
    if selection is not None and selection.analysis is not None:
        made.append(af.budget_curves(selection, colours, dpi))
    if debugging is not None and debugging.analysis is not None:
        made += [af.precision_recall(debugging, colours, dpi), af.against_references(debugging, curves, colours, dpi),
                 af.normalised_scores(debugging, colours, dpi), af.point_removal(debugging, colours, dpi)]
    return [f for f in made if f is not None]
