"""``report.html``: one self-contained page for organizers and participants.

Everything is inline (CSS, figures as PNG data URIs), so the file can be mailed,
attached to a CI run or opened offline. Built with the standard library only:
every value that comes from a results file goes through :func:`html.escape`.
Tables carry ids and numeric cells a ``data-value`` with the exact number, so
tests (and scripts) can read them back.
"""
from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

import yaml

from ..formats.results import (CI_SUFFIX, DATA_ID_SUMMARY, DATAPERF_2022, PROTOCOL_LABELS, SELECTION_FORMAT, Results,
                               ranked, references)
from ..scoring.bootstrap import separable
from ..workspace.layout import DEBUGGING, SELECTION, is_random, random_entries
from .figures import Figure
from .inputs import Timing
from .style import fmt_seconds

CSS = """
:root { --ink:#1d2327; --muted:#5f6b73; --line:#dde3e8; --head:#f4f6f8; --bad:#b42318; --good:#027a48; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
       color:var(--ink); background:#fff; }
header { background:#16324f; color:#fff; padding:24px 32px 16px; }
header h1 { margin:0 0 4px; font-size:26px; }
header p { margin:0; color:#c9d6e3; }
nav { margin-top:12px; display:flex; flex-wrap:wrap; gap:6px 18px; }
nav a { color:#fff; text-decoration:none; border-bottom:1px solid #6d8bab; }
main { max-width:1360px; margin:0 auto; padding:8px 32px 48px; }
section { margin-top:32px; }
h2 { font-size:22px; border-bottom:2px solid var(--line); padding-bottom:4px; }
h3 { font-size:17px; margin-top:28px; }
p.lead, p.note { color:var(--muted); max-width:900px; }
.scroll { overflow-x:auto; margin:8px 0 16px; }
table { border-collapse:collapse; font-variant-numeric:tabular-nums; font-size:14px; }
caption { text-align:left; color:var(--muted); padding:0 0 6px; caption-side:top; }
th, td { padding:5px 10px; border-bottom:1px solid var(--line); text-align:right; white-space:nowrap; }
th { background:var(--head); font-weight:600; position:sticky; top:0; white-space:normal; vertical-align:bottom;
     min-width:4.5em; }
th.text, td.text { text-align:left; }
tbody tr:hover { background:#f8fafb; }
tr.invalid td { color:var(--muted); }
td.best { font-weight:700; }
td.ci { color:var(--muted); }
td.close { color:var(--bad); }
.status-valid { color:var(--good); }
.status-invalid { color:var(--bad); font-weight:600; }
.swatch { display:inline-block; width:11px; height:11px; border-radius:2px; margin-right:7px;
          vertical-align:baseline; }
.swatch.random { background-image:repeating-linear-gradient(135deg, transparent 0 2px, #fff 2px 3px); }
figure { margin:20px 0 28px; }
figure img { max-width:100%; height:auto; border:1px solid var(--line); }
figcaption { color:var(--muted); font-size:14px; margin-top:4px; max-width:900px; }
pre { background:var(--head); padding:12px 16px; overflow-x:auto; font-size:13px; border-radius:4px; }
td.wrap { white-space:normal; min-width:140px; max-width:320px; font-size:13px; }
td.error { white-space:normal; text-align:left; font-family:ui-monospace,"DejaVu Sans Mono",monospace;
           font-size:13px; color:var(--bad); min-width:380px; }
.empty { color:var(--muted); font-style:italic; }
footer { color:var(--muted); font-size:13px; border-top:1px solid var(--line); margin-top:40px;
         padding-top:12px; }
.narrow-only { display:none; }
@media (max-width: 720px) {
  header { padding:16px 14px 12px; }
  header h1 { font-size:21px; }
  main { padding:4px 14px 32px; }
  .minor { display:none; }
  .narrow-only { display:block; }
  table { font-size:13px; }
  th, td { padding:4px 6px; }
  th { min-width:0; font-size:12px; }
  td.text { white-space:normal; min-width:5em; }
  td.error { min-width:14em; }
  td.wrap { min-width:0; }
}
"""

