"""The Triggers panel lists triggers stored before their settings were checked (a cron that
never fires, a cooldown that is not a number) without raising, and says they are broken."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mlops_desktop.app.projects import ProjectService
from mlops_desktop.app.triggers import TriggerService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.qt.operate.triggers_panel import TriggersPanel


def test_broken_stored_triggers_are_listed_and_marked(qtbot, tmp_path) -> None:
    with Workspace.open(str(tmp_path / "w.db")) as ws:
        ProjectService(ws).create_project("demo")
        service = TriggerService(ws)
        proj = ws.projects.get("demo")
        pid = ws.pipelines.list(proj.id)[0].id
        past = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
        store = service.store
        store.add(proj.id, pid, "schedule", {"cron": "0 0 31 2 *"}, state={"last_tick": past})
        store.add(
            proj.id,
            pid,
            "monitor_alert",
            {"cooldown_s": "abc", "source_node": 7},
            state={"last_fired": past},
        )
        service.run_due()  # both are marked broken; the pass itself goes on
        panel = TriggersPanel()
        qtbot.addWidget(panel)
        panel.errors = []
        panel.report_error = panel.errors.append
        panel.load(ws, "demo")
        texts = [panel.triggers.item(row, 3).text() for row in range(panel.triggers.rowCount())]
        assert len(texts) == 2 and all("BROKEN" in t for t in texts), texts
        assert "node 7" in texts[1]
        assert panel.errors == []


def test_bad_declarations_in_a_stored_pipeline_file_are_named_once(qtbot, tmp_path) -> None:
    """A pipeline file stored before declarations were checked (a cooldown that is not a
    number, a cron that never fires, an entry of no known type): the panel lists the good
    trigger, says which declarations are not used and where, once, and the scheduler's pass
    goes on."""
    with Workspace.open(str(tmp_path / "w.db")) as ws:
        ProjectService(ws).create_project("demo")
        proj = ws.projects.get("demo")
        info = ws.pipelines.list(proj.id)[0]
        doc = dict(ws.pipelines.latest(info.id).document)
        doc["meta"] = {
            **(doc.get("meta") or {}),
            "triggers": [
                {"type": "schedule", "cron": "0 3 * * *"},
                {"type": "schedule", "cron": "* * * * *", "cooldown_s": "abc"},
                {"type": "schedule", "cron": "0 0 31 2 *"},
                {"type": "teleport"},
            ],
        }
        ws.pipelines.save(info.id, doc, "stored before the checks")  # no validation here
        assert TriggerService(ws).run_due() == []  # the pass itself goes on
        panel = TriggersPanel()
        qtbot.addWidget(panel)
        panel.errors = []
        panel.report_error = panel.errors.append
        panel.load(ws, "demo")
        assert panel.triggers.rowCount() == 1  # the good one
        assert len(panel.errors) == 1, panel.errors
        message = panel.errors[0]
        assert f"Pipeline '{info.name}' declares triggers that are not used" in message
        assert "meta.triggers[1]: cooldown_s must be a number" in message
        assert "meta.triggers[2]:" in message and "never fires" in message
        assert "meta.triggers[3]: not a trigger of a known type" in message
        assert "3 declared in a pipeline file not used" in panel.heading.text()
        panel.refresh()
        assert len(panel.errors) == 1  # not repeated at each refresh
