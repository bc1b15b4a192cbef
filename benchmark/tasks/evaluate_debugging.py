"""evaluate_debugging: score every inspection order under submission_path.

Gather (parameters, every data_id's files, every method's orders) -> score (one
evaluator per data_id, shared by all methods: CleaningEvaluator for the corrected
protocol, Dataperf2022Evaluator for the original one) -> build and write
results.yaml and curves.csv.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..execution import Backend, backend_for
from ..formats.discovery import resolve_debugging
from ..formats.parameters import DebuggingDataset, Parameters, load_parameters
from ..formats.resources import DebuggingData, load_debugging_data
from ..formats.results import (DATAPERF_2022, DEBUGGING_FORMAT, Curves, DataIdSummary, Results, check_output_folder,
                               submission_result, with_intervals, write_results)
from ..formats.submissions import (Found, Ordering, find_debugging_submissions, find_one_debugging_submission,
                                   ignored_files)
from ..logs import log, progress_bar, shown
from ..scoring import bootstrap
from ..scoring.analysis.ordering import oracle_order
from ..scoring.analysis.reference import EXACT_STATES, random_reference, seeded
from ..scoring.analysis.removal import REMOVAL_FRACTIONS, kept_rows, removal_accuracy
from ..scoring.analysis.summary import debugging_part, debugging_settings
from ..scoring.classifier import describe
from ..scoring.debugging import dataperf2022
from ..scoring.debugging.corrected import CleaningEvaluator, accuracy_of, score_curve
from ..scoring.debugging.states import DebuggingScore
from ..workspace.layout import DEBUGGING, is_reference
from . import report


def run(data_path: str, submission_path: str, parameters_file: str, output_path: str) -> int:
    params = load_parameters(parameters_file)
    check_output_folder(Path(output_path), Path(submission_path))  # before any work
    results, curves = evaluate(params, Path(data_path), Path(submission_path), progress=True)
    written = write_results(Path(output_path), results, curves)
    for path in written:
        log.info("wrote %s", shown(path))
    status = report(results)
    log.info("evaluate_debugging: wrote %s under %s", ", ".join(p.name for p in written), shown(output_path))
    return status


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
    found = find(submission_root, {d: len(data.train.y) for d, data in datasets.items()},
                 repeats_allowed=params.debugging.protocol == DATAPERF_2022)
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
    analysis: dict[str, dict] | None = None  # data_id -> its analysis record (None: analyses off)


def score(params: Parameters, inputs: DebuggingInputs, progress: bool = False) -> DebuggingScores:
    dbg = params.debugging
    parts: dict[str, dict[str, DebuggingScore | InputError]] = {s.method: {} for s in inputs.found.submissions}
    summaries: dict[str, DataIdSummary] = {}
    curves: Curves = []
    correctness: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {s.method: {} for s in inputs.found.submissions}
    clean_correct: dict[str, np.ndarray] = {}
    analysis: dict[str, dict] | None = {} if params.analysis.enabled else None
    backend = backend_for(params.execution)
    certified: list[str] = []    # logged once the progress bars are done
    try:
        for data_id, data in progress_bar(inputs.datasets.items(), progress, desc="data_ids", unit="data_id"):
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
                if analysis is not None:  # no random or oracle reference, no removal: they need the protocol's fits
                    analysis[data_id] = debugging_part(
                        data.mislabeled, {m: orders[m].order for m in names},
                        {m: parts[m][data_id].auc for m in names}, [m for m in names if not is_reference(m)],
                        None, None, None, ())
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
                fits = evaluator.fits  # the leaderboard's fits, before the analysis adds its own
                c = evaluator.certificate
                certified.append(f"{data_id}: {fits} label states fitted; {c.certified_first + c.refined} of "
                                 f"{c.predictions} test predictions certified, {c.uncertain} decided by "
                                 f"scikit-learn ({c.uncertain_states} states)")
                if analysis is not None:
                    analysis[data_id] = _analyse(params, data_id, data, evaluator, {m: orders[m].order for m in names},
                                                 {m: parts[m][data_id].auc for m in names}, backend)
                    certified.append(f"{data_id}: analysis fitted {evaluator.fits - fits} more label states")
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
                           clean_correct=clean_correct, analysis=analysis)


def _analyse(params: Parameters, data_id: str, data: DebuggingData, evaluator: CleaningEvaluator,
             orders: dict[str, np.ndarray], aucs: dict[str, float], backend: Backend) -> dict:
    """One data_id's analysis: order quality from the orders alone; the random expectation and the oracle from
    new states fitted by the same evaluator (shared states cost nothing); point removal when asked for."""
    a = params.analysis
    n = evaluator.n_train
    random = oracle = None
    if a.random_draws:
        random = random_reference(n, evaluator.mislabeled, evaluator.curves, a.random_draws, seeded(a.seed, data_id))
        oracle = evaluator.curve(oracle_order(evaluator.mislabeled))
    removal = None
    if a.point_removal:
        names = sorted(orders)
        keeps = [kept_rows(orders[m], n, f) for m in names for f in REMOVAL_FRACTIONS[1:]]
        shared = {"X": evaluator.Z, "noisy": evaluator.noisy, "test_X": evaluator.test_Z, "test_y": evaluator.test_y,
                  "classifier": evaluator.classifier}
        accuracies = iter(backend.map(removal_accuracy, keeps, shared, desc=f"point removal {data_id}"))
        before = float(evaluator.curve([])[0])
        removal = {m: [before, *(next(accuracies) for _ in REMOVAL_FRACTIONS[1:])] for m in names}
    return debugging_part(evaluator.mislabeled, orders, aucs, [m for m in orders if not is_reference(m)],
                          random, oracle, removal, REMOVAL_FRACTIONS)


# --------------------------------------------------------------------------- build
def repeated_rows(inputs: DebuggingInputs, protocol: str, method: str, data_id: str) -> dict[str, Any]:
    """dataperf_2022 protocol: every repeated index the original scored (fixing a row again changes nothing)."""
    if protocol != DATAPERF_2022:
        return {}
    sub = next(s for s in inputs.found.submissions if s.method == method)
    item = sub.orderings[data_id]
    assert isinstance(item, Ordering)
    return {"rows_repeated": [{"line": line, "index": index, "first_line": first}
                              for index, line, first in item.repeats]}


def build(params: Parameters, inputs: DebuggingInputs, scores: DebuggingScores) -> Results:
    dbg = params.debugging
    metric = DEBUGGING_FORMAT.metric()
    submissions = {
        method: submission_result(method, {d: {"error": v.message} if isinstance(v, InputError)
                                           else {**v.as_dict(), **repeated_rows(inputs, dbg.protocol, method, d)}
                                           for d, v in per_id.items()}, metric)
        for method, per_id in sorted(scores.parts.items())}
    classifier = dataperf2022.settings() if dbg.protocol == DATAPERF_2022 else describe(dbg.classifier)
    settings = {"protocol": dbg.protocol, "target_ratio": dbg.target_ratio, "classifier": classifier,
                "data_ids_discovered": not dbg.data_ids,
                "data_ids": {d: asdict(spec) for d, spec in sorted(inputs.specs.items())}}
    analysis = None
    if scores.analysis is not None:
        a = params.analysis
        analysis = {"settings": debugging_settings(a.random_draws, a.seed, a.point_removal, REMOVAL_FRACTIONS,
                                                   EXACT_STATES),
                    "data_ids": dict(sorted(scores.analysis.items()))}
    results = Results(DEBUGGING_FORMAT, settings, submissions,
                      data_ids={d: asdict(s) for d, s in sorted(scores.summaries.items())}, ignored=inputs.ignored,
                      leaderboard=metric, analysis=analysis)
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
