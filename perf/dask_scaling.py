"""Debugging evaluation of many submissions: local with 1 and 2 processes vs a Dask LocalCluster.

    .venv/bin/python perf/dask_scaling.py [--submissions 40] [--workdir build/bench-dask]

One synthetic data_id at DataPerf's size (N=300 training rows, 2048-d, 30% noise,
500 test rows) and --submissions random inspection orders, scored by the real
``evaluate_debugging`` task three times; prints the wall times and checks that
the three results.yaml files are byte-identical.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmark.cli import main as cli  # noqa: E402
from benchmark.formats.submissions import write_ordering  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--workdir", type=Path, default=ROOT / "build" / "bench-dask")
    args = parser.parse_args()
    work = args.workdir.resolve()
    spec = {"train": "embeddings/syn1_train_0.3_300.parquet", "val": "embeddings/syn1_val_100.parquet",
            "test": "embeddings/syn1_test_500.parquet", "ground_truth": "ground_truth/dataset_syn1_train.csv"}
    params = {"download": {"source": "synthetic", "write_examples": False,
                           "synthetic": {"pool_rows": 10, "debugging_train_rows": 300, "debugging_dim": 2048,
                                         "debugging_test_rows": 500, "seed": 0}},
              "debugging": {"data_ids": {"syn1": spec}}}
    work.mkdir(parents=True, exist_ok=True)
    base = work / "parameters.yaml"
    base.write_text(yaml.safe_dump(params))
    assert cli(["download", f"--parameters_file={base}", f"--output_path={work / 'data'}"]) == 0
    subs = work / "submissions"
    rng = np.random.default_rng(0)
    for m in range(args.submissions):
        write_ordering(subs, "syn1", f"method{m:02d}", rng.permutation(300), 1.0)

    def score(name: str, execution: dict) -> tuple[float, bytes]:
        path = work / f"parameters-{name}.yaml"
        path.write_text(yaml.safe_dump({**params, "execution": execution}))
        start = time.perf_counter()
        code = cli(["evaluate_debugging", f"--data_path={work / 'data'}", f"--submission_path={subs}",
                    f"--parameters_file={path}", f"--output_path={work / name}"])
        seconds = time.perf_counter() - start
        assert code == 0, code
        return seconds, (work / name / "results.yaml").read_bytes()

    from distributed import LocalCluster

    runs = {"local, 1 process": score("local1", {"n_jobs": 1}),
            "local, 2 processes": score("local2", {"n_jobs": 2})}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=":0", silence_logs=40) as cluster:
        runs["Dask LocalCluster, 2 workers"] = score("dask", {"scheduler": cluster.scheduler_address})
    print(f"{args.submissions} submissions, N=300, 2048-d, one data_id")
    for name, (seconds, _) in runs.items():
        print(f"{name:<30} {seconds:7.1f} s")
    outputs = {out for _, out in runs.values()}
    print(f"results.yaml byte-identical across the three: {len(outputs) == 1}")


if __name__ == "__main__":
    main()
