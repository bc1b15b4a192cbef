"""The workspace layout and naming rules every task shares.

Under ``data/``, ``submissions/`` and ``results/`` each benchmark has its own
folder; task names and data_ids become parts of file names, so they are
restricted to characters that are safe there. DataPerf's own debugging file
names (``<data_id>_train_0.3_300.parquet``, ``<data_id>_<method>.txt``) are split
on ``_``, so a data_id never contains one.
"""
from __future__ import annotations

from typing import Iterable

SELECTION = "selection"  # data/selection, submissions/selection, results/selection
DEBUGGING = "debugging"  # data/debugging, submissions/debugging, results/debugging
BENCHMARKS = (SELECTION, DEBUGGING)
REFERENCE_PREFIX = "reference_"  # a submission (or method) name that marks a reference, not an entry


def is_task_name(name: str) -> bool:
    """A selection task (concept) name: letters, digits, ``-`` and ``_``."""
    return bool(name) and all(c.isascii() and (c.isalnum() or c in "-_") for c in name)


def is_data_id(name: str) -> bool:
    """A debugging data_id: letters, digits and ``-`` (never ``_``, DataPerf's file-name separator)."""
    return is_task_name(name) and "_" not in name


def is_reference(name: str) -> bool:
    """A reference point that uses what no participant has (e.g. the true labels): shown apart, never ranked."""
    return name.startswith(REFERENCE_PREFIX)


# The random entries the project itself writes, so a board that shows two random entries can say why.
RANDOM_ENTRIES: dict[str, dict[str, str]] = {
    SELECTION: {
        "random_500": "download's example submission (the role of DataPerf's random_500.csv): 500 random pool "
                      "rows with coin-flip labels",
        "baseline_random": "select_baselines' random baseline: the examples plus random pool rows, labelled by "
                           "their closeness to the examples",
    },
    DEBUGGING: {
        "random": "download's example submission (the role of DataPerf's example order): a random permutation",
        "baseline_random": "debug_baselines' random baseline: another seeded random permutation; two random "
                           "orders differ only by chance",
    },
}


def random_entries(benchmark: str, names: Iterable[str]) -> dict[str, str]:
    """The project-written random entries among ``names``, with what each one is (in the order given)."""
    known = RANDOM_ENTRIES.get(benchmark, {})
    return {name: known[name] for name in names if name in known}


def is_random(name: str) -> bool:
    """A random-order or random-pick entry by its name (``random``, ``random_500``, ``baseline_random``):
    drawn apart (grey, dashed) so a reader sees it as the floor to beat, not a method."""
    return any(part == "random" for part in name.lower().split("_"))
