"""The results files of both evaluations: their shape, their writer and their reader.

``results/selection/results.yaml``, ``results/debugging/results.yaml`` and
``results/debugging/curves.csv`` are a contract: the evaluation tasks write
them, the plot task, the demo table and anyone's scripts read them. Everything
about them lives here -- file names, keys, which metric ranks and in which
direction, which values may be null -- so adding a key is one edit in one place.

Writing is deterministic (keys in a fixed order, floats at full precision) and
atomic. Reading checks every key and type, so a hand-edited or truncated file is
one :class:`InputError` naming the file and the key or line, never a traceback
deep inside the code that uses it.
"""
from __future__ import annotations

import contextlib
import csv
import dataclasses
import errno
import fcntl
import hashlib
import io
import math
import os
import shutil
import tempfile
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Iterator, Mapping

import numpy as np
import yaml

from ..errors import InputError
from ..logs import log
from ..workspace.layout import DEBUGGING, SELECTION, is_data_id, is_reference
from .analysis import ANALYSIS, check_analysis
from .atomic import atomic_write_bytes

RESULTS_FILE = "results.yaml"
CURVES_FILE = "curves.csv"
CURVE_COLUMNS = ("submission", "data_id", "fixes", "accuracy")
CI_SUFFIX = "_ci95"  # <metric>_ci95: [lo, hi], the 95% bootstrap interval written next to <metric>
COMPARISONS = "comparisons"  # top-level: a -> b -> share of resamples in which a beats b

# Debugging protocols (``debugging.protocol``; docs/protocols.md); the first is the default.
# Recorded as settings.protocol; a results file without it was made by the corrected protocol.
CORRECTED, DATAPERF_2022 = "corrected", "dataperf_2022"
PROTOCOLS = (CORRECTED, DATAPERF_2022)
PROTOCOL_LABELS = {CORRECTED: "corrected protocol", DATAPERF_2022: "original DataPerf 2022 protocol"}
FIRST_FIXES = {CORRECTED: 0, DATAPERF_2022: 1}  # curves.csv: state 0 onwards, or the original's budgets 1..N


# --------------------------------------------------------------------------- what each benchmark records
@dataclass(frozen=True)
class LeaderboardMetric:
    """The number a leaderboard ranks: the mean over tasks (or data_ids) of one per-part metric."""

    key: str  # key of each submission entry, e.g. mean_f1
    part_key: str  # the per-task / per-data_id metric it averages, e.g. f1
    higher_is_better: bool
    label: str  # for tables and figures, e.g. "mean F1"
    part_label: str  # the per-part metric's, e.g. "F1"


@dataclass(frozen=True)
class ResultsFormat:
    """The shape of one benchmark's results.yaml."""

    kind: str  # workspace folder: selection | debugging
    benchmark: str  # value of the top-level ``benchmark`` key
    parts_key: str  # tasks | data_ids
    part_metrics: tuple[str, ...]  # keys of every scored part, in file order
    nullable: frozenset[str]  # part metrics that may be null
    metrics: tuple[LeaderboardMetric, ...]  # allowed leaderboard metrics; the first is the default
    interval_metrics: tuple[str, ...] = ()  # part metrics that get a bootstrap interval when it is on

    def metric(self, key: str | None = None) -> LeaderboardMetric:
        for metric in self.metrics:
            if key is None or metric.key == key:
                return metric
        raise KeyError(key)


SELECTION_FORMAT = ResultsFormat(
    kind=SELECTION,
    benchmark="dataperf-vision-selection",
    parts_key="tasks",
    part_metrics=("accuracy", "precision", "recall", "f1", "average_precision", "train_size", "train_positives"),
    nullable=frozenset({"precision", "recall", "f1", "average_precision"}),
    metrics=(LeaderboardMetric("mean_f1", "f1", True, "mean F1", "F1"),
             LeaderboardMetric("mean_average_precision", "average_precision", True, "mean average precision",
                               "average precision")),
    interval_metrics=("f1", "average_precision"),
)

DEBUGGING_FORMAT = ResultsFormat(
    kind=DEBUGGING,
    benchmark="dataperf-vision-debugging",
    parts_key="data_ids",
    part_metrics=("score", "fixes_to_target", "before_acc", "clean_acc", "target_acc", "auc", "precision_at_m",
                  "mislabeled_in_first_m", "n_mislabeled", "n_train", "n_listed", "valuation_time_s"),
    # undefined precision (no mislabeled rows), target never reached, no time file
    nullable=frozenset({"precision_at_m", "fixes_to_target", "valuation_time_s"}),
    metrics=(LeaderboardMetric("mean_score", "score", False, "mean score", "score"),),
    interval_metrics=("score", "auc"),
)

