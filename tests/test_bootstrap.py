"""Bootstrap intervals and paired comparisons against a direct, slow bootstrap written here."""
from __future__ import annotations

import hashlib
from fractions import Fraction

import numpy as np
import pytest
from sklearn.metrics import f1_score

from benchmark.scoring import bootstrap
from benchmark.scoring.debugging.corrected import score_curve

SEED = 7
B = 200


def documented_draw(labels: np.ndarray, resamples: int, seed: int, name: str) -> list[np.ndarray]:
    """The draw exactly as the module docstring describes it, one index array per resample."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    words = [int.from_bytes(digest[4 * i:4 * i + 4], "little") for i in range(4)]
    per_class = []
    for label in sorted(set(labels.tolist())):
        rows = [i for i, value in enumerate(labels) if value == label]
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(*words, label)))
        picks = rng.integers(0, len(rows), size=(resamples, len(rows)))
        per_class.append([[rows[p] for p in row] for row in picks])
    return [np.array([i for cls in per_class for i in cls[b]]) for b in range(resamples)]


def slow_percentiles(values: list[float]) -> list[float]:
    return [float(v) for v in np.percentile(values, [2.5, 97.5])]


def noisy_predictions(y: np.ndarray, error_rate: float, rng: np.random.Generator) -> np.ndarray:
    return np.where(rng.random(len(y)) < error_rate, 1 - y, y)


@pytest.fixture
def selection_case():
    rng = np.random.default_rng(3)
    tests = {task: (rng.random(n) < share).astype(np.int64)
             for task, n, share in [("Eight", 61, 0.3), ("Five", 40, 0.5), ("Three", 25, 0.2)]}
    submissions = {name: {task: noisy_predictions(y, rate, rng) for task, y in tests.items()}
                   for name, rate in [("a", 0.1), ("b", 0.15), ("c", 0.4)]}
    return tests, submissions


def test_the_draw_is_the_documented_one_stratified_and_a_prefix():
    labels = np.array([1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0])
    indices = bootstrap.stratified_resamples(labels, 30, SEED, "selection/Eight")
    expected = documented_draw(labels, 30, SEED, "selection/Eight")
    assert all(np.array_equal(row, want) for row, want in zip(indices, expected))
    assert all(np.count_nonzero(labels[row] == 1) == 3 for row in indices)  # class sizes kept
    longer = bootstrap.stratified_resamples(labels, 80, SEED, "selection/Eight")
    assert np.array_equal(longer[:30], indices)  # more resamples keep the first ones
    assert not np.array_equal(bootstrap.stratified_resamples(labels, 30, SEED, "selection/Five"), indices)
    assert not np.array_equal(bootstrap.stratified_resamples(labels, 30, SEED + 1, "selection/Eight"), indices)
    counts = bootstrap.resample_counts(labels, 30, SEED, "selection/Eight")
    assert np.array_equal(counts, np.stack([np.bincount(row, minlength=len(labels)) for row in indices]))


def test_bad_labels_are_refused():
    with pytest.raises(ValueError, match="non-negative"):
        bootstrap.stratified_resamples(np.array([0, -1]), 5, 0, "x")
    with pytest.raises(ValueError, match="one-dimensional"):
        bootstrap.stratified_resamples(np.zeros((2, 2), dtype=int), 5, 0, "x")


def test_selection_intervals_equal_a_direct_bootstrap(selection_case):
    B = 60  # scikit-learn is the slow side here: keep it short
    tests, submissions = selection_case
    draws = {task: documented_draw(y, B, SEED, f"selection/{task}") for task, y in tests.items()}
    counts = {task: bootstrap.resample_counts(y, B, SEED, f"selection/{task}") for task, y in tests.items()}
    for name, predictions in submissions.items():
        slow_f1 = {task: [f1_score(tests[task][idx], predictions[task][idx], zero_division=0.0)
                          for idx in draws[task]] for task in tests}
        slow_mean = [float(np.mean([slow_f1[task][b] for task in sorted(tests)])) for b in range(B)]
        fast_f1 = {task: bootstrap.f1_resampled(tests[task], predictions[task], counts[task]) for task in tests}
        for task in tests:
            assert fast_f1[task].tolist() == slow_f1[task]
            assert bootstrap.interval(fast_f1[task]) == slow_percentiles(slow_f1[task])
        fast_mean = bootstrap.mean_resampled(fast_f1)
        assert fast_mean.tolist() == slow_mean
        assert bootstrap.interval(fast_mean) == slow_percentiles(slow_mean)
        point = {task: f1_score(tests[task], predictions[task]) for task in tests}
        for task in tests:
            lo, hi = bootstrap.interval(fast_f1[task])
            assert lo <= point[task] <= hi
        lo, hi = bootstrap.interval(fast_mean)
        assert lo <= np.mean([point[t] for t in sorted(point)]) <= hi


def test_f1_with_nothing_to_find_is_zero_like_scikit_learn():
    y = np.zeros(6, dtype=np.int64)
    counts = bootstrap.resample_counts(y, 4, 0, "x")
    assert bootstrap.f1_resampled(y, np.zeros(6), counts).tolist() == [0.0] * 4


def test_comparisons_identical_dominating_and_antisymmetric(selection_case):
    tests, submissions = selection_case
    counts = {task: bootstrap.resample_counts(y, B, SEED, f"selection/{task}") for task, y in tests.items()}
    means = {name: bootstrap.mean_resampled({t: bootstrap.f1_resampled(tests[t], p[t], counts[t]) for t in tests})
             for name, p in submissions.items()}
    means["a_copy"] = bootstrap.mean_resampled(
        {t: bootstrap.f1_resampled(tests[t], submissions["a"][t].copy(), counts[t]) for t in tests})
    means["perfect"] = bootstrap.mean_resampled({t: bootstrap.f1_resampled(y, y, counts[t]) for t, y in tests.items()})
    means["inverted"] = bootstrap.mean_resampled(
        {t: bootstrap.f1_resampled(y, 1 - y, counts[t]) for t, y in tests.items()})
    shares = bootstrap.comparisons(means, higher_is_better=True)
    assert shares["a"]["a_copy"] == 0.5 and shares["a_copy"]["a"] == 0.5
    assert shares["perfect"]["inverted"] == 1.0 and shares["inverted"]["perfect"] == 0.0
    for first in shares:
        for second, share in shares[first].items():
            assert share + shares[second][first] == 1.0
    slow = sum(1.0 if x > y else 0.5 if x == y else 0.0 for x, y in zip(means["a"], means["c"])) / B
    assert shares["a"]["c"] == slow
    assert bootstrap.separable(shares["perfect"]["a"]) and not bootstrap.separable(shares["a"]["a_copy"])
    assert bootstrap.adjacent_separable(["perfect", "a", "a_copy"], shares) == [True, False]


def debugging_case(seed: int):
    """A data_id of 12 training rows (4 mislabeled) and 50 test rows; correctness bits made up per state."""
    rng = np.random.default_rng(seed)
    n_train, n_test = 12, 50
    mislabeled = np.zeros(n_train, dtype=bool)
    mislabeled[[1, 4, 6, 9]] = True
    test_y = (rng.random(n_test) < 0.4).astype(np.int64)
    clean_correct = rng.random(n_test) < 0.9
    return rng, n_train, mislabeled, test_y, clean_correct


def states_along(order: np.ndarray, mislabeled: np.ndarray, rng: np.random.Generator,
                 clean_correct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(correct, step_state) of an order: one state per wrong label fixed, accuracy rising towards clean."""
    fixed = np.concatenate([[0], np.cumsum(mislabeled[order])])
    n_states = fixed[-1] + 1
    rows = []
    for s in range(n_states):
        keep = rng.random(len(clean_correct)) < 0.55 + 0.4 * s / mislabeled.sum()
        rows.append(np.where(keep, clean_correct, ~clean_correct))
    if fixed[-1] == mislabeled.sum():
        rows[-1] = clean_correct.copy()  # every wrong label fixed: the clean state
    return np.array(rows), fixed


