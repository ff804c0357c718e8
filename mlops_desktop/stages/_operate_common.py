"""Helpers shared by the operate stages: reaching the registry, lining up feature columns,
scoring with timing, and the cache hook that keeps operate stages from being cached."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import Any

from mlops_desktop.core.execution import ModelValue, StageContext
from mlops_desktop.core.operate_entities import ModelVersion, OperateBackend


def never_cache(params: dict[str, Any]) -> None:
    """Cache hook of every operate stage: they change or read the registry, so always run."""
    return None


def backend(ctx: StageContext) -> OperateBackend:
    """The app's registry for this run, or a clear failure when the run has none."""
    service = ctx.services.get("registry") if ctx.services else None
    if service is None:
        ctx.fail(
            "this run has no model registry: run the pipeline from the app or the "
            "mlops-desktop command, which provide one"
        )
    return _for_stage(service, ctx)


def optional_backend(ctx: StageContext) -> OperateBackend | None:
    service = ctx.services.get("registry") if ctx.services else None
    return None if service is None else _for_stage(service, ctx)


def _for_stage(service: Any, ctx: StageContext) -> OperateBackend:
    """The registry bound to this stage, so that what it changes is noted against it (the
    run takes the change back if the stage does not succeed after all)."""
    bind = getattr(service, "for_stage", None)
    return bind(ctx.node_id) if callable(bind) else service


def as_frame(X: Any, feature_names: list[str] | tuple[str, ...] = ()) -> Any:
    """``X`` as a DataFrame with string column names."""
    import pandas as pd

    if isinstance(X, pd.DataFrame):
        frame = X.copy(deep=False)
        frame.columns = [str(c) for c in frame.columns]
        return frame
    array = X.to_numpy() if hasattr(X, "to_numpy") else X
    names = list(feature_names) or [f"x{i}" for i in range(array.shape[1])]
    return pd.DataFrame(array, columns=names)


def align(frame: Any, feature_names: list[str] | tuple[str, ...]) -> Any:
    """The model's features in the order it was trained with (serving reorders by name)."""
    names = [str(n) for n in feature_names]
    if not names:
        return frame
    missing = [n for n in names if n not in frame.columns]
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise KeyError(f"the data lacks {len(missing)} feature(s) the model needs: {shown}")
    return frame[names]


def timed_predict(estimator: Any, X: Any) -> tuple[Any, float]:
    """Predictions and the time the call took, in seconds."""
    start = time.perf_counter()
    y = estimator.predict(X)
    return y, time.perf_counter() - start


def finite_metrics(values: Mapping[str, Any]) -> dict[str, float]:
    """Metric values that are finite numbers (the registry stores plain floats)."""
    out: dict[str, float] = {}
    for key, value in values.items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        if math.isfinite(number):
            out[str(key)] = number
    return out


def model_of(version: ModelVersion, estimator: Any) -> ModelValue:
    """A :class:`ModelValue` for a registered version loaded from the registry."""
    classes = getattr(estimator, "classes_", None)
    return ModelValue(
        estimator,
        version.task,
        list(version.feature_names),
        str(version.params.get("estimator", type(estimator).__name__)),
        dict(version.params),
        [c.item() if hasattr(c, "item") else c for c in classes] if classes is not None else None,
    )


def labels_of(dataset: Any) -> tuple[Any, Any]:
    """``(X, y)`` of a dataset value; ``y`` is None when it has no target column."""
    frame, target = dataset.frame, dataset.target
    if target and target in frame.columns:
        return frame.drop(columns=[target]), frame[target]
    return frame, None
