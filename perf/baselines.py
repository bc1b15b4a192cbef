"""Scores and times of every reference baseline, on the demo data and on synthetic DataPerf-sized data.

    .venv/bin/python perf/baselines.py [--workdir DIR] [--pool-rows N] [--data-ids N] [--random-seeds N]

For each source it downloads the data into a fresh workspace, runs the baselines
through the harness, as select_baselines and debug_baselines do (each call timed at full precision;
the time files hold the rounded-up values), scores
them with the harness's own evaluation, and prints Markdown tables. Debugging
"random (expected)" is the mean score of ``--random-seeds`` seeded permutations,
the fair reference for a single random draw.

Synthetic: a pool of ``--pool-rows`` x 256 (float64, part files of 100k rows, 5%
positives per concept, 3 concepts, balanced 500-row test sets); debugging sets of
300 training, 100 validation and 500 test rows x 2048-d with 30% flipped labels.
"""
from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmark.formats.parameters import load_parameters  # noqa: E402
from benchmark.formats.results import to_document  # noqa: E402
from benchmark.formats.submissions import write_ordering  # noqa: E402
from benchmark.logs import setup  # noqa: E402
from benchmark.methods import debugging as dbg  # noqa: E402
from benchmark.methods import harness, registry  # noqa: E402
from benchmark.tasks import TASKS  # noqa: E402
from benchmark.tasks.evaluate_debugging import evaluate as evaluate_debugging  # noqa: E402
from benchmark.tasks.evaluate_selection import evaluate as evaluate_selection  # noqa: E402


def synthetic_parameters(pool_rows: int, data_ids: int) -> dict:
    tasks = ("Cupcake", "Hawk", "Sushi")
    ids = [f"s{i + 1}" for i in range(data_ids)]
    return {
        "download": {"source": "synthetic", "write_examples": False, "synthetic": {
            "pool_rows": pool_rows, "rows_per_part": 100_000, "dim": 256, "test_rows": 500, "example_rows": 5,
            "positive_rate": 0.05, "debugging_train_rows": 300, "debugging_val_rows": 100,
            "debugging_test_rows": 500, "debugging_dim": 2048, "noise": 0.3, "seed": 0}},
        "selection": {"pool": "embeddings/train_emb_256_dataperf.parquet", "tasks": {
            t: {"test_set": f"test_sets/alpha_test_set_{t}_256.parquet",
                "examples": f"examples/alpha_example_set_{t}.csv"} for t in tasks}},
        "debugging": {"data_ids": {d: {
            "train": f"embeddings/{d}_train_0.3_300.parquet", "val": f"embeddings/{d}_val_100.parquet",
            "test": f"embeddings/{d}_test_500.parquet", "ground_truth": f"ground_truth/dataset_{d}_train.csv"}
            for d in ids}},
    }


def prepare(workspace: Path, source: str, args: argparse.Namespace) -> Path:
    if workspace.exists():
        shutil.rmtree(workspace)
    workspace.mkdir(parents=True)
    params_file = workspace / "parameters.yaml"
    if source == "demo":
        shutil.copy(ROOT / "workspace" / "parameters.yaml", params_file)
    else:
        params_file.write_text(yaml.safe_dump(synthetic_parameters(args.pool_rows, args.data_ids)))
    TASKS["download"].run(parameters_file=str(params_file), output_path=str(workspace / "data"),
                          submission_path=str(workspace / "examples"))
    return params_file


def run_selection(workspace: Path, params_file: Path) -> tuple[dict, dict]:
    """The built-ins through the harness, as select_baselines runs them."""
    params = load_parameters(params_file)
    data, out = workspace / "data", workspace / "submissions" / "selection"
    start = time.perf_counter()
    summary = harness.run_selection_methods(params, data, out, list(registry.BUILT_IN["selection"]))
    seconds = {"whole run": time.perf_counter() - start}
    seconds.update({method: sum(parts.values()) for method, parts in summary.seconds.items()})
    notes = {}
    for method in summary.seconds:
        for task in sorted(summary.seconds[method]):
            labels = pd.read_csv(out / method / f"{task}.csv")["Confidence"]
            notes.setdefault(method, []).append(f"{task}: {len(labels)} rows, {int(labels.sum())} positive")
    results = to_document(evaluate_selection(params, data, out))
    return results, {"seconds": seconds, "notes": notes}