FORMATS = {f.kind: f for f in (SELECTION_FORMAT, DEBUGGING_FORMAT)}


@dataclass(frozen=True)
class DataIdSummary:
    """Debugging: what defines the target of one data_id, the same for every submission."""

    n_train: int
    n_mislabeled: int
    n_test: int
    before_acc: float  # trained on the noisy labels
    clean_acc: float  # trained on the ground truth
    target_acc: float  # target_ratio x clean_acc
    fits: int  # classifiers trained for this data_id


DATA_ID_SUMMARY = tuple(f.name for f in fields(DataIdSummary))


# --------------------------------------------------------------------------- the documents
@dataclass(frozen=True)
class SubmissionResult:
    """One submission (selection: a folder; debugging: a method) as recorded in results.yaml."""

    name: str
    valid: bool
    metric: float | None  # the leaderboard value; None when invalid
    errors: tuple[str, ...]
    parts: dict[str, dict[str, Any]]  # task or data_id -> metrics (and <metric>_ci95), or {"error": message}
    reference: bool = False  # uses the ground truth (name starts with reference_): shown apart, never ranked
    metric_ci95: list[float] | None = None  # 95% bootstrap interval of the leaderboard value


@dataclass(frozen=True)
class Results:
    """A whole results.yaml."""

    format: ResultsFormat
    settings: dict[str, Any]
    submissions: dict[str, SubmissionResult]  # sorted by name
    data_ids: dict[str, dict[str, Any]] = field(default_factory=dict)  # debugging: data_id -> DataIdSummary fields
    ignored: dict[str, str] = field(default_factory=dict)  # stray file (relative to the submission folder) -> why
    leaderboard: LeaderboardMetric | None = None  # None: the format's default
    path: Path | None = None  # where it was read from
    # with the bootstrap on: valid a -> valid b -> share of resamples in which a beats b; None when off
    comparisons: dict[str, dict[str, float]] | None = None
    # the analyses beyond the leaderboard number (formats/analysis.py); None when switched off
    analysis: dict[str, Any] | None = None

    @property
    def has_intervals(self) -> bool:
        return self.comparisons is not None

    @property
    def kind(self) -> str:
        return self.format.kind

    @property
    def benchmark(self) -> str:
        return self.format.benchmark

    @property
    def ranking(self) -> LeaderboardMetric:
        return self.leaderboard or self.format.metric()

    @property
    def metric(self) -> str:
        """The leaderboard metric's key, e.g. ``mean_f1``."""
        return self.ranking.key

    @property
    def protocol(self) -> str:
        """Debugging: the protocol that produced the scores and curves."""
        return str(self.settings.get("protocol", CORRECTED))

    @property
    def first_fixes(self) -> int:
        """Debugging: the ``fixes`` value of each curve's first point in curves.csv."""
        return FIRST_FIXES[self.protocol]


def submission_result(name: str, parts: Mapping[str, dict[str, Any]], metric: LeaderboardMetric) -> SubmissionResult:
    """A submission's entry from its parts: valid when no part has an error; the metric is the mean over parts.

    Parts are taken in name order, so the mean's float reduction never depends on discovery order.
    """
    parts = {key: dict(parts[key]) for key in sorted(parts)}
    errors = tuple(p["error"] for p in parts.values() if "error" in p)
    valid = not errors and bool(parts)
    value = float(np.mean([p[metric.part_key] for p in parts.values()])) if valid else None
    return SubmissionResult(name, valid, value, errors, parts, reference=is_reference(name))


def with_intervals(results: Results, parts: Mapping[str, Mapping[str, Mapping[str, list[float]]]],
                   means: Mapping[str, list[float]], comparisons: Mapping[str, Mapping[str, float]],
                   settings: Mapping[str, Any]) -> Results:
    """Results with the bootstrap's output: ``<metric>_ci95`` right after each metric it covers,
    the leaderboard value's interval, ``settings.bootstrap`` and the comparisons."""
    submissions = {}
    for name, sub in results.submissions.items():
        new_parts = {}
        for part, values in sub.parts.items():
            covered = parts.get(name, {}).get(part, {})
            new_parts[part] = {}
            for key, value in values.items():
                new_parts[part][key] = value
                if key in covered:
                    new_parts[part][key + CI_SUFFIX] = list(covered[key])
        submissions[name] = dataclasses.replace(sub, parts=new_parts,
                                                metric_ci95=list(means[name]) if name in means else None)
    return dataclasses.replace(results, submissions=submissions,
                               settings={**results.settings, "bootstrap": dict(settings)},
                               comparisons={a: {b: float(v) for b, v in sorted(row.items())}
                                            for a, row in sorted(comparisons.items())})


