"""The original DataPerf 2022 debugging protocol (``debugging.protocol: dataperf_2022``).

DataPerf published its debugging numbers with DS3Lab's evaluator, whose protocol
differs from the corrected one in :mod:`benchmark.scoring.debugging.corrected` (docs/protocols.md, "Debugging
protocols"). This module reproduces that protocol value for value so scores can
be compared with the published ones:

* the classifier is a torch ``Linear(D -> 128) -> Linear(128 -> 1)`` built right
  after ``torch.manual_seed(42)``, trained 20 epochs with AdamW (lr 0.01, weight
  decay 0.9) on BCE-with-logits, in batches of 64 consecutive rows, float32;
* its decision threshold is the first of ``numpy.arange(0.1, 1, 0.05)`` with the
  best (rounded) training accuracy; accuracies are rounded to 2 decimals;
* budgets are 1..N (no budget 0); budget i fixes the first min(i, listed) rows;
* ``fraction_fixes`` = j / N for the first 0-based budget position j whose
  accuracy reaches 0.95 x the accuracy at budget N, else -1.

Why it is fast without changing a value: every training starts from the same
seeded weights and depends only on its label vector, so one training per
distinct label state is enough (a step fixing an already-correct label leaves
the state unchanged), shared across submissions. The batches are slices of one
float32 tensor (the same values and layout the original's DataLoader stacks),
and the threshold search uses one forward pass and one matrix comparison that
give the same rounded accuracies as one prediction per threshold.

torch is imported lazily: the rest of the package never needs it.
"""
from __future__ import annotations

import copy
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import numpy as np

from ...errors import InputError
from ...execution import Backend
from ...logs import progress_bar
from .states import DebuggingScore, label_states, mislabeled_in_first_m, missing_states, state_key

if TYPE_CHECKING:  # pragma: no cover
    import torch

PROTOCOL = "dataperf_2022"
SEED = 42
HIDDEN_UNITS = 128
EPOCHS = 20
BATCH_SIZE = 64
LEARNING_RATE = 0.01
WEIGHT_DECAY = 0.9
TARGET_RATIO = 0.95
THRESHOLDS = np.arange(0.1, 1, 0.05)  # the candidates, in the order they are tried
INSTALL_HINT = ("pip install -r requirements-dataperf2022.txt --extra-index-url https://download.pytorch.org/whl/cpu"
                " (the pinned CPU build, which PyPI does not have)")


def settings() -> dict[str, Any]:
    """The protocol's classifier and rules as results.yaml records them (with the torch version used)."""
    return {"name": "torch Linear(D, 128) -> Linear(128, 1)", "seed": SEED, "optimizer": "AdamW",
            "learning_rate": LEARNING_RATE, "weight_decay": WEIGHT_DECAY, "loss": "BCEWithLogitsLoss",
            "epochs": EPOCHS, "batch_size": BATCH_SIZE, "thresholds": "numpy.arange(0.1, 1, 0.05)",
            "accuracy": "rounded to 2 decimals", "torch": str(import_torch().__version__)}


def import_torch() -> Any:
    """torch, or an InputError saying how to install the optional extra."""
    try:
        import torch
    except ImportError:
        raise InputError(f"debugging.protocol {PROTOCOL} needs torch, which is not installed: "
                         f"{INSTALL_HINT}") from None
    return torch


def rounded_accuracy(correct: np.ndarray) -> np.ndarray:
    """round(mean(correct), 2) along the last axis, with numpy's rounding like the original.

    The mean of booleans is count / n in float64 whether taken row by row or for a
    whole matrix, and ``np.round`` of an array rounds each element as
    ``round(np.float64, 2)`` does, so the batched values equal the scalar ones.
    """
    return np.round(np.mean(correct, axis=-1), 2)


def correct_predictions(probabilities: np.ndarray, labels: np.ndarray,
                        thresholds: np.ndarray) -> np.ndarray:
    """(thresholds x rows) booleans: is ``probability > t`` (as 0/1) equal to the label?

    The original predicts 0 where the sigmoid is ``<= t`` and 1 where it is ``> t``,
    comparing the float32 sigmoid with the float64 threshold in float64 (numpy 2
    promotion); a NaN output is neither, so it is never correct.
    """
    p = np.asarray(probabilities, dtype=np.float32).astype(np.float64)[None, :]
    t = np.asarray(thresholds, dtype=np.float64)[:, None]
    positive = np.asarray(labels).reshape(-1)[None, :] == 1
    negative = np.asarray(labels).reshape(-1)[None, :] == 0
    return np.where(p > t, positive, (p <= t) & negative)


def choose_threshold(train_probabilities: np.ndarray, train_labels: np.ndarray) -> float:
    """The first candidate whose rounded training accuracy beats every earlier one.

    The search starts from accuracy 0 and threshold 0 and keeps a candidate only
    when strictly better, so ties go to the smaller threshold, and if every
    candidate scores 0 the threshold stays 0.
    """
    accuracies = rounded_accuracy(correct_predictions(train_probabilities, train_labels, THRESHOLDS))
    best = int(np.argmax(accuracies))  # first maximum
    return float(THRESHOLDS[best]) if accuracies[best] > 0 else 0.0


