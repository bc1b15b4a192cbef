"""The demo pipeline: every task on the workspace's default paths, then a score table on stdout."""
from __future__ import annotations

from pathlib import Path

from .results import read_yaml
from .tasks import TASKS


DEMO_TASKS = ("download", "select_baselines", "debug_baselines", "evaluate_selection", "evaluate_debugging", "plot")


def run_demo(workspace: Path, parameters_file: str | None = None) -> int:
    status = 0
    for name in DEMO_TASKS:
        task = TASKS[name]
        kwargs = {p.name: str(workspace / p.default) for p in task.params}
        if parameters_file is not None:
            kwargs["parameters_file"] = parameters_file
        code = task.run(**kwargs)
        status = max(status, code)
    print(summary_table(workspace / "results"))
    return status


def summary_table(results_root: Path) -> str:
    lines = []
    selection = results_root / "selection" / "results.yaml"
    if selection.exists():
        data = read_yaml(selection)
        tasks = sorted({t for s in data["submissions"].values() for t in s["tasks"]})
        lines.append("Selection (F1 per task; leaderboard: mean F1, higher is better)")
        lines.append(_row(["submission", *tasks, "mean F1"]))
        for name, s in sorted(data["submissions"].items()):
            cells = [_num(s["tasks"].get(t, {}).get("f1")) for t in tasks]
            lines.append(_row([name, *cells, _num(s["mean_f1"])]))
    debugging = results_root / "debugging" / "results.yaml"
    if debugging.exists():
        data = read_yaml(debugging)
        ids = sorted(data["data_ids"])
        lines.append("")
        lines.append("Debugging (fraction of training rows inspected to reach 95% of clean accuracy; lower is better)")
        lines.append(_row(["submission", *ids, "mean score"]))
        for name, s in sorted(data["submissions"].items()):
            cells = [_num(s["data_ids"].get(d, {}).get("score")) for d in ids]
            lines.append(_row([name, *cells, _num(s["mean_score"])]))
    return "\n".join(lines)


def _num(value: float | None) -> str:
    return "invalid" if value is None else f"{value:.4f}"


def _row(cells: list[str], width: int = 30) -> str:
    return "  ".join(f"{c:<{width}}" if i == 0 else f"{c:>10}" for i, c in enumerate(cells))
