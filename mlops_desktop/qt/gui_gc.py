"""Python's cyclic garbage collector, run on the GUI thread only while a window is open.

Qt objects made by Python (pyqtgraph's plots and their menus, the panels' widgets) can end up
in reference cycles. The collector frees a cycle in whichever thread happens to allocate
when a threshold is crossed: during a run, a stage thread. A Qt object destroyed there takes
Qt's locks and then waits for the interpreter lock, which the GUI thread holds while it
waits for those same locks: the window freezes for good (seen: a model being saved while a
plot's menu was deleted). So while a window is open, automatic collection is off and a timer
on the GUI thread collects each generation when its count passes the usual threshold, as
the automatic collector would; the previous setting returns when the last window closes.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QTimer

INTERVAL_MS = 500  # how often the GUI thread looks at the collector's counts


class GuiThreadCollector(QObject):
    """Collects garbage on a timer of the GUI thread (automatic collection turned off)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        self._timer = QTimer(self)
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self.collect)
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer.start()

    def collect(self) -> None:
        """Collect the generations whose counts passed their thresholds (youngest first)."""
        counts = gc.get_count()
        if counts[0] <= self.threshold[0]:
            return
        generation = 0
        if counts[1] > self.threshold[1]:
            generation = 2 if counts[2] > self.threshold[2] else 1
        gc.collect(generation)

    def stop(self) -> None:
        """Stop collecting here and give the collector back its previous setting."""
        self._timer.stop()
        if self._was_enabled:
            gc.enable()


def freeze_long_lived() -> None:
    """Leave what exists now (the imported libraries, the window) out of later collections:
    a full collection then looks at new objects only, instead of stalling the GUI thread
    for about 80 ms over the two hundred thousand objects scikit-learn, pandas and Qt make
    at import."""
    gc.freeze()


_collector: GuiThreadCollector | None = None
_holders = 0


class Hold:
    """One window's hold on the GUI-thread collector; :meth:`release` gives it up (once)."""

    def __init__(self) -> None:
        global _collector, _holders
        if _collector is None:
            _collector = GuiThreadCollector(QCoreApplication.instance())
        _holders += 1
        self.held = True

    def release(self, *_args: object) -> None:
        """The window closed (or was deleted): the last hold gives the collector back its
        previous setting."""
        global _collector, _holders
        if not self.held:
            return
        self.held = False
        _holders -= 1
        if _holders == 0 and _collector is not None:
            _collector.stop()
            _collector.deleteLater()
            _collector = None
