"""Finding the benchmark's files under a data folder by DataPerf's own file names.

The published resources were described in documentation, not as a fixed
layout: an archive may hold ``embeddings/...`` at its root or one folder deeper
(``dataperf-vision-selection-resources/embeddings/...``). So the evaluations
never depend on the nesting:

* a path the parameters name (``embeddings/01g317_train_0.3_300.parquet``) is
  taken as is when it exists, otherwise it is the one file (or folder, for a
  Spark pool) at any depth whose path *ends with* those components;
* where the parameters leave the data_ids or tasks out, they are discovered by
  DataPerf's file names (``<data_id>_train_<noise>_<size>.parquet``,
  ``alpha_test_set_<Task>_<dim>.parquet``, ...).

Two candidates for one role or a missing part is a one-line
:class:`ResourceError` naming what was found. Everything here is pure: it reads
directory listings, never file contents, and returns paths relative to the root
(POSIX form) so the caller can record exactly what it scored.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import ResourceError
from .parameters import DebuggingDataset, SelectionTask

SKIPPED_FOLDERS = ("__MACOSX",)  # and every name starting with "." (staging, editor and OS files)

DEBUGGING_TRAIN = re.compile(r"^(?P<id>.+)_train_(?P<noise>\d+(?:\.\d+)?)_(?P<size>\d+)\.parquet$")
DEBUGGING_VAL = re.compile(r"^(?P<id>.+)_val_(?P<size>\d+)\.parquet$")
DEBUGGING_TEST = re.compile(r"^(?P<id>.+)_test_(?P<size>\d+)\.parquet$")
DEBUGGING_GROUND_TRUTH = re.compile(r"^dataset_(?P<id>.+)_train\.csv$")
SELECTION_TEST = re.compile(r"^alpha_test_set_(?P<task>.+)_(?P<dim>\d+)\.parquet$")
SELECTION_EXAMPLES = re.compile(r"^alpha_example_set_(?P<task>.+)\.csv$")
SELECTION_POOL = re.compile(r"^train_emb_.*")  # a .parquet file, or a folder of Spark part files


@dataclass(frozen=True)
class DataTree:
    """The files and folders under ``root`` (relative POSIX paths), listed once."""

    root: Path
    files: tuple[str, ...]
    folders: tuple[str, ...]

    @classmethod
    def scan(cls, root: Path) -> "DataTree":
        if not root.is_dir():
            raise ResourceError("data folder not found" if not root.exists() else "not a folder", root)
        files, folders = [], []
        for current, dirs, names in os.walk(root, followlinks=True):
            dirs[:] = sorted(d for d in dirs if not _hidden(d))
            here = Path(current).relative_to(root)
            folders += [(here / d).as_posix() for d in dirs]
            files += [(here / n).as_posix() for n in sorted(names) if not _hidden(n)]
        return cls(root, tuple(sorted(files)), tuple(sorted(folders)))

    def locate(self, named: str, what: str, folder_ok: bool = False) -> str:
        """The path of a named file: as given when it exists, else the unique one ending with it.

        Raises ResourceError when none or several match (naming them).
        """
        rel = _normal(named)
        if (self.root / rel).is_file() or (folder_ok and (self.root / rel).is_dir()):
            return rel
        candidates = self.files + (self.folders if folder_ok else ())
        found = sorted(p for p in candidates if p.endswith("/" + rel))
        if len(found) == 1:
            return found[0]
        if not found:
            raise ResourceError(f"{what} not found (looked there and for */{rel} at any depth below {self.root})",
                                self.root / rel)
        raise ResourceError(f"{what} is ambiguous: {rel} found at {_listed(found)}", self.root)

    def parquet_folders(self) -> list[str]:
        """Folders that directly hold parquet part files."""
        holding = {p.rsplit("/", 1)[0] if "/" in p else "." for p in self.files if p.endswith(".parquet")}
        return sorted(f for f in self.folders if f in holding)


# --------------------------------------------------------------------------- debugging
EVERY_FILE = ("train", "val", "test", "ground_truth")


def resolve_debugging(data_ids: dict[str, DebuggingDataset], root: Path,
                      needed: tuple[str, ...] = EVERY_FILE) -> dict[str, DebuggingDataset]:
    """The data_ids with their paths under ``root``: as named (found at any depth), or discovered.

    ``needed``: the files looked for (participants' baselines have no test set or
    ground truth); the others are returned as named, or None when discovered.
    """
    tree = DataTree.scan(root)
    if not data_ids:
        return discover_debugging(tree, needed)
    resolved = {}
    for data_id, spec in sorted(data_ids.items()):
        def find(rel: str | None, what: str) -> str | None:
            role = {"training set": "train", "validation set": "val", "test set": "test",
                    "ground truth": "ground_truth"}[what]
            if rel is None or role not in needed:
                return rel
            return tree.locate(rel, f"{what} of {data_id}")
        resolved[data_id] = DebuggingDataset(
            train=find(spec.train, "training set"), test=find(spec.test, "test set"),
            ground_truth=find(spec.ground_truth, "ground truth"), val=find(spec.val, "validation set"))
    return resolved


def discover_debugging(tree: DataTree, needed: tuple[str, ...] = EVERY_FILE) -> dict[str, DebuggingDataset]:
    """Every data_id found by DataPerf's debugging file names, with its files (those in ``needed`` required,
    the validation set always optional)."""
    roles: dict[str, dict[str, list[str]]] = {}
    for path in tree.files:
        name = path.rsplit("/", 1)[-1]
        for role, pattern in (("train", DEBUGGING_TRAIN), ("val", DEBUGGING_VAL), ("test", DEBUGGING_TEST),
                              ("ground_truth", DEBUGGING_GROUND_TRUTH)):
            match = pattern.match(name)
            if match:
                data_id = match.group("id")
                if "_" in data_id or not _safe(data_id):
                    raise ResourceError(f"{path}: data_id {data_id!r} is not valid (letters, digits and -; "
                                        f"DataPerf's file names are split on '_')", tree.root)
                roles.setdefault(data_id, {}).setdefault(role, []).append(path)
                break
    if not roles:
        raise ResourceError("no debugging data found (looked at any depth for <data_id>_train_<noise>_<size>"
                            ".parquet, <data_id>_test_<n>.parquet and dataset_<data_id>_train.csv)", tree.root)
    found = {}
    for data_id, by_role in sorted(roles.items()):
        for role, paths in by_role.items():
            if len(paths) > 1:
                raise ResourceError(f"data_id {data_id}: {len(paths)} candidates for its {_ROLE_NAMES[role]}: "
                                    f"{_listed(paths)}", tree.root)
        missing = [_ROLE_NAMES[r] for r in ("train", "test", "ground_truth") if r in needed and r not in by_role]
        if missing:
            present = _listed(sorted(p for paths in by_role.values() for p in paths))
            raise ResourceError(f"data_id {data_id}: no {' and no '.join(missing)} found (found only {present})",
                                tree.root)
        found[data_id] = DebuggingDataset(train=by_role["train"][0], test=by_role.get("test", [None])[0],
                                          ground_truth=by_role.get("ground_truth", [None])[0],
                                          val=by_role.get("val", [None])[0])
    return found


_ROLE_NAMES = {"train": "training set (<data_id>_train_<noise>_<size>.parquet)",
               "val": "validation set (<data_id>_val_<n>.parquet)",
               "test": "test set (<data_id>_test_<n>.parquet)",
               "ground_truth": "ground truth (dataset_<data_id>_train.csv)"}


# --------------------------------------------------------------------------- selection
def resolve_selection(pool: str | None, tasks: dict[str, SelectionTask], root: Path,
                      with_tests: bool = True) -> tuple[str, dict[str, SelectionTask]]:
    """The pool and the tasks with their paths under ``root``: as named, or discovered.

    ``with_tests=False`` (participants' baselines: pool and example sets only):
    test sets are neither looked for nor required, tasks are found by their example sets.
    """
    tree = DataTree.scan(root)
    pool_path = tree.locate(pool, "candidate pool", folder_ok=True) if pool else discover_pool(tree)
    if not tasks:
        return pool_path, discover_tasks(tree, with_tests)
    resolved = {}
    for task, spec in sorted(tasks.items()):
        resolved[task] = SelectionTask(
            test_set=tree.locate(spec.test_set, f"test set of {task}") if with_tests else spec.test_set,
            examples=_examples(tree, spec.examples, task, required=not with_tests))
    return pool_path, resolved


def _examples(tree: DataTree, named: str | None, task: str, required: bool) -> str | None:
    """A task's example set; the evaluations never read it, so there an absent one is None (the original
    repository ships the example sets, the Drive resources may not)."""
    if named is None:
        return None
    try:
        return tree.locate(named, f"example set of {task}")
    except ResourceError as exc:
        if required or "ambiguous" in exc.problem:
            raise
        return None


def discover_pool(tree: DataTree) -> str:
    """The one ``train_emb_*`` parquet file or folder of part files."""
    folders = set(tree.parquet_folders())
    found = [p for p in tree.files if p.endswith(".parquet") and SELECTION_POOL.match(p.rsplit("/", 1)[-1])
             and not any(p.startswith(f + "/") for f in folders if SELECTION_POOL.match(f.rsplit("/", 1)[-1]))]
    found += [f for f in folders if SELECTION_POOL.match(f.rsplit("/", 1)[-1])]
    if len(found) == 1:
        return found[0]
    if not found:
        raise ResourceError("no candidate pool found (looked at any depth for a train_emb_*.parquet file or "
                            "folder of part files)", tree.root)
    raise ResourceError(f"{len(found)} candidates for the candidate pool: {_listed(sorted(found))}", tree.root)


def discover_tasks(tree: DataTree, with_tests: bool = True) -> dict[str, SelectionTask]:
    """Every task with an ``alpha_test_set_<Task>_<dim>.parquet`` (and its example set, when shipped);
    without tests, every task with an ``alpha_example_set_<Task>.csv``."""
    tests: dict[str, list[str]] = {}
    examples: dict[str, list[str]] = {}
    for path in tree.files:
        name = path.rsplit("/", 1)[-1]
        for pattern, into in ((SELECTION_TEST, tests), (SELECTION_EXAMPLES, examples)):
            match = pattern.match(name)
            if match:
                task = match.group("task")
                if not _safe(task):
                    raise ResourceError(f"{path}: task name {task!r} is not valid (letters, digits, - and _)",
                                        tree.root)
                into.setdefault(task, []).append(path)
    for task, paths in examples.items():  # the original repository's copy (examples/ at the top) beside an
        canonical = f"examples/alpha_example_set_{task}.csv"  # archive's copy of it: the repository's is used
        if len(paths) > 1 and canonical in paths:
            examples[task] = [canonical]
    if not with_tests:
        if not examples:
            raise ResourceError("no selection tasks found (looked at any depth for alpha_example_set_<Task>.csv)",
                                tree.root)
        for task, paths in examples.items():
            if len(paths) > 1:
                raise ResourceError(f"task {task}: {len(paths)} candidates for its example set: {_listed(paths)}",
                                    tree.root)
        return {task: SelectionTask(test_set=(tests.get(task) or [""])[0], examples=examples[task][0])
                for task in sorted(examples)}
    orphans = sorted(set(examples) - set(tests))
    if orphans:
        raise ResourceError(f"task {orphans[0]}: example set {examples[orphans[0]][0]} found, but no test set "
                            f"(alpha_test_set_{orphans[0]}_<dim>.parquet)", tree.root)
    if not tests:
        raise ResourceError("no selection tasks found (looked at any depth for alpha_test_set_<Task>_<dim>"
                            ".parquet)", tree.root)
    found = {}
    for task in sorted(tests):
        for what, paths in (("test set", tests[task]), ("example set", examples.get(task, []))):
            if len(paths) > 1:
                raise ResourceError(f"task {task}: {len(paths)} candidates for its {what}: {_listed(paths)}",
                                    tree.root)
        found[task] = SelectionTask(test_set=tests[task][0], examples=examples.get(task, [None])[0])
    return found


# --------------------------------------------------------------------------- helpers
def _hidden(name: str) -> bool:
    return name.startswith(".") or name in SKIPPED_FOLDERS


def _normal(rel: str) -> str:
    return "/".join(p for p in rel.replace("\\", "/").split("/") if p not in ("", "."))


def _safe(name: str) -> bool:
    return bool(name) and all(c.isalnum() or c in "-_" for c in name)


def _listed(paths: list[str], limit: int = 4) -> str:
    shown = ", ".join(paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")
