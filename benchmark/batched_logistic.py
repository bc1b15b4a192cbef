"""Many L2 logistic regressions on one training matrix, with certified test predictions.

Every label state of a data_id is its own model, but all share the training matrix
Z (n x r; with a column of ones for the intercept, k = r + 1 parameters). The
objective is scikit-learn's for LogisticRegression: mean log-loss + ||w||^2/(2 C n),
intercept unpenalized.

How the states are solved. Its loss Hessian depends on the margins only, never on
the labels, so one factorized Hessian ``H_ref`` serves every state near it. States
arrive in inspection order (each one label away from the previous one); a block of
consecutive states starts from the last solved point and takes chord-Newton steps
``theta -= H_ref^-1 grad`` together, as matrix products. ``H_ref`` is refactored
(at the current point) only when a step contracts the gradient too little.

Why a prediction is certain. Logistic loss is generalized self-concordant: moving
every training margin by at most t scales its Hessian by at least e^-t. So on the
segment from theta to the optimum, f'' >= (1-eps) e^-(t0 + rho s) in the metric of
``H_ref`` (t0: how far theta's margins are from the reference point's, rho: the
largest training row in that metric). Integrating gives the distance to the optimum,
delta <= -log(1 - rho nu e^t0 / (1-eps)) / rho, with nu = ||grad||_{H_ref^-1}, and
every test margin moves by at most ||x_t||_{H_ref^-1} delta. A test prediction whose
margin exceeds that bound (doubled, and widened by bounds on the rounding of the
gradient and of the margin) is the optimum's prediction. The others are "uncertain":
the block iterates further, and what is still uncertain when the gradient stops
shrinking is returned as such, for the caller to decide with scikit-learn.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from .classifier import has_plain_l2_penalty, resolved_settings

# Solvers whose optimum is this objective's (liblinear also penalizes the intercept).
_SAME_OPTIMUM = {"lbfgs", "newton-cg", "newton-cholesky", "sag", "saga"}
EPS = float(np.finfo(np.float64).eps)
BLOCK = 128            # states solved together (one matrix product per step)
CONTRACTION = 0.25     # refactor H_ref when most steps shrink the gradient's norm by less than this
MAX_STEPS = 60         # steps per block before the rest is left uncertain
SAFETY = 2.0           # the certified error bound is doubled (rounding in the metric's factors)


def batched_settings(classifier: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """C and fit_intercept when the settings describe plain L2 logistic regression, else None."""
    p = resolved_settings(classifier)
    if not (has_plain_l2_penalty(p) and p["class_weight"] is None and p["solver"] in _SAME_OPTIMUM):
        return None
    return {"C": float(p["C"]), "fit_intercept": bool(p["fit_intercept"])}


@dataclass
class CertificateStats:
    """What the certificate decided, summed over states."""

    states: int = 0
    predictions: int = 0         # states x test rows
    certified_first: int = 0     # certain at the first check of their state
    refined: int = 0             # certain only after further steps
    uncertain: int = 0           # left to the caller's scikit-learn fit
    uncertain_states: int = 0
    steps: int = 0               # chord steps, summed over blocks
    factorizations: int = 0      # Hessians formed and factorized
    max_bound: float = 0.0       # the largest margin error bound of a certified prediction
    extra: dict[str, float] = field(default_factory=dict)

    def add(self, other: "CertificateStats") -> None:
        for name in ("states", "predictions", "certified_first", "refined", "uncertain",
                     "uncertain_states", "steps", "factorizations"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.max_bound = max(self.max_bound, other.max_bound)


def lower_inverse(L: np.ndarray) -> np.ndarray:
    """The inverse of a lower-triangular matrix by 2x2 blocks (matrix products; no SciPy import)."""
    k = len(L)
    if k <= 64:
        return np.linalg.inv(L)
    h = k // 2
    A_inv = lower_inverse(L[:h, :h])
    D_inv = lower_inverse(L[h:, h:])
    out = np.zeros_like(L)
    out[:h, :h] = A_inv
    out[h:, h:] = D_inv
    out[h:, :h] = -D_inv @ (L[h:, :h] @ A_inv)
    return out


class _Reference:
    """The factorized Hessian at one point, and the bounds the certificate needs from it."""

    def __init__(self, Zt: np.ndarray, test_Zt: np.ndarray, margins: np.ndarray, penalty: np.ndarray, n: int):
        curvature = np.exp(-np.abs(margins))
        curvature = curvature / (1.0 + curvature) ** 2 / n   # sigma'(m) / n
        scaled = Zt * np.sqrt(curvature)[:, None]
        H = scaled.T @ scaled
        H[np.diag_indices_from(H)] += penalty
        self.margins = margins
        L = np.linalg.cholesky(H)               # LinAlgError if not positive definite in floating point
        self.L_inv = lower_inverse(L)
        inv_frobenius = float(np.linalg.norm(self.L_inv))
        # rounding in forming and factorizing H, relative to its smallest eigenvalue
        k = len(H)
        self.eps = (n + k + 4) * EPS * (float(np.einsum("ij,ij->", scaled, scaled)) + float(penalty.max())
                                        + float(np.einsum("ij,ij->", L, L))) * inv_frobenius ** 2
        self.rho = inv_frobenius * float(np.sqrt(np.einsum("ij,ij->i", Zt, Zt).max()))  # crude until sharpened
        self._Zt = Zt
        self.rho_exact = False
        self.inv_frobenius = inv_frobenius
        self.Zt_frobenius = float(np.linalg.norm(Zt))
        self._test_Zt = test_Zt
        self.test_crude = inv_frobenius * np.linalg.norm(test_Zt, axis=1)  # >= ||x_t||_{H_ref^-1}
        self._test_exact = self.test_crude.copy()
        self._sharpened = np.zeros(len(test_Zt), dtype=bool)

    def sharpen_rho(self) -> None:
        """rho = max_i ||x_i||_{H_ref^-1} exactly (one product with every training row)."""
        if not self.rho_exact:
            Y = self.L_inv @ self._Zt.T
            self.rho = float(np.sqrt(np.einsum("ij,ij->j", Y, Y).max())) * (1 + 1e-6)
            self.rho_exact = True

    def test_norms(self, needed: np.ndarray) -> np.ndarray:
        """Upper bounds of ||x_t||_{H_ref^-1} for every test row, exact (computed once) where ``needed``."""
        todo = needed & ~self._sharpened
        if todo.any():
            self._test_exact[todo] = np.linalg.norm(self.L_inv @ self._test_Zt[todo].T, axis=0)
            self._sharpened |= todo
        return self._test_exact


def solve_states(Z: np.ndarray, states: np.ndarray, test_Z: np.ndarray, C: float, fit_intercept: bool,
                 ) -> tuple[np.ndarray, np.ndarray, CertificateStats]:
    """Test predictions (S, n_test) of the optimum of each of the S label states (S, n) in {0, 1},
    a mask (S, n_test) of the predictions the certificate could not settle, and statistics.

    States are solved in the given order, each block starting from the previous one's
    solution: list them so that neighbours differ in few labels.
    """
    S, n = states.shape
    ones = np.ones((n, 1)) if fit_intercept else np.zeros((n, 0))
    Zt = np.ascontiguousarray(np.hstack([Z, ones]))
    test_Zt = np.ascontiguousarray(np.hstack([test_Z, np.ones((len(test_Z), 1)) if fit_intercept
                                              else np.zeros((len(test_Z), 0))]))
    k = Zt.shape[1]
    lam = 1.0 / (C * n)
    penalty = np.full(k, lam)
    if fit_intercept:
        penalty[-1] = 0.0
    abs_test = np.abs(test_Zt)
    predicted = np.zeros((S, len(test_Z)), dtype=bool)
    uncertain = np.zeros((S, len(test_Z)), dtype=bool)
    stats = CertificateStats(states=S, predictions=S * len(test_Z))
    solved = np.zeros((k, S))      # each state's final point, to start later blocks near them
    ref = _Reference(Zt, test_Zt, np.zeros(n), penalty, n)
    stats.factorizations += 1
    starts = [0, *range(1, S, BLOCK)] if S > 1 else [0]   # the first state alone: it starts cold
    for start, stop in zip(starts, [*starts[1:], S]):
        cols = np.arange(start, stop)
        # start from the solved state fewest labels away from the block's first state
        theta = (solved[:, np.argmin((states[:start] != states[start]).sum(axis=1))] if start
                 else np.zeros(k))
        B = len(cols)
        signs = (2.0 * states[cols] - 1.0).T                       # (n, B)
        Theta = np.repeat(theta[:, None], B, axis=1)                # (k, B): current points
        last = Theta.copy()                                         # the last point that lowered the loss
        last_loss = np.full(B, np.inf)
        last_nu = np.full(B, np.inf)
        halvings = np.zeros(B, dtype=int)
        active = np.ones(B, dtype=bool)
        checked = np.zeros(B, dtype=bool)
        refactor = False
        for step in range(MAX_STEPS + 1):
            a = np.flatnonzero(active)
            M = Zt @ Theta[:, a]                                    # training margins
            z = signs[:, a] * M
            e = np.exp(-np.abs(z))
            loss = (np.maximum(-z, 0.0) + np.log1p(e)).sum(axis=0) / n \
                + 0.5 * np.einsum("ij,ij->j", Theta[:, a] * penalty[:, None], Theta[:, a])
            # a step that raised the loss is halved (back towards the last good point) and retried
            worse = loss > last_loss[a] + 4 * EPS * np.abs(last_loss[a])
            if worse.any():
                w = a[worse]
                Theta[:, w] = 0.5 * (Theta[:, w] + last[:, w])
                halvings[w] += 1
                refactor = True
            good = ~worse
            a, M, z, e, loss = a[good], M[:, good], z[:, good], e[:, good], loss[good]
            G = -signs[:, a] * np.where(z >= 0, e / (1.0 + e), 1.0 / (1.0 + e)) / n
            grad = Zt.T @ G + penalty[:, None] * Theta[:, a]
            if refactor and len(a):
                ref = _Reference(Zt, test_Zt, M[:, np.argmax(np.abs(grad).max(axis=0))], penalty, n)
                stats.factorizations += 1
                refactor = False
            V = ref.L_inv @ grad
            nu = np.sqrt(np.einsum("ij,ij->j", V, V))
            # the gradient as computed may differ from the true one by at most this much (2-norm)
            rounding = (n + k + 4) * EPS * (ref.Zt_frobenius * np.linalg.norm(np.abs(G) + 0.25 * np.abs(M) / n, axis=0)
                                            + lam * np.linalg.norm(Theta[:, a], axis=0))
            nu_true = nu + ref.inv_frobenius * rounding
            t0 = np.abs(M - ref.margins[:, None]).max(axis=0)
            with np.errstate(over="ignore"):
                growth = ref.rho * nu_true * np.exp(t0) / max(1.0 - ref.eps, 1e-300)
                if (growth >= 1.0).any() and not ref.rho_exact and (nu_true * np.exp(t0) < 1e-3).any():
                    ref.sharpen_rho()                               # the crude rho is what stands in the way
                    growth = ref.rho * nu_true * np.exp(t0) / max(1.0 - ref.eps, 1e-300)
            # no further step can help once rounding dominates the gradient (or the steps run out)
            stalled = (nu <= 2.0 * (nu_true - nu)) | (step == MAX_STEPS) | (halvings[a] > 30)
            usable = (growth < 1.0) & (ref.eps < 0.5)
            hopeless = ~usable & stalled                             # no bound will come: all uncertain
            for c in a[hopeless]:
                predicted[cols[c]] = test_Zt @ Theta[:, c] > 0
                uncertain[cols[c]] = True
                stats.uncertain += uncertain.shape[1]
                stats.uncertain_states += 1
                active[c] = False
            if usable.any():
                u = a[usable]
                delta = -np.log1p(-growth[usable]) / ref.rho
                margins = test_Zt @ Theta[:, u]                     # (n_test, U)
                rounding_t = (k + 2) * EPS * (abs_test @ np.abs(Theta[:, u]))
                bound = SAFETY * ref.test_crude[:, None] * delta + rounding_t
                unsure = np.abs(margins) <= bound
                if unsure.any():                                    # sharpen where the crude bound fails
                    bound = SAFETY * ref.test_norms(unsure.any(axis=1))[:, None] * delta + rounding_t
                certain = np.abs(margins) > bound
                for j, c in enumerate(u):
                    first = not checked[c]
                    checked[c] = True
                    if not (certain[:, j].all() or stalled[usable][j]):
                        continue
                    i = cols[c]
                    predicted[i] = margins[:, j] > 0
                    uncertain[i] = ~certain[:, j]
                    done = int(certain[:, j].sum())
                    stats.certified_first += done if first else 0
                    stats.refined += 0 if first else done
                    stats.uncertain += len(margins) - done
                    stats.uncertain_states += int(done < len(margins))
                    if done:
                        stats.max_bound = max(stats.max_bound, float(bound[certain[:, j], j].max()))
                    active[c] = False
            if not active.any():
                break
            go = active[a]
            a, V, nu, loss = a[go], V[:, go], nu[go], loss[go]
            if len(a) and np.median(nu / last_nu[a]) > CONTRACTION:  # most columns contract too slowly
                refactor = True                                     # before the next step
            last[:, a], last_loss[a], last_nu[a] = Theta[:, a], loss, nu
            Theta[:, a] -= ref.L_inv.T @ V
            stats.steps += 1
        for c in np.flatnonzero(active):                            # steps ran out mid-retry: nothing certified
            predicted[cols[c]] = test_Zt @ Theta[:, c] > 0
            uncertain[cols[c]] = True
            stats.uncertain += uncertain.shape[1]
            stats.uncertain_states += 1
        solved[:, cols] = Theta
    return predicted, uncertain, stats