ORDERS = {"good": [4, 1, 9, 6, 0, 2, 3, 5, 7, 8, 10, 11], "short": [0, 4, 2, 1], "late": [0, 2, 3, 5, 7, 4, 1, 9, 6]}


@pytest.mark.parametrize("case_seed", [0, 1])
def test_debugging_intervals_equal_a_direct_bootstrap(case_seed):
    rng, n_train, mislabeled, test_y, clean_correct = debugging_case(case_seed)
    draws = documented_draw(test_y, B, SEED, "debugging/d3v8")
    counts = bootstrap.resample_counts(test_y, B, SEED, "debugging/d3v8")
    n_test = len(test_y)
    scores = {}
    for name, order in ORDERS.items():
        order = np.array(order)
        correct, step_state = states_along(order, mislabeled, rng, clean_correct)
        fast_score, fast_auc = bootstrap.debugging_resampled(correct, step_state, clean_correct, counts,
                                                             n_train, 0.95)
        slow_score, slow_auc = [], []
        for idx in draws:
            curve = np.array([np.count_nonzero(correct[s][idx]) / n_test for s in step_state])
            clean_acc = np.count_nonzero(clean_correct[idx]) / n_test
            result = score_curve(curve, clean_acc, order, mislabeled, 0.95)
            slow_score.append(result.score)
            hits = [np.count_nonzero(correct[s][idx]) for s in step_state]
            hits += [hits[-1]] * (n_train - len(order))
            exact_auc = Fraction(sum(hits), n_test * (n_train + 1))
            slow_auc.append(float(exact_auc))
            assert result.auc == pytest.approx(float(exact_auc), rel=1e-15, abs=0)
        assert fast_score.tolist() == slow_score
        assert fast_auc.tolist() == slow_auc
        assert bootstrap.interval(fast_score) == slow_percentiles(slow_score)
        assert bootstrap.interval(fast_auc) == slow_percentiles(slow_auc)
        point_curve = np.array([np.count_nonzero(correct[s]) / n_test for s in step_state])
        point = score_curve(point_curve, np.count_nonzero(clean_correct) / n_test, order, mislabeled, 0.95)
        lo, hi = bootstrap.interval(fast_auc)
        assert lo <= point.auc <= hi
        lo, hi = bootstrap.interval(fast_score)
        assert lo <= point.score <= hi
        scores[name] = fast_score
    shares = bootstrap.comparisons(scores, higher_is_better=False)
    slow = sum(1.0 if x < y else 0.5 if x == y else 0.0 for x, y in zip(scores["good"], scores["late"])) / B
    assert shares["good"]["late"] == slow


