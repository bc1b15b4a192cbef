"""evaluate_selection: score every submission folder on every selection task."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from threadpoolctl import threadpool_limits

from ..errors import InputError, ResourceError
from ..execution import aligned, backend_for
from ..logs import log
from ..parameters import Parameters, load_parameters
from ..resources import CandidatePool, read_test_set
from ..results import write_yaml
from ..selection import SelectionMetrics, mean_f1, score_training_set
from ..submissions import SelectionCsv, read_selection_csv, require_folder

RESULTS_FILE = "results.yaml"


def run(data_path: str, submission_path: str, parameters_file: str, output_path: str) -> int:
    params = load_parameters(parameters_file)
    results = evaluate(params, Path(data_path), Path(submission_path))
    out = Path(output_path) / RESULTS_FILE
    write_yaml(out, results)
    invalid = [name for name, s in results["submissions"].items() if not s["valid"]]
    for name, s in results["submissions"].items():
        if s["valid"]:
            log.info("%s: mean F1 %.4f", name, s["mean_f1"])
        for error in s["errors"]:
            log.error("%s", error)
    log.info("wrote %s", out)
    return 1 if invalid else 0


def find_submissions(submission_root: Path) -> list[Path]:
    require_folder(submission_root)
    folders = sorted(p for p in submission_root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise InputError("no submission folders (expected <submission_name>/<Task>.csv)", submission_root)
    return folders


def evaluate(params: Parameters, data_root: Path, submission_root: Path) -> dict[str, Any]:
    """Score all submissions; resource problems raise, submission problems are recorded."""
    sel = params.selection
    root = data_root / "selection"
    if not sel.tasks:
        raise InputError("parameters define no selection tasks")
    pool = CandidatePool(root / sel.pool)
    tests = {task: read_test_set(root / spec.test_set) for task, spec in sorted(sel.tasks.items())}
    dims = {t: s.X.shape[1] for t, s in tests.items()}
    if len(set(dims.values())) > 1:
        first, other = sorted(dims)[0], next(t for t in sorted(dims) if dims[t] != dims[sorted(dims)[0]])
        raise ResourceError(f"embeddings have dimension {dims[other]}, but {dims[first]} in the test set "
                            f"of {first}", root / sel.tasks[other].test_set)
    test_owner = {image_id: task for task, s in tests.items() for image_id in s.ids}

    folders = find_submissions(submission_root)
    parsed: dict[str, dict[str, SelectionCsv | InputError]] = {}
    for folder in folders:
        parsed[folder.name] = {}
        for task in tests:
            try:
                parsed[folder.name][task] = read_selection_csv(folder / f"{task}.csv", sel.max_train_size)
            except InputError as error:
                parsed[folder.name][task] = error

    # One scan of the pool for the union of every submitted ImageID.
    wanted = {i for files in parsed.values() for f in files.values()
              if isinstance(f, SelectionCsv) for i in f.image_ids}
    log.info("scanning the candidate pool for %d distinct ImageIDs", len(wanted))
    pool_ids, pool_X = pool.lookup(wanted, expected_dim=next(iter(dims.values())))
    row_of = {image_id: i for i, image_id in enumerate(pool_ids)}

    # Validate every (submission, task) here; the fits of the valid ones are independent jobs.
    outcome: dict[tuple[str, str], InputError | int] = {}
    jobs: list[tuple[np.ndarray, np.ndarray, np.ndarray, str]] = []
    for name, files in parsed.items():
        for task, item in files.items():
            try:
                if isinstance(item, InputError):
                    raise item
                rows = _training_rows(item, row_of, test_owner)
                outcome[(name, task)] = len(jobs)
                jobs.append((np.asarray(item.image_ids, dtype=object), pool_X[rows], item.labels, task))
            except InputError as error:
                outcome[(name, task)] = error
    backend = backend_for(params)
    try:
        shared = {"tests": {t: (s.X, s.y) for t, s in tests.items()}, "classifier": sel.classifier}
        scored = backend.map(_fit_and_score, jobs, shared, desc="fits", progress=True)
    finally:
        backend.close()

    submissions: dict[str, Any] = {}
    for name, files in parsed.items():
        task_results: dict[str, Any] = {}
        metrics: dict[str, SelectionMetrics] = {}
        errors: list[str] = []
        for task in files:
            result = outcome[(name, task)]
            if isinstance(result, InputError):
                task_results[task] = {"error": result.message}
                errors.append(result.message)
            else:
                metrics[task] = scored[result]
                task_results[task] = metrics[task].as_dict()
        valid = not errors
        submissions[name] = {
            "valid": valid,
            "mean_f1": mean_f1(metrics) if valid else None,
            "errors": errors,
            "tasks": task_results,
        }
    return {
        "benchmark": "dataperf-vision-selection",
        "leaderboard_metric": "mean_f1",
        "settings": {
            "pool": sel.pool,
            "max_train_size": sel.max_train_size,
            "classifier": {"name": "LogisticRegression", "random_state": 0, **sel.classifier},
            "tasks": {t: {"test_set": s.test_set, "test_size": len(tests[t].y),
                          "test_positives": int(tests[t].y.sum())} for t, s in sorted(sel.tasks.items())},
        },
        "submissions": submissions,
    }


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


def _fit_and_score(job: tuple[np.ndarray, np.ndarray, np.ndarray, str],
                   tests: dict[str, tuple[np.ndarray, np.ndarray]], classifier: dict[str, Any]) -> SelectionMetrics:
    """One job: train on a submitted training set, score on its task's test set."""
    image_ids, X, y, task = job
    test_X, test_y = tests[task]
    X, test_X = aligned(X), aligned(test_X)
    with threadpool_limits(1):  # same floats in any process
        return score_training_set(image_ids, X, y, test_X, test_y, classifier)
