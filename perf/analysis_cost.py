"""Cost of the analyses (analysis section of results.yaml) against the evaluation they decorate.

    .venv/bin/python perf/analysis_cost.py [--workdir DIR] [--submissions 10] [--data-ids 8] [--pool-rows 20000]

DataPerf's sizes by default, the synthetic data of perf/bootstrap_cost.py: selection has
3 tasks x ``--submissions`` random 1,000-row training sets (256-d, 500 test rows);
debugging has ``--data-ids`` data sets of 300 rows x 2048-d (30% flipped, 500 test rows)
and ``--submissions`` orders each. Every configuration runs in this one invocation on
the same inputs, bootstrap off:

* selection: score + build with the analyses off, then with the budget curves
  (budget_step 100: 9 new fits per order kind and submitted set) and with the hard
  slices and budget use only (budget_step 0: from the leaderboard fits alone);
* debugging: score + build with the analyses off, with the random expectation
  (``--draws`` seeded orders) and the oracle, and with point removal alone.

Each analysis' cost is the time spent inside its own functions (wrapped here), so it is
not blurred by run-to-run noise in the leaderboard fits; the evaluation's time is the
run with the analyses off.
"""
from __future__ import annotations

import argparse
import dataclasses
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "perf"))

from bootstrap_cost import prepare  # noqa: E402

from benchmark.formats.parameters import AnalysisParams, BootstrapParams, load_parameters  # noqa: E402
from benchmark.logs import setup  # noqa: E402
from benchmark.tasks import evaluate_debugging, evaluate_selection  # noqa: E402


def timed(run):
    start = time.perf_counter()
    value = run()
    return value, time.perf_counter() - start


SPENT: dict[str, float] = {}


def clocked(module, name: str) -> None:
    """Wrap module.name so that every call adds its duration to SPENT[name]."""
    inner = getattr(module, name)

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            SPENT[name] = SPENT.get(name, 0.0) + time.perf_counter() - start

    setattr(module, name, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--pool-rows", type=int, default=20_000)
    parser.add_argument("--data-ids", type=int, default=8)
    parser.add_argument("--submissions", type=int, default=10)
    parser.add_argument("--draws", type=int, default=AnalysisParams().random_draws)
    parser.add_argument("--skip-selection", action="store_true")
    args = parser.parse_args()
    setup()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="analysis_cost_"))
    params_file = prepare(workdir / "workspace", argparse.Namespace(pool_rows=args.pool_rows, data_ids=args.data_ids,
                                                                    submissions=args.submissions))
    base = dataclasses.replace(load_parameters(params_file), bootstrap=BootstrapParams(resamples=0))

    def with_analysis(**kw):
        return dataclasses.replace(base, analysis=AnalysisParams(**{"random_draws": args.draws, **kw}))

    data, subs = workdir / "workspace/data", workdir / "workspace/submissions"
    clocked(evaluate_selection, "_budget_curves")
    clocked(evaluate_selection, "_analysis")
    clocked(evaluate_debugging, "_analyse")
    rows = []

    def run(evaluation, params, inputs) -> float:
        SPENT.clear()
        _, seconds = timed(lambda: evaluation.build(params, inputs, evaluation.score(params, inputs)))
        return seconds

    if not args.skip_selection:
        inputs = evaluate_selection.gather(base, data, subs / "selection")
        size = f"{len(inputs.tests)} tasks x {args.submissions} submissions of 1000 rows"
        evaluation = run(evaluate_selection, with_analysis(enabled=False), inputs)
        run(evaluate_selection, with_analysis(budget_step=0), inputs)
        rows.append(("selection", size, "hard slices, budget use (no fit)", evaluation, SPENT["_analysis"]))
        run(evaluate_selection, with_analysis(), inputs)
        rows.append(("selection", size, "budget curves (budget_step 100)", evaluation, SPENT["_budget_curves"]))
    inputs = evaluate_debugging.gather(base, data, subs / "debugging")
    size = f"{len(inputs.datasets)} data_ids x N=300 x {args.submissions} orders"
    evaluation = run(evaluate_debugging, with_analysis(enabled=False), inputs)
    run(evaluate_debugging, with_analysis(), inputs)
    rows.append(("debugging", size, f"order quality, random ({args.draws} draws), oracle", evaluation,
                 SPENT["_analyse"]))
    run(evaluate_debugging, with_analysis(random_draws=0, point_removal=True), inputs)
    rows.append(("debugging", size, "order quality, point removal", evaluation, SPENT["_analyse"]))
    print(f"analysis cost (workspace {workdir})")
    print("| benchmark | size | analyses | evaluation s (analyses off) | analyses s | analyses / evaluation |")
    print("|---|---|---|---|---|---|")
    for name, size, label, evaluation, cost in rows:
        print(f"| {name} | {size} | {label} | {evaluation:.2f} | {cost:.2f} | {cost / evaluation:.0%} |")
    if args.workdir is None:
        shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