def to_document(results: Results) -> dict[str, Any]:
    """The YAML document, keys in their documented order; interval keys only with the bootstrap on."""
    fmt, metric = results.format, results.ranking
    doc: dict[str, Any] = {"benchmark": fmt.benchmark, "leaderboard_metric": metric.key,
                           "settings": results.settings}
    if fmt.kind == DEBUGGING:
        doc["data_ids"] = results.data_ids
    submissions = {}
    for name, s in sorted(results.submissions.items()):
        entry: dict[str, Any] = {"valid": s.valid, "reference": s.reference, metric.key: s.metric}
        if results.has_intervals:
            entry[metric.key + CI_SUFFIX] = s.metric_ci95
        submissions[name] = {**entry, "errors": list(s.errors), fmt.parts_key: s.parts}
    doc["submissions"] = submissions
    doc["ignored"] = dict(sorted(results.ignored.items()))
    if results.has_intervals:
        doc[COMPARISONS] = results.comparisons
    if results.analysis is not None:
        doc[ANALYSIS] = results.analysis
    return doc


def plain(value: Any) -> Any:
    """numpy scalars and containers -> plain Python, so YAML output is stable and readable."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def dump_yaml(data: dict[str, Any]) -> str:
    """YAML in the order given, floats at full precision."""
    return yaml.safe_dump(plain(data), sort_keys=False, default_flow_style=False, allow_unicode=True, width=1000)


# --------------------------------------------------------------------------- writing
Curves = list[tuple[str, str, np.ndarray]]  # (submission, data_id, acc(0..len(order)) or acc(budgets 1..N))


def curves_csv(curves: Curves, first_fixes: int = 0) -> str:
    """Every point of every curve: submission,data_id,fixes,accuracy (fixes = first_fixes, first_fixes + 1, ...)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CURVE_COLUMNS)
    for method, data_id, curve in sorted(curves, key=lambda c: (c[0], c[1])):
        for k, accuracy in enumerate(curve, start=first_fixes):
            writer.writerow([method, data_id, k, repr(float(accuracy))])
    return buffer.getvalue()


CURRENT = ".current"  # symlink to the folder holding the current set of result files
SET_PREFIX = ".set-"  # one folder per set, named after a hash of its content


def check_output_folder(folder: Path, submission_root: Path | None = None) -> None:
    """Refuse, before any work, an output folder the results cannot be written into.

    A folder inside the submission folder is refused too: the next run would find the
    result files there and score them as submissions.
    """
    if submission_root is not None and _inside(folder, submission_root):
        raise InputError(f"output folder is inside the submission folder {submission_root}; choose another", folder)
    if folder.exists() and not folder.is_dir():
        raise InputError("output path exists and is not a folder", folder)
    for name in (RESULTS_FILE, CURVES_FILE):
        path = folder / name
        if path.is_dir() and not path.is_symlink():
            raise InputError(f"{name} is a folder; move it away or choose another output folder", path)
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(f"cannot write into {existing} (permission denied for user id {os.getuid()}); "
                         "make it writable (chown/chmod) or choose another output folder", folder)


def _inside(path: Path, root: Path) -> bool:
    real, base = os.path.realpath(path), os.path.realpath(root)
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


