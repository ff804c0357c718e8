"""The Triggers panel over a real workspace: declared and added triggers, the Add dialog's
checks, switching off, removing, and firing by hand from the main window."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from croniter import croniter
from PySide6.QtCore import QSettings, Qt

from mlops_desktop.app.projects import ProjectService
from mlops_desktop.app.triggers import TriggerService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.core import operations as ops
from mlops_desktop.core.errors import MlopsError
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.qt.operate.trigger_dialog import next_ticks
from mlops_desktop.qt.operate.triggers_panel import TriggersPanel


@pytest.fixture
def ws(tmp_path):
    with Workspace.open(str(tmp_path / "w.db")) as workspace:
        ProjectService(workspace).create_project("demo", template="google")
        yield workspace


@pytest.fixture
def panel(qtbot, ws):
    widget = TriggersPanel()
    qtbot.addWidget(widget)
    widget.resize(1000, 500)
    widget.errors = []
    widget.report_error = widget.errors.append
    widget.load(ws, "demo")
    return widget


def test_declared_trigger_is_listed_and_cannot_be_removed_here(panel) -> None:
    (trig,) = panel.trigger_rows()
    assert trig.type == "monitor_alert" and trig.config["origin"] == "pipeline"
    assert panel.triggers.item(0, 2).text() == "Monitor alert"
    assert "alert of node monitor" in panel.triggers.item(0, 3).text()
    assert panel.triggers.item(0, 5).text() == "pipeline file"
    assert panel.triggers.item(0, 0).checkState() == Qt.CheckState.Checked
    panel.triggers.selectRow(0)
    assert not panel.remove_button.isEnabled()
    assert "edit the pipeline" in panel.remove_button.toolTip()


def test_add_dialog_refuses_bad_settings_and_keeps_what_was_typed(panel, ws, tmp_path) -> None:
    dialog = panel.add_dialog()
    dialog.set_type("schedule")
    assert dialog.cron.isVisible() or not dialog.isVisible()  # only the schedule's rows
    assert not dialog.folder.isVisibleTo(dialog)
    dialog.cron.setText("every day please")
    assert "Not a cron expression" in dialog.cron_preview.text()
    dialog.add_button.click()
    assert dialog.result() == 0 and not dialog.error.isHidden()
    assert "is not a cron expression" in dialog.error.text()
    assert len(panel.trigger_rows()) == 1  # nothing added
    dialog.cron.setText("*/15 * * * *")
    assert dialog.cron_preview.text().startswith("Next: ")
    dialog.cooldown.setValue(600)
    dialog.add_button.click()
    assert dialog.result() == 1
    added = [t for t in panel.trigger_rows() if t.type == "schedule"]
    assert len(added) == 1 and added[0].config == {"cron": "*/15 * * * *", "cooldown_s": 600.0}
    assert panel.selected_trigger() == added[0]
    row = panel.trigger_rows().index(added[0])
    assert panel.triggers.item(row, 5).text() == "added here"
    expected = croniter("*/15 * * * *", datetime.fromisoformat(added[0].state["last_tick"]))
    shown = panel.triggers.item(row, 4).text()
    assert shown == expected.get_next(datetime).astimezone().strftime("%Y-%m-%d %H:%M")
    # A watched folder that does not exist is refused too.
    dialog = panel.add_dialog()
    dialog.set_type("data_arrival")
    dialog.folder.setText(str(tmp_path / "nowhere"))
    dialog.add_button.click()
    assert "does not exist" in dialog.error.text()
    (tmp_path / "inbox").mkdir()
    dialog.folder.setText(str(tmp_path / "inbox"))
    dialog.add_button.click()
    assert dialog.result() == 1
    types = sorted(t.type for t in TriggerService(ws).list_triggers("demo"))
    assert types == ["data_arrival", "monitor_alert", "schedule"]


def test_switch_off_and_remove(panel, ws) -> None:
    panel.add_trigger(panel.default_pipeline(), "registry_event", {"event": "approved"})
    row = next(i for i, t in enumerate(panel.trigger_rows()) if t.type == "registry_event")
    panel.triggers.item(row, 0).setCheckState(Qt.CheckState.Unchecked)
    (trig,) = [t for t in TriggerService(ws).list_triggers("demo") if t.type == "registry_event"]
    assert not trig.enabled
    assert "1 on" in panel.heading.text()
    panel.confirm = lambda title, text: "approved" in text
    panel.triggers.selectRow(panel.trigger_rows().index(trig))
    assert panel.remove_button.isEnabled()
    panel.remove_button.click()
    assert [t.type for t in TriggerService(ws).list_triggers("demo")] == ["monitor_alert"]
    assert panel.errors == []


def test_edit_a_trigger_keeps_its_pipeline_and_type(panel, ws) -> None:
    trig = panel.add_trigger(panel.default_pipeline(), "schedule", {"cron": "0 2 * * *"})
    row = panel.trigger_rows().index(trig)
    panel.triggers.selectRow(row)
    assert panel.edit_button.isEnabled()
    dialog = panel.edit_dialog(trig)
    assert dialog.windowTitle() == "Edit trigger" and dialog.add_button.text() == "Save"
    assert not dialog.type.isEnabled() and not dialog.pipeline.isEnabled()
    assert dialog.cron.text() == "0 2 * * *"
    dialog.cron.setText("not a schedule")
    dialog.add_button.click()
    assert "not a cron expression" in dialog.error.text()
    assert TriggerService(ws).store.get(trig.id).config["cron"] == "0 2 * * *"  # unchanged
    dialog.cron.setText("0 6 * * 1")
    dialog.environment.setCurrentIndex(dialog.environment.findData("staging"))
    dialog.add_button.click()
    assert dialog.result() == 1
    stored = TriggerService(ws).store.get(trig.id)
    assert stored.type == "schedule" and stored.pipeline_name == trig.pipeline_name
    assert stored.config == {"cron": "0 6 * * 1", "environment": "staging"}
    row = panel.trigger_rows().index(stored)
    assert panel.triggers.item(row, 3).text().startswith("Mondays at 06:00")
    # A trigger declared in the pipeline file is edited in the file, not here.
    (declared,) = [t for t in panel.trigger_rows() if t.config.get("origin") == "pipeline"]
    panel.triggers.selectRow(panel.trigger_rows().index(declared))
    assert not panel.edit_button.isEnabled()
    with pytest.raises(MlopsError, match="edit the pipeline"):
        TriggerService(ws).update_trigger(declared.id, {"source_node": "x"})


def test_next_ticks_of_a_cron_expression() -> None:
    now = datetime(2026, 1, 5, 10, 7, tzinfo=UTC)
    ticks = next_ticks("*/15 * * * *", 2, now)
    assert [t.astimezone(UTC).strftime("%H:%M") for t in ticks] == ["10:15", "10:30"]
    assert next_ticks("nonsense") == []


def test_fire_now_from_the_window_runs_the_pipeline_and_lists_the_firing(
    qtbot, tmp_path, monkeypatch
) -> None:
    from mlops_desktop.qt.main_window import MainWindow

    monkeypatch.setenv("MLOPS_DESKTOP_NO_TRIGGERS", "1")  # no timed passes: only by hand
    win = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    assert win.open_workspace(str(tmp_path / "w.db"))
    win.browser.create_project("small", template="blank")
    info, _ = win.service.load_pipeline("small")
    graph = Pipeline("main")
    graph.apply(ops.add_stage(graph, "load_data", params={"dataset": "iris"}, node_id="load"))
    win.service.save_pipeline(info.id, graph)
    win.show_dock(win.triggers_dock)
    panel = win.triggers_panel
    assert panel.trigger_rows() == [] and panel.empty.isVisibleTo(panel)
    assert panel.fire_button.isEnabled()
    opened: list[int] = []
    win.open_run = opened.append  # the double-click target
    panel.run_activated.disconnect()
    panel.run_activated.connect(win.open_run)
    timer = win.panels.ensure_trigger_timer()
    with qtbot.waitSignal(timer.fired, timeout=30000) as fired:
        panel.fire_button.click()
    (event,) = fired.args[0]
    assert event.outcome == "started" and event.type == "manual"
    assert event.detail.get("by_hand") is True
    qtbot.waitUntil(lambda: bool(panel.event_rows()), timeout=5000)
    assert panel.events.item(0, 3).text() == "started"
    assert panel.events.item(0, 4).text() == f"#{event.run_id}"
    assert "Trigger fired: manual: started run" in win.log.toPlainText()
    panel.events.cellDoubleClicked.emit(0, 0)
    assert opened == [event.run_id]
    assert str(win.workspace.runs.get(event.run_id).status) == "succeeded"
    win.close()
