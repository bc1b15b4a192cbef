"""The CLI as users and CI call it: whole pipeline, determinism, one-line errors."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from benchmark.formats.parameters import load_parameters


def cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "benchmark", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, env=env, timeout=600)


# outputs that show measured seconds: the one thing a rerun may change
TIMED = (Path("results/debugging/results.yaml"), Path("plots/debugging_overview.png"), Path("plots/report.html"))


def _without_times(document: bytes) -> dict:
    data = yaml.safe_load(document)
    for submission in data["submissions"].values():
        for entry in submission["data_ids"].values():
            entry.pop("valuation_time_s", None)
    return data


def test_demo_pipeline_twice_gives_identical_results(tmp_path):
    """Run "pinned" pins measured seconds (BENCHMARK_PIN_SECONDS); run "measured" measures them.

    Everything computed from the inputs is byte-identical; results.yaml is equal with the timing fields
    set aside; time files and what shows them (overview figure, report) differ only through measured seconds.
    """
    outputs = []
    for run in ("pinned", "measured"):
        ws = tmp_path / run
        ws.mkdir()
        shutil.copy(ROOT / "workspace" / "parameters.yaml", ws)
        done = cli("--workspace", str(ws), "demo", env={"BENCHMARK_PIN_SECONDS": "0.5"} if run == "pinned" else {})
        assert done.returncode == 0, done.stderr
        assert "Selection" in done.stdout and "random_500" in done.stdout and "mean score" in done.stdout
        # results/<kind>/results.yaml and curves.csv link into a folder named after a hash of their content:
        # compare them through the links (its name changes with the measured seconds inside)
        files = {p.relative_to(ws): p.read_bytes() for p in sorted(ws.rglob("*"))
                 if p.is_file() and p.suffix in (".yaml", ".csv", ".png", ".txt", ".parquet", ".html")
                 and not any(part.startswith(".set-") for part in p.relative_to(ws).parts)}
        outputs.append(files)
    pinned, measured = outputs
    assert pinned.keys() == measured.keys()
    baseline_times = [name for name in pinned if name.name.startswith("time_") and "baseline_" in name.name]
    assert baseline_times and all(pinned[name] == b"0.5\n" for name in baseline_times)
    for name in pinned:
        if name in TIMED or name in baseline_times:
            continue
        assert pinned[name] == measured[name], name
    debugging = Path("results/debugging/results.yaml")
    assert _without_times(pinned[debugging]) == _without_times(measured[debugging])
    assert Path("results/selection/results.yaml") in pinned
    assert any(p.suffix == ".png" for p in pinned)


@pytest.mark.parametrize("task,param", [
    ("evaluate_selection", "data_path"),
    ("evaluate_selection", "submission_path"),
    ("evaluate_debugging", "submission_path"),
    ("download", "parameters_file"),
    ("plot", "results_path"),
])
def test_bad_path_is_one_line_and_exit_2(demo_workspace, task, param):
    args = {"download": ["--output_path=" + str(demo_workspace / "data")]}.get(task, [])
    ws = demo_workspace
    defaults = {"data_path": ws / "data", "submission_path": ws / "submissions" / "selection",
                "parameters_file": ws / "parameters.yaml", "results_path": ws / "results"}
    base = {"evaluate_selection": ["data_path", "submission_path", "parameters_file"],
            "evaluate_debugging": ["data_path", "submission_path", "parameters_file"],
            "download": ["parameters_file"], "plot": ["results_path", "parameters_file"]}[task]
    for name in base:
        value = ws / "nowhere" if name == param else defaults[name]
        args.append(f"--{name}={value}")
    args.append(f"--output_path={ws / 'out'}") if task != "download" else None
    done = cli(task, *args)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert str(ws / "nowhere") in lines[0]


@pytest.mark.parametrize("text,problem", [
    ("selection:\n  max_train_sise: 5\n", "unknown key 'selection.max_train_sise'"),
    ("selection:\n  max_train_size: many\n", "selection.max_train_size: expected an integer, got str 'many'"),
    ("debugging:\n  data_ids:\n    x1:\n      train: a.parquet\n", "missing required key 'debugging.data_ids.x1.test'"),
    ("download:\n  source: ftp\n", "download.source: 'ftp' is not one of demo, synthetic, http"),
    ("selection: [1, 2\n", "invalid YAML"),
    ("debugging:\n  classifier: {C: -1}\n", "debugging.classifier:"),
    ("debugging:\n  classifier: {penalty_typo: l2}\n", "unknown LogisticRegression setting 'penalty_typo'"),
    ("debugging:\n  target_ratio: 1.5\n", "debugging.target_ratio must be in (0, 1]"),
])
def test_bad_parameters_file(tmp_path, text, problem):
    path = tmp_path / "parameters.yaml"
    path.write_text(text)
    done = cli("evaluate_selection", f"--parameters_file={path}", f"--data_path={tmp_path}",
               f"--submission_path={tmp_path}", f"--output_path={tmp_path / 'out'}")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert str(path) in lines[0] and problem in lines[0]
    assert not (tmp_path / "out").exists()


def test_default_parameters_file_is_valid_and_documented():
    params = load_parameters(ROOT / "workspace" / "parameters.yaml")
    assert params.download.source == "demo"
    assert set(params.selection.tasks) == set(params.download.demo.concepts)
    assert set(params.debugging.data_ids) == set(params.download.demo.pairs)
    raw = yaml.safe_load((ROOT / "workspace" / "parameters.yaml").read_text())
    assert set(raw) == {"download", "selection", "debugging", "execution", "bootstrap", "analysis", "plot"}


def test_help_lists_every_task():
    done = cli("--help")
    assert done.returncode == 0
    for name in ("download", "evaluate_selection", "evaluate_debugging", "plot", "demo"):
        assert name in done.stdout