def test_debugging_domination_and_identical_orders():
    """Fixing a wrong label first reaches the clean state at step 1 on every resample; a right one delays it."""
    n_train, n_test = 3, 40
    test_y = np.arange(n_test) % 2
    counts = bootstrap.resample_counts(test_y, B, SEED, "debugging/x")
    clean_correct = np.ones(n_test, dtype=bool)
    noisy_correct = np.zeros(n_test, dtype=bool)
    states = np.array([noisy_correct, clean_correct])
    fast, _ = bootstrap.debugging_resampled(states, np.array([0, 1, 1, 1]), clean_correct, counts, n_train, 0.95)
    slow, _ = bootstrap.debugging_resampled(states, np.array([0, 0, 1, 1]), clean_correct, counts, n_train, 0.95)
    same, _ = bootstrap.debugging_resampled(states, np.array([0, 1, 1, 1]), clean_correct, counts, n_train, 0.95)
    never, auc = bootstrap.debugging_resampled(states[:1], np.array([0]), clean_correct, counts, n_train, 0.95)
    assert fast.tolist() == [1 / 3] * B and never.tolist() == [1.0] * B and auc.tolist() == [0.0] * B
    shares = bootstrap.comparisons({"fast": fast, "slow": slow, "same": same}, higher_is_better=False)
    assert shares["fast"]["slow"] == 1.0 and shares["fast"]["same"] == 0.5


def test_debugging_shapes_are_checked():
    counts = bootstrap.resample_counts(np.array([0, 1, 0]), 4, 0, "x")
    with pytest.raises(ValueError, match="same test rows"):
        bootstrap.debugging_resampled(np.ones((1, 2), bool), np.array([0]), np.ones(3, bool), counts, 3, 0.95)
    with pytest.raises(ValueError, match="more steps"):
        bootstrap.debugging_resampled(np.ones((1, 3), bool), np.zeros(5, int), np.ones(3, bool), counts, 3, 0.95)


def test_debugging_from_the_evaluator_equals_refitting_on_each_resampled_test_set():
    """No refit needed: the fitted states' correctness bits give what a fresh evaluation on the resampled rows gives."""
    from benchmark.scoring.debugging.corrected import CleaningEvaluator
    rng = np.random.default_rng(5)
    n_train, n_test, dim = 24, 40, 6
    direction = rng.standard_normal(dim)
    clean = (rng.random(n_train) < 0.5).astype(np.int64)
    X = rng.standard_normal((n_train, dim)) + np.outer(2 * clean - 1, direction)
    test_y = (rng.random(n_test) < 0.5).astype(np.int64)
    test_X = rng.standard_normal((n_test, dim)) + np.outer(2 * test_y - 1, direction)
    noisy = clean.copy()
    noisy[rng.choice(n_train, 7, replace=False)] ^= 1
    order = rng.permutation(n_train)[:18]
    evaluator = CleaningEvaluator(X, noisy, clean, test_X, test_y)
    step_state, correct = evaluator.correctness(order)
    resamples = 6
    counts = bootstrap.resample_counts(test_y, resamples, SEED, "debugging/d1v7")
    score, auc = bootstrap.debugging_resampled(correct, step_state, evaluator.clean_correctness, counts,
                                               n_train, 0.95)
    for b, idx in enumerate(bootstrap.stratified_resamples(test_y, resamples, SEED, "debugging/d1v7")):
        fresh = CleaningEvaluator(X, noisy, clean, test_X[idx], test_y[idx])
        result = score_curve(fresh.curve(order), fresh.clean_accuracy, order, noisy != clean, 0.95)
        assert score[b] == result.score
        assert auc[b] == pytest.approx(result.auc, rel=1e-15, abs=0)


