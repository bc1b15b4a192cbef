"""The ``analysis`` section of results.yaml: what the analyses beyond the leaderboard number record, checked on read.

The evaluations build it (scoring/analysis/summary.py) and results.py writes it after every
leaderboard key, which it never changes. Reading checks every key, type and length
against the rest of the file (a curve has n_train + 1 points, a name is a scored
submission), so a hand-edited file is one InputError naming the key, never a traceback in
a figure. Shape (docs/analysis.md)::

    analysis:
      settings: {...}                       # what was run: draws, seed, budgets, removal fractions
      data_ids:                             # debugging
        <data_id>:
          random: {exact, draws, auc, auc_se, curve: [n+1], curve_se: [n+1]} | null
          oracle: {auc, curve: [n+1]} | null
          late_mislabeled: [{row, positions: {method: position | null}}]
          submissions: {<method>: {average_precision, recall_at_10, recall_at_20, recall_at_30,
                                   found_at: [...], normalised_auc, removal_accuracy?: [...]}}
      tasks:                                # selection
        <task>:
          winning_f1, ranked_submissions
          hard_examples: [{image_id, label, misclassified_by: [...]}]
          submissions: {<name>: {budget_used, misclassified: [test rows, 0-based],
                                 budget_curve?: {sizes, f1_file_order, f1_random_order},
                                 power_law?: {a, b, c, at_bound, budget_for_winning_f1} | null}}
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Mapping

from ..errors import InputError

ANALYSIS = "analysis"
RECALL_KEYS = ("recall_at_10", "recall_at_20", "recall_at_30")


class _Check:
    def __init__(self, path: Path):
        self.path = path

    def fail(self, where: str, expected: str, value: Any) -> InputError:
        shown = "nothing" if value is None else f"{type(value).__name__} {value!r}"[:60]
        return InputError(f"{where}: expected {expected}, got {shown}", self.path)

    def mapping(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "a mapping", value)
        return {str(k): v for k, v in value.items()}

    def key(self, mapping: Mapping[str, Any], key: str, where: str) -> Any:
        if key not in mapping:
            raise InputError(f"{where}.{key}: missing", self.path)
        return mapping[key]

    def number(self, value: Any, where: str, nullable: bool = False, low: float | None = None,
               high: float | None = None) -> float | None:
        if value is None and nullable:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.fail(where, "a finite number" + (" or null" if nullable else ""), value)
        if (low is not None and value < low) or (high is not None and value > high):
            raise self.fail(where, f"a number in [{low}, {high}]", value)
        return value

    def integer(self, value: Any, where: str, low: int = 0, high: int | None = None,
                nullable: bool = False) -> int | None:
        if value is None and nullable:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
            raise self.fail(where, f"an integer in {low}..{'' if high is None else high}", value)
        return value

    def listing(self, value: Any, where: str, length: int | None = None) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(where, "a list", value)
        if length is not None and len(value) != length:
            raise InputError(f"{where}: expected {length} values, got {len(value)}", self.path)
        return value

    def numbers(self, value: Any, where: str, length: int | None = None, nullable: bool = False,
                low: float | None = None, high: float | None = None) -> list[float | None]:
        return [self.number(v, f"{where}[{i}]", nullable, low, high)
                for i, v in enumerate(self.listing(value, where, length))]

    def name(self, value: Any, where: str, names: Mapping[str, Any]) -> str:
        if not isinstance(value, str) or value not in names:
            raise self.fail(where, "a submission named in results.yaml", value)
        return value


def check_analysis(raw: Any, kind: str, submissions: Mapping[str, Any], data_ids: Mapping[str, Mapping[str, Any]],
                   path: Path, test_sizes: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The analysis section, checked (see the module docstring); ``kind`` is selection or debugging;
    ``test_sizes``: selection task -> test rows, where settings.tasks records it."""
    c = _Check(path)
    top = c.mapping(raw, ANALYSIS)
    out: dict[str, Any] = {"settings": c.mapping(top.get("settings", {}), f"{ANALYSIS}.settings")}
    if kind == "debugging":
        fractions = out["settings"].get("removal_fractions")
        if fractions is not None:  # the point-removal figure's x axis: one per removal_accuracy value
            c.numbers(fractions, f"{ANALYSIS}.settings.removal_fractions", low=0, high=1)
        parts = c.mapping(c.key(top, "data_ids", ANALYSIS), f"{ANALYSIS}.data_ids")
        out["data_ids"] = {}
        for data_id, part in sorted(parts.items()):
            where = f"{ANALYSIS}.data_ids.{data_id}"
            if data_id not in data_ids:
                raise InputError(f"{where}: not listed under data_ids", path)
            out["data_ids"][data_id] = _debugging_part(c, c.mapping(part, where), where, submissions,
                                                       int(data_ids[data_id]["n_train"]),
                                                       None if fractions is None else len(fractions))
    else:
        tasks = c.mapping(c.key(top, "tasks", ANALYSIS), f"{ANALYSIS}.tasks")
        sizes = test_sizes or {}
        out["tasks"] = {task: _selection_task(c, c.mapping(part, f"{ANALYSIS}.tasks.{task}"),
                                              f"{ANALYSIS}.tasks.{task}", submissions,
                                              sizes[task] if isinstance(sizes.get(task), int) else None)
                        for task, part in sorted(tasks.items())}
    return out


