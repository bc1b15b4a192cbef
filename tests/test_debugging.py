"""evaluate_debugging: the cleaning-curve score equals its definition, bad input is caught."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import yaml
from conftest import run_cli

from benchmark.execution import LocalBackend
from benchmark.scoring.debugging.corrected import CleaningEvaluator, naive_curve, score_curve
from benchmark.sources import layout


def make_problem(n: int, d: int, seed: int, noise: float = 0.3, n_test: int = 80):
    rng = np.random.default_rng(seed)
    direction = rng.standard_normal(d)
    y = (rng.random(n) < 0.5).astype(np.int64)
    X = rng.standard_normal((n, d)) + 1.2 * np.outer(2 * y - 1, direction) / np.sqrt(d) * 3
    ty = (rng.random(n_test) < 0.5).astype(np.int64)
    tX = rng.standard_normal((n_test, d)) + 1.2 * np.outer(2 * ty - 1, direction) / np.sqrt(d) * 3
    noisy = layout.flip_labels(y, noise, rng)
    return X, noisy, y, tX, ty


@pytest.mark.parametrize("n,d,seed", [(30, 60, 0), (40, 10, 1), (25, 200, 2), (60, 60, 3)])
def test_curves_equal_the_naive_loop(n, d, seed):
    X, noisy, clean, tX, ty = make_problem(n, d, seed)
    rng = np.random.default_rng(seed)
    wrong = np.flatnonzero(noisy != clean)
    right = np.flatnonzero(noisy == clean)
    orders = [
        rng.permutation(n),                      # everything, random
        np.concatenate([wrong, right]),          # the perfect order
        rng.permutation(n)[: n // 3],            # a partial order
        right[:7],                               # only rows that were already correct
        np.array([], dtype=np.int64),            # nothing listed
    ]
    evaluator = CleaningEvaluator(X, noisy, clean, tX, ty, backend=LocalBackend(2))
    fast = evaluator.curves(orders)
    for order, curve in zip(orders, fast):
        np.testing.assert_array_equal(curve, naive_curve(X, noisy, clean, tX, ty, order))
    # distinct states only: noisy + one per wrong label along each order (+ clean), shared across orders
    assert evaluator.fits <= 2 + sum(int((noisy != clean)[o].sum()) for o in orders)
    assert evaluator.clean_accuracy == naive_curve(X, noisy, clean, tX, ty, wrong)[-1]


def test_correctness_holds_each_states_test_predictions():
    from sklearn.linear_model import LogisticRegression

    from benchmark.scoring.debugging.corrected import DEFAULT_CLASSIFIER

    X, noisy, clean, tX, ty = make_problem(30, 60, 8)
    order = np.random.default_rng(3).permutation(30)[:20]
    evaluator = CleaningEvaluator(X, noisy, clean, tX, ty)
    step_state, correct = evaluator.correctness(order)
    assert step_state.shape == (21,) and step_state.dtype.kind == "i" and correct.dtype == bool
    n_wrong_listed = int((noisy != clean)[order].sum())
    assert correct.shape == (n_wrong_listed + 1, len(ty))
    assert step_state[0] == 0 and step_state[-1] == n_wrong_listed and (np.diff(step_state) >= 0).all()
    curve = evaluator.curve(order)
    for k in range(len(order) + 1):
        assert curve[k] == np.count_nonzero(correct[step_state[k]]) / len(ty)
        labels = np.where(np.isin(np.arange(30), order[:k]), clean, noisy)  # the state of step k, directly
        predicted = LogisticRegression(random_state=0, **DEFAULT_CLASSIFIER).fit(X, labels).predict(tX)
        np.testing.assert_array_equal(correct[step_state[k]], predicted == ty)
    clean_correct = evaluator.clean_correctness
    assert clean_correct.dtype == bool and clean_correct.shape == (len(ty),)
    expected = LogisticRegression(random_state=0, **DEFAULT_CLASSIFIER).fit(X, clean).predict(tX) == ty
    np.testing.assert_array_equal(clean_correct, expected)
    assert evaluator.clean_accuracy == np.count_nonzero(clean_correct) / len(ty)
    empty_steps, empty_correct = evaluator.correctness([])
    assert empty_steps.tolist() == [0] and empty_correct.shape == (1, len(ty))


def test_projection_is_exact_on_the_optimum():
    X, noisy, clean, tX, ty = make_problem(20, 300, 7)
    order = np.random.default_rng(0).permutation(20)
    projected = CleaningEvaluator(X, noisy, clean, tX, ty, project=True).curve(order)
    raw = CleaningEvaluator(X, noisy, clean, tX, ty, project=False).curve(order)
    np.testing.assert_array_equal(projected, raw)


def test_worked_example_from_the_readme():
    # N = 5 training rows, rows 1 and 3 mislabeled (m = 2); the submission lists 0, 3, 1.
    # Fixing row 0 changes nothing (it was right), so acc(1) = acc(0).
    curve = np.array([0.6, 0.6, 0.8, 0.9])  # acc(0..3)
    mislabeled = np.array([False, True, False, True, False])
    s = score_curve(curve, clean_acc=0.9, order=[0, 3, 1], mislabeled=mislabeled, target_ratio=0.95)
    assert s.target_acc == 0.95 * 0.9  # 0.855
    assert s.fixes_to_target == 3 and s.score == 3 / 5  # 0.6
    assert s.auc == math.fsum([0.6, 0.6, 0.8, 0.9, 0.9, 0.9]) / 6  # flat after the last listed row
    assert s.mislabeled_in_first_m == 1 and s.precision_at_m == 0.5  # of rows 0 and 3, only 3 was wrong
    assert s.before_acc == 0.6 and s.n_listed == 3


def test_target_never_reached_scores_one():
    s = score_curve(np.array([0.5, 0.5]), clean_acc=0.9, order=[0], mislabeled=np.array([True, False]))
    assert s.fixes_to_target is None and s.score == 1.0
    s = score_curve(np.array([0.9]), clean_acc=0.9, order=[], mislabeled=np.array([True, False]))
    assert s.fixes_to_target == 0 and s.score == 0.0 and s.auc == 0.9


# ----------------------------------------------------------------- the task on files
class DebugFiles:
    def __init__(self, root, n=40, d=12, seed=0, data_ids=("aa11", "bb22")):
        self.root = root
        self.data = {}
        dbg = root / "data" / "debugging"
        spec = {}
        for k, data_id in enumerate(data_ids):
            X, noisy, clean, tX, ty = make_problem(n, d, seed + k)
            ids = layout.image_ids(data_id, n)
            layout.write_table(dbg / f"{data_id}_train.parquet", layout.debugging_table(ids, X, noisy))
            layout.write_table(dbg / f"{data_id}_test.parquet",
                               layout.debugging_table(layout.image_ids(data_id + "t", len(ty)), tX, ty))
            layout.write_ground_truth(dbg / f"gt_{data_id}.csv", ids, clean)
            spec[data_id] = {"train": f"{data_id}_train.parquet", "test": f"{data_id}_test.parquet",
                             "ground_truth": f"gt_{data_id}.csv"}
            self.data[data_id] = (X, noisy, clean, tX, ty, ids)
        self.params_file = root / "parameters.yaml"
        self.params_file.write_text(yaml.safe_dump({"debugging": {"data_ids": spec}}))
        self.subs = root / "submissions"
        self.subs.mkdir()
        self.n = n

    def submit(self, data_id, method, order, seconds=None):
        text = order if isinstance(order, (str, bytes)) else "".join(f"{i}\n" for i in order)
        path = self.subs / f"{data_id}_{method}.txt"
        path.write_bytes(text) if isinstance(text, bytes) else path.write_text(text)
        if seconds is not None:
            (self.subs / f"time_{data_id}_{method}.txt").write_text(str(seconds))

    def evaluate(self, out=None, params_file=None):
        out = out or self.root / "results"
        return run_cli("evaluate_debugging", f"--data_path={self.root / 'data'}", f"--submission_path={self.subs}",
                       f"--parameters_file={params_file or self.params_file}", f"--output_path={out}")

    def results(self, out=None):
        return yaml.safe_load(((out or self.root / "results") / "results.yaml").read_text())


def test_task_results_match_the_definition(tmp_path):
    files = DebugFiles(tmp_path)
    orders = {}
    for data_id, (X, noisy, clean, tX, ty, ids) in files.data.items():
        orders[data_id] = np.random.default_rng(5).permutation(files.n)[:30]
        files.submit(data_id, "mine", orders[data_id], seconds=1.5)
        files.submit(data_id, "other", np.argsort(noisy == clean, kind="stable"))
    assert files.evaluate() == 0
    res = files.results()
    curves = pd.read_csv(tmp_path / "results" / "curves.csv")
    for data_id, (X, noisy, clean, tX, ty, ids) in files.data.items():
        curve = naive_curve(X, noisy, clean, tX, ty, orders[data_id])
        clean_acc = naive_curve(X, noisy, clean, tX, ty, np.arange(files.n))[-1]
        expected = score_curve(curve, clean_acc, orders[data_id], noisy != clean, 0.95, 1.5).as_dict()
        scored = res["submissions"]["mine"]["data_ids"][data_id]
        assert {k: v for k, v in scored.items() if not k.endswith("_ci95")} == expected  # intervals: test_intervals.py
        mine = curves[(curves.submission == "mine") & (curves.data_id == data_id)]
        assert mine.fixes.tolist() == list(range(31))
        assert mine.accuracy.tolist() == curve.tolist()
        assert res["submissions"]["other"]["data_ids"][data_id]["valuation_time_s"] is None
    mine = res["submissions"]["mine"]
    assert mine["valid"] and mine["mean_score"] == np.mean([mine["data_ids"][d]["score"] for d in sorted(files.data)])


def test_reruns_and_parallel_runs_are_byte_identical(tmp_path):
    files = DebugFiles(tmp_path, n=30, d=50)
    for data_id in files.data:
        files.submit(data_id, "m", np.random.default_rng(1).permutation(files.n))
    parallel = tmp_path / "p.yaml"
    raw = yaml.safe_load(files.params_file.read_text())
    raw["execution"] = {"n_jobs": 2}
    parallel.write_text(yaml.safe_dump(raw))
    assert files.evaluate(tmp_path / "r1") == 0
    assert files.evaluate(tmp_path / "r2") == 0
    assert files.evaluate(tmp_path / "r3", params_file=parallel) == 0
    for name in ("results.yaml", "curves.csv"):
        first = (tmp_path / "r1" / name).read_bytes()
        assert first == (tmp_path / "r2" / name).read_bytes()
        assert first.replace(b"n_jobs", b"") == (tmp_path / "r3" / name).read_bytes().replace(b"n_jobs", b"")


BAD_ORDERS = {
    "word": ("3\nfour\n", "aa11_bad.txt:2: 'four' is not a non-negative integer index"),
    "negative": ("3\n-1\n", "aa11_bad.txt:2: '-1' is not a non-negative integer index"),
    "float": ("1.0\n", "aa11_bad.txt:1: '1.0' is not a non-negative integer index"),
    "too_large": ("3\n41\n", "aa11_bad.txt:2: index 41 is out of range: the training set has 40 rows, indexed "
                            "0..39"),
    "one_based": ("1\n40\n", "aa11_bad.txt:2: index 40 is out of range: the training set has 40 rows, indexed "
                            "0..39; indices start at 0, so a 1-based order must subtract 1 from each"),
    "repeated": ("3\n5\n\n 3 \n", "aa11_bad.txt:4: index 3 repeats line 1"),
    "empty": ("", "aa11_bad.txt: file is empty"),
    "blank_only": ("\n  \n", "aa11_bad.txt: file is empty"),
    "binary": (b"\x00\x01", "aa11_bad.txt: file is binary"),
}


@pytest.mark.parametrize("case", sorted(BAD_ORDERS))
def test_bad_order_marks_submission_invalid_and_keeps_the_rest(tmp_path, case):
    files = DebugFiles(tmp_path)
    content, expected = BAD_ORDERS[case]
    files.submit("aa11", "bad", content)
    files.submit("bb22", "bad", [1, 2, 3])
    for data_id in files.data:
        files.submit(data_id, "good", [0, 1, 2])
    assert files.evaluate() == 0  # results written: the pipeline goes on
    res = files.results()
    assert res["submissions"]["good"]["valid"] is True
    bad = res["submissions"]["bad"]
    assert bad["valid"] is False and bad["mean_score"] is None
    assert len(bad["errors"]) == 1 and expected in bad["errors"][0] and "\n" not in bad["errors"][0]
    assert "score" in bad["data_ids"]["bb22"]  # the valid part is kept


def test_whitespace_and_blank_lines_are_tolerated(tmp_path):
    files = DebugFiles(tmp_path)
    for data_id in files.data:
        files.submit(data_id, "a", "  3\n\n7  \r\n\t1\n")
        files.submit(data_id, "b", [3, 7, 1])
    assert files.evaluate() == 0
    res = files.results()["submissions"]
    assert res["a"]["data_ids"] == res["b"]["data_ids"]


@pytest.mark.parametrize("content,problem", [
    ("1 2", "expected one number of seconds, found 2 values"),
    ("fast", "'fast' is not a number of seconds"),
    ("nan", "'nan' is not a finite non-negative number of seconds"),
    ("-3", "'-3' is not a finite non-negative number of seconds"),
    ("", "file is empty"),
])
def test_bad_time_file(tmp_path, content, problem):
    files = DebugFiles(tmp_path)
    for data_id in files.data:
        files.submit(data_id, "m", [0, 1])
    (files.subs / "time_aa11_m.txt").write_text(content)
    assert files.evaluate() == 0
    errors = files.results()["submissions"]["m"]["errors"]
    assert errors == [f"time_aa11_m.txt: {problem}"]  # relative to submission_path


def test_misnamed_file_and_missing_data_id(tmp_path, caplog):
    files = DebugFiles(tmp_path)
    files.submit("aa11", "only", [0])
    (files.subs / "zz99_method.txt").write_text("0\n")
    (files.subs / "README").write_text("notes\n")
    assert files.evaluate() == 0
    res = files.results()["submissions"]
    # stray files are reported, never scored as submissions
    assert sorted(res) == ["only"]
    why = "file name is not <data_id>_<method>.txt for a known data_id (aa11, bb22)"
    assert files.results()["ignored"] == {"README": why, "zz99_method.txt": why}
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert "ignored zz99_method.txt: file name is not <data_id>_<method>.txt for a known data_id " \
           "(aa11, bb22)" in warnings
    assert "ignored README: file name is not <data_id>_<method>.txt for a known data_id (aa11, bb22)" in warnings
    assert res["only"]["errors"] == ["bb22_only.txt: no ordering for data_id bb22"]
    assert res["only"]["mean_score"] is None
    assert "score" in res["only"]["data_ids"]["aa11"]


def _rewrite_train(files, data_id, X=None, labels=None, ids=None):
    Xo, noisy, clean, tX, ty, ido = files.data[data_id]
    layout.write_table(files.root / "data" / "debugging" / f"{data_id}_train.parquet",
                       layout.debugging_table(ido if ids is None else ids, Xo if X is None else X,
                                              noisy if labels is None else labels))


@pytest.mark.parametrize("how,expected", [
    ("missing", "aa11_train.parquet: training set of aa11 not found"),
    ("columns", "aa11_train.parquet: training set of aa11 lacks column(s) encoding"),
    ("nan", "aa11_train.parquet: column 'encoding': row 2 has NaN or infinite values"),
    ("labels", "aa11_train.parquet: column 'label': row 0 has label 2, expected 0 or 1"),
    ("test_dim", "aa11_test.parquet: column 'encoding': embeddings have dimension 5, expected 12"),
    ("gt_missing", "gt_aa11.csv: ground truth has no label for 1 training row(s)"),
    ("gt_extra", "gt_aa11.csv:42: ground truth holds 1 row(s) that are not in the training set, first 'stranger'"),
])
def test_bad_resources_stop_the_task(tmp_path, how, expected, caplog):
    files = DebugFiles(tmp_path)
    for data_id in files.data:
        files.submit(data_id, "m", [0, 1])
    dbg = tmp_path / "data" / "debugging"
    X, noisy, clean, tX, ty, ids = files.data["aa11"]
    if how == "missing":
        (dbg / "aa11_train.parquet").unlink()
    elif how == "columns":
        layout.write_table(dbg / "aa11_train.parquet", pa.table({"filename": ids, "label": noisy}))
    elif how == "nan":
        bad = X.copy()
        bad[2, 0] = np.nan
        _rewrite_train(files, "aa11", X=bad)
    elif how == "labels":
        labels = noisy.copy()
        labels[0] = 2
        _rewrite_train(files, "aa11", labels=labels)
    elif how == "test_dim":
        layout.write_table(dbg / "aa11_test.parquet", layout.debugging_table(
            layout.image_ids("t", len(ty)), tX[:, :5], ty))
    elif how == "gt_missing":
        layout.write_ground_truth(dbg / "gt_aa11.csv", ids[1:], clean[1:])
    elif how == "gt_extra":
        layout.write_ground_truth(dbg / "gt_aa11.csv", [*ids, "stranger"], np.append(clean, 0))
    assert files.evaluate() == 2
    assert not (tmp_path / "results").exists()
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and expected in errors[0]


def test_non_l2_settings_fit_on_raw_embeddings_and_still_match():
    from benchmark.scoring.debugging.corrected import rotation_invariant

    assert rotation_invariant({}) and rotation_invariant({"C": 0.5, "tol": 1e-8})
    settings = {"l1_ratio": 1.0, "solver": "saga", "tol": 1e-6, "max_iter": 20000, "random_state": 0}
    assert not rotation_invariant(settings)
    X, noisy, clean, tX, ty = make_problem(20, 40, 11)
    order = np.arange(20)[::-1]
    evaluator = CleaningEvaluator(X, noisy, clean, tX, ty, classifier=settings)
    assert evaluator.Z is not None and evaluator.Z.shape == X.shape  # no projection
    np.testing.assert_array_equal(evaluator.curve(order), naive_curve(X, noisy, clean, tX, ty, order, settings))


def test_batched_solver_is_used_only_for_plain_l2_settings():
    from benchmark.scoring.solver.batched import batched_settings

    assert batched_settings({"tol": 1e-10}) == {"C": 1.0, "fit_intercept": True}
    for settings in ({"solver": "liblinear"}, {"class_weight": "balanced"}, {"l1_ratio": 1.0, "solver": "saga"},
                     {"C": float("inf")}):
        assert batched_settings(settings) is None, settings


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_batched_solver_predicts_like_sklearn(fit_intercept):
    from sklearn.linear_model import LogisticRegression

    from benchmark.scoring.solver.batched import solve_states

    X, noisy, clean, tX, ty = make_problem(40, 15, 4)
    states = np.stack([noisy, clean, np.where(np.arange(40) < 10, clean, noisy)])
    predicted, uncertain, stats = solve_states(X, states, tX, C=0.7, fit_intercept=fit_intercept)
    assert not uncertain.any() and stats.uncertain == 0
    for labels, row in zip(states, predicted):
        model = LogisticRegression(C=0.7, fit_intercept=fit_intercept, tol=1e-10, max_iter=100_000).fit(X, labels)
        np.testing.assert_array_equal(row.astype(int), model.predict(tX))


def test_uncertain_predictions_fall_back_to_sklearn(monkeypatch):
    import benchmark.scoring.solver.batched as batched

    monkeypatch.setattr(batched, "SAFETY", 1e300)  # no bound is ever small enough: every prediction refitted
    X, noisy, clean, tX, ty = make_problem(30, 50, 5)
    order = np.random.default_rng(2).permutation(30)
    evaluator = CleaningEvaluator(X, noisy, clean, tX, ty)
    np.testing.assert_array_equal(evaluator.curve(order), naive_curve(X, noisy, clean, tX, ty, order))
    assert evaluator.certificate.uncertain == evaluator.certificate.predictions > 0


def _optimum(X, labels, C=1.0):
    """The exact optimum (w, b) of sklearn's objective, by plain Newton steps (written independently)."""
    n, d = X.shape
    Xt = np.hstack([X, np.ones((n, 1))])
    s = 2.0 * labels - 1.0
    theta = np.zeros(d + 1)
    reg = np.full(d + 1, 1.0 / (C * n))
    reg[-1] = 0.0
    for _ in range(100):
        m = Xt @ theta
        p = 1.0 / (1.0 + np.exp(s * m))                  # sigma(-s m)
        grad = Xt.T @ (-s * p) / n + reg * theta
        H = (Xt * (p * (1 - p))[:, None]).T @ Xt / n + np.diag(reg)
        theta -= np.linalg.solve(H, grad)
    return theta[:-1], theta[-1]


