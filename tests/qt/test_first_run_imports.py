"""After the idle-time prewarm, the first run imports nothing on the GUI thread.

An import on the GUI thread is a stall the user feels (networkx at a run's start cost
100-250 ms before it was prewarmed). The window runs the Google template from its Run action,
as a person would, in a fresh process, after the prewarm the app starts at idle (which also
makes the Run panel); an import hook records every module first imported on the GUI thread
meanwhile."""

from __future__ import annotations

import json
import os
import subprocess
import sys

CHILD = r"""
import json, os, sys, tempfile, threading, time
from PySide6.QtCore import QEventLoop, QSettings, QTimer
from mlops_desktop.qt.application import (
    create_application, prewarm_window, prewarmed, release_window,
)
from mlops_desktop.qt.main_window import MainWindow

app = create_application()
tmp = tempfile.mkdtemp()
win = MainWindow(settings=QSettings(os.path.join(tmp, "s.ini"), QSettings.Format.IniFormat))
win.resize(1366, 768)
win.show()
win.open_workspace(os.path.join(tmp, "w.db"), interactive=False)
win.browser.create_project("first", template="google")
if os.environ.get("SKIP_PREWARM") != "1":
    thread = prewarm_window(win)  # what the app does at idle after start-up
    deadline = time.monotonic() + 120
    while not prewarmed(win) and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
made = win.runs.run_view
dock = win.runs.run_view_dock  # made at idle, hidden: the layout must not change at idle
docked_at_idle = dock is None or dock.isVisible()

gui_thread = threading.get_ident()
imported = []

class Recorder:
    def find_spec(self, name, path=None, target=None):
        if threading.get_ident() == gui_thread and name not in sys.modules:
            imported.append(name)
        return None

sys.meta_path.insert(0, Recorder())
loop = QEventLoop()
ended = {}
win.runner.finished.connect(
    lambda rid, status, msg: (ended.update(status=status, run=rid), loop.quit())
)
QTimer.singleShot(240000, loop.quit)
win.run_pipeline()
loop.exec()
def panel_shows_run():
    view, dock = win.runs.run_view, win.runs.run_view_dock
    return (view is not None and view.run is not None and view.run.id == ended.get("run")
            and str(view.run.status) == "succeeded" and dock is not None and dock.isVisible())
deadline = time.monotonic() + 20
while not panel_shows_run() and time.monotonic() < deadline:
    app.processEvents()
    time.sleep(0.01)
sys.meta_path.pop(0)
same_view = made is not None and win.runs.run_view is made
print(json.dumps({"status": ended.get("status"), "imported": imported, "same_view": same_view,
                  "docked_at_idle": docked_at_idle, "shown": panel_shows_run()}))
sys.stdout.flush()
win.close()
release_window(win)
"""


def test_the_first_run_after_the_prewarm_imports_nothing_on_the_gui_thread() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", MLOPS_DESKTOP_NO_SAMPLE="1")
    env["MLOPS_DESKTOP_NO_TRIGGERS"] = "1"
    done = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == "succeeded"
    assert result["imported"] == []
    assert result["shown"]
    assert result["same_view"]  # the Run panel was made at idle, and the run used it
    assert not result["docked_at_idle"]  # ...docked, hidden: nothing appears under the user


def test_a_run_started_before_the_prewarm_imports_no_library_of_the_run_in_the_window() -> None:
    """Run pressed at once after start-up: the run starts, its Run panel is made in short
    turns once its modules are imported off the GUI thread, and shows the run as it ended;
    the GUI thread imports none of the run's libraries (the run goes on in a worker
    process), no graph library (the pipeline's checks are plain Python) and no plotting
    library."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", MLOPS_DESKTOP_NO_SAMPLE="1")
    env.update(MLOPS_DESKTOP_NO_TRIGGERS="1", SKIP_PREWARM="1")
    done = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == "succeeded"
    heavy = ("networkx", "sklearn", "pandas", "pyarrow", "scipy", "skops", "pyqtgraph")
    assert [m for m in result["imported"] if m.split(".")[0] in heavy] == []
    assert "mlops_desktop.qt.runs.view" not in result["imported"]
    assert result["shown"]


def test_pyside_no_longer_reads_the_source_of_each_module_imported_after_it() -> None:
    code = (
        "import builtins, sys\n"
        "from mlops_desktop.qt.application import create_application\n"
        "app = create_application()\n"
        "import tokenize\n"
        "opened = []\n"
        "real = tokenize.open\n"
        "tokenize.open = lambda name: (opened.append(name), real(name))[1]\n"
        "import email.mime.text, xml.dom.minidom\n"
        "print(len(opened))\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-1] == "0"
