"""The bootstrap inside the evaluations: intervals and comparisons in results.yaml, and off means unchanged."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import download_demo, run_cli

from benchmark.formats.results import CI_SUFFIX, dump_yaml, read_results
from benchmark.scoring import bootstrap


def evaluate(ws: Path, params_file: Path, out: Path) -> None:
    for task, kind in (("evaluate_selection", "selection"), ("evaluate_debugging", "debugging")):
        run_cli(task, f"--data_path={ws}/data", f"--submission_path={ws}/submissions/{kind}",
                f"--parameters_file={params_file}", f"--output_path={out}/{kind}")


def without_intervals(doc: dict) -> dict:
    """The document minus everything the bootstrap adds."""
    doc = dict(doc)
    doc.pop("comparisons")
    doc["settings"] = {k: v for k, v in doc["settings"].items() if k != "bootstrap"}
    parts_key = "tasks" if "tasks" in next(iter(doc["submissions"].values())) else "data_ids"
    doc["submissions"] = {
        name: {k: ({part: {m: v for m, v in values.items() if not m.endswith(CI_SUFFIX)}
                    for part, values in entry[parts_key].items()} if k == parts_key else v)
               for k, v in entry.items() if not k.endswith(CI_SUFFIX)}
        for name, entry in doc["submissions"].items()}
    return doc


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    """The demo with its baselines and one invalid submission per benchmark, evaluated with the bootstrap on and off."""
    ws = download_demo(tmp_path_factory.mktemp("intervals") / "workspace")
    for task, kind in (("select_baselines", "selection"), ("debug_baselines", "debugging")):
        assert run_cli(task, f"--data_path={ws}/data", f"--parameters_file={ws}/parameters.yaml",
                       f"--submission_path={ws}/submissions/{kind}") == 0
    (ws / "submissions/selection/broken").mkdir()
    (ws / "submissions/selection/broken/Eight.csv").write_text("ImageID,Confidence\nnot-in-the-pool,1\n")
    (ws / "submissions/debugging/d3v8_broken.txt").write_text("0\n0\n")
    raw = yaml.safe_load((ws / "parameters.yaml").read_text())
    raw["bootstrap"] = {"resamples": 0, "seed": 0}
    (ws / "off.yaml").write_text(yaml.safe_dump(raw))
    raw["bootstrap"] = {"resamples": 300, "seed": 4}
    (ws / "on.yaml").write_text(yaml.safe_dump(raw))
    evaluate(ws, ws / "off.yaml", ws / "off")
    evaluate(ws, ws / "on.yaml", ws / "on")
    return ws


@pytest.mark.parametrize("kind", ["selection", "debugging"])
def test_switching_the_bootstrap_off_changes_nothing_else(evaluated, kind):
    off = (evaluated / "off" / kind / "results.yaml").read_text()
    on = yaml.safe_load((evaluated / "on" / kind / "results.yaml").read_text())
    assert "_ci95" not in off and "comparisons" not in off and "bootstrap" not in off
    assert dump_yaml(without_intervals(on)) == off
    if kind == "debugging":
        assert (evaluated / "off/debugging/curves.csv").read_bytes() == (evaluated / "on/debugging/curves.csv").read_bytes()


@pytest.mark.parametrize("kind,part_metrics", [("selection", ["f1"]),
                                               ("debugging", ["score", "auc"])])
def test_intervals_sit_next_to_their_metric_and_contain_it(evaluated, kind, part_metrics):
    path = evaluated / "on" / kind / "results.yaml"
    results = read_results(path, kind)
    assert results.settings["bootstrap"] == {"resamples": 300, "seed": 4, "level": 0.95, "interval": "percentile",
                                             "strata": "class"}
    raw = yaml.safe_load(path.read_text())
    valid = sorted(n for n, s in results.submissions.items() if s.valid)
    assert "broken" not in valid and len(valid) >= 3
    for name, sub in results.submissions.items():
        if sub.valid:
            lo, hi = sub.metric_ci95
            assert lo <= sub.metric <= hi
        else:
            assert sub.metric_ci95 is None and raw["submissions"][name][results.metric + CI_SUFFIX] is None
        for part, values in sub.parts.items():
            if "error" in values:
                continue
            keys = list(raw["submissions"][name][results.format.parts_key][part])
            for m in part_metrics:
                assert keys[keys.index(m) + 1] == m + CI_SUFFIX
                lo, hi = values[m + CI_SUFFIX]
                assert lo <= hi
    # every ordered pair of valid submissions, and only those
    assert sorted(results.comparisons) == valid
    for a in valid:
        assert sorted(results.comparisons[a]) == [b for b in valid if b != a]
        for b in results.comparisons[a]:
            assert results.comparisons[a][b] + results.comparisons[b][a] == 1.0


def test_the_leaderboard_interval_is_the_documented_bootstrap(evaluated):
    """Recompute one selection mean-F1 interval from the draw and each model's predictions, refitting nothing new."""
    from benchmark.formats.parameters import load_parameters
    from benchmark.formats.resources import CandidatePool, read_test_set
    from benchmark.formats.submissions import read_selection_csv
    from benchmark.scoring.selection import predict_test_set

    params = load_parameters(evaluated / "on.yaml")
    results = read_results(evaluated / "on/selection/results.yaml", "selection")
    name = "baseline_nearest"
    root = evaluated / "data/selection"
    pool = CandidatePool(root / params.selection.pool)
    per_task = {}
    for task, spec in sorted(params.selection.tasks.items()):
        test = read_test_set(root / spec.test_set)
        item = read_selection_csv(evaluated / f"submissions/selection/{name}/{task}.csv", 1000)
        ids, X = pool.lookup(set(item.image_ids), expected_dim=test.X.shape[1])
        row = {i: k for k, i in enumerate(ids)}
        predicted = predict_test_set(item.image_ids, X[[row[i] for i in item.image_ids]], item.labels, test.X).predicted
        draws = bootstrap.stratified_resamples(test.y, 300, 4, f"selection/{task}")
        per_task[task] = [2 * np.count_nonzero((test.y[d] == 1) & (predicted[d] == 1))
                          / (np.count_nonzero(test.y[d] == 1) + np.count_nonzero(predicted[d] == 1)) for d in draws]
    means = [float(np.mean([per_task[t][b] for t in sorted(per_task)])) for b in range(300)]
    assert results.submissions[name].metric_ci95 == [float(v) for v in np.percentile(means, [2.5, 97.5])]


