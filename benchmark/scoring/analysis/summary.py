"""The analysis records as plain data (what results.yaml's ``analysis`` section holds), from the evaluations' numbers.

Each function takes what an evaluation already computed (orders, curves, test predictions)
plus, where a new fit is unavoidable, a callable that makes it; formats/analysis.py checks
the shape when the file is read back.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from .budget import fit_power_law
from .ordering import BUDGET_FRACTIONS, average_precision, budget_rows, found_at, positions_of, recall_at
from .reference import RandomReference, curve_auc, normalised_score
from .slices import hard_test_rows, late_rows


def recall_key(fraction: float) -> str:
    """``recall_at_10`` for 10% of the rows."""
    return f"recall_at_{round(fraction * 100):d}"


def order_quality(order: np.ndarray, mislabeled: np.ndarray) -> dict[str, Any]:
    """Average precision (PR-AUC), recall at 10/20/30% of the rows, and where each mislabeled row was found."""
    n, m = len(mislabeled), int(np.count_nonzero(mislabeled))
    positions = found_at(order, mislabeled)
    record: dict[str, Any] = {"average_precision": average_precision(positions, m)}
    for fraction in BUDGET_FRACTIONS:
        record[recall_key(fraction)] = recall_at(positions, m, budget_rows(fraction, n))
    record["found_at"] = [int(p) for p in positions]
    return record


def debugging_part(mislabeled: np.ndarray, orders: Mapping[str, np.ndarray], aucs: Mapping[str, float],
                   ranked_names: Sequence[str], random: RandomReference | None, oracle_curve: np.ndarray | None,
                   removal: Mapping[str, list[float]] | None, fractions: Sequence[float]) -> dict[str, Any]:
    """One data_id: the references, the rows left late, and per scored order its quality and normalised score.

    ``ranked_names``: the orders that count for the late rows (valid, not references).
    """
    mislabeled = np.asarray(mislabeled, dtype=bool)
    m = int(np.count_nonzero(mislabeled))
    rows = np.flatnonzero(mislabeled)
    oracle_auc = None if oracle_curve is None else curve_auc(oracle_curve)
    record: dict[str, Any] = {}
    if random is not None and oracle_curve is not None:
        record["random"] = {"exact": random.exact, "draws": random.draws, "auc": random.auc,
                            "auc_se": random.auc_se, "curve": [float(v) for v in random.curve],
                            "curve_se": [float(v) for v in random.curve_se]}
        record["oracle"] = {"auc": oracle_auc, "curve": [float(v) for v in oracle_curve]}
    else:
        record["random"] = record["oracle"] = None
    positions = {name: dict(zip(map(int, rows), positions_of(orders[name], rows))) for name in ranked_names}
    record["late_mislabeled"] = [{"row": r, "positions": {name: positions[name][r] for name in sorted(positions)}}
                                 for r in late_rows(positions, m)]
    subs: dict[str, Any] = {}
    for name in sorted(orders):
        entry = order_quality(orders[name], mislabeled)
        entry["normalised_auc"] = (None if record["random"] is None
                                   else normalised_score(aucs[name], random.auc, oracle_auc))
        if removal is not None:
            entry["removal_accuracy"] = [float(v) for v in removal[name]]
        subs[name] = entry
    record["submissions"] = subs
    return record


def debugging_settings(draws: int, seed: int, point_removal: bool, fractions: Sequence[float],
                       exact_states: int) -> dict[str, Any]:
    return {"random_draws": draws, "exact_states": exact_states, "seed": seed,
            "budgets": [float(f) for f in BUDGET_FRACTIONS],
            "removal_fractions": [float(f) for f in fractions] if point_removal else None}


def selection_task(test_ids: np.ndarray, test_y: np.ndarray, predicted: Mapping[str, np.ndarray],
                   ranked_names: Sequence[str], f1: Mapping[str, float], train_sizes: Mapping[str, int],
                   max_train_size: int, sizes: Mapping[str, list[int]] | None,
                   file_order: Mapping[str, list[float | None]] | None,
                   random_order: Mapping[str, list[float | None]] | None) -> dict[str, Any]:
    """One task: the hard test images (missed by most ranked submissions) and per submission its budget use,
    budget curves and power-law fit, with the budget the fit projects for the task's winning F1."""
    test_y = np.asarray(test_y, dtype=np.int64)
    winning = max((f1[n] for n in ranked_names), default=None)
    hard = hard_test_rows({n: np.asarray(predicted[n]) != test_y for n in ranked_names})
    record: dict[str, Any] = {
        "winning_f1": winning,
        "ranked_submissions": len(ranked_names),
        "hard_examples": [{"image_id": str(test_ids[r]), "label": int(test_y[r]), "misclassified_by": names}
                          for r, names in hard],
    }
    subs: dict[str, Any] = {}
    for name in sorted(predicted):
        wrong = np.flatnonzero(np.asarray(predicted[name]) != test_y)
        # the leaderboard model's decision on every test image, kept as the rows it gets wrong
        entry: dict[str, Any] = {"budget_used": train_sizes[name] / max_train_size,
                                 "misclassified": [int(r) for r in wrong]}
        if sizes is not None:
            fit = fit_power_law(sizes[name], random_order[name])
            entry["budget_curve"] = {"sizes": list(sizes[name]), "f1_file_order": list(file_order[name]),
                                     "f1_random_order": list(random_order[name])}
            entry["power_law"] = None if fit is None else {
                "a": fit.a, "b": fit.b, "c": fit.c, "at_bound": fit.at_bound,
                # a fit that ends on a bound does not pin the law down: no projection from it
                "budget_for_winning_f1": None if winning is None or fit.at_bound else fit.budget_for(winning)}
        subs[name] = entry
    record["submissions"] = subs
    return record
