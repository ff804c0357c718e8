"""TriggerTimer: fires the workspace's due triggers while the app is open.

Every ``interval_s`` seconds (and on :meth:`TriggerTimer.run_now`) one pass of
:meth:`mlops_desktop.app.triggers.TriggerService.run_due` runs in a background thread, so a
scheduled, data-arrival, monitor-alert or registry-event run never blocks the window. Runs
started here get the GUI's approvals service, so an Approve stage asks the person at the
screen. :meth:`stop` cancels a run in progress and waits for the pass to end (no thread
outlives the timer); firings not started by then are recorded as failed, with the reason.
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
        self._lock = threading.Lock()
        self._handle: Any = None  # the run going on, to cancel it on stop()
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
            handle = self._handle
        if handle is not None:
            handle.cancel()
        if self._thread is not None:
            self._thread.join(timeout)

    def run_now(self) -> bool:
        """Start one pass now, unless one is going. Returns whether it started."""
        if self.busy:
            return False
        self._stopping = False
        self._thread = threading.Thread(target=self._pass, name="mlops-triggers", daemon=False)
        self._thread.start()
        return True

    def _on_timer_timeout(self) -> None:
        self.run_now()

    def _runner(self, project: str, pipeline: str, **kwargs: Any) -> Any:
        from mlops_desktop.app.runs import RunService

        services = {"approvals": self.approvals} if self.approvals is not None else None
        with self._lock:
            if self._stopping:
                raise MlopsError("the app stopped firing triggers before this run started")
            handle = RunService(self.workspace, services=services).start(
                project, pipeline, **kwargs
            )
            self._handle = handle
        try:
            return handle.wait()
        finally:
            with self._lock:
                self._handle = None

    def _pass(self) -> None:
        from mlops_desktop.app.triggers import TriggerService

        try:
            events = TriggerService(self.workspace, runner=self._runner).run_due()
        except MlopsError as exc:
            self.failed.emit(str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - a pass must not take the app down
            self.failed.emit(f"{type(exc).__name__}: {exc}")
            return
        self.fired.emit(events)