SELECTION_HEADERS = {"accuracy": "Accuracy", "precision": "Precision", "recall": "Recall", "f1": "F1",
                     "average_precision": "Average precision", "train_size": "Train size",
                     "train_positives": "Train positives"}
SELECTION_INTEGERS = {"train_size", "train_positives"}
SELECTION_MINOR = {"accuracy", "precision", "recall", "train_size", "train_positives"}  # hidden on a narrow screen


def e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def number_cell(value: float | int | None, digits: int = 4, integer: bool = False, best: bool = False) -> str:
    if value is None:
        return '<td class="na">—</td>'
    text = f"{int(value)}" if integer else f"{value:.{digits}f}"
    cls = ' class="best"' if best else ""
    return f'<td{cls} data-value="{e(repr(value))}">{text}</td>'


def interval_cell(interval: list[float] | None, digits: int = 3) -> str:
    """A 95% interval as "lo – hi"; the exact ends in data-lo / data-hi."""
    if interval is None:
        return '<td class="na">—</td>'
    lo, hi = interval
    return (f'<td class="ci" data-lo="{e(repr(lo))}" data-hi="{e(repr(hi))}">'
            f"{lo:.{digits}f} – {hi:.{digits}f}</td>")


def share_text(share: float) -> str:
    """The share with 3 decimals, or as many more as it takes for the shown value to fall on the same side of
    the 97.5% rule as the exact one (0.9745 is not shown as 0.975 beside "≈: fewer than 97.5%")."""
    for digits in range(3, 9):
        shown = f"{share:.{digits}f}"
        if separable(float(shown)) == separable(share):
            return shown
    return repr(share)


def separation_cells(results: Results, board: list) -> dict[str, str]:
    """Per ranked submission: the share of paired resamples in which it beats the next valid one below,
    marked ≈ when the two are not separable at 95%."""
    valid = [s.name for rank, s in board if rank is not None]
    cells = {}
    for upper, lower in zip(valid, valid[1:]):
        share = results.comparisons[upper][lower]
        close = not separable(share)
        cls = ' class="close"' if close else ""
        cells[upper] = (f'<td{cls} data-value="{e(repr(share))}" '
                        f'title="beats {e(lower)} in {share:.1%} of paired resamples">'
                        f'{share_text(share)}{" ≈" if close else ""}</td>')
    return cells


def interval_note(results: Results) -> str:
    metric = results.ranking
    resamples = results.settings.get("bootstrap", {}).get("resamples", "?")
    return ('<p class="note">95% CI: percentile interval over '
            f"{e(resamples)} resamples of the test rows (stratified by class; the models are not refitted). "
            f"Beats next: share of the same resamples in which the entry beats the next one below on "
            f"{e(metric.label)} (ties count half); ≈ marks adjacent entries that are not separable at 95% "
            "(the upper one wins in fewer than 97.5% of resamples). "
            "See the documentation, “What an interval means here” (docs/intervals.md).</p>")


def breakable(name: str) -> str:
    """The escaped name with a line-break opportunity after each ``_`` and ``-``: on a narrow screen
    ``baseline_confident_learning`` wraps between its words, never inside one."""
    return re.sub(r"([_-])", r"\1<wbr>", e(name))


def name_cell(name: str, colours: dict[str, str], what: str = "") -> str:
    swatch = ""
    if name in colours:
        stripes = " random" if is_random(name) else ""
        swatch = f'<span class="swatch{stripes}" style="background-color:{colours[name]}"></span>'
    title = f' title="{e(what)}"' if what else ""
    return f'<td class="text"{title}>{swatch}{breakable(name)}</td>'


