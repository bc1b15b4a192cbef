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
seconds of each method's call, see :mod:`.timing`) are the only output that varies.
Each baseline is a method on the API (:mod:`.api`); the harness (:mod:`.harness`) runs them.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..formats.discovery import resolve_debugging
from ..formats.parameters import Parameters
from ..formats.resources import LabeledEmbeddings, read_debugging_split
from ..workspace.layout import DEBUGGING
from . import confident_learning, data_oob, influence, knn_shapley, label_noise, semivalues, tmc_shapley
from .api import DebuggingProblem, NotApplicable

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


# --------------------------------------------------------------------------- on the method API
def random_method(problem: DebuggingProblem) -> np.ndarray:
    """A seeded random permutation."""
    return problem.rng.permutation(len(problem.train.y))


def knn_shapley_method(problem: DebuggingProblem) -> np.ndarray:
    """KNN-Shapley values against the validation set, lowest first."""
    train, val = problem.train, _validation(problem, "KNN-Shapley")
    return knn_shapley.knn_shapley_order(train.X, train.y, val.X, val.y, knn_shapley.DEFAULT_K)


def _probabilities(problem: DebuggingProblem) -> np.ndarray:
    """Cross-validated probabilities; each method that ranks by them computes (and is timed for) them."""
    train, val = problem.train, problem.val
    return label_noise.cross_validated_probabilities(
        train.X, train.y, seed=problem.seed[1] % 2**31, classifier=problem.parameters.debugging.classifier,
        val_X=None if val is None else val.X, val_y=None if val is None else val.y)


def confident_learning_method(problem: DebuggingProblem) -> np.ndarray:
    """Confident learning as cleanlab defines it: flagged rows first, each group by adjusted self-confidence."""
    return confident_learning.confident_learning_order(problem.train.y, _probabilities(problem))


def loss_method(problem: DebuggingProblem) -> np.ndarray:
    """Rows by descending log-loss of their given label."""
    return label_noise.loss_order(problem.train.y, _probabilities(problem))


def tmc_shapley_method(problem: DebuggingProblem) -> np.ndarray:
    """Truncated Monte Carlo Shapley values for validation accuracy, lowest first."""
    train, val, budgets = problem.train, _validation(problem, "TMC-Shapley"), problem.parameters.debugging.baselines
    return tmc_shapley.tmc_shapley_order(train.X, train.y, val.X, val.y, budgets.tmc_permutations,
                                         budgets.tmc_tolerance, problem.seed, problem.parameters.debugging.classifier)


def data_oob_method(problem: DebuggingProblem) -> np.ndarray:
    """Data-OOB values from bagged logistic regressions, lowest first."""
    return data_oob.data_oob_order(problem.train.X, problem.train.y, problem.parameters.debugging.baselines.oob_bags,
                                   problem.seed, problem.parameters.debugging.classifier)


def data_banzhaf_method(problem: DebuggingProblem) -> np.ndarray:
    """Data Banzhaf (maximum sample reuse) values of the validation accuracy, lowest first."""
    train, val, b = problem.train, _validation(problem, "Data Banzhaf"), problem.parameters.debugging.baselines
    return semivalues.data_banzhaf_order(train.X, train.y, val.X, val.y, np.random.default_rng(problem.seed),
                                         b.banzhaf_samples, problem.parameters.debugging.classifier)


def beta_shapley_method(problem: DebuggingProblem) -> np.ndarray:
    """Beta-Shapley values of the validation accuracy, lowest first."""
    train, val, b = problem.train, _validation(problem, "Beta-Shapley"), problem.parameters.debugging.baselines
    return semivalues.beta_shapley_order(train.X, train.y, val.X, val.y, np.random.default_rng(problem.seed),
                                         b.beta_permutations, b.beta_alpha, b.beta_beta, b.beta_tail,
                                         problem.parameters.debugging.classifier)


def influence_method(problem: DebuggingProblem) -> np.ndarray:
    """Influence on the validation log-loss with the exact Hessian, most harmful first."""
    train, val = problem.train, _validation(problem, "influence")
    return influence.influence_order(train.X, train.y, val.X, val.y, problem.parameters.debugging.classifier)


def _validation(problem: DebuggingProblem, what: str) -> LabeledEmbeddings:
    if problem.val is None:
        raise NotApplicable(f"no validation set, so no {what} order")
    return problem.val
