"""The window's Run goes on in a worker process: the stage's code runs outside the window's
process, its log reaches the Messages panel, Cancel stops it there, and a worker that dies
fails the run with a message while the window stays up; ``MLOPS_DESKTOP_RUN_IN_THREAD=1``
keeps runs in the window's process."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import QSettings

from mlops_desktop.core.operations import add_stage
from mlops_desktop.qt.main_window import MainWindow

CODE = """
import os
import pathlib
import time


def where(ctx):
    ctx.log(f"stage pid {{os.getpid()}}")
    flag = pathlib.Path({flag!r})
    deadline = time.monotonic() + 60
    while not flag.exists() and time.monotonic() < deadline:
        ctx.check_cancelled()
        time.sleep(0.02)
    return {{"pid": float(os.getpid())}}


def crash(ctx):
    os._exit(7)
"""


@pytest.fixture
def window(qtbot, tmp_path):
    win = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    win.open_workspace(str(tmp_path / "w.db"))
    win.service.create_project("iso", template="blank")
    yield win
    (tmp_path / "stop").touch()
    win.runner.wait(30)
    win.close()


def _open(window: MainWindow, tmp_path, function: str) -> None:
    from mlops_desktop.app.trust import trust
    from mlops_desktop.core.graph import Pipeline
    from mlops_desktop.core.registry import default_registry

    (tmp_path / "code").mkdir(exist_ok=True)
    code = tmp_path / "code" / "where.py"
    code.write_text(CODE.format(flag=str(tmp_path / "stop")), "utf-8")
    pipeline = Pipeline(function, default_registry())
    pipeline.apply(
        add_stage(
            pipeline,
            "python_function",
            params={"file": str(code), "function": function},
            node_id="fn",
        )
    )
    trust(window.workspace, pipeline)
    window.service.create_pipeline("iso", function, pipeline)
    window.browser.refresh()
    window.open_pipeline("iso", function)


def _stage_pid(window: MainWindow) -> int:
    lines = [x for x in window.log.toPlainText().splitlines() if "stage pid " in x]
    return int(lines[-1].rsplit(" ", 1)[1]) if lines else 0


def test_run_goes_on_in_a_worker_process_and_cancel_reaches_it(
    qtbot, window: MainWindow, tmp_path
) -> None:
    _open(window, tmp_path, "where")
    window.acts.run.trigger()  # the Run button
    assert window.runner.running
    qtbot.waitUntil(lambda: _stage_pid(window) != 0, timeout=60000)
    assert _stage_pid(window) != os.getpid()  # not in the window's process
    with qtbot.waitSignal(window.runner.finished, timeout=30000) as blocker:
        window.acts.cancel_run.trigger()
    assert blocker.args[1] == "cancelled"
    assert window.acts.run.isEnabled()


def test_a_crash_in_the_worker_fails_the_run_not_the_window(
    qtbot, window: MainWindow, tmp_path
) -> None:
    _open(window, tmp_path, "crash")
    with qtbot.waitSignal(window.runner.finished, timeout=60000) as blocker:
        window.acts.run.trigger()
    assert blocker.args[1] == "failed"
    assert "stopped unexpectedly (exit code 7" in blocker.args[2]
    assert "stopped unexpectedly" in window.log.toPlainText()
    assert window.isVisible() and window.acts.run.isEnabled()


def test_run_in_thread_setting_keeps_the_run_in_the_window_process(
    qtbot, window: MainWindow, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("MLOPS_DESKTOP_RUN_IN_THREAD", "1")
    (tmp_path / "stop").touch()  # the stage returns at once
    _open(window, tmp_path, "where")
    with qtbot.waitSignal(window.runner.finished, timeout=60000) as blocker:
        window.acts.run.trigger()
    assert blocker.args[1] == "succeeded"
    assert _stage_pid(window) == os.getpid()
