"""The harness: run methods (:mod:`.api`) on what a participant is given, check and write what they return.

Each method runs in a child process forked from this one (``multiprocessing``'s fork context), which
makes its calls -- one per selection task or debugging data_id -- in turn: the child inherits the data
and the :meth:`Pool.shared <.api.Pool.shared>` work already done, without a copy or a pickle, and only
each returned result travels back through a pipe. So a call that hangs past ``method_timeout_s`` is
killed (SIGKILL) and a method that crashes the interpreter costs only its own submission. The time
file holds the wall time of the call measured in the child around the function (forking and the
pipe are not counted). Where fork does not exist (Windows), calls run in this process and the
timeout is not enforced.

A method that raises, times out, dies or returns something invalid gets one line and no submission
(its files from an earlier run are removed, so they are not scored as its new ones); the others go on.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
import traceback
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import numpy as np

from ..errors import InputError, excerpt
from ..formats.discovery import DataTree
from ..formats.parameters import Parameters
from ..formats.resources import CandidatePool
from ..formats.submissions import ordering_file, time_file, training_set_file, write_ordering, write_training_set
from ..logs import log, shown
from ..workspace.layout import DEBUGGING, SELECTION
from .api import DebuggingProblem, NotApplicable, Pool, SelectionProblem, prepare_of
from .registry import BUILT_IN, LoadedMethod, MethodLoadError, load_all
from .timing import reported_seconds

SEED = 0


class InvalidResult(Exception):
    """What a method returned breaks a rule of the submission format."""


@dataclass
class Outcome:
    """What one call gave: a checked result, or why there is none."""

    result: Any = None
    seconds: float = 0.0
    failure: str | None = None  # one line: raised, timed out, died, invalid
    skipped: str | None = None  # NotApplicable's reason


@dataclass
class Summary:
    """What a run of methods wrote and which methods failed."""

    written: list[Path] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    seconds: dict[str, dict[str, float]] = field(default_factory=dict)  # method -> part -> measured call


# --------------------------------------------------------------------------- one call
def _where_raised(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    return f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""


def _call(function: Callable, problem: Any, normalize: Callable[[Any], Any]) -> tuple[str, Any, float]:
    """("ok", normalized result, seconds) or ("raised" | "skipped" | "invalid", one line, seconds)."""
    start = time.perf_counter()
    try:
        result = function(problem)
    except NotApplicable as reason:
        return "skipped", str(reason) or "not applicable", time.perf_counter() - start
    except BaseException as error:  # noqa: BLE001 -- whatever a method raises (SystemExit too) is its failure
        seconds = time.perf_counter() - start
        return "raised", f"raised {type(error).__name__}{': ' + str(error) if str(error) else ''}" \
                         f"{_where_raised(error)}", seconds
    seconds = time.perf_counter() - start
    try:
        return "ok", normalize(result), seconds
    except InvalidResult as problem_:
        return "invalid", str(problem_), seconds


def _child(send: Any, function: Callable, problems: list[Any], normalize: Callable[[Any], Any]) -> None:
    os.dup2(2, 1)  # a method's prints go to stderr with the logs; stdout holds results only
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        for problem in problems:
            try:
                send.send(_call(function, problem, normalize))
            except BaseException as error:  # noqa: BLE001 -- e.g. a result that cannot be pickled
                send.send(("raised", f"its result cannot be sent back: {type(error).__name__}: {error}", 0.0))
    finally:
        send.close()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


FORK = "fork" in multiprocessing.get_all_start_methods()


def call_method(function: Callable, problems: list[Any], normalize: Callable[[Any], Any],
                timeout_s: float | None) -> Iterator[Outcome]:
    """``function(problem)`` for each problem, in order, in one forked child (see the module docstring):
    one :class:`Outcome` per call, each call limited to ``timeout_s``. Never raises for the method; stopping
    the iteration early (after a failure) stops the child."""
    if not FORK:
        for problem in problems:
            yield _outcome(*_call(function, problem, normalize))
        return
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(send, function, problems, normalize), daemon=False)
    child.start()
    send.close()
    finished = False
    try:
        for _ in problems:
            if not receive.poll(timeout_s):
                yield Outcome(failure=f"timed out after {timeout_s:g} s (method_timeout_s); stopped")
                return
            try:
                status, payload, seconds = receive.recv()
            except EOFError:
                child.join()
                code = child.exitcode
                how = (f"killed by {signal.Signals(-code).name}" if code is not None and code < 0
                       else f"exit code {code}")
                yield Outcome(failure=f"its process ended without a result ({how})")
                return
            yield _outcome(status, payload, seconds)
        finished = True
    finally:
        if finished:
            child.join(timeout=10)  # it exits by itself after its last result
        if child.is_alive():  # a timeout, an earlier failure, Ctrl-C: stopped now
            child.kill()
        child.join()
        receive.close()


def _outcome(status: str, payload: Any, seconds: float) -> Outcome:
    if status == "ok":
        return Outcome(result=payload, seconds=seconds)
    if status == "skipped":
        return Outcome(seconds=seconds, skipped=payload)
    prefix = "returned an invalid result: " if status == "invalid" else ""
    return Outcome(seconds=seconds, failure=prefix + payload)


# --------------------------------------------------------------------------- selection results
def selection_rows(result: Any) -> tuple[np.ndarray, np.ndarray]:
    """ImageID -> 0/1 (a mapping or a pandas Series) as (ids, int64 labels); every row checked like a file's."""
    if hasattr(result, "index") and hasattr(result, "to_numpy") and not isinstance(result, Mapping):  # Series
        keys, values = list(result.index), list(result.to_numpy())
        if len(set(map(str, keys))) != len(keys):
            raise InvalidResult("an ImageID appears twice")
    elif isinstance(result, Mapping):
        keys, values = list(result.keys()), list(result.values())
    else:
        raise InvalidResult(f"expected a mapping ImageID -> label, got {type(result).__name__}")
    labels = np.empty(len(keys), dtype=np.int64)
    for i, (key, value) in enumerate(zip(keys, values)):
        if not isinstance(key, str) or not key.strip():
            raise InvalidResult(f"ImageID {excerpt(key)} is not a non-empty string")
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value not in (0, 1):
            raise InvalidResult(f"label {excerpt(value)} of ImageID {excerpt(key)} is not 0 or 1")
        labels[i] = int(value)
    ids = np.asarray([k.strip() for k in keys], dtype=object)
    if len(set(ids)) != len(ids):
        raise InvalidResult("an ImageID appears twice once surrounding spaces are removed")
    return ids, labels


