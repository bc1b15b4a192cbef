"""evaluate_selection: score every submission folder on every selection task.

Gather (parameters, resources, submissions) -> score (independent fits, one per
valid submission and task) -> build and write results.yaml.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from ..errors import InputError, ResourceError
from ..execution import aligned, backend_for
from ..formats.discovery import resolve_selection
from ..formats.parameters import Parameters, SelectionTask, load_parameters
from ..formats.resources import CandidatePool, LabeledEmbeddings, read_test_set
from ..formats.results import (SELECTION_FORMAT, Results, check_output_folder, submission_result, with_intervals,
                               write_results)
from ..formats.submissions import (Found, SelectionCsv, find_one_selection_submission, find_selection_submissions,
                                   ignored_files)
from ..logs import log, shown
from ..scoring import bootstrap
from ..scoring.classifier import describe
from ..scoring.selection import SelectionMetrics, metrics_of_predictions, predict_test_set
from ..workspace.layout import SELECTION
from . import report


def run(data_path: str, submission_path: str, parameters_file: str, output_path: str) -> int:
    params = load_parameters(parameters_file)
    check_output_folder(Path(output_path), Path(submission_path))  # before any work
    results = evaluate(params, Path(data_path), Path(submission_path))
    for path in write_results(Path(output_path), results):
        log.info("wrote %s", shown(path))
    return report(results)


# --------------------------------------------------------------------------- gather
@dataclass(frozen=True)
class SelectionInputs:
    pool_path: str  # under data/selection, as resolved (named, found at any depth, or discovered)
    specs: dict[str, SelectionTask]  # task -> its resolved files
    pool: CandidatePool
    tests: dict[str, LabeledEmbeddings]  # task -> test set, in task-name order
    found: Found  # SelectionSubmission items and stray files
    ignored: dict[str, str]  # stray files relative to the submission folder -> why (results.yaml lists them)


def gather(params: Parameters, data_root: Path, submission_root: Path,
           one_submission: bool = False) -> SelectionInputs:
    """Resources first (a resource problem stops the task), then every submission, parsed.

    ``one_submission`` (the evaluate task): ``submission_root`` is itself one submission folder.
    """
    sel = params.selection
    root = data_root / SELECTION
    pool_path, specs = resolve_selection(sel.pool, sel.tasks, root)
    if not sel.tasks:
        log.info("selection tasks discovered under %s: %s", root, ", ".join(specs))
    pool = CandidatePool(root / pool_path)
    tests = {task: read_test_set(root / spec.test_set) for task, spec in sorted(specs.items())}
    dims = {t: s.X.shape[1] for t, s in tests.items()}
    first = next(iter(tests))
    for task, dim in dims.items():
        if dim != dims[first]:
            raise ResourceError(f"embeddings have dimension {dim}, but {dims[first]} in the test set of {first}",
                                root / specs[task].test_set)
    find = find_one_selection_submission if one_submission else find_selection_submissions
    found = find(submission_root, list(tests), sel.max_train_size)
    for stray in found.stray:
        log.warning("ignored %s", stray.message)
    return SelectionInputs(pool_path, specs, pool, tests, found, ignored_files(found, submission_root))


# --------------------------------------------------------------------------- score
Job = tuple[np.ndarray, np.ndarray, np.ndarray, str]  # image_ids, X, labels, task


@dataclass(frozen=True)
class Scored:
    """One fitted (submission, task): its metrics and its 0/1 prediction per test row (for the bootstrap)."""

    metrics: SelectionMetrics
    predicted: np.ndarray
    scores: np.ndarray  # predict_proba of class 1 per test row


def score(params: Parameters, inputs: SelectionInputs) -> dict[str, dict[str, Scored | InputError]]:
    """{submission: {task: metrics and predictions, or the error that makes it invalid}}."""
    tests = inputs.tests
    test_owner = {image_id: task for task, s in tests.items() for image_id in s.ids}
    # One scan of the pool for the union of every submitted ImageID.
    wanted = {i for sub in inputs.found.submissions for f in sub.training_sets.values()
              if isinstance(f, SelectionCsv) for i in f.image_ids}
    log.info("scanning the candidate pool for %d distinct ImageIDs", len(wanted))
    pool_ids, pool_X = inputs.pool.lookup(wanted, expected_dim=next(iter(tests.values())).X.shape[1])
    row_of = {image_id: i for i, image_id in enumerate(pool_ids)}

    outcome: dict[str, dict[str, Scored | InputError | int]] = {}
    jobs: list[Job] = []
    for sub in inputs.found.submissions:
        outcome[sub.name] = {}
        for task, item in sub.training_sets.items():
            try:
                if isinstance(item, InputError):
                    raise item
                rows = _training_rows(item, row_of, test_owner)
                outcome[sub.name][task] = len(jobs)
                jobs.append((np.asarray(item.image_ids, dtype=object), pool_X[rows], item.labels, task))
            except InputError as error:
                outcome[sub.name][task] = error
    backend = backend_for(params.execution)
    try:
        shared = {"tests": {t: (s.X, s.y) for t, s in tests.items()}, "classifier": params.selection.classifier}
        scored = backend.map(_fit_and_score, jobs, shared, desc="fits", progress=True)
    finally:
        backend.close()
    return {name: {task: scored[r] if isinstance(r, int) else r for task, r in parts.items()}
            for name, parts in outcome.items()}


def _training_rows(item: SelectionCsv, row_of: dict[str, int], test_owner: dict[str, str]) -> np.ndarray:
    """Pool rows of a submitted training set, or InputError for test images, unknown IDs, one class."""
    for image_id, line in zip(item.image_ids, item.lines):
        if image_id in test_owner:
            raise InputError(f"ImageID {image_id!r} belongs to the test set of {test_owner[image_id]}",
                             item.path, line)
    absent = [(i, line) for i, line in zip(item.image_ids, item.lines) if i not in row_of]
    if absent:
        shown = ", ".join(f"{i!r} (line {line})" for i, line in absent[:3])
        raise InputError(f"{len(absent)} ImageID(s) not in the candidate pool: {shown}"
                         + (", ..." if len(absent) > 3 else ""), item.path)
    classes = np.unique(item.labels)
    if len(classes) < 2:
        raise InputError(f"every row has Confidence {classes[0]}; the classifier needs both classes",
                         item.path)
    return np.fromiter((row_of[i] for i in item.image_ids), dtype=np.int64, count=len(item.image_ids))


def _fit_and_score(job: Job, tests: dict[str, tuple[np.ndarray, np.ndarray]],
                   classifier: dict[str, Any]) -> Scored:
    """One job: train on a submitted training set, score on its task's test set."""
    image_ids, X, y, task = job
    test_X, test_y = tests[task]
    X, test_X = aligned(X), aligned(test_X)
    with threadpool_limits(1):  # same floats in any process
        predictions = predict_test_set(image_ids, X, y, test_X, classifier)
        return Scored(metrics_of_predictions(predictions, test_y, y), predictions.predicted.astype(np.int8),
                      predictions.scores)


