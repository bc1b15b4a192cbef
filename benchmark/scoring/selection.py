"""Selection scoring: train the reference classifier on a chosen training set, score it.

Pure functions on arrays, usable from a notebook without the CLI::

    from benchmark.scoring.selection import score_training_set
    metrics = score_training_set(ids, X, y, test_X, test_y)
    metrics.f1
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Mapping, Sequence

import numpy as np
from sklearn.metrics import accuracy_score, average_precision_score, precision_recall_fscore_support

from .classifier import make_classifier


@dataclass(frozen=True)
class SelectionMetrics:
    """Test-set metrics of one training set; precision/recall/F1 are of the positive class 1."""

    accuracy: float
    precision: float
    recall: float
    f1: float
    average_precision: float
    train_size: int
    train_positives: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class TestPredictions:
    """What the classifier trained on one training set says about each test row."""

    predicted: np.ndarray  # 0/1 label per test row
    scores: np.ndarray  # predict_proba of class 1 per test row


def predict_test_set(
    image_ids: Sequence[str] | np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    test_X: np.ndarray,
    classifier: Mapping[str, Any] | None = None,
) -> TestPredictions:
    """Fit LogisticRegression on (X, y) and predict the test rows.

    Rows are sorted by ImageID before fitting so the result never depends on the
    order in which rows came out of the submission or the parquet files.
    """
    image_ids = np.asarray(image_ids, dtype=object)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    if not (len(image_ids) == len(X) == len(y)):
        raise ValueError("image_ids, X and y must have the same length")
    if len(np.unique(y)) < 2:
        raise ValueError("the training set holds only one class")
    order = np.argsort(image_ids, kind="stable")
    model = make_classifier(classifier).fit(X[order], y[order])
    test_X = np.asarray(test_X, dtype=np.float64)
    positive_column = list(model.classes_).index(1)
    return TestPredictions(predicted=model.predict(test_X),
                           scores=model.predict_proba(test_X)[:, positive_column])


def metrics_of_predictions(predictions: TestPredictions, test_y: np.ndarray, y: np.ndarray) -> SelectionMetrics:
    """Test-set metrics of fixed predictions; ``y`` is the training labels (for the size counts)."""
    test_y = np.asarray(test_y, dtype=np.int64)
    y = np.asarray(y, dtype=np.int64)
    predicted = predictions.predicted
    precision, recall, f1, _ = precision_recall_fscore_support(
        test_y, predicted, average="binary", pos_label=1, zero_division=0.0)
    average_precision = average_precision_score(test_y, predictions.scores) if test_y.any() else 0.0
    return SelectionMetrics(
        accuracy=float(accuracy_score(test_y, predicted)),
        precision=float(precision),
        recall=float(recall),
        f1=float(f1),
        average_precision=float(average_precision),
        train_size=int(len(y)),
        train_positives=int(y.sum()),
    )


def score_training_set(
    image_ids: Sequence[str] | np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    test_X: np.ndarray,
    test_y: np.ndarray,
    classifier: Mapping[str, Any] | None = None,
) -> SelectionMetrics:
    """Fit LogisticRegression on (X, y) and score it on the test set (see :func:`predict_test_set`)."""
    return metrics_of_predictions(predict_test_set(image_ids, X, y, test_X, classifier), test_y, y)


def mean_f1(metrics: Mapping[str, SelectionMetrics]) -> float:
    """The leaderboard score: mean F1 over tasks (DataPerf 2023 ranked on it), in task-name order."""
    return float(np.mean([metrics[name].f1 for name in sorted(metrics)]))
