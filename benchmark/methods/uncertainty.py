"""Modified uncertainty sampling: a classifier of the concept's labelled rows, hard negatives from just below them.

Third in DataPerf's vision selection challenge, by Steve Mussmann, shipped as
``baselines/modified_uncertainty_sampling`` in the Coactive repository
(github.com/CoactiveAI/dataperf-vision-selection), whose README describes it
as training "a binary classifier on noisy positive labels" and using it "to
assign positive and negative image pools, with the coreset randomly sampled
from both pools". Written here from that description and the published
parameters, not from its code:

1. Labels: the original's positives were Open Images' labels of the pool
   (human-verified, or human and machine), hundreds per concept; here they are
   the examples and the pool rows estimated to be the concept
   (:mod:`.concept_labels`), the stand-in for those labels. Every other row of
   the task's graph rows is labelled 0.
2. Centre the rows and fit an almost unregularized logistic regression
   (``C``, the original: 1e6) on those labels.
3. Rank the rows by the predicted probability. The negative pool is the band
   of ranks from ``band_top`` to ``band_bottom`` of the rows (the original:
   2% to 5%) below the labelled positives, without any labelled positive: the
   concept's near misses, where an uncertainty sampler would query. In the
   original the concept was rare enough (under 2% of the pool) that the band
   from the top already lay below the positives; on a pool where it is not (a
   tenth on the demo), the band starts after the labelled positives instead.
4. Positive pool: the labelled positives the classifier itself calls positive
   (all of them if it calls none). The submission is up to ``size // 2`` rows
   drawn uniformly without replacement from the positive pool (the original:
   500 of 1,000) and the rest of ``size`` from the negative pool (all of it
   when smaller).

Draws come from the ``numpy.random.Generator`` given.
"""
from __future__ import annotations

import warnings

import numpy as np
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from .concept_labels import ConceptLabels
from .training_sets import TrainingSet

DEFAULT_SIZE = 1000
DEFAULT_C = 1e6
DEFAULT_BAND = (0.02, 0.05)


def uncertainty_training_set(labels: ConceptLabels, rng: np.random.Generator, size: int = DEFAULT_SIZE,
                             C: float = DEFAULT_C, band_top: float = DEFAULT_BAND[0],
                             band_bottom: float = DEFAULT_BAND[1]) -> TrainingSet:
    """Labelled positives the classifier keeps, and random near misses from the band below them as negatives."""
    y = np.zeros(len(labels.ids), np.int64)
    y[labels.positives()] = 1
    X = labels.X - labels.X.mean(axis=0)
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # separable rows: lbfgs stops at max_iter, which is what C=1e6 asks for
        probability = LogisticRegression(C=C, max_iter=1000, random_state=0).fit(X, y).predict_proba(X)[:, 1]
    ranked = np.argsort(-probability, kind="stable")
    n, labelled = len(ranked), int(y.sum())
    start = min(n - 1, labelled + int(band_top * n))
    band = ranked[start: max(labelled + int(band_bottom * n), start + 1)]
    near_misses = band[y[band] == 0]
    if len(near_misses) == 0:  # a band of labelled positives only: every unlabelled row below them instead
        near_misses = ranked[labelled:][y[ranked[labelled:]] == 0]
    kept = np.flatnonzero((y == 1) & (probability >= 0.5))
    if len(kept) == 0:
        kept = np.flatnonzero(y == 1)
    n_pos = min(len(kept), max(1, size // 2))
    n_neg = min(len(near_misses), max(1, size - n_pos))
    pos = np.sort(rng.choice(kept, size=n_pos, replace=False))
    neg = np.sort(rng.choice(near_misses, size=n_neg, replace=False))
    return TrainingSet(labels.ids[np.concatenate([pos, neg])],
                       np.r_[np.ones(n_pos, np.int64), np.zeros(n_neg, np.int64)])