def write_results(folder: Path, results: Results, curves: Curves | None = None) -> list[Path]:
    """Write results.yaml (and, for debugging, curves.csv) into ``folder`` as one unit; return the paths.

    The files are written into a fresh hidden folder ``.set-<hash>``; the symlink
    ``.current`` is then switched to it with one atomic rename, and ``results.yaml``
    and ``curves.csv`` are fixed symlinks through ``.current``. A reader (or a run
    killed at any moment) sees the old set or the new one, never a mix.
    """
    check_output_folder(folder)
    files = {RESULTS_FILE: dump_yaml(to_document(results)).encode("utf-8")}
    if curves is not None:
        files[CURVES_FILE] = curves_csv(curves, results.first_fixes).encode("utf-8")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with _locked(folder):
            if _symlinks_work(folder):
                _publish(folder, files)
            else:
                log.warning("%s: this file system has no symbolic links, so the result files are replaced one "
                            "after the other (an interrupted run may leave a new curves.csv beside an old "
                            "results.yaml)", folder)
                _write_plain(folder, files)
    except OSError as exc:
        where = exc.filename or folder
        raise InputError(f"cannot write the results into {where} ({exc.strerror or type(exc).__name__})",
                         folder) from None
    return [folder / name for name in files]


def _publish(folder: Path, files: dict[str, bytes]) -> None:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    target = folder / f"{SET_PREFIX}{digest.hexdigest()[:16]}"
    if not target.is_dir():
        work = Path(tempfile.mkdtemp(prefix=".tmp-set-", dir=folder))
        try:
            for name, data in files.items():
                with open(work / name, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.chmod(work / name, 0o644)
            os.chmod(work, 0o755)
            os.rename(work, target)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
    current = folder / CURRENT
    if current.is_dir() and not current.is_symlink():
        shutil.rmtree(current)  # a copy made with links followed (cp -rL): its files are plain, this is spare
    _link(current, target.name)  # the one atomic switch
    for name in sorted(files, key=lambda n: n == RESULTS_FILE):
        wanted = f"{CURRENT}/{name}"
        link = folder / name
        if not (link.is_symlink() and os.readlink(link) == wanted):
            _link(link, wanted)  # first run over plain files (older runs, copies): once, results.yaml last
    for old in folder.iterdir():  # earlier sets and what killed runs left (writers hold the lock)
        if old.is_symlink() and (old.name.startswith((".tmp-link-", ".tmp-probe-")) or (
                old.name not in files and os.readlink(old).startswith(f"{CURRENT}/"))):
            old.unlink()  # a link of a killed run, or a result file the new set does not have
        elif old.name.startswith((SET_PREFIX, ".tmp-set-")) and old.name != target.name:
            shutil.rmtree(old, ignore_errors=True)


def _symlinks_work(folder: Path) -> bool:
    """False on file systems without symbolic links (some network and Windows shares)."""
    probe = folder / f".tmp-probe-{os.getpid()}"
    try:
        probe.unlink(missing_ok=True)
        os.symlink(CURRENT, probe)
    except OSError as exc:
        if exc.errno in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EINVAL):
            return False
        raise
    probe.unlink()
    return True


def _write_plain(folder: Path, files: dict[str, bytes]) -> None:
    """Each file renamed into place, results.yaml last; no set folders left behind."""
    for name in sorted(files, key=lambda n: n == RESULTS_FILE):
        atomic_write_bytes(folder / name, files[name])
    (folder / CURRENT).unlink(missing_ok=True)
    for old in folder.iterdir():
        if old.name.startswith((SET_PREFIX, ".tmp-set-")):
            shutil.rmtree(old, ignore_errors=True)


def _link(path: Path, target: str) -> None:
    """Point the symlink ``path`` at ``target`` atomically (a temporary link renamed over it)."""
    tmp = path.with_name(f".tmp-link-{os.getpid()}-{path.name}")
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    os.replace(tmp, path)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Serialize writers into one folder (a concurrent run must not delete the set just published)."""
    with open(folder / ".lock", "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


# --------------------------------------------------------------------------- reading
def results_path(results_root: Path, kind: str) -> Path:
    """``<results_root>/<kind>/results.yaml``: where the plot task finds each benchmark's results."""
    return results_root / kind / RESULTS_FILE


