"""Out-of-sample class probabilities, and the rankings built on them.

:func:`cross_validated_probabilities` fits the reference logistic regression on
k-1 folds of the noisy training set and predicts the held-out fold, so every row
gets a probability from a model that never saw its own (possibly wrong) label.

Speed: with N < D the rows are first centred and expressed in the thin-SVD
coordinates of the centred training matrix. A shift is absorbed by the
unpenalized intercept, every fold's rows lie in that row space, and the L2
penalty does not care about a rotation, so each fold's model, and so every
probability, is the same as on the raw embeddings (the harness's
CleaningEvaluator uses the same argument); validation rows are projected the
same way, which leaves their decision values unchanged.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from ..scoring.classifier import make_classifier

N_FOLDS = 5
C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)


def cross_validated_probabilities(X: np.ndarray, labels: np.ndarray, seed: int,
                                  classifier: Mapping[str, Any] | None = None,
                                  val_X: np.ndarray | None = None, val_y: np.ndarray | None = None,
                                  n_folds: int = N_FOLDS) -> np.ndarray:
    """(n, 2) out-of-fold probabilities of classes 0 and 1 (stratified, shuffled folds).

    With a validation set, the inverse regularization C is first chosen from
    :data:`C_GRID` as the one whose model, fitted on the whole noisy training
    set, is most accurate on the validation set (ties: the stronger
    regularization); otherwise the classifier settings are used as given.
    """
    X = np.asarray(X, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    settings = dict(classifier or {})
    with threadpool_limits(1):
        project = row_space_projection(X)
        Z = project(X)
        if val_X is not None and val_y is not None and len(np.unique(labels)) == 2:
            val_Z, val_y = project(val_X), np.asarray(val_y, dtype=np.int64)
            accuracy = [np.mean(make_classifier({**settings, "C": c}).fit(Z, labels).predict(val_Z) == val_y)
                        for c in C_GRID]
            settings["C"] = C_GRID[int(np.argmax(accuracy))]
        smallest = int(np.bincount(labels, minlength=2).min())
        folds = max(2, min(n_folds, smallest))
        probabilities = np.empty((len(labels), 2))
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        for train, held_out in splitter.split(Z, labels):
            if len(np.unique(labels[train])) < 2:  # degenerate fold: the only class gets probability 1
                probabilities[held_out] = np.eye(2)[labels[train][0]]
                continue
            model = make_classifier(settings).fit(Z[train], labels[train])
            columns = list(model.classes_)
            probabilities[held_out] = model.predict_proba(Z[held_out])[:, [columns.index(0), columns.index(1)]]
    return probabilities


def row_space_projection(X: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """Centre on the training mean and, when N < D, rotate into the thin-SVD row space of the centred rows.

    Any logistic regression with an L2 penalty and unpenalized intercept fitted on
    a subset of the rows has the same predictions in these coordinates as on the
    raw embeddings (see the module docstring).
    """
    X = np.asarray(X, dtype=np.float64)
    mean = X.mean(axis=0)
    if X.shape[0] < X.shape[1]:
        with threadpool_limits(1):
            _, _, Vt = np.linalg.svd(X - mean, full_matrices=False)
        return lambda A: (np.asarray(A, dtype=np.float64) - mean) @ Vt.T
    return lambda A: np.asarray(A, dtype=np.float64) - mean


def self_confidence(labels: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """The out-of-sample probability of each row's given label."""
    labels = np.asarray(labels, dtype=np.int64)
    return probabilities[np.arange(len(labels)), labels]


def loss_order(labels: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """Rows by descending cross-entropy of the given label (highest loss first), ties by row index."""
    confidence = np.clip(self_confidence(labels, probabilities), 1e-300, 1.0)
    loss = -np.log(confidence)
    return np.argsort(-loss, kind="stable")
