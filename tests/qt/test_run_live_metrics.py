"""Pressing Run in the window: the Run view plots a stage's metric points while it runs."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from mlops_desktop.core.entities import StageStatus
from mlops_desktop.core.operations import add_stage
from mlops_desktop.qt.main_window import MainWindow

CODE = """
import pathlib
import time


def curve(ctx):
    flag = pathlib.Path({flag!r})
    deadline = time.monotonic() + 60
    i = 0
    while not flag.exists() and time.monotonic() < deadline:
        ctx.log_metric("loss", 1.0 / (i + 1))
        i += 1
        time.sleep(0.01)
    return {{"iterations": float(i)}}
"""


@pytest.fixture
def window(qtbot, tmp_path):
    win = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    win.open_workspace(str(tmp_path / "w.db"))
    win.service.create_project("live", template="blank")
    yield win
    (tmp_path / "stop").touch()
    win.runner.wait(30)
    win.close()


def test_run_view_plots_points_while_the_stage_runs(qtbot, window: MainWindow, tmp_path) -> None:
    from mlops_desktop.app.trust import trust
    from mlops_desktop.core.graph import Pipeline
    from mlops_desktop.core.registry import default_registry

    code = tmp_path / "curve.py"
    code.write_text(CODE.format(flag=str(tmp_path / "stop")), "utf-8")
    pipeline = Pipeline("train", default_registry())
    pipeline.apply(
        add_stage(
            pipeline,
            "python_function",
            params={"file": str(code), "function": "curve"},
            node_id="fn",
        )
    )
    trust(window.workspace, pipeline)
    window.service.create_pipeline("live", "train", pipeline)
    window.browser.refresh()
    window.open_pipeline("live", "train")

    window.acts.run.trigger()  # the Run button
    assert window.runner.running
    # The Run panel is made in short turns once the run started, then shows the run.
    qtbot.waitUntil(
        lambda: (
            window.run_view is not None
            and window.run_view.run is not None
            and window.run_view.run.id == window.runner.run_id
        )
    )
    view = window.run_view

    def plotted() -> int:
        return sum(len(s) for s in view.plot.series() if s.key == "loss")

    qtbot.waitUntil(lambda: plotted() >= 5, timeout=30000)
    # Still running: the stage only ends once the flag exists.
    assert window.runner.running
    stages = window.workspace.runs.get(window.runner.run_id).stages
    assert [s.status for s in stages] == [StageStatus.RUNNING]
    assert "running" in view.header.text() and "queued" not in view.header.text()
    seen = plotted()
    qtbot.waitUntil(lambda: plotted() > seen, timeout=30000)  # and keeps growing

    with qtbot.waitSignal(window.runner.finished, timeout=30000) as blocker:
        (tmp_path / "stop").touch()
    assert blocker.args[1] == "succeeded"
    # Reloaded from the workspace when the run ended (read in a worker thread).
    qtbot.waitUntil(lambda: view.run.status == "succeeded", timeout=10000)
    assert plotted() > seen
