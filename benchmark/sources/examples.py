"""Example submissions for downloaded (real) resources, like the originals ship them.

Selection: the original resources hold ``train_sets/random_500.csv``, one labeled
random training set that its evaluator scores on every task; it becomes the
submission ``random_500/<Task>.csv`` for each task. Debugging: a random
inspection order of each data_id's training rows (with its time file), the role
of the original's ``examples/01g317_my_method.txt``; seeded by the data_id, so
reruns write the same orders.
"""
from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from ..errors import ResourceError
from ..formats.atomic import atomic_write_text
from ..formats.discovery import DataTree, resolve_debugging, resolve_selection
from ..formats.parameters import Parameters
from ..formats.submissions import training_set_file, write_ordering
from ..logs import log
from ..workspace.layout import DEBUGGING, SELECTION
from . import layout

RANDOM_TRAINING_SET = "random_500.csv"  # the original's example training set
ORIGINAL_PLACE = f"train_sets/{RANDOM_TRAINING_SET}"  # under data/selection, as the shipped configuration puts it


def write_examples(params: Parameters, data_root: Path, submission_root: Path, destinations: set[str]) -> list[Path]:
    """Write the example submissions of the given destinations; return the files written."""
    written: list[Path] = []
    if SELECTION in destinations:
        written += _selection(params, data_root / SELECTION, submission_root / SELECTION)
    if DEBUGGING in destinations:
        written += _debugging(params, data_root / DEBUGGING, submission_root / DEBUGGING)
    return written


def _selection(params: Parameters, root: Path, folder: Path) -> list[Path]:
    tree = DataTree.scan(root)
    found = [f for f in tree.files if f.rsplit("/", 1)[-1] == RANDOM_TRAINING_SET]
    if ORIGINAL_PLACE in found:  # where the original repository's copy lands; a copy in an archive may exist too
        found = [ORIGINAL_PLACE]
    if len(found) != 1:
        log.warning("no selection example submission: %s among the selection resources (%s); the original "
                    "repository ships it as data/train_sets/random_500.csv", RANDOM_TRAINING_SET,
                    "not found" if not found else f"{len(found)} found: {', '.join(found[:3])}")
        return []
    _, tasks = resolve_selection(params.selection.pool, params.selection.tasks, root)
    text = (root / found[0]).read_text(encoding="utf-8")
    target = folder / RANDOM_TRAINING_SET.removesuffix(".csv")
    for task in tasks:
        atomic_write_text(target / training_set_file(task), text)
    log.info("example submission %s: %s for %s", target, found[0], ", ".join(tasks))
    return [target / training_set_file(task) for task in tasks]


def _debugging(params: Parameters, root: Path, folder: Path) -> list[Path]:
    written = []
    for data_id, spec in resolve_debugging(params.debugging.data_ids, root).items():
        try:
            rows = pq.read_metadata(root / spec.train).num_rows
        except (OSError, ValueError) as exc:
            raise ResourceError(f"training set of {data_id} is not a readable parquet file ({exc})",
                                root / spec.train) from None
        rng = np.random.default_rng(zlib.crc32(data_id.encode("utf-8")))
        order, seconds = layout.timed_random_order(rows, rng)
        written.append(write_ordering(folder, data_id, "random", order, seconds))
    return written