# --------------------------------------------------------------------------- build
def build(params: Parameters, inputs: SelectionInputs, scores: dict[str, dict[str, Scored | InputError]]) -> Results:
    sel = params.selection
    metric = SELECTION_FORMAT.metric(sel.leaderboard_metric)
    submissions = {
        name: submission_result(name, {task: {"error": v.message} if isinstance(v, InputError)
                                       else v.metrics.as_dict() for task, v in parts.items()}, metric)
        for name, parts in sorted(scores.items())}
    settings = {
        "pool": inputs.pool_path,
        "max_train_size": sel.max_train_size,
        "classifier": describe(sel.classifier),
        "tasks_discovered": not sel.tasks,
        "tasks": {t: {"test_set": s.test_set, "examples": s.examples, "test_size": len(inputs.tests[t].y),
                      "test_positives": int(inputs.tests[t].y.sum())} for t, s in sorted(inputs.specs.items())},
    }
    results = Results(SELECTION_FORMAT, settings, submissions, ignored=inputs.ignored, leaderboard=metric)
    if not params.bootstrap.resamples:
        return results
    summary = bootstrap.selection_summary(
        {task: test.y for task, test in inputs.tests.items()},
        {name: {task: (v.predicted, v.scores) for task, v in parts.items() if isinstance(v, Scored)}
         for name, parts in scores.items()},
        [name for name, sub in submissions.items() if sub.valid], params.bootstrap.resamples, params.bootstrap.seed,
        leaderboard=metric.part_key)
    return with_intervals(results, summary.parts, summary.means, summary.comparisons,
                          bootstrap.settings_record(params.bootstrap.resamples, params.bootstrap.seed))


def evaluate(params: Parameters, data_root: Path, submission_root: Path) -> Results:
    """Score all submissions; resource problems raise, submission problems are recorded."""
    inputs = gather(params, data_root, submission_root)
    return build(params, inputs, score(params, inputs))
