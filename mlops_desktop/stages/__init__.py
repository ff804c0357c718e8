"""The built-in stages, registered through the ``mlops_desktop.stages`` entry point.

Specs (what a stage is) live in the ``specs_*`` modules and import nothing heavy; the code
that runs a stage lives in the matching implementation module, imported only when it runs.
"""

from __future__ import annotations

from mlops_desktop.core.specs import StageSpec


def stage_specs() -> list[StageSpec]:
    """Every built-in stage spec (the entry point's target)."""
    from mlops_desktop.stages import specs_data, specs_external, specs_model, specs_operate

    return [*specs_data.SPECS, *specs_model.SPECS, *specs_operate.SPECS, *specs_external.SPECS]
