"""Measured seconds, as a time file holds them.

A time file holds the wall-clock seconds a baseline spent computing its order
(from arrays in memory to the order; reading files is excluded), rounded UP to
the millisecond: an honest upper bound at a resolution that still separates a
0.01 s method from a 1 s one in the time-vs-score figure. Measured times vary
from run to run, so time files (and the ``valuation_time_s`` that
evaluate_debugging copies from them) are the one output that is not
byte-identical across reruns.

Tests that need byte-identical outputs of a whole pipeline pin every measured
time with the environment variable :data:`PIN_ENV` (a number of seconds).
"""
from __future__ import annotations

import math
import os
import time
from contextlib import contextmanager
from typing import Iterator

TIME_RESOLUTION_S = 0.001
PIN_ENV = "BENCHMARK_PIN_SECONDS"


def round_up(seconds: float, resolution: float = TIME_RESOLUTION_S) -> float:
    """Seconds rounded up to a multiple of the resolution (never 0: a method always costs something)."""
    steps = max(1, math.ceil(seconds / resolution - 1e-9))
    return round(steps * resolution, 10)


def reported_seconds(measured: float) -> float:
    """What a time file holds: the pinned value when :data:`PIN_ENV` is set, else the measurement rounded up."""
    pinned = os.environ.get(PIN_ENV)
    if pinned:
        try:
            value = float(pinned)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"{PIN_ENV}={pinned!r} is not a finite, non-negative number of seconds")
        return value
    return round_up(measured)


class Stopwatch:
    """Accumulates wall-clock seconds over one or more ``with watch.running():`` blocks."""

    def __init__(self) -> None:
        self.seconds = 0.0

    @contextmanager
    def running(self) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds += time.perf_counter() - start
