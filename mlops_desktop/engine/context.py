"""The context a stage runs with, and the function that runs one stage anywhere.

:func:`run_stage` is module-level (importable by path) so a Dask worker can call it. It
imports the stage's implementation, limits native thread pools to the stage's share of the
cores, and returns a :class:`StageOutcome`. Events go to a
:class:`~mlops_desktop.core.execution.StageSink`: in-process executors pass a
:class:`LiveSink` that forwards to the :class:`~mlops_desktop.core.execution.RunListener` at
once (a point logged with ``ctx.log_metric`` reaches ``metric_logged``, a series logged with
``ctx.log_metrics`` reaches ``metrics_logged``); remote ones a :class:`RecordingSink` whose
events travel back with the outcome and are replayed by :func:`replay_events`.
"""

from __future__ import annotations

import hashlib
import importlib
import re
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

from mlops_desktop.core.entities import StageStatus
from mlops_desktop.core.execution import Cancelled, RunListener, StageFailed, StageSink
from mlops_desktop.core.protocols import ArtifactStore

if TYPE_CHECKING:
    from mlops_desktop.core.execution import Steps, Values

#: What a stage logged, by call: ``(key, steps, values)``; replayed on cache hits.
MetricLog = list[tuple[str, list[int], list[float]]]


@dataclass(slots=True)
class StageTask:
    """Everything needed to run one stage (picklable, for remote executors)."""

    run_id: int
    node_id: str
    title: str
    impl: str
    inputs: dict[str, Any]
    params: dict[str, Any]
    threads: int = 1
    environment: str = "dev"
    trigger: str = "manual"
    outputs: tuple[str, ...] = ()  # declared output ports
    persist: bool = True  # write outputs as artifacts in the worker (remote executors)
    # Runs where the workspace is, even with a remote executor: the stage uses the app's
    # services (model registry, approvals), which live in this process.
    local: bool = False


@dataclass(slots=True)
class StageOutcome:
    """How a stage ended: ``status`` is SUCCEEDED, FAILED or CANCELLED."""

    status: StageStatus
    outputs: dict[str, Any] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)  # port -> artifact digest
    log: list[str] = field(default_factory=list)
    error: str = ""
    skip_reason: str = ""
    metric_log: MetricLog = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)  # RecordingSink only
    artifacts: dict[str, bytes] = field(default_factory=dict)  # RecordingSink only
    started: float = 0.0
    finished: float = 0.0


class LiveSink:
    """Forwards a stage's events to the listener as they happen (same process)."""

    def __init__(
        self, listener: RunListener, artifacts: ArtifactStore | None, cancel_event: threading.Event
    ) -> None:
        self.listener = listener
        self.artifacts = artifacts
        self.cancel_event = cancel_event

    def progress(self, run_id: int, node_id: str, fraction: float, message: str) -> None:
        self.listener.stage_progress(run_id, node_id, fraction, message)

    def log(self, run_id: int, node_id: str, line: str) -> None:
        self.listener.stage_log(run_id, node_id, line)

    def metric(self, run_id: int, node_id: str, key: str, step: int, value: float) -> None:
        self.listener.metric_logged(run_id, node_id, key, step, value)

    def metrics(self, run_id: int, node_id: str, key: str, steps: Steps, values: Values) -> None:
        self.listener.metrics_logged(run_id, node_id, key, steps, values)

    def artifact(self, data: bytes, suffix: str) -> str:
        if self.artifacts is None:
            return hashlib.sha256(data).hexdigest()
        return self.artifacts.put_bytes(data, suffix)

    def cancelled(self) -> bool:
        return self.cancel_event.is_set()


def replay_metrics(listener: RunListener, run_id: int, node_id: str, metric_log: MetricLog) -> None:
    """Send a stage's recorded metrics again (a cache hit): one bulk call per key, however
    many single points the stage logged."""
    series: dict[str, tuple[list[int], list[float]]] = {}
    for key, steps, values in metric_log:
        got = series.setdefault(key, ([], []))
        got[0].extend(steps)
        got[1].extend(values)
    for key, (steps, values) in series.items():
        listener.metrics_logged(run_id, node_id, key, steps, values)


