"""The method API: what a selection or a debugging method is given, and what it returns.

A method is a plain function of one argument::

    def my_selection(problem: SelectionProblem) -> Mapping[str, int]:   # ImageID -> 0/1, at most max_train_size
    def my_debugging(problem: DebuggingProblem) -> Sequence[int]:       # a permutation of the training rows,
                                                                         # most suspicious first

The harness (:mod:`.harness`) calls it once per selection task / debugging data_id, in a child
process, measures the wall time of the call, checks what it returns with the rules of a submitted
file, and writes the submission (and, for debugging, the time file) itself. A method never writes files.
Randomness comes from ``problem.rng`` (seeded from the task or data_id), so reruns are identical.
Methods come from the built-ins, installed packages or files: see :mod:`.registry`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, Sequence, Union

import numpy as np

from ..formats.parameters import Parameters
from ..formats.resources import CandidatePool, LabeledEmbeddings
from . import streaming

SelectionResult = Mapping[str, int]  # ImageID -> label (0 or 1); a pandas Series indexed by ImageID also does
DebuggingResult = Sequence[int]  # row indices of problem.train, each once, most suspicious first


class NotApplicable(Exception):
    """Raised by a method that cannot work on this part (e.g. it needs a validation set the data_id lacks).

    The harness logs the reason and writes no file for that part; the method's other parts are kept.
    Any other exception makes the method fail: no submission at all.
    """


class Pool:
    """The candidate pool, shared by every method and task of a run: streamed or looked up, never loaded whole.

    The real pool is more than a million rows; a method scans it in bounded batches or fetches the
    rows it wants. Work several methods or tasks share (the built-in baselines' one pass over the
    pool) goes through :meth:`shared`, computed once per run.
    """

    def __init__(self, source: CandidatePool):
        self.source = source
        self._shared: dict[Any, Any] = {}

    @property
    def path(self):
        return self.source.path

    def batches(self, batch_rows: int = streaming.BATCH_ROWS) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(ImageIDs, float64 embeddings) per batch of at most ``batch_rows`` rows, every row once."""
        return streaming.scan_pool(self.source, batch_rows)

    def lookup(self, image_ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(sorted ImageIDs found, their embeddings) for the given ImageIDs; absent ones are left out."""
        return self.source.lookup(image_ids)

    def shared(self, key: Any, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per run under ``key``; later calls (any method, any task) get the same object.

        Computed in the harness's process when the method has a ``prepare`` (see
        :func:`prepare_of`); otherwise within the call, and then for that call only.
        """
        if key not in self._shared:
            self._shared[key] = compute()
        return self._shared[key]


@dataclass(frozen=True)
class SelectionProblem:
    """One selection task, as a participant has it: the pool, the task's examples, the budget."""

    task: str
    pool: Pool
    examples: np.ndarray  # the task's positive example ImageIDs (sorted, in the pool or not)
    max_train_size: int  # the most rows a training set may hold
    rng: np.random.Generator  # seeded from (0, the task's name): the same on every run
    seed: list[int]  # what rng was seeded with, for libraries that take an integer seed
    parameters: Parameters  # the run's parameters.yaml (read-only)
    all_examples: Mapping[str, np.ndarray] = field(default_factory=dict)  # every task's, for one shared pass


@dataclass(frozen=True)
class DebuggingProblem:
    """One debugging data_id, as a participant has it: the noisy training set and the validation set."""

    data_id: str
    train: LabeledEmbeddings  # ids, X (n, d) float64, y: the noisy 0/1 labels
    val: LabeledEmbeddings | None  # where the protocol has one
    rng: np.random.Generator  # seeded from (0, crc32 of the data_id): the same on every run
    seed: list[int]
    parameters: Parameters


Method = Union[Callable[[SelectionProblem], SelectionResult], Callable[[DebuggingProblem], DebuggingResult]]


def prepare_of(method: Method) -> Callable[[Any], None] | None:
    """A method's optional ``prepare(problem)`` attribute: run untimed in the harness before the call, for
    :meth:`Pool.shared` work (it is then inherited by the child process the call runs in)."""
    prepare = getattr(method, "prepare", None)
    return prepare if callable(prepare) else None
