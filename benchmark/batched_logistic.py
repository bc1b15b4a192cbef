"""Many L2 logistic regressions on one training matrix, solved as one problem.

Every label state of a data_id is its own model, but all share the training
matrix. The sum of their objectives is separable, so its optimum is each model's
own optimum; one L-BFGS run over the stacked parameters replaces hundreds of small
fits (each dominated by per-call overhead) with a few matrix products per
iteration. The objective is exactly scikit-learn's for LogisticRegression: mean
log-loss + ||w||^2 / (2 C n), intercept unpenalized. A state whose own gradient
does not reach the tolerance is refitted with scikit-learn by the caller.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
from scipy.optimize import minimize

from .classifier import has_plain_l2_penalty, make_classifier

# Solvers whose optimum is this objective's (liblinear also penalizes the intercept).
_SAME_OPTIMUM = {"lbfgs", "newton-cg", "newton-cholesky", "sag", "saga"}
# A state is accepted when its max |gradient| <= ACCEPT_FACTOR * tol. scikit-learn's own
# lbfgs also stops once the objective's relative reduction is below 64 machine epsilons,
# which leaves gradients of about this size (measured: 2e-8 with tol=1e-10 on small sets).
ACCEPT_FACTOR = 100.0


def batched_settings(classifier: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """C, fit_intercept, tol and max_iter when the settings describe plain L2 logistic regression, else None."""
    p = make_classifier(classifier).get_params()
    if not (has_plain_l2_penalty(p) and p["class_weight"] is None and p["solver"] in _SAME_OPTIMUM):
        return None
    return {"C": float(p["C"]), "fit_intercept": bool(p["fit_intercept"]), "tol": float(p["tol"]),
            "max_iter": int(p["max_iter"])}


def fit_predict(Z: np.ndarray, states: np.ndarray, test_Z: np.ndarray, C: float, fit_intercept: bool,
                tol: float, max_iter: int) -> tuple[np.ndarray, np.ndarray]:
    """Test predictions (S, n_test) of the S models trained on ``states`` (S, n) labels in {0, 1},
    and a mask of the states whose gradient met the tolerance."""
    S, n = states.shape
    r = Z.shape[1]
    k = r + int(fit_intercept)
    sign = 2.0 * states - 1.0
    lam = 1.0 / (C * n)

    def split(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        t = theta.reshape(S, k)
        return t[:, :r], (t[:, r] if fit_intercept else np.zeros(S))

    def loss_and_gradient(theta: np.ndarray) -> tuple[float, np.ndarray]:
        W, b = split(theta)
        z = sign * (W @ Z.T + b[:, None])  # signed margins
        e = np.exp(-np.abs(z))
        loss = (np.maximum(-z, 0.0) + np.log1p(e)).sum() / n + 0.5 * lam * np.einsum("ij,ij->", W, W)
        p_wrong = np.where(z >= 0, e / (1.0 + e), 1.0 / (1.0 + e))  # expit(-z)
        G = -sign * p_wrong / n  # d loss / d margin
        grad = np.empty((S, k))
        grad[:, :r] = G @ Z + lam * W
        if fit_intercept:
            grad[:, r] = G.sum(axis=1)
        return float(loss), grad.ravel()

    result = minimize(loss_and_gradient, np.zeros(S * k), jac=True, method="L-BFGS-B",
                      options={"maxiter": max_iter, "maxfun": 10 * max_iter, "maxls": 50, "gtol": tol,
                               "ftol": 0.0})
    _, grad = loss_and_gradient(result.x)
    converged = np.abs(grad.reshape(S, k)).max(axis=1) <= ACCEPT_FACTOR * tol
    W, b = split(result.x)
    return (test_Z @ W.T + b).T > 0, converged
