"""The dataperf_2022 protocol: retraining at every budget (as the original) vs one training per distinct state.

    .venv/bin/python perf/dataperf2022_speed.py [--n 300] [--sample-budgets 12] [--full] [--n-jobs 2]

Data: low-rank 2048-d embeddings (decaying spectrum plus noise, float32), 30% of
training labels flipped, a 500-row test set, one random full-length order (one
submission and data_id). The direct loop is the test suite's transcription of the
original protocol (a new seeded classifier per budget, DataLoader, one prediction
per threshold), run with torch's default thread count as the original runs; it is
timed on ``--sample-budgets`` evenly spaced budgets and extrapolated to N (or all
N with ``--full``). Its accuracies at those budgets, and before_acc, must equal
ours. The last lines split one training's cost: torch threads, and the original's
per-threshold predictions against our single batched comparison.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import torch  # noqa: E402
from test_dataperf2022 import low_rank_problem, transcribed_accuracy, transcribed_fit  # noqa: E402

from benchmark.scoring.debugging import dataperf2022 as dp  # noqa: E402


def direct_accuracy(X, labels, test_X, test_y, models=None) -> float:
    """One budget as the original runs it: retrain from scratch, then predict per threshold."""
    model, threshold = transcribed_fit(X, np.vstack(labels).astype(np.float32))
    if models is not None:
        models.append(model)
    return transcribed_accuracy(model, test_X, np.vstack(test_y), threshold)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--dim", type=int, default=2048)
    parser.add_argument("--n-test", type=int, default=500)
    parser.add_argument("--sample-budgets", type=int, default=12)
    parser.add_argument("--full", action="store_true", help="run the direct loop on every budget")
    parser.add_argument("--n-jobs", type=int, default=2, help="also time ours with this many processes (1: skip)")
    args = parser.parse_args()
    X, noisy, clean, test_X, test_y = low_rank_problem(args.n, args.n_test, dim=args.dim, seed=args.n)
    order = np.random.default_rng(0).permutation(args.n)
    default_threads = torch.get_num_threads()
    print(f"N={args.n}, D={args.dim}, test rows={args.n_test}, mislabeled={int((noisy != clean).sum())}, "
          f"torch {torch.__version__}, default threads={default_threads}")

    start = time.perf_counter()
    evaluator = dp.Dataperf2022Evaluator(X.astype(np.float64), noisy, clean, test_X.astype(np.float64), test_y)
    curve = evaluator.curve(order)
    before_acc = evaluator.before_acc
    ours_s = time.perf_counter() - start
    print(f"ours: {evaluator.fits} trainings (distinct states) for {args.n} budgets + before: {ours_s:.1f} s; "
          f"fraction_fixes={dp.fraction_fixes(curve)}, before_acc={before_acc}")

    if args.n_jobs > 1:
        from benchmark.execution import LocalBackend

        backend = LocalBackend(args.n_jobs)
        start = time.perf_counter()
        parallel = dp.Dataperf2022Evaluator(X.astype(np.float64), noisy, clean, test_X.astype(np.float64), test_y,
                                            backend=backend)
        same = list(parallel.curve(order)) == list(curve) and parallel.before_acc == before_acc
        backend.close()
        print(f"ours, {args.n_jobs} processes: {time.perf_counter() - start:.1f} s; identical: {same}")

    budgets = (np.arange(1, args.n + 1) if args.full
               else np.unique(np.linspace(1, args.n, args.sample_budgets).round().astype(int)))
    torch.set_num_threads(default_threads)
    start = time.perf_counter()
    models: list = []
    direct_before = direct_accuracy(X, noisy, test_X, test_y, models)
    direct = []
    for budget in budgets:
        labels = noisy.copy()
        labels[order[:budget]] = clean[order[:budget]]
        direct.append(direct_accuracy(X, labels, test_X, test_y))
    per_training = (time.perf_counter() - start) / (len(budgets) + 1)
    direct_s = per_training * (args.n + 1)
    identical = direct_before == before_acc and direct == [float(curve[b - 1]) for b in budgets]
    with dp.one_torch_thread(torch):
        ours_model = evaluator.classifier.train(noisy)
    same_weights = all(np.array_equal(a.detach().numpy(), b.detach().numpy())
                       for a, b in zip(models[0].parameters(), ours_model.parameters()))
    print(f"weights trained on the noisy labels, direct loop ({default_threads} threads) vs ours (1 thread): "
          f"bit-identical: {same_weights}")
    label = "" if args.full else " est."
    print(f"direct loop: {per_training:.2f} s per budget ({len(budgets)} budgets + before timed), "
          f"{direct_s:.0f} s{label} for {args.n} budgets + before")
    print(f"ratio: {direct_s / ours_s:.1f}x; values identical at the budgets run: {identical}")
    if default_threads != 1:  # the same loop with one torch thread (identical values, less contention)
        torch.set_num_threads(1)
        start = time.perf_counter()
        for budget in budgets[:3]:
            labels = noisy.copy()
            labels[order[:budget]] = clean[order[:budget]]
            direct_accuracy(X, labels, test_X, test_y)
        one_thread_s = (time.perf_counter() - start) / 3 * (args.n + 1)
        print(f"direct loop with 1 torch thread: {one_thread_s:.0f} s est. for {args.n} budgets + before "
              f"(ratio {one_thread_s / ours_s:.1f}x)")
    if args.full:
        print(f"fraction_fixes direct={dp.fraction_fixes(direct)} ours={dp.fraction_fixes(curve)}")

    # What one training costs, and where: threads and the threshold search.
    classifier = evaluator.classifier
    for threads in sorted({1, default_threads}):
        torch.set_num_threads(threads)
        start = time.perf_counter()
        for _ in range(3):
            model = classifier.train(noisy)
        train_s = (time.perf_counter() - start) / 3
        start = time.perf_counter()
        for _ in range(3):
            dp.choose_threshold(classifier.probabilities(model, classifier.X), noisy)
        batched_s = (time.perf_counter() - start) / 3
        start = time.perf_counter()
        for _ in range(3):  # one forward pass and one comparison per candidate, as the original
            for t in dp.THRESHOLDS:
                dp.test_accuracy(classifier.probabilities(model, classifier.X), noisy, t)
        looped_s = (time.perf_counter() - start) / 3
        print(f"threads={threads}: training {train_s:.3f} s; threshold search batched {batched_s * 1000:.1f} ms "
              f"vs one prediction per threshold {looped_s * 1000:.1f} ms")
    torch.set_num_threads(default_threads)


if __name__ == "__main__":
    main()
