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
Hessian (:class:`_Memory`) and each its own step length from a 1-D Newton line
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
share of ``H_ref`` (:meth:`_Reference.distance`). Rounding is bounded rigorously
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

from .classifier import has_plain_l2_penalty, resolved_settings

# Solvers whose optimum is this objective's (liblinear also penalizes the intercept).
_SAME_OPTIMUM = {"lbfgs", "newton-cg", "newton-cholesky", "sag", "saga"}
EPS = float(np.finfo(np.float64).eps)
FIRST_BLOCK = 64         # states solved together at first; the size then adapts (1 .. MAX_BLOCK)
MAX_BLOCK = 256
STEP_OVERHEAD = 32     # columns a step costs beyond its own (cost model of the block-size policy)
LINE_STEPS = 12        # 1-D Newton steps of the line search
CONTRACTION = 0.8      # refactor H_ref when most steps shrink the gradient's norm by less than this
DROPPED_ROWS = 32      # rows the bound may drop from H_ref (see _Reference.distance)
MAX_STEPS = 60         # steps per block before the rest is left uncertain
LAPACK_FROM = 1024    # k from which triangular inverses use LAPACK (see lower_inverse)
MEMORY = 4            # L-BFGS pairs kept per state (see _Memory)
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
    """The inverse of a lower-triangular matrix.

    Small ones by 2x2 blocks of matrix products, so that small problems never import
    SciPy (0.26 s); from ``LAPACK_FROM`` rows LAPACK's dtrtri, five times faster at
    k = 2049 (0.05 s against 0.25 s), which pays for the import within two factorizations.
    """
    k = len(L)
    if k >= LAPACK_FROM:
        from scipy.linalg.lapack import dtrtri

        upper_inverse, info = dtrtri(L.T, lower=0)    # L.T is L in Fortran order: no copy
        if info == 0:
            return upper_inverse.T                       # the other triangle stays L's zeros
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


def spectral_bound(A: np.ndarray, iterations: int = 8) -> float:
    """An upper bound of ||A||_2 by Schur's test on |A| (a few matrix-vector products).

    For positive p, q with |A| q <= a p and |A|^T p <= b q elementwise, ||A||_2 <= sqrt(a b);
    p and q from a few power steps on |A| make it tight where |A| has little sign
    cancellation (the inverse Cholesky factor: about 3x the true norm on 2048-d
    embeddings, where the Frobenius norm is 14x). Sums of nonnegative terms round by
    at most a relative (k + 2) eps, covered by the last factor.
    """
    absolute = np.abs(A)
    q = np.ones(A.shape[1])
    for _ in range(iterations):
        p = absolute @ q
        p /= p.max()
        q = absolute.T @ p
        q /= q.max()
    p = absolute @ q
    if not (p > 0).all():
        return float(np.linalg.norm(A))                 # a zero row: Frobenius, always valid
    back = absolute.T @ p                               # with p = |A| q as computed, a = 1
    return float(np.sqrt((back / q).max())) * (1.0 + 4 * (max(A.shape) + 2) * EPS)


