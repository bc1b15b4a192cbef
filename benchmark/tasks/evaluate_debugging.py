"""evaluate_debugging: score every inspection order under submission_path."""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from ..debugging import CleaningEvaluator, score_curve
from ..errors import InputError
from ..execution import Backend, backend_for
from ..logs import log
from ..parameters import Parameters, load_parameters
from ..resources import DebuggingData, load_debugging_data
from ..results import atomic_write_text, write_yaml
from ..submissions import read_ordering, read_time, require_folder, split_debugging_name

RESULTS_FILE = "results.yaml"
CURVES_FILE = "curves.csv"


def run(data_path: str, submission_path: str, parameters_file: str, output_path: str) -> int:
    params = load_parameters(parameters_file)
    results, curves = evaluate(params, Path(data_path), Path(submission_path), progress=True)
    out = Path(output_path)
    atomic_write_text(out / CURVES_FILE, curves_csv(curves))
    write_yaml(out / RESULTS_FILE, results)
    for name, s in results["submissions"].items():
        if s["valid"]:
            log.info("%s: mean score %.4f (fraction of fixes, lower is better)", name, s["mean_score"])
        for error in s["errors"]:
            log.error("%s", error)
    log.info("wrote %s and %s", out / RESULTS_FILE, out / CURVES_FILE)
    return 0 if all(s["valid"] for s in results["submissions"].values()) else 1


def load_all(params: Parameters, data_root: Path) -> dict[str, DebuggingData]:
    root = data_root / "debugging"
    if not params.debugging.data_ids:
        raise InputError("parameters define no debugging data_ids")
    return {data_id: load_debugging_data(data_id, root, spec.train, spec.test, spec.ground_truth, spec.val)
            for data_id, spec in sorted(params.debugging.data_ids.items())}


def find_orderings(submission_root: Path, data_ids: list[str]) -> tuple[dict[str, dict[str, Path]], list[InputError]]:
    """{method: {data_id: path}} for files named <data_id>_<method>.txt, and errors for the rest."""
    require_folder(submission_root)
    methods: dict[str, dict[str, Path]] = defaultdict(dict)
    stray: list[InputError] = []
    for path in sorted(submission_root.iterdir()):
        if not path.is_file() or path.name.startswith(".") or path.name.startswith("time_"):
            continue
        split = split_debugging_name(path.name, data_ids)
        if split is None:
            stray.append(InputError(
                f"file name is not <data_id>_<method>.txt for a known data_id ({', '.join(data_ids)})", path))
            continue
        data_id, method = split
        methods[method][data_id] = path
    if not methods and not stray:
        raise InputError("no submission files (expected <data_id>_<method>.txt)", submission_root)
    return dict(methods), stray


def evaluate(params: Parameters, data_root: Path, submission_root: Path,
             progress: bool = False) -> tuple[dict[str, Any], list[tuple[str, str, np.ndarray]]]:
    dbg = params.debugging
    datasets = load_all(params, data_root)
    methods, stray = find_orderings(submission_root, sorted(datasets))
    backend = backend_for(params)
    try:
        return _evaluate(params, datasets, methods, stray, submission_root, backend, progress)
    finally:
        backend.close()


def _evaluate(params: Parameters, datasets: dict[str, DebuggingData], methods: dict[str, dict[str, Path]],
              stray: list[InputError], submission_root: Path, backend: Backend,
              progress: bool) -> tuple[dict[str, Any], list[tuple[str, str, np.ndarray]]]:
    dbg = params.debugging
    entries: dict[str, dict[str, Any]] = {m: {} for m in methods}
    curves: list[tuple[str, str, np.ndarray]] = []
    summaries: dict[str, Any] = {}

    for data_id, data in tqdm(datasets.items(), desc="data_ids", unit="data_id", disable=not progress):
        n = len(data.train.y)
        orders: dict[str, np.ndarray] = {}
        times: dict[str, float | None] = {}
        for method in sorted(methods):
            path = methods[method].get(data_id)
            if path is None:
                entries[method][data_id] = {"error": f"{submission_root / f'{data_id}_{method}.txt'}: "
                                                     f"no ordering for data_id {data_id}"}
                continue
            try:
                orders[method] = read_ordering(path, n)
                time_path = path.with_name(f"time_{path.name}")
                times[method] = read_time(time_path) if time_path.exists() else None
            except InputError as error:
                orders.pop(method, None)
                entries[method][data_id] = {"error": error.message}
        evaluator = CleaningEvaluator(data.train.X, data.train.y, data.clean_labels, data.test.X, data.test.y,
                                      dbg.classifier, progress=progress, label=data_id, backend=backend)
        names = sorted(orders)
        for method, curve in zip(names, evaluator.curves([orders[m] for m in names])):
            result = score_curve(curve, evaluator.clean_accuracy, orders[method], data.mislabeled,
                                 dbg.target_ratio, times[method])
            entries[method][data_id] = result.as_dict()
            curves.append((method, data_id, curve))
        noisy_curve = evaluator.curve([])
        summaries[data_id] = {
            "n_train": n,
            "n_mislabeled": int(data.mislabeled.sum()),
            "n_test": len(data.test.y),
            "before_acc": float(noisy_curve[0]),
            "clean_acc": evaluator.clean_accuracy,
            "target_acc": dbg.target_ratio * evaluator.clean_accuracy,
            "fits": evaluator.fits,
        }

    submissions: dict[str, Any] = {}
    for method in sorted(entries):
        per_id = {d: entries[method][d] for d in sorted(entries[method])}
        errors = [e["error"] for e in per_id.values() if "error" in e]
        valid = not errors
        submissions[method] = {
            "valid": valid,
            "mean_score": float(np.mean([per_id[d]["score"] for d in sorted(per_id)])) if valid else None,
            "errors": errors,
            "data_ids": per_id,
        }
    for error in stray:
        name = Path(error.path).stem if error.path else "unknown"
        submissions.setdefault(name, {"valid": False, "mean_score": None, "errors": [], "data_ids": {}})
        submissions[name]["valid"] = False
        submissions[name]["errors"].append(error.message)

    results = {
        "benchmark": "dataperf-vision-debugging",
        "leaderboard_metric": "mean_score",
        "settings": {
            "target_ratio": dbg.target_ratio,
            "classifier": {"name": "LogisticRegression", "random_state": 0, **dbg.classifier},
        },
        "data_ids": summaries,
        "submissions": {name: submissions[name] for name in sorted(submissions)},
    }
    return results, sorted(curves, key=lambda c: (c[0], c[1]))


def curves_csv(curves: list[tuple[str, str, np.ndarray]]) -> str:
    """Every point of every curve: submission,data_id,fixes,accuracy (fixes = 0..len(order))."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["submission", "data_id", "fixes", "accuracy"])
    for method, data_id, curve in curves:
        for k, accuracy in enumerate(curve):
            writer.writerow([method, data_id, k, repr(float(accuracy))])
    return buffer.getvalue()
