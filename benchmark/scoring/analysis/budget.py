"""Selection budget curves: F1 when training on the first s rows of a submitted set, and a power-law fit.

The fit is DataEval's sufficiency model written for a score that grows: f(s) = c - a s^(-b)
(a >= 0, b > 0, c <= 1). Solving f(s) = target gives the budget the curve projects for a
score; none when the target is at or above the plateau c.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np


B_BOUNDS = (1e-3, 5.0)


def budget_sizes(n: int, step: int) -> list[int]:
    """step, 2 step, ... below n, then n itself (the leaderboard fit)."""
    return [*range(step, n, step), n]


def power_law(size: np.ndarray | float, a: float, b: float, c: float) -> np.ndarray | float:
    return c - a * np.power(size, -b)


@dataclass(frozen=True)
class PowerLaw:
    a: float
    b: float
    c: float

    @property
    def at_bound(self) -> bool:
        """True when the fit ends on a bound (b at 0.001 or 5, or the plateau c at 1): the curve does not pin
        the law down (too flat, too noisy or still rising), so its projections are not to be trusted."""
        return bool(self.b <= B_BOUNDS[0] * 1.001 or self.b >= B_BOUNDS[1] * 0.999 or self.c >= 1 - 1e-9)

    def __call__(self, size: np.ndarray | float) -> np.ndarray | float:
        return power_law(size, self.a, self.b, self.c)

    def budget_for(self, target: float) -> float | None:
        """The size s at which f(s) = target; None when the fit never reaches it (target >= c or a = 0)."""
        if target >= self.c or self.a <= 0:
            return None
        if target <= self.c - self.a:  # reached already at s = 1
            return 1.0
        return float((self.a / (self.c - target)) ** (1.0 / self.b))


def fit_power_law(sizes: Sequence[int], values: Sequence[float | None]) -> PowerLaw | None:
    """Least-squares fit of f(s) = c - a s^(-b) to the defined points; None with fewer than 3 or no convergence.

    Sizes are scaled by the largest one while fitting (a is scaled back), which keeps the
    problem well conditioned; the start point is fixed, so the fit is deterministic.
    """
    from scipy.optimize import OptimizeWarning, curve_fit  # here: a debugging evaluation never loads scipy

    points = [(float(s), float(v)) for s, v in zip(sizes, values) if v is not None and math.isfinite(v)]
    if len(points) < 3:
        return None
    x = np.array([p[0] for p in points])
    y = np.array([p[1] for p in points])
    scale = float(x.max())
    c0 = min(1.0, float(y.max()) + 0.01)
    a0 = max(1e-6, (c0 - float(y[np.argmin(x)])) * (x.min() / scale) ** 0.5)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            (a, b, c), _ = curve_fit(power_law, x / scale, y, p0=(a0, 0.5, c0),
                                     bounds=([0.0, B_BOUNDS[0], -1.0], [np.inf, B_BOUNDS[1], 1.0]), method="trf",
                                     x_scale="jac", ftol=1e-14, xtol=1e-14, gtol=1e-14, max_nfev=20_000)
    except (RuntimeError, ValueError):
        return None
    return PowerLaw(a=float(a * scale ** b), b=float(b), c=float(c))
