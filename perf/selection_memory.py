"""Selection evaluation on a DataPerf-sized pool: filtered scan vs read-everything, in one invocation.

    .venv/bin/python perf/selection_memory.py [--rows 2000000] [--parts 72] [--workdir build/bench-selection]

Generates (once; reused while the parameters match) a synthetic candidate pool of
--rows x 256 float64 embeddings in --parts Spark-style part files, three tasks with
500-row test sets, and three submissions of 1,000 rows per task. Then it runs, each
in its own process so peak RSS is that process's own:
  * ours:  ``python -m benchmark evaluate_selection`` (one filtered pyarrow scan);
  * naive: pandas.read_parquet of the whole pool, merge, the same LogisticRegression;
  * the floor: a bare pyarrow decode of the pool, plus the time to import the evaluation.
It prints wall time and peak RSS of each, ours against the floor, and checks that the
mean F1 agree. ``--parts 1`` writes the pool as one file of 50,000-row row groups. The pool's
files are read once before anything is timed, so that no side pays for a cold page cache.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TASKS = ["Cupcake", "Hawk", "Sushi"]

NAIVE = r'''
import json, sys
import numpy as np, pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
work = sys.argv[1]
pool = pd.read_parquet(f"{work}/data/selection/embeddings/train_emb_256_dataperf.parquet")
means = {}
for sub in sorted(__import__("os").listdir(f"{work}/submissions/selection")):
    f1s = []
    for task in ["Cupcake", "Hawk", "Sushi"]:
        train = pd.read_csv(f"{work}/submissions/selection/{sub}/{task}.csv", dtype={"ImageID": str})
        joined = train.merge(pool, on="ImageID").sort_values("ImageID")
        X = np.stack(joined["embedding"].to_numpy()).astype(np.float64)
        test = pd.read_parquet(f"{work}/data/selection/test_sets/alpha_test_set_{task}_256.parquet")
        model = LogisticRegression(random_state=0).fit(X, joined["Confidence"].to_numpy())
        pred = model.predict(np.stack(test["embedding"].to_numpy()).astype(np.float64))
        f1s.append(f1_score(test["Confidence"].astype(int), pred, zero_division=0))
    means[sub] = float(np.mean(f1s))
print(json.dumps(means))
'''

# The floor: decoding every row of the pool once with pyarrow (one thread, streamed), nothing kept.
BARE = r'''
import sys
import pyarrow.dataset as ds
rows = 0
for batch in ds.dataset(sys.argv[1], format="parquet").to_batches(columns=["ImageID", "embedding"], use_threads=False):
    rows += batch.num_rows
print(rows)
'''
IMPORTS = "import benchmark.tasks.evaluate_selection, sklearn.linear_model"


def parameters(rows: int, parts: int) -> dict:
    return {
        "download": {"source": "synthetic", "write_examples": False,
                     "synthetic": {"pool_rows": rows, "rows_per_part": -(-rows // parts), "dim": 256,
                                   "test_rows": 500, "seed": 0}},
        "selection": {"pool": "embeddings/train_emb_256_dataperf.parquet",
                      "tasks": {t: {"test_set": f"test_sets/alpha_test_set_{t}_256.parquet",
                                    "examples": f"examples/alpha_example_set_{t}.csv"} for t in TASKS}},
    }


def prepare(work: Path, rows: int, parts: int) -> Path:
    from benchmark.formats.submissions import write_training_set
    from benchmark.sources import layout

    params = parameters(rows, parts)
    params_file = work / "parameters.yaml"
    marker = work / "data" / ".generated-with"
    if not (marker.exists() and marker.read_text() == json.dumps(params)):
        work.mkdir(parents=True, exist_ok=True)
        params_file.write_text(yaml.safe_dump(params))
        start = time.perf_counter()
        # in a child process: a forked child inherits this process's peak RSS (ru_maxrss)
        subprocess.run([sys.executable, "-m", "benchmark", "download", f"--parameters_file={params_file}",
                        f"--output_path={work / 'data'}"], cwd=ROOT, check=True)
        print(f"generated the pool in {time.perf_counter() - start:.0f} s", file=sys.stderr)
        marker.write_text(json.dumps(params))
    rng = np.random.default_rng(1)
    for s in range(3):
        for task in TASKS:
            idx = np.sort(rng.choice(rows, size=1000, replace=False))
            ids = [layout.image_ids("pool-0", 1, int(i))[0] for i in idx]
            labels = np.arange(1000) % 2  # any honest 0/1 labels; this run measures cost
            write_training_set(work / "submissions" / "selection" / f"sub{s}", task, ids, labels)
    return params_file


def measure(command: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MiB (of that process alone), stdout."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0,):
        raise SystemExit(f"{command[:3]} exited with {proc.returncode}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024, out


def warm(pool: Path) -> None:
    """Read every pool file once, so that no side pays for a cold page cache (the first one would)."""
    for path in sorted(pool.rglob("*") if pool.is_dir() else [pool]):
        if path.is_file():
            with open(path, "rb") as handle:
                while handle.read(1 << 24):
                    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--parts", type=int, default=72)
    parser.add_argument("--workdir", type=Path, default=ROOT / "build" / "bench-selection")
    parser.add_argument("--skip-naive", action="store_true")
    args = parser.parse_args()
    work = args.workdir.resolve()
    params_file = prepare(work, args.rows, args.parts)
    out = work / "results"
    pool = work / "data" / "selection" / "embeddings" / "train_emb_256_dataperf.parquet"
    warm(pool)
    ours_s, ours_mb, _ = measure([sys.executable, "-m", "benchmark", "evaluate_selection",
                                  f"--data_path={work / 'data'}", f"--submission_path={work / 'submissions' / 'selection'}",
                                  f"--parameters_file={params_file}", f"--output_path={out}"])
    ours = {k: v["mean_f1"] for k, v in yaml.safe_load((out / "results.yaml").read_text())["submissions"].items()}
    bare_s, bare_mb, _ = measure([sys.executable, "-c", BARE, str(pool)])
    imports_s, _, _ = measure([sys.executable, "-c", IMPORTS])
    print(f"pool: {args.rows:,} rows x 256 float64 in {args.parts} part file(s), 50,000-row row groups; "
          f"3 submissions x 3 tasks x 1,000 rows; load average {os.getloadavg()[0]:.1f}")
    print(f"ours  (filtered pyarrow scan): {ours_s:7.1f} s  peak RSS {ours_mb:8.0f} MiB")
    print(f"floor (bare pyarrow decode {bare_s:.1f} s, peak RSS {bare_mb:.0f} MiB; imports {imports_s:.1f} s): "
          f"ours takes {ours_s / (bare_s + imports_s):.2f}x the decode plus imports")
    if not args.skip_naive:
        naive_s, naive_mb, naive_out = measure([sys.executable, "-c", NAIVE, str(work)])
        naive = json.loads(naive_out)
        print(f"naive (pandas read + merge):   {naive_s:7.1f} s  peak RSS {naive_mb:8.0f} MiB")
        print(f"ratio: {naive_mb / ours_mb:.1f}x less memory, {naive_s / ours_s:.1f}x faster; "
              f"mean F1 identical: {naive == ours}")


if __name__ == "__main__":
    main()
