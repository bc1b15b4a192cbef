"""Measured seconds, written at a fixed resolution.

A time file holds the wall-clock seconds a baseline spent computing its order
(from arrays in memory to the order; reading files is excluded), rounded UP to
:data:`TIME_RESOLUTION_S`. Rounding up keeps the number an honest upper bound,
and the coarse resolution keeps the files -- and the ``valuation_time_s`` that
evaluate_debugging copies into results.yaml -- byte-identical across reruns
whenever a measurement stays inside the same step. Every baseline takes well
under a second per data_id on the demo data (and on DataPerf-sized synthetic
data: 300 rows x 2048-d), so there every time file reads 1.0 on every run. A
method that needs about a multiple of the step may still flip between two
neighbouring values from one run to the next: that is real timing noise, not
hidden. The precise measurements are what perf/baselines.py reports.
"""
from __future__ import annotations

import math
import time
from contextlib import contextmanager
from typing import Iterator

TIME_RESOLUTION_S = 1.0


def round_up(seconds: float, resolution: float = TIME_RESOLUTION_S) -> float:
    """Seconds rounded up to a multiple of the resolution (never 0: a method always costs something)."""
    steps = max(1, math.ceil(seconds / resolution - 1e-9))
    return round(steps * resolution, 10)


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
