"""Opening a pipeline's tab does not import networkx: the auto-layout imports it when it
first lays a pipeline out (a third of a second the first project tab would wait for)."""

from __future__ import annotations

import subprocess
import sys

CHILD = """
import os, sys, tempfile
from PySide6.QtCore import QSettings
from mlops_desktop.qt.application import create_application
from mlops_desktop.qt.main_window import MainWindow

app = create_application()
tmp = tempfile.mkdtemp()
win = MainWindow(settings=QSettings(os.path.join(tmp, "s.ini"), QSettings.Format.IniFormat))
win.show()
win.open_workspace(os.path.join(tmp, "w.db"))
win.service.create_project("p", template="google")
win.open_pipeline("p")
assert win.current_editor() is not None
print("OPENED", "networkx" in sys.modules)
win.current_editor().auto_layout()
print("LAID OUT", "networkx" in sys.modules)
sys.stdout.flush()
os._exit(0)
"""


def test_opening_a_tab_leaves_networkx_to_the_first_auto_layout() -> None:
    env = {"QT_QPA_PLATFORM": "offscreen", "MLOPS_DESKTOP_NO_SAMPLE": "1"}
    import os

    done = subprocess.run(
        [sys.executable, "-c", CHILD],
        env={**os.environ, **env, "MLOPS_DESKTOP_NO_TRIGGERS": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "OPENED False" in done.stdout, done.stdout + done.stderr[-2000:]
    assert "LAID OUT True" in done.stdout
