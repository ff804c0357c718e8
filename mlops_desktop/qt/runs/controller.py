"""Running the open pipeline from the window: Run, Run selected, Run from here, Cancel.

:class:`RunController` starts :meth:`mlops_desktop.app.runs.RunService.start` (the run goes on
in a worker thread) with a :class:`QtRunListener`, which turns the engine's
:class:`~mlops_desktop.core.execution.RunListener` calls, made on worker threads, into Qt
signals delivered on the GUI thread. The window shows them: node states and progress on the
canvas, stage logs in the Messages panel, metric points live in the Run view
(:attr:`RunController.metrics_logged`), the lifecycle map and the runs list when the run
ends. Run state is never part of the document.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

from mlops_desktop.core.entities import RunStatus, StageRun, StageStatus
from mlops_desktop.core.errors import MlopsError
from mlops_desktop.qt.background import BackgroundReads

if TYPE_CHECKING:
    from mlops_desktop.core.entities import Run
    from mlops_desktop.core.execution import Steps, Values
    from mlops_desktop.core.graph import Pipeline

PROGRESS_INTERVAL_S = 0.2  # at most 5 progress updates a second per stage (each repaints it)
WARM_AFTER_RUN_MS = 1500  # the next run's worker starts once the window showed this run's end
POINTS_INTERVAL_S = 0.1  # single metric points cross to the GUI thread at most 10 times a second


def _as_arrays(steps: Any, values: Any) -> tuple[Any, Any]:
    """Steps and values as int64 / float64 arrays (numpy imported on first use, not at start-up)."""
    import numpy as np

    return np.asarray(steps, dtype=np.int64), np.asarray(values, dtype=np.float64)


def _reason(exc: BaseException) -> str:
    """Why a run could not start, in one line (an unexpected error names its type)."""
    return str(exc) if isinstance(exc, MlopsError) else f"{type(exc).__name__}: {exc}"


class RunSignals(QObject):
    """The engine's run events as Qt signals. Emitted on worker threads, they reach slots of
    GUI-thread objects queued, in order."""

    run_started = Signal(int)
    stage_started = Signal(int, str)
    stage_progressed = Signal(int, str, float, str)
    stage_logged = Signal(int, str, str)
    metrics_logged = Signal(int, str, str, object, object)  # run, node, key, steps, values
    stage_finished = Signal(int, str, object)  # StageRun
    run_finished = Signal(int, str, str)  # run id, RunStatus value, message


class QtRunListener:
    """A :class:`~mlops_desktop.core.execution.RunListener` (called on worker threads) that
    re-emits every event through :class:`RunSignals`, with progress throttled per stage.

    Single metric points are gathered and sent as arrays at most every
    :data:`POINTS_INTERVAL_S` (and before the stage's end), so a stage logging 10,000 points
    in a loop posts a few dozen events to the GUI thread, not 10,000.
    """

    def __init__(self, signals: RunSignals) -> None:
        from mlops_desktop.core.execution import PointBuffer, ProgressGate

        self.signals = signals
        self._progress = ProgressGate(PROGRESS_INTERVAL_S)
        self._points = PointBuffer(POINTS_INTERVAL_S)

    def run_started(self, run_id: int) -> None:
        self.signals.run_started.emit(run_id)

    def stage_started(self, run_id: int, node_id: str) -> None:
        self.signals.stage_started.emit(run_id, node_id)

    def stage_progress(self, run_id: int, node_id: str, fraction: float, message: str) -> None:
        if self._progress.passes(node_id, fraction):
            self.signals.stage_progressed.emit(run_id, node_id, float(fraction), message)

    def stage_log(self, run_id: int, node_id: str, line: str) -> None:
        self.signals.stage_logged.emit(run_id, node_id, line)

    def metric_logged(self, run_id: int, node_id: str, key: str, step: int, value: float) -> None:
        if self._points.add(node_id, key, step, value):
            self._send_points(run_id)

    def metrics_logged(
        self, run_id: int, node_id: str, key: str, steps: Steps, values: Values
    ) -> None:
        self._send_points(run_id)  # earlier single points first: the series keeps its order
        self.signals.metrics_logged.emit(
            run_id,
            node_id,
            key,
            *_as_arrays(steps, values),
        )

    def _send_points(self, run_id: int) -> None:
        for node_id, key, steps, values in self._points.take():
            self.signals.metrics_logged.emit(
                run_id,
                node_id,
                key,
                *_as_arrays(steps, values),
            )

    def stage_finished(self, run_id: int, node_id: str, stage_run: StageRun) -> None:
        self._send_points(run_id)
        self.signals.stage_finished.emit(run_id, node_id, stage_run)

    def run_finished(self, run_id: int, status: RunStatus, message: str) -> None:
        self._send_points(run_id)
        self.signals.run_finished.emit(run_id, RunStatus(status).value, message)


class RunController(QObject):
    """Starts and cancels one run at a time for the window, and reports its progress."""

    started = Signal(int)  # run id
    start_failed = Signal(str)  # why the run could not start
    finished = Signal(int, str, str)  # run id, status, message (after the worker ended)
    node_state_changed = Signal(str, object, object)  # node id, StageStatus, progress | None
    log_line = Signal(str, bool)  # text, is an error
    # Metric points of the running run, on the GUI thread: run id, node id, key, steps, values
    metrics_logged = Signal(int, str, str, object, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._handle: Any = None
        self._label = ""  # "#n" of the running or last finished run
        self._titles: dict[str, str] = {}
        self._final: tuple[int, str, str] | None = None
        self.signals = RunSignals(self)
        self.signals.run_started.connect(self._on_signals_run_started)
        self.signals.stage_started.connect(self._on_signals_stage_started)
        self.signals.stage_progressed.connect(self._on_signals_stage_progressed)
        self.signals.stage_logged.connect(self._on_signals_stage_logged)
        self.signals.metrics_logged.connect(self.metrics_logged)
        self.signals.stage_finished.connect(self._on_signals_stage_finished)
        self.signals.run_finished.connect(self._on_signals_run_finished)
        self._poll = QTimer(self)
        self._poll.setInterval(50)
        self._poll.timeout.connect(self._on_poll_timeout)
        self._warm_later = QTimer(self)
        self._warm_later.setSingleShot(True)
        self._warm_later.setInterval(WARM_AFTER_RUN_MS)
        self._warm_later.timeout.connect(self.warm_worker)
        self.approvals: Any = None
        # The run being written on a reader thread (its workspace), before it goes.
        self._starting: Any = None
        self._cancel_asked = False
        self._creates = BackgroundReads("mlops-run-create", self)
        self._creates.arrived.connect(self._on_creates_arrived)

    @property
    def running(self) -> bool:
        """Whether a run is going on (or being written before it goes)."""
        return self._handle is not None or self._starting is not None

    @property
    def being_written(self) -> bool:
        """Whether the run started is still being written to the workspace (on a reader
        thread; its worker gets it next)."""
        return self._starting is not None

    @property
    def run_id(self) -> int | None:
        return self._handle.run_id if self._handle is not None else None

    @property
    def created_run(self) -> Run | None:
        """The running run as it was created (queued, nothing logged yet), or None."""
        return self._handle.run if self._handle is not None else None

    @property
    def run_label(self) -> str:
        """How the running (or the last finished) run is shown: ``#`` and its number in
        its project, as the runs table and the CLI show it."""
        return self._label

    def start(
        self,
        workspace: Any,
        project: str,
        pipeline_name: str,
        document: Pipeline,
        *,
        nodes: list[str] | None = None,
        from_node: str | None = None,
        force: bool = False,
    ) -> None:
        """Start a run of ``document`` (saved first as the pipeline's latest version).

        A run that goes on in a worker process is written to the workspace on a reader
        thread (10-30 ms of database work the GUI thread would wait for): ``started`` then
        gives its id, or ``start_failed`` the reason it could not start; :attr:`running` is
        true from now on. A run in this process's threads starts at once (its refusal is
        raised here)."""
        from mlops_desktop.app.run_process import (
            prepare_in_worker,
            runs_in_worker,
            start_run,
            worker_pool,
        )
        from mlops_desktop.app.runs import RunService

        if self.running:
            raise RuntimeError("a run is already going on")
        services = {"approvals": self.approvals} if self.approvals is not None else {}
        self._titles = {n.id: n.title for n in document.nodes.values()}
        self._final = None
        service = RunService(workspace, document.registry, services=services)
        options: dict[str, Any] = dict(
            force=force, nodes=nodes, from_node=from_node, document=document.copy()
        )
        if not runs_in_worker(service.ws, service.registry):
            self._launched(
                start_run(
                    service,
                    project,
                    pipeline_name,
                    listener=QtRunListener(self.signals),
                    approvals=self.approvals,
                    **options,
                )
            )
            return
        asks = self.approvals is not None
        self._starting = service.ws
        self._cancel_asked = False

        def create() -> Any:
            prepared = prepare_in_worker(
                service, project, pipeline_name, asks_approvals=asks, **options
            )
            # Its worker process started here when none waits (starting a process costs
            # the GUI thread 10-30 ms when it hands the run over).
            worker_pool().warm()
            return prepared

        self._creates.start(create)

    def _on_creates_arrived(self, _number: int, result: Any) -> None:
        """The run written on the reader thread: hand it to a worker (or say why not)."""
        from mlops_desktop.app.run_process import launch_in_worker

        workspace, self._starting = self._starting, None
        if workspace is None:
            return  # delivered already (wait)
        if isinstance(result, BaseException):
            self.start_failed.emit(_reason(result))
            return
        try:
            handle = launch_in_worker(
                workspace, result, listener=QtRunListener(self.signals), approvals=self.approvals
            )
        except Exception as exc:  # noqa: BLE001 - shown to the user as one line
            self.start_failed.emit(_reason(exc))
            return
        self._launched(handle)
        if self._cancel_asked:  # Cancel pressed while the run was being written (and said)
            handle.cancel()

    def _launched(self, handle: Any) -> None:
        self._handle = handle
        self._label = f"#{handle.number or handle.run_id}"
        self._poll.start()
        self.started.emit(handle.run_id)

    def warm_worker(self) -> None:
        """Have the next run's worker process started (at idle), unless runs go here."""
        from mlops_desktop.app.run_process import in_thread_requested, worker_pool

        if not in_thread_requested():
            worker_pool().warm()

    def cancel(self) -> None:
        if self._starting is not None:  # cancelled as soon as it is handed over
            self._cancel_asked = True
            self.log_line.emit("Cancelling the run…", False)
        if self._handle is not None:
            self._handle.cancel()
            self.log_line.emit("Cancelling the run…", False)

    def wait(self, timeout: float | None = None) -> None:
        """Block until the worker ended (tests and closing the window)."""
        if self._starting is not None:  # the run being written: handed over first
            self._creates.wait(timeout if timeout is not None else 60.0)
            QCoreApplication.sendPostedEvents(self)
        if self._handle is not None:
            self._handle.wait(timeout)
            self._on_poll_timeout()

    # ------------------------------------------------------------------- slots
    def _title(self, node_id: str) -> str:
        return self._titles.get(node_id, node_id)

    def _on_signals_run_started(self, run_id: int) -> None:
        self.log_line.emit(f"Run {self._label or f'#{run_id}'} started", False)

    def _on_signals_stage_started(self, _run_id: int, node_id: str) -> None:
        self.node_state_changed.emit(node_id, StageStatus.RUNNING, 0.0)

    def _on_signals_stage_progressed(
        self, _run_id: int, node_id: str, fraction: float, _msg: str
    ) -> None:
        self.node_state_changed.emit(node_id, StageStatus.RUNNING, fraction)

    def _on_signals_stage_logged(self, _run_id: int, node_id: str, line: str) -> None:
        self.log_line.emit(f"{self._title(node_id)}: {line}", False)

    def _on_signals_stage_finished(self, _run_id: int, node_id: str, stage_run: StageRun) -> None:
        status = StageStatus(stage_run.status)
        self.node_state_changed.emit(node_id, status, None)
        failed = status is StageStatus.FAILED
        took = f" in {stage_run.duration_s:.2f} s" if stage_run.duration_s else ""
        detail = (
            f": {stage_run.error.strip().splitlines()[-1]}" if failed and stage_run.error else ""
        )
        self.log_line.emit(f"{self._title(node_id)} {status.value}{took}{detail}", failed)

    def _on_signals_run_finished(self, run_id: int, status: str, message: str) -> None:
        self._final = (run_id, status, message)

    def _on_poll_timeout(self) -> None:
        handle = self._handle
        if handle is None or not handle.done():
            return
        self._poll.stop()
        self._warm_later.start()  # the next run's worker
        # Deliver the events the worker queued before it ended (last stage states, logs).
        QCoreApplication.sendPostedEvents(self)
        self._handle = None
        self._label = f"#{handle.number or handle.run_id}"
        try:
            run = handle.wait(0)
        except Exception as exc:  # noqa: BLE001 - shown to the user as one line
            self.finished.emit(handle.run_id, RunStatus.FAILED.value, str(exc))
            return
        if run is not None:
            status = RunStatus(run.status).value
            message = run.message
        elif self._final is not None:
            _, status, message = self._final
        else:
            status, message = RunStatus.FAILED.value, "the run ended without a result"
        self.finished.emit(handle.run_id, status, message)