def test_a_test_point_on_the_boundary_is_left_to_the_fallback():
    from benchmark.scoring.solver.batched import solve_states

    X, noisy, clean, tX, ty = make_problem(40, 10, 12)
    w, b = _optimum(X, clean)
    x0 = tX[0]
    tX = tX.copy()
    tX[0] = x0 - (x0 @ w + b) * w / (w @ w)             # margin 0 at the optimum (up to rounding)
    assert abs(tX[0] @ w + b) < 1e-12
    states = np.stack([noisy, clean])
    predicted, uncertain, stats = solve_states(X, states, tX, C=1.0, fit_intercept=True)
    assert uncertain[1, 0]                               # never guessed
    assert stats.uncertain >= 1 and stats.uncertain_states >= 1
    # every prediction the certificate did settle is the exact optimum's
    for labels, row, unsure in zip(states, predicted, uncertain):
        w_, b_ = _optimum(X, labels)
        exact = tX @ w_ + b_
        np.testing.assert_array_equal(row[~unsure], (exact > 0)[~unsure])
    assert stats.certified_first + stats.refined + stats.uncertain == stats.predictions == 2 * len(ty)
    # the evaluator decides it with scikit-learn on the raw embeddings: the naive loop's value
    evaluator = CleaningEvaluator(X, noisy, clean, tX, ty)
    order = np.flatnonzero(noisy != clean)
    np.testing.assert_array_equal(evaluator.curve(order), naive_curve(X, noisy, clean, tX, ty, order))
    assert evaluator.certificate.uncertain >= 1