def test_step_states_must_not_go_back():
    counts = bootstrap.resample_counts(np.array([0, 1, 0]), 4, 0, "x")
    with pytest.raises(ValueError, match="non-decreasing"):
        bootstrap.debugging_resampled(np.ones((2, 3), bool), np.array([0, 1, 0]), np.ones(3, bool), counts, 3, 0.95)


def test_summaries_cover_every_scored_part_and_only_valid_submissions_in_means(selection_case):
    tests, submissions = selection_case
    predicted = {name: {t: (p, np.where(p == 1, 0.7, 0.3)) for t, p in by_task.items()}
                 for name, by_task in submissions.items()}
    del predicted["c"]["Five"]  # c has an invalid task: its other tasks still get intervals
    summary = bootstrap.selection_summary(tests, predicted, ["a", "b"], B, SEED)
    assert sorted(summary.means) == ["a", "b"] and sorted(summary.comparisons) == ["a", "b"]
    assert sorted(summary.parts["c"]) == ["Eight", "Three"]
    counts = bootstrap.resample_counts(tests["Five"], B, SEED, "selection/Five")
    assert summary.parts["a"]["Five"]["f1"] == bootstrap.interval(
        bootstrap.f1_resampled(tests["Five"], submissions["a"]["Five"], counts))
    both = {name: bootstrap.mean_resampled({t: bootstrap.f1_resampled(
        tests[t], submissions[name][t], bootstrap.resample_counts(tests[t], B, SEED, f"selection/{t}"))
        for t in tests}) for name in ["a", "b"]}
    assert summary.means["a"] == bootstrap.interval(both["a"])
    assert summary.comparisons["a"]["b"] == bootstrap.beats_share(both["a"], both["b"], True)
    assert bootstrap.selection_summary(tests, predicted, ["a", "b"], B, SEED) == summary  # deterministic


def test_average_precision_equals_scikit_learn_on_the_resampled_rows():
    from sklearn.metrics import average_precision_score
    rng = np.random.default_rng(11)
    y = (rng.random(70) < 0.3).astype(np.int64)
    scores = np.round(rng.random(70) * 0.6 + 0.4 * y, 2)  # rounded: ties between rows, as in real scores
    draws = documented_draw(y, 80, SEED, "selection/Hawk")
    fast = bootstrap.average_precision_resampled(y, scores, bootstrap.resample_counts(y, 80, SEED, "selection/Hawk"))
    slow = [average_precision_score(y[idx], scores[idx]) for idx in draws]
    np.testing.assert_allclose(fast, slow, rtol=1e-13, atol=0)
    assert bootstrap.average_precision_resampled(np.zeros(5, int), np.ones(5), np.ones((3, 5), int)).tolist() == [0.0] * 3


def test_the_mean_and_comparisons_follow_the_leaderboard_metric(selection_case):
    tests, submissions = selection_case
    rng = np.random.default_rng(2)
    predicted = {name: {t: (p, rng.random(len(p))) for t, p in by_task.items()} for name, by_task in submissions.items()}
    summary = bootstrap.selection_summary(tests, predicted, list(predicted), B, SEED, leaderboard="average_precision")
    ap = {name: bootstrap.mean_resampled({t: bootstrap.average_precision_resampled(
        tests[t], predicted[name][t][1], bootstrap.resample_counts(tests[t], B, SEED, f"selection/{t}"))
        for t in tests}) for name in predicted}
    assert summary.means["a"] == bootstrap.interval(ap["a"])
    assert summary.comparisons["a"]["c"] == bootstrap.beats_share(ap["a"], ap["c"], True)
    assert summary.parts["b"]["Eight"]["average_precision"] == bootstrap.interval(
        bootstrap.average_precision_resampled(tests["Eight"], predicted["b"]["Eight"][1],
                                              bootstrap.resample_counts(tests["Eight"], B, SEED, "selection/Eight")))
