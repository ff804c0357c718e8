"""Run stage functions directly with the engine's real context (events recorded)."""

from __future__ import annotations

from mlops_desktop.core.registry import default_registry
from mlops_desktop.engine.context import EngineContext, RecordingSink, StageTask


class Harness:
    """Calls a stage like the engine does and keeps its log and metrics."""

    def __init__(self) -> None:
        self.sink = RecordingSink()
        self.ctx = EngineContext(StageTask(1, "node", "Node", "", {}, {}, threads=1), self.sink)

    def run(self, stage_type: str, inputs: dict | None = None, **params):
        from mlops_desktop.engine.context import import_impl

        spec = default_registry().get(stage_type)
        return import_impl(spec.impl)(self.ctx, inputs or {}, spec.validate_params(params))

    @property
    def log(self) -> str:
        return "\n".join(self.ctx.lines)

    def metric(self, key: str) -> list[float]:
        out: list[float] = []
        for event in self.sink.events:
            if event[0] == "metrics" and event[1] == key:
                out.extend(event[3])
            elif event[0] == "metric" and event[1] == key:
                out.append(event[3])
        return out
