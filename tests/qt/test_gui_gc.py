"""While a window is open, Python's garbage is collected on the GUI thread only.

A Qt object freed by the collector in a stage thread took Qt's locks there and waited for
the interpreter lock the GUI thread held while waiting for those locks: the window froze
for good when a run saved its model while a plot's menu was freed. The window runs the
Google template from its Run action; every collection during the run is recorded with the
thread it ran in."""

from __future__ import annotations

import gc
import threading
import weakref

from PySide6.QtCore import QSettings

from mlops_desktop.qt import gui_gc
from mlops_desktop.qt.main_window import MainWindow


class _Cycle:
    """Garbage only the cyclic collector frees."""

    def __init__(self) -> None:
        self.me = self


def test_a_run_collects_garbage_on_the_gui_thread_only(qtbot, tmp_path) -> None:
    was_enabled = gc.isenabled()
    win = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.show()
    win.open_workspace(str(tmp_path / "w.db"), interactive=False)
    win.browser.create_project("gc", template="google")
    assert not gc.isenabled()  # the window's collector runs instead

    gui_thread = threading.get_ident()
    threads: list[int] = []

    def record(phase: str, _info: dict) -> None:
        if phase == "start":
            threads.append(threading.get_ident())

    gc.callbacks.append(record)
    try:
        with qtbot.waitSignal(win.runner.finished, timeout=120000) as blocker:
            win.run_pipeline()
        garbage = _Cycle()
        freed = weakref.ref(garbage)
        del garbage
        for _ in range(gc.get_threshold()[0] + 1):  # past the youngest threshold
            _Cycle()
        qtbot.waitUntil(lambda: freed() is None, timeout=5000)  # collected by the timer
    finally:
        gc.callbacks.remove(record)
    assert blocker.args[1] in ("succeeded", "kept_out"), blocker.args[2]
    assert threads and set(threads) == {gui_thread}

    win.close()
    assert gc.isenabled() == was_enabled  # the last window gives the setting back
    assert gui_gc._collector is None  # noqa: SLF001