@pytest.mark.parametrize("n,d,seed", [(60, 400, 0), (120, 300, 1), (80, 40, 2)])
def test_low_rank_embeddings_equal_the_naive_loop_and_certify(n, d, seed):
    from benchmark.sources.synthetic import LowRankEmbedding

    rng = np.random.default_rng(seed)
    embedding = LowRankEmbedding(rng, d, rank=min(32, d))
    X, clean = embedding.classes(rng, n)
    tX, ty = embedding.classes(rng, 60)
    X, tX = X.astype(np.float64), tX.astype(np.float64)
    noisy = layout.flip_labels(clean, 0.3, rng)
    orders = [rng.permutation(n), rng.permutation(n)[: n // 2]]
    evaluator = CleaningEvaluator(X, noisy, clean, tX, ty)
    for order, curve in zip(orders, evaluator.curves(orders)):
        np.testing.assert_array_equal(curve, naive_curve(X, noisy, clean, tX, ty, order))
    c = evaluator.certificate
    assert c.states == evaluator.fits and c.predictions == c.states * len(ty)
    assert c.certified_first + c.refined + c.uncertain == c.predictions
    assert c.uncertain <= c.predictions // 100          # the certificate settles nearly everything


def test_isotropic_embeddings_equal_the_naive_loop_and_certify():
    """Far-apart label states (one flipped label moves its row's margin by ~10): still exact, still certified."""
    from benchmark.sources.synthetic import two_gaussian_classes

    rng = np.random.default_rng(7)
    direction = rng.standard_normal(400)
    direction /= np.linalg.norm(direction)
    X, clean = two_gaussian_classes(rng, 50, direction)
    tX, ty = two_gaussian_classes(rng, 60, direction)
    X, tX = X.astype(np.float64), tX.astype(np.float64)
    noisy = layout.flip_labels(clean, 0.3, rng)
    orders = [rng.permutation(50), rng.permutation(50)]
    evaluator = CleaningEvaluator(X, noisy, clean, tX, ty)
    for order, curve in zip(orders, evaluator.curves(orders)):
        np.testing.assert_array_equal(curve, naive_curve(X, noisy, clean, tX, ty, order))
    c = evaluator.certificate
    assert c.certified_first + c.refined + c.uncertain == c.predictions == c.states * len(ty)
    assert c.uncertain <= c.predictions // 10


def test_dropping_the_rows_that_moved_keeps_the_hessian_bound():
    """At a point whose margins moved far from the reference's on a few rows, the Hessian there is
    >= e^-t0 H_ref with the (much smaller) t0 that Reference.distance returns."""
    from benchmark.scoring.solver.reference import Reference

    rng = np.random.default_rng(3)
    n, k = 40, 61
    Zt = np.hstack([rng.standard_normal((n, k - 1)), np.ones((n, 1))])
    penalty = np.full(k, 1.0 / n)
    penalty[-1] = 0.0
    ref_margins = rng.normal(0, 3, n)
    ref = Reference(Zt, Zt[:5], ref_margins, penalty, n)
    ref.sharpen_rho()
    margins = ref_margins + rng.normal(0, 0.1, n)
    margins[[3, 17]] = ref_margins[[3, 17]] - 10.0 * np.sign(ref_margins[[3, 17]])   # two rows moved by 10
    plain = np.abs(margins - ref_margins).max()
    t0 = ref.distance(margins[:, None], np.array([1e-3 / ref.rho]))[0]   # a gradient small enough to try
    assert t0 < plain - 5
    d = np.exp(-np.abs(margins))
    H = (Zt * (d / (1 + d) ** 2 / n)[:, None]).T @ Zt + np.diag(penalty)
    smallest = np.linalg.eigvalsh(ref.L_inv @ H @ ref.L_inv.T)[0]      # H in the metric of H_ref
    assert smallest >= np.exp(-t0) * (1 - ref.eps)


def test_arrow_numbers_equal_to_numpy():
    """Read through the buffers (no pandas import): sliced, chunked, boolean and empty arrays alike."""
    import pyarrow as pa

    from benchmark.formats.embeddings import arrow_numbers

    bools = pa.array([True, False, True, True, False, False, True, False, True, True])
    cases = [pa.array([3, -1, 7], pa.int64()), pa.array([1.5, 2.5, 3.5, 4.5], pa.float32()).slice(1, 2),
             bools, bools.slice(3, 6), pa.chunked_array([bools.slice(1, 4), bools.slice(6)]),
             pa.chunked_array([pa.array([1, 0], pa.int8()), pa.array([1], pa.int8())]),
             pa.array([], pa.float64()), pa.chunked_array([], pa.int32()), pa.chunked_array([], pa.bool_())]
    for array in cases:
        got = arrow_numbers(array)
        expected = array.to_numpy() if isinstance(array, pa.ChunkedArray) else array.to_numpy(zero_copy_only=False)
        assert got.dtype == expected.dtype and np.array_equal(got, expected)


def test_labels_of_every_stored_type_read_alike():
    import pyarrow as pa

    from benchmark.errors import ResourceError
    from benchmark.formats.resources import binary_labels

    expected = [1, 0, 1]
    for values in (pa.array([True, False, True]), pa.array([1, 0, 1], pa.int8()), pa.array([1.0, 0.0, 1.0]),
                   pa.array(["1", "0", "1"]), pa.chunked_array([pa.array([5, 1, 0, 1]).slice(1)]),
                   np.array([" 1", "0 ", "1"], dtype=object)):
        assert binary_labels(values, "f", "label").tolist() == expected
    for values, problem in ((pa.array([1, None, 0]), "missing labels"), (np.array([1.0, np.nan]), "missing labels"),
                            (pa.array([0, 2, 1]), "row 1 has label 2"), (pa.array(["0", "yes"]), "row 1 has label")):
        with pytest.raises(ResourceError, match=problem):
            binary_labels(values, "f", "label")
    with pytest.raises(ResourceError, match=r"f:5: column 'label' has label '2', expected 0 or 1"):
        binary_labels(np.array(["0", "2"], dtype=object), "f", "label", lines=np.array([2, 5]))


def test_a_debugging_evaluation_imports_neither_pandas_nor_the_fallbacks(tmp_path):
    """The whole CLI run, certified: pandas (0.2 s, which pyarrow's to_numpy and read_table would
    import), scikit-learn, SciPy and joblib stay unimported."""
    import subprocess
    import sys
    from pathlib import Path

    files = DebugFiles(tmp_path, n=60, d=200)
    for data_id in files.data:
        files.submit(data_id, "mine", np.random.default_rng(1).permutation(files.n))
    code = f"""
import runpy, sys
sys.argv = ["benchmark", "evaluate_debugging", "--data_path={tmp_path / 'data'}", "--submission_path={files.subs}",
            "--parameters_file={files.params_file}", "--output_path={tmp_path / 'results'}"]
try:
    runpy.run_module("benchmark", run_name="__main__")
except SystemExit as exit:
    assert not exit.code, exit.code
print(*sorted(m for m in ("pandas", "sklearn", "scipy", "joblib", "pyarrow.dataset") if m in sys.modules))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[1])
    assert "0 decided by scikit-learn" in done.stderr
    assert done.stdout.split() == []
    assert files.results()["submissions"]["mine"]["valid"]


def test_spectral_bound_is_an_upper_bound_of_the_norm():
    """Schur's test bounds ||A||_2 from above for any matrix (signs, a zero row, a rank-one part),
    and on the inverse Cholesky factor of a realistic Hessian it is far tighter than Frobenius."""
    from benchmark.scoring.solver.linalg import spectral_bound
    from benchmark.scoring.solver.reference import Reference
    from benchmark.sources.synthetic import LowRankEmbedding

    rng = np.random.default_rng(11)
    zero_row = rng.standard_normal((30, 30))
    zero_row[4] = 0.0
    cases = [rng.standard_normal((40, 40)), -np.abs(rng.standard_normal((25, 60))), zero_row,
             np.outer(rng.random(50), rng.random(50)) * 1e3 + 1e-3 * rng.standard_normal((50, 50)),
             np.linalg.inv(np.linalg.cholesky(np.cov(rng.standard_normal((80, 200))) + 1e-3 * np.eye(80)))]
    for A in cases:
        assert spectral_bound(A) >= np.linalg.norm(A, 2)
    embedding = LowRankEmbedding(rng, 512)
    X, _ = embedding.classes(rng, 300)
    Zt = np.hstack([X.astype(np.float64), np.ones((300, 1))])
    penalty = np.full(Zt.shape[1], 1.0 / 300)
    penalty[-1] = 0.0
    ref = Reference(Zt, Zt[:5], rng.normal(0, 3, 300), penalty, 300)
    assert np.linalg.norm(ref.L_inv, 2) <= ref.inv_norm < np.linalg.norm(ref.L_inv) / 2


def test_lapack_and_blockwise_triangular_inverses_agree(monkeypatch):
    import benchmark.scoring.solver.linalg as linalg

    rng = np.random.default_rng(12)
    A = rng.standard_normal((1100, 1100))
    L = np.linalg.cholesky(A @ A.T / 1100 + np.eye(1100))
    assert len(L) >= linalg.LAPACK_FROM
    lapack = linalg.lower_inverse(L)
    monkeypatch.setattr(linalg, "LAPACK_FROM", 10**9)
    blockwise = linalg.lower_inverse(L)
    assert np.array_equal(np.triu(lapack, 1), np.zeros_like(L)) and lapack.flags.c_contiguous
    np.testing.assert_allclose(lapack, blockwise, rtol=0, atol=1e-12)
    np.testing.assert_allclose(lapack @ L, np.eye(1100), rtol=0, atol=1e-12)


def test_curves_equal_the_naive_loop_through_lapack_inverses(monkeypatch):
    """The LAPACK path (k >= 1024 in real runs) on a small problem: still the naive loop's curve."""
    import benchmark.scoring.solver.linalg as linalg
    from benchmark.sources.synthetic import LowRankEmbedding

    monkeypatch.setattr(linalg, "LAPACK_FROM", 8)
    rng = np.random.default_rng(13)
    embedding = LowRankEmbedding(rng, 300, rank=32)
    X, clean = embedding.classes(rng, 90)
    tX, ty = embedding.classes(rng, 60)
    X, tX = X.astype(np.float64), tX.astype(np.float64)
    noisy = layout.flip_labels(clean, 0.3, rng)
    order = rng.permutation(90)
    evaluator = CleaningEvaluator(X, noisy, clean, tX, ty)
    np.testing.assert_array_equal(evaluator.curve(order), naive_curve(X, noisy, clean, tX, ty, order))
    assert evaluator.certificate.uncertain == 0


def test_classifier_defaults_and_plain_checks_agree_with_sklearn(monkeypatch):
    """Settings are resolved and plain valid ones accepted without importing scikit-learn: the copy
    of its defaults must be the pinned version's, and the shortcut must answer as scikit-learn does."""
    from sklearn.linear_model import LogisticRegression

    import benchmark.scoring.classifier as classifier

    assert classifier.SKLEARN_DEFAULTS == LogisticRegression().get_params()
    candidates = [0, 1, -1, 2, 0.5, 1.5, -0.5, 1e-10, float("inf"), float("nan"), True, False, None,
                  "l1", "l2", "elasticnet", "lbfgs", "saga", "liblinear", "balanced", "other", 2 ** 32]
    cases = [{key: value} for key in classifier.SKLEARN_DEFAULTS for value in candidates]
    cases += [{"solver": s, "dual": d, "C": 0.5} for s in classifier.SOLVERS for d in (True, False)]
    cases += [{"solver": s, "l1_ratio": r} for s in classifier.SOLVERS for r in (0, 0.5, 1.0)]
    fast = [classifier.check_classifier_settings(case) is None for case in cases]
    monkeypatch.setattr(classifier, "_SURELY_VALID", {})              # scikit-learn decides everything
    slow = [classifier.check_classifier_settings(case) is None for case in cases]
    assert [c for c, f, s in zip(cases, fast, slow) if f != s] == []
    assert any(fast) and not all(fast)


def test_a_certified_run_never_imports_sklearn_or_joblib():
    """What only the fallback (or parallel jobs) uses is imported only when needed."""
    import subprocess
    import sys
    from pathlib import Path

    code = """
import sys
import numpy as np
from benchmark.scoring.debugging.corrected import CleaningEvaluator
from benchmark.formats.parameters import load_parameters
from benchmark.sources.synthetic import LowRankEmbedding
rng = np.random.default_rng(0)
embedding = LowRankEmbedding(rng, 300, rank=32)
X, clean = embedding.classes(rng, 60)
tX, ty = embedding.classes(rng, 40)
noisy = clean.copy(); noisy[:15] = 1 - noisy[:15]
evaluator = CleaningEvaluator(X, noisy, clean, tX, ty)
evaluator.curves([rng.permutation(60)])
print(evaluator.certificate.uncertain, "sklearn" in sys.modules, "joblib" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1]).stdout.split()
    uncertain, sklearn, joblib = int(out[0]), out[1] == "True", out[2] == "True"
    assert sklearn == (uncertain > 0) and not joblib