@pytest.fixture(scope="module")
def plotted(evaluated):
    for setting in ("on", "off"):
        assert run_cli("plot", f"--results_path={evaluated / setting}", f"--submission_path={evaluated}/submissions",
                       f"--parameters_file={evaluated}/{setting}.yaml", f"--output_path={evaluated}/plots-{setting}") == 0
    return evaluated


@pytest.mark.parametrize("kind,label", [("selection", "Mean F1"), ("debugging", "Mean score")])
def test_report_shows_intervals_and_marks_adjacent_entries_not_separable(plotted, kind, label):
    from test_plot import Tables

    from benchmark.formats.results import ranked
    evaluated = plotted
    off = Tables((evaluated / "plots-off/report.html").read_text(encoding="utf-8"))
    assert f"{label} 95% CI" not in off.header(f"{kind}-leaderboard") and "Beats next" not in off.header(f"{kind}-leaderboard")
    page = Tables((evaluated / "plots-on/report.html").read_text(encoding="utf-8"))
    header = page.header(f"{kind}-leaderboard")
    results = read_results(evaluated / "on" / kind / "results.yaml", kind)
    board = ranked(results)
    rows = page.rows(f"{kind}-leaderboard")
    valid = [s.name for rank, s in board if rank is not None]
    assert [row[1] for row in rows] == [s.name for _, s in board]
    for row, (rank, sub) in zip(rows, board):
        ci = row[header.index(f"{label} 95% CI")]
        beats = row[header.index("Beats next")]
        if rank is None:
            assert ci == "—" and beats == "—"
            continue
        assert ci == f"{sub.metric_ci95[0]:.3f} – {sub.metric_ci95[1]:.3f}"
        position = valid.index(sub.name)
        if position == len(valid) - 1:
            assert beats == "—"
        else:
            share = results.comparisons[sub.name][valid[position + 1]]
            assert beats == f"{share:.3f}" + ("" if bootstrap.separable(share) else " ≈")


@pytest.mark.parametrize("edit,message", [
    (lambda d: d["submissions"]["baseline_nearest"]["tasks"]["Eight"].__setitem__("f1_ci95", [0.9, 0.1]),
     "submissions.baseline_nearest.tasks.Eight.f1_ci95: lower end 0.9 above upper end 0.1"),
    (lambda d: d["submissions"]["baseline_nearest"].__setitem__("mean_f1_ci95", [0.5]),
     "submissions.baseline_nearest.mean_f1_ci95: expected [lo, hi]"),
    (lambda d: d["comparisons"]["random_500"].pop("baseline_nearest"),
     "comparisons.random_500.baseline_nearest: missing"),
    (lambda d: d["comparisons"]["random_500"].__setitem__("baseline_nearest", 1.5),
     "comparisons.random_500.baseline_nearest: expected a share between 0 and 1"),
])
def test_bad_interval_keys_are_one_line_errors(evaluated, tmp_path, edit, message):
    from benchmark.errors import InputError
    doc = yaml.safe_load((evaluated / "on/selection/results.yaml").read_text())
    edit(doc)
    path = tmp_path / "results.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        read_results(path, "selection")