def check_training_set(ids: np.ndarray, labels: np.ndarray, max_train_size: int, in_pool: set[str]) -> None:
    """The evaluation's rules for a training set: not empty, the budget, pool ImageIDs, both classes."""
    if len(ids) == 0:
        raise InvalidResult("an empty training set")
    if len(ids) > max_train_size:
        raise InvalidResult(f"{len(ids)} rows, more than selection.max_train_size ({max_train_size})")
    absent = [i for i in ids if i not in in_pool]
    if absent:
        raise InvalidResult(f"{len(absent)} ImageID(s) not in the candidate pool: "
                            + ", ".join(excerpt(i) for i in absent[:3]) + (", ..." if len(absent) > 3 else ""))
    if len(np.unique(labels)) < 2:
        raise InvalidResult(f"every row has label {labels[0]}; the classifier needs both classes")


def debugging_order(result: Any) -> np.ndarray:
    """A sequence of row indices as int64; the permutation itself is checked against the training set."""
    try:
        order = np.asarray(result)
    except Exception as exc:  # noqa: BLE001
        raise InvalidResult(f"not a sequence of row indices ({type(exc).__name__})") from None
    if order.ndim != 1 or not (order.dtype.kind in "iu" or (order.dtype.kind == "O" and all(
            isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in order.tolist()))):
        raise InvalidResult(f"expected a sequence of integer row indices, got {type(result).__name__} "
                            f"of {order.dtype} with shape {order.shape}")
    return order.astype(np.int64)


