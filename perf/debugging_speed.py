"""Debugging evaluation: naive retrain-every-step loop vs CleaningEvaluator, in one invocation.

    .venv/bin/python perf/debugging_speed.py [--sizes 300] [--n-jobs 2] [--geometries realistic isotropic]

Data: two classes in 2048-d, 30% of training labels flipped, a 500-row test set,
three random full-length orders per size, in two geometries: ``realistic`` (the
synthetic source's low-rank embeddings: decaying spectrum, shared positive mean,
weak noise) and ``isotropic`` (two Gaussian classes). The condition number of each
training matrix is printed, and the certificate's statistics: predictions settled
at the first check, after further steps, and left to scikit-learn.
At N=300 the naive loop runs in full (``--full-up-to``); at larger N it runs a
prefix of one order, compared with the fast curve's prefix, and its full cost is
extrapolated (marked "est."). The naive loop is timed with
BLAS limited to one thread (its fastest form on this 2-core machine); the loop as
naively written, with default BLAS threads, is timed on a few fits and
extrapolated in the last column.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmark.execution import LocalBackend  # noqa: E402
from benchmark.scoring.debugging.corrected import DEFAULT_CLASSIFIER, CleaningEvaluator, naive_curve  # noqa: E402
from benchmark.sources.layout import flip_labels  # noqa: E402
from benchmark.sources.synthetic import LowRankEmbedding, condition_number, two_gaussian_classes  # noqa: E402


def problem(geometry: str, n: int, dim: int, n_test: int, seed: int):
    rng = np.random.default_rng(seed)
    if geometry == "realistic":
        embedding = LowRankEmbedding(rng, dim)
        X, clean = embedding.classes(rng, n)
        tX, ty = embedding.classes(rng, n_test)
    else:
        direction = rng.standard_normal(dim)
        direction /= np.linalg.norm(direction)
        X, clean = two_gaussian_classes(rng, n, direction)
        tX, ty = two_gaussian_classes(rng, n_test, direction)
    noisy = flip_labels(clean, 0.3, rng)
    orders = [rng.permutation(n) for _ in range(3)]
    return X.astype(np.float64), noisy, clean, tX.astype(np.float64), ty, orders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    # larger N explicitly: isotropic states are far apart, so at N=3,000 nearly every one costs a
    # factorization of a 2049 x 2049 Hessian (see docs/performance.md)
    parser.add_argument("--sizes", type=int, nargs="+", default=[300])
    parser.add_argument("--dim", type=int, default=2048)
    parser.add_argument("--n-test", type=int, default=500)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--sample-steps", type=int, default=30, help="naive steps timed when N > --full-up-to")
    parser.add_argument("--full-up-to", type=int, default=300, help="largest N whose naive loop runs in full")
    parser.add_argument("--default-thread-fits", type=int, default=5,
                        help="fits timed with default BLAS threads (0 to skip)")
    parser.add_argument("--geometries", nargs="+", default=["realistic", "isotropic"])
    args = parser.parse_args()
    print(f"{'data':>9} {'N':>5} {'cond':>7} {'fits':>5} {'fast s':>7} {'naive fits':>10} {'naive s':>10} "
          f"{'ratio':>7}  identical  certificate: first / refined / to sklearn (states), steps, factorizations"
          f"  {'naive s, default BLAS threads':>30}")
    for n in args.sizes:
        for geometry in args.geometries:
            X, noisy, clean, tX, ty, orders = problem(geometry, n, args.dim, args.n_test, seed=n)
            cond = condition_number(X)
            start = time.perf_counter()
            evaluator = CleaningEvaluator(X, noisy, clean, tX, ty, DEFAULT_CLASSIFIER,
                                          backend=LocalBackend(args.n_jobs))
            fast = evaluator.curves(orders)
            fast_s = time.perf_counter() - start

            full = n <= args.full_up_to
            steps = len(orders[0]) if full else args.sample_steps
            start = time.perf_counter()
            with threadpool_limits(1):
                if full:
                    naive = [naive_curve(X, noisy, clean, tX, ty, o, DEFAULT_CLASSIFIER) for o in orders]
                else:
                    naive = [naive_curve(X, noisy, clean, tX, ty, orders[0][:steps], DEFAULT_CLASSIFIER)]
            naive_s = time.perf_counter() - start
            naive_fits = sum(len(c) for c in naive)
            if full:
                identical = all(np.array_equal(a, b) for a, b in zip(fast, naive))
                naive_total, mark = naive_s, ""
            else:
                identical = np.array_equal(fast[0][: steps + 1], naive[0])
                naive_total, mark = naive_s / naive_fits * 3 * (n + 1), " est."
            default = ""
            if args.default_thread_fits:
                start = time.perf_counter()
                naive_curve(X, noisy, clean, tX, ty, orders[0][: args.default_thread_fits - 1], DEFAULT_CLASSIFIER)
                per_fit = (time.perf_counter() - start) / args.default_thread_fits
                default = f"{per_fit * 3 * (n + 1):>10.1f} est. ({per_fit * 3 * (n + 1) / fast_s:.0f}x)"
            c = evaluator.certificate
            certificate = (f"{c.certified_first} / {c.refined} / {c.uncertain} ({c.uncertain_states} states), "
                           f"{c.steps}, {c.factorizations}")
            print(f"{geometry:>9} {n:>5} {cond:>7.1f} {evaluator.fits:>5} {fast_s:>7.2f} {3 * (n + 1):>10} "
                  f"{naive_total:>8.1f}{mark:<5}{naive_total / fast_s:>6.1f}x  {str(identical):<9}  {certificate}"
                  f"  {default:>30}", flush=True)

if __name__ == "__main__":
    main()
