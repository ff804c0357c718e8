"""While a run goes, the Run view ticks the metrics it would tick when the run is opened: the
first few, evaluation scores and curves. A stage logging a dozen scores draws a few lines,
not one per score; a metric that becomes a curve (a second point) is ticked then."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt

from mlops_desktop.core.entities import StageStatus
from mlops_desktop.core.operations import add_stage
from mlops_desktop.qt.main_window import MainWindow

CODE = """
import pathlib
import time


def scores(ctx):
    for i in range(4):
        ctx.log_metric(f"first_{{i}}", float(i))
    for i in range(8):
        ctx.log_metric(f"extra_{{i}}", float(i))
    ctx.log_metric("accuracy", 0.9)
    flag = pathlib.Path({flag!r})
    deadline = time.monotonic() + 60
    i = 0
    while not flag.exists() and time.monotonic() < deadline:
        ctx.log_metric("loss", 1.0 / (i + 1))
        i += 1
        time.sleep(0.02)
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


@pytest.mark.parametrize("panel", ["made at Run", "slow to make", "docked hidden at idle"])
def test_live_run_ticks_defaults_and_curves_not_every_score(
    qtbot, window, tmp_path, monkeypatch, panel
) -> None:
    """The Run panel is made once Run is pressed, or (``slow to make``) takes seconds to be
    made, so that the stage has logged its scores by then, or was made and docked hidden at
    idle (what the app's prewarm does: it appears a turn before the run in it). Whichever,
    the panel shows the run as if it had watched from the start."""
    from mlops_desktop.qt.window import run_panel_prep

    panel_step_ms = 1000 if panel == "slow to make" else None
    if panel_step_ms is not None:
        monkeypatch.setattr(run_panel_prep, "STEP_MS", panel_step_ms)
    if panel == "docked hidden at idle":
        window.runs.dock_run_view_hidden()
        assert window.run_view is not None and not window.run_view_dock.isVisible()
    from mlops_desktop.app.trust import trust
    from mlops_desktop.core.graph import Pipeline
    from mlops_desktop.core.registry import default_registry

    code = tmp_path / "scores.py"
    code.write_text(CODE.format(flag=str(tmp_path / "stop")), "utf-8")
    pipeline = Pipeline("train", default_registry())
    params = {"file": str(code), "function": "scores"}
    pipeline.apply(add_stage(pipeline, "python_function", params=params, node_id="fn"))
    trust(window.workspace, pipeline)
    window.service.create_pipeline("live", "train", pipeline)
    window.browser.refresh()
    window.open_pipeline("live", "train")

    panel_at_stage_start: list[bool] = []
    window.runner.node_state_changed.connect(
        lambda _node, status, _p: (
            status == StageStatus.RUNNING
            and panel_at_stage_start.append(window.run_view is not None)
        )
    )
    window.acts.run.trigger()  # the Run button
    if panel != "docked hidden at idle":
        assert window.run_view is None  # made in short turns from now on
    qtbot.waitUntil(lambda: window.run_view is not None, timeout=20000)
    view = window.run_view

    def ticks() -> dict[str, bool]:
        items = [view.key_list.item(i) for i in range(view.key_list.count())]
        return {
            it.data(Qt.ItemDataRole.UserRole): it.checkState() == Qt.CheckState.Checked
            for it in items
        }

    def loss_points() -> int:
        return sum(len(s) for s in view.plot.series() if s.key == "loss")

    qtbot.waitUntil(lambda: "loss" in ticks() and loss_points() >= 3, timeout=30000)
    assert window.runner.running
    if panel_step_ms is not None:  # the stage logged its scores before the panel was made
        assert panel_at_stage_start and panel_at_stage_start[0] is False
    ticked = {k for k, on in ticks().items() if on}
    assert ticked == {"first_0", "first_1", "first_2", "first_3", "accuracy", "loss"}
    assert all(f"extra_{i}" in ticks() for i in range(8))  # listed, left unticked
    drawn = {s.key for s in view.plot.series()}
    assert not any(k.startswith("extra_") for k in drawn) and "loss" in drawn
    # Ticking a score by hand draws it, as ever.
    item = next(
        view.key_list.item(i)
        for i in range(view.key_list.count())
        if view.key_list.item(i).data(Qt.ItemDataRole.UserRole) == "extra_3"
    )
    item.setCheckState(Qt.CheckState.Checked)
    assert "extra_3" in {s.key for s in view.plot.series()}
    with qtbot.waitSignal(window.runner.finished, timeout=30000) as blocker:
        (tmp_path / "stop").touch()
    assert blocker.args[1] == "succeeded"