def check_permutation(order: np.ndarray, n: int) -> None:
    if len(order) != n or not np.array_equal(np.sort(order), np.arange(n)):
        missing = n - len(np.intersect1d(order, np.arange(n)))
        raise InvalidResult(f"{len(order)} indices, not a permutation of the {n} training rows "
                            f"({missing} row(s) missing)")


# --------------------------------------------------------------------------- runs
def method_entries(configured: list[str] | None, kind: str) -> list[str]:
    """The methods a select/debug run names: the configured list, or every built-in."""
    return list(BUILT_IN[kind]) if configured is None else list(configured)


def _remove(paths: list[Path], folder: Path | None = None) -> None:
    """A failed method's files from an earlier run: gone, so they are not scored as its result
    (and its selection ``folder``, once empty)."""
    for path in paths:
        if os.path.lexists(path):
            path.unlink()
            log.warning("removed %s (written by an earlier run)", shown(path))
    if folder is not None and folder.is_dir() and not folder.is_symlink() and not any(folder.iterdir()):
        folder.rmdir()


def _fail(task_name: str, method: LoadedMethod, part: str, failure: str, summary: Summary,
          stale: list[Path], folder: Path | None = None) -> None:
    log.error("%s: method %s (%s) %s on %s; no submission", task_name, method.name, method.origin, failure, part)
    summary.failed.append(method.name)
    _remove(stale, folder)


def _loaded(kind: str, entries: list[str], methods_root: Path | None, section: str, parameters_file: Path | None,
            task_name: str, summary: Summary) -> list[LoadedMethod]:
    methods = []
    for item in load_all(kind, entries, methods_root, section, parameters_file):
        if isinstance(item, MethodLoadError):
            log.error("%s: %s; no submission", task_name, item.message)
            summary.failed.append(item.message)
        else:
            methods.append(item)
    return methods


def run_selection_methods(params: Parameters, data_root: Path, submission_root: Path, entries: list[str],
                          methods_root: Path | None = None, parameters_file: Path | None = None,
                          task_name: str = "select") -> Summary:
    """Write ``<submission_root>/<method>/<Task>.csv`` for every method that succeeds on every task."""
    from .selection import read_task_examples

    examples = read_task_examples(params, data_root)
    pool = Pool(CandidatePool(data_root / SELECTION / DataTree.scan(data_root / SELECTION).locate(
        params.selection.pool, "candidate pool", folder_ok=True)))
    limit, timeout = params.selection.max_train_size, params.selection.method_timeout_s
    summary = Summary()
    pending: dict[str, tuple[LoadedMethod, dict[str, Outcome]]] = {}
    for method in _loaded(SELECTION, entries, methods_root, "selection", parameters_file, task_name, summary):
        stale = [submission_root / method.name / training_set_file(task) for task in examples]
        problems = []
        for task, ids in examples.items():
            seed = [SEED, zlib.crc32(task.encode("utf-8"))]
            problems.append(SelectionProblem(task, pool, ids, limit, np.random.default_rng(seed), seed, params,
                                             examples))
        outcomes: dict[str, Outcome] = {}
        calls = _calls(method.function, problems, selection_rows, timeout)  # closed below: a child still running is stopped
        for problem, outcome in zip(problems, calls):
            if outcome.failure is None and outcome.skipped is not None:
                outcome.failure = f"declined ({outcome.skipped}); a selection submission needs every task"
            if outcome.failure is not None:
                _fail(task_name, method, f"task {problem.task}", outcome.failure, summary, stale,
                      submission_root / method.name)
                break
            outcomes[problem.task] = outcome
        else:
            pending[method.name] = (method, outcomes)
        calls.close()
    # one filtered pass over the pool for every returned ImageID (as evaluate_selection does)
    wanted = {i for _, outcomes in pending.values() for o in outcomes.values() for i in o.result[0]}
    in_pool = set(pool.lookup(sorted(wanted))[0].tolist()) if wanted else set()
    for name, (method, outcomes) in pending.items():
        try:
            for task, outcome in outcomes.items():
                try:
                    check_training_set(*outcome.result, limit, in_pool)
                except InvalidResult as problem_:
                    raise InvalidResult(f"returned an invalid training set ({problem_}) for task {task}") from None
        except InvalidResult as problem_:
            log.error("%s: method %s (%s) %s; no submission", task_name, name, method.origin, problem_)
            summary.failed.append(name)
            _remove([submission_root / name / training_set_file(task) for task in examples], submission_root / name)
            continue
        for task, outcome in outcomes.items():
            ids, labels = outcome.result
            order = np.argsort(ids.astype(str), kind="stable")  # a file that does not depend on the method's order
            summary.written.append(write_training_set(submission_root / name, task, ids[order], labels[order]))
            summary.seconds.setdefault(name, {})[task] = outcome.seconds
            log.info("%s %s: %d rows, %d positive (%.3f s)", task, name, len(ids), int(labels.sum()), outcome.seconds)
    return summary


