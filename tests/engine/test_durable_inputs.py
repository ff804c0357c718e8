"""A stage with side effects starts only on stored inputs: when the upstream's outputs
cannot be stored, it never runs (a pure stage may start on the values in memory)."""

from __future__ import annotations

import threading
from dataclasses import replace

from engine_helpers import build_with
from stagefns import make_registry

from mlops_desktop.core.entities import RunStatus
from mlops_desktop.core.registry import StageRegistry
from mlops_desktop.engine.cache import MemoryCache
from mlops_desktop.engine.executors import ThreadExecutor
from mlops_desktop.engine.scheduler import Scheduler


def unstorable(ctx, inputs, params):
    """Outputs a value no artifact format holds (writing it fails, as on a full disk)."""
    return {"out": threading.Lock()}


def _registry() -> StageRegistry:
    base = make_registry()
    sink = base.get("sink")
    return StageRegistry(
        [
            *base,
            replace(sink, id="unstorable", impl="test_durable_inputs:unstorable", inputs=()),
        ]
    )


def test_a_side_effect_stage_never_starts_on_an_unstored_value(artifacts, listener) -> None:
    registry = _registry()
    pipeline = build_with(
        registry,
        [("u", "unstorable", {}), ("rec", "record_here", {}), ("after", "record_here", {})],
        [("u", "out", "rec", "a"), ("rec", "out", "after", "a")],
    )
    ledger: list = []
    executor = ThreadExecutor(2)
    try:
        result = Scheduler(
            registry, artifacts, MemoryCache(), executor, listener, {"ledger": ledger}
        ).run(pipeline, 1)
    finally:
        executor.close()
    assert result.status is RunStatus.FAILED
    assert result.stages["u"].status.value == "failed"
    assert "cannot store the outputs" in result.stages["u"].error
    assert result.stages["rec"].status.value == "skipped"
    assert ledger == []  # the side effect never happened
    assert ("started", "rec") not in listener.events


def test_a_side_effect_stage_runs_once_its_inputs_are_stored(artifacts, listener) -> None:
    registry = _registry()
    pipeline = build_with(
        registry,
        [("s", "sink", {}), ("rec", "record_here", {}), ("after", "record_here", {})],
        [("s", "out", "rec", "a"), ("rec", "out", "after", "a")],
    )
    ledger: list = []
    executor = ThreadExecutor(2)
    try:
        result = Scheduler(
            registry, artifacts, MemoryCache(), executor, listener, {"ledger": ledger}
        ).run(pipeline, 1)
    finally:
        executor.close()
    assert result.status is RunStatus.SUCCEEDED, result.message
    assert [n for n, _ in ledger] == ["rec", "after"]
    # Each started after the stage before it had stored its outputs.
    stored = {n: r.outputs["out"] for n, r in result.stages.items()}
    assert all(d in artifacts.blobs for d in stored.values())
