"""Many L2 logistic regressions on one training matrix, with certified test predictions.

Every label state of a data_id is its own model, but all share the training matrix
Z (n x r; with a column of ones for the intercept, k = r + 1 parameters). The
objective is scikit-learn's for LogisticRegression: mean log-loss + ||w||^2/(2 C n),
intercept unpenalized.

How the states are solved. Its loss Hessian depends on the margins only, never on
the labels, so one factorized Hessian ``H_ref`` serves every state near it. States
arrive in inspection order (each one label away from the previous one); a block of
consecutive states starts from the solved state fewest labels away and takes
L-BFGS steps together, as matrix products, with ``H_ref^-1`` as the initial inverse
Hessian (:class:`LbfgsMemory`) and each its own step length from a 1-D Newton line
search. Training margins are updated with each step, not recomputed, with a bound on
their drift. ``H_ref`` is refactored (at the current point) when most steps contract
the gradient too little. The block size adapts to what blocks cost (steps and
factorizations per state): large on low-rank embeddings, whose states are close;
smaller on isotropic ones, where one flipped label moves the optimum far.

Why a prediction is certain. Logistic loss is generalized self-concordant: moving
every training margin by at most t scales its Hessian by at least e^-t. So on the
segment from theta to the optimum, f'' >= (1-eps) e^-(t0 + rho s) in the metric of
``H_ref`` (t0: how far theta's margins are from the reference point's, rho: the
largest training row in that metric). Integrating gives the distance to the optimum,
delta <= -log(1 - rho nu e^t0 / (1-eps)) / rho, with nu = ||grad||_{H_ref^-1}, and
every test margin moves by at most ||x_t||_{H_ref^-1} delta. A test prediction whose
margin exceeds that bound (doubled, and widened by bounds on the rounding of the
gradient and of the margin) is the optimum's prediction. Rows whose margins moved
far (a flipped label's own row) may be left out of the bound at the price of their
share of ``H_ref`` (:meth:`Reference.distance`). Rounding is bounded rigorously
and kept tight: ||L^-1|| by Schur's test (:func:`spectral_bound`), and a margin's
rounding through the curvature metric, where it is small. A state still too far
from ``H_ref`` for any bound, or one whose gradient stopped shrinking with
predictions still uncertain, gets a Hessian factorized at its own point (t0 = 0).
What is uncertain even then is returned as such, for the caller to decide with
scikit-learn.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from ..classifier import has_plain_l2_penalty, resolved_settings
from .lbfgs import MEMORY, LbfgsMemory, line_search
from .linalg import EPS
from .reference import Reference

# Solvers whose optimum is this objective's (liblinear also penalizes the intercept).
_SAME_OPTIMUM = {"lbfgs", "newton-cg", "newton-cholesky", "sag", "saga"}
FIRST_BLOCK = 64         # states solved together at first; the size then adapts (1 .. MAX_BLOCK)
MAX_BLOCK = 256
STEP_OVERHEAD = 32     # columns a step costs beyond its own (cost model of the block-size policy)
CONTRACTION = 0.8      # refactor H_ref when most steps shrink the gradient's norm by less than this
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


def solve_states(Z: np.ndarray, states: np.ndarray, test_Z: np.ndarray, C: float, fit_intercept: bool,
                 ) -> tuple[np.ndarray, np.ndarray, CertificateStats]:
    """Test predictions (S, n_test) of the optimum of each of the S label states (S, n) in {0, 1},
    a mask (S, n_test) of the predictions the certificate could not settle, and statistics.

    States are solved in the given order, each block starting from the solved state
    fewest labels away: list them so that neighbours differ in few labels. The block
    size adapts (see :func:`_next_block_size`): far-apart states (isotropic embeddings,
    where one flipped label moves the optimum a lot) are solved one by one, each from
    its predecessor; close ones (low-rank embeddings) in large blocks of matrix products.
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
    solver = _Solver(Zt, test_Zt, penalty, n, lam, S)
    solved = np.zeros((k, S))      # each state's final point, to start later blocks near them
    size, direction, last_cost = FIRST_BLOCK, 1, None
    start = 0
    while start < S:
        stop = min(S, start + (1 if start == 0 else size))       # the first state alone: it starts cold
        theta = (solved[:, np.argmin((states[:start] != states[start]).sum(axis=1))] if start
                 else np.zeros(k))
        steps, factorizations = solver.stats.steps, solver.stats.factorizations
        solved[:, start:stop] = solver.solve_block(np.arange(start, stop), states[start:stop], theta)
        if start:
            # cost per state in multiply-adds: a step is ~4 products with each column of (n x k) or
            # (k x k), plus a fixed part (Python, and a matrix-vector product is memory-bound);
            # a factorization forms, factors and inverts one k x k matrix
            cost = ((solver.stats.steps - steps) * (stop - start + STEP_OVERHEAD) * 4 * k * (n + k)
                    + (solver.stats.factorizations - factorizations) * 2 * k * k * (n + k)) / (stop - start)
            if last_cost is not None and cost > last_cost:
                direction = -direction
            last_cost = cost
            size = int(min(MAX_BLOCK, max(1, size * 2 ** direction)))
        start = stop
    return solver.predicted, solver.uncertain, solver.stats


