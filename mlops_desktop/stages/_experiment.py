"""Comparing two groups of per-row outcomes (A = baseline, B = candidate): the difference of
means with a normal-approximation (Welch) 95% interval and a bootstrap percentile interval."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

Z95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class Comparison:
    n_a: int
    n_b: int
    mean_a: float
    mean_b: float
    difference: float  # mean_b - mean_a
    ci_low: float
    ci_high: float
    boot_low: float
    boot_high: float
    p_value: float  # two-sided, normal approximation

    @property
    def verdict(self) -> str:
        if self.ci_low > 0:
            return "B is better"
        if self.ci_high < 0:
            return "B is worse"
        return "no significant difference"


def compare_groups(
    a: Any, b: Any, *, rng: np.random.Generator | None = None, resamples: int = 2000
) -> Comparison:
    """Compare the means of ``b`` and ``a`` (each a 1-D array of per-row outcomes)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(a) < 2 or len(b) < 2:
        raise ValueError("each group needs at least two rows")
    rng = rng or np.random.default_rng(0)
    mean_a, mean_b = float(a.mean()), float(b.mean())
    diff = mean_b - mean_a
    se = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    if se > 0:
        z = diff / se
        p_value = math.erfc(abs(z) / math.sqrt(2.0))
    else:
        p_value = 1.0 if diff == 0 else 0.0
    boot_a = a[rng.integers(0, len(a), size=(resamples, len(a)))].mean(axis=1)
    boot_b = b[rng.integers(0, len(b), size=(resamples, len(b)))].mean(axis=1)
    low, high = np.quantile(boot_b - boot_a, [0.025, 0.975])
    return Comparison(
        len(a),
        len(b),
        mean_a,
        mean_b,
        diff,
        diff - Z95 * se,
        diff + Z95 * se,
        float(low),
        float(high),
        float(p_value),
    )
