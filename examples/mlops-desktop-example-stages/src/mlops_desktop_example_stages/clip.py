"""The Quantile clip stage's implementation (imported only when the stage runs)."""

from __future__ import annotations

from typing import Any

from mlops_desktop.core.execution import DatasetValue, StageContext


def quantile_clip(
    ctx: StageContext, inputs: dict[str, Any], params: dict[str, Any]
) -> dict[str, Any]:
    import pandas as pd

    from mlops_desktop.stages.data import content_hash, schema_of

    data: DatasetValue = inputs["dataset"]
    frame = data.frame.copy()
    lower, upper = params["lower"], params["upper"]
    if lower >= upper:
        ctx.fail(f"the lower quantile ({lower}) must be below the upper one ({upper})")
    wanted = [c.strip() for c in params["columns"].split(",") if c.strip()]
    numeric = [
        c for c in frame.columns if c != data.target and pd.api.types.is_numeric_dtype(frame[c])
    ]
    unknown = [c for c in wanted if c not in numeric]
    if unknown:
        ctx.fail(f"'{unknown[0]}' is not a numeric feature column")
    clipped = 0
    for i, column in enumerate(wanted or numeric):
        ctx.check_cancelled()
        low, high = frame[column].quantile([lower, upper])
        outside = (frame[column] < low) | (frame[column] > high)
        clipped += int(outside.sum())
        frame[column] = frame[column].clip(low, high)
        ctx.progress((i + 1) / len(wanted or numeric), column)
    ctx.log_metric("clipped_values", clipped)
    ctx.log(f"clipped {clipped:,} values in {len(wanted or numeric)} columns")
    value = DatasetValue(
        frame, data.target, data.task, data.name, content_hash(frame), schema_of(frame)
    )
    return {"dataset": value}
