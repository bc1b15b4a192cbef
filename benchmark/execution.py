"""Where evaluation jobs run: locally (joblib) or on a Dask cluster (dask.distributed).

Evaluation work is a list of independent jobs ``fn(item, **shared)``. ``shared``
holds the large arrays every job needs (embeddings, test sets); a backend ships
them once per worker, not once per job. Results always come back in the order of
``items``, and every job computes with BLAS limited to one thread, so the numbers
are byte-identical whichever backend ran them.
"""
from __future__ import annotations

import os
import signal
import sys
from typing import Any, Callable, Protocol, Sequence

import numpy as np
from .errors import InputError
from .logs import progress_bar


class Backend(Protocol):
    workers: int  # how many jobs can run at once; callers split work into a few times as many

    def map(self, fn: Callable[..., Any], items: Sequence[Any], shared: dict[str, Any],
            desc: str = "", progress: bool = False) -> list[Any]: ...

    def close(self) -> None: ...


class LocalBackend:
    """joblib processes on this machine (n_jobs=1 runs in-process, -1 uses every core)."""

    def __init__(self, n_jobs: int = 1):
        self.n_jobs = n_jobs
        cores = os.cpu_count() or 1
        self.workers = max(1, cores + 1 + n_jobs if n_jobs < 0 else n_jobs)

    def map(self, fn, items, shared, desc="", progress=False):
        if self.workers == 1:  # in-process: no need to import joblib
            results = (fn(item, **shared) for item in items)
        else:
            from joblib import Parallel, delayed

            jobs = (delayed(fn)(item, **shared) for item in items)
            # Worker processes die with this one, even when it is killed outright (SIGKILL).
            options = {"initializer": die_with_parent, "initargs": (os.getpid(),)} if self.n_jobs != 1 else {}
            results = Parallel(n_jobs=self.n_jobs, return_as="generator", **options)(jobs)
        return list(progress_bar(results, progress, total=len(items), desc=desc, unit="job", leave=False))

    def close(self) -> None:
        pass


def die_with_parent(parent_pid: int) -> None:
    """Worker initializer: ask Linux to send SIGTERM when the parent dies (no-op elsewhere)."""
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):
            return
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        os._exit(1)


def stop_local_workers() -> None:
    """Kill joblib's worker processes now (on interruption) instead of letting them finish their jobs.

    joblib keeps one reusable loky executor per process; without this, its workers
    and resource tracker outlive an interrupted run until their jobs end.
    """
    reusable = sys.modules.get("joblib.externals.loky.reusable_executor")
    executor = getattr(reusable, "_executor", None) if reusable is not None else None
    if executor is not None:
        executor.shutdown(wait=False, kill_workers=True)


class DaskBackend:
    """A running Dask cluster, reached through its scheduler address (``tcp://host:8786``).

    Shared data is scattered to every worker once; jobs that die with their worker
    are rerun elsewhere by Dask (``retries`` covers jobs that raise).
    """

    def __init__(self, address: str, retries: int = 3, timeout_s: float = 30.0):
        try:
            from distributed import Client
        except ImportError:
            raise InputError("execution.scheduler is set, but dask.distributed is not installed "
                             "(pip install 'dataperf-vision[dask]', or -r requirements.txt)") from None

        self.address = address
        self.retries = retries
        try:
            self.client = Client(address, timeout=timeout_s, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            cause = " ".join(str(exc).split()) or type(exc).__name__
            raise InputError(f"cannot reach the Dask scheduler at {address} ({cause[:200]})") from None
        self.workers = max(1, sum(self.client.nthreads().values()))

    def map(self, fn, items, shared, desc="", progress=False):
        from concurrent.futures import CancelledError

        if not items:
            return []
        for attempt in range(self.retries + 1):
            try:
                return self._map_once(fn, items, shared, desc, progress)
            except CancelledError as exc:
                # The scheduler dropped the scattered data (for example, broadcast to a worker that had
                # just been killed): its dependent jobs are cancelled, not retried. The jobs are pure, so
                # scattering again and resubmitting gives the same results.
                if attempt == self.retries:
                    raise InputError(f"the Dask cluster at {self.address} kept losing this run's data "
                                     f"({type(exc).__name__}); check its workers") from None
        raise AssertionError("unreachable")

    def _map_once(self, fn, items, shared, desc, progress):
        from distributed import as_completed

        # scatter([value]) ships each value whole (scattering a dict or tuple would split it)
        scattered = {key: self.client.scatter([value], broadcast=True, hash=False)[0]
                     for key, value in shared.items()}
        futures = [self.client.submit(fn, item, **scattered, retries=self.retries, pure=False) for item in items]
        try:
            with progress_bar(None, progress, total=len(futures), desc=desc, unit="job", leave=False) as bar:
                for _ in as_completed(futures, loop=self.client.loop):
                    bar.update(1)
            return self.client.gather(futures)
        finally:
            self.client.cancel([*futures, *scattered.values()])

    def close(self) -> None:
        self.client.close()


def aligned(array: np.ndarray) -> np.ndarray:
    """An aligned, C-contiguous copy when needed.

    Arrays shipped to a Dask worker can arrive as unaligned views into a message
    buffer; BLAS then takes a slow path (measured 10x slower fits), so jobs call this
    on the arrays they compute with.
    """
    return np.require(array, requirements=["C_CONTIGUOUS", "ALIGNED"])


def make_backend(n_jobs: int = 1, scheduler: str | None = None, retries: int = 3,
                 timeout_s: float = 30.0) -> Backend:
    """The backend parameters.yaml asks for: a Dask scheduler address wins over n_jobs."""
    if scheduler:
        return DaskBackend(scheduler, retries=retries, timeout_s=timeout_s)
    return LocalBackend(n_jobs)


class ExecutionSettings(Protocol):
    """What a backend is made from: parameters.yaml's ``execution`` section (formats.parameters.ExecutionParams)."""

    n_jobs: int
    scheduler: str | None
    retries: int
    connect_timeout_s: float


def backend_for(execution: ExecutionSettings) -> Backend:
    """The backend named by parameters.yaml's ``execution`` section."""
    return make_backend(execution.n_jobs, execution.scheduler, execution.retries, execution.connect_timeout_s)
