"""docs/methods.md's worked example, run exactly as written: the first bash block of its "Worked example"."""
from __future__ import annotations

import os
import re
import subprocess

import yaml
from conftest import ROOT


def worked_example() -> str:
    text = (ROOT / "docs" / "methods.md").read_text()
    section = text.split("## Worked example", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"(<!-- not-run:[^\n]*-->\n)?```bash\n(.*?)```", section, flags=re.S)
    runnable = [body for marker, body in blocks if not marker]
    assert len(runnable) == 1, "the worked example has one runnable bash block"
    return runnable[0]


def test_the_worked_example_runs_and_is_scored_beside_the_baselines(tmp_path):
    """Run in a folder that has the checkout's examples/ and .venv/ (as the repository root does)."""
    for name in ("examples", ".venv"):
        (tmp_path / name).symlink_to(ROOT / name)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", worked_example()], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "ERROR" not in done.stderr, done.stderr[-3000:]
    ws = tmp_path / "my-workspace"
    selection = yaml.safe_load((ws / "results" / "selection" / "results.yaml").read_text())["submissions"]
    debugging = yaml.safe_load((ws / "results" / "debugging" / "results.yaml").read_text())["submissions"]
    assert selection["closest_to_examples"]["valid"] and selection["baseline_propagation"]["valid"]
    assert debugging["label_disagreement"]["valid"] and debugging["baseline_knn_shapley"]["valid"]
    for data_id in ("d1v7", "d3v8", "d4v9"):
        seconds = float((ws / "submissions" / "debugging" / f"time_{data_id}_label_disagreement.txt").read_text())
        assert seconds > 0
    report = (ws / "plots" / "report.html").read_text()
    assert "closest_to_examples" in report and "label_disagreement" in report and "baseline_nearest" in report
