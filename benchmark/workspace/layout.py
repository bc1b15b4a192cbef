"""The workspace layout and naming rules every task shares.

Under ``data/``, ``submissions/`` and ``results/`` each benchmark has its own
folder; task names and data_ids become parts of file names, so they are
restricted to characters that are safe there. DataPerf's own debugging file
names (``<data_id>_train_0.3_300.parquet``, ``<data_id>_<method>.txt``) are split
on ``_``, so a data_id never contains one.
"""
from __future__ import annotations

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
