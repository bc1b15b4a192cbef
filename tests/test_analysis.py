"""The analyses beyond the leaderboard number: every statistic against a direct, slow computation on small data."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import yaml
from conftest import run_cli
from sklearn.metrics import average_precision_score
from test_debugging import DebugFiles, make_problem

from benchmark.errors import InputError
from benchmark.formats.parameters import parameters_from_dict
from benchmark.formats.results import read_results
from benchmark.scoring.analysis.budget import PowerLaw, budget_sizes, fit_power_law
from benchmark.scoring.analysis.ordering import (average_precision, budget_rows, found_at, oracle_order,
                                                 recall_at)
from benchmark.scoring.analysis.reference import fix_weights, normalised_score, random_reference, seeded
from benchmark.scoring.analysis.removal import kept_rows, removal_accuracy
from benchmark.scoring.analysis.slices import hard_test_rows, late_rows
from benchmark.scoring.debugging.corrected import CleaningEvaluator, fit_accuracy, naive_curve


# --------------------------------------------------------------------------- order quality (no fit)
def slow_average_precision(order, mislabeled):
    """Precision at the rank of each mislabeled row, 0 for one never listed, averaged over the m rows."""
    m = int(sum(mislabeled))
    total = 0.0
    for row in np.flatnonzero(mislabeled):
        if row in list(order):
            k = list(order).index(row) + 1
            total += sum(1 for r in order[:k] if mislabeled[r]) / k
    return total / m


@pytest.mark.parametrize("seed", range(6))
def test_recall_and_average_precision_equal_the_slow_definitions(seed):
    rng = np.random.default_rng(seed)
    n = 23
    mislabeled = rng.random(n) < 0.35
    mislabeled[0] = True
    order = rng.permutation(n)[: n if seed % 2 else 15]  # half the orders list only part of the rows
    positions = found_at(order, mislabeled)
    m = int(mislabeled.sum())
    assert average_precision(positions, m) == pytest.approx(slow_average_precision(order, mislabeled), abs=1e-15)
    for fraction in (0.1, 0.2, 0.3):
        rows = int(fraction * n)  # 2, 4, 6: floor of 2.3, 4.6, 6.9
        assert budget_rows(fraction, n) == rows
        assert recall_at(positions, m, rows) == sum(1 for r in order[:rows] if mislabeled[r]) / m
    if len(order) == n:  # a full order is a ranking: sklearn's average precision of descending scores
        scores = np.empty(n)
        scores[order] = -np.arange(n)
        assert average_precision(positions, m) == pytest.approx(average_precision_score(mislabeled, scores),
                                                                abs=1e-12)


def test_the_oracle_order_has_average_precision_one_and_full_recall_at_m():
    mislabeled = np.zeros(30, dtype=bool)
    mislabeled[[3, 7, 8, 20, 29]] = True
    positions = found_at(oracle_order(mislabeled), mislabeled)
    assert positions.tolist() == [1, 2, 3, 4, 5]
    assert average_precision(positions, 5) == 1.0
    assert recall_at(positions, 5, budget_rows(0.1, 30)) == 3 / 5
    assert recall_at(positions, 5, budget_rows(0.2, 30)) == 1.0
    assert average_precision(found_at([], mislabeled), 5) == 0.0
    assert average_precision(positions, 0) is None and budget_rows(0.29, 100) == 29


# --------------------------------------------------------------------------- the random expectation
def test_fix_weights_are_the_share_of_permutations():
    n, mislabeled = 7, np.array([1, 0, 1, 0, 0, 1, 0], dtype=bool)
    counts = np.zeros((n + 1, 4))
    for perm in itertools.permutations(range(n)):
        for k in range(n + 1):
            counts[k, int(mislabeled[list(perm[:k])].sum())] += 1
    assert np.allclose(fix_weights(n, 3), counts / math.factorial(n), atol=1e-15, rtol=0)
    assert np.allclose(fix_weights(n, 3).sum(axis=1), 1.0)


@pytest.fixture(scope="module")
def tiny():
    """7 training rows, 3 mislabeled: every permutation (5040) can be walked with one fit per label state."""
    X, noisy, clean, tX, ty = make_problem(7, 4, seed=3, noise=0.0, n_test=60)
    noisy = clean.copy()
    noisy[[0, 2, 5]] = 1 - noisy[[0, 2, 5]]
    evaluator = CleaningEvaluator(X, noisy, clean, tX, ty)
    memo = {}

    def accuracy(fixed: frozenset) -> float:  # the definition: fit on the labels with ``fixed`` corrected
        if fixed not in memo:
            labels = noisy.copy()
            labels[list(fixed)] = clean[list(fixed)]
            memo[fixed] = fit_accuracy(X, labels, tX, ty, evaluator.classifier)
        return memo[fixed]

    curves = []
    for perm in itertools.permutations(range(7)):
        fixed, curve = set(), [accuracy(frozenset())]
        for row in perm:
            if noisy[row] != clean[row]:
                fixed.add(row)
            curve.append(accuracy(frozenset(fixed)))
        curves.append(curve)
    return evaluator, np.array(curves), accuracy


def test_exact_random_expectation_is_the_mean_over_every_permutation(tiny):
    evaluator, curves, _ = tiny
    ref = random_reference(7, evaluator.mislabeled, evaluator.curves, draws=0, rng=seeded(0, "x"))
    assert ref.exact and ref.draws == 0 and ref.auc_se == 0.0
    mean = [math.fsum(curves[:, k]) / len(curves) for k in range(8)]  # correctly rounded: numpy's sum drifts 1e-14
    assert np.allclose(ref.curve, mean, atol=3e-16, rtol=0)
    oracle = evaluator.curve(oracle_order(evaluator.mislabeled))
    oracle_auc = math.fsum(oracle) / 8
    assert normalised_score(oracle_auc, ref.auc, oracle_auc) == 1.0
    normalised = [normalised_score(math.fsum(c) / 8, ref.auc, oracle_auc) for c in curves]
    assert abs(math.fsum(normalised) / len(normalised)) < 1e-14  # a random order's expectation is 0
    assert np.std(normalised) > 0.1  # and single random orders scatter around it


def test_random_expectation_from_draws_equals_the_direct_mixture(tiny):
    evaluator, _, accuracy = tiny
    ref = random_reference(7, evaluator.mislabeled, evaluator.curves, draws=5, rng=seeded(4, "d"), exact_states=4)
    assert not ref.exact and ref.draws == 5
    rng = seeded(4, "d")
    rows = np.flatnonzero(evaluator.mislabeled)
    per_draw = []
    for _ in range(5):
        chain = rng.permutation(rows)
        A = [accuracy(frozenset(chain[:j].tolist())) for j in range(4)]
        per_draw.append([sum(math.comb(3, j) * math.comb(4, k - j) / math.comb(7, k) * A[j]
                             for j in range(4) if 0 <= k - j <= 4) for k in range(8)])
    per_draw = np.array(per_draw)
    assert np.allclose(ref.curve, per_draw.mean(axis=0), atol=1e-14, rtol=0)
    assert np.allclose(ref.curve_se, per_draw.std(axis=0, ddof=1) / math.sqrt(5), atol=1e-14, rtol=0)
    assert ref.auc_se == pytest.approx(np.std(per_draw.mean(axis=1), ddof=1) / math.sqrt(5), abs=1e-14)


def test_normalised_score_is_undefined_when_the_references_coincide():
    assert normalised_score(0.8, 0.7, 0.7) is None
    assert normalised_score(0.7, 0.7, 0.9) == 0.0


# --------------------------------------------------------------------------- point removal
def test_point_removal_equals_retraining_without_the_rows():
    X, noisy, clean, tX, ty = make_problem(30, 60, seed=2)
    evaluator = CleaningEvaluator(X, noisy, clean, tX, ty)  # 30 < 60: fitted in QR coordinates
    order = np.argsort(noisy == clean, kind="stable")[:20]
    for fraction in (0.1, 0.3, 0.5, 0.9):
        keep = kept_rows(order, 30, fraction)
        removed = order[:int(fraction * 30 + 1e-9)]
        assert sorted(set(range(30)) - set(keep.tolist())) == sorted(removed.tolist())
        direct = fit_accuracy(X[keep], noisy[keep], tX, ty, evaluator.classifier)
        assert removal_accuracy(keep, evaluator.Z, evaluator.noisy, evaluator.test_Z, ty,
                                evaluator.classifier) == direct


# --------------------------------------------------------------------------- budget curves and the power law
@pytest.mark.parametrize("a,b,c", [(2.0, 0.5, 0.9), (30.0, 1.1, 0.8), (0.6, 0.3, 0.95)])
def test_power_law_fit_recovers_known_parameters(a, b, c):
    sizes = budget_sizes(1000, 100)
    assert sizes == [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]
    fit = fit_power_law(sizes, [c - a * s ** -b for s in sizes])
    assert fit is not None and not fit.at_bound
    assert fit.a == pytest.approx(a, rel=1e-6) and fit.b == pytest.approx(b, rel=1e-6)
    assert fit.c == pytest.approx(c, rel=1e-8)
    target = c - a * 1500 ** -b
    assert fit.budget_for(target) == pytest.approx(1500, rel=1e-5)
    assert fit.budget_for(fit.c) is None and fit.budget_for(c + 0.01) is None


def test_power_law_needs_three_points_and_marks_flat_curves():
    assert fit_power_law([100, 200], [0.5, 0.6]) is None
    assert fit_power_law([100, 200, 300, 400], [0.5, None, 0.6, None]) is None
    flat = fit_power_law([100, 200, 300, 400, 500], [0.5, 0.5, 0.5, 0.5, 0.5])
    assert flat is None or flat.at_bound or flat.a == pytest.approx(0, abs=1e-6)
    assert PowerLaw(1.0, 1.0, 0.9).budget_for(0.0) == pytest.approx(1 / 0.9)  # 0.9 - 1/s = 0
    assert PowerLaw(1.0, 1.0, 0.9).budget_for(-0.5) == 1.0  # below f(1): reached at once


# --------------------------------------------------------------------------- hard slices
def test_hard_test_rows_on_a_constructed_case():
    wrong = {"a": np.array([1, 1, 0, 0, 1], bool), "b": np.array([1, 0, 0, 1, 1], bool),
             "c": np.array([1, 1, 0, 0, 0], bool), "d": np.array([0, 1, 0, 0, 1], bool)}
    # row 0: a b c (3 of 4), row 1: a c d (3), row 3: b (1), row 4: a b d (3); two of four is not "most"
    assert hard_test_rows(wrong) == [(0, ["a", "b", "c"]), (1, ["a", "c", "d"]), (4, ["a", "b", "d"])]
    wrong["e"] = np.array([1, 0, 0, 0, 0], bool)  # now 5: row 0 has 4, rows 1 and 4 have 3 of 5
    assert hard_test_rows(wrong) == [(0, ["a", "b", "c", "e"]), (1, ["a", "c", "d"]), (4, ["a", "b", "d"])]
    assert hard_test_rows({}) == []


def test_late_rows_on_a_constructed_case():
    # m = 3 mislabeled rows (10, 11, 12): late = no order lists it within its first 3 positions
    positions = {"x": {10: 1, 11: 5, 12: 9}, "y": {10: 4, 11: 2, 12: None}, "z": {10: 6, 11: 7, 12: 4}}
    assert late_rows(positions, 3) == [12]
    positions["z"][11] = 3
    positions["y"][10] = 8
    assert late_rows(positions, 3) == [12]
    positions["x"][10] = 4
    assert late_rows(positions, 3) == [10, 12]  # both listed at 4 at the earliest: by row
    positions["x"][12] = None
    positions["z"][12] = None
    assert late_rows(positions, 3) == [12, 10]  # never listed: latest of all


# --------------------------------------------------------------------------- the evaluations' analysis section
def test_debugging_analysis_section_matches_the_results_and_is_byte_identical(tmp_path):
    files = DebugFiles(tmp_path, n=24, d=30)
    for data_id, (X, noisy, clean, tX, ty, ids) in files.data.items():
        files.submit(data_id, "partial", np.random.default_rng(1).permutation(files.n)[:15])
        files.submit(data_id, "wrong_first", np.argsort(noisy == clean, kind="stable"))
    raw = yaml.safe_load(files.params_file.read_text())
    raw["analysis"] = {"random_draws": 7, "point_removal": True}
    files.params_file.write_text(yaml.safe_dump(raw))
    assert files.evaluate(tmp_path / "r1") == 0 and files.evaluate(tmp_path / "r2") == 0
    assert (tmp_path / "r1" / "results.yaml").read_bytes() == (tmp_path / "r2" / "results.yaml").read_bytes()
    res = files.results(tmp_path / "r1")
    analysis = res["analysis"]
    assert analysis["settings"]["random_draws"] == 7
    for data_id, (X, noisy, clean, tX, ty, ids) in files.data.items():
        part = analysis["data_ids"][data_id]
        mislabeled = noisy != clean
        m = int(mislabeled.sum())
        assert part["oracle"]["curve"] == naive_curve(X, noisy, clean, tX, ty, oracle_order(mislabeled)).tolist()
        assert len(part["random"]["curve"]) == files.n + 1 and (2 ** m > 1024) == (not part["random"]["exact"])
        for method, entry in part["submissions"].items():
            scored = res["submissions"][method]["data_ids"][data_id]
            assert sum(1 for p in entry["found_at"] if p <= m) == scored["mislabeled_in_first_m"]
            assert entry["normalised_auc"] == (scored["auc"] - part["random"]["auc"]) / (
                part["oracle"]["auc"] - part["random"]["auc"])
            assert entry["removal_accuracy"][0] == scored["before_acc"]
        wrong_first = part["submissions"]["wrong_first"]
        assert wrong_first["average_precision"] == 1.0
        assert wrong_first["normalised_auc"] == 1.0  # this order is the oracle's: mislabeled by index first
        assert part["late_mislabeled"] == []  # wrong_first lists every mislabeled row within the first m
    read = read_results(tmp_path / "r1" / "results.yaml", "debugging")
    assert read.analysis["data_ids"].keys() == analysis["data_ids"].keys()


def test_analysis_off_leaves_the_leaderboard_keys_unchanged(tmp_path):
    files = DebugFiles(tmp_path, n=20, d=10, data_ids=("aa11",))
    files.submit("aa11", "m", np.random.default_rng(2).permutation(20))
    assert files.evaluate(tmp_path / "on") == 0
    raw = yaml.safe_load(files.params_file.read_text())
    raw["analysis"] = {"enabled": False}
    off = tmp_path / "off.yaml"
    off.write_text(yaml.safe_dump(raw))
    assert files.evaluate(tmp_path / "off", params_file=off) == 0
    on, no = files.results(tmp_path / "on"), files.results(tmp_path / "off")
    assert "analysis" not in no and "analysis" in on
    assert {k: v for k, v in on.items() if k != "analysis"} == no
    assert (tmp_path / "on" / "curves.csv").read_bytes() == (tmp_path / "off" / "curves.csv").read_bytes()


def test_selection_budget_curves_and_hard_examples(selection_data, tmp_path):
    data = selection_data
    chosen = {name: data.submit_random(name, 50, seed) for seed, name in enumerate(["s1", "s2", "s3"])}
    raw = yaml.safe_load(data.params_file.read_text())
    raw["analysis"] = {"budget_step": 20, "seed": 3}
    raw["bootstrap"] = {"resamples": 0}
    data.params_file.write_text(yaml.safe_dump(raw))
    assert data.evaluate(tmp_path / "r1") == 0 and data.evaluate(tmp_path / "r2") == 0
    assert (tmp_path / "r1" / "results.yaml").read_bytes() == (tmp_path / "r2" / "results.yaml").read_bytes()
    res = yaml.safe_load((tmp_path / "r1" / "results.yaml").read_text())
    from benchmark.scoring.selection import predict_test_set, score_training_set

    for task in data.tasks:
        part = res["analysis"]["tasks"][task]
        test_ids, test_X, test_y = data.test[task]
        wrong = {}
        for name, rows in chosen.items():
            idx = rows[task]
            ids, X, y = data.ids[idx], data.X[idx].astype(np.float64), data.labels[task][idx]
            entry = part["submissions"][name]
            assert entry["budget_used"] == 50 / res["settings"]["max_train_size"]
            curve = entry["budget_curve"]
            assert curve["sizes"] == [20, 40, 50]
            order = seeded(3, name, task).permutation(50)
            for k, size in enumerate(curve["sizes"]):
                for key, sel in (("f1_file_order", np.arange(size)), ("f1_random_order", order[:size])):
                    expected = (score_training_set(ids[sel], X[sel], y[sel], test_X, test_y).f1
                                if len(set(y[sel])) == 2 else None)
                    assert curve[key][k] == expected
            assert curve["f1_file_order"][-1] == res["submissions"][name]["tasks"][task]["f1"]
            wrong[name] = predict_test_set(ids, X, y, test_X).predicted != test_y
            assert entry["misclassified"] == np.flatnonzero(wrong[name]).tolist()
        expected = [{"image_id": str(test_ids[r]), "label": int(test_y[r]), "misclassified_by": names}
                    for r, names in hard_test_rows(wrong)]
        assert part["hard_examples"] == expected and len(expected) > 0
        assert part["winning_f1"] == max(res["submissions"][n]["tasks"][task]["f1"] for n in chosen)


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("analysis,problem", [
    ({"random_draws": 1}, "analysis.random_draws must be 0 (off) or between 2 and 10000"),
    ({"budget_step": -5}, "analysis.budget_step must be 0 (off) or between 1 and 100000"),
    ({"seed": -1}, "analysis.seed must not be negative"),
    ({"point_removal": "yes"}, "analysis.point_removal: expected true or false"),
    ({"draws": 3}, "unknown key 'analysis.draws'"),
])
def test_bad_analysis_parameters_are_one_line(analysis, problem):
    with pytest.raises(InputError) as info:
        parameters_from_dict({"analysis": analysis})
    assert problem in info.value.message


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    root = tmp_path_factory.mktemp("written")
    files = DebugFiles(root, n=20, d=10, data_ids=("aa11",))
    files.submit("aa11", "m", np.random.default_rng(2).permutation(20))
    raw = yaml.safe_load(files.params_file.read_text())
    raw["analysis"] = {"random_draws": 3}
    files.params_file.write_text(yaml.safe_dump(raw))
    assert files.evaluate(root / "r") == 0
    return yaml.safe_load((root / "r" / "results.yaml").read_text())


def _edit(doc, path, value):
    doc = yaml.safe_load(yaml.safe_dump(doc))
    node = doc
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


BROKEN = {
    "short curve": (("analysis", "data_ids", "aa11", "random", "curve"), [0.5],
                    "analysis.data_ids.aa11.random.curve: expected 21 values, got 1"),
    "unknown method": (("analysis", "data_ids", "aa11", "submissions", "ghost"), {},
                       "analysis.data_ids.aa11.submissions: expected a submission named in results.yaml, "
                       "got str 'ghost'"),
    "unknown data_id": (("analysis", "data_ids", "zz99"), {}, "analysis.data_ids.zz99: not listed under data_ids"),
    "missing AP": (("analysis", "data_ids", "aa11", "submissions", "m", "average_precision"), KeyError,
                   "analysis.data_ids.aa11.submissions.m.average_precision: missing"),
    "AP above 1": (("analysis", "data_ids", "aa11", "submissions", "m", "average_precision"), 1.5,
                   "analysis.data_ids.aa11.submissions.m.average_precision: expected a number in [0, 1], "
                   "got float 1.5"),
    "unordered found_at": (("analysis", "data_ids", "aa11", "submissions", "m", "found_at"), [3, 2],
                           "analysis.data_ids.aa11.submissions.m.found_at: positions must increase"),
    "oracle without random": (("analysis", "data_ids", "aa11", "random"), None,
                              "analysis.data_ids.aa11: random and oracle are both given or both null"),
    "not a mapping": (("analysis",), [1, 2], "analysis: expected a mapping, got list [1, 2]"),
    "removal without fractions": (("analysis", "data_ids", "aa11", "submissions", "m", "removal_accuracy"), [0.5],
                                  "analysis.data_ids.aa11.submissions.m.removal_accuracy: "
                                  "settings.removal_fractions is null"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_analysis_section_is_one_line_naming_the_key(written, tmp_path, case):
    path, value, problem = BROKEN[case]
    file = tmp_path / "results.yaml"
    file.write_text(yaml.safe_dump(_edit(written, path, value), sort_keys=False))
    with pytest.raises(InputError) as info:
        read_results(file, "debugging")
    assert info.value.problem == problem and info.value.path == str(file)


# --------------------------------------------------------------------------- the demo, end to end
def test_demo_report_shows_every_analysis_and_reruns_are_identical(demo_workspace, tmp_path):
    """The demo with point removal on; the evaluations and the plot rerun on the same submissions give the same
    bytes (the demo's own baselines measure fresh times, so it is not rerun as a whole)."""
    ws = demo_workspace
    params = ws / "parameters.yaml"
    raw = yaml.safe_load(params.read_text())
    raw["analysis"]["point_removal"] = True
    raw["bootstrap"]["resamples"] = 0
    params.write_text(yaml.safe_dump(raw, sort_keys=False))
    assert run_cli("demo", f"--parameters_file={params}", f"--output_path={ws}") == 0
    again = tmp_path / "again"
    for kind in ("selection", "debugging"):
        assert run_cli(f"evaluate_{kind}", f"--data_path={ws}/data", f"--submission_path={ws}/submissions/{kind}",
                       f"--parameters_file={params}", f"--output_path={again}/results/{kind}") == 0
    assert run_cli("plot", f"--results_path={again}/results", f"--submission_path={ws}/submissions",
                   f"--parameters_file={params}", f"--output_path={again}/plots") == 0
    for rel in ("results/selection/results.yaml", "results/debugging/results.yaml", "plots/report.html",
                *(f"plots/{name}.png" for name in ANALYSIS_FIGURES)):
        assert (ws / rel).read_bytes() == (again / rel).read_bytes(), rel
    report = (ws / "plots" / "report.html").read_text()
    for name in ANALYSIS_FIGURES:
        assert f'id="fig-{name}"' in report, name
    for table_id in ANALYSIS_TABLES:
        assert f'id="{table_id}"' in report
    assert report.count('class="lead reading"') >= 6


ANALYSIS_FIGURES = ("analysis_selection_budget", "analysis_debugging_precision_recall",
                    "analysis_debugging_references", "analysis_debugging_normalised",
                    "analysis_debugging_point_removal")
ANALYSIS_TABLES = ("analysis-debugging-orders", "analysis-debugging-late", "analysis-selection-budget",
                   "analysis-selection-hard")


def test_dataperf_2022_protocol_gets_the_order_analyses_and_no_references(tmp_path):
    pytest.importorskip("torch")
    files = DebugFiles(tmp_path, n=24, d=8, data_ids=("aa11",))
    order = np.random.default_rng(1).permutation(24)
    files.submit("aa11", "m", order)
    raw = yaml.safe_load(files.params_file.read_text())
    raw["debugging"]["protocol"] = "dataperf_2022"
    files.params_file.write_text(yaml.safe_dump(raw))
    assert files.evaluate(tmp_path / "results" / "debugging") == 0
    read = read_results(tmp_path / "results" / "debugging" / "results.yaml", "debugging")
    part = read.analysis["data_ids"]["aa11"]
    assert part["random"] is None and part["oracle"] is None and part["submissions"]["m"]["normalised_auc"] is None
    X, noisy, clean, tX, ty, ids = files.data["aa11"]
    assert part["submissions"]["m"]["average_precision"] == pytest.approx(
        slow_average_precision(order, noisy != clean), abs=1e-15)
    assert run_cli("plot", f"--results_path={tmp_path / 'results'}", f"--submission_path={files.subs}",
                   f"--parameters_file={files.params_file}", f"--output_path={tmp_path / 'plots'}") == 0
    assert 'id="fig-analysis_debugging_precision_recall"' in (tmp_path / "plots" / "report.html").read_text()


def test_a_set_within_one_budget_step_has_no_rising_pair():
    """A submitted set smaller than budget_step has a one-point budget curve (the published baselines submit 25 rows)."""
    from benchmark.plotting.analysis_report import _still_rising

    assert not _still_rising({"budget_curve": {"f1_random_order": [0.4]}})
    assert not _still_rising({"budget_curve": {"f1_random_order": [None, 0.4]}})
    assert not _still_rising({})
    assert _still_rising({"budget_curve": {"f1_random_order": [0.3, 0.4]}})
    assert not _still_rising({"budget_curve": {"f1_random_order": [0.4, 0.4]}})
