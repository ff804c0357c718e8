"""The traffic simulator's arithmetic: draw a batch of serving rows from held-out data and
apply a drift whose size grows with the batch index.

Kinds of drift (``amount`` = drift per batch x batch index):
- ``shift``: numeric features move by ``amount`` standard deviations;
- ``scale``: numeric features spread ``1 + amount`` times as wide around their mean;
- ``new_category``: a share ``min(1, amount)`` of the rows of each text/categorical feature
  take a category never seen before;
- ``label_flip``: a share ``min(1, amount)`` of the labels change (another class, or the
  value mirrored around the mean for regression): concept drift, inputs unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

DRIFTS = ("none", "shift", "scale", "new_category", "label_flip")


class DriftError(ValueError):
    """The requested drift does not fit the data (a one-line message for the user)."""


def sample_rows(n_rows: int, batch_size: int, rng: np.random.Generator) -> np.ndarray:
    """Row positions of one batch, without replacement where the rows allow it: a batch
    larger than the rows takes whole permutations one after another (every row once per
    pass), and the last pass only as far as the batch needs."""
    if n_rows <= 0:
        raise DriftError("the held-out part has no rows to draw traffic from")
    passes = -(-batch_size // n_rows)
    return np.concatenate([rng.permutation(n_rows) for _ in range(passes)])[:batch_size]


def _columns(frame: Any, wanted: Sequence[str], numeric: bool) -> list[str]:
    import pandas as pd

    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise DriftError(f"no column named {', '.join(repr(c) for c in missing)} to drift")
    pool = list(wanted) or [str(c) for c in frame.columns]
    if numeric:
        return [
            c
            for c in pool
            if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
        ]
    return [c for c in pool if not pd.api.types.is_numeric_dtype(frame[c])]


def apply_drift(
    X: Any,
    y: Any,
    kind: str,
    amount: float,
    *,
    columns: Sequence[str] = (),
    task: str = "",
    reference: Any = None,
    rng: np.random.Generator | None = None,
) -> tuple[Any, Any]:
    """``(X, y)`` with the drift applied (copies; the inputs are not changed).

    ``reference`` (default ``X``) gives the means and standard deviations that ``shift`` and
    ``scale`` use, so the size of a drift does not depend on the batch drawn.
    """
    import pandas as pd

    rng = rng or np.random.default_rng(0)
    X = X.copy()
    y = y.copy() if y is not None else None
    ref = X if reference is None else reference
    if kind not in DRIFTS:
        raise DriftError(f"unknown drift '{kind}' (use {', '.join(DRIFTS)})")
    if kind == "none" or amount <= 0:
        return X, y
    if kind in ("shift", "scale"):
        cols = _columns(X, columns, numeric=True)
        if not cols:
            raise DriftError("no numeric column to drift")
        for c in cols:
            values = X[c].astype(float)
            mean, std = float(ref[c].astype(float).mean()), float(ref[c].astype(float).std(ddof=0))
            if kind == "shift":
                X[c] = values + amount * (std if std > 0 else 1.0)
            else:
                X[c] = mean + (values - mean) * (1.0 + amount)
        return X, y
    share = min(1.0, amount)
    n_flip = int(round(share * len(X)))
    rows = rng.permutation(len(X))[:n_flip]
    if kind == "new_category":
        cols = _columns(X, columns, numeric=False)
        if not cols:
            raise DriftError(
                "new_category drift needs a text or categorical column, and this data has none "
                "(use shift or scale for numeric data)"
            )
        for c in cols:
            col = X[c].astype("object")
            col.iloc[rows] = f"new-{c}"
            X[c] = col
        return X, y
    # label_flip
    if y is None:
        raise DriftError("label_flip drift needs labels")
    y = pd.Series(np.asarray(y), index=X.index, name=getattr(y, "name", None))
    if task == "regression":
        mean = float(y.mean())
        y.iloc[rows] = 2 * mean - y.iloc[rows].astype(float)
        return X, y
    classes = np.unique(np.asarray(y))
    if len(classes) < 2:
        raise DriftError("label_flip drift needs at least two classes")
    values = y.to_numpy().copy()
    for i in rows:
        others = classes[classes != values[i]]
        values[i] = others[rng.integers(0, len(others))]
    return X, pd.Series(values, index=X.index, name=y.name)
