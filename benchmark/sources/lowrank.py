"""Realistic synthetic embeddings: a low-rank signal with a decaying spectrum, plus small isotropic noise.

Image embeddings (DataPerf's 2048-d ResNet features, 256-d pool embeddings)
concentrate their variance in a few dozen directions whose importance decays
quickly; isotropic Gaussian data has none of that structure, and methods that
exploit it (nearest neighbours, principal coordinates) look different on it.
Here a row is ``latent @ basis.T + noise`` with ``latent`` drawn with standard
deviations ``decay ** j`` along ``rank`` orthonormal directions, and classes
differ by a shift of the latent mean within the leading directions.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LowRankSpace:
    """A fixed embedding geometry: orthonormal basis (dim, rank), spectrum, class direction in latent space."""

    basis: np.ndarray
    scales: np.ndarray
    class_direction: np.ndarray
    noise: float

    @classmethod
    def make(cls, seed: int | list[int], dim: int = 2048, rank: int = 48, decay: float = 0.93,
             noise: float = 0.05, signal_rank: int = 8) -> "LowRankSpace":
        rng = np.random.default_rng(seed)
        basis, _ = np.linalg.qr(rng.standard_normal((dim, rank)))
        scales = decay ** np.arange(rank)
        direction = np.zeros(rank)
        direction[:signal_rank] = rng.standard_normal(min(signal_rank, rank))
        return cls(basis, scales, direction / np.linalg.norm(direction), noise)

    def rows(self, rng: np.random.Generator, labels: np.ndarray, separation: float) -> np.ndarray:
        """Embeddings (float32, like DataPerf's) of rows with the given 0/1 labels."""
        labels = np.asarray(labels)
        latent = rng.standard_normal((len(labels), len(self.scales))) * self.scales
        latent += (separation / 2) * (2 * labels[:, None] - 1) * self.class_direction
        X = latent @ self.basis.T + self.noise * rng.standard_normal((len(labels), self.basis.shape[0]))
        return X.astype(np.float32)


def two_classes(space: LowRankSpace, rng: np.random.Generator, n: int,
                separation: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """n rows of two balanced classes in ``space`` (labels 0/1 alternate, then shuffled)."""
    labels = rng.permutation(np.arange(n) % 2).astype(np.int64)
    return space.rows(rng, labels, separation), labels