def random_note(results: Results, kind: str) -> list[str]:
    """What each random entry on the board is: the download's example and the baseline are different orders
    (or picks), both ranked; two random entries differ only by chance."""
    randoms = random_entries(kind, [s.name for _, s in ranked(results)])
    if not randoms:
        return []
    items = "; ".join(f"<b>{e(name)}</b>: {e(what)}" for name, what in randoms.items())
    lead = "Two random entries, both ranked" if len(randoms) == 2 else (
        "Random entries, ranked" if len(randoms) > 2 else "A random entry, ranked")
    return [f'<p class="note">{lead} like any submission, as the floor a method must beat. {items}.</p>']


@dataclass(frozen=True)
class Row:
    """One body row: its ``<td>`` cells (an error cell may span several columns) and its class."""

    cells: Sequence[str]
    cls: str = ""


NA_CELL = '<td class="na">—</td>'
_TAG = re.compile(r"^<(td|th)\b([^>]*)>")
_COLSPAN = re.compile(r'\bcolspan="(\d+)"')


def _span(cell: str) -> int:
    found = _COLSPAN.search(_TAG.match(cell).group(2))
    return int(found.group(1)) if found else 1


def _with_class(cell: str, cls: str) -> str:
    tag = _TAG.match(cell)
    attrs = tag.group(2)
    if 'class="' in attrs:
        attrs = attrs.replace('class="', f'class="{cls} ', 1)
    else:
        attrs += f' class="{cls}"'
    return f"<{tag.group(1)}{attrs}>" + cell[tag.end():]


def _columns(row: Row) -> list[tuple[int, int, str]]:
    """(first column, span, cell) for each cell of the row."""
    out, at = [], 0
    for cell in row.cells:
        out.append((at, _span(cell), cell))
        at += out[-1][1]
    return out


def _header_cell(label: str, text: bool, minor: bool) -> str:
    classes = " ".join(c for c in ("text" if text else "", "minor" if minor else "") if c)
    return f'<th scope="col"{f" class={chr(34)}{classes}{chr(34)}" if classes else ""}>{e(label)}</th>'


def table(table_id: str, caption: str, headers: Iterable[tuple[str, bool] | tuple[str, bool, bool]],
          rows: Sequence[str | Row]) -> str:
    """headers: (label, is_text) or (label, is_text, minor); rows: :class:`Row` objects, or ready ``<tr>``
    strings (then every column is kept).

    A column that is "—" in every row that has a cell of its own is left out (an error cell spanning it
    shrinks), so no column reads as all-missing. Minor columns (intervals, details) carry the class
    ``minor``, hidden on a narrow screen.
    """
    heads = [(h[0], h[1], len(h) > 2 and h[2]) for h in headers]
    structured = [r for r in rows if isinstance(r, Row)]
    empty = set()
    if structured and len(structured) == len(rows):
        for j in range(len(heads)):
            own = [cell for r in structured for first, span, cell in _columns(r) if first == j and span == 1]
            if own and all(cell == NA_CELL for cell in own):
                empty.add(j)
    minor = {j for j, (_, _, is_minor) in enumerate(heads) if is_minor}
    head = "".join(_header_cell(label, text, j in minor) for j, (label, text, _) in enumerate(heads)
                   if j not in empty)
    body = []
    for r in rows:
        if not isinstance(r, Row):
            body.append(r)
            continue
        cells = []
        for first, span, cell in _columns(r):
            if span == 1:
                if first in empty:
                    continue
                cells.append(_with_class(cell, "minor") if first in minor else cell)
            else:
                kept = span - sum(1 for j in range(first, first + span) if j in empty)
                cells.append(_COLSPAN.sub(f'colspan="{kept}"', cell, count=1))
        cls = f' class="{e(r.cls)}"' if r.cls else ""
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return (f'<div class="scroll"><table id="{e(table_id)}"><caption>{e(caption)}</caption>\n'
            f"<thead><tr>{head}</tr></thead>\n<tbody>\n{chr(10).join(body)}\n</tbody></table></div>")


def status_cell(valid: bool) -> str:
    return ('<td class="text status-valid">valid</td>' if valid
            else '<td class="text status-invalid">invalid</td>')


