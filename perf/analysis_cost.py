"""Cost of the analyses (analysis section of results.yaml) against the evaluation they decorate.

    .venv/bin/python perf/analysis_cost.py [--workdir DIR] [--submissions 10] [--data-ids 8] [--pool-rows 20000]

DataPerf's sizes by default, the synthetic data of perf/bootstrap_cost.py: selection has
3 tasks x ``--submissions`` random 1,000-row training sets (256-d, 500 test rows);
debugging has ``--data-ids`` data sets of 300 rows x 2048-d (30% flipped, 500 test rows)
and ``--submissions`` orders each. Every configuration runs in this one invocation on
the same inputs, bootstrap off:

* selection: score + build with the analyses off, then on with the budget curves
  (budget_step 100: 9 new fits per order kind and submitted set) and without them
  (hard slices and budget use only, from the leaderboard fits);
* debugging: score + build with the analyses off, on (random expectation with
  ``--draws`` seeded orders, and the oracle), and on with point removal as well.

The difference to "off" is each analysis' cost; the ratio is printed.
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
    rows = []
    if not args.skip_selection:
        inputs = evaluate_selection.gather(base, data, subs / "selection")
        size = f"{len(inputs.tests)} tasks x {args.submissions} submissions of 1000 rows"
        times = {}
        for label, params in (("off", with_analysis(enabled=False)), ("slices only", with_analysis(budget_step=0)),
                              ("budget curves", with_analysis())):
            _, times[label] = timed(lambda: evaluate_selection.build(params, inputs,
                                                                     evaluate_selection.score(params, inputs)))
        rows += [("selection", size, label, times["off"], times[label] - times["off"])
                 for label in ("slices only", "budget curves")]
    inputs = evaluate_debugging.gather(base, data, subs / "debugging")
    size = f"{len(inputs.datasets)} data_ids x N=300 x {args.submissions} orders"
    times, fits = {}, {}
    for label, params in (("off", with_analysis(enabled=False)), ("random + oracle", with_analysis()),
                          ("random + oracle + point removal", with_analysis(point_removal=True))):
        scores, times[label] = timed(lambda: evaluate_debugging.score(params, inputs))
        evaluate_debugging.build(params, inputs, scores)
        fits[label] = sum(s.fits for s in scores.summaries.values())
    rows += [("debugging", size, label, times["off"], times[label] - times["off"])
             for label in ("random + oracle", "random + oracle + point removal")]
    print(f"analysis cost, random_draws {args.draws} (workspace {workdir}); leaderboard fits {fits['off']}")
    print("| benchmark | size | analyses | evaluation s (off) | analyses s | analyses / evaluation |")
    print("|---|---|---|---|---|---|")
    for name, size, label, evaluation, cost in rows:
        print(f"| {name} | {size} | {label} | {evaluation:.2f} | {cost:.2f} | {cost / evaluation:.0%} |")
    if args.workdir is None:
        shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