def replay_events(
    listener: RunListener, run_id: int, node_id: str, events: Sequence[tuple[Any, ...]]
) -> None:
    """Send the events a :class:`RecordingSink` kept to the listener, in their order."""
    for event in events:
        kind = event[0]
        if kind == "progress":
            listener.stage_progress(run_id, node_id, event[1], event[2])
        elif kind == "log":
            listener.stage_log(run_id, node_id, event[1])
        elif kind == "metric":
            listener.metric_logged(run_id, node_id, event[1], event[2], event[3])
        elif kind == "metrics":
            listener.metrics_logged(run_id, node_id, event[1], event[2], event[3])


class RecordingSink:
    """Keeps a stage's events for replay in the scheduler's process (remote executors)."""

    def __init__(self, cancelled: Callable[[], bool] | None = None) -> None:
        self.events: list[tuple[Any, ...]] = []
        self.artifacts: dict[str, bytes] = {}
        self._cancelled = cancelled
        self._last_check = 0.0
        self._was_cancelled = False

    def progress(self, run_id: int, node_id: str, fraction: float, message: str) -> None:
        self.events.append(("progress", fraction, message))

    def log(self, run_id: int, node_id: str, line: str) -> None:
        self.events.append(("log", line))

    def metric(self, run_id: int, node_id: str, key: str, step: int, value: float) -> None:
        self.events.append(("metric", key, int(step), float(value)))

    def metrics(self, run_id: int, node_id: str, key: str, steps: Steps, values: Values) -> None:
        self.events.append(("metrics", key, list(map(int, steps)), list(map(float, values))))

    def artifact(self, data: bytes, suffix: str) -> str:
        digest = hashlib.sha256(data).hexdigest()
        self.artifacts[digest + "|" + suffix] = data
        return digest

    def cancelled(self) -> bool:
        if self._cancelled is None or self._was_cancelled:
            return self._was_cancelled
        now = time.monotonic()
        if now - self._last_check >= 0.5:  # a remote check costs a round trip
            self._last_check = now
            self._was_cancelled = bool(self._cancelled())
        return self._was_cancelled


PROGRESS_INTERVAL = 0.05  # seconds


class EngineContext:
    """The :class:`~mlops_desktop.core.execution.StageContext` the engine gives a stage."""

    def __init__(
        self, task: StageTask, sink: StageSink, services: Mapping[str, Any] | None = None
    ) -> None:
        self.node_id = task.node_id
        self.run_id = task.run_id
        self.environment = task.environment
        self.trigger = task.trigger
        self.threads = max(1, task.threads)
        self.services: Mapping[str, Any] = services or {}
        self.lines: list[str] = []
        self.skip_reason = ""
        self._sink = sink
        self._steps: dict[str, int] = {}
        self._last_progress = -1.0
        self.metric_log: MetricLog = []  # replayed on cache hits

    def progress(self, fraction: float, message: str = "") -> None:
        """Report progress; updates closer than PROGRESS_INTERVAL apart are dropped (except
        the last one, at 1.0), so a chatty stage cannot flood the GUI."""
        fraction = min(1.0, max(0.0, float(fraction)))
        now = time.monotonic()
        if fraction < 1.0 and now - self._last_progress < PROGRESS_INTERVAL:
            return
        self._last_progress = now
        self._sink.progress(self.run_id, self.node_id, fraction, message)

    def log(self, message: str) -> None:
        for line in str(message).splitlines() or [""]:
            self.lines.append(line)
            self._sink.log(self.run_id, self.node_id, line)

    def _next_step(self, key: str, step: int | None) -> int:
        step = self._steps.get(key, 0) if step is None else int(step)
        self._steps[key] = step + 1
        return step

    def log_metric(self, key: str, value: float, step: int | None = None) -> None:
        """One point: the listener buffers points and writes them in bulk."""
        at, value = self._next_step(key, step), float(value)
        last = self.metric_log[-1] if self.metric_log else None
        if last is not None and last[0] == key:  # a loop's points make one record entry
            last[1].append(at)
            last[2].append(value)
        else:
            self.metric_log.append((key, [at], [value]))
        self._sink.metric(self.run_id, self.node_id, key, at, value)

    def log_metrics(self, key: str, values: Values, steps: Steps | None = None) -> None:
        """A whole series in one call (one bulk write)."""
        import numpy as np

        vals = np.asarray(values, dtype=float)
        if steps is None:
            start = self._steps.get(key, 0)
            at = np.arange(start, start + len(vals), dtype=np.int64)
        else:
            at = np.asarray(steps, dtype=np.int64)
        if len(at):
            self._steps[key] = int(at.max()) + 1
        self.metric_log.append((key, at.tolist(), vals.tolist()))
        self._sink.metrics(self.run_id, self.node_id, key, at, vals)

    def log_artifact(self, name: str, data: bytes, kind: str) -> str:
        clean = re.sub(r"[^A-Za-z0-9_-]", "", kind)[:16]
        suffix = f".{clean}" if clean else ""
        digest = self._sink.artifact(data, suffix)
        self.log(f"artifact {name} ({kind}, {len(data):,} bytes): {digest[:12]}")
        return digest

    def check_cancelled(self) -> None:
        if self._sink.cancelled():
            raise Cancelled("the run was cancelled")

    def fail(self, message: str) -> NoReturn:
        raise StageFailed(message)

    def skip_downstream(self, reason: str) -> None:
        self.skip_reason = reason
        self.log(f"downstream stages skipped: {reason}")