def figure_html(fig: Figure) -> str:
    data = base64.b64encode(fig.png).decode("ascii")
    return (f'<figure id="fig-{e(fig.filename.rsplit(".", 1)[0])}">'
            f'<img src="data:image/png;base64,{data}" alt="{e(fig.title)}">'
            f"<figcaption><b>{e(fig.title)}.</b> {e(fig.caption)} (<code>{e(fig.filename)}</code>)"
            f"</figcaption></figure>")


def detail_rows(board: list, keys: list[str], colours: dict[str, str], width: int,
                metric_cells: Callable[[str, str, dict], list[str]]) -> list[Row]:
    """One row per submission and task (or data_id) it has: its metrics, or its error across ``width`` cells."""
    rows = []
    for _, s in board:
        for key in keys:
            part = s.parts.get(key)
            if part is None:
                continue
            cells = [name_cell(s.name, colours), f'<td class="text">{e(key)}</td>']
            if "error" in part:
                cells.append(f'<td class="error" colspan="{width}">{e(part["error"])}</td>')
            else:
                cells += metric_cells(s.name, key, part)
            rows.append(Row(cells))
    return rows


def reference_table(results: Results, table_id: str, parts: list[str], colours: dict[str, str]) -> list[str]:
    """The references (they use the ground truth) in their own table: shown beside the leaderboard, never ranked."""
    refs = references(results)
    if not refs:
        return []
    metric = results.ranking
    rows = []
    for s in refs:
        cells = [name_cell(s.name, colours), number_cell(s.metric)]
        cells += [number_cell(s.parts.get(p, {}).get(metric.part_key)) for p in parts]
        cells.append(status_cell(s.valid))
        rows.append(Row(cells, "reference"))
    return ['<p class="note">References use the ground truth, which no participant has: they show what is '
            "reachable, and are not ranked.</p>",
            table(table_id, f"References (not ranked): {metric.label} and {metric.part_label} per part",
                  [("Reference", True), (metric.label[:1].upper() + metric.label[1:], False),
                   *[(f"{p} {metric.part_label}", False, True) for p in parts], ("Status", True)], rows)]


# --------------------------------------------------------------------------- selection
def selection_section(sel: Results | None, figures: list[Figure], colours: dict[str, str]) -> str:
    if sel is None:
        return ('<section id="selection"><h2>Training-data selection</h2>'
                '<p class="empty">No selection results: <code>selection/results.yaml</code> was not found.</p>'
                "</section>")
    board = ranked(sel)
    metric = sel.ranking
    tasks = sorted({t for s in sel.submissions.values() for t in s.parts} | set(sel.settings.get("tasks") or {}))
    best = max((s.metric for _, s in board if s.metric is not None), default=None)
    ci = sel.has_intervals
    beats = separation_cells(sel, board) if ci else {}
    randoms = random_entries(SELECTION, sel.submissions)
    rows = []
    for rank, s in board:
        cells = [f'<td>{rank if rank is not None else "—"}</td>', name_cell(s.name, colours, randoms.get(s.name, "")),
                 number_cell(s.metric, best=s.metric is not None and s.metric == best)]
        cells += [interval_cell(s.metric_ci95)] if ci else []
        cells += [number_cell(s.parts.get(t, {}).get(metric.part_key)) for t in tasks]
        cells += [beats.get(s.name, '<td class="na">—</td>')] if ci else []
        cells.append(status_cell(s.valid))
        rows.append(Row(cells, "valid" if s.valid else "invalid"))
    out = ['<section id="selection"><h2>Training-data selection</h2>',
           '<p class="lead">Each submission is a training set of at most '
           f'{e(sel.settings.get("max_train_size", "?"))} images per task. A logistic regression is '
           f"trained on it and scored on the task's test set. The leaderboard ranks the {e(metric.label)} over "
           f"tasks (higher is better; <code>selection.leaderboard_metric: {e(metric.key)}</code>); invalid "
           "submissions are listed last.</p>",
           table("selection-leaderboard", f"Leaderboard: {metric.label} and {metric.part_label} per task",
                 [("Rank", False), ("Submission", True), (metric.label[0].upper() + metric.label[1:], False),
                  *([(f"{metric.label[0].upper() + metric.label[1:]} 95% CI", False, True)] if ci else []),
                  *[(f"{t} {metric.part_label}", False, True) for t in tasks],
                  *([("Beats next", False, True)] if ci else []), ("Status", True)], rows)]
    out += random_note(sel, SELECTION)
    if ci:
        out.append(interval_note(sel))
    out += reference_table(sel, "selection-references", tasks, colours)
    metrics = SELECTION_FORMAT.part_metrics
    covered = SELECTION_FORMAT.interval_metrics if ci else ()

    def metric_cells(name: str, t: str, part: dict) -> list[str]:
        cells = []
        for m in metrics:
            cells.append(number_cell(part[m], integer=m in SELECTION_INTEGERS))
            if m in covered:
                cells.append(interval_cell(part.get(m + CI_SUFFIX)))
        return cells

    detail = detail_rows(board + [(None, r) for r in references(sel)], tasks, colours, len(metrics) + len(covered),
                         metric_cells)
    out.append("<h3>Per-task metrics</h3>")
    out.append(table("selection-metrics", "Test-set metrics per submission and task (positive class)",
                     [("Submission", True), ("Task", True),
                      *[h for m in metrics for h in [(SELECTION_HEADERS[m], False, m in SELECTION_MINOR)]
                        + ([(f"{SELECTION_HEADERS[m]} 95% CI", False, True)] if m in covered else [])]], detail))
    out += [figure_html(f) for f in figures]
    if not figures:
        out.append(f'<p class="empty">No figure: no submission has an {e(metric.part_label)} on any task.</p>')
    out.append("</section>")
    return "\n".join(out)


