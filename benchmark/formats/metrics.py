"""The flat metrics file of the ``evaluate`` task: one submission's scores as MedPerf stores them.

MedPerf's evaluator contract (docs/medperf.md) is one output file, ``results.yaml``, holding a
flat mapping of metrics, which the platform uploads as the execution's result. The full
results.yaml of ``evaluate_selection`` / ``evaluate_debugging`` nests per submission and per
task; this format keeps one submission and flattens the rest into dotted keys that repeat
that file's path with the submission level dropped (``tasks.Eight.f1``, ``data_ids.d1v7.score``),
intervals as two numbers (``mean_f1_ci95_low``, ``mean_f1_ci95_high``).

An invalid submission is a results file too (``valid: false`` and ``error``): the platform
then records why, instead of a failed run. The file is written whole in one go, atomically
where its folder allows; MedPerf bind-mounts the file itself (its folder belongs to root in
the container), and a bind-mounted file cannot be renamed over, so it is then rewritten in
place. A run killed mid-write exits non-zero, and MedPerf discards the results of a run
that did not exit 0.
"""
from __future__ import annotations

import errno
import math
import os
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError
from .atomic import WriteError, atomic_write_bytes
from .results import CI_SUFFIX, FORMATS, Results, dump_yaml

# Header keys, in file order; every other key is <parts_key>.<part>.<metric> or <metric>_ci95_low/_high.
BENCHMARK, VALID, LEADERBOARD, PROTOCOL, ERROR, IGNORED = (
    "benchmark", "valid", "leaderboard_metric", "protocol", "error", "ignored_files")
LOW, HIGH = "_low", "_high"
MAX_BYTES = 1 << 20  # the demo's file is about 2 KB; real ones (3 tasks or 8 data_ids) under 10 KB
Scalar = str | bool | int | float | None
BENCHMARKS = {fmt.benchmark: fmt for fmt in FORMATS.values()}


def _interval(key: str, bounds: list[float] | None) -> dict[str, float | None]:
    lo, hi = bounds if bounds is not None else (None, None)
    return {f"{key}{CI_SUFFIX}{LOW}": lo, f"{key}{CI_SUFFIX}{HIGH}": hi}


def flat_metrics(results: Results) -> dict[str, Scalar]:
    """The one submission of ``results`` as a flat mapping (keys in the order documented in docs/medperf.md)."""
    if len(results.submissions) != 1:
        raise ValueError(f"expected the results of one submission, got {len(results.submissions)}")
    (sub,) = results.submissions.values()
    fmt, ranking = results.format, results.ranking
    flat: dict[str, Scalar] = {BENCHMARK: fmt.benchmark, VALID: sub.valid, LEADERBOARD: ranking.key}
    if fmt.parts_key == "data_ids":
        flat[PROTOCOL] = results.protocol
    flat[ranking.key] = sub.metric
    if results.has_intervals:
        flat.update(_interval(ranking.key, sub.metric_ci95))
    if not sub.valid:
        more = len(sub.errors) - 1
        flat[ERROR] = (sub.errors[0] + (f" (and {more} more, under {fmt.parts_key}.*.error)" if more > 0 else "")
                       if sub.errors else "no part was scored")
    flat[IGNORED] = len(results.ignored)
    for part, values in sub.parts.items():
        prefix = f"{fmt.parts_key}.{part}."
        for key, value in values.items():
            if key.endswith(CI_SUFFIX):
                flat.update({prefix + k: v for k, v in _interval(key[: -len(CI_SUFFIX)], value).items()})
            elif isinstance(value, list):  # the rows a dataperf_2022 protocol kept twice or dropped: their count
                flat[prefix + key] = len(value)
            else:
                flat[prefix + key] = value
    return flat


def invalid_metrics(kind: str, leaderboard: str, reason: str, protocol: str | None = None) -> dict[str, Scalar]:
    """The file for a submission that could not be read at all (an empty or ambiguous predictions folder)."""
    fmt = FORMATS[kind]
    flat: dict[str, Scalar] = {BENCHMARK: fmt.benchmark, VALID: False, LEADERBOARD: leaderboard}
    if protocol is not None:
        flat[PROTOCOL] = protocol
    flat.update({leaderboard: None, ERROR: reason, IGNORED: 0})
    return flat


# --------------------------------------------------------------------------- writing
def check_metrics_file(path: Path) -> None:
    """Refuse, before any work, a metrics path that cannot be written (a folder, an unwritable file)."""
    if path.is_dir():
        raise InputError("output path is a folder; the evaluate task writes one file (e.g. results.yaml)", path)
    if path.exists():
        if not os.access(path, os.W_OK):
            raise InputError(f"metrics file is not writable by user id {os.getuid()}", path)
        return
    folder = path.parent
    while not folder.exists() and folder != folder.parent:  # created when the file is written
        folder = folder.parent
    if not folder.is_dir():
        raise InputError("cannot create the metrics file: its folder is not a folder", path)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"cannot create the metrics file: its folder is not writable by user id {os.getuid()}",
                         path)