def test_accuracy(test_probabilities: np.ndarray, test_labels: np.ndarray, threshold: float) -> float:
    """Rounded test accuracy at one threshold."""
    correct = correct_predictions(test_probabilities, test_labels, np.array([threshold]))
    return float(rounded_accuracy(correct)[0])


class Dataperf2022Classifier:
    """Trains the original classifier on fixed features for any label vector.

    Features are converted once to a float32 tensor and cut into the original's
    batches; the seeded initial weights are built once and copied into each new
    model. ``accuracy(labels)`` is deterministic: same labels, same value.
    """

    def __init__(self, X: np.ndarray, test_X: np.ndarray, test_y: np.ndarray):
        self.torch = torch = import_torch()
        X = np.asarray(X)
        test_X = np.asarray(test_X)
        if X.ndim != 2 or test_X.ndim != 2 or X.shape[1] != test_X.shape[1]:
            raise ValueError("X and test_X must be 2-d with the same width")
        # torch.tensor copies into torch's own (aligned) memory, as the original's tensors are.
        self.X = torch.tensor(np.ascontiguousarray(X, dtype=np.float32))
        self.test_X = torch.tensor(np.ascontiguousarray(test_X, dtype=np.float32))
        self.test_y = np.asarray(test_y, dtype=np.int64).reshape(-1)
        self.starts = range(0, len(self.X), BATCH_SIZE)
        self.batches = [self.X[s:s + BATCH_SIZE] for s in self.starts]
        self.initial_model = self._seeded_model()

    def _seeded_model(self) -> "torch.nn.Module":
        """The untrained model: seed 42, then Linear(D, 128), then Linear(128, 1) (creation order draws the weights)."""
        torch, nn = self.torch, self.torch.nn
        with torch.random.fork_rng(devices=[]):  # leave the caller's random state alone
            torch.manual_seed(SEED)
            return nn.Sequential(nn.Linear(self.X.shape[1], HIDDEN_UNITS), nn.Linear(HIDDEN_UNITS, 1))

    def train(self, labels: np.ndarray) -> "torch.nn.Module":
        """A fresh seeded model trained on ``labels``: zero_grad, forward, loss, backward, step."""
        torch = self.torch
        model = copy.deepcopy(self.initial_model)  # the seeded weights, without drawing them again
        targets = torch.tensor(np.asarray(labels, dtype=np.float32).reshape(-1, 1))
        target_batches = [targets[s:s + BATCH_SIZE] for s in self.starts]
        loss_function = torch.nn.BCEWithLogitsLoss()
        optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
        model.train(True)
        for _ in range(EPOCHS):
            for x, y in zip(self.batches, target_batches):
                optimizer.zero_grad()
                loss = loss_function(model(x).reshape(y.shape), y)
                loss.backward()
                optimizer.step()
        return model

    def probabilities(self, model: "torch.nn.Module", X: "torch.Tensor") -> np.ndarray:
        with self.torch.no_grad():
            return self.torch.sigmoid(model(X)).numpy().reshape(-1)

    def accuracy(self, labels: np.ndarray) -> float:
        """Rounded test accuracy of the classifier trained on ``labels`` (its own threshold)."""
        labels = np.asarray(labels, dtype=np.int64)
        model = self.train(labels)
        threshold = choose_threshold(self.probabilities(model, self.X), labels)
        return test_accuracy(self.probabilities(model, self.test_X), self.test_y, threshold)


def target_position(curve: Sequence[float], target_ratio: float = TARGET_RATIO) -> int | None:
    """The first 0-based position j in the curve over budgets 1..N whose accuracy reaches
    target_ratio x the accuracy at budget N; None if none does."""
    curve = np.asarray(curve, dtype=np.float64)
    reached = np.flatnonzero(curve >= target_ratio * curve[-1])
    return int(reached[0]) if reached.size else None


def fraction_fixes(curve: Sequence[float], target_ratio: float = TARGET_RATIO) -> float:
    """The original score of a curve over budgets 1..N: j / N at the target position j, else -1."""
    position = target_position(curve, target_ratio)
    return -1.0 if position is None else position / len(curve)


def score_curve(curve: Sequence[float], before_acc: float, clean_acc: float, order: Sequence[int],
                mislabeled: np.ndarray, target_ratio: float = TARGET_RATIO,
                valuation_time_s: float | None = None) -> DebuggingScore:
    """One submission and data_id under this protocol, in results.yaml's shape.

    score is the original's fraction_fixes (-1 if no budget reaches the target);
    fixes_to_target is its 0-based budget position j (so score = j / N, as the
    original computes it; the budget that reached the target is j + 1);
    target_acc is the original's target, target_ratio x the accuracy at budget N;
    auc is -1 like the original's (never computed).
    """
    curve = np.asarray(curve, dtype=np.float64)
    mislabeled = np.asarray(mislabeled, dtype=bool)
    n = len(mislabeled)
    if len(curve) != n:
        raise ValueError("curve must hold the accuracies at budgets 1..N")
    position = target_position(curve, target_ratio)
    listed = np.asarray(order, dtype=np.int64).reshape(-1)
    first = np.sort(np.unique(listed, return_index=True)[1])  # the original scores repeats: count each row once
    found, m = mislabeled_in_first_m(listed[first], mislabeled)
    return DebuggingScore(
        score=fraction_fixes(curve, target_ratio),
        fixes_to_target=position,
        before_acc=float(before_acc),
        clean_acc=float(clean_acc),
        target_acc=float(target_ratio * curve[-1]),
        auc=-1.0,
        precision_at_m=found / m if m else None,
        mislabeled_in_first_m=found,
        n_mislabeled=m,
        n_train=n,
        n_listed=len(order),
        valuation_time_s=valuation_time_s,
    )


