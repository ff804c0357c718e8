"""Quitting after a run was shown: the window and its plots are deleted while Qt and the
interpreter are whole, and the process ends with its exit code (not a segmentation fault
from graphics scenes torn down during the interpreter's exit)."""

from __future__ import annotations

import os
import subprocess
import sys

CHILD = r"""
import os, sys, tempfile
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
import shiboken6
from mlops_desktop.qt.application import create_application, release_window
from mlops_desktop.qt.main_window import MainWindow
from mlops_desktop.qt.runs.view import RunView

app = create_application()
tmp = tempfile.mkdtemp()
win = MainWindow(settings=QSettings(os.path.join(tmp, "s.ini"), QSettings.Format.IniFormat))
win.show()
win.open_workspace(os.path.join(tmp, "w.db"), interactive=False)
view = RunView(win)  # the run view's pyqtgraph plots: graphics scenes
view.show()
QApplication.processEvents()
win.close()
release_window(win)
print("deleted", not shiboken6.isValid(view), not shiboken6.isValid(win))
sys.stdout.flush()
"""


def test_quitting_after_a_run_view_deletes_its_plots_and_exits_cleanly(tmp_path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", MLOPS_DESKTOP_NO_SAMPLE="1")
    for _ in range(2):  # the fault it guards against did not strike every time
        done = subprocess.run(
            [sys.executable, "-c", CHILD], capture_output=True, text=True, env=env, timeout=180
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.split() == ["deleted", "True", "True"]


def test_the_window_prewarms_its_own_run_modules_too(monkeypatch) -> None:
    from mlops_desktop.app.prewarm import RUN_MODULES
    from mlops_desktop.qt.application import WINDOW_RUN_MODULES, prewarm_modules

    # Runs in a worker process: the window imports what it needs, not scikit-learn.
    modules = prewarm_modules()
    assert modules[: len(WINDOW_RUN_MODULES)] == WINDOW_RUN_MODULES
    assert not any(m.startswith("sklearn") for m in modules)
    assert "pyqtgraph" in modules and "mlops_desktop.qt.runs.view" in modules
    # Runs in the window's process: the run's libraries first.
    monkeypatch.setenv("MLOPS_DESKTOP_RUN_IN_THREAD", "1")
    modules = prewarm_modules()
    assert modules[: len(RUN_MODULES)] == RUN_MODULES
    assert "pyqtgraph" in modules and "mlops_desktop.qt.runs.view" in modules