# --------------------------------------------------------------------------- debugging
def debugging_section(dbg: Results | None, timings: dict[tuple[str, str], Timing], figures: list[Figure],
                      colours: dict[str, str]) -> str:
    if dbg is None:
        return ('<section id="debugging"><h2>Training-data debugging</h2>'
                '<p class="empty">No debugging results: <code>debugging/results.yaml</code> was not found.</p>'
                "</section>")
    board = ranked(dbg)
    ids = sorted(dbg.data_ids)
    best = min((s.metric for _, s in board if s.metric is not None), default=None)
    ratio = dbg.settings.get("target_ratio", 0.95)
    ci = dbg.has_intervals
    beats = separation_cells(dbg, board) if ci else {}
    randoms = random_entries(DEBUGGING, dbg.submissions)
    rows = []
    partial_times = False
    for rank, s in board:
        cells = [f'<td>{rank if rank is not None else "—"}</td>', name_cell(s.name, colours, randoms.get(s.name, "")),
                 number_cell(s.metric, best=s.metric is not None and s.metric == best)]
        cells += [interval_cell(s.metric_ci95)] if ci else []
        cells += [number_cell(s.parts.get(d, {}).get("score")) for d in ids]
        cells += [beats.get(s.name, '<td class="na">—</td>')] if ci else []
        times = [timings[(s.name, d)] for d in ids if (s.name, d) in timings]
        known = [t.seconds for t in times if t.seconds is not None]
        if not known:
            cells.append('<td class="na">—</td>')
        elif len(known) < len(times):
            partial_times = True
            cells.append(f'<td data-value="{e(repr(sum(known)))}" title="time missing for some data_ids">'
                         f"{e(fmt_seconds(sum(known)))}*</td>")
        else:
            cells.append(f'<td data-value="{e(repr(sum(known)))}">{e(fmt_seconds(sum(known)))}</td>')
        cells.append(status_cell(s.valid))
        rows.append(Row(cells, "valid" if s.valid else "invalid"))
    if dbg.protocol == DATAPERF_2022:
        rule = ("with the original DataPerf 2022 evaluator's protocol (torch classifier, accuracies rounded to 2 "
                "decimals, budgets 1..N): the score is j ÷ N for the first budget position j (counted from 0) "
                f"whose accuracy reaches {e(ratio)} × the accuracy at budget N (−1 if none); comparable with "
                "DataPerf's published numbers, not with the corrected protocol's")
    else:
        rule = ("the score is the fraction of the training set inspected before test accuracy reaches "
                f"{e(ratio)} × the accuracy of the fully cleaned set (1.0 if it never does)")
    out = [f'<section id="debugging"><h2>Training-data debugging ({e(PROTOCOL_LABELS[dbg.protocol])})</h2>',
           '<p class="lead">Each method orders the training points for label inspection. Labels are fixed in '
           f"that order and a classifier is retrained; {rule}. The leaderboard ranks the mean score over "
           "data_ids (lower is better); invalid submissions are listed last.</p>",
           table("debugging-leaderboard", "Leaderboard: mean score, score per data_id and total valuation time",
                 [("Rank", False), ("Method", True), ("Mean score", False),
                  *([("Mean score 95% CI", False, True)] if ci else []), *[(f"{d} score", False, True) for d in ids],
                  *([("Beats next", False, True)] if ci else []), ("Time (total)", False, True), ("Status", True)],
                 rows)]
    out += random_note(dbg, DEBUGGING)
    if ci:
        out.append(interval_note(dbg))
    out += reference_table(dbg, "debugging-references", ids, colours)
    if partial_times:
        out.append('<p class="note">* time file missing for some data_ids; the total covers the others.</p>')
    summary_rows = []
    for d in ids:
        v = dbg.data_ids[d]
        summary_rows.append(Row([f'<td class="text">{e(d)}</td>'] + [
            number_cell(v[k], integer=k in ("n_train", "n_mislabeled", "n_test", "fits")) for k in DATA_ID_SUMMARY]))
    out.append("<h3>Data sets</h3>")
    out.append(table("debugging-data", "Training sets to clean and the accuracies that define the target",
                     [("data_id", True), ("Training points", False), ("Mislabeled", False),
                      ("Test points", False, True), ("Accuracy before", False), ("Accuracy clean", False, True),
                      ("Target accuracy", False), ("Classifier fits", False, True)], summary_rows))
    def metric_cells(name: str, d: str, part: dict) -> list[str]:
        timing = timings.get((name, d), Timing(None, ""))
        found = f'{part["mislabeled_in_first_m"]} of {part["n_mislabeled"]} mislabeled points'
        return [number_cell(part["score"]), *([interval_cell(part.get("score" + CI_SUFFIX))] if ci else []),
                number_cell(part["fixes_to_target"], integer=True),
                number_cell(part["n_listed"], integer=True),
                number_cell(part["precision_at_m"]).replace("<td", f'<td title="{e(found)}"', 1),
                number_cell(part["auc"]), *([interval_cell(part.get("auc" + CI_SUFFIX))] if ci else []),
                (f'<td data-value="{e(repr(timing.seconds))}">{e(fmt_seconds(timing.seconds))}</td>'
                 if timing.seconds is not None else '<td class="na">—</td>'),
                f'<td class="text wrap">{e(timing.source or timing.note)}</td>']

    detail = detail_rows(board + [(None, r) for r in references(dbg)], ids, colours, 9 if ci else 7, metric_cells)
    out.append("<h3>Per-data_id metrics</h3>")
    out.append(table("debugging-metrics", "Score and ranking quality per method and data_id",
                     [("Method", True), ("data_id", True), ("Score", False),
                      *([("Score 95% CI", False, True)] if ci else []), ("Fixes to target", False),
                      ("Points listed", False, True), ("Precision@m", False, True), ("Curve AUC", False),
                      *([("Curve AUC 95% CI", False, True)] if ci else []),
                      ("Valuation time", False, True), ("Time source", True, True)], detail))
    out.append('<p class="note">Fixes to target: points inspected when the target was reached (— if never). '
               "Precision@m: share of the m mislabeled points among the first m of the order. "
               "Curve AUC: mean test accuracy over 0..n inspected points.</p>")
    out += [figure_html(f) for f in figures]
    if not figures:
        out.append('<p class="empty">No figures: no method was scored on any data_id.</p>')
    else:
        drawn = {f.filename for f in figures}
        for d in ids:
            if f"debugging_{d}.png" not in drawn:
                out.append(f'<p class="empty">No figure for {e(d)}: no method was scored on it.</p>')
    out.append("</section>")
    return "\n".join(out)


