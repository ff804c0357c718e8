"""Small stage implementations for engine tests (importable by module path, like real ones)."""

from __future__ import annotations

import time

from mlops_desktop.core.ports import PortType as T
from mlops_desktop.core.registry import StageRegistry
from mlops_desktop.core.specs import ParamKind, ParamSpec, PortSpec, StageSpec
from mlops_desktop.stages import stage_specs

CALLS: list[tuple[str, int]] = []  # (node id, threads) of every executed "wait" stage


def wait(ctx, inputs, params):
    """Sleeps ``seconds`` in small steps, checking for cancel; outputs a number."""
    CALLS.append((ctx.node_id, ctx.threads))
    end = time.monotonic() + params["seconds"]
    while time.monotonic() < end:
        ctx.check_cancelled()
        time.sleep(0.01)
    ctx.progress(1.0, "done")
    return {"out": params["value"] + sum(v for v in inputs.values() if isinstance(v, int | float))}


def boom(ctx, inputs, params):
    ctx.log("about to break")
    raise ZeroDivisionError("division by zero in a stage")


def many_metrics(ctx, inputs, params):
    import numpy as np

    n = params["value"]
    ctx.log_metrics("loss", np.linspace(1.0, 0.0, n))
    for i in range(10):
        ctx.log_metric("single", float(i))
    return {"out": n}


def sink(ctx, inputs, params):
    return {"out": 1}


def record_here(ctx, inputs, params):
    """A side-effect stage: calls the app's ``ledger`` service with the thread it runs on."""
    import threading

    ledger = ctx.services.get("ledger")
    if ledger is None:
        ctx.fail("no ledger service in this process")
    ledger.append((ctx.node_id, threading.current_thread().name))
    ctx.log("recorded")
    return {"out": len(ledger)}


def _spec(id_: str, impl: str, inputs=(), version: int = 1, **extra) -> StageSpec:
    return StageSpec(
        id=id_,
        title=id_.capitalize(),
        category="Test",
        description="test stage",
        impl=f"stagefns:{impl}",
        kind="custom",
        inputs=tuple(PortSpec(n, T.ANY, optional=True) for n in inputs),
        outputs=(PortSpec("out", T.ANY),),
        params=(ParamSpec("seconds", ParamKind.FLOAT, 0.0), ParamSpec("value", ParamKind.INT, 1)),
        version=version,
        **extra,
    )


def make_registry() -> StageRegistry:
    return StageRegistry(
        [
            *stage_specs(),
            _spec("wait", "wait", ("a", "b")),
            _spec("boom", "boom", ("a",)),
            _spec("many_metrics", "many_metrics"),
            _spec("sink", "sink", ("a",)),
            _spec("record_here", "record_here", ("a",), side_effects=True),
        ]
    )