_controller: Any = None
_controller_modules = -1
_controller_lock = threading.Lock()


def thread_limits(threads: int) -> AbstractContextManager[Any]:
    """Limit native thread pools (BLAS, OpenMP) to ``threads`` while a stage runs.

    A stage that has every core needs no limit. Finding the loaded native libraries costs
    about a millisecond, so the controller is reused until new modules were imported.
    """
    import contextlib
    import os
    import sys

    if threads >= (os.cpu_count() or 1):
        return contextlib.nullcontext()
    global _controller, _controller_modules
    with _controller_lock:
        if _controller is None or len(sys.modules) != _controller_modules:
            from threadpoolctl import ThreadpoolController

            _controller = ThreadpoolController()
            _controller_modules = len(sys.modules)
        controller = _controller
    return controller.limit(limits=threads)


def import_impl(path: str) -> Callable[..., dict[str, Any]]:
    """The callable named ``"package.module:function"``."""
    module_name, _, attr = path.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attr)


def run_stage(
    task: StageTask, sink: StageSink, services: Mapping[str, Any] | None = None
) -> StageOutcome:
    """Run one stage with its share of the cores; never raises for a stage's own failure."""
    ctx = EngineContext(task, sink, services)
    started = time.time()
    status, error = StageStatus.SUCCEEDED, ""
    outputs: dict[str, Any] = {}
    digests: dict[str, str] = {}
    try:
        ctx.check_cancelled()
        fn = import_impl(task.impl)
        with thread_limits(ctx.threads):
            outputs = fn(ctx, task.inputs, task.params) or {}
        digests = (
            _store_outputs(task, outputs, sink) if task.persist else _check_outputs(task, outputs)
        )
    except Cancelled:
        status, error = StageStatus.CANCELLED, "cancelled"
        ctx.log("cancelled")
    except StageFailed as exc:
        status, error = StageStatus.FAILED, str(exc)
        ctx.log(f"error: {exc}")
    except Exception as exc:  # noqa: BLE001 - a stage's bug must not stop the run
        status, error = StageStatus.FAILED, f"{type(exc).__name__}: {exc}"
        ctx.log(traceback.format_exc().rstrip())
    ok = status is StageStatus.SUCCEEDED
    outcome = StageOutcome(
        status,
        outputs if ok else {},
        digests if ok else {},
        ctx.lines,
        error,
        ctx.skip_reason,
        started=started,
        finished=time.time(),
        metric_log=ctx.metric_log,
    )
    if isinstance(sink, RecordingSink):
        outcome.events, outcome.artifacts = sink.events, sink.artifacts
        outcome.outputs = {}  # values travel back as artifact bytes only
    return outcome


def _check_outputs(task: StageTask, outputs: dict[str, Any]) -> dict[str, str]:
    """Fail the stage when it left out a declared output."""
    missing = [p for p in task.outputs if p not in outputs]
    if missing:
        raise StageFailed(f"the stage returned no value for output '{missing[0]}'")
    return {}


def _store_outputs(task: StageTask, outputs: dict[str, Any], sink: StageSink) -> dict[str, str]:
    """Write each declared output as an artifact; a missing one fails the stage."""
    from mlops_desktop.engine import serialize

    _check_outputs(task, outputs)
    digests: dict[str, str] = {}
    for port in task.outputs:
        data, suffix = serialize.dumps(outputs[port])
        digests[port] = sink.artifact(data, suffix)
    return digests
