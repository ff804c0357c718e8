"""TriggerTimer: fires the workspace's due triggers while the app is open.

Every ``interval_s`` seconds (and on :meth:`TriggerTimer.run_now`) one pass of
:meth:`mlops_desktop.app.triggers.TriggerService.run_due` runs in a background thread, so a
scheduled, data-arrival, monitor-alert or registry-event run never blocks the window. Runs
started here get the GUI's approvals service, so an Approve stage asks the person at the
screen. :meth:`fire_now` fires one trigger by hand, also in the background. :meth:`stop`
cancels the runs in progress and waits for the threads to end (none outlives the timer);
firings not started by then are recorded as failed, with the reason.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from PySide6 import QtCore

from mlops_desktop.core.errors import MlopsError
from mlops_desktop.core.operate_entities import ApprovalProvider

if TYPE_CHECKING:
    from mlops_desktop.app.workspace import Workspace


class TriggerTimer(QtCore.QObject):
    """Runs due triggers periodically in a background thread."""

    fired = QtCore.Signal(list)  # the TriggerEvents recorded by one pass (may be empty)
    failed = QtCore.Signal(str)  # a pass that could not complete, as one line

    def __init__(
        self,
        workspace: Workspace,
        interval_s: float = 30.0,
        approvals: ApprovalProvider | None = None,
        parent: QtCore.QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.approvals = approvals
        self._thread: threading.Thread | None = None
        self._manual: list[threading.Thread] = []  # fire_now() threads
        self._lock = threading.Lock()
        self._handles: list[Any] = []  # the runs going on, to cancel them on stop()
        self._stopping = False
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(max(1, int(interval_s * 1000)))
        self._timer.timeout.connect(self._on_timer_timeout)

    @property
    def active(self) -> bool:
        return self._timer.isActive()

    @property
    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        self._stopping = False
        self._timer.start()

    def stop(self, timeout: float | None = None) -> None:
        """Stop firing; cancel a run in progress and wait for the pass to finish."""
        self._timer.stop()
        with self._lock:
            self._stopping = True
            handles = list(self._handles)
        for handle in handles:
            handle.cancel()
        for thread in [self._thread, *self._manual]:
            if thread is not None:
                thread.join(timeout)
        self._manual = [t for t in self._manual if t.is_alive()]

    def run_now(self) -> bool:
        """Start one pass now, unless one is going. Returns whether it started."""
        if self.busy:
            return False
        self._stopping = False
        self._thread = threading.Thread(target=self._pass, name="mlops-triggers", daemon=False)
        self._thread.start()
        return True

    def fire_now(
        self, project: str | int, pipeline: str, type_: str, trigger_id: int | None = None
    ) -> None:
        """Fire a pipeline by hand in the background (queued or coalesced if it is busy);
        the firing is reported by ``fired`` like a timed one."""
        self._stopping = False
        self._manual = [t for t in self._manual if t.is_alive()]
        thread = threading.Thread(
            target=self._fire,
            args=(project, pipeline, type_, trigger_id),
            name="mlops-trigger-fire",
            daemon=False,
        )
        self._manual.append(thread)
        thread.start()

    def _fire(self, project: str | int, pipeline: str, type_: str, trigger_id: int | None) -> None:
        from mlops_desktop.app.triggers import TriggerService

        def work() -> list[Any]:
            service = TriggerService(self.workspace, runner=self._runner)
            trigger = service.store.get(trigger_id) if trigger_id is not None else None
            detail = {"by_hand": True}
            return [service.fire(project, pipeline, type_, detail=detail, trigger=trigger)]

        self._report(work)

    def _on_timer_timeout(self) -> None:
        self.run_now()

    def _runner(self, project: str, pipeline: str, **kwargs: Any) -> Any:
        from mlops_desktop.app.run_process import start_run
        from mlops_desktop.app.runs import RunService

        services = {"approvals": self.approvals} if self.approvals is not None else None
        with self._lock:
            if self._stopping:
                raise MlopsError("the app stopped firing triggers before this run started")
            service = RunService(self.workspace, services=services)
            # Where the window runs pipelines too: a worker process, as a rule.
            handle = start_run(service, project, pipeline, approvals=self.approvals, **kwargs)
            self._handles.append(handle)
        try:
            return handle.wait()
        finally:
            with self._lock:
                self._handles = [h for h in self._handles if h is not handle]

    def _pass(self) -> None:
        from mlops_desktop.app.triggers import TriggerService

        self._report(lambda: TriggerService(self.workspace, runner=self._runner).run_due())

    def _report(self, work: Any) -> None:
        """Run ``work`` (returning TriggerEvents) and emit ``fired``, or ``failed``."""
        try:
            events = work()
        except MlopsError as exc:
            self.failed.emit(str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - a pass must not take the app down
            self.failed.emit(f"{type(exc).__name__}: {exc}")
            return
        self.fired.emit(events)
