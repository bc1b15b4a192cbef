"""evaluate_selection: score every submission folder on every selection task.

Gather (parameters, resources, submissions) -> score (independent fits, one per
valid submission and task) -> build and write results.yaml.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from ..errors import InputError, ResourceError
from ..execution import Backend, aligned, backend_for
from ..formats.discovery import resolve_selection
from ..formats.parameters import Parameters, SelectionTask, SubmissionFiles, load_parameters
from ..formats.resources import CandidatePool, LabeledEmbeddings, read_test_set
from ..formats.results import (SELECTION_FORMAT, Results, check_output_folder, submission_result, with_intervals,
                               write_results)
from ..formats.submissions import (ONE_SUBMISSION, Found, SelectionCsv, find_one_selection_submission,
                                   find_selection_submissions, ignored_files)
from ..logs import log, shown
from ..scoring import bootstrap
from ..scoring.analysis.budget import budget_sizes
from ..scoring.analysis.reference import seeded
from ..scoring.analysis.summary import selection_task
from ..scoring.classifier import describe
from ..scoring.selection import SelectionMetrics, metrics_of_predictions, predict_test_set
from ..workspace.layout import SELECTION, is_reference
from . import report

DATAPERF_2022 = "dataperf_2022"  # selection.protocol: the original evaluator's inner join


def run(data_path: str, submission_path: str, parameters_file: str, output_path: str) -> int:
    params = load_parameters(parameters_file)
    check_output_folder(Path(output_path), Path(submission_path))  # before any work
    results = evaluate(params, Path(data_path), Path(submission_path))
    written = write_results(Path(output_path), results)
    for path in written:
        log.info("wrote %s", shown(path))
    status = report(results)
    log.info("evaluate_selection: wrote %s under %s", ", ".join(p.name for p in written), shown(output_path))
    return status


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
    mappings = submission_files(sel.submissions, list(tests))
    repeats_allowed = sel.protocol == DATAPERF_2022
    if one_submission:  # the evaluate task: one folder, named ONE_SUBMISSION (its files mapping applies)
        found = find_one_selection_submission(submission_root, list(tests), sel.max_train_size,
                                              mappings.get(ONE_SUBMISSION), repeats_allowed)
    else:
        found = find_selection_submissions(submission_root, list(tests), sel.max_train_size, mappings,
                                           repeats_allowed)
    for sub in found.submissions:
        for task, file in sorted(sub.files.items()):
            log.info("submission %s: the training set of %s is %s", sub.name, task, file)
    for stray in found.stray:
        log.warning("ignored %s", stray.message)
    return SelectionInputs(pool_path, specs, pool, tests, found, ignored_files(found, submission_root))


def submission_files(mappings: dict[str, SubmissionFiles], tasks: list[str]) -> dict[str, dict[str, str]]:
    """``selection.submissions.<name>.files`` with task names matched case-insensitively (one-line error if none)."""
    by_fold = {task.casefold(): task for task in tasks}
    resolved: dict[str, dict[str, str]] = {}
    for name, mapping in sorted(mappings.items()):
        resolved[name] = {}
        for key, rel in mapping.files.items():
            if key.casefold() not in by_fold:
                raise InputError(f"selection.submissions.{name}.files.{key}: not a task ({', '.join(tasks)})")
            resolved[name][by_fold[key.casefold()]] = rel
    return resolved


# --------------------------------------------------------------------------- score
Job = tuple[np.ndarray, np.ndarray, np.ndarray, str]  # image_ids, X, labels, task


@dataclass(frozen=True)
class Scored:
    """One fitted (submission, task): its metrics and its 0/1 prediction per test row (for the bootstrap)."""

    metrics: SelectionMetrics
    predicted: np.ndarray
    scores: np.ndarray  # predict_proba of class 1 per test row
    # dataperf_2022 protocol: what the original's inner join did to the file's rows (results.yaml lists them)
    rows_repeated: tuple[dict[str, Any], ...] = ()
    rows_dropped: tuple[dict[str, Any], ...] = ()
    # analysis: F1 after training on the first budget_sizes[i] rows in file order and in a seeded random order
    budget_sizes: list[int] | None = None
    file_order_f1: list[float | None] | None = None
    random_order_f1: list[float | None] | None = None


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

    compatible = params.selection.protocol == DATAPERF_2022
    outcome: dict[str, dict[str, Scored | InputError | int]] = {}
    joins: dict[int, tuple[tuple[dict[str, Any], ...], tuple[dict[str, Any], ...]]] = {}
    jobs: list[Job] = []
    job_rows: list[np.ndarray] = []  # pool rows of each job, for the budget curves
    for sub in inputs.found.submissions:
        outcome[sub.name] = {}
        for task, item in sub.training_sets.items():
            try:
                if isinstance(item, InputError):
                    raise item
                if compatible:
                    kept, rows, dropped = _joined_rows(item, row_of)
                    joins[len(jobs)] = (tuple({"line": line, "ImageID": image_id, "first_line": first}
                                              for image_id, line, first in item.repeats), dropped)
                else:
                    kept, rows = np.arange(len(item.image_ids)), _training_rows(item, row_of, test_owner)
                outcome[sub.name][task] = len(jobs)
                job_rows.append(rows)
                jobs.append((np.asarray(item.image_ids, dtype=object)[kept], pool_X[rows], item.labels[kept], task))
            except InputError as error:
                outcome[sub.name][task] = error
    backend = backend_for(params.execution)
    try:
        shared = {"tests": {t: (s.X, s.y) for t, s in tests.items()}, "classifier": params.selection.classifier}
        scored = backend.map(_fit_and_score, jobs, shared, desc="fits", progress=True)
        step = params.analysis.budget_step if params.analysis.enabled else 0
        if step:
            names = {r: (name, task) for name, parts in outcome.items() for task, r in parts.items()
                     if isinstance(r, int)}
            scored = _budget_curves(scored, jobs, job_rows, names, pool_X, step, params.analysis.seed, backend, shared)
    finally:
        backend.close()
    for job, (repeated, dropped) in joins.items():
        scored[job] = replace(scored[job], rows_repeated=repeated, rows_dropped=dropped)
    return {name: {task: scored[r] if isinstance(r, int) else r for task, r in parts.items()}
            for name, parts in outcome.items()}


def _budget_curves(scored: list[Scored], jobs: list[Job], job_rows: list[np.ndarray],
                   names: dict[int, tuple[str, str]], pool_X: np.ndarray, step: int, seed: int, backend: Backend,
                   shared: dict[str, Any]) -> list[Scored]:
    """Each scored job with its budget curves: the prefixes of its rows (file order, and a seeded random order per
    submission and task) fitted as new jobs; the full set is the leaderboard fit, reused. A prefix holding one
    class gets no F1 (null)."""
    plans: list[tuple[int, int, list[int] | None]] = []  # (job, order kind, index into budget_jobs or None)
    budget_jobs: list[tuple[np.ndarray, np.ndarray, np.ndarray, str]] = []
    orders: dict[int, list[np.ndarray]] = {}
    for r, (image_ids, _, labels, task) in enumerate(jobs):
        n = len(labels)
        file_order = np.arange(n)
        random_order = seeded(seed, *names[r]).permutation(n)
        orders[r] = [file_order, random_order]
        for kind, order in enumerate(orders[r]):
            indices: list[int | None] = []
            for size in budget_sizes(n, step)[:-1]:
                chosen = order[:size]
                if len(np.unique(labels[chosen])) < 2:
                    indices.append(None)
                    continue
                indices.append(len(budget_jobs))
                budget_jobs.append((image_ids[chosen], job_rows[r][chosen], labels[chosen], task))
            plans.append((r, kind, indices))
    f1 = backend.map(_fit_budget, budget_jobs, {**shared, "pool_X": pool_X}, desc="budget fits", progress=True)
    curves: dict[tuple[int, int], list[float | None]] = {}
    for r, kind, indices in plans:
        curves[(r, kind)] = [None if i is None else f1[i] for i in indices] + [scored[r].metrics.f1]
    return [dataclasses.replace(s, budget_sizes=budget_sizes(len(jobs[r][2]), step), file_order_f1=curves[(r, 0)],
                                random_order_f1=curves[(r, 1)]) for r, s in enumerate(scored)]


def _fit_budget(job: tuple[np.ndarray, np.ndarray, np.ndarray, str], tests: dict[str, tuple[np.ndarray, np.ndarray]],
                classifier: dict[str, Any], pool_X: np.ndarray) -> float:
    """One budget point: F1 of the classifier trained on a prefix of a submitted set (pool rows ``rows``)."""
    image_ids, rows, y, task = job
    return _fit_and_score((image_ids, pool_X[rows], y, task), tests, classifier).metrics.f1


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


def _joined_rows(item: SelectionCsv, row_of: dict[str, int]) -> tuple[np.ndarray, np.ndarray,
                                                                         tuple[dict[str, Any], ...]]:
    """The dataperf_2022 protocol: the original's inner join of the file with the pool on ImageID.

    Every row whose ImageID is in the pool is kept (a repeated one as often as it
    appears); the others are dropped, as the join drops them. Returns the kept file
    rows, their pool rows and the dropped rows (line and ImageID).
    """
    kept = [k for k, image_id in enumerate(item.image_ids) if image_id in row_of]
    dropped = tuple({"line": item.lines[k], "ImageID": item.image_ids[k]}
                    for k, image_id in enumerate(item.image_ids) if image_id not in row_of)
    if not kept:
        raise InputError(f"none of the {len(item.image_ids)} ImageID(s) is in the candidate pool", item.path)
    classes = np.unique(item.labels[kept])
    if len(classes) < 2:
        raise InputError(f"every row kept has Confidence {classes[0]}; the classifier needs both classes", item.path)
    rows = np.fromiter((row_of[item.image_ids[k]] for k in kept), dtype=np.int64, count=len(kept))
    return np.asarray(kept, dtype=np.int64), rows, dropped


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
    files = {sub.name: sub.files for sub in inputs.found.submissions}
    compatible = sel.protocol == DATAPERF_2022

    def part(name: str, task: str, v: Scored | InputError) -> dict[str, Any]:
        entry = {"error": v.message} if isinstance(v, InputError) else v.metrics.as_dict()
        if task in files.get(name, {}):
            entry["file"] = files[name][task]
        if compatible and isinstance(v, Scored):
            entry["rows_repeated"] = [dict(r) for r in v.rows_repeated]
            entry["rows_dropped"] = [dict(r) for r in v.rows_dropped]
        return entry

    submissions = {
        name: submission_result(name, {task: part(name, task, v) for task, v in parts.items()}, metric)
        for name, parts in sorted(scores.items())}
    settings = {
        "pool": inputs.pool_path,
        "max_train_size": sel.max_train_size,
        **({"protocol": sel.protocol} if compatible else {}),
        "classifier": describe(sel.classifier),
        "tasks_discovered": not sel.tasks,
        "tasks": {t: {"test_set": s.test_set, "examples": s.examples, "test_size": len(inputs.tests[t].y),
                      "test_positives": int(inputs.tests[t].y.sum())} for t, s in sorted(inputs.specs.items())},
    }
    analysis = _analysis(params, inputs, scores, submissions) if params.analysis.enabled else None
    results = Results(SELECTION_FORMAT, settings, submissions, ignored=inputs.ignored, leaderboard=metric,
                      analysis=analysis)
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


def _analysis(params: Parameters, inputs: SelectionInputs, scores: dict[str, dict[str, Scored | InputError]],
              submissions: dict) -> dict[str, Any]:
    """Per task: hard test images over the valid, non-reference submissions; budget use, curves and fits."""
    step = params.analysis.budget_step
    ranked_names = [n for n, sub in submissions.items() if sub.valid and not is_reference(n)]
    tasks = {}
    for task, test in inputs.tests.items():
        fitted = {name: parts[task] for name, parts in sorted(scores.items()) if isinstance(parts.get(task), Scored)}
        tasks[task] = selection_task(
            test.ids, test.y, {n: s.predicted for n, s in fitted.items()}, [n for n in ranked_names if n in fitted],
            {n: s.metrics.f1 for n, s in fitted.items()}, {n: s.metrics.train_size for n, s in fitted.items()},
            params.selection.max_train_size,
            *(({n: s.budget_sizes for n, s in fitted.items()}, {n: s.file_order_f1 for n, s in fitted.items()},
               {n: s.random_order_f1 for n, s in fitted.items()}) if step else (None, None, None)))
    return {"settings": {"budget_step": step or None, "seed": params.analysis.seed,
                         "hard_examples": "misclassified by more than half of the valid, non-reference submissions"},
            "tasks": tasks}


def evaluate(params: Parameters, data_root: Path, submission_root: Path) -> Results:
    """Score all submissions; resource problems raise, submission problems are recorded."""
    inputs = gather(params, data_root, submission_root)
    return build(params, inputs, score(params, inputs))
