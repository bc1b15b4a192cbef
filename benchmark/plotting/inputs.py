"""Reading the plot task's inputs, checked once so the drawing code can trust them.

The results files are a contract written by the evaluation tasks; anything that
does not match it (a hand-edited file, a truncated copy) stops the run with a
one-line :class:`InputError` naming the file and the offending key or line,
instead of a traceback from deep inside matplotlib. Time files belong to single
submissions, so a missing or unreadable one is recorded as a note and never
stops the report.
"""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError
from ..results import read_yaml

SELECTION_METRICS = ("accuracy", "precision", "recall", "f1", "average_precision", "train_size",
                     "train_positives")
DEBUGGING_METRICS = ("score", "fixes_to_target", "before_acc", "clean_acc", "target_acc", "auc",
                     "precision_at_m", "mislabeled_in_first_m", "n_mislabeled", "n_train", "n_listed",
                     "valuation_time_s")
DATA_ID_SUMMARY = ("n_train", "n_mislabeled", "n_test", "before_acc", "clean_acc", "target_acc", "fits")
# Keys that may legitimately be null: undefined precision (no mislabeled rows), target
# never reached, no time file.
NULLABLE = {"precision_at_m", "fixes_to_target", "valuation_time_s", "precision", "recall", "f1",
            "average_precision"}
CURVE_COLUMNS = ("submission", "data_id", "fixes", "accuracy")


@dataclass(frozen=True)
class Submission:
    """One submission (selection) or method (debugging) as recorded in results.yaml."""

    name: str
    valid: bool
    metric: float | None  # mean_f1 or mean_score; None when invalid
    errors: tuple[str, ...]
    parts: dict[str, dict[str, Any]]  # task or data_id -> metrics, or {"error": message}


@dataclass(frozen=True)
class Results:
    path: Path
    benchmark: str
    metric: str
    settings: dict[str, Any]
    submissions: dict[str, Submission]  # sorted by name
    data_ids: dict[str, dict[str, Any]] = field(default_factory=dict)  # debugging only


@dataclass(frozen=True)
class Curve:
    fixes: tuple[int, ...]
    accuracy: tuple[float, ...]


@dataclass(frozen=True)
class Timing:
    """Valuation time of one method on one data_id, or why there is none."""

    seconds: float | None
    source: str  # "time file", "results.yaml" or ""
    note: str = ""


# --------------------------------------------------------------------------- results.yaml
def load_results(path: Path, kind: str) -> Results | None:
    """Parse and check one results.yaml; None if the file does not exist."""
    if not path.exists():
        return None
    if not path.is_file():
        raise InputError("results path is not a file", path)
    try:
        raw = read_yaml(path)
    except UnicodeDecodeError:
        raise InputError("results file is not UTF-8 text", path) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(f"invalid YAML: {getattr(exc, 'problem', None) or exc}", path,
                         None if mark is None else mark.line + 1) from None
    except OSError as exc:
        raise InputError(f"results file cannot be read ({exc.strerror or type(exc).__name__})", path) from None
    check = _Checker(path)
    top = check.mapping(raw, "top level")
    metric_key = "mean_f1" if kind == "selection" else "mean_score"
    parts_key = "tasks" if kind == "selection" else "data_ids"
    metric_names = SELECTION_METRICS if kind == "selection" else DEBUGGING_METRICS
    settings = check.mapping(top.get("settings", {}), "settings")
    submissions: dict[str, Submission] = {}
    for name, entry in sorted(check.mapping(check.required(top, "submissions", ""), "submissions").items()):
        where = f"submissions.{name}"
        entry = check.mapping(entry, where)
        valid = check.boolean(check.required(entry, "valid", where), f"{where}.valid")
        metric = check.number(entry.get(metric_key), f"{where}.{metric_key}", nullable=True)
        if valid and metric is None:
            raise InputError(f"{where}.{metric_key}: a valid submission needs a number", path)
        errors = check.strings(entry.get("errors", []), f"{where}.errors")
        parts: dict[str, dict[str, Any]] = {}
        for part, values in sorted(check.mapping(entry.get(parts_key, {}), f"{where}.{parts_key}").items()):
            pwhere = f"{where}.{parts_key}.{part}"
            values = check.mapping(values, pwhere)
            if "error" in values:
                parts[part] = {"error": check.string(values["error"], f"{pwhere}.error")}
                continue
            parts[part] = {m: check.number(check.required(values, m, pwhere), f"{pwhere}.{m}",
                                           nullable=m in NULLABLE) for m in metric_names}
        submissions[name] = Submission(name, valid, metric, tuple(errors), parts)
    data_ids: dict[str, dict[str, Any]] = {}
    if kind == "debugging":
        for data_id, summary in sorted(check.mapping(check.required(top, "data_ids", ""), "data_ids").items()):
            where = f"data_ids.{data_id}"
            if not data_id or not all(c.isascii() and (c.isalnum() or c in "-_") for c in data_id):
                raise InputError(f"{where}: a data_id is letters, digits, - and _ (it names a figure file)", path)
            summary = check.mapping(summary, where)
            data_ids[data_id] = {k: check.number(check.required(summary, k, where), f"{where}.{k}")
                                 for k in DATA_ID_SUMMARY}
            if data_ids[data_id]["n_train"] < 1:
                raise InputError(f"{where}.n_train: must be at least 1", path)
        for sub in submissions.values():
            unknown = sorted(set(sub.parts) - set(data_ids))
            if unknown:
                raise InputError(f"submissions.{sub.name}.data_ids.{unknown[0]}: not listed under data_ids", path)
    return Results(path=path, benchmark=str(top.get("benchmark", kind)),
                   metric=str(top.get("leaderboard_metric", metric_key)), settings=settings,
                   submissions=submissions, data_ids=data_ids)