def metrics_text(flat: dict[str, Scalar]) -> str:
    check_flat(flat, "<metrics>")
    return dump_yaml(flat)


def write_metrics(path: Path, flat: dict[str, Scalar]) -> None:
    """Write the file whole: renamed into place, or rewritten in place when it is a bind-mounted file."""
    data = metrics_text(flat).encode("utf-8")
    try:
        atomic_write_bytes(path, data)
        return
    except WriteError as exc:
        # EACCES/EPERM: the folder is not ours (MedPerf's mount point's parent); EBUSY/EXDEV: the
        # file is a mount point, so nothing can be renamed over it.
        if exc.errno not in (errno.EACCES, errno.EPERM, errno.EBUSY, errno.EXDEV, errno.EROFS) or not path.is_file():
            raise InputError(f"cannot write the metrics file ({exc.strerror or 'write failed'})", path) from None
    try:
        with open(path, "r+b") as handle:
            handle.write(data)
            handle.truncate()
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise InputError(f"cannot write the metrics file ({exc.strerror or type(exc).__name__})", path) from None


# --------------------------------------------------------------------------- reading
def check_flat(flat: Any, where: str) -> dict[str, Scalar]:
    """The checks every metrics file passes; one line naming ``where`` and the key otherwise."""
    def fail(problem: str) -> InputError:
        return InputError(problem, where)

    if not isinstance(flat, dict) or not flat:
        raise fail("metrics file is empty" if flat is None or flat == {} else
                   f"expected a flat mapping of metrics, got {type(flat).__name__}")
    for key, value in flat.items():
        if not isinstance(key, str) or not key:
            raise fail(f"key {key!r}: expected a non-empty string")
        if isinstance(value, (dict, list, tuple)):
            raise fail(f"{key}: expected a single value (the mapping is flat), got a {type(value).__name__}")
        if isinstance(value, float) and not math.isfinite(value):
            raise fail(f"{key}: expected a finite number, got {value}")
        if value is not None and not isinstance(value, (str, bool, int, float)):
            raise fail(f"{key}: unexpected value of type {type(value).__name__}")
    for key in (BENCHMARK, VALID, LEADERBOARD, IGNORED):
        if key not in flat:
            raise fail(f"{key}: missing")
    if flat[BENCHMARK] not in BENCHMARKS:
        raise fail(f"{BENCHMARK}: {str(flat[BENCHMARK])[:40]!r} is not one of {', '.join(sorted(BENCHMARKS))}")
    fmt = BENCHMARKS[flat[BENCHMARK]]
    if not isinstance(flat[VALID], bool):
        raise fail(f"{VALID}: expected true or false")
    ranking = flat[LEADERBOARD]
    if ranking not in {m.key for m in fmt.metrics}:
        raise fail(f"{LEADERBOARD}: {str(ranking)[:40]!r} is not one of {', '.join(m.key for m in fmt.metrics)}")
    value = flat.get(ranking, "missing")
    if flat[VALID] and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise fail(f"{ranking}: a valid submission needs a number")
    if not flat[VALID] and not (isinstance(flat.get(ERROR), str) and flat[ERROR]):
        raise fail(f"{ERROR}: an invalid submission needs the reason")
    prefix = f"{fmt.parts_key}."
    header = {BENCHMARK, VALID, LEADERBOARD, PROTOCOL, ERROR, IGNORED, ranking,
              f"{ranking}{CI_SUFFIX}{LOW}", f"{ranking}{CI_SUFFIX}{HIGH}"}
    for key in flat:
        if key not in header and not (key.startswith(prefix) and key.count(".") == 2):
            raise fail(f"{key}: not a key of the {fmt.kind} metrics (expected {prefix}<part>.<metric>)")
    return flat


def read_metrics(path: Path) -> dict[str, Scalar]:
    """Parse and check one metrics file: a missing or empty file is an error, as it is for MedPerf."""
    if not path.is_file():
        raise InputError("metrics file not found" if not path.exists() else "metrics path is not a file", path)
    try:
        data = path.read_bytes()[: MAX_BYTES + 1]
    except OSError as exc:
        raise InputError(f"metrics file cannot be read ({exc.strerror or type(exc).__name__})", path) from None
    if len(data) > MAX_BYTES:
        raise InputError(f"metrics file is larger than {MAX_BYTES} bytes", path)
    try:
        raw = yaml.safe_load(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError("metrics file is not UTF-8 text", path) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(f"invalid YAML: {getattr(exc, 'problem', None) or exc}", path,
                         None if mark is None else mark.line + 1) from None
    return check_flat(raw, str(path))
