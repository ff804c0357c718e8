"""The thread executor: a thread per stage that ends with it, at most ``workers`` at once."""

from __future__ import annotations

import threading
import time

from mlops_desktop.engine.context import StageTask
from mlops_desktop.engine.executors import ThreadExecutor

SEEN: list[tuple[str, int]] = []  # (node id, thread ident) of every stage run here
LIVE: list[int] = []  # how many stages ran at once, sampled by each stage
_lock = threading.Lock()
_running = 0


def probe(ctx, inputs, params):
    global _running
    with _lock:
        _running += 1
        LIVE.append(_running)
        SEEN.append((ctx.node_id, threading.get_ident()))
    time.sleep(params.get("seconds", 0.05))
    with _lock:
        _running -= 1
    return {"out": threading.current_thread().name}


class _Sink:
    def progress(self, *a) -> None: ...
    def log(self, *a) -> None: ...
    def metrics(self, *a) -> None: ...
    def artifact(self, data: bytes, suffix: str) -> str:
        return ""

    def cancelled(self) -> bool:
        return False


def _task(node: str, seconds: float = 0.05) -> StageTask:
    return StageTask(
        1, node, node, "test_executors:probe", {}, {"seconds": seconds}, outputs=("out",)
    )


def test_each_stage_gets_a_thread_that_ends_with_it_and_workers_bound_concurrency() -> None:
    SEEN.clear()
    LIVE.clear()
    before = set(threading.enumerate())
    executor = ThreadExecutor(workers=2)
    futures = [executor.submit(_task(f"s{i}"), _Sink(), {}) for i in range(6)]
    outcomes = [f.result(timeout=10) for f in futures]
    executor.close()
    assert [o.status for o in outcomes] == ["succeeded"] * 6
    assert max(LIVE) == 2  # never more than the workers
    names = {o.outputs["out"] for o in outcomes}
    assert len(names) == 6  # a thread of its own per stage
    assert set(threading.enumerate()) <= before  # none lives on


def test_close_cancels_stages_that_have_not_started() -> None:
    executor = ThreadExecutor(workers=1)
    first = executor.submit(_task("long", 0.3), _Sink(), {})
    waiting = executor.submit(_task("later"), _Sink(), {})
    time.sleep(0.05)
    executor.close()
    assert first.result().status == "succeeded"
    assert waiting.cancelled()
