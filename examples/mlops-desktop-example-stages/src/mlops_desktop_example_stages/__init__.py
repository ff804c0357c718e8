"""Example stages for MLOps Desktop, registered through the ``mlops_desktop.stages`` entry point.

This module is imported when the app starts, so it only *declares* stages: it imports
nothing heavy. The code that runs a stage lives in :mod:`mlops_desktop_example_stages.clip`
and is imported only when the stage runs.
"""

from __future__ import annotations

from mlops_desktop.core.ports import PortType
from mlops_desktop.core.specs import ParamKind, ParamSpec, PortSpec, StageSpec


def stage_specs() -> list[StageSpec]:
    """The entry point's target: every stage this package adds."""
    return [
        StageSpec(
            id="example.quantile_clip",
            title="Quantile clip",
            category="Data",
            kind="data_transform",  # the lifecycle lenses place it with the data stages
            icon="features",
            description="Clip numeric feature columns to quantiles of their own values, so a "
            "few extreme values cannot dominate a model. The target column is left alone.",
            impl="mlops_desktop_example_stages.clip:quantile_clip",
            inputs=(PortSpec("dataset", PortType.DATASET),),
            outputs=(PortSpec("dataset", PortType.DATASET),),
            params=(
                ParamSpec(
                    "lower", ParamKind.FLOAT, 0.01, "Lower quantile.", minimum=0.0, maximum=0.5
                ),
                ParamSpec(
                    "upper", ParamKind.FLOAT, 0.99, "Upper quantile.", minimum=0.5, maximum=1.0
                ),
                ParamSpec(
                    "columns",
                    ParamKind.STR,
                    "",
                    "Comma-separated columns to clip; empty for every numeric feature.",
                ),
            ),
        )
    ]
