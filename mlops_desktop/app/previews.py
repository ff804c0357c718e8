"""Plain, JSON-able previews of stage outputs (the GUI renders them; no Qt here).

``preview(value)`` returns a dict with ``kind`` (``table``, ``split``, ``metrics``,
``profile``, ``report``, ``model``, ``transformer``, ``value``), a ``title`` and fields per
kind: ``columns`` + ``rows`` (the head of a table as lists of cells), ``metrics`` (name ->
number), ``profile`` (column -> statistics).
"""

from __future__ import annotations

import math
from typing import Any

from mlops_desktop.core.execution import (
    DatasetValue,
    MetricsValue,
    ModelValue,
    PredictionsValue,
    ReportValue,
    SplitValue,
    TransformerValue,
)

HEAD_ROWS = 50


def _cell(value: Any) -> Any:
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def table_head(frame: Any, rows: int = HEAD_ROWS) -> dict[str, Any]:
    head = frame.head(rows)
    return {
        "columns": [str(c) for c in head.columns],
        "dtypes": [str(t) for t in head.dtypes],
        "rows": [[_cell(v) for v in row] for row in head.itertuples(index=False, name=None)],
        "shape": [int(frame.shape[0]), int(frame.shape[1])],
    }


def preview(value: Any, rows: int = HEAD_ROWS) -> dict[str, Any]:
    """A preview of one port value."""
    if isinstance(value, DatasetValue):
        return {
            "kind": "table",
            "title": f"{value.name or 'Dataset'}: {value.shape[0]:,} x {value.shape[1]}",
            "target": value.target,
            "task": value.task,
            "content_hash": value.content_hash,
            **table_head(value.frame, rows),
        }
    if isinstance(value, PredictionsValue):
        return {
            "kind": "table",
            "title": f"Predictions ({len(value.frame):,} rows)",
            "task": value.task,
            **table_head(value.frame, rows),
        }
    if isinstance(value, SplitValue):
        return _split(value, rows)
    if isinstance(value, MetricsValue):
        return {
            "kind": "metrics",
            "title": "Metrics",
            "metrics": {k: _cell(v) for k, v in value.values.items()},
            "details": sorted(value.details),
        }
    if isinstance(value, ReportValue):
        if value.kind == "profile":
            return {
                "kind": "profile",
                "title": f"Profile of {value.data.get('dataset', 'the data')}",
                "profile": value.data.get("profile", {}),
                "violations": value.data.get("violations", []),
                "rows_total": value.data.get("rows"),
            }
        return {"kind": "report", "title": value.kind.capitalize(), "data": value.data}
    if isinstance(value, ModelValue):
        return {
            "kind": "model",
            "title": type(_final_step(value.estimator)).__name__,
            "steps": _step_names(value.estimator),
            "task": value.task,
            "estimator": value.estimator_name,
            "params": {k: _cell(v) for k, v in value.params.items()},
            "features": list(value.feature_names),
            "classes": [_cell(c) for c in value.classes or []],
        }
    if isinstance(value, TransformerValue):
        return {
            "kind": "transformer",
            "title": "Feature transformer",
            "text": repr(value.transformer),
            "features_in": value.feature_names_in,
            "features_out": value.feature_names_out,
        }
    return {"kind": "value", "title": type(value).__name__, "text": repr(value)[:4000]}


def _final_step(estimator: Any) -> Any:
    """The estimator at the end of a fitted pipeline (the model itself is a whole pipeline)."""
    steps = getattr(estimator, "steps", None)
    return steps[-1][1] if steps else estimator


def _step_names(estimator: Any) -> list[str]:
    """The pipeline's steps as 'name: Class' (one entry for a bare estimator)."""
    steps = getattr(estimator, "steps", None) or [("model", estimator)]
    return [f"{name}: {type(step).__name__}" for name, step in steps]


def _split(value: SplitValue, rows: int) -> dict[str, Any]:
    import pandas as pd

    parts = {"train": len(value.X_train), "test": len(value.X_test)}
    if value.X_val is not None:
        parts["validation"] = len(value.X_val)
    X = value.X_train if isinstance(value.X_train, pd.DataFrame) else pd.DataFrame(value.X_train)
    frame = X.head(rows).copy()
    if value.target:
        frame[value.target] = pd.Series(value.y_train).head(rows).to_numpy()
    title = ", ".join(f"{k} {v:,}" for k, v in parts.items())
    return {
        "kind": "split",
        "title": f"Split: {title}",
        "parts": parts,
        "task": value.task,
        "target": value.target,
        **table_head(frame, rows),
    }