def run_debugging(workspace: Path, params_file: Path, random_seeds: int) -> tuple[dict, dict]:
    params = load_parameters(params_file)
    data, out = workspace / "data", workspace / "submissions" / "debugging"
    summary = harness.run_debugging_methods(params, data, out, list(registry.BUILT_IN["debugging"]))
    seconds: dict[str, list[float]] = {method: list(parts.values()) for method, parts in summary.seconds.items()}
    for data_id, participant in dbg.load_participant_data(params, data).items():
        n = len(participant.train.y)
        for r in range(random_seeds):
            order = np.random.default_rng([1000 + r, n]).permutation(n)
            write_ordering(out, data_id, f"zrandomref{r}", order, 0.0)
        # the oracle: every wrong label first (it reads the ground truth, which no method may)
        truth = pd.read_csv(data / "debugging" / params.debugging.data_ids[data_id].ground_truth, dtype={"ImageID": str})
        clean = truth.set_index("ImageID")["hv_label"].loc[list(participant.train.ids)].to_numpy()
        wrong = clean != participant.train.y
        write_ordering(out, data_id, "oracle", np.concatenate([np.flatnonzero(wrong), np.flatnonzero(~wrong)]), 0.0)
    results = to_document(evaluate_debugging(params, data, out)[0])
    return results, {"seconds": seconds}


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def report(source: str, sel_results: dict, sel_extra: dict, dbg_results: dict, dbg_extra: dict,
           random_seeds: int, setup_seconds: float) -> str:
    out = [f"## {source}", "", f"data generation: {setup_seconds:.1f} s", ""]
    subs = sel_results["submissions"]
    tasks = sorted(sel_results["settings"]["tasks"])
    rows = []
    for name in sorted(subs):
        s = subs[name]
        cells = [f"{s['tasks'][t]['f1']:.3f}" if "f1" in s["tasks"].get(t, {}) else "invalid" for t in tasks]
        secs = sel_extra["seconds"].get(name)
        ap = [s["tasks"][t]["average_precision"] for t in tasks if "average_precision" in s["tasks"].get(t, {})]
        positives = [s["tasks"][t]["train_positives"] / s["tasks"][t]["train_size"] for t in tasks
                     if "train_size" in s["tasks"].get(t, {})]
        rows.append([name, *cells, "invalid" if s["mean_f1"] is None else f"{s['mean_f1']:.3f}",
                     f"{np.mean(ap):.3f}" if ap else "", f"{np.mean(positives):.2f}" if positives else "",
                     "" if secs is None else f"{secs:.2f}"])
    out += ["Selection: F1 per task (higher is better); seconds: each method's calls for all tasks, measured "
            f"by the harness (the whole run, shared pool passes included: {sel_extra['seconds']['whole run']:.2f} s)",
            "",
            table(["submission", *tasks, "mean F1", "mean AP", "positive share", "seconds"], rows), "",
            "F1 of predicting every test row positive: "
            + ", ".join(f"{t} {2 * p / (1 + p):.3f}" for t, p in
                        ((t, sel_results["settings"]["tasks"][t]["test_positives"]
                          / sel_results["settings"]["tasks"][t]["test_size"]) for t in tasks)), ""]
    subs = dbg_results["submissions"]
    ids = sorted(dbg_results["data_ids"])
    refs = [n for n in subs if n.startswith("zrandomref")]
    rows = []
    for name in sorted(n for n in subs if not n.startswith("zrandomref")):
        s = subs[name]
        cells = [f"{s['data_ids'][d]['score']:.3f}" for d in ids]
        precision = np.mean([s["data_ids"][d]["precision_at_m"] for d in ids])
        secs = dbg_extra["seconds"].get(name)
        rows.append([name, *cells, f"{s['mean_score']:.4f}", f"{precision:.3f}",
                     "" if secs is None else f"{np.mean(secs):.4f}"])
    expected = [np.mean([subs[r]["data_ids"][d]["score"] for r in refs]) for d in ids]
    precision = np.mean([subs[r]["data_ids"][d]["precision_at_m"] for r in refs for d in ids])
    rows.append([f"random (expected, {random_seeds} seeds)", *[f"{e:.3f}" for e in expected],
                 f"{np.mean(expected):.4f}", f"{precision:.3f}", ""])
    out += ["Debugging: fraction of rows inspected to reach 95% of clean accuracy (lower is better); "
            "precision among the first m rows (m = number of mislabeled rows); mean seconds per data_id", "",
            table(["submission", *ids, "mean score", "precision@m", "seconds"], rows), ""]
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=None, help="where to build the workspaces (default: a temp dir)")
    parser.add_argument("--pool-rows", type=int, default=200_000, help="synthetic pool rows (default: %(default)s)")
    parser.add_argument("--data-ids", type=int, default=4, help="synthetic debugging data_ids (default: %(default)s)")
    parser.add_argument("--random-seeds", type=int, default=10, help="random orders for the expected random score")
    parser.add_argument("--sources", default="demo,synthetic")
    args = parser.parse_args()
    setup(False)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="baselines-bench-"))
    sections = []
    for source in args.sources.split(","):
        workspace = workdir / source
        start = time.perf_counter()
        params_file = prepare(workspace, source, args)
        setup_seconds = time.perf_counter() - start
        sel_results, sel_extra = run_selection(workspace, params_file)
        dbg_results, dbg_extra = run_debugging(workspace, params_file, args.random_seeds)
        sections.append(report(source, sel_results, sel_extra, dbg_results, dbg_extra, args.random_seeds,
                               setup_seconds))
        print(sections[-1], flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of the whole run: {peak:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
