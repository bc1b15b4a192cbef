"""What every selection baseline shares: the rows of a task, the training set it returns, two geometry helpers.

Kept apart from :mod:`.selection` (which runs the baselines) so that the
individual methods (:mod:`.selftrain`, ...) import these without importing the
runner, and the runner imports the methods: no import cycle.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class TaskRows:
    """What one task's baselines work from: examples, nearest candidates, the shared sample."""

    task: str
    example_ids: np.ndarray
    examples: np.ndarray  # (n_examples, d), unit rows
    candidate_ids: np.ndarray  # best first
    candidates: np.ndarray  # unit rows
    candidate_scores: np.ndarray


@dataclass
class TrainingSet:
    """A baseline's training set for one task: pool ImageIDs and the 0/1 labels it gives them."""

    ids: np.ndarray
    labels: np.ndarray


def unit_rows(X: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms > 0, norms, 1.0)


def farthest_point_sampling(X: np.ndarray, count: int, start: int = 0) -> np.ndarray:
    """Indices of ``count`` rows of X chosen greedily, each the farthest from those already chosen."""
    n = len(X)
    count = min(count, n)
    if count <= 0:
        return np.empty(0, dtype=np.int64)
    chosen = [start]
    squared = np.einsum("ij,ij->i", X, X)
    nearest = squared - 2 * X @ X[start] + squared[start]
    for _ in range(count - 1):
        nxt = int(np.argmax(nearest))  # ties: the lowest index
        chosen.append(nxt)
        nearest = np.minimum(nearest, squared - 2 * X @ X[nxt] + squared[nxt])
    return np.asarray(chosen, dtype=np.int64)