# --------------------------------------------------------------------------- errors and settings
def errors_section(results: list[tuple[str, Results | None]]) -> str:
    rows = []
    for label, res in results:
        if res is None:
            continue
        for s in res.submissions.values():
            for message in s.errors:
                rows.append(f'<tr><td class="text">{e(label)}</td><td class="text">{e(s.name)}</td>'
                            f'<td class="error">{e(message)}</td></tr>')
    body = (table("errors", "Why each invalid submission was not ranked",
                  [("Benchmark", True), ("Submission", True), ("Error", True)], rows) if rows
            else '<p class="empty">Every submission was valid.</p>')
    return f'<section id="errors"><h2>Invalid submissions</h2>\n{body}\n</section>'


def settings_section(results: list[tuple[str, Results | None]], plot_settings: dict[str, Any]) -> str:
    out = ['<section id="settings"><h2>Benchmark settings</h2>',
           '<p class="lead">As recorded by the evaluation in each results file.</p>']
    for label, res in results:
        if res is None:
            continue
        text = yaml.safe_dump(res.settings, sort_keys=True, default_flow_style=False, allow_unicode=True)
        out.append(f'<h3>{e(label)} <small>({e(res.benchmark)})</small></h3>'
                   f'<pre id="settings-{e(label.lower())}">{e(text)}</pre>')
    text = yaml.safe_dump(plot_settings, sort_keys=True, default_flow_style=False)
    out.append(f'<h3>Plot</h3><pre id="settings-plot">{e(text)}</pre>')
    out.append("</section>")
    return "\n".join(out)