def _calls(function: Callable, problems: list[Any], normalize: Callable[[Any], Any],
           timeout_s: float | None) -> Iterator[Outcome]:
    """The method's ``prepare`` for every problem (here, untimed), then the calls (:func:`call_method`).

    An InputError from ``prepare`` (bad resources: the built-ins' shared pass over the pool) still stops
    the task; any other exception there is the method's failure."""
    prepare = prepare_of(function)
    if prepare is not None:
        for problem in problems:
            try:
                prepare(problem)
            except InputError:
                raise
            except Exception as error:  # noqa: BLE001 -- the method's own preparation failed: its failure
                yield Outcome(failure=f"prepare raised {type(error).__name__}: {error}{_where_raised(error)}")
                return
    yield from call_method(function, problems, normalize, timeout_s)


def run_debugging_methods(params: Parameters, data_root: Path, submission_root: Path, entries: list[str],
                          methods_root: Path | None = None, parameters_file: Path | None = None,
                          task_name: str = "debug") -> Summary:
    """Write ``<data_id>_<method>.txt`` and ``time_<data_id>_<method>.txt`` for every method that succeeds."""
    from .debugging import load_participant_data

    data = load_participant_data(params, data_root)
    timeout = params.debugging.method_timeout_s
    summary = Summary()
    for method in _loaded(DEBUGGING, entries, methods_root, "debugging", parameters_file, task_name, summary):
        stale = [submission_root / file_of(data_id, method.name) for data_id in data
                 for file_of in (ordering_file, time_file)]
        problems = []
        for data_id, part in data.items():
            seed = [SEED, zlib.crc32(data_id.encode("utf-8"))]
            problems.append(DebuggingProblem(data_id, part.train, part.val, np.random.default_rng(seed), seed, params))
        outcomes: dict[str, Outcome] = {}
        calls = _calls(method.function, problems, debugging_order, timeout)
        for problem, outcome in zip(problems, calls):
            if outcome.failure is None and outcome.skipped is None:
                try:
                    check_permutation(outcome.result, len(problem.train.y))
                except InvalidResult as problem_:
                    outcome.failure = f"returned an invalid order ({problem_})"
            if outcome.failure is not None:
                _fail(task_name, method, f"data_id {problem.data_id}", outcome.failure, summary, stale)
                break
            outcomes[problem.data_id] = outcome
        calls.close()
        if len(outcomes) < len(problems):
            continue
        for data_id, outcome in outcomes.items():
            if outcome.skipped is not None:
                log.warning("%s: %s", data_id, outcome.skipped if method.name in BUILT_IN[DEBUGGING]
                            else f"{method.name}: {outcome.skipped}")
                _remove([submission_root / ordering_file(data_id, method.name),
                         submission_root / time_file(data_id, method.name)])
                continue
            summary.written.append(write_ordering(submission_root, data_id, method.name, outcome.result,
                                                  reported_seconds(outcome.seconds)))
            summary.seconds.setdefault(method.name, {})[data_id] = outcome.seconds
            log.info("%s %s: %.3f s", data_id, method.name, outcome.seconds)
    return summary
