"""The Lifecycle map shows the continuous-training loop as it happened: the Google template,
run through drift -> alert -> retraining, then a canary promoted and rolled back, gets a
marker on its wired monitoring -> training loop for each alert, retraining run, promotion
and rollback; a click on a marker opens its run in the Run panel."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt

from mlops_desktop.app.registry import RegistryService
from mlops_desktop.app.runs import RunService
from mlops_desktop.app.triggers import TriggerService
from mlops_desktop.qt.main_window import MainWindow

MODEL = "breast-cancer-classifier"


@pytest.fixture
def window(qtbot, tmp_path):
    win = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    win.open_workspace(str(tmp_path / "w.db"))
    yield win
    win.runner.wait(30)
    win.close()


def _click(qtbot, view, item) -> None:
    """Click with the mouse where the item is drawn on the screen."""
    graphics = view._view
    point = graphics.mapFromScene(item.sceneBoundingRect().center())
    qtbot.mouseClick(graphics.viewport(), Qt.MouseButton.LeftButton, pos=point)


def _other_project_runs(window, count: int) -> None:
    """Finished runs of another project, stored in bulk."""
    from mlops_desktop.app.triggers import utc_now
    from mlops_desktop.core.entities import Run, RunStatus
    from mlops_desktop.core.graph import Node, Pipeline
    from mlops_desktop.core.operations import AddNode

    window.service.create_project("other", template="blank")
    pipeline = Pipeline("p")
    pipeline.apply(AddNode(Node("load", "load_data", "Load", {"dataset": "iris"}, 0, 0)))
    window.service.create_pipeline("other", "p", pipeline)
    ws = window.workspace
    proj = ws.projects.get("other")
    info = ws.pipelines.get(proj.id, "p")
    version = ws.pipelines.latest(info.id)
    now = utc_now()
    done = RunStatus.SUCCEEDED
    ws.runs.add_finished(
        [Run(0, proj.id, info.id, version.id, done, "manual", "dev", now, now, now)] * count, []
    )


@pytest.mark.slow
def test_the_loop_as_it_happened_is_marked_on_the_lifecycle_map(qtbot, window) -> None:
    ws = window.workspace
    _other_project_runs(window, 5)  # so that run ids and the ct project's numbers differ
    window.service.create_project("ct", template="google")
    runs, registry = RunService(ws), RegistryService(ws)
    runs.run("ct")  # v1 becomes production's primary: a promotion
    runs.run("ct")  # serves drifted traffic: an alert
    [event] = TriggerService(ws).run_due()  # the alert starts a retraining: run #3
    retrain = ws.runs.get(event.run_id)
    registry.promote_canary("ct", "production", reason="no worse")  # v2: a promotion
    registry.rollback("ct", MODEL, "production", reason="complaints")  # back to v1
    window.browser.refresh()
    [pipeline] = window.service.list_pipelines("ct")
    window.open_pipeline("ct", pipeline.name)
    window.show_dock(window.map_dock)
    view = window.lifecycle_map
    view.set_lens("google")
    qtbot.waitUntil(lambda: len(view.loop_markers) > 0)

    assert view.wired == {"gcp.loop.monitor_to_ct"}
    assert view._scene.marked_loop == "gcp.loop.monitor_to_ct"
    kinds = [m.loop_event.kind for m in view.loop_markers]
    assert sorted(kinds) == sorted(
        ["promotion", "alert", "retrain", "alert", "promotion", "rollback"]
    )
    assert kinds[-2:] == ["promotion", "rollback"] and kinds[0] == "promotion"
    numbers = registry.run_numbers("ct")
    alert_runs = [
        numbers[m.loop_event.run_id] for m in view.loop_markers if m.loop_event.kind == "alert"
    ]
    assert alert_runs == [2, 3]  # the second run's alert, and the retraining's own
    [marker] = [m for m in view.loop_markers if m.loop_event.kind == "retrain"]
    assert marker.loop_event.run_id == retrain.id and retrain.id != 3
    assert "retraining run #3 (succeeded)" in marker.toolTip()
    # Each marker sits on the loop's arc, apart from the others.
    arc = view._scene.loop_paths["gcp.loop.monitor_to_ct"].sceneBoundingRect()
    centres = [m.sceneBoundingRect().center() for m in view.loop_markers]
    assert all(arc.adjusted(-1, -1, 1, 1).contains(c) for c in centres)
    assert len({(round(c.x()), round(c.y())) for c in centres}) == len(centres)
    label = view._scene.loop_labels["gcp.loop.monitor_to_ct"].toolTip()
    assert "As it happened: 2 monitor alerts, 1 retraining run, 2 promotions to production" in (
        label
    )

    # A click on the retraining marker opens run #3 in the Run panel.
    with qtbot.waitSignal(view.run_activated, timeout=5000) as opened:
        _click(qtbot, view, marker)
    assert opened.args == [retrain.id]
    qtbot.waitUntil(
        lambda: (
            window.runs.run_view is not None
            and window.runs.run_view.run is not None
            and window.runs.run_view.run.id == retrain.id
        )
    )
    assert "Run #3" in window.runs.run_view.header.text()
    # The rollback marker opens the run that trained the version production went back to.
    rollback = next(m for m in view.loop_markers if m.loop_event.kind == "rollback")
    with qtbot.waitSignal(view.run_activated, timeout=5000) as opened:
        _click(qtbot, view, rollback)
    assert numbers[opened.args[0]] == 1

    # The Models panel names the same runs by their numbers.
    from mlops_desktop.qt.operate.models_panel import ModelsPanel

    panel = ModelsPanel()
    qtbot.addWidget(panel)
    panel.load(ws, "ct")
    rows = panel.versions.rowCount()
    runs_of = {
        panel.versions.item(r, 0).text(): panel.versions.item(r, 3).text() for r in range(rows)
    }
    assert runs_of == {"v2": "#3", "v1": "#1"}
    history_runs = {panel.history.item(r, 6).text() for r in range(panel.history.rowCount())}
    assert "#3" in history_runs


def test_a_pipeline_with_no_loop_history_has_no_markers(qtbot, window) -> None:
    window.service.create_project("calm", template="google")
    [pipeline] = window.service.list_pipelines("calm")
    window.open_pipeline("calm", pipeline.name)
    view = window.lifecycle_map
    view.set_lens("google")
    assert view.loop_markers == [] and view._scene.marked_loop == ""
    assert view.wired == {"gcp.loop.monitor_to_ct"}  # the loop is wired, nothing happened yet
