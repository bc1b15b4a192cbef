"""The reference point: a factorized loss Hessian H_ref, and how far a state's optimum can be from it."""
from __future__ import annotations

import numpy as np

from .linalg import EPS, lower_inverse, spectral_bound

DROPPED_ROWS = 32      # rows the bound may drop from H_ref (see Reference.distance)


class Reference:
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
