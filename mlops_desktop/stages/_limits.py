"""Bounds on the user-controlled loops of the model stages: how many candidates a tuning
search may try, how many columns permutation importance permutes, and how big a one-hot
encoded matrix may grow.

A grid over a few parameters grows as the product of its lists (4 million candidates from
six short lists), and permutation importance costs one scoring pass per column and repeat:
without a bound either can run for hours with no word. Tune refuses a search over the limit
with the count and the limit; Evaluate permutes a seeded random sample of the columns of
wide data, with progress per column, and records that it sampled.
"""

from __future__ import annotations

from typing import Any

from mlops_desktop.core.execution import StageContext

# One-hot encoding text into a dense matrix: past this size (about 256 MB of float64) a
# stage refuses and names what fixes it (one number per text column, or ignoring the column).
MAX_ONE_HOT_BYTES = 256 * 1024 * 1024
MAX_TUNE_CANDIDATES = 1_000  # the most candidates one Tune search tries (as n_iter's bound)
MAX_IMPORTANCE_COLUMNS = 100  # wider data: permutation importance on a sample of its columns
MAX_IMPORTANCE_PASSES = 200  # ... and at most this many scoring passes (columns x repeats)
WIDE_IMPORTANCE_ROWS = 1_000  # ... on at most this many rows


def check_search_size(ctx: StageContext, size: int, search: str, n_iter: int) -> int:
    """The number of candidates the search tries; fails the stage when over the limit."""
    tried = size if search == "grid" else min(n_iter, size)
    if tried > MAX_TUNE_CANDIDATES:
        ctx.fail(
            f"the grid has {size:,} candidates, more than the {MAX_TUNE_CANDIDATES:,} one search "
            f"may try: give fewer values per parameter, or use random search (n_iter up to "
            f"{MAX_TUNE_CANDIDATES:,})"
        )
    return tried


def sampled_importance(
    ctx: StageContext,
    model: Any,
    X: Any,
    y: Any,
    repeats: int,
    seed: int,
    progress: tuple[float, float],
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Permutation importance of a seeded random sample of :data:`MAX_IMPORTANCE_COLUMNS`
    columns of ``X`` (a DataFrame; fewer when ``repeats`` would pass
    :data:`MAX_IMPORTANCE_PASSES`, on at most :data:`WIDE_IMPORTANCE_ROWS` rows): each column's values shuffled ``repeats`` times, the drop
    of ``model.score`` averaged (as scikit-learn's ``permutation_importance`` with the
    default scorer). Progress per column; a cancel stops between columns. Returns the rows
    (largest drop first) and the record of the sampling."""
    import numpy as np

    rng = np.random.default_rng(seed)
    if len(X) > WIDE_IMPORTANCE_ROWS:  # as for narrow data: a random sample of the rows
        rows_at = rng.choice(len(X), WIDE_IMPORTANCE_ROWS, replace=False)
        X = X.iloc[rows_at]
        y = y.iloc[rows_at] if hasattr(y, "iloc") else y[rows_at]
    columns = list(X.columns)
    count = max(1, min(MAX_IMPORTANCE_COLUMNS, MAX_IMPORTANCE_PASSES // max(1, repeats)))
    chosen = sorted(rng.choice(len(columns), count, replace=False))
    work = X.copy()
    base = float(model.score(work, y))
    start, span = progress
    rows = []
    for done, index in enumerate(chosen, 1):
        name = columns[index]
        original = work.iloc[:, index].to_numpy().copy()
        drops = []
        for _ in range(repeats):  # in place: a wide frame stays one block, scored fast
            work.iloc[:, index] = original[rng.permutation(len(work))]
            drops.append(base - float(model.score(work, y)))
        work.iloc[:, index] = original
        rows.append(
            {"feature": str(name), "mean": float(np.mean(drops)), "std": float(np.std(drops))}
        )
        ctx.progress(
            start + span * done / len(chosen), f"permutation importance {done}/{len(chosen)}"
        )
        ctx.check_cancelled()
    note = {
        "columns": len(chosen),
        "of": len(columns),
        "rows": len(X),
        "repeats": repeats,
        "how": f"a random sample of the columns (seed {seed})",
    }
    ctx.log(
        f"permutation importance on {len(chosen)} of {len(columns):,} columns (a random sample, "
        f"seed {seed}, {len(X):,} rows, {repeats} repeat(s)): wider data than "
        f"{MAX_IMPORTANCE_COLUMNS} columns is sampled"
    )
    return sorted(rows, key=lambda r: -r["mean"]), note


def one_hot_too_big(X: Any) -> tuple[str, str] | None:
    """When one-hot encoding ``X``'s text columns into a dense matrix would pass
    :data:`MAX_ONE_HOT_BYTES`: what it would make (e.g. "one-hot encoding the text column
    'product' (2,952 values) would make 12,000 rows × 2,953 features (270 MB)") and the
    column to blame; None when it fits."""
    import pandas as pd

    if X is None:
        return None
    numeric = pd.api.types.is_numeric_dtype
    text = {str(c): int(X[c].nunique()) for c in X.columns if not numeric(X[c])}
    if not text:
        return None
    width = len(X.columns) - len(text) + sum(text.values())
    size = len(X) * width * 8
    if size <= MAX_ONE_HOT_BYTES:
        return None
    column = max(text, key=lambda c: text[c])
    what = (
        f"one-hot encoding the text column '{column}' ({text[column]:,} values) would make "
        f"{len(X):,} rows × {width:,} features ({size / 2**20:,.0f} MB)"
    )
    return what, column
