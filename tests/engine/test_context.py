"""The stage context: throttled progress, metric steps, artifacts, cancel and fail."""

from __future__ import annotations

import hashlib
import threading

import pytest

from mlops_desktop.core.execution import Cancelled, StageContext, StageFailed
from mlops_desktop.engine.context import EngineContext, LiveSink, RecordingSink, StageTask


def make(sink=None) -> EngineContext:
    return EngineContext(StageTask(7, "n1", "Node", "", {}, {}, threads=2), sink or RecordingSink())


def test_is_a_stage_context_and_throttles_progress():
    ctx = make()
    assert isinstance(ctx, StageContext) and ctx.threads == 2 and ctx.run_id == 7
    for i in range(1000):
        ctx.progress(i / 1000)
    ctx.progress(1.0, "done")
    events = [e for e in ctx._sink.events if e[0] == "progress"]
    assert 1 <= len(events) < 50 and events[-1] == ("progress", 1.0, "done")


def test_metric_steps_continue_per_key_and_artifacts_are_content_addressed():
    ctx = make()
    ctx.log_metric("loss", 1.0)
    ctx.log_metric("loss", 0.5)
    ctx.log_metrics("loss", [0.4, 0.3])
    ctx.log_metric("acc", 0.9, step=10)
    metrics = [e for e in ctx._sink.events if e[0] in ("metric", "metrics")]
    assert [e[:3] for e in metrics] == [
        ("metric", "loss", 0),
        ("metric", "loss", 1),
        ("metrics", "loss", [2, 3]),
        ("metric", "acc", 10),
    ]
    assert ctx.metric_log == [  # a loop's single points make one entry of the cache record
        ("loss", [0, 1], [1.0, 0.5]),
        ("loss", [2, 3], [0.4, 0.3]),
        ("acc", [10], [0.9]),
    ]
    digest = ctx.log_artifact("schema", b"{}", "json")
    assert (
        digest == hashlib.sha256(b"{}").hexdigest()
        and ctx._sink.artifacts[digest + "|.json"] == b"{}"
    )


def test_cancel_and_fail():
    event = threading.Event()

    class Listener:
        def stage_log(self, *a):
            pass

    ctx = make(LiveSink(Listener(), None, event))
    ctx.check_cancelled()
    event.set()
    with pytest.raises(Cancelled):
        ctx.check_cancelled()
    with pytest.raises(StageFailed, match="no rows"):
        ctx.fail("no rows")
    ctx.skip_downstream("gate said no")
    assert (
        ctx.skip_reason == "gate said no" and "downstream stages skipped: gate said no" in ctx.lines
    )
