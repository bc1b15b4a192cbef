"""evaluate_debugging: score every inspection order under submission_path.

Gather (parameters, every data_id's files, every method's orders) -> score (one
evaluator per data_id, shared by all methods: CleaningEvaluator for the corrected
protocol, Dataperf2022Evaluator for the original one) -> build and write
results.yaml and curves.csv.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ..errors import InputError
from ..execution import backend_for
from ..formats.discovery import resolve_debugging
from ..formats.parameters import DebuggingDataset, Parameters, load_parameters
from ..formats.resources import DebuggingData, load_debugging_data
from ..formats.results import (DATAPERF_2022, DEBUGGING_FORMAT, Curves, DataIdSummary, Results, check_output_folder,
                               submission_result, with_intervals, write_results)
from ..formats.submissions import (Found, Ordering, find_debugging_submissions, find_one_debugging_submission,
                                   ignored_files)
from ..logs import log, shown
from ..scoring import bootstrap
from ..scoring.classifier import describe
from ..scoring.debugging import dataperf2022
from ..scoring.debugging.corrected import CleaningEvaluator, accuracy_of, score_curve
from ..scoring.debugging.states import DebuggingScore
from ..workspace.layout import DEBUGGING
from . import report


def run(data_path: str, submission_path: str, parameters_file: str, output_path: str) -> int:
    params = load_parameters(parameters_file)
    check_output_folder(Path(output_path), Path(submission_path))  # before any work
    results, curves = evaluate(params, Path(data_path), Path(submission_path), progress=True)
    for path in write_results(Path(output_path), results, curves):
        log.info("wrote %s", shown(path))
    return report(results)


# --------------------------------------------------------------------------- gather
@dataclass(frozen=True)
class DebuggingInputs:
    datasets: dict[str, DebuggingData]  # data_id -> resources, in data_id order
    found: Found  # DebuggingSubmission items and stray files
    specs: dict[str, DebuggingDataset]  # data_id -> its files under data/debugging, as resolved
    ignored: dict[str, str]  # stray files relative to the submission folder -> why (results.yaml lists them)


def gather(params: Parameters, data_root: Path, submission_root: Path,
           one_submission: bool = False) -> DebuggingInputs:
    """Resources first (a resource problem stops the task), then every method's orders.

    ``one_submission`` (the evaluate task): ``submission_root`` holds the orders of one method only.
    """
    root = data_root / DEBUGGING
    if params.debugging.protocol == DATAPERF_2022:
        dataperf2022.import_torch()  # say how to install it before reading any data
    specs = resolve_debugging(params.debugging.data_ids, root)  # named (found at any depth) or discovered
    if not params.debugging.data_ids:
        log.info("debugging data_ids discovered under %s: %s", root, ", ".join(specs))
    datasets = {data_id: load_debugging_data(data_id, root, spec.train, spec.test, spec.ground_truth, spec.val)
                for data_id, spec in sorted(specs.items())}
    find = find_one_debugging_submission if one_submission else find_debugging_submissions
    found = find(submission_root, {d: len(data.train.y) for d, data in datasets.items()})
    for stray in found.stray:
        log.warning("ignored %s", stray.message)
    return DebuggingInputs(datasets, found, specs, ignored_files(found, submission_root))


# --------------------------------------------------------------------------- score
@dataclass(frozen=True)
class DebuggingScores:
    parts: dict[str, dict[str, DebuggingScore | InputError]]  # method -> data_id -> score or error
    summaries: dict[str, DataIdSummary]
    curves: Curves
    # for the bootstrap: method -> data_id -> (step_state, correct) of its order, and per data_id
    # the test labels and which test rows the cleaned model predicts right
    correctness: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]]
    test_labels: dict[str, np.ndarray]
    clean_correct: dict[str, np.ndarray]


def score(params: Parameters, inputs: DebuggingInputs, progress: bool = False) -> DebuggingScores:
    dbg = params.debugging
    parts: dict[str, dict[str, DebuggingScore | InputError]] = {s.method: {} for s in inputs.found.submissions}
    summaries: dict[str, DataIdSummary] = {}
    curves: Curves = []
    correctness: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {s.method: {} for s in inputs.found.submissions}
    clean_correct: dict[str, np.ndarray] = {}
    backend = backend_for(params.execution)
    certified: list[str] = []    # logged once the progress bars are done
    try:
        for data_id, data in tqdm(inputs.datasets.items(), desc="data_ids", unit="data_id", disable=not progress):
            orders: dict[str, Ordering] = {}
            for sub in inputs.found.submissions:
                item = sub.orderings[data_id]
                if isinstance(item, InputError):
                    parts[sub.method][data_id] = item
                else:
                    orders[sub.method] = item
            names = sorted(orders)
            if dbg.protocol == DATAPERF_2022:
                original = dataperf2022.Dataperf2022Evaluator(
                    data.train.X, data.train.y, data.clean_labels, data.test.X, data.test.y,
                    backend=backend, progress=progress, label=data_id)
                for method, curve in zip(names, original.curves([orders[m].order for m in names])):
                    parts[method][data_id] = dataperf2022.score_curve(
                        curve, original.before_acc, original.clean_acc, orders[method].order, data.mislabeled,
                        dbg.target_ratio, orders[method].seconds)
                    curves.append((method, data_id, curve))
                before_acc, clean_acc, fits = original.before_acc, original.clean_acc, original.fits
            else:
                evaluator = CleaningEvaluator(data.train.X, data.train.y, data.clean_labels, data.test.X,
                                              data.test.y, dbg.classifier, progress=progress, label=data_id,
                                              backend=backend)
                along = evaluator.correctness_many([orders[m].order for m in names])
                for method, (step_state, correct) in zip(names, along):
                    curve = np.array([accuracy_of(row) for row in correct])[step_state]  # as evaluator.curves
                    parts[method][data_id] = score_curve(curve, evaluator.clean_accuracy, orders[method].order,
                                                         data.mislabeled, dbg.target_ratio, orders[method].seconds)
                    curves.append((method, data_id, curve))
                    if params.bootstrap.resamples:
                        correctness[method][data_id] = (step_state, correct)
                clean_correct[data_id] = evaluator.clean_correctness
                before_acc, clean_acc = float(evaluator.curve([])[0]), evaluator.clean_accuracy
                fits = evaluator.fits
                c = evaluator.certificate
                certified.append(f"{data_id}: {fits} label states fitted; {c.certified_first + c.refined} of "
                                 f"{c.predictions} test predictions certified, {c.uncertain} decided by "
                                 f"scikit-learn ({c.uncertain_states} states)")
            summaries[data_id] = DataIdSummary(
                n_train=len(data.train.y),
                n_mislabeled=int(data.mislabeled.sum()),
                n_test=len(data.test.y),
                before_acc=before_acc,
                clean_acc=clean_acc,
                target_acc=dbg.target_ratio * clean_acc,
                fits=fits,
            )
    finally:
        backend.close()
    for line in certified:
        log.info("%s", line)
    return DebuggingScores(parts, summaries, curves, correctness,
                           test_labels={d: data.test.y for d, data in inputs.datasets.items()},
                           clean_correct=clean_correct)


# --------------------------------------------------------------------------- build
def build(params: Parameters, inputs: DebuggingInputs, scores: DebuggingScores) -> Results:
    dbg = params.debugging
    metric = DEBUGGING_FORMAT.metric()
    submissions = {
        method: submission_result(method, {d: {"error": v.message} if isinstance(v, InputError) else v.as_dict()
                                           for d, v in per_id.items()}, metric)
        for method, per_id in sorted(scores.parts.items())}
    classifier = dataperf2022.settings() if dbg.protocol == DATAPERF_2022 else describe(dbg.classifier)
    settings = {"protocol": dbg.protocol, "target_ratio": dbg.target_ratio, "classifier": classifier,
                "data_ids_discovered": not dbg.data_ids,
                "data_ids": {d: asdict(spec) for d, spec in sorted(inputs.specs.items())}}
    results = Results(DEBUGGING_FORMAT, settings, submissions,
                      data_ids={d: asdict(s) for d, s in sorted(scores.summaries.items())}, ignored=inputs.ignored,
                      leaderboard=metric)
    if not params.bootstrap.resamples or dbg.protocol == DATAPERF_2022:  # the 2022 protocol: no intervals
        return results
    summary = bootstrap.debugging_summary(
        scores.test_labels, scores.clean_correct, {d: s.n_train for d, s in scores.summaries.items()},
        scores.correctness, [name for name, sub in submissions.items() if sub.valid],
        params.bootstrap.resamples, params.bootstrap.seed, dbg.target_ratio)
    return with_intervals(results, summary.parts, summary.means, summary.comparisons,
                          bootstrap.settings_record(params.bootstrap.resamples, params.bootstrap.seed))


def evaluate(params: Parameters, data_root: Path, submission_root: Path,
             progress: bool = False) -> tuple[Results, Curves]:
    """Score all orders; resource problems raise, submission problems are recorded."""
    inputs = gather(params, data_root, submission_root)
    scores = score(params, inputs, progress)
    return build(params, inputs, scores), scores.curves
