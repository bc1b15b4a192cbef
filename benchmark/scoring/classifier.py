"""The reference classifier both benchmarks train: scikit-learn's LogisticRegression.

Selection uses sklearn's defaults with ``random_state=0`` (DataPerf's reference).
Debugging uses the same model solved to a tight tolerance, so that its score is a
property of the optimum (L2-regularized, C=1, unpenalized intercept) rather than
of the solver's path. Both can be overridden in parameters.yaml.
"""
from __future__ import annotations

import math
import warnings
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

if TYPE_CHECKING:
    from sklearn.linear_model import LogisticRegression

NAME = "LogisticRegression"
REFERENCE_SETTINGS: dict[str, Any] = {"random_state": 0}
# Debugging's overrides: solved tightly, so a score is a property of the optimum.
DEBUGGING_SETTINGS: dict[str, Any] = {"tol": 1e-10, "max_iter": 100_000}


# LogisticRegression().get_params() of the pinned scikit-learn (a test checks it), so that
# settings are resolved and plain valid ones accepted without importing scikit-learn: a
# debugging run that never falls back to scikit-learn never pays its import.
SKLEARN_DEFAULTS: dict[str, Any] = {
    "C": 1.0, "class_weight": None, "dual": False, "fit_intercept": True, "intercept_scaling": 1,
    "l1_ratio": 0.0, "max_iter": 100, "n_jobs": None, "penalty": "deprecated", "random_state": None,
    "solver": "lbfgs", "tol": 0.0001, "verbose": 0, "warm_start": False,
}
SOLVERS = ("lbfgs", "liblinear", "newton-cg", "newton-cholesky", "sag", "saga")


def _number(value: Any) -> bool:
    return isinstance(value, (Integral, Real)) and not isinstance(value, bool) and math.isfinite(value)


def _integer(value: Any) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


# Values scikit-learn surely accepts, alone and with the other settings (no penalty, dual or
# l1_ratio other than the defaults: those combinations are refused only inside fit());
# anything else is left to scikit-learn's own checks.
_SURELY_VALID = {
    "C": lambda v: _number(v) and v > 0,
    "tol": lambda v: _number(v) and v >= 0,
    "max_iter": lambda v: _integer(v) and v >= 0,
    "fit_intercept": lambda v: isinstance(v, bool),
    "dual": lambda v: v is False,
    "warm_start": lambda v: isinstance(v, bool),
    "intercept_scaling": lambda v: _number(v) and v > 0,
    "l1_ratio": lambda v: _number(v) and v == 0,
    "random_state": lambda v: v is None or (_integer(v) and 0 <= v < 2 ** 32),
    "solver": lambda v: isinstance(v, str) and v in SOLVERS,
    "class_weight": lambda v: v is None or v == "balanced",
    "verbose": lambda v: _integer(v) and v >= 0,
    "n_jobs": lambda v: v is None or _integer(v),
}


def check_classifier_settings(settings: Mapping[str, Any]) -> str | None:
    """Return a problem description, or None when LogisticRegression accepts the settings."""
    for key, value in settings.items():
        if key not in SKLEARN_DEFAULTS:
            return f"unknown LogisticRegression setting {key!r}"
        if not (value is None or isinstance(value, (bool, int, float, str))):
            return f"setting {key!r} must be a scalar"
    merged = {**REFERENCE_SETTINGS, **settings}
    if all(key in _SURELY_VALID and _SURELY_VALID[key](value) for key, value in merged.items()):
        return None
    try:
        model = make_classifier({**settings, "verbose": 0})
        model._validate_params()  # sklearn's own parameter constraints
        # Some combinations (penalty l1 with lbfgs, elasticnet with liblinear, dual with lbfgs,
        # no penalty with liblinear) are only refused inside fit(): fit a tiny, non-separable
        # problem now so they fail here, in one line, not after the run has started.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(_PROBE_X, _PROBE_Y)
    except (ValueError, TypeError) as exc:
        return " ".join(str(exc).split())[:300]
    return None


_PROBE_X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0], [2.0, 1.0], [1.0, 2.0]])
_PROBE_Y = np.array([0, 1, 0, 1, 1, 0])


def has_plain_l2_penalty(settings: Mapping[str, Any]) -> bool:
    """True when resolved LogisticRegression settings (``get_params()``) penalize with ||w||^2 only.

    Such an optimum is unchanged by rotating the features, which lets debugging fit in
    SVD coordinates and solve many label states together.
    """
    return (settings["penalty"] in ("l2", "deprecated") and settings["l1_ratio"] in (None, 0, 0.0)
            and math.isfinite(settings["C"]))


def describe(settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The classifier as results.yaml records it: name, reference settings, then the overrides."""
    return {"name": NAME, **REFERENCE_SETTINGS, **dict(settings or {})}


def resolved_settings(settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every LogisticRegression setting, the defaults filled in (as ``get_params()``, without the import)."""
    settings = dict(settings or {})
    if not set(settings) <= set(SKLEARN_DEFAULTS):
        return make_classifier(settings).get_params()  # scikit-learn names the unknown setting
    return {**SKLEARN_DEFAULTS, **REFERENCE_SETTINGS, **settings}


def make_classifier(settings: Mapping[str, Any] | None = None) -> "LogisticRegression":
    """LogisticRegression(random_state=0) with the given overrides."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(**{**REFERENCE_SETTINGS, **dict(settings or {})})
