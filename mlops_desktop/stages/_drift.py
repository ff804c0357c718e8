"""Drift statistics: population stability index (PSI) and two-sample tests per feature.

Numeric features: PSI over quantile bins of the reference, and the Kolmogorov-Smirnov test
(``scipy.stats.ks_2samp``). Categorical features: PSI over the categories of both samples
(a category unseen in the reference counts with a small floor share), and a chi-square test
of the category counts. Everything here is plain numpy/pandas/scipy: no app state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

EPS = 1e-4  # floor for empty bins, so PSI stays finite


@dataclass(frozen=True, slots=True)
class FeatureDrift:
    feature: str
    psi: float
    statistic: float  # KS statistic (numeric) or chi-square statistic (categorical)
    p_value: float
    test: str  # "ks" or "chi2"
    drifted: bool


def _shares(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    shares = counts / total if total > 0 else np.zeros_like(counts, dtype=float)
    return np.clip(shares, EPS, None)


def psi_from_shares(expected: np.ndarray, actual: np.ndarray) -> float:
    e, a = _shares(np.asarray(expected, float)), _shares(np.asarray(actual, float))
    return float(np.sum((a - e) * np.log(a / e)))


def numeric_psi(reference: np.ndarray, current: np.ndarray, bins: int = 10) -> float:
    """PSI of ``current`` against ``reference`` over the reference's quantile bins."""
    ref = np.asarray(reference, float)
    cur = np.asarray(current, float)
    ref, cur = ref[np.isfinite(ref)], cur[np.isfinite(cur)]
    if len(ref) == 0 or len(cur) == 0:
        return 0.0
    edges = np.unique(np.quantile(ref, np.linspace(0.0, 1.0, bins + 1)))
    if len(edges) < 2:  # a constant reference: one bin for its value, one for anything else
        same_ref = np.isclose(ref, edges[0]).sum()
        same_cur = np.isclose(cur, edges[0]).sum()
        return psi_from_shares(
            np.array([same_ref, len(ref) - same_ref]), np.array([same_cur, len(cur) - same_cur])
        )
    inner = edges[1:-1]
    ref_counts = np.bincount(np.searchsorted(inner, ref, side="right"), minlength=len(inner) + 1)
    cur_counts = np.bincount(np.searchsorted(inner, cur, side="right"), minlength=len(inner) + 1)
    return psi_from_shares(ref_counts, cur_counts)


def categorical_psi(reference: Any, current: Any) -> tuple[float, np.ndarray, np.ndarray]:
    """PSI over the union of categories, plus the two count vectors (for a chi-square test)."""
    import pandas as pd

    ref = pd.Series(reference).astype("string").fillna("<missing>")
    cur = pd.Series(current).astype("string").fillna("<missing>")
    cats = sorted(set(ref.unique()) | set(cur.unique()))
    ref_counts = ref.value_counts().reindex(cats, fill_value=0).to_numpy(float)
    cur_counts = cur.value_counts().reindex(cats, fill_value=0).to_numpy(float)
    return psi_from_shares(ref_counts, cur_counts), ref_counts, cur_counts


def is_numeric(series: Any) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(series)) and not pd.api.types.is_bool_dtype(series)


def feature_drift(
    name: str,
    reference: Any,
    current: Any,
    *,
    bins: int = 10,
    psi_threshold: float = 0.2,
    p_threshold: float = 0.01,
) -> FeatureDrift:
    """Drift of one feature. It *drifted* when its PSI exceeds ``psi_threshold`` and its test
    rejects "same distribution" at ``p_threshold`` (both, so that neither a small sample's
    noisy PSI nor a large sample's tiny but significant shift raises an alert alone)."""
    from scipy import stats

    if is_numeric(reference) and is_numeric(current):
        ref = np.asarray(reference, float)
        cur = np.asarray(current, float)
        psi = numeric_psi(ref, cur, bins)
        ref, cur = ref[np.isfinite(ref)], cur[np.isfinite(cur)]
        if len(ref) and len(cur):
            result = stats.ks_2samp(ref, cur)
            statistic, p_value = float(result.statistic), float(result.pvalue)
        else:
            statistic, p_value = 0.0, 1.0
        test = "ks"
    else:
        psi, ref_counts, cur_counts = categorical_psi(reference, current)
        keep = (ref_counts + cur_counts) > 0
        table = np.vstack([ref_counts[keep], cur_counts[keep]])
        if table.shape[1] >= 2:
            chi = stats.chi2_contingency(table)
            statistic, p_value = float(chi.statistic), float(chi.pvalue)
        else:
            statistic, p_value = 0.0, 1.0
        test = "chi2"
    if not math.isfinite(p_value):
        p_value = 1.0
    drifted = psi > psi_threshold and p_value < p_threshold
    return FeatureDrift(name, psi, statistic, p_value, test, drifted)


def frame_drift(
    reference: Any,
    current: Any,
    *,
    bins: int = 10,
    psi_threshold: float = 0.2,
    p_threshold: float = 0.01,
) -> list[FeatureDrift]:
    """Drift of every column the two frames share, in the reference's column order."""
    shared = [c for c in reference.columns if c in set(current.columns)]
    return [
        feature_drift(
            str(c),
            reference[c],
            current[c],
            bins=bins,
            psi_threshold=psi_threshold,
            p_threshold=p_threshold,
        )
        for c in shared
    ]
