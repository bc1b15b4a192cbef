"""The reference classifier both benchmarks train: scikit-learn's LogisticRegression.

Selection uses sklearn's defaults with ``random_state=0`` (DataPerf's reference).
Debugging uses the same model solved to a tight tolerance, so that its score is a
property of the optimum (L2-regularized, C=1, unpenalized intercept) rather than
of the solver's path. Both can be overridden in parameters.yaml.
"""
from __future__ import annotations

import math
import warnings
from typing import Any, Mapping

import numpy as np
from sklearn.linear_model import LogisticRegression

NAME = "LogisticRegression"
REFERENCE_SETTINGS: dict[str, Any] = {"random_state": 0}
# Debugging's overrides: solved tightly, so a score is a property of the optimum.
DEBUGGING_SETTINGS: dict[str, Any] = {"tol": 1e-10, "max_iter": 100_000}


def check_classifier_settings(settings: Mapping[str, Any]) -> str | None:
    """Return a problem description, or None when LogisticRegression accepts the settings."""
    allowed = set(LogisticRegression().get_params())
    for key, value in settings.items():
        if key not in allowed:
            return f"unknown LogisticRegression setting {key!r}"
        if not (value is None or isinstance(value, (bool, int, float, str))):
            return f"setting {key!r} must be a scalar"
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
    """Every LogisticRegression setting, the defaults filled in."""
    return make_classifier(settings).get_params()


def make_classifier(settings: Mapping[str, Any] | None = None) -> LogisticRegression:
    """LogisticRegression(random_state=0) with the given overrides."""
    return LogisticRegression(**{**REFERENCE_SETTINGS, **dict(settings or {})})
