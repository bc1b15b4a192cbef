"""TMC-Shapley and Data-OOB against their definitions, on tiny data where the definitions can be computed directly."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import exact_shapley, tiny_valuation_problem as _tiny
from sklearn.linear_model import LogisticRegression

from benchmark.methods.data_oob import bootstrap_bags, data_oob, data_oob_order
from benchmark.methods.small_logistic import fit_logistic, principal_coordinates
from benchmark.methods.tmc_shapley import (ValidationAccuracy, permutation_shapley, sampled_permutations, tmc_shapley,
                                           tmc_shapley_order)


class Memo:
    """A utility evaluated once per subset (the estimator may ask for the same subset many times)."""

    def __init__(self, utility):
        self.utility, self.cache = utility, {}

    def __call__(self, subset: np.ndarray) -> float:
        key = tuple(int(i) for i in subset)
        if key not in self.cache:
            self.cache[key] = self.utility(np.asarray(key, dtype=np.int64))
        return self.cache[key]


# --------------------------------------------------------------------------- TMC-Shapley
@pytest.mark.parametrize("n,seed", [(3, 0), (5, 1), (6, 2)])
def test_every_permutation_once_without_truncation_isexact_shapley(n, seed):
    X, noisy, val_X, val_y = _tiny(seed, n)
    utility = Memo(ValidationAccuracy(X, noisy, val_X, val_y))
    exact = exact_shapley(n, utility)
    every = (np.asarray(p) for p in itertools.permutations(range(n)))
    np.testing.assert_allclose(permutation_shapley(n, utility, every, tolerance=0), exact, rtol=0, atol=1e-12)


@pytest.mark.parametrize("n,seed", [(7, 3), (8, 4)])
def test_sampled_permutations_approachexact_shapley(n, seed):
    X, noisy, val_X, val_y = _tiny(seed, n)
    utility = Memo(ValidationAccuracy(X, noisy, val_X, val_y))
    exact = exact_shapley(n, utility)
    errors = {}
    for count in (20, 3000):
        estimate = permutation_shapley(n, utility, sampled_permutations(n, count, seed), tolerance=0)
        # each permutation's marginal contributions telescope: the estimate is efficient exactly
        assert estimate.sum() == pytest.approx(utility(np.arange(n)) - utility(np.empty(0, np.int64)), abs=1e-12)
        errors[count] = np.abs(estimate - exact).max()
    assert errors[3000] < 0.015 and errors[3000] < errors[20] / 3, errors


def test_truncation_credits_nothing_once_the_prefix_is_as_good_as_the_full_set():
    # U(S) = min(|S|, 2) / 2: after two rows the full utility is reached, every later row gets 0
    utility = lambda subset: min(len(subset), 2) / 2  # noqa: E731
    orders = [np.array([3, 1, 0, 2]), np.array([2, 0, 1, 3])]
    values = permutation_shapley(4, utility, orders, tolerance=0.01)
    np.testing.assert_allclose(values, [0.25, 0.25, 0.25, 0.25])  # rows 3, 1 in one order, 2, 0 in the other
    assert permutation_shapley(4, utility, [np.array([3, 1, 0, 2])], tolerance=0.01)[[0, 2]].tolist() == [0, 0]


def test_tmc_is_seeded_and_ranks_flipped_rows_first():
    rng = np.random.default_rng(5)
    y = np.arange(60) % 2
    X = rng.standard_normal((60, 5)) + 2.0 * (2 * y[:, None] - 1) * np.eye(5)[0]
    val_y = np.arange(40) % 2
    val_X = rng.standard_normal((40, 5)) + 2.0 * (2 * val_y[:, None] - 1) * np.eye(5)[0]
    noisy = y.copy()
    flipped = rng.choice(60, 12, replace=False)
    noisy[flipped] ^= 1
    first = tmc_shapley(X, noisy, val_X, val_y, permutations=40, seed=[0, 1])
    assert np.array_equal(first, tmc_shapley(X, noisy, val_X, val_y, permutations=40, seed=[0, 1]))
    assert not np.array_equal(first, tmc_shapley(X, noisy, val_X, val_y, permutations=40, seed=[0, 2]))
    order = tmc_shapley_order(X, noisy, val_X, val_y, permutations=40, seed=[0, 1])
    assert len(set(order[:12]) & set(flipped)) >= 8


def test_newton_fit_reaches_scikit_learns_optimum():
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((80, 10))
    y = (Z[:, 0] + 0.5 * rng.standard_normal(80) > 0).astype(np.float64)
    theta = fit_logistic(Z, y, np.zeros(11), C=0.7)
    model = LogisticRegression(C=0.7, tol=1e-12, max_iter=10_000).fit(Z, y)
    np.testing.assert_allclose(theta[:-1], model.coef_[0], atol=1e-6)
    assert theta[-1] == pytest.approx(model.intercept_[0], abs=1e-6)
    # a warm start from elsewhere ends at the same optimum
    np.testing.assert_allclose(fit_logistic(Z, y, np.full(11, 3.0), C=0.7), theta, atol=1e-6)


# --------------------------------------------------------------------------- Data-OOB
def _direct_data_oob(X, labels, bags, seed, C=1.0, components=32):
    """One scikit-learn model per bootstrap sample; each row averages the agreement of the models that missed it."""
    Z = principal_coordinates(X, components)(X)
    drawn = np.random.default_rng(seed)
    models = []
    for _ in range(bags):
        bag = drawn.integers(0, len(labels), len(labels))
        if len(set(labels[bag].tolist())) == 1:
            models.append((set(bag.tolist()), lambda z, c=labels[bag][0]: np.full(len(z), c)))
        else:
            fitted = LogisticRegression(C=C, tol=1e-12, max_iter=10_000).fit(Z[bag], labels[bag])
            models.append((set(bag.tolist()), fitted.predict))
    values = []
    for i in range(len(labels)):
        agree = [predict(Z[i:i + 1])[0] == labels[i] for members, predict in models if i not in members]
        values.append(np.mean(agree) if agree else 0.5)
    return np.asarray(values)


@pytest.mark.parametrize("n,bags,seed", [(12, 15, 0), (20, 25, 1), (30, 10, 2)])
def test_data_oob_equals_a_direct_bagging_computation(n, bags, seed):
    X, noisy, _, _ = _tiny(seed, n, dim=6)
    np.testing.assert_allclose(data_oob(X, noisy, bags=bags, seed=seed), _direct_data_oob(X, noisy, bags, seed),
                               rtol=0, atol=1e-12)


def test_bootstrap_bags_are_seeded_draws_with_replacement():
    bags = bootstrap_bags(50, 4, [3, 4])
    assert bags.shape == (4, 50) and bags.min() >= 0 and bags.max() < 50
    assert np.array_equal(bags, bootstrap_bags(50, 4, [3, 4]))
    assert len(np.unique(bags[0])) < 50  # with replacement


def test_data_oob_ranks_flipped_rows_first():
    rng = np.random.default_rng(7)
    y = np.arange(100) % 2
    X = rng.standard_normal((100, 8)) + 2.0 * (2 * y[:, None] - 1) * np.eye(8)[0]
    noisy = y.copy()
    flipped = rng.choice(100, 15, replace=False)
    noisy[flipped] ^= 1
    order = data_oob_order(X, noisy, bags=50, seed=0)
    assert len(set(order[:15]) & set(flipped)) >= 12
