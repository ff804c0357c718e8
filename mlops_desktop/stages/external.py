"""What running an external step does: refuse, since it runs in its cloud, not here."""

from __future__ import annotations

from typing import Any


def run_external(ctx: Any, inputs: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """Never runs the imported step's command or image: the stage fails with the reason."""
    ctx.fail(
        f"'{params.get('step_key', 'this step')}' is an imported {params.get('vendor', 'cloud')} "
        "step: it runs in its cloud, not in MLOps Desktop"
    )
    return {}