class _Checker:
    """Type checks that raise one-line errors naming the file and the key."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, where: str, expected: str, value: Any) -> InputError:
        shown = "nothing" if value is None else f"{type(value).__name__} {value!r}"[:60]
        return InputError(f"{where}: expected {expected}, got {shown}", self.path)

    def required(self, mapping: dict[str, Any], key: str, where: str) -> Any:
        if key not in mapping:
            raise InputError(f"{where + '.' if where else ''}{key}: missing", self.path)
        return mapping[key]

    def mapping(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "a mapping", value)
        return {str(k): v for k, v in value.items()}

    def boolean(self, value: Any, where: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(where, "true or false", value)
        return value

    def number(self, value: Any, where: str, nullable: bool = False) -> float | int | None:
        if value is None and nullable:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.fail(where, "a finite number" + (" or null" if nullable else ""), value)
        return value

    def string(self, value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise self.fail(where, "a string", value)
        return value

    def strings(self, value: Any, where: str) -> list[str]:
        if not isinstance(value, list):
            raise self.fail(where, "a list of strings", value)
        return [self.string(v, f"{where}[{i}]") for i, v in enumerate(value)]


# --------------------------------------------------------------------------- curves.csv
def load_curves(path: Path, debugging: Results) -> dict[tuple[str, str], Curve]:
    """{(submission, data_id): curve}; one curve per scored pair, running fixes = 0, 1, ... without gaps."""
    data_ids = debugging.data_ids
    if not path.is_file():
        raise InputError("curves file not found" if not path.exists() else "curves path is not a file", path)
    points: dict[tuple[str, str], list[tuple[int, float, int]]] = {}
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None or tuple(h.strip() for h in header) != CURVE_COLUMNS:
                raise InputError(f"header must be {','.join(CURVE_COLUMNS)}", path, 1)
            for row in reader:
                line = reader.line_num
                if not row:
                    continue
                if len(row) != len(CURVE_COLUMNS):
                    raise InputError(f"expected {len(CURVE_COLUMNS)} columns, found {len(row)}", path, line)
                submission, data_id, fixes_text, accuracy_text = (c.strip() for c in row)
                if submission not in debugging.submissions:
                    raise InputError(f"submission {submission!r} is not in debugging/results.yaml", path, line)
                if data_id not in data_ids:
                    raise InputError(f"data_id {data_id!r} is not in debugging/results.yaml", path, line)
                try:
                    fixes = int(fixes_text)
                    accuracy = float(accuracy_text)
                except ValueError:
                    raise InputError("fixes must be an integer and accuracy a number", path, line) from None
                if not (math.isfinite(accuracy) and 0 <= accuracy <= 1):
                    raise InputError(f"accuracy {accuracy_text!r} is not in [0, 1]", path, line)
                if not 0 <= fixes <= data_ids[data_id]["n_train"]:
                    raise InputError(f"fixes {fixes} is outside 0..n_train of {data_id}", path, line)
                points.setdefault((submission, data_id), []).append((fixes, accuracy, line))
    except UnicodeDecodeError:
        raise InputError("curves file is not UTF-8 text", path) from None
    except csv.Error as exc:
        raise InputError(f"malformed CSV ({exc})", path) from None
    except OSError as exc:
        raise InputError(f"curves file cannot be read ({exc.strerror or type(exc).__name__})", path) from None
    curves: dict[tuple[str, str], Curve] = {}
    for key in sorted(points):
        rows = sorted(points[key])
        for expected, (fixes, _, line) in enumerate(rows):
            if fixes != expected:
                raise InputError(f"curve of {key[0]} on {key[1]} does not run 0, 1, 2, ... "
                                 f"(fixes {fixes} where {expected} was expected)", path, line)
        curves[key] = Curve(tuple(r[0] for r in rows), tuple(r[1] for r in rows))
    for name, sub in debugging.submissions.items():
        for data_id, part in sub.parts.items():
            if "error" not in part and (name, data_id) not in curves:
                raise InputError(f"no curve for {name} on {data_id}, which results.yaml scores", path)
    return curves


# --------------------------------------------------------------------------- time files
def load_timings(debugging: Results, submission_root: Path) -> dict[tuple[str, str], Timing]:
    """Valuation time per scored (method, data_id).

    The time file under ``<submission_path>/debugging`` is what the participant
    measured; when it is not there (results copied elsewhere) the value the
    evaluation recorded in results.yaml is used. Neither: no time, with a note.
    """
    from ..submissions import read_time

    folder = submission_root / "debugging"
    timings: dict[tuple[str, str], Timing] = {}
    for name, sub in debugging.submissions.items():
        for data_id, part in sub.parts.items():
            if "error" in part:
                continue
            path = folder / f"time_{data_id}_{name}.txt"
            if path.is_file():
                try:
                    timings[(name, data_id)] = Timing(read_time(path), "time file")
                except InputError as error:
                    timings[(name, data_id)] = Timing(None, "", f"unreadable time file: {error.message}")
                except OSError as error:
                    timings[(name, data_id)] = Timing(None, "", f"unreadable time file: {path}: "
                                                                f"{error.strerror or type(error).__name__}")
            elif part.get("valuation_time_s") is not None:
                timings[(name, data_id)] = Timing(float(part["valuation_time_s"]), "results.yaml")
            else:
                timings[(name, data_id)] = Timing(None, "", f"no time file {path.name}")
    return timings
