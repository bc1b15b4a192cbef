"""Shared fixtures: small generated resource sets in DataPerf's formats."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmark.cli import main  # noqa: E402
from benchmark.sources import layout  # noqa: E402


def exact_shapley(n: int, utility) -> np.ndarray:
    """Shapley values by enumerating every subset: sum over S not containing i of |S|!(n-|S|-1)!/n! (U(S+i) - U(S)).

    ``utility`` gets each subset as a sorted int64 array of row indices.
    """
    import itertools
    import math

    values = np.zeros(n)
    for i in range(n):
        others = [j for j in range(n) if j != i]
        for size in range(n):
            weight = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            for subset in itertools.combinations(others, size):
                with_i = np.asarray(sorted(subset + (i,)), dtype=np.int64)
                values[i] += weight * (utility(with_i) - utility(np.asarray(subset, dtype=np.int64)))
    return values


def tiny_valuation_problem(seed: int, n: int, n_val: int = 30, dim: int = 4):
    """A small two-class problem with a quarter of its training labels flipped: (X, noisy, val_X, val_y)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    X = rng.standard_normal((n, dim)) + 1.5 * (2 * y[:, None] - 1) * np.eye(dim)[0]
    val_y = np.arange(n_val) % 2
    val_X = rng.standard_normal((n_val, dim)) + 1.5 * (2 * val_y[:, None] - 1) * np.eye(dim)[0]
    noisy = y.copy()
    noisy[rng.choice(n, max(1, n // 4), replace=False)] ^= 1
    return X, noisy, val_X, val_y


def run_cli(*args: str) -> int:
    return main(list(args))


def download_demo(ws: Path) -> Path:
    """Make ``ws`` a workspace with the default parameters and the demo data downloaded."""
    ws.mkdir()
    shutil.copy(ROOT / "workspace" / "parameters.yaml", ws / "parameters.yaml")
    assert run_cli("download", f"--parameters_file={ws}/parameters.yaml", f"--output_path={ws}/data",
                   f"--submission_path={ws}/submissions") == 0
    return ws


@pytest.fixture
def demo_workspace(tmp_path: Path) -> Path:
    """A workspace with the default parameters and the demo data downloaded."""
    return download_demo(tmp_path / "workspace")


class SelectionData:
    """A tiny selection benchmark: pool in shuffled part files, one test set per task."""

    def __init__(self, root: Path, n_pool: int = 240, dim: int = 6, tasks=("Alpha", "Beta"), parts: int = 3,
                 seed: int = 0, dtype=np.float32):
        rng = np.random.default_rng(seed)
        self.root = root
        self.tasks = list(tasks)
        self.dim = dim
        self.ids = np.asarray(layout.image_ids(f"pool{seed}", n_pool), dtype=object)
        self.X = rng.standard_normal((n_pool, dim)).astype(dtype)
        self.labels = {t: (self.X[:, i] + 0.5 * rng.standard_normal(n_pool) > 0).astype(np.int64)
                       for i, t in enumerate(self.tasks)}
        sel = root / "data" / "selection"
        pool_dir = sel / "embeddings" / "pool.parquet"
        # rows shuffled, then split into parts written in reverse name order
        perm = rng.permutation(n_pool)
        for p, chunk in enumerate(np.array_split(perm, parts)):
            layout.write_table(pool_dir / f"part-{parts - p:05d}.parquet",
                               layout.selection_table(self.ids[chunk], self.X[chunk]))
        (pool_dir / "_SUCCESS").write_text("")
        self.test = {}
        for i, t in enumerate(self.tasks):
            tX = rng.standard_normal((60, dim)).astype(dtype)
            ty = (tX[:, i] > 0).astype(np.int64)
            tids = np.asarray(layout.image_ids(f"test{seed}{t}", 60), dtype=object)
            layout.write_table(sel / "test_sets" / f"{t}.parquet", layout.selection_table(tids, tX, ty))
            self.test[t] = (tids, tX.astype(np.float64), ty)
        self.params = {
            "selection": {
                "pool": "embeddings/pool.parquet",
                "tasks": {t: {"test_set": f"test_sets/{t}.parquet"} for t in self.tasks},
            }
        }
        self.params_file = root / "parameters.yaml"
        self.params_file.write_text(yaml.safe_dump(self.params))
        self.submissions = root / "submissions"
        self.submissions.mkdir()

    def submit(self, name: str, task: str, rows: list[tuple[str, int]] | str) -> Path:
        folder = self.submissions / name
        folder.mkdir(exist_ok=True)
        path = folder / f"{task}.csv"
        if isinstance(rows, str):
            path.write_text(rows)
        else:
            path.write_text("ImageID,Confidence\n" + "".join(f"{i},{c}\n" for i, c in rows))
        return path

    def submit_random(self, name: str, size: int, seed: int) -> dict[str, np.ndarray]:
        rng = np.random.default_rng(seed)
        chosen = {}
        for t in self.tasks:
            idx = rng.choice(len(self.ids), size=size, replace=False)
            self.submit(name, t, [(self.ids[i], int(self.labels[t][i])) for i in idx])
            chosen[t] = idx
        return chosen

    def evaluate(self, out: Path | None = None) -> int:
        out = out or self.root / "results"
        return run_cli("evaluate_selection", f"--data_path={self.root / 'data'}",
                       f"--submission_path={self.submissions}", f"--parameters_file={self.params_file}",
                       f"--output_path={out}")


@pytest.fixture
def selection_data(tmp_path: Path) -> SelectionData:
    return SelectionData(tmp_path)


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> dict:
    """``python -m benchmark demo`` once, as a user runs it with its output saved to files (not a terminal):
    {"workspace", "stdout", "stderr"} (the texts), shared by the tests that read what a person sees."""
    import os
    import subprocess

    ws = tmp_path_factory.mktemp("demo-run") / "workspace"
    ws.mkdir()
    shutil.copy(ROOT / "workspace" / "parameters.yaml", ws / "parameters.yaml")
    out, err = ws.parent / "stdout.txt", ws.parent / "stderr.txt"
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        done = subprocess.run([sys.executable, "-m", "benchmark", "--workspace", str(ws), "demo"], cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=stdout, stderr=stderr,
                              stdin=subprocess.DEVNULL, timeout=900)
    assert done.returncode == 0, err.read_text(errors="replace")[-3000:]
    return {"workspace": ws, "stdout": out.read_text(encoding="utf-8"), "stderr": err.read_text(encoding="utf-8")}