class _Reference:
    """The factorized Hessian at one point, and the bounds the certificate needs from it."""

    def __init__(self, Zt: np.ndarray, test_Zt: np.ndarray, margins: np.ndarray, penalty: np.ndarray, n: int,
                 *, row_norms: np.ndarray | None = None, test_row_norms: np.ndarray | None = None):
        """``row_norms``, ``test_row_norms``: the rows' 2-norms of Zt and test_Zt, if the caller has them."""
        curvature = np.exp(-np.abs(margins))
        curvature = curvature / (1.0 + curvature) ** 2 / n   # sigma'(m) / n
        scaled = Zt * np.sqrt(curvature)[:, None]
        H = scaled.T @ scaled
        H[np.diag_indices_from(H)] += penalty
        self.margins = margins
        self.curvature = curvature
        self._Y: np.ndarray | None = None       # L^-1 Z^T, once rho is sharpened
        L = np.linalg.cholesky(H)               # LinAlgError if not positive definite in floating point
        self.L_inv = lower_inverse(L)
        self.inv_norm = spectral_bound(self.L_inv)     # >= ||L^-1||_2 = 1 / sqrt(smallest eigenvalue)
        # rounding in forming and factorizing H, relative to its smallest eigenvalue
        k = len(H)
        self.eps = (n + k + 4) * EPS * (float(np.einsum("ij,ij->", scaled, scaled)) + float(penalty.max())
                                        + float(np.einsum("ij,ij->", L, L))) * self.inv_norm ** 2
        # ||z_i||_{H^-1} <= ||L^-1|| ||z_i||, and <= 1/sqrt(curvature_i) since H >= curvature_i z_i z_i^T
        if row_norms is None:
            row_norms = np.sqrt(np.einsum("ij,ij->i", Zt, Zt))
        if test_row_norms is None:
            test_row_norms = np.linalg.norm(test_Zt, axis=1)
        crude = np.minimum(self.inv_norm * row_norms, 1.0 / np.sqrt(curvature * max(1.0 - self.eps, 1e-300)))
        self.rho = float(crude.max()) * (1 + 1e-6)     # until sharpened
        self._Zt = Zt
        self.rho_exact = False
        self._test_Zt = test_Zt
        self.test_crude = self.inv_norm * test_row_norms   # >= ||x_t||_{H_ref^-1}
        self._test_exact = self.test_crude.copy()
        self._sharpened = np.zeros(len(test_Zt), dtype=bool)

    def sharpen_rho(self) -> None:
        """rho = max_i ||x_i||_{H_ref^-1} exactly (one product with every training row)."""
        if not self.rho_exact:
            Y = self.L_inv @ self._Zt.T
            self.rho = float(np.sqrt(np.einsum("ij,ij->j", Y, Y).max())) * (1 + 1e-6)
            self._Y = Y
            self.rho_exact = True

    def distance(self, M: np.ndarray, nu: np.ndarray, moved: np.ndarray | None = None) -> np.ndarray:
        """Per column of training margins M (n, B), the t0 of the bound: how far the point is from here.
        (``moved``: |M - these margins|, if the caller has it.)

        Plainly the largest margin change. A flipped label moves its own row's margin
        by ~10 on isotropic embeddings (e^10 would ruin the bound), so the few rows J
        that moved most may be dropped from H_ref instead: H_ref minus their terms is
        >= (1 - gamma) H_ref, gamma the largest eigenvalue of their terms in the metric
        of H_ref, and only the other rows' changes count: t0 = (the largest change
        outside J) - log(1 - gamma). The best J among the top rows is used.
        """
        if moved is None:
            moved = np.abs(M - self.margins[:, None])
        t0 = moved.max(axis=0)
        # worth trying where the plain bound fails although the gradient is small
        with np.errstate(over="ignore"):
            try_drop = (self.rho * nu * np.exp(t0) >= 1.0) & (self.rho * nu < 1e-2) & (t0 > 1.0)
        if self._Y is None or len(moved) < 3 or not try_drop.any():
            return t0
        cols = np.flatnonzero(try_drop)
        t0[cols] = self._dropped_distance(moved[:, cols], t0[cols])
        return t0

    def _dropped_distance(self, moved: np.ndarray, t0: np.ndarray) -> np.ndarray:
        top = min(DROPPED_ROWS, len(moved) - 1)
        idx = np.argpartition(-moved, top, axis=0)[: top + 1]        # the top+1 largest changes, unsorted
        rank = np.argsort(-np.take_along_axis(moved, idx, axis=0), axis=0)
        idx = np.take_along_axis(idx, rank, axis=0)
        largest = np.take_along_axis(moved, idx, axis=0)              # (top + 1, B), descending
        rows = idx[:-1].T                                             # (B, top): the candidates for J
        W = self._Y[:, rows] * np.sqrt(self.curvature[rows])[None]    # (k, B, top): L^-1 z_i sqrt(d_i/n)
        gram = np.einsum("kbi,kbj->bij", W, W)                        # (B, top, top)
        for j in sorted({min(j, top) for j in (1, 2, 3, 4, 6, 8, 12, 16, 24, 32)}):   # J: the j rows that moved most
            gamma = np.linalg.eigvalsh(gram[:, :j, :j])[:, -1]
            gamma = gamma * (1 + 1e-6) / max(1.0 - self.eps, 1e-300) + (top + 2) * EPS * np.abs(gram[:, :j, :j]).sum(axis=(1, 2))
            with np.errstate(divide="ignore", invalid="ignore"):
                t0 = np.where(gamma < 1.0, np.minimum(t0, largest[j] - np.log1p(-np.minimum(gamma, 1.0))), t0)
        return t0

    def test_norms(self, needed: np.ndarray) -> np.ndarray:
        """Upper bounds of ||x_t||_{H_ref^-1} for every test row, exact (computed once) where ``needed``."""
        todo = needed & ~self._sharpened
        if todo.any():
            self._test_exact[todo] = np.linalg.norm(self.L_inv @ self._test_Zt[todo].T, axis=0)
            self._sharpened |= todo
        return self._test_exact


