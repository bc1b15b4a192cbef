"""Figures from results files (matplotlib, Agg backend, byte-identical reruns)."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .errors import InputError  # noqa: E402
from .parameters import Parameters  # noqa: E402
from .results import atomic_write_bytes, read_yaml  # noqa: E402

PNG_METADATA = {"Software": None}  # no version stamp: reruns give the same bytes


def _save(fig: plt.Figure, path: Path, dpi: int) -> Path:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata=PNG_METADATA, bbox_inches="tight")
    plt.close(fig)
    atomic_write_bytes(path, buffer.getvalue())
    return path


def _load_results(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    try:
        data = read_yaml(path)
    except Exception as exc:  # noqa: BLE001 - any parse failure is the same user error
        raise InputError(f"results file cannot be read ({type(exc).__name__})", path) from None
    if not isinstance(data, dict) or not isinstance(data.get("submissions"), dict):
        raise InputError("results file has no 'submissions' mapping", path)
    return data


def render_all(results_root: Path, submission_root: Path, out: Path, params: Parameters) -> list[Path]:
    selection = _load_results(results_root / "selection" / "results.yaml")
    debugging = _load_results(results_root / "debugging" / "results.yaml")
    if selection is None and debugging is None:
        raise InputError("no results.yaml under selection/ or debugging/; run an evaluation first", results_root)
    written = []
    if selection is not None:
        written.append(selection_bars(selection, out / "selection_f1.png", params.plot.dpi))
    if debugging is not None:
        curves_path = results_root / "debugging" / "curves.csv"
        if not curves_path.exists():
            raise InputError("curves file not found", curves_path)
        curves = pd.read_csv(curves_path, dtype={"submission": str, "data_id": str})
        for data_id, summary in sorted(debugging.get("data_ids", {}).items()):
            written.append(debugging_curves(data_id, summary, debugging, curves,
                                            out / f"debugging_{data_id}.png", params.plot.dpi))
    return written


def selection_bars(results: dict[str, Any], path: Path, dpi: int) -> Path:
    valid = {n: s for n, s in sorted(results["submissions"].items()) if s.get("valid")}
    tasks = sorted({t for s in valid.values() for t in s["tasks"]})
    fig, ax = plt.subplots(figsize=(max(6, 1.5 * len(tasks) + 2), 4))
    width = 0.8 / max(1, len(valid))
    for i, (name, s) in enumerate(valid.items()):
        values = [s["tasks"][t]["f1"] for t in tasks]
        ax.bar(np.arange(len(tasks)) + i * width, values, width,
               label=f"{name} (mean F1 {s['mean_f1']:.3f})")
    ax.set_xticks(np.arange(len(tasks)) + width * (len(valid) - 1) / 2, tasks)
    ax.set_ylim(0, 1)
    ax.set_ylabel("F1 of the positive class")
    ax.set_title("Selection: test F1 per task")
    if valid:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))
    return _save(fig, path, dpi)


def debugging_curves(data_id: str, summary: dict[str, Any], results: dict[str, Any], curves: pd.DataFrame,
                     path: Path, dpi: int) -> Path:
    fig, ax = plt.subplots(figsize=(7, 4.5))
    n = summary["n_train"]
    for name, group in curves[curves["data_id"] == data_id].groupby("submission", sort=True):
        group = group.sort_values("fixes")
        x = np.append(group["fixes"].to_numpy(), n)
        y = np.append(group["accuracy"].to_numpy(), group["accuracy"].iloc[-1])
        score = results["submissions"].get(name, {}).get("data_ids", {}).get(data_id, {}).get("score")
        label = name if score is None else f"{name} (score {score:.3f})"
        ax.step(x, y, where="post", label=label)
    ax.axhline(summary["before_acc"], color="black", linestyle="--", linewidth=1, label="before cleaning")
    ax.axhline(summary["target_acc"], color="gray", linestyle=":", linewidth=1.2, label="target")
    ax.set_xlabel("inspected training points")
    ax.set_ylabel("test accuracy")
    ax.set_title(f"Debugging {data_id}: accuracy while cleaning")
    ax.legend(loc="lower right")
    return _save(fig, path, dpi)
