"""Modified uncertainty sampling: a classifier of examples against the pool, hard negatives from just below its top.

Third in DataPerf's vision selection challenge, by Steve Mussmann, shipped as
``baselines/modified_uncertainty_sampling`` in the Coactive repository
(github.com/CoactiveAI/dataperf-vision-selection), whose README describes it
as training "a binary classifier on noisy positive labels" and using it "to
assign positive and negative image pools, with the coreset randomly sampled
from both pools". Written here from that description and the published
parameters, not from its code:

1. Centre the rows; label the examples 1 and every pool row 0, and fit an
   almost unregularized logistic regression (``C``, the original: 1e6).
2. Rank the pool by the predicted probability. The top ``band_top`` share is
   skipped (rows the classifier cannot tell from the examples: likely
   unlabelled positives); the rows down to ``band_bottom`` (the original:
   ranks 2% to 5%) are the negative pool, the concept's near misses where an
   uncertainty sampler would query. The band starts after the estimated
   number of unlabelled positives (below).
3. Positive pool: the examples the classifier itself calls positive (all
   examples if it calls none). The submission is the positive pool plus
   ``size - positives`` rows drawn uniformly without replacement from the
   negative pool (all of it when smaller).

Difference from the original: its positives were Open Images' (noisy)
machine labels of the whole pool, hundreds per concept, so the classifier's
top unlabelled rows were already near misses; a participant here has only
the task's examples, so the pool's other positives are labelled 0 and rank
at the top. The band is therefore shifted down by their estimated number:
the leave-one-example-out estimate of :func:`.selftrain.estimate_positives`
on the k-NN graph of the examples and the first :data:`GRAPH_SAMPLE` pool
rows, scaled to the pool. For a rare concept (DataPerf's) the shift is
close to 0 and the band the published one; on the demo, where a concept is a
tenth of the pool, without it the "negatives" would be positives. The pool is the
runner's uniform in-memory sample; draws come from the
``numpy.random.Generator`` given.
"""
from __future__ import annotations

import warnings

import numpy as np
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from .selftrain import GRAPH_SAMPLE, estimate_positives, graph_scorer
from .training_sets import TrainingSet

DEFAULT_SIZE = 1000
DEFAULT_C = 1e6
DEFAULT_BAND = (0.02, 0.05)


def uncertainty_training_set(pool_ids: np.ndarray, pool_X: np.ndarray, example_ids: np.ndarray,
                             example_X: np.ndarray, rng: np.random.Generator, size: int = DEFAULT_SIZE,
                             C: float = DEFAULT_C, band_top: float = DEFAULT_BAND[0],
                             band_bottom: float = DEFAULT_BAND[1]) -> TrainingSet:
    """The examples the classifier keeps as positive, and random near misses from the band as negatives."""
    others = ~np.isin(pool_ids, example_ids)
    P_ids, P_X = pool_ids[others], pool_X[others]
    X = np.concatenate([example_X, P_X])
    X = X - X.mean(axis=0)
    y = np.r_[np.ones(len(example_X), np.int64), np.zeros(len(P_X), np.int64)]
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # separable rows: lbfgs stops at max_iter, which is what C=1e6 asks for
        model = LogisticRegression(C=C, max_iter=1000, random_state=0).fit(X, y)
        probability = model.predict_proba(X)[:, 1]
    keep = probability[: len(example_X)] >= 0.5
    if not keep.any():
        keep[:] = True
    ranked = np.argsort(-probability[len(example_X):], kind="stable")
    shift = estimated_positives(example_X, P_X)
    start = min(len(P_ids) - 1, shift + int(band_top * len(P_ids)))
    band = ranked[start: max(shift + int(band_bottom * len(P_ids)), start + 1)]
    n_neg = min(len(band), max(1, size - int(keep.sum())))
    negatives = np.sort(band[rng.choice(len(band), size=n_neg, replace=False)])
    ids = np.concatenate([example_ids[keep], P_ids[negatives]])
    labels = np.r_[np.ones(int(keep.sum()), np.int64), np.zeros(n_neg, np.int64)]
    return TrainingSet(ids, labels)


def estimated_positives(example_X: np.ndarray, pool_X: np.ndarray, graph_sample: int = GRAPH_SAMPLE) -> int:
    """Unlabelled rows of the concept in the pool, estimated from hidden examples on a k-NN graph subsample."""
    head = pool_X[:graph_sample]
    is_example = np.r_[np.ones(len(example_X), bool), np.zeros(len(head), bool)]
    with threadpool_limits(1):
        found = estimate_positives(graph_scorer(np.concatenate([example_X, head])), is_example)
    return int(round(found * len(pool_X) / max(len(head), 1)))
