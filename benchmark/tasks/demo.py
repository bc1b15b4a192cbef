"""demo: every task on one workspace's default paths, then a score table on stdout."""
from __future__ import annotations

from pathlib import Path

from ..formats.results import PROTOCOL_LABELS, ranked, read_results, references, results_path
from ..workspace.layout import DEBUGGING, SELECTION, random_entries

DEMO_TASKS = ("download", "select_baselines", "debug_baselines", "evaluate_selection", "evaluate_debugging", "plot")


def run(parameters_file: str, output_path: str) -> int:
    """Run the six tasks with ``output_path`` as the workspace; the worst exit code wins."""
    from . import TASKS

    workspace = Path(output_path)
    status = 0
    for name in DEMO_TASKS:
        task = TASKS[name]
        kwargs = {p.name: str(workspace / p.default) for p in task.params}
        kwargs["parameters_file"] = parameters_file
        status = max(status, task.call(kwargs))
    print(summary_table(workspace / "results"))
    report = workspace / next(p.default for p in TASKS["plot"].params if p.name == "output_path") / "report.html"
    if report.is_file():
        print(f"\nReport (figures and every table): {report}")
    return status


def summary_table(results_root: Path) -> str:
    """Per benchmark: the leaderboard (rank, per-part metric, leaderboard value and its 95% interval when the
    bootstrap is on), then the references apart."""
    lines: list[str] = []
    for kind, title in ((SELECTION, "Selection ({part} per task; leaderboard: {label}, {direction})"),
                        (DEBUGGING, "Debugging, {protocol} (fraction of training rows inspected to reach the "
                                    "target; leaderboard: {label}, {direction})")):
        results = read_results(results_path(results_root, kind), kind)
        if results is None:
            continue
        metric = results.ranking
        parts = sorted(results.data_ids) if kind == DEBUGGING else sorted(
            {p for s in results.submissions.values() for p in s.parts})
        if lines:
            lines.append("")
        lines.append(title.format(part=metric.part_label, label=metric.label,
                                  protocol=PROTOCOL_LABELS[results.protocol] if kind == DEBUGGING else "",
                                  direction="higher is better" if metric.higher_is_better else "lower is better"))
        ci = [f"{'95% CI':>11}"] if results.has_intervals else []  # as wide as "0.680-0.783"
        lines.append(_row(["rank", "submission", *parts, metric.label, *ci]))
        for rank, s in ranked(results):
            cells = [_part_cell(s.parts.get(p), metric.part_key) for p in parts]
            interval = [_interval(s.metric_ci95)] if results.has_intervals else []
            lines.append(_row(["-" if rank is None else str(rank), s.name, *cells, _num(s.metric), *interval]))
        refs = references(results)
        if refs:
            lines.append("references (use the ground truth, which no participant has; not ranked):")
            for s in refs:
                cells = [_part_cell(s.parts.get(p), metric.part_key) for p in parts]
                interval = [_interval(s.metric_ci95)] if results.has_intervals else []
                lines.append(_row(["ref", s.name, *cells, _num(s.metric), *interval]))
        randoms = random_entries(kind, [s.name for _, s in ranked(results)])
        if len(randoms) > 1:
            lines.append(f"{len(randoms)} random entries, each ranked like any submission:")
            lines += [f"  {name}: {what}" for name, what in randoms.items()]
    return "\n".join(lines)


def _num(value: float | None) -> str:
    return "invalid" if value is None else f"{value:.4f}"


def _part_cell(part: dict | None, key: str) -> str:
    """A task's or data_id's value; "invalid" only where that part has an error, "-" where there is no value."""
    if part is not None and "error" in part:
        return "invalid"
    value = None if part is None else part.get(key)
    return "-" if value is None else f"{value:.4f}"


def _interval(interval: list[float] | None) -> str:
    return "" if interval is None else f"{interval[0]:.3f}-{interval[1]:.3f}"


def _row(cells: list[str], width: int = 30) -> str:
    """Rank, name (left-aligned), then right-aligned numbers."""
    return "  ".join(f"{c:<4}" if i == 0 else f"{c:<{width}}" if i == 1 else f"{c:>10}" for i, c in enumerate(cells))
