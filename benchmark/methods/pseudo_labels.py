"""Pseudo-label generation: a small network learns every task's examples at once and labels the pool.

Second in DataPerf's vision selection challenge (mean F1 78.98), by Danilo
Brajovic, shipped as ``baselines/pseudo_label_generation`` in the Coactive
repository (github.com/CoactiveAI/dataperf-vision-selection), whose README
describes it as training "neural networks and classical models on a subset of
data to classify the remainder of points", the best model proposing the
training set. Written here from that description and the published setup
(a one-hidden-layer MLP of 25 units; 333 rows per class), not from its code:

1. One class per task, its examples as training rows; with a single task, a
   second class of as many random pool rows stands for "anything else".
2. An MLP (``hidden`` units, scikit-learn's ``MLPClassifier``, seeded)
   is fitted on them and predicts a pseudo-label for every pool row.
3. For the task at hand: ``size // classes`` rows drawn uniformly without
   replacement from each pseudo-class (all of a class's rows when it has
   fewer); the task's own class is labelled 1, every other class 0. The
   negatives are thus the concepts the positives are most easily confused
   with, and the classes come in equal shares.

Every pool row gets some task's label, so rows of no task at all fall into
whichever class they resemble most: the method's known weakness when
concepts are rare, and the reason it is a different baseline from the
propagation and self-training ones (which model "not the concept").
The pool is the runner's uniform in-memory sample; draws come from the
``numpy.random.Generator`` given.
"""
from __future__ import annotations

import warnings
from typing import Mapping

import numpy as np
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

from .training_sets import TrainingSet

DEFAULT_SIZE = 999  # 333 per class with DataPerf's three tasks
DEFAULT_HIDDEN = 25


def pseudo_label_training_set(pool_ids: np.ndarray, pool_X: np.ndarray,
                              examples: Mapping[str, np.ndarray], task: str, rng: np.random.Generator,
                              size: int = DEFAULT_SIZE, hidden: int = DEFAULT_HIDDEN) -> TrainingSet:
    """``examples``: task -> example rows (embeddings) of every task; the training set is for ``task``."""
    names = sorted(examples)
    X = [np.asarray(examples[t]) for t in names]
    if len(names) == 1:  # one concept: "everything else" is a random draw of the pool
        X.append(pool_X[rng.choice(len(pool_X), size=min(len(pool_X), len(X[0])), replace=False)])
        names.append("")
    y = np.concatenate([np.full(len(part), k) for k, part in enumerate(X)])
    model = MLPClassifier(hidden_layer_sizes=(hidden,), max_iter=1000,
                          random_state=int(rng.integers(2**31 - 1)))
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a few dozen rows: convergence warnings say nothing here
        model.fit(np.concatenate(X), y)
        pseudo = model.predict(pool_X)
    per_class = size // len(names)
    target = names.index(task)
    rows, labels = [], []
    for k in range(len(names)):
        members = np.flatnonzero(pseudo == k)
        take = members[np.sort(rng.choice(len(members), size=min(per_class, len(members)), replace=False))]
        rows.append(take)
        labels.append(np.full(len(take), int(k == target), np.int64))
    rows_all, labels_all = np.concatenate(rows), np.concatenate(labels)
    return TrainingSet(pool_ids[rows_all], labels_all)
