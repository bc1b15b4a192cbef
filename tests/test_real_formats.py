"""The originals' formats end to end: discovery through the CLI, their example submissions, exactness of the
selection scores against the original evaluator's computation, the leaderboard metric, and bad input."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from conftest import run_cli
from published_layouts import SELECTION_TASKS, write_debugging, write_selection
from published_layouts import original_scores as original_way

from benchmark.tasks.demo import summary_table

RESOURCES = "dataperf-vision-selection-resources"


def workspace(tmp_path: Path, parameters: dict) -> Path:
    ws = tmp_path / "workspace"
    ws.mkdir()
    (ws / "parameters.yaml").write_text(yaml.safe_dump(parameters))
    return ws


def task(ws: Path, name: str) -> int:
    return run_cli(f"--workspace={ws}", name)


def test_selection_scores_equal_the_original_evaluators_computation(tmp_path):
    ws = workspace(tmp_path, {"selection": {}})  # tasks and pool left to discovery
    resources = ws / "data" / "selection" / RESOURCES
    made = write_selection(resources)
    rng = np.random.default_rng(7)
    for name, rows in (("random_500", None), ("small", 60), ("larger", 900)):
        folder = ws / "submissions" / "selection" / name
        folder.mkdir(parents=True)
        for i, t in enumerate(SELECTION_TASKS):
            if rows is None:
                shutil.copy(resources / "train_sets" / "random_500.csv", folder / f"{t}.csv")
                continue
            chosen = rng.choice(len(made["pool_ids"]), rows, replace=False)
            labels = (made["pool_X"][chosen, i] + 0.5 * rng.standard_normal(rows) > 0).astype(int)
            pd.DataFrame({"ImageID": made["pool_ids"][chosen], "Confidence": labels}).to_csv(
                folder / f"{t}.csv", index=False)
    assert task(ws, "evaluate_selection") == 0
    results = yaml.safe_load((ws / "results/selection/results.yaml").read_text())
    assert results["settings"]["tasks_discovered"] is True
    for name, entry in results["submissions"].items():
        for t in SELECTION_TASKS:
            expected = original_way(ws / "submissions/selection" / name / f"{t}.csv",
                                    resources / "embeddings/train_emb_256_dataperf.parquet",
                                    resources / f"test_sets/alpha_test_set_{t}_256.parquet")
            ours = {k: entry["tasks"][t][k] for k in expected}
            assert ours == expected, (name, t)  # exactly equal, not approximately
        assert entry["mean_f1"] == float(np.mean([entry["tasks"][t]["f1"] for t in sorted(SELECTION_TASKS)]))


def test_mean_average_precision_can_rank(tmp_path):
    ws = workspace(tmp_path, {"selection": {"leaderboard_metric": "mean_average_precision"}})
    resources = ws / "data" / "selection" / RESOURCES
    write_selection(resources)
    for t in SELECTION_TASKS:
        (ws / "submissions/selection/random_500").mkdir(parents=True, exist_ok=True)
        shutil.copy(resources / "train_sets/random_500.csv", ws / f"submissions/selection/random_500/{t}.csv")
    assert task(ws, "evaluate_selection") == 0
    results = yaml.safe_load((ws / "results/selection/results.yaml").read_text())
    entry = results["submissions"]["random_500"]
    assert results["leaderboard_metric"] == "mean_average_precision" and "mean_f1" not in entry
    assert entry["mean_average_precision"] == float(np.mean(
        [entry["tasks"][t]["average_precision"] for t in sorted(SELECTION_TASKS)]))
    assert "leaderboard: mean average precision, higher is better" in summary_table(ws / "results")
    assert task(ws, "plot") == 0
    report = (ws / "plots/report.html").read_text()
    assert "The leaderboard ranks the mean average precision over tasks" in report
    assert "selection.leaderboard_metric: mean_average_precision" in report
    assert (ws / "plots/selection_average_precision.png").is_file()


def test_the_original_example_submission_format(tmp_path):
    """examples/01g317_my_method.txt: one index per line, no newline after the last; time_01g317_my_method.txt."""
    ws = workspace(tmp_path, {"debugging": {}})  # data_ids left to discovery
    write_debugging(ws / "data" / "debugging", data_ids=["01g317"])
    folder = ws / "submissions" / "debugging"
    folder.mkdir(parents=True)
    order = np.random.default_rng(3).permutation(300)[:120]
    (folder / "01g317_my_method.txt").write_text("\n".join(map(str, order)))
    (folder / "time_01g317_my_method.txt").write_text("37.5")
    assert task(ws, "evaluate_debugging") == 0
    results = yaml.safe_load((ws / "results/debugging/results.yaml").read_text())
    assert results["settings"]["data_ids_discovered"] is True
    assert results["settings"]["data_ids"] == {"01g317": {
        "train": "embeddings/01g317_train_0.3_300.parquet", "test": "embeddings/01g317_test_500.parquet",
        "ground_truth": "data/dataset_01g317_train.csv", "val": "embeddings/01g317_val_100.parquet"}}
    part = results["submissions"]["my_method"]["data_ids"]["01g317"]
    assert part["n_listed"] == 120 and part["valuation_time_s"] == 37.5


@pytest.mark.parametrize("case, expected", [
    ("underscore", "data_id 'my_set' is not valid"),
    ("ambiguous", "data_id 01g317: 2 candidates for its test set"),
    ("incomplete", "data_id 04rky: no ground truth"),
    ("orphan_examples", "task Sushi: example set examples/alpha_example_set_Sushi.csv found, but no test set"),
    ("named_underscore", "debugging.data_ids: 'my_set' is not a valid data_id"),
])
def test_bad_discovery_is_one_line_exit_2_nothing_written(tmp_path, caplog, case, expected):
    benchmark = "selection" if case == "orphan_examples" else "debugging"
    section = {"data_ids": {"my_set": {"train": "a", "test": "b", "ground_truth": "c"}}} \
        if case == "named_underscore" else {}
    ws = workspace(tmp_path, {benchmark: section})
    data = ws / "data" / benchmark
    if benchmark == "debugging":
        write_debugging(data, data_ids=["01g317", "my_set" if case == "underscore" else "04rky"])
        if case == "ambiguous":
            (data / "old").mkdir()
            shutil.copy(data / "embeddings/01g317_test_500.parquet", data / "old/01g317_test_400.parquet")
        if case == "incomplete":
            (data / "data/dataset_04rky_train.csv").unlink()
    else:
        write_selection(data / RESOURCES, repo_files=False)
        (data / "examples").mkdir()
        (data / "examples/alpha_example_set_Sushi.csv").write_text("LabelName,ImageID,Confidence\n")
        (data / RESOURCES / "test_sets/alpha_test_set_Sushi_256.parquet").unlink()
    (ws / "submissions" / benchmark).mkdir(parents=True)
    assert task(ws, f"evaluate_{benchmark}") == 2
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and expected in errors[0] and "\n" not in errors[0], errors
    assert not (ws / "results").exists()
