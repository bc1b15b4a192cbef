"""The method API's cost per call: the same method called directly vs through the harness, in one invocation.

    .venv/bin/python perf/method_api_overhead.py [--rows 200] [--dim 64] [--repeat 30]

Through the harness a call is: fork a child, call the method there, send the result back through a
pipe, check it (a permutation of the rows) -- what ``select`` and ``debug`` do per method (one child
for all its parts; here each call has a child of its own, the worst case) with
:func:`benchmark.methods.harness.call_method`. Printed per method: the median wall time of the
direct call, of the harness call, their difference (the API's overhead per call), their ratio, and
the median seconds the harness records for the time file (measured in the child around the call
alone, so the overhead never reaches a time file). Data: a random debugging problem of --rows rows.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmark.formats.parameters import parameters_from_dict  # noqa: E402
from benchmark.formats.resources import LabeledEmbeddings  # noqa: E402
from benchmark.methods import debugging  # noqa: E402
from benchmark.methods.api import DebuggingProblem  # noqa: E402
from benchmark.methods.harness import call_method, check_permutation, debugging_order  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    rng = np.random.default_rng(0)

    def split(n: int) -> LabeledEmbeddings:
        X = rng.standard_normal((n, args.dim))
        return LabeledEmbeddings(np.asarray([f"r{i}" for i in range(n)], dtype=object), X,
                                 (X[:, 0] + 0.5 * rng.standard_normal(n) > 0).astype(np.int64))

    train, val = split(args.rows), split(max(10, args.rows // 4))
    params = parameters_from_dict({})
    methods = (("baseline_random", debugging.random_method), ("baseline_knn_shapley", debugging.knn_shapley_method),
               ("baseline_loss", debugging.loss_method))
    print(f"{args.rows} rows x {args.dim}, median of {args.repeat} calls each (seconds); 'harness' forks a child "
          f"per call; 'per part' is one child for {args.repeat} calls (as select/debug run a method's parts), "
          "wall time / calls")
    print(f"{'method':<22}{'direct':>10}{'harness':>10}{'overhead':>10}{'ratio':>8}{'per part':>10}{'overhead':>10}"
          f"{'ratio':>8}{'recorded':>10}")
    for name, method in methods:
        direct, harness, recorded = [], [], []
        for _ in range(args.repeat):
            problem = DebuggingProblem("perf", train, val, np.random.default_rng([0, 1]), [0, 1], params)
            start = time.perf_counter()
            expected = np.asarray(method(problem))
            direct.append(time.perf_counter() - start)
            problem = DebuggingProblem("perf", train, val, np.random.default_rng([0, 1]), [0, 1], params)
            start = time.perf_counter()
            (outcome,) = call_method(method, [problem], debugging_order, None)
            check_permutation(outcome.result, args.rows)
            harness.append(time.perf_counter() - start)
            recorded.append(outcome.seconds)
            assert np.array_equal(outcome.result, expected), name  # the same order either way
        problems = [DebuggingProblem("perf", train, val, np.random.default_rng([0, 1]), [0, 1], params)
                    for _ in range(args.repeat)]
        start = time.perf_counter()
        for outcome in call_method(method, problems, debugging_order, None):
            check_permutation(outcome.result, args.rows)
        p = (time.perf_counter() - start) / args.repeat
        d, h = statistics.median(direct), statistics.median(harness)
        print(f"{name:<22}{d:>10.4f}{h:>10.4f}{h - d:>10.4f}{h / d:>8.2f}{p:>10.4f}{p - d:>10.4f}{p / d:>8.2f}"
              f"{statistics.median(recorded):>10.4f}")


if __name__ == "__main__":
    main()
