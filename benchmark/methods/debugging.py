"""Debugging baselines: an inspection order of the training rows per data_id.

Each baseline sees only what a participant has: the training set with its noisy
labels and the labelled validation set. Test sets and ground truth are never read.

* ``baseline_random``: a seeded random permutation.
* ``baseline_knn_shapley``: KNN-Shapley values against the validation set
  (see :mod:`.knn_shapley`), lowest value inspected first.
* ``baseline_confident_learning``: confident learning (:mod:`.confident_learning`:
  confident joint, pruning by noise rate, as cleanlab's ``find_label_issues``)
  on cross-validated logistic-regression probabilities (regularization chosen
  on the validation set); flagged rows first, each group by threshold-adjusted
  self-confidence.
* ``baseline_loss``: the same probabilities, rows by descending log-loss of
  their given label.
* ``baseline_tmc_shapley``: truncated Monte Carlo Shapley values for the
  validation accuracy of logistic regression (see :mod:`.tmc_shapley`; budget
  ``debugging.baselines.tmc_permutations``), lowest value first.
* ``baseline_data_oob``: Data-OOB values from bagged logistic regressions (see
  :mod:`.data_oob`; ``debugging.baselines.oob_bags``), lowest value first.
* ``baseline_data_banzhaf``, ``baseline_beta_shapley``: two semivalues of the
  validation accuracy (:mod:`.semivalues`; ``banzhaf_samples``,
  ``beta_permutations``, ``beta_alpha``, ``beta_beta``, ``beta_tail``), lowest first.
* ``baseline_influence``: influence of each row on the validation log-loss with
  the exact Hessian (:mod:`.influence`), most harmful first.

All randomness is seeded from (SEED, data_id), and numerical work runs on one
BLAS thread, so orders are identical on every run; the time files (measured
seconds, see :mod:`.timing`) are the only output that varies.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from ..formats.discovery import resolve_debugging
from ..formats.parameters import DebuggingBaselineBudgets, Parameters
from ..formats.resources import LabeledEmbeddings, read_debugging_split
from ..formats.submissions import write_ordering
from ..logs import log
from ..workspace.layout import DEBUGGING
from . import confident_learning, data_oob, influence, knn_shapley, label_noise, semivalues, tmc_shapley
from .timing import Stopwatch, reported_seconds

SEED = 0
PREFIX = "baseline_"
RANDOM, KNN_SHAPLEY, CONFIDENT_LEARNING, LOSS, TMC_SHAPLEY, DATA_OOB, DATA_BANZHAF, BETA_SHAPLEY, INFLUENCE = (
    PREFIX + name for name in ("random", "knn_shapley", "confident_learning", "loss", "tmc_shapley", "data_oob",
                               "data_banzhaf", "beta_shapley", "influence"))
METHODS = (RANDOM, KNN_SHAPLEY, CONFIDENT_LEARNING, LOSS, TMC_SHAPLEY, DATA_OOB, DATA_BANZHAF, BETA_SHAPLEY,
           INFLUENCE)


@dataclass(frozen=True)
class ParticipantData:
    """What a debugging participant is given for one data_id."""

    data_id: str
    train: LabeledEmbeddings  # noisy labels
    val: LabeledEmbeddings | None


@dataclass(frozen=True)
class Ordering:
    method: str
    order: np.ndarray
    seconds: float  # measured, not rounded


def data_seed(data_id: str) -> list[int]:
    return [SEED, zlib.crc32(data_id.encode("utf-8"))]


def load_participant_data(params: Parameters, data_root: Path) -> dict[str, ParticipantData]:
    root = data_root / DEBUGGING
    loaded = {}
    for data_id, spec in sorted(resolve_debugging(params.debugging.data_ids, root, ("train", "val")).items()):
        train = read_debugging_split(root / spec.train, f"training set of {data_id}")
        val = None if spec.val is None else read_debugging_split(
            root / spec.val, f"validation set of {data_id}", train.X.shape[1])
        loaded[data_id] = ParticipantData(data_id, train, val)
    return loaded


def orderings(data: ParticipantData, classifier: Mapping[str, Any] | None = None,
              knn_k: int = knn_shapley.DEFAULT_K,
              budgets: DebuggingBaselineBudgets = DebuggingBaselineBudgets()) -> list[Ordering]:
    """Every baseline's order for one data_id, each with the seconds it took to compute."""
    X, y = data.train.X, data.train.y
    seed = data_seed(data.data_id)
    results = []

    watch = Stopwatch()
    with watch.running():
        order = np.random.default_rng(seed).permutation(len(y))
    results.append(Ordering(RANDOM, order, watch.seconds))

    if data.val is None:
        log.warning("%s: no validation set, so no KNN-Shapley order", data.data_id)
    else:
        watch = Stopwatch()
        with watch.running():
            order = knn_shapley.knn_shapley_order(X, y, data.val.X, data.val.y, knn_k)
        results.append(Ordering(KNN_SHAPLEY, order, watch.seconds))

    shared = Stopwatch()  # the cross-validated probabilities are charged to both methods that use them
    with shared.running():
        probabilities = label_noise.cross_validated_probabilities(
            X, y, seed=seed[1] % 2**31, classifier=classifier,
            val_X=None if data.val is None else data.val.X, val_y=None if data.val is None else data.val.y)
    for method, rank in ((CONFIDENT_LEARNING, confident_learning.confident_learning_order),
                         (LOSS, label_noise.loss_order)):
        watch = Stopwatch()
        with watch.running():
            order = rank(y, probabilities)
        results.append(Ordering(method, order, shared.seconds + watch.seconds))

    if data.val is None:
        log.warning("%s: no validation set, so no TMC-Shapley order", data.data_id)
    else:
        watch = Stopwatch()
        with watch.running():
            order = tmc_shapley.tmc_shapley_order(X, y, data.val.X, data.val.y, budgets.tmc_permutations,
                                                  budgets.tmc_tolerance, seed, classifier)
        results.append(Ordering(TMC_SHAPLEY, order, watch.seconds))

    watch = Stopwatch()
    with watch.running():
        order = data_oob.data_oob_order(X, y, budgets.oob_bags, seed, classifier)
    results.append(Ordering(DATA_OOB, order, watch.seconds))

    if data.val is None:
        log.warning("%s: no validation set, so no Data Banzhaf, Beta-Shapley or influence order", data.data_id)
        return results
    val_X, val_y = data.val.X, data.val.y
    for method, rank in (
            (DATA_BANZHAF, lambda rng: semivalues.data_banzhaf_order(
                X, y, val_X, val_y, rng, budgets.banzhaf_samples, classifier)),
            (BETA_SHAPLEY, lambda rng: semivalues.beta_shapley_order(
                X, y, val_X, val_y, rng, budgets.beta_permutations, budgets.beta_alpha, budgets.beta_beta,
                budgets.beta_tail, classifier)),
            (INFLUENCE, lambda rng: influence.influence_order(X, y, val_X, val_y, classifier))):
        watch = Stopwatch()
        with watch.running():
            order = rank(np.random.default_rng(seed))
        results.append(Ordering(method, order, watch.seconds))
    return results


def run_debugging_baselines(params: Parameters, data_root: Path, submission_root: Path,
                            on_result: Callable[[str, Ordering], None] | None = None) -> list[Path]:
    """Write ``<data_id>_<method>.txt`` and ``time_<data_id>_<method>.txt`` for every baseline."""
    written = []
    for data_id, data in load_participant_data(params, data_root).items():
        for result in orderings(data, params.debugging.classifier, budgets=params.debugging.baselines):
            _check_permutation(result.order, len(data.train.y), result.method)
            written.append(write_ordering(submission_root, data_id, result.method, result.order,
                                          reported_seconds(result.seconds)))
            log.info("%s %s: %.3f s", data_id, result.method, result.seconds)
            if on_result is not None:
                on_result(data_id, result)
    return written


def _check_permutation(order: np.ndarray, n: int, method: str) -> None:
    if len(order) != n or not np.array_equal(np.sort(order), np.arange(n)):
        raise AssertionError(f"{method} did not produce a permutation of the {n} training rows")
