"""Drift statistics per column: population stability index (PSI) as the effect size, and
a two-sample test whose p-value is shown beside it.

Continuous columns: PSI over quantile bins of the reference, and the Kolmogorov-Smirnov test
(``scipy.stats.ks_2samp``). Categorical columns, and numeric columns with few distinct values
(one-hot, binary, counts): PSI over the categories of both samples (a category unseen in the
reference counts with a small floor share), and a chi-square test of the category counts.
A column *drifts* when its PSI exceeds the threshold; the p-value says how sure the test is
and is reported, never silently required. Categories never seen in the reference and jumps
of the missing share are reported per column. Plain numpy/pandas/scipy: no app state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

EPS = 1e-4  # floor for empty bins, so PSI stays finite


FEW_VALUES = 10  # a numeric column with at most this many distinct values is binned by value
MISSING_JUMP = 0.1  # a rise of the missing share by more than this is reported


@dataclass(frozen=True, slots=True)
class FeatureDrift:
    feature: str
    psi: float
    statistic: float  # KS statistic (numeric) or chi-square statistic (categorical)
    p_value: float
    test: str  # "ks" or "chi2"
    drifted: bool  # PSI above the threshold
    bins: str = "quantile"  # "quantile" or "category"
    new_categories: tuple[str, ...] = ()
    new_category_share: float = 0.0
    missing_reference: float = 0.0
    missing_current: float = 0.0

    @property
    def missing_jump(self) -> bool:
        return self.missing_current - self.missing_reference > MISSING_JUMP


def _shares(counts: np.ndarray) -> np.ndarray:
    """Shares of each bin; an empty bin counts as half a row of its sample, so an empty bin
    of a small sample does not blow the PSI up (EPS guards an empty sample)."""
    counts = np.asarray(counts, float)
    total = counts.sum()
    if total <= 0:
        return np.full(len(counts), EPS)
    return np.where(counts > 0, counts, 0.5) / total


def bins_for(bins: int, n_reference: int, n_current: int, psi_threshold: float) -> int:
    """Quantile bins for two samples: as many as asked, fewer when the samples are small,
    so that the PSI expected by chance alone, about (bins - 1) x (1/n_ref + 1/n_cur), stays
    under half the threshold (at least 2)."""
    if n_reference <= 0 or n_current <= 0 or psi_threshold <= 0:
        return bins
    chance_per_bin = 1.0 / n_reference + 1.0 / n_current
    return int(max(2, min(bins, 1 + (psi_threshold / 2.0) // chance_per_bin)))


def psi_from_shares(expected: np.ndarray, actual: np.ndarray) -> float:
    """PSI of two count (or share) vectors; a bin empty in both contributes nothing."""
    expected, actual = np.asarray(expected, float), np.asarray(actual, float)
    used = (expected + actual) > 0
    e, a = _shares(expected[used]), _shares(actual[used])
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


def few_values(reference: Any, limit: int = FEW_VALUES) -> bool:
    """Whether a numeric reference column has so few distinct values that its quantile
    edges collapse (one-hot and binary columns, small counts): it is binned by value."""
    import pandas as pd

    return int(pd.Series(reference).nunique(dropna=True)) <= limit


def _missing(values: Any) -> float:
    import pandas as pd

    series = pd.Series(values)
    return float(series.isna().mean()) if len(series) else 0.0


def feature_drift(
    name: str,
    reference: Any,
    current: Any,
    *,
    bins: int = 10,
    psi_threshold: float = 0.2,
    p_threshold: float = 0.01,
    sizes: tuple[int, int] | None = None,
) -> FeatureDrift:
    """Drift of one column (``sizes``: the distinct rows of the two samples, when known). It *drifted* when its PSI (the effect size) exceeds
    ``psi_threshold``; the test's p-value is reported beside it (``p_threshold`` is kept for
    callers that show significance; it does not decide)."""
    import pandas as pd
    from scipy import stats

    del p_threshold  # the p-value is shown, the effect size decides
    missing_ref, missing_cur = _missing(reference), _missing(current)
    numeric = is_numeric(reference) and is_numeric(current)
    if numeric and not few_values(reference):
        ref = np.asarray(reference, float)
        cur = np.asarray(current, float)
        ref, cur = ref[np.isfinite(ref)], cur[np.isfinite(cur)]
        # rows drawn again and again tell no more than once: count distinct rows
        n_ref, n_cur = sizes or (len(ref), len(cur))
        psi = numeric_psi(ref, cur, bins_for(bins, n_ref, n_cur, psi_threshold))
        if len(ref) and len(cur):
            result = stats.ks_2samp(ref, cur)
            statistic, p_value = float(result.statistic), float(result.pvalue)
        else:
            statistic, p_value = 0.0, 1.0
        test, binning, new, new_share = "ks", "quantile", (), 0.0
    else:
        ref_series, cur_series = pd.Series(reference), pd.Series(current)
        if numeric:  # 0.0 and 0 are one category
            ref_series, cur_series = ref_series.astype(float), cur_series.astype(float)
        psi, ref_counts, cur_counts = categorical_psi(ref_series, cur_series)
        keep = (ref_counts + cur_counts) > 0
        table = np.vstack([ref_counts[keep], cur_counts[keep]])
        if table.shape[1] >= 2:
            chi = stats.chi2_contingency(table)
            statistic, p_value = float(chi.statistic), float(chi.pvalue)
        else:
            statistic, p_value = 0.0, 1.0
        seen = set(ref_series.dropna().astype("string"))
        cur_text = cur_series.dropna().astype("string")
        unseen = cur_text[~cur_text.isin(seen)]
        new = tuple(sorted(set(unseen)))[:20]
        new_share = float(len(unseen) / len(cur_series)) if len(cur_series) else 0.0
        test, binning = "chi2", "category"
    if not math.isfinite(p_value):
        p_value = 1.0
    return FeatureDrift(
        name,
        psi,
        statistic,
        p_value,
        test,
        psi > psi_threshold,
        binning,
        new,
        new_share,
        missing_ref,
        missing_cur,
    )


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
    sizes = (len(reference[shared].drop_duplicates()), len(current[shared].drop_duplicates()))
    return [
        feature_drift(
            str(c),
            reference[c],
            current[c],
            bins=bins,
            psi_threshold=psi_threshold,
            p_threshold=p_threshold,
            sizes=sizes,
        )
        for c in shared
    ]
