"""The baselines of issue 25, each against an independent computation of what it claims to compute.

Data Banzhaf and Beta-Shapley against their definitions by enumerating every subset (N <= 8); influence
functions against leave-one-out refits; confident learning's flagged set against cleanlab's own
``find_label_issues``; the three published selection approaches against the pieces they are built from.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from cleanlab.filter import find_label_issues
from conftest import exact_shapley, tiny_valuation_problem as _tiny
from scipy import integrate, stats
from scipy.spatial.distance import cdist
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

from benchmark.errors import InputError
from benchmark.formats.parameters import parameters_from_dict
from benchmark.methods import confident_learning as cl
from benchmark.methods import semivalues
from benchmark.methods import fpscv
from benchmark.methods.concept_labels import concept_labels
from benchmark.methods.fpscv import fpscv_training_set
from benchmark.methods.influence import _design, influence_on_validation_loss, influence_order
from benchmark.methods.label_noise import cross_validated_probabilities, loss_order
from benchmark.methods.pseudo_labels import pseudo_label_training_set
from benchmark.methods.small_logistic import fit_logistic
from benchmark.methods.tmc_shapley import ValidationAccuracy
from benchmark.methods.training_sets import TaskRows
from benchmark.methods.uncertainty import uncertainty_training_set


class Memo:
    """The logistic-regression utility evaluated once per subset, so every estimator sees the same U."""

    def __init__(self, utility):
        self.utility, self.cache = utility, {}

    def __call__(self, subset: np.ndarray) -> float:
        key = tuple(sorted(int(i) for i in subset))
        if key not in self.cache:
            self.cache[key] = self.utility(np.asarray(key, dtype=np.int64))
        return self.cache[key]


def _subsets_without(n: int, i: int):
    others = [r for r in range(n) if r != i]
    for size in range(n):
        for S in itertools.combinations(others, size):
            yield S


# --------------------------------------------------------------------------- Data Banzhaf
def _banzhaf_by_definition(n: int, utility) -> np.ndarray:
    """Mean over all 2^(n-1) subsets S of the others of U(S + i) - U(S)."""
    return np.asarray([np.mean([utility(np.asarray(S + (i,))) - utility(np.asarray(S, dtype=np.int64))
                                for S in _subsets_without(n, i)]) for i in range(n)])


@pytest.mark.parametrize("n,seed", [(4, 1), (6, 1), (8, 2)])
def test_banzhaf_msr_over_every_subset_is_the_exact_banzhaf_value(n, seed):
    X, noisy, val_X, val_y = _tiny(seed, n)
    utility = Memo(ValidationAccuracy(X, noisy, val_X, val_y))
    exact = _banzhaf_by_definition(n, utility)
    every = (np.asarray([(m >> r) & 1 for r in range(n)], dtype=bool) for m in range(2 ** n))
    np.testing.assert_allclose(semivalues.msr_banzhaf(n, utility, every), exact, rtol=0, atol=1e-12)
    np.testing.assert_allclose(semivalues.exact_banzhaf(n, utility), exact, rtol=0, atol=1e-12)
    assert np.ptp(exact) > 0  # the utility is not flat: the comparison can fail


def test_banzhaf_msr_sampled_is_within_five_standard_errors():
    n, samples = 8, 20_000
    X, noisy, val_X, val_y = _tiny(3, n)
    utility = Memo(ValidationAccuracy(X, noisy, val_X, val_y))
    exact = _banzhaf_by_definition(n, utility)
    masks = np.stack(list(semivalues.half_subsets(n, samples, np.random.default_rng(5))))
    estimate = semivalues.msr_banzhaf(n, utility, masks)
    u = np.asarray([utility(np.flatnonzero(m)) for m in masks])
    se = np.asarray([math.sqrt(u[masks[:, i]].var() / masks[:, i].sum() + u[~masks[:, i]].var() / (~masks[:, i]).sum())
                     for i in range(n)])
    assert np.all(np.abs(estimate - exact) <= 5 * se + 1e-12), (estimate, exact, se)
    # and the estimate is what data_banzhaf computes from the same generator
    again = semivalues.data_banzhaf(X, noisy, val_X, val_y, np.random.default_rng(5), samples=200)
    np.testing.assert_array_equal(again, semivalues.msr_banzhaf(n, Memo(ValidationAccuracy(X, noisy, val_X, val_y)),
                                                                masks[:200]))


# --------------------------------------------------------------------------- Beta-Shapley
def _beta_weight_by_integral(n: int, j: int, alpha: float, beta: float) -> float:
    """π(j) = C(n-1, j-1) ∫ t^(j-1) (1-t)^(n-j) Beta(t; β, α) dt (Kwon and Zou's weight over n)."""
    density = stats.beta(beta, alpha).pdf
    value, _ = integrate.quad(lambda t: t ** (j - 1) * (1 - t) ** (n - j) * density(t), 0, 1, epsabs=1e-14,
                              epsrel=1e-12)
    return math.comb(n - 1, j - 1) * value


@pytest.mark.parametrize("n,alpha,beta", [(5, 16.0, 1.0), (8, 4.0, 1.0), (6, 1.0, 1.0), (7, 2.0, 3.0)])
def test_beta_weights_are_the_integral_and_sum_to_one(n, alpha, beta):
    weights = semivalues.cardinality_weights(n, alpha, beta)
    expected = [_beta_weight_by_integral(n, j, alpha, beta) for j in range(1, n + 1)]
    np.testing.assert_allclose(weights, expected, rtol=1e-9, atol=1e-12)
    assert weights.sum() == pytest.approx(1.0, abs=1e-12)
    if alpha == beta == 1.0:
        np.testing.assert_allclose(weights, np.full(n, 1 / n), rtol=0, atol=1e-15)


def _semivalue_by_definition(n: int, utility, weights) -> np.ndarray:
    values = np.zeros(n)
    for i in range(n):
        for S in _subsets_without(n, i):
            values[i] += weights[len(S)] / math.comb(n - 1, len(S)) * (
                utility(np.asarray(S + (i,))) - utility(np.asarray(S, dtype=np.int64)))
    return values


@pytest.mark.parametrize("n,seed,alpha,beta", [(4, 0, 16.0, 1.0), (6, 1, 16.0, 1.0), (7, 2, 4.0, 2.0)])
def test_beta_shapley_over_every_permutation_is_exact(n, seed, alpha, beta):
    X, noisy, val_X, val_y = _tiny(seed, n)
    utility = Memo(ValidationAccuracy(X, noisy, val_X, val_y))
    weights = np.asarray([_beta_weight_by_integral(n, j, alpha, beta) for j in range(1, n + 1)])
    exact = _semivalue_by_definition(n, utility, weights)
    every = (np.asarray(p) for p in itertools.permutations(range(n)))
    module_weights = semivalues.cardinality_weights(n, alpha, beta)
    np.testing.assert_allclose(semivalues.permutation_semivalue(n, utility, every, module_weights), exact,
                               rtol=0, atol=1e-9)  # 1e-9: the weights themselves come from a quadrature
    np.testing.assert_allclose(semivalues.exact_semivalue(n, utility, module_weights),
                               _semivalue_by_definition(n, utility, module_weights), rtol=0, atol=1e-12)
    assert np.ptp(exact) > 0


def test_beta_one_one_is_shapley_and_the_tail_bounds_the_truncation():
    n = 7
    X, noisy, val_X, val_y = _tiny(4, n)
    utility = Memo(ValidationAccuracy(X, noisy, val_X, val_y))
    shapley = semivalues.exact_semivalue(n, utility, semivalues.cardinality_weights(n, 1.0, 1.0))
    np.testing.assert_allclose(shapley, exact_shapley(n, utility), rtol=0, atol=1e-12)
    weights = semivalues.cardinality_weights(n, 16.0, 1.0)
    exact = semivalues.exact_semivalue(n, utility, weights)
    for tail in (0.01, 0.1, 0.3):
        k = semivalues.evaluated_positions(weights, tail)
        assert weights[k:].sum() <= tail < weights[k - 1:].sum()
        every = (np.asarray(p) for p in itertools.permutations(range(n)))
        truncated = semivalues.permutation_semivalue(n, utility, every, weights, tail=tail)
        assert np.max(np.abs(truncated - exact)) <= weights[k:].sum() + 1e-12  # U in [0, 1]: |bias| <= tail mass


def test_beta_shapley_sampled_is_within_five_standard_errors():
    n, count = 6, 4000
    X, noisy, val_X, val_y = _tiny(5, n)
    utility = Memo(ValidationAccuracy(X, noisy, val_X, val_y))
    weights = semivalues.cardinality_weights(n, 16.0, 1.0)
    exact = semivalues.exact_semivalue(n, utility, weights)
    rng = np.random.default_rng(9)
    perms = [rng.permutation(n) for _ in range(count)]
    credits = np.zeros((count, n))  # each permutation's credit to each row: the estimate is their mean
    for c, order in enumerate(perms):
        credits[c] = semivalues.permutation_semivalue(n, utility, [order], weights)
    estimate = semivalues.permutation_semivalue(n, utility, perms, weights)
    np.testing.assert_allclose(estimate, credits.mean(axis=0), rtol=0, atol=1e-12)
    se = credits.std(axis=0) / math.sqrt(count)
    assert np.all(np.abs(estimate - exact) <= 5 * se + 1e-12), (estimate, exact, se)
    again = semivalues.beta_shapley(X, noisy, val_X, val_y, np.random.default_rng(9), permutations=50, tail=0)
    np.testing.assert_allclose(again, credits[:50].mean(axis=0), rtol=0, atol=1e-12)


# --------------------------------------------------------------------------- influence functions
def _val_loss(A_val: np.ndarray, val_y: np.ndarray, theta: np.ndarray) -> float:
    z = A_val @ theta
    return float(np.mean(np.logaddexp(0.0, z) - val_y * z))


@pytest.mark.parametrize("n,d,seed", [(60, 8, 0), (40, 100, 1)])
def test_influence_ranks_rows_like_leave_one_out_refits(n, d, seed):
    """Spearman >= 0.9 between I_i and the refitted change of the validation loss without row i (N > D and N < D)."""
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(d)
    X = rng.standard_normal((n, d))
    y = (X @ w + rng.standard_normal(n) > 0).astype(np.int64)
    y[rng.choice(n, n // 4, replace=False)] ^= 1
    val_X = rng.standard_normal((50, d))
    val_y = (val_X @ w > 0).astype(np.int64)
    predicted = influence_on_validation_loss(X, y, val_X, val_y, {"C": 1.0})
    # independent refits on the raw, centred embeddings (no projection), solved tightly
    mean = X.mean(axis=0)
    A_val = _design(val_X - mean)

    def refit(rows):
        return fit_logistic(X[rows] - mean, y[rows].astype(float), np.zeros(d + 1), 1.0, tol=1e-12, max_steps=200)

    full = _val_loss(A_val, val_y, refit(np.arange(n)))
    actual = np.asarray([_val_loss(A_val, val_y, refit(np.delete(np.arange(n), i))) - full for i in range(n)])
    rho = stats.spearmanr(predicted, actual).statistic
    assert rho >= 0.9, rho
    order = influence_order(X, y, val_X, val_y, {"C": 1.0})
    np.testing.assert_array_equal(order, np.argsort(predicted, kind="stable"))


# --------------------------------------------------------------------------- confident learning
def _random_probabilities(seed: int):
    rng = np.random.default_rng(seed)
    n, K = int(rng.integers(8, 300)), int(rng.integers(2, 5))
    labels = np.concatenate([np.arange(K), rng.integers(0, K, n - K)])
    p = rng.dirichlet(np.full(K, rng.uniform(0.2, 3.0)), n)
    p[np.arange(n), labels] += rng.uniform(0, 2, n)
    return labels, p / p.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("seed", range(40))
def test_confident_learning_flags_what_cleanlab_flags(seed):
    labels, p = _random_probabilities(seed)
    expected = find_label_issues(labels, p, n_jobs=1)
    np.testing.assert_array_equal(cl.label_issues(labels, p), expected)


def test_confident_learning_on_cross_validated_probabilities_matches_cleanlab_and_differs_from_loss():
    rng = np.random.default_rng(3)
    n, d = 200, 16
    X = rng.standard_normal((n, d))
    clean = (X[:, 0] > 0.3).astype(np.int64)  # imbalanced classes: the per-class thresholds differ
    noisy = clean.copy()
    noisy[rng.choice(np.flatnonzero(clean == 0), 40, replace=False)] = 1  # one-way noise
    p = cross_validated_probabilities(X, noisy, seed=0)
    flagged = cl.label_issues(noisy, p)
    np.testing.assert_array_equal(flagged, find_label_issues(noisy, p, n_jobs=1))
    order = cl.confident_learning_order(noisy, p)
    assert sorted(order) == list(range(n))
    assert set(order[: flagged.sum()]) == set(np.flatnonzero(flagged))  # the flagged rows come first
    t = p[noisy == 1, 1].mean(), p[noisy == 0, 0].mean()
    assert abs(t[0] - t[1]) > 0.05
    assert not np.array_equal(order, loss_order(noisy, p))


def test_adjusted_self_confidence_is_cleanlabs():
    from cleanlab.rank import get_label_quality_scores

    for seed in range(5):
        labels, p = _random_probabilities(seed)
        np.testing.assert_allclose(cl.adjusted_self_confidence(labels, p),
                                   get_label_quality_scores(labels, p, method="self_confidence",
                                                            adjust_pred_probs=True), rtol=0, atol=1e-12)


# --------------------------------------------------------------------------- selection
def _pool(seed: int = 0, n: int = 600, d: int = 12, share: float = 0.05):
    rng = np.random.default_rng(seed)
    concept = rng.random(n) < share
    X = rng.standard_normal((n, d)) + 3.0 * concept[:, None] * np.eye(d)[0]
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    ids = np.asarray([f"{i:016x}" for i in range(n)], dtype=object)
    examples = np.flatnonzero(concept)[:8]
    return ids, X, concept, examples


def _farthest_point_by_brute_force(X: np.ndarray, count: int) -> list[int]:
    D = cdist(X, X)
    chosen = [0]
    for _ in range(count - 1):
        chosen.append(int(np.argmax(D[:, chosen].min(axis=1))))
    return chosen


def _labels(seed: int = 0, n: int = 600, share: float = 0.05):
    """A well-separated concept's pool as the runner hands it over (no candidates: the sample is the pool)."""
    rng = np.random.default_rng(seed)
    concept = rng.random(n) < share
    X = rng.standard_normal((n, 12)) + 6.0 * concept[:, None] * np.eye(12)[0]
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    ids = np.asarray([f"{i:016x}" for i in range(n)], dtype=object)
    examples = np.flatnonzero(concept)[:8]
    rest = np.setdiff1d(np.arange(n), examples)
    rows = TaskRows("A", ids[examples], X[examples], ids[:0], X[:0], np.empty(0))
    return concept_labels(rows, ids[rest], X[rest]), ids, X, concept, examples


def test_concept_labels_are_the_examples_and_the_rows_their_walk_reaches_first():
    labels, ids, X, concept, examples = _labels()
    assert list(labels.ids[: len(examples)]) == list(ids[examples]) and labels.is_example.sum() == len(examples)
    truth = dict(zip(ids, concept))
    unlabelled = concept.sum() - len(examples)
    found = [truth[i] for i in labels.ids[labels.ranked[:unlabelled]]]
    assert unlabelled <= labels.count <= 3 * unlabelled  # the leave-one-out estimate sees the concept
    assert np.mean(found) >= 0.9  # and the walk from the examples reaches it first
    np.testing.assert_array_equal(labels.positives(), np.r_[np.arange(len(examples)), labels.ranked[: labels.count]])
    np.testing.assert_array_equal(labels.clear_negatives(), labels.ranked[int(np.ceil(2.0 * labels.count)):])
    assert not set(labels.clear_negatives()) & set(labels.positives())


def test_concept_labels_leave_negatives_when_the_estimate_is_most_of_the_pool():
    labels, *_ = _labels(4, n=200, share=0.7)  # the concept is most rows: the estimate is capped
    rest = len(labels.ranked) - labels.count
    assert 1 <= labels.count <= len(labels.ranked) // 2
    assert len(labels.clear_negatives()) >= rest - rest // 2 > 0


def test_fpscv_cross_validates_estimated_positives_and_farthest_point_negatives_on_the_pools_rows():
    labels, ids, X, _, examples = _labels()
    raw = dict(zip(ids, 3.0 * X + 1.0))  # the pool's rows as the evaluator reads them: not the unit rows
    asked = []

    def raw_rows(wanted):
        asked.append(list(wanted))
        return np.stack([raw[i] for i in wanted])

    sub = fpscv_training_set(labels, raw_rows, np.random.default_rng(0), positives=[3, 5], negatives=[10, 20],
                             folds=3, candidates=60)
    clear = labels.clear_negatives()
    candidates = labels.ids[clear[_farthest_point_by_brute_force(labels.X[clear], 60)]]
    positives = labels.ids[labels.positives()]
    assert asked == [list(positives) + list(candidates)]  # one lookup, of exactly the rows cross-validated
    # the same nested cross-validation done step by step: every budget, the best mean, its best pair
    rng, P, C = np.random.default_rng(0), np.stack([raw[i] for i in positives]), np.stack([raw[i] for i in candidates])
    runs = [(fpscv.nested_cv(P, C, p, n, 3, rng, None), p, n) for p, n in [(3, 10), (3, 20), (5, 10), (5, 20)]]
    (_, (pos_rows, neg_rows)), _, _ = max(runs, key=lambda run: (run[0][0], -runs.index(run)))
    assert list(sub.ids) == list(positives[pos_rows]) + list(candidates[neg_rows])
    assert list(sub.labels) == [1] * len(pos_rows) + [0] * len(neg_rows)
    again = fpscv_training_set(labels, raw_rows, np.random.default_rng(0), positives=[3, 5], negatives=[10, 20],
                               folds=3, candidates=60)
    np.testing.assert_array_equal(sub.ids, again.ids)


def test_nested_cv_scores_every_split_on_its_held_out_rows():
    rng = np.random.default_rng(3)
    E, N = rng.standard_normal((7, 4)) + 2.0, rng.standard_normal((12, 4))
    mean, (pos, neg) = fpscv.nested_cv(E, N, 3, 5, 2, np.random.default_rng(9), None)
    draws, scores = np.random.default_rng(9), []
    for _ in range(2):
        p = draws.permutation(7)
        for _ in range(2):
            q = draws.permutation(12)
            model = LogisticRegression(random_state=0).fit(np.r_[E[p[:3]], N[q[:5]]], np.r_[np.ones(3), np.zeros(5)])
            predicted = model.predict(np.r_[E[p[3:]], N[q[5:]]])
            truth = np.r_[np.ones(4), np.zeros(7)]
            tp = np.sum((predicted == 1) & (truth == 1))
            scores.append(2 * tp / (np.sum(predicted == 1) + 4) if tp else 0.0)
    assert mean == pytest.approx(np.mean(scores), abs=1e-12)
    assert len(pos) == 3 and len(neg) == 5


def test_pseudo_labels_follow_the_networks_classes_in_equal_shares():
    ids, X, concept, examples = _pool(1)
    other = np.flatnonzero(~concept)[:8]
    every = {"A": X[examples], "B": X[other]}
    sub = pseudo_label_training_set(ids, X, every, "A", np.random.default_rng(4), size=60, hidden=25)
    rng = np.random.default_rng(4)  # the same draws, done by hand
    model = MLPClassifier(hidden_layer_sizes=(25,), max_iter=1000, random_state=int(rng.integers(2**31 - 1)))
    model.fit(np.concatenate([X[examples], X[other]]), np.r_[np.zeros(8), np.ones(8)])
    pseudo = dict(zip(ids, model.predict(X)))
    assert all(label == int(pseudo[i] == 0) for i, label in zip(sub.ids, sub.labels))
    counts = np.bincount(sub.labels, minlength=2)
    assert counts.max() <= 30 and len(set(sub.ids)) == len(sub.ids)
    single = pseudo_label_training_set(ids, X, {"A": X[examples]}, "A", np.random.default_rng(4), size=60)
    assert set(single.labels) == {0, 1}


def test_uncertainty_negatives_come_from_the_band_below_the_labelled_positives():
    labels, ids, X, concept, examples = _labels(2, n=800)
    sub = uncertainty_training_set(labels, np.random.default_rng(1), size=100, C=1e6, band_top=0.02,
                                   band_bottom=0.05)
    y = np.zeros(len(labels.ids))
    y[labels.positives()] = 1
    A = labels.X - labels.X.mean(axis=0)
    probability = LogisticRegression(C=1e6, max_iter=1000, random_state=0).fit(A, y).predict_proba(A)[:, 1]
    ranked = np.argsort(-probability, kind="stable")
    n, labelled = len(ranked), int(y.sum())
    band = [r for r in ranked[labelled + int(0.02 * n): labelled + int(0.05 * n)] if y[r] == 0]
    assert set(sub.ids[sub.labels == 0]) == set(labels.ids[band])  # fewer band rows than the budget: all of them
    kept = set(labels.ids[(y == 1) & (probability >= 0.5)])
    assert set(sub.ids[sub.labels == 1]) <= kept and (sub.labels == 1).sum() == min(len(kept), 50)


@pytest.mark.parametrize("section,key,value,message", [
    ("selection", "fpscv_positives", [], "fpscv_positives"),
    ("selection", "fpscv_negatives", [0, 5], "fpscv_negatives"),
    ("selection", "uncertainty_band_top", 0.5, "uncertainty_band_top < uncertainty_band_bottom"),
    ("selection", "uncertainty_C", 0, "uncertainty_C"),
    ("selection", "pseudo_label_size", 0, "pseudo_label_size"),
    ("debugging", "banzhaf_samples", 0, "banzhaf_samples"),
    ("debugging", "beta_alpha", -1.0, "beta_alpha"),
    ("debugging", "beta_tail", 1.0, "beta_tail"),
    ("debugging", "beta_permutations", "many", "beta_permutations"),
])
def test_bad_baseline_settings_are_one_line_errors(section, key, value, message):
    with pytest.raises(InputError, match=message) as caught:
        parameters_from_dict({section: {"baselines": {key: value}}}, "p.yaml")
    assert "\n" not in str(caught.value) and "p.yaml" in str(caught.value)
