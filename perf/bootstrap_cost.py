"""Cost of the bootstrap (intervals and paired comparisons) against the evaluation it decorates.

    .venv/bin/python perf/bootstrap_cost.py [--workdir DIR] [--resamples 1000] [--submissions 10] [--data-ids 8]

DataPerf's sizes, synthetic data: selection has 3 tasks with 500-row test sets
(256-d, a pool of ``--pool-rows``), debugging has ``--data-ids`` data sets of 300
training rows x 2048-d with 30% flipped labels and 500 test rows. Each benchmark
gets ``--submissions`` submissions: random 1,000-row training sets per task;
inspection orders that list the mislabeled rows first with a growing share of
mistakes (so every order visits ~90 label states of its own).

Each evaluation runs its own steps once (gather, score, build with the bootstrap
off: the evaluation's time), then builds the results again with ``--resamples``
resamples: the difference is the bootstrap's cost. Both in one invocation, on the
same scores; the ratio is printed.
"""
from __future__ import annotations

import argparse
import dataclasses
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmark.formats.parameters import BootstrapParams, load_parameters  # noqa: E402
from benchmark.formats.resources import CandidatePool, load_debugging_data  # noqa: E402
from benchmark.formats.submissions import write_ordering, write_training_set  # noqa: E402
from benchmark.logs import setup  # noqa: E402
from benchmark.tasks import (  # noqa: E402
    TASKS,  # noqa: E402
    evaluate_debugging,
    evaluate_selection,
)

sys.path.insert(0, str(ROOT / "perf"))
from baselines import synthetic_parameters  # noqa: E402


def prepare(workspace: Path, args: argparse.Namespace) -> Path:
    if workspace.exists():
        shutil.rmtree(workspace)
    workspace.mkdir(parents=True)
    params_file = workspace / "parameters.yaml"
    raw = synthetic_parameters(args.pool_rows, args.data_ids)
    params_file.write_text(yaml.safe_dump(raw))
    TASKS["download"].run(parameters_file=str(params_file), output_path=str(workspace / "data"),
                          submission_path=str(workspace / "examples"))
    params = load_parameters(params_file)
    rng = np.random.default_rng(0)
    pool = CandidatePool(workspace / "data/selection" / params.selection.pool)
    pool_ids = np.array(sorted(_all_ids(pool)), dtype=object)
    for s in range(args.submissions):
        for task in params.selection.tasks:
            rows = rng.choice(len(pool_ids), 1000, replace=False)
            labels = (rng.random(1000) < 0.3).astype(np.int64)
            labels[:2] = [0, 1]
            write_training_set(workspace / "submissions/selection" / f"sub{s:02d}", task, pool_ids[rows], labels)
    for data_id, spec in params.debugging.data_ids.items():
        data = load_debugging_data(data_id, workspace / "data/debugging", spec.train, spec.test, spec.ground_truth,
                                   spec.val)
        wrong, right = np.flatnonzero(data.mislabeled), np.flatnonzero(~data.mislabeled)
        for s in range(args.submissions):
            # mislabeled rows first, a share s/(2*submissions) of them swapped for right ones
            head, tail = rng.permutation(wrong), rng.permutation(right)
            k = int(len(head) * s / (2 * args.submissions))
            head[:k], tail[:k] = tail[:k].copy(), head[:k].copy()
            write_ordering(workspace / "submissions/debugging", data_id, f"method{s:02d}",
                           np.concatenate([head, tail]), 1.0)
    return params_file


def _all_ids(pool: CandidatePool) -> list[str]:
    return pool.dataset.to_table(columns=["ImageID"]).column(0).to_pylist()


def timed(run):
    start = time.perf_counter()
    value = run()
    return value, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--pool-rows", type=int, default=20_000)
    parser.add_argument("--data-ids", type=int, default=8)
    parser.add_argument("--submissions", type=int, default=10)
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args()
    setup()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bootstrap_cost_"))
    params_file = prepare(workdir / "workspace", args)
    params = load_parameters(params_file)
    off = dataclasses.replace(params, bootstrap=BootstrapParams(resamples=0))
    on = dataclasses.replace(params, bootstrap=BootstrapParams(resamples=args.resamples))
    data, subs = workdir / "workspace/data", workdir / "workspace/submissions"

    rows = []
    inputs, gather_s = timed(lambda: evaluate_selection.gather(off, data, subs / "selection"))
    scores, score_s = timed(lambda: evaluate_selection.score(off, inputs))
    _, build_off_s = timed(lambda: evaluate_selection.build(off, inputs, scores))
    _, build_on_s = timed(lambda: evaluate_selection.build(on, inputs, scores))
    rows.append(("selection", f"{len(inputs.tests)} tasks x 500 test rows, {args.submissions} submissions",
                 gather_s + score_s + build_off_s, build_on_s - build_off_s))

    inputs, gather_s = timed(lambda: evaluate_debugging.gather(off, data, subs / "debugging"))
    # the correctness bits are kept only with the bootstrap on: score with it on, as a real run does
    scores, score_s = timed(lambda: evaluate_debugging.score(on, inputs))
    _, build_off_s = timed(lambda: evaluate_debugging.build(off, inputs, scores))
    _, build_on_s = timed(lambda: evaluate_debugging.build(on, inputs, scores))
    fits = sum(s.fits for s in scores.summaries.values())
    rows.append(("debugging", f"{len(inputs.datasets)} data_ids x N=300, 500 test rows, {args.submissions} "
                              f"submissions ({fits} fits)", gather_s + score_s + build_off_s, build_on_s - build_off_s))

    print(f"bootstrap with {args.resamples} resamples (workspace {workdir})")
    print("| benchmark | size | evaluation s | bootstrap s | bootstrap / evaluation |")
    print("|---|---|---|---|---|")
    for name, size, evaluation, cost in rows:
        print(f"| {name} | {size} | {evaluation:.2f} | {cost:.3f} | {cost / evaluation:.1%} |")
    total_eval, total_cost = sum(r[2] for r in rows), sum(r[3] for r in rows)
    print(f"| both | | {total_eval:.2f} | {total_cost:.3f} | {total_cost / total_eval:.1%} |")
    if args.workdir is None:
        shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
