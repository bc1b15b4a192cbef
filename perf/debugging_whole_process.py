"""evaluate_debugging as a whole process (the CLI, imports included) vs the every-step scikit-learn loop.

    .venv/bin/python perf/debugging_whole_process.py [--n 300] [--dim 2048] [--n-test 500] [--data-ids 2]
        [--n-jobs 1] [--repeat 3] [--naive-sample K] [--workdir build/whole]

Writes a workspace with two data_ids (hyphenated, like DataPerf's; ``--data-ids 1`` for one) of realistic
low-rank embeddings (the synthetic source's :class:`LowRankEmbedding`: decaying
spectrum plus noise; 30% flipped labels), three random inspection orders each,
then in one invocation: times ``python -m benchmark evaluate_debugging`` in a
fresh process (BLAS limited to one thread; ``--n-jobs`` worker processes; the median of
``--repeat`` runs), runs the naive loop (one scikit-learn
fit per step, raw embeddings, one BLAS thread) on the same files, and prints both
times, the ratio, and whether every curve in curves.csv equals the naive loop's.
``--naive-sample K`` fits only K steps per order, evenly spaced along it, compares
acc(k) there and extrapolates the loop's time (marked "est.").
"""
from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmark.formats.submissions import write_ordering  # noqa: E402
from benchmark.scoring.debugging.corrected import DEFAULT_CLASSIFIER, fit_accuracy, naive_curve  # noqa: E402
from benchmark.sources import layout  # noqa: E402
from benchmark.sources.synthetic import LowRankEmbedding, condition_number  # noqa: E402

DATA_IDS = ("01g317-flipped", "02h144-flipped")
METHODS = ("random_a", "random_b", "random_c")


def write_workspace(root: Path, n: int, dim: int, n_test: int, data_ids: tuple[str, ...], n_jobs: int
                    ) -> dict[str, dict]:
    data, subs = root / "data" / "debugging", root / "submissions" / "debugging"
    problems: dict[str, dict] = {}
    specs = {}
    for d, data_id in enumerate(data_ids):
        rng = np.random.default_rng([2026, d])
        embedding = LowRankEmbedding(rng, dim)
        X, clean = embedding.classes(rng, n)
        tX, ty = embedding.classes(rng, n_test)
        noisy = layout.flip_labels(clean, 0.3, rng)
        ids = layout.image_ids(f"{data_id}-train", n)
        spec = {"train": f"embeddings/{data_id}_train.parquet", "test": f"embeddings/{data_id}_test.parquet",
                "ground_truth": f"ground_truth/{data_id}.csv"}
        layout.write_table(data / spec["train"], layout.debugging_table(ids, X, noisy))
        layout.write_table(data / spec["test"], layout.debugging_table(layout.image_ids(f"{data_id}-test", n_test), tX, ty))
        layout.write_ground_truth(data / spec["ground_truth"], ids, clean)
        orders = {m: rng.permutation(n) for m in METHODS}
        for method, order in orders.items():
            write_ordering(subs, data_id, method, order, None)
        specs[data_id] = spec
        problems[data_id] = {"X": X.astype(np.float64), "noisy": noisy, "clean": clean,
                             "tX": tX.astype(np.float64), "ty": ty, "orders": orders}
    params = {"download": {"source": "synthetic"},
              "debugging": {"classifier": dict(DEFAULT_CLASSIFIER), "data_ids": specs},
              "execution": {"n_jobs": n_jobs}}
    (root / "parameters.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    return problems


def read_curves(path: Path) -> dict[tuple[str, str], np.ndarray]:
    points: dict[tuple[str, str], list[float]] = {}
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            points.setdefault((row["submission"], row["data_id"]), []).append(float(row["accuracy"]))
    return {key: np.array(values) for key, values in points.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--dim", type=int, default=2048)
    parser.add_argument("--n-test", type=int, default=500)
    parser.add_argument("--workdir", default=str(ROOT / "build" / "whole"))
    parser.add_argument("--data-ids", type=int, default=2, choices=(1, 2), help="how many data_ids to write")
    parser.add_argument("--n-jobs", type=int, default=1, help="execution.n_jobs of the evaluation")
    parser.add_argument("--repeat", type=int, default=3, help="evaluations timed (the median is reported)")
    parser.add_argument("--naive-sample", type=int, default=0, help="naive steps timed per order (0: all)")
    args = parser.parse_args()
    root = Path(args.workdir)
    problems = write_workspace(root, args.n, args.dim, args.n_test, DATA_IDS[: args.data_ids], args.n_jobs)
    one_thread = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    output = root / "results" / "debugging"
    command = [sys.executable, "-m", "benchmark", "evaluate_debugging", f"--data_path={root / 'data'}",
               f"--submission_path={root / 'submissions' / 'debugging'}",
               f"--parameters_file={root / 'parameters.yaml'}", f"--output_path={output}"]
    runs = []
    for _ in range(args.repeat):     # the median of a few runs: the first after a code change also compiles bytecode
        start = time.perf_counter()
        finished = subprocess.run(command, cwd=ROOT, env=one_thread, check=True, stderr=subprocess.PIPE, text=True)
        runs.append(time.perf_counter() - start)
    fast_s = float(np.median(runs))
    certificate = [line for line in finished.stderr.splitlines() if "test predictions certified" in line]
    written = read_curves(output / "curves.csv")

    from threadpoolctl import threadpool_limits

    naive_s, fits, identical, mark = 0.0, 0, True, ""
    with threadpool_limits(1):
        for data_id, p in problems.items():
            for method, order in p["orders"].items():
                start = time.perf_counter()
                if args.naive_sample:
                    steps = np.unique(np.linspace(0, len(order), args.naive_sample).round().astype(int))
                    curve = []
                    for k in steps:
                        labels = p["noisy"].copy()
                        labels[order[:k]] = p["clean"][order[:k]]
                        curve.append(fit_accuracy(p["X"], labels, p["tX"], p["ty"], DEFAULT_CLASSIFIER))
                    expected = written[(method, data_id)][steps]
                else:
                    curve = naive_curve(p["X"], p["noisy"], p["clean"], p["tX"], p["ty"], order, DEFAULT_CLASSIFIER)
                    expected = written[(method, data_id)]
                naive_s += time.perf_counter() - start
                fits += len(curve)
                identical &= np.array_equal(np.asarray(curve), expected)
    total_fits = len(problems) * len(METHODS) * (args.n + 1)
    if fits < total_fits:
        naive_s, mark = naive_s / fits * total_fits, " (est.)"
    cond = [condition_number(p["X"]) for p in problems.values()]
    print(f"{len(problems)} data_ids x {len(METHODS)} orders, N={args.n}, {args.dim}-d, {args.n_test} test rows, "
          f"condition numbers {', '.join(f'{c:.0f}' for c in cond)}; load average {os.getloadavg()[0]:.1f}")
    print(f"evaluate_debugging (whole process, n_jobs {args.n_jobs}): {fast_s:8.2f} s   (median of "
          f"{', '.join(f'{r:.2f}' for r in runs)})")
    for line in certificate:
        print(f"  {line}")
    print(f"naive loop, {total_fits} sklearn fits: {naive_s:8.2f} s{mark}   ({fits} fits run)")
    what = "at the sampled steps" if args.naive_sample else "everywhere"
    print(f"ratio {naive_s / fast_s:.1f}x   curves identical {what}: {identical}")


if __name__ == "__main__":
    main()
