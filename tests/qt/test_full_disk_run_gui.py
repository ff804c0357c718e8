"""A run started in the window on a disk that fills while it runs ends ``failed`` in the
workspace, not ``running`` for as long as the window stays open: the room kept aside before
the run is given back so that its end can be written. Once space is freed the next run
succeeds and keeps its room again. The workspace sits on a small tmpfs mounted in a private
mount namespace (skipped where unprivileged namespaces are not allowed)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import json, os, sys, time
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication
    from mlops_desktop.app.trust import trust
    from mlops_desktop.core.graph import Pipeline
    from mlops_desktop.core.operations import add_stage, connect
    from mlops_desktop.qt.main_window import MainWindow

    folder, code = sys.argv[1], sys.argv[2]
    app = QApplication([])
    ini = os.path.join(code, "s.ini")
    win = MainWindow(settings=QSettings(ini, QSettings.Format.IniFormat))
    win.show()
    assert win.open_workspace(os.path.join(folder, "w.db"))
    win.service.create_project("p", template="blank")
    p = Pipeline("fill")
    p.apply(add_stage(p, "load_data", params={"dataset": "iris"}, node_id="load"))
    fn = {"file": os.path.join(code, "fill.py"), "function": "fill"}
    p.apply(add_stage(p, "python_function", params=fn, node_id="fill"))
    p.apply(connect("load", "dataset", "fill", "input"))
    win.service.create_pipeline("p", "fill", p)
    trust(win.workspace, p)
    win.browser.refresh()
    win.open_pipeline("p", "fill")
    ended = []
    win.runner.finished.connect(lambda *args: ended.append([str(a) for a in args]))

    def run():
        ended.clear()
        assert win.run_pipeline(force=True)
        deadline = time.monotonic() + 120
        while not ended and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.02)
        app.processEvents()
        if not ended:
            return None, "no end"
        return ended[0], win.workspace.runs.get(int(ended[0][0])).status.value

    result = {}
    result["full"], result["full_status"] = run()
    result["reserve_after_full"] = os.path.exists(win.workspace.reserve.path)
    result["log"] = win.log.toPlainText()
    os.remove(os.path.join(folder, "filler"))  # space freed
    os.remove(os.path.join(code, "fill_now"))  # the stage no longer fills the disk
    result["freed"], result["freed_status"] = run()
    result["reserve_after_freed"] = os.path.exists(win.workspace.reserve.path)
    print(json.dumps(result))
    win.close()
    """
)

FILL = textwrap.dedent(
    """
    import os

    import pandas as pd


    def fill(frame: pd.DataFrame) -> pd.DataFrame:
        if not os.path.exists({flag!r}):
            return frame
        fd = os.open(os.path.join({folder!r}, "filler"), os.O_WRONLY | os.O_CREAT)
        for size in (1 << 16, 1 << 12, 1):  # to the last byte
            try:
                while True:
                    os.write(fd, b"\\0" * size)
            except OSError:
                pass
        os.close(fd)
        return frame
    """
)


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare")
def test_a_window_run_on_a_disk_that_fills_ends_failed(tmp_path) -> None:
    folder = tmp_path / "small"
    folder.mkdir()
    code = tmp_path / "code"
    code.mkdir()
    (code / "fill_now").write_text("")
    fill = FILL.format(folder=str(folder), flag=str(code / "fill_now"))
    (code / "fill.py").write_text(fill)
    script = tmp_path / "gui.py"
    script.write_text(SCRIPT)
    command = (
        f'mount -t tmpfs -o size=8m tmpfs "{folder}" && exec "{sys.executable}" "{script}" '
        f'"{folder}" "{code}"'
    )
    done = subprocess.run(
        ["unshare", "-rm", "sh", "-c", command], capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0 and ("mount" in done.stderr or "unshare" in done.stderr):
        pytest.skip(f"cannot mount a small file system here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["full"] is not None and result["full"][1] == "failed", result
    assert "the disk holding the workspace is full" in result["full"][2]
    assert result["full_status"] == "failed"  # recorded, not left running
    assert "Run #1 failed: the disk holding the workspace is full" in result["log"]
    assert not result["reserve_after_full"]  # given back for the last writes
    assert result["freed"][1] == "succeeded" and result["freed_status"] == "succeeded"
    assert result["reserve_after_freed"]  # taken anew by the next run