def _line_search(z: np.ndarray, q: np.ndarray, Theta: np.ndarray, v: np.ndarray, penalty: np.ndarray,
                 n: int) -> np.ndarray:
    """Per column, a step length t near the minimum of f(theta - t v) (a few safeguarded 1-D Newton steps).

    Training margins along the line are ``z - t q`` (signed), so each trial costs O(n) per
    column, no matrix product. Chord steps from a Hessian taken far away overshoot by
    orders of magnitude (a flipped label moves its row's margin across zero); this finds
    the step that lowers the loss instead of halving blindly. Any t is correct: the
    certificate, not the search, decides what is exact.
    """
    pvv = np.einsum("ij,ij->j", v * penalty[:, None], v)
    ptv = np.einsum("ij,ij->j", Theta * penalty[:, None], v)
    t = np.ones(z.shape[1])
    lo = np.zeros_like(t)
    hi = np.full_like(t, np.inf)
    for _ in range(LINE_STEPS):
        zt = z - t * q
        e = np.exp(-np.abs(zt))
        sig = np.where(zt >= 0, e / (1.0 + e), 1.0 / (1.0 + e))       # sigma(-zt)
        d1 = np.einsum("ij,ij->j", q, sig) / n - ptv + t * pvv
        d2 = np.einsum("ij,ij->j", q * q, e / (1.0 + e) ** 2) / n + pvv
        hi = np.where(d1 > 0, t, hi)
        lo = np.where(d1 <= 0, t, lo)
        with np.errstate(divide="ignore", invalid="ignore"):
            proposal = t - d1 / d2
        outside = ~np.isfinite(proposal) | (proposal <= lo) | (proposal >= hi)
        proposal = np.where(outside, np.where(np.isinf(hi), 2.0 * t, 0.5 * (lo + hi)), proposal)
        done = np.abs(proposal - t) <= 1e-3 * t
        t = proposal
        if done.all():
            break
    return t


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