class _Solver:
    """Shared state of one solve_states call: the matrices, the current reference Hessian, the results."""

    def __init__(self, Zt: np.ndarray, test_Zt: np.ndarray, penalty: np.ndarray, n: int, lam: float, S: int):
        self.Zt, self.test_Zt, self.penalty, self.n, self.lam = Zt, test_Zt, penalty, n, lam
        self.k = Zt.shape[1]
        self.test_row_norms = np.linalg.norm(test_Zt, axis=1)
        self.row_norms_squared = np.einsum("ij,ij->i", Zt, Zt)
        self.row_norms = np.sqrt(self.row_norms_squared)
        self.Zt_frobenius = float(np.sqrt(self.row_norms_squared.sum()))
        self.mean_row_norm = float(self.row_norms.mean())
        self.max_row_norm = float(self.row_norms.max())
        self.predicted = np.zeros((S, len(test_Zt)), dtype=bool)
        self.uncertain = np.zeros((S, len(test_Zt)), dtype=bool)
        self.stats = CertificateStats(states=S, predictions=S * len(test_Zt))
        self.ref = self._factorize(np.zeros(n))

    def _factorize(self, margins: np.ndarray) -> Reference:
        self.stats.factorizations += 1
        return Reference(self.Zt, self.test_Zt, margins, self.penalty, self.n,
                          row_norms=self.row_norms, test_row_norms=self.test_row_norms)

    def _give_up(self, i: int, theta: np.ndarray) -> None:
        """Nothing certified for state i: all its predictions go to the caller's scikit-learn fit."""
        self.predicted[i] = self.test_Zt @ theta > 0
        self.uncertain[i] = True
        self.stats.uncertain += self.uncertain.shape[1]
        self.stats.uncertain_states += 1

    def solve_block(self, cols: np.ndarray, block_states: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """Solve the states ``block_states`` (rows ``cols`` of the results) from ``theta``; their final points."""
        Zt, penalty, n, k, lam = self.Zt, self.penalty, self.n, self.k, self.lam
        stats = self.stats
        B = len(cols)
        signs = (2.0 * block_states - 1.0).T                       # (n, B)
        Theta = np.repeat(theta[:, None], B, axis=1)                # (k, B): current points
        # Training margins are updated with each step (M -= t Zt v, the product the line search needs
        # anyway) rather than recomputed; ``slack`` bounds how far they may be from Zt Theta: at
        # most ||z_i|| slack for row i (each step's product and updates round by a few eps).
        M = np.repeat((Zt @ theta)[:, None], B, axis=1)
        slack = np.full(B, (k + 2) * EPS * float(np.linalg.norm(theta)))
        last, last_M, last_slack = Theta.copy(), M.copy(), slack.copy()   # the last point that lowered the loss
        last_loss = np.full(B, np.inf)
        last_nu = np.full(B, np.inf)
        halvings = np.zeros(B, dtype=int)
        active = np.ones(B, dtype=bool)
        checked = np.zeros(B, dtype=bool)
        own_reference = np.zeros(B, dtype=bool)                     # a Hessian was factorized at this state
        refactor: int | None = None                                 # column to refactor at before the next step
        memory = LbfgsMemory(MEMORY, k, B)
        for step in range(MAX_STEPS + 1):
            a = np.flatnonzero(active)
            z = signs[:, a] * M[:, a]
            e = np.exp(-np.abs(z))
            loss = (np.maximum(-z, 0.0) + np.log1p(e)).sum(axis=0) / n \
                + 0.5 * np.einsum("ij,ij->j", Theta[:, a] * penalty[:, None], Theta[:, a])
            # a step that raised the loss by more than the rounding of two computed losses is halved and
            # retried (terms are positive; a margin's error moves its term by at most as much)
            noise = 2.0 * ((n + 8) * EPS * loss + self.mean_row_norm * np.maximum(slack[a], last_slack[a]))
            worse = loss > last_loss[a] + noise
            if worse.any():
                w = a[worse]
                Theta[:, w] = 0.5 * (Theta[:, w] + last[:, w])
                M[:, w] = 0.5 * (M[:, w] + last_M[:, w])
                slack[w] = np.maximum(slack[w], last_slack[w]) + 3 * EPS * np.linalg.norm(Theta[:, w], axis=0)
                halvings[w] += 1
                memory.forget(w)
            good = ~worse
            a, z, e, loss = a[good], z[:, good], e[:, good], loss[good]
            G = -signs[:, a] * np.where(z >= 0, e / (1.0 + e), 1.0 / (1.0 + e)) / n
            grad = Zt.T @ G + penalty[:, None] * Theta[:, a]
            if refactor is not None and len(a):
                j = int(np.argmax(np.abs(grad).max(axis=0)))
                self.ref = self._factorize(M[:, a[j]])
                refactor = None
            # How far the computed gradient may be from the true one at Theta. The product Zt^T G
            # over n terms, G's own rounding and the penalty's: a 2-norm, so at most ||L^-1|| times
            # that in the metric. A margin off by at most ||z_i|| slack moves G_i by sigma'(m_i)/n
            # (the current curvature D_i) times that; in the metric of H_ref, which is >= Zt^T D_ref
            # Zt, Zt^T D^1/2 has norm at most sqrt(e^t0 / (1 - eps)), t0 the largest margin change
            # (D <= e^t0 D_ref): far tighter than through ||L^-1|| unless the point is far from H_ref.
            grad_rounding = ((n + 12) * EPS * self.Zt_frobenius * np.linalg.norm(G, axis=0)
                             + 2 * (k + 2) * EPS * lam * np.linalg.norm(Theta[:, a], axis=0))
            margin_rounding = slack[a] * np.sqrt((e / (1.0 + e) ** 2 / n).T @ self.row_norms_squared) * (1 + 1e-6)
            plain_margin_rounding = 0.25 / n * self.Zt_frobenius ** 2 * slack[a]       # (sigma' <= 1/4)
            V = np.empty((k, len(a)))                               # L^-1 grad for the reference of V_ref
            V_ref = np.full(len(a), -1)
            nus = np.empty(len(a))                                  # ||V||, as V
            check = np.ones(len(a), dtype=bool)                    # columns to check against self.ref
            while check.any():
                ref, sub = self.ref, np.flatnonzero(check)
                c_idx = a[sub]
                V[:, sub] = ref.L_inv @ grad[:, sub]
                V_ref[sub] = stats.factorizations
                nu = nus[sub] = np.sqrt(np.einsum("ij,ij->j", V[:, sub], V[:, sub]))
                # t0 may be larger by the margins' own error (at most max ||z_i|| slack)
                error = self.max_row_norm * slack[c_idx]
                changes = np.abs(M[:, c_idx] - ref.margins[:, None])
                shift = changes.max(axis=0) + error
                with np.errstate(over="ignore"):
                    curvature_ratio = np.exp(shift) / max(1.0 - ref.eps, 1e-300)
                nu_true = nu + ref.inv_norm * (grad_rounding[sub] + np.minimum(
                    np.sqrt(curvature_ratio) * margin_rounding[sub] / ref.inv_norm, plain_margin_rounding[sub]))
                t0 = ref.distance(M[:, c_idx], nu_true, changes) + error
                # no further step can help once rounding dominates the gradient (or the steps run out)
                stalled = (nu <= 2.0 * (nu_true - nu)) | (step == MAX_STEPS) | (halvings[c_idx] > 30)
                with np.errstate(over="ignore"):
                    growth = ref.rho * nu_true * np.exp(t0) / max(1.0 - ref.eps, 1e-300)
                    if ((growth >= 1.0) & stalled).any() and not ref.rho_exact:
                        ref.sharpen_rho()                           # the crude rho (or t0) is what stands in the way
                        t0 = ref.distance(M[:, c_idx], nu_true, changes) + error
                        growth = ref.rho * nu_true * np.exp(t0) / max(1.0 - ref.eps, 1e-300)
                usable = (growth < 1.0) & (ref.eps < 0.5)
                # a stalled column is finished once its bound is taken at its own point (t0 near 0:
                # the tightest this certificate gets), or when the steps run out
                at_own_point = own_reference[c_idx] & (shift < 1e-3)
                final = stalled & (at_own_point | (step == MAX_STEPS))
                hopeless = ~usable & final
                for c in c_idx[hopeless]:
                    self._give_up(cols[c], Theta[:, c])
                    active[c] = False
                if usable.any():
                    self._certify(ref, cols, Theta, c_idx[usable], growth[usable], final[usable], checked, active)
                # converged, but the reference is too far for a bound, or too far for a tight one:
                # factorize at such a state, check again
                far = active[c_idx] & ((stalled & ~final) | (~usable & ~own_reference[c_idx] & (ref.rho * nu_true < 1e-2)))
                check[:] = False
                if far.any():
                    j = int(np.flatnonzero(far)[0])
                    self.ref = self._factorize(M[:, c_idx[j]])
                    own_reference[c_idx[j]] = True
                    check[sub[far]] = True
            if not active.any():
                break
            go = active[a]
            a, loss, z, grad, V, V_ref, nu = a[go], loss[go], z[:, go], grad[:, go], V[:, go], V_ref[go], nus[go]
            ref = self.ref
            stale = V_ref != stats.factorizations                   # checked against an earlier reference
            if stale.any():
                V[:, stale] = ref.L_inv @ grad[:, stale]
                nu[stale] = np.sqrt(np.einsum("ij,ij->j", V[:, stale], V[:, stale]))
            if len(a):
                rate = float(np.median(nu / last_nu[a]))
                # most columns contract too slowly, or will not converge in the steps left at this rate
                with np.errstate(divide="ignore"):
                    late = step >= 10 and 27.6 / max(-np.log(rate), 1e-12) > MAX_STEPS - step
                if rate > CONTRACTION or late:
                    refactor = -1                                   # at the largest gradient, before the next step
            last[:, a], last_M[:, a], last_slack[a], last_loss[a], last_nu[a] = Theta[:, a], M[:, a], slack[a], loss, nu
            v = memory.direction(a, Theta[:, a], grad, ref.L_inv.T @ V, stats.factorizations)
            q = Zt @ v
            t = line_search(z, signs[:, a] * q, Theta[:, a], v, penalty, n)
            Theta[:, a] -= v * t
            M[:, a] -= q * t
            slack[a] += ((k + 4) * EPS * np.abs(t) * np.linalg.norm(v, axis=0)
                         + 4 * EPS * np.linalg.norm(Theta[:, a], axis=0))
            stats.steps += 1
        for c in np.flatnonzero(active):                            # steps ran out mid-retry: nothing certified
            self._give_up(cols[c], Theta[:, c])
        return Theta

    def _certify(self, ref: Reference, cols: np.ndarray, Theta: np.ndarray, u: np.ndarray, growth: np.ndarray,
                 final: np.ndarray, checked: np.ndarray, active: np.ndarray) -> None:
        """Bound every test margin of the columns ``u`` (whose bound ``growth`` < 1); finish a column
        when all its predictions are certain or nothing can tighten its bound (``final``)."""
        stats, k = self.stats, self.k
        delta = -np.log1p(-growth) / ref.rho
        margins = self.test_Zt @ Theta[:, u]                        # (n_test, U)
        # a computed test margin is off by at most (k + 2) eps |x_t| . |theta| <= (k + 2) eps ||x_t|| ||theta||
        rounding_t = (k + 2) * EPS * np.outer(self.test_row_norms, np.linalg.norm(Theta[:, u], axis=0))
        bound = SAFETY * ref.test_crude[:, None] * delta + rounding_t
        unsure = np.abs(margins) <= bound
        if unsure.any():                                            # sharpen where the crude bound fails
            bound = SAFETY * ref.test_norms(unsure.any(axis=1))[:, None] * delta + rounding_t
        certain = np.abs(margins) > bound
        for j, c in enumerate(u):
            first = not checked[c]
            checked[c] = True
            if not (certain[:, j].all() or final[j]):
                continue
            i = cols[c]
            self.predicted[i] = margins[:, j] > 0
            self.uncertain[i] = ~certain[:, j]
            done = int(certain[:, j].sum())
            stats.certified_first += done if first else 0
            stats.refined += 0 if first else done
            stats.uncertain += len(margins) - done
            stats.uncertain_states += int(done < len(margins))
            if done:
                stats.max_bound = max(stats.max_bound, float(bound[certain[:, j], j].max()))
            active[c] = False