def read_results(path: Path, kind: str) -> Results | None:
    """Parse and check one results.yaml; None if the file does not exist."""
    if not path.exists():
        return None
    if not path.is_file():
        raise InputError("results path is not a file", path)
    try:
        with open(path, encoding="utf-8") as handle:
            raw = yaml.safe_load(handle)
    except UnicodeDecodeError:
        raise InputError("results file is not UTF-8 text", path) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(f"invalid YAML: {getattr(exc, 'problem', None) or exc}", path,
                         None if mark is None else mark.line + 1) from None
    except OSError as exc:
        raise InputError(f"results file cannot be read ({exc.strerror or type(exc).__name__})", path) from None
    fmt = FORMATS[kind]
    check = _Checker(path)
    top = check.mapping(raw, "top level")
    ranking_key = top.get("leaderboard_metric", fmt.metric().key)
    try:
        ranking = fmt.metric(str(ranking_key))
    except KeyError:
        raise InputError(f"leaderboard_metric: {str(ranking_key)[:40]!r} is not one of "
                         f"{', '.join(m.key for m in fmt.metrics)}", path) from None
    settings = check.mapping(top.get("settings", {}), "settings")
    if kind == DEBUGGING and settings.get("protocol", CORRECTED) not in PROTOCOLS:
        raise InputError(f"settings.protocol: {str(settings['protocol'])[:40]!r} is not one of "
                         f"{', '.join(PROTOCOLS)}", path)
    submissions: dict[str, SubmissionResult] = {}
    for name, entry in sorted(check.mapping(check.required(top, "submissions", ""), "submissions").items()):
        where = f"submissions.{name}"
        entry = check.mapping(entry, where)
        valid = check.boolean(check.required(entry, "valid", where), f"{where}.valid")
        reference = check.boolean(entry.get("reference", False), f"{where}.reference")
        metric = check.number(entry.get(ranking.key), f"{where}.{ranking.key}", nullable=True)
        if valid and metric is None:
            raise InputError(f"{where}.{ranking.key}: a valid submission needs a number", path)
        metric_ci95 = check.interval(entry.get(ranking.key + CI_SUFFIX), f"{where}.{ranking.key}{CI_SUFFIX}")
        errors = check.strings(entry.get("errors", []), f"{where}.errors")
        parts: dict[str, dict[str, Any]] = {}
        for part, values in sorted(check.mapping(entry.get(fmt.parts_key, {}), f"{where}.{fmt.parts_key}").items()):
            pwhere = f"{where}.{fmt.parts_key}.{part}"
            values = check.mapping(values, pwhere)
            if "error" in values:
                parts[part] = {"error": check.string(values["error"], f"{pwhere}.error")}
                continue
            parts[part] = {}
            for m in fmt.part_metrics:
                parts[part][m] = check.number(check.required(values, m, pwhere), f"{pwhere}.{m}",
                                              nullable=m in fmt.nullable)
                if m in fmt.interval_metrics and m + CI_SUFFIX in values:
                    parts[part][m + CI_SUFFIX] = check.interval(values[m + CI_SUFFIX], f"{pwhere}.{m}{CI_SUFFIX}")
        submissions[name] = SubmissionResult(name, valid, metric, tuple(errors), parts, reference, metric_ci95)
    ignored = {name: check.string(why, f"ignored.{name}")
               for name, why in sorted(check.mapping(top.get("ignored", {}), "ignored").items())}
    data_ids: dict[str, dict[str, Any]] = {}
    if kind == DEBUGGING:
        for data_id, summary in sorted(check.mapping(check.required(top, "data_ids", ""), "data_ids").items()):
            where = f"data_ids.{data_id}"
            if not is_data_id(data_id):
                raise InputError(f"{where}: a data_id is letters, digits and - (it names a figure file)", path)
            summary = check.mapping(summary, where)
            data_ids[data_id] = {k: check.number(check.required(summary, k, where), f"{where}.{k}")
                                 for k in DATA_ID_SUMMARY}
            if data_ids[data_id]["n_train"] < 1:
                raise InputError(f"{where}.n_train: must be at least 1", path)
        for sub in submissions.values():
            unknown = sorted(set(sub.parts) - set(data_ids))
            if unknown:
                raise InputError(f"submissions.{sub.name}.data_ids.{unknown[0]}: not listed under data_ids", path)
    comparisons = None
    if COMPARISONS in top:
        comparisons = {}
        for a, row in check.mapping(top[COMPARISONS], COMPARISONS).items():
            comparisons[a] = {b: check.share(v, f"{COMPARISONS}.{a}.{b}")
                              for b, v in check.mapping(row, f"{COMPARISONS}.{a}").items()}
    if comparisons is not None:
        valid = [name for name, sub in submissions.items() if sub.valid]
        for a in valid:
            for b in valid:
                if a != b and b not in comparisons.get(a, {}):
                    raise InputError(f"{COMPARISONS}.{a}.{b}: missing (every pair of valid submissions is compared)",
                                     path)
    analysis = None
    if top.get(ANALYSIS) is not None:
        tasks = settings.get("tasks") if isinstance(settings.get("tasks"), dict) else {}
        test_sizes = {str(t): s.get("test_size") for t, s in tasks.items() if isinstance(s, dict)}
        analysis = check_analysis(top[ANALYSIS], kind, submissions, data_ids, path, test_sizes)
    return Results(format=fmt, settings=settings, submissions=submissions, data_ids=data_ids, ignored=ignored,
                   leaderboard=ranking, path=path, comparisons=comparisons, analysis=analysis)


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

    def interval(self, value: Any, where: str) -> list[float] | None:
        """null or [lo, hi] with lo <= hi."""
        if value is None:
            return None
        if not isinstance(value, list) or len(value) != 2:
            raise self.fail(where, "[lo, hi]", value)
        lo, hi = (self.number(v, f"{where}[{i}]") for i, v in enumerate(value))
        if lo > hi:
            raise InputError(f"{where}: lower end {lo} above upper end {hi}", self.path)
        return [lo, hi]

    def share(self, value: Any, where: str) -> float:
        number = self.number(value, where)
        if not 0 <= number <= 1:
            raise self.fail(where, "a share between 0 and 1", value)
        return number

    def string(self, value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise self.fail(where, "a string", value)
        return value

    def strings(self, value: Any, where: str) -> list[str]:
        if not isinstance(value, list):
            raise self.fail(where, "a list of strings", value)
        return [self.string(v, f"{where}[{i}]") for i, v in enumerate(value)]


@dataclass(frozen=True)
class Curve:
    fixes: tuple[int, ...]
    accuracy: tuple[float, ...]


def read_curves(path: Path, debugging: Results) -> dict[tuple[str, str], Curve]:
    """{(submission, data_id): curve}; one curve per scored pair, running fixes = 0, 1, ... without gaps
    (1, 2, ... under the dataperf_2022 protocol, whose budgets start at 1)."""
    data_ids = debugging.data_ids
    first = debugging.first_fixes
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
        for expected, (fixes, _, line) in enumerate(rows, start=first):
            if fixes != expected:
                raise InputError(f"curve of {key[0]} on {key[1]} does not run "
                                 f"{', '.join(map(str, range(first, first + 3)))}, ... "
                                 f"(fixes {fixes} where {expected} was expected)", path, line)
        curves[key] = Curve(tuple(r[0] for r in rows), tuple(r[1] for r in rows))
    for name, sub in debugging.submissions.items():
        for data_id, part in sub.parts.items():
            if "error" not in part and (name, data_id) not in curves:
                raise InputError(f"no curve for {name} on {data_id}, which results.yaml scores", path)
    return curves


def ranked(results: Results) -> list[tuple[int | None, SubmissionResult]]:
    """[(rank or None if invalid, submission)] in leaderboard order, references left out (see :func:`references`).

    Valid submissions by the leaderboard metric in its direction, ties by name; invalid
    ones last, by name. Equal metrics share a rank ("1, 2, 2, 4"), so a tie never looks like a win.
    """
    higher = results.ranking.higher_is_better
    entries = [s for s in results.submissions.values() if not s.reference]
    valid = [s for s in entries if s.valid and s.metric is not None]
    valid.sort(key=lambda s: (-s.metric if higher else s.metric, s.name))
    invalid = sorted((s for s in entries if s not in valid), key=lambda s: s.name)
    out: list[tuple[int | None, SubmissionResult]] = []
    for position, sub in enumerate(valid, start=1):
        tied = out and out[-1][1].metric == sub.metric
        out.append((out[-1][0] if tied else position, sub))
    out.extend((None, s) for s in invalid)
    return out


def references(results: Results) -> list[SubmissionResult]:
    """The reference points (they use the ground truth), best first by the leaderboard metric, then by name."""
    higher = results.ranking.higher_is_better
    refs = [s for s in results.submissions.values() if s.reference]
    return sorted(refs, key=lambda s: (s.metric is None, 0.0 if s.metric is None else
                                       (-s.metric if higher else s.metric), s.name))


def part_order(results: Results, part: str) -> list[SubmissionResult]:
    """Submissions scored on one task/data_id, best first on that part's own metric."""
    key, higher = results.ranking.part_key, results.ranking.higher_is_better
    scored = [s for s in results.submissions.values()
              if part in s.parts and s.parts[part].get(key) is not None]
    return sorted(scored, key=lambda s: (-s.parts[part][key] if higher else s.parts[part][key], s.name))

