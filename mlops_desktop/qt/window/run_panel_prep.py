"""Getting the Run panel ready in short turns of the GUI thread.

Made at once, the Run panel costs the GUI thread a few hundred milliseconds: pyqtgraph's
import (150-300 ms), its widgets, its plots' first layout and paint, its dock. Two paths make
it, and both go through :class:`PanelSteps`: the app's prewarm at idle after start-up
(:func:`mlops_desktop.qt.application.prewarm_window`) and a Run pressed before that prewarm
has made it (:meth:`RunsController.run_pipeline`), which starts the run at once and shows
the panel when it is ready (the run's worker is still importing its own libraries then).
The modules are imported on a background thread (:func:`mlops_desktop.app.prewarm.start_prewarm`:
none when ``$MLOPS_DESKTOP_NO_PREWARM=1``, they are then imported as used);
each later step is one turn of the event loop, the window painting in between.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from mlops_desktop.qt.runs.view import RunView
    from mlops_desktop.qt.window.runs import RunsController

#: What the window itself imports to show a run (its Run panel and plots): imported on the
#: GUI thread, pyqtgraph alone stalls it for 150-300 ms. Module code only (no widget is
#: made), so a background thread may.
PANEL_MODULES = (
    "pyqtgraph",
    "mlops_desktop.qt.runs.view",
    "mlops_desktop.qt.operate.approval_dialog",
)
WARM_BARS = 16  # bars the final-values plot is first drawn with (labels made once)
STEP_MS = 20  # between two steps: the window paints and takes input in between


def panel_steps(runs: RunsController, window: QWidget) -> list[Callable[[], object]]:
    """The steps that make the Run panel, draw it once off-screen (its plots' first layout
    and paint) and give it its dock, hidden. Each does nothing when done already."""
    made: list[RunView] = []  # the Run panel, when these steps made it

    def make_run_view() -> None:
        if runs.run_view is None:
            made.append(runs.make_run_view())  # no dock yet: the layout stays

    def draw_run_view() -> None:
        for view in made:
            view.resize(window.width(), max(200, window.height() // 3))
            view.grab()  # laid out and painted once, nowhere on screen

    def make_values_plot() -> None:
        for view in made:
            view.values_plot.resize(view.plot_stack.size())  # the size the stack gives it

    def draw_values_plot() -> None:
        for view in made:
            # Drawn once with as many bars as a run's metrics usually are: their labels are
            # made now and reused (made at a run's end they stalled the window 10-15 ms).
            view.values_plot.set_values([(f"metric {i}", 1.0) for i in range(WARM_BARS)])
            view.values_plot.grab()
            view.values_plot.set_values([])

    return [
        runs.ensure_approvals,  # the approvals service a run is given
        make_run_view,
        draw_run_view,
        make_values_plot,
        draw_values_plot,
        runs.dock_run_view_hidden,
    ]


def panel_imported() -> bool:
    """Whether the Run panel's modules are imported already."""
    return all(name in sys.modules for name in PANEL_MODULES)


class PanelSteps(QObject):
    """Run ``steps`` one per tick of a timer once ``thread`` (imports) has ended and
    ``wait`` says no more, then delete itself."""

    def __init__(
        self,
        parent: QObject,
        steps: Sequence[Callable[[], object]],
        thread: threading.Thread | None = None,
        interval_ms: int = STEP_MS,
        wait: Callable[[], bool] | None = None,
    ) -> None:
        super().__init__(parent)
        self._steps = list(steps)
        self._thread = thread
        self._wait = wait
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._step)
        self._timer.start()

    def _step(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        if self._wait is not None and self._wait():
            return
        if self._steps:
            self._steps.pop(0)()
        if not self._steps:
            self._timer.stop()
            self.deleteLater()