def build_report(title: str, selection: Results | None, debugging: Results | None,
                 timings: dict[tuple[str, str], Timing], selection_figures: list[Figure],
                 debugging_figures: list[Figure], colours: dict[str, str], plot_settings: dict[str, Any],
                 analysis: str = "") -> str:
    """``analysis``: the Analyses section (plotting.analysis_report), placed after debugging; '' for none."""
    sources = [f"<code>{name}</code>" for name, res in (("selection/results.yaml", selection),
                                                       ("debugging/results.yaml", debugging)) if res is not None]
    both = [("Selection", selection), ("Debugging", debugging)]
    n_invalid = sum(1 for _, r in both if r is not None for s in r.submissions.values() if not s.valid)
    counts = [f"{len(r.submissions)} {label.lower()} submission{'s' if len(r.submissions) != 1 else ''} "
              f"({sum(1 for x in r.submissions.values() if not x.valid)} invalid)" for label, r in both if r is not None]
    nav = ['<a href="#selection">Selection</a>', '<a href="#debugging">Debugging</a>',
           *(['<a href="#analysis">Analyses</a>'] if analysis else []),
           f'<a href="#errors">Invalid submissions ({n_invalid})</a>', '<a href="#settings">Settings</a>']
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<header><h1>{e(title)}</h1><p>From {' and '.join(sources)}: {'; '.join(counts)}.</p><nav>{''.join(nav)}</nav></header>",
        "<main>",
        '<p class="note narrow-only" id="narrow-note">On a narrow screen the per-task and per-data_id columns of the '
        "leaderboards, the intervals and the details are folded away; turn the phone or widen the window to see "
        "them.</p>",
        selection_section(selection, selection_figures, colours),
        debugging_section(debugging, timings, debugging_figures, colours),
        *([analysis] if analysis else []),
        errors_section(both),
        settings_section(both, plot_settings),
        "<footer>A colour stands for the same submission in every table and figure. Numbers are rounded to "
        "4 decimals; the results files hold the exact values.</footer>",
        "</main></body></html>",
        "",
    ])