class _Memory:
    """The last L-BFGS pairs of each state of a block, with H_ref^-1 as the initial inverse Hessian.

    Chord steps ``H_ref^-1 grad`` contract the gradient by only about 0.4 a step at
    N = 3,000 (H_ref is a few flipped labels away); the secant pairs of the last steps
    correct H_ref^-1 where the state's own Hessian differs, halving the steps. It costs no
    extra product with H_ref^-1: H_ref^-1 y for a pair is the difference of the two
    chord directions already computed. Pairs are dropped when H_ref changes or a step is
    halved; the direction falls back to the chord step where it would not descend.
    The certificate does not depend on how a point was reached.
    """

    def __init__(self, pairs: int, k: int, B: int):
        self.pairs = pairs
        self.S = np.zeros((pairs, k, B))            # steps theta_{j+1} - theta_j
        self.Y = np.zeros((pairs, k, B))            # gradient changes
        self.HY = np.zeros((pairs, k, B))           # H_ref^-1 times the gradient changes
        self.rho = np.zeros((pairs, B))             # 1 / (s . y)
        self.valid = np.zeros((pairs, B), dtype=bool)
        self.slot = 0                               # the slot the next pair goes to (a ring)
        self.prev_theta, self.prev_grad, self.prev_chord = np.zeros((k, B)), np.zeros((k, B)), np.zeros((k, B))
        self.has_prev = np.zeros(B, dtype=bool)
        self.reference = -1                         # which H_ref the pairs were made with

    def forget(self, cols: np.ndarray) -> None:
        self.valid[:, cols] = False
        self.has_prev[cols] = False

    def direction(self, a: np.ndarray, theta: np.ndarray, grad: np.ndarray, chord: np.ndarray,
                  reference: int) -> np.ndarray:
        """The L-BFGS direction of the columns ``a`` at ``theta`` (k, A), given ``chord`` = H_ref^-1 grad."""
        if reference != self.reference:
            self.valid[:] = False
            self.has_prev[:] = False
            self.reference = reference
        newest = self.slot
        self.valid[newest, a] = False
        had = self.has_prev[a]
        if had.any():
            c = a[had]
            s = theta[:, had] - self.prev_theta[:, c]
            y = grad[:, had] - self.prev_grad[:, c]
            sy = np.einsum("ij,ij->j", s, y)
            usable = sy > 1e-12 * np.linalg.norm(s, axis=0) * np.linalg.norm(y, axis=0)   # curvature condition
            self.S[newest][:, c], self.Y[newest][:, c] = s, y
            self.HY[newest][:, c] = chord[:, had] - self.prev_chord[:, c]
            self.rho[newest, c] = np.where(usable, 1.0 / np.where(usable, sy, 1.0), 0.0)
            self.valid[newest, c] = usable
        self.prev_theta[:, a], self.prev_grad[:, a], self.prev_chord[:, a] = theta, grad, chord
        self.has_prev[a] = True
        self.slot = (newest + 1) % self.pairs
        # the two-loop recursion; H_ref^-1 q is kept as chord - sum(alpha H_ref^-1 y)
        if len(a) == len(self.has_prev):
            a = slice(None)                         # every column: views, not copies
        q, r = grad.copy(), chord.copy()
        used = []
        for j in ((newest - i) % self.pairs for i in range(self.pairs)):    # newest first
            rho = self.rho[j, a] * self.valid[j, a]
            if not rho.any():
                continue
            S = self.S[j][:, a]
            alpha = rho * np.einsum("ij,ij->j", S, q)
            q -= alpha * self.Y[j][:, a]
            r -= alpha * self.HY[j][:, a]
            used.append((j, rho, alpha, S))
        for j, rho, alpha, S in reversed(used):
            beta = rho * np.einsum("ij,ij->j", self.Y[j][:, a], r)
            r += S * (alpha - beta)
        descent = np.einsum("ij,ij->j", grad, r) > 0
        return np.where(descent, r, chord)


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

    def _factorize(self, margins: np.ndarray) -> _Reference:
        self.stats.factorizations += 1
        return _Reference(self.Zt, self.test_Zt, margins, self.penalty, self.n,
                          row_norms=self.row_norms, test_row_norms=self.test_row_norms)

    def _give_up(self, i: int, theta: np.ndarray) -> None:
        """Nothing certified for state i: all its predictions go to the caller's scikit-learn fit."""
        self.predicted[i] = self.test_Zt @ theta > 0
        self.uncertain[i] = True
        self.stats.uncertain += self.uncertain.shape[1]
        self.stats.uncertain_states += 1

    def solve_block(self, cols: np.ndarray, block_states: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """Solve the states ``block_states`` (rows ``cols`` of the results) from ``theta``; their final points."""
        Zt, test_Zt, penalty, n, k, lam = self.Zt, self.test_Zt, self.penalty, self.n, self.k, self.lam
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
        memory = _Memory(MEMORY, k, B)
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
            t = _line_search(z, signs[:, a] * q, Theta[:, a], v, penalty, n)
            Theta[:, a] -= v * t
            M[:, a] -= q * t
            slack[a] += ((k + 4) * EPS * np.abs(t) * np.linalg.norm(v, axis=0)
                         + 4 * EPS * np.linalg.norm(Theta[:, a], axis=0))
            stats.steps += 1
        for c in np.flatnonzero(active):                            # steps ran out mid-retry: nothing certified
            self._give_up(cols[c], Theta[:, c])
        return Theta

    def _certify(self, ref: _Reference, cols: np.ndarray, Theta: np.ndarray, u: np.ndarray, growth: np.ndarray,
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