def _debugging_part(c: _Check, part: dict[str, Any], where: str, submissions: Mapping[str, Any],
                    n: int, removals: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    random = c.key(part, "random", where)
    if random is not None:
        r = c.mapping(random, f"{where}.random")
        exact = c.key(r, "exact", f"{where}.random")
        if not isinstance(exact, bool):
            raise c.fail(f"{where}.random.exact", "true or false", exact)
        out["random"] = {"exact": exact,
                         "draws": c.integer(c.key(r, "draws", f"{where}.random"), f"{where}.random.draws"),
                         "auc": c.number(c.key(r, "auc", f"{where}.random"), f"{where}.random.auc", low=0, high=1),
                         "auc_se": c.number(c.key(r, "auc_se", f"{where}.random"), f"{where}.random.auc_se", low=0),
                         "curve": c.numbers(c.key(r, "curve", f"{where}.random"), f"{where}.random.curve", n + 1,
                                            low=0, high=1),
                         "curve_se": c.numbers(c.key(r, "curve_se", f"{where}.random"), f"{where}.random.curve_se",
                                               n + 1, low=0)}
    else:
        out["random"] = None
    oracle = c.key(part, "oracle", where)
    if (oracle is None) != (random is None):
        raise InputError(f"{where}: random and oracle are both given or both null", c.path)
    if oracle is not None:
        o = c.mapping(oracle, f"{where}.oracle")
        out["oracle"] = {"auc": c.number(c.key(o, "auc", f"{where}.oracle"), f"{where}.oracle.auc", low=0, high=1),
                         "curve": c.numbers(c.key(o, "curve", f"{where}.oracle"), f"{where}.oracle.curve", n + 1,
                                            low=0, high=1)}
    else:
        out["oracle"] = None
    late = []
    for i, item in enumerate(c.listing(c.key(part, "late_mislabeled", where), f"{where}.late_mislabeled")):
        w = f"{where}.late_mislabeled[{i}]"
        item = c.mapping(item, w)
        positions = c.mapping(c.key(item, "positions", w), f"{w}.positions")
        late.append({"row": c.integer(c.key(item, "row", w), f"{w}.row", 0, n - 1),
                     "positions": {c.name(k, f"{w}.positions", submissions): c.integer(v, f"{w}.positions.{k}", 1, n,
                                                                                     nullable=True)
                                   for k, v in sorted(positions.items())}})
    out["late_mislabeled"] = late
    subs = {}
    for name, entry in sorted(c.mapping(c.key(part, "submissions", where), f"{where}.submissions").items()):
        w = f"{where}.submissions.{name}"
        c.name(name, f"{where}.submissions", submissions)
        entry = c.mapping(entry, w)
        record: dict[str, Any] = {
            "average_precision": c.number(c.key(entry, "average_precision", w), f"{w}.average_precision", True, 0, 1)}
        for key in RECALL_KEYS:
            record[key] = c.number(c.key(entry, key, w), f"{w}.{key}", True, 0, 1)
        found = [c.integer(v, f"{w}.found_at[{i}]", 1, n)
                 for i, v in enumerate(c.listing(c.key(entry, "found_at", w), f"{w}.found_at"))]
        if any(b <= a for a, b in zip(found, found[1:])):
            raise InputError(f"{w}.found_at: positions must increase", c.path)
        record["found_at"] = found
        record["normalised_auc"] = c.number(c.key(entry, "normalised_auc", w), f"{w}.normalised_auc", True)
        if "removal_accuracy" in entry:
            if removals is None:
                raise InputError(f"{w}.removal_accuracy: settings.removal_fractions is null", c.path)
            record["removal_accuracy"] = c.numbers(entry["removal_accuracy"], f"{w}.removal_accuracy", removals,
                                                   low=0, high=1)
        subs[name] = record
    out["submissions"] = subs
    return out


def _selection_task(c: _Check, part: dict[str, Any], where: str, submissions: Mapping[str, Any],
                    test_size: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "winning_f1": c.number(c.key(part, "winning_f1", where), f"{where}.winning_f1", True, 0, 1),
        "ranked_submissions": c.integer(c.key(part, "ranked_submissions", where), f"{where}.ranked_submissions"),
    }
    hard = []
    for i, item in enumerate(c.listing(c.key(part, "hard_examples", where), f"{where}.hard_examples")):
        w = f"{where}.hard_examples[{i}]"
        item = c.mapping(item, w)
        image_id = c.key(item, "image_id", w)
        if not isinstance(image_id, str):
            raise c.fail(f"{w}.image_id", "a string", image_id)
        hard.append({"image_id": image_id, "label": c.integer(c.key(item, "label", w), f"{w}.label", 0, 1),
                     "misclassified_by": [c.name(v, f"{w}.misclassified_by[{j}]", submissions) for j, v in
                                          enumerate(c.listing(c.key(item, "misclassified_by", w),
                                                              f"{w}.misclassified_by"))]})
    out["hard_examples"] = hard
    subs = {}
    for name, entry in sorted(c.mapping(c.key(part, "submissions", where), f"{where}.submissions").items()):
        w = f"{where}.submissions.{name}"
        c.name(name, f"{where}.submissions", submissions)
        entry = c.mapping(entry, w)
        record: dict[str, Any] = {"budget_used": c.number(c.key(entry, "budget_used", w), f"{w}.budget_used", low=0)}
        wrong = c.listing(c.key(entry, "misclassified", w), f"{w}.misclassified")
        last = None if test_size is None else test_size - 1
        record["misclassified"] = [c.integer(v, f"{w}.misclassified[{i}]", 0, last) for i, v in enumerate(wrong)]
        if "budget_curve" in entry:
            b = c.mapping(entry["budget_curve"], f"{w}.budget_curve")
            listed = c.listing(c.key(b, "sizes", f"{w}.budget_curve"), f"{w}.budget_curve.sizes")
            sizes = [c.integer(v, f"{w}.budget_curve.sizes[{i}]", 1) for i, v in enumerate(listed)]
            record["budget_curve"] = {"sizes": sizes, **{
                key: c.numbers(c.key(b, key, f"{w}.budget_curve"), f"{w}.budget_curve.{key}", len(sizes), True, 0, 1)
                for key in ("f1_file_order", "f1_random_order")}}
            law = c.key(entry, "power_law", w)
            if law is not None:
                law = c.mapping(law, f"{w}.power_law")
                bound = c.key(law, "at_bound", f"{w}.power_law")
                if not isinstance(bound, bool):
                    raise c.fail(f"{w}.power_law.at_bound", "true or false", bound)
                law = {k: c.number(c.key(law, k, f"{w}.power_law"), f"{w}.power_law.{k}") for k in ("a", "b", "c")} | {
                    "at_bound": bound,
                    "budget_for_winning_f1": c.number(c.key(law, "budget_for_winning_f1", f"{w}.power_law"),
                                                      f"{w}.power_law.budget_for_winning_f1", True, 0)}
            record["power_law"] = law
        subs[name] = record
    out["submissions"] = subs
    return out