def _state_accuracies(states: np.ndarray, X: np.ndarray, test_X: np.ndarray, test_y: np.ndarray) -> list[float]:
    """One job: rounded test accuracies of a batch of label states (rows of ``states``), one torch thread."""
    classifier = Dataperf2022Classifier(X, test_X, test_y)
    with one_torch_thread(classifier.torch):
        return [classifier.accuracy(labels) for labels in states]


@contextmanager
def one_torch_thread(torch: Any) -> Iterator[None]:
    """torch on one thread, then back: the values do not depend on the thread count (tests and perf/
    check it), and small matrix products gain nothing from a second thread on a busy machine."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


class Dataperf2022Evaluator:
    """Original-protocol curves of one data_id for any number of inspection orders.

    One training per distinct label state, cached across orders (submissions). The
    distinct states are known up front, so with a backend of several workers they
    are trained in parallel jobs (one torch thread each; values do not depend on it).
    """

    def __init__(self, X: np.ndarray, noisy: np.ndarray, clean: np.ndarray, test_X: np.ndarray,
                 test_y: np.ndarray, backend: Backend | None = None, progress: bool = False, label: str = ""):
        self.noisy = np.asarray(noisy, dtype=np.int64)
        self.clean = np.asarray(clean, dtype=np.int64)
        if not (len(X) == len(self.noisy) == len(self.clean)):
            raise ValueError("X, noisy and clean must have the same number of rows")
        self.classifier = Dataperf2022Classifier(X, test_X, test_y)
        self.backend = backend
        self.n_train = len(self.noisy)
        self.mislabeled = self.noisy != self.clean
        self.progress = progress
        self.label = label
        self._accuracy: dict[bytes, float] = {}

    def _train_missing(self, states: Sequence[np.ndarray]) -> None:
        todo = missing_states(states, self._accuracy)
        if not todo:
            return
        keys = sorted(todo)  # a fixed job layout, whatever order states arrived in
        desc = f"dataperf_2022 fits {self.label}".strip()
        if self.backend is None or self.backend.workers == 1:
            with one_torch_thread(self.classifier.torch):
                for key in progress_bar(keys, self.progress, desc=desc, unit="fit"):
                    self._accuracy[key] = self.classifier.accuracy(todo[key])
            return
        chunks = [c for c in np.array_split(np.arange(len(keys)), min(len(keys), 4 * self.backend.workers)) if len(c)]
        shared = {"X": self.classifier.X.numpy(), "test_X": self.classifier.test_X.numpy(),
                  "test_y": self.classifier.test_y}
        batches = [np.stack([todo[keys[i]] for i in chunk]) for chunk in chunks]
        results = self.backend.map(_state_accuracies, batches, shared, desc=desc, progress=self.progress)
        for chunk, accuracies in zip(chunks, results):
            for i, accuracy in zip(chunk, accuracies):
                self._accuracy[keys[i]] = accuracy

    @property
    def before_acc(self) -> float:
        """Rounded test accuracy trained on the noisy labels."""
        self._train_missing([self.noisy])
        return self._accuracy[state_key(self.noisy)]

    @property
    def clean_acc(self) -> float:
        """Rounded test accuracy trained on the ground truth (budget N of any full list)."""
        self._train_missing([self.clean])
        return self._accuracy[state_key(self.clean)]

    def curves(self, orders: Sequence[Sequence[int]]) -> list[np.ndarray]:
        """Accuracies at budgets 1..N for each order (budget i fixes the first min(i, len) rows)."""
        orders = [np.asarray(o, dtype=np.int64).reshape(-1) for o in orders]
        per_order = [label_states(self.noisy, self.clean, o) for o in orders]
        self._train_missing([s for states in per_order for s in states])
        curves = []
        for order, states in zip(orders, per_order):
            values = np.array([self._accuracy[state_key(s)] for s in states])
            budgets = np.minimum(np.arange(1, self.n_train + 1), len(order))
            fixed_so_far = np.concatenate([[0], np.cumsum(self.mislabeled[order])])
            curves.append(values[fixed_so_far[budgets]])
        return curves

    def curve(self, order: Sequence[int]) -> np.ndarray:
        return self.curves([order])[0]

    @property
    def fits(self) -> int:
        """How many classifiers were trained so far."""
        return len(self._accuracy)
