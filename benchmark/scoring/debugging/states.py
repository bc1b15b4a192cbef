"""What both debugging protocols share: the label states an inspection order walks through, and its score record.

Both protocols fit one model per distinct label vector along an order (states shared between
submissions are fitted once); they differ in the model and in how a curve becomes a score.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Iterable, Mapping

import numpy as np


def state_key(labels: np.ndarray) -> bytes:
    """A label state as a dict key: states shared between submissions are trained once."""
    return labels.astype(np.int8).tobytes()


def label_states(noisy: np.ndarray, clean: np.ndarray, order: np.ndarray) -> list[np.ndarray]:
    """The distinct label vectors along an order: noisy, then the state after each listed row whose
    label was wrong (fixing a row that was already right leaves the state, and so the model, unchanged)."""
    labels = noisy.copy()
    states = [labels.copy()]
    for index in order[noisy[order] != clean[order]]:
        labels[index] = clean[index]
        states.append(labels.copy())
    return states


def missing_states(states: Iterable[np.ndarray], done: Mapping[bytes, Any]) -> dict[bytes, np.ndarray]:
    """The distinct states among ``states`` whose key is not in ``done``, in the order they first arrive."""
    todo: dict[bytes, np.ndarray] = {}
    for labels in states:
        key = state_key(labels)
        if key not in done and key not in todo:
            todo[key] = labels
    return todo


@dataclass(frozen=True)
class DebuggingScore:
    """The score of one inspection order for one data_id (lower score is better)."""

    score: float
    fixes_to_target: int | None
    before_acc: float
    clean_acc: float
    target_acc: float
    auc: float
    precision_at_m: float | None
    mislabeled_in_first_m: int
    n_mislabeled: int
    n_train: int
    n_listed: int
    valuation_time_s: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def mislabeled_in_first_m(order: np.ndarray, mislabeled: np.ndarray) -> tuple[int, int]:
    """(mislabeled rows among the first m listed, m = number of mislabeled rows): precision@m is their ratio."""
    m = int(np.count_nonzero(mislabeled))
    return int(np.count_nonzero(mislabeled[np.asarray(order, dtype=np.int64)[:m]])), m
