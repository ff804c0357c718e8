"""ModelsPanel and the approval dialog: real widgets on a real workspace registry."""

from __future__ import annotations

import threading

import pytest
from PySide6 import QtWidgets
from shiboken6 import isValid

from mlops_desktop.app.registry import RegistryService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.core.execution import Cancelled
from mlops_desktop.core.operate_entities import ApprovalProvider, ApprovalRequest
from mlops_desktop.qt.operate.approval_dialog import ApprovalDialog, DialogApprovalProvider
from mlops_desktop.qt.operate.models_panel import ModelsPanel


@pytest.fixture
def registry(workspace_url):
    ws = Workspace.open(workspace_url)
    ws.projects.create("p")
    service = RegistryService(ws)
    for accuracy in (0.91, 0.93, 0.96):
        service.register(
            "p",
            "clf",
            metrics={"accuracy": accuracy},
            task="classification",
            feature_names=["a", "b"],
            alias="candidate",
        )
    service.register("p", "other")
    service.deploy("p", "clf", 1, "production", approver="ann")
    yield service
    ws.close()


@pytest.fixture
def panel(qtbot, registry):
    widget = ModelsPanel()
    qtbot.addWidget(widget)
    widget.errors = []
    widget.report_error = widget.errors.append
    widget.load(registry.workspace, "p")
    return widget


def cell(table, row, col):
    return table.item(row, col).text()


def test_panel_shows_models_versions_history_and_deployments(panel):
    assert panel.models.count() == 2 and panel.current_model() == "clf"
    assert (
        "candidate v3" in panel.models.item(0).text()
        and "production v1" in panel.models.item(0).text()
    )
    assert [cell(panel.versions, r, 0) for r in range(3)] == ["v3", "v2", "v1"]
    assert cell(panel.versions, 0, 1) == "candidate" and cell(panel.versions, 2, 1) == "production"
    assert cell(panel.versions, 0, 4) == "accuracy 0.96"
    assert panel.history.rowCount() == 4  # newest first
    assert (cell(panel.history, 0, 1), cell(panel.history, 0, 3)) == ("production", "v1")
    assert [cell(panel.deployments, 0, c) for c in (1, 3, 4, 6, 7)] == [
        "production",
        "v1",
        "direct",
        "ann",
        "active",
    ]
    panel.models.setCurrentRow(1)
    assert panel.current_model() == "other" and panel.versions.rowCount() == 1
    assert "1 version," in panel.heading.text()


def test_promote_asks_first_and_records_the_transition(panel, registry, qtbot):
    asked = []
    panel.confirm = lambda title, text: asked.append(text) or False
    panel.select_version(3)
    panel.alias_box.setCurrentText("production")
    panel.promote_button.click()
    assert "from v1 to v3" in asked[0]
    assert registry.list_models("p")[0].aliases["production"] == 1  # declined: unchanged
    panel.confirm = lambda title, text: True
    with qtbot.waitSignal(panel.registry_changed):
        panel.promote_button.click()
    assert registry.list_models("p")[0].aliases["production"] == 3
    assert [d.version for d in registry.active_deployments("p", "production")] == [3]
    assert cell(panel.versions, 0, 1) == "candidate, production"
    assert (cell(panel.history, 0, 2), cell(panel.history, 0, 3)) == ("v1", "v3")
    assert cell(panel.deployments, 0, 3) == "v3"


def test_rollback_is_one_action_and_errors_are_reported(panel, registry, qtbot):
    panel.confirm = lambda title, text: True
    panel.alias_box.setCurrentText("staging")
    panel.rollback_button.click()
    assert panel.errors == ["no version of clf holds the alias 'staging'"]
    panel.alias_box.setCurrentText("candidate")
    with qtbot.waitSignal(panel.registry_changed):
        panel.rollback_button.click()
    assert registry.list_models("p")[0].aliases["candidate"] == 2
    panel.rollback("candidate")
    panel.rollback("candidate")
    assert "no earlier version" in panel.errors[-1]
    assert registry.list_models("p")[0].aliases["candidate"] == 1


def test_approval_provider_waits_for_the_person(qtbot, registry):
    provider = DialogApprovalProvider()
    assert isinstance(provider, ApprovalProvider)
    version = registry.version("p", "clf", 2)
    answers = []
    worker = threading.Thread(
        target=lambda: answers.append(
            provider.request(
                ApprovalRequest(7, "approve", version, "Model tests passed."), lambda: None
            )
        )
    )
    with qtbot.waitSignal(provider.dialog_shown, timeout=5000) as shown:
        worker.start()
    dialog: ApprovalDialog = shown.args[0]
    assert "clf v2" in dialog.windowTitle()
    dialog.approver.setText("dana")
    dialog.comment.setPlainText("metrics hold up")
    dialog.reject_button.click()
    worker.join(5)
    assert answers[0].approved is False
    assert (answers[0].approver, answers[0].comment) == ("dana", "metrics hold up")


def test_cancelling_the_run_withdraws_the_question(qtbot, registry):
    provider = DialogApprovalProvider(poll_seconds=0.05)
    version = registry.version("p", "clf", 1)
    cancel = threading.Event()
    errors = []

    def check():
        if cancel.is_set():
            raise Cancelled("the run was cancelled")

    def ask():
        try:
            provider.request(ApprovalRequest(1, "approve", version), check)
        except Cancelled as exc:
            errors.append(exc)

    worker = threading.Thread(target=ask)
    with qtbot.waitSignal(provider.dialog_shown, timeout=5000) as shown:
        worker.start()
    dialog = shown.args[0]
    assert dialog.isVisible()
    cancel.set()
    worker.join(5)
    qtbot.waitUntil(lambda: not isValid(dialog), timeout=5000)  # closed (and deleted) for us
    assert errors and not worker.is_alive()


def test_an_unanswered_question_lapses_at_its_deadline(qtbot, registry):
    import time

    provider = DialogApprovalProvider(poll_seconds=0.05)
    version = registry.version("p", "clf", 1)
    answers = []
    deadline = time.time() + 0.6
    request = ApprovalRequest(1, "approve", version, deadline=deadline, fallback="reject")
    worker = threading.Thread(
        target=lambda: answers.append(provider.request(request, lambda: None))
    )
    with qtbot.waitSignal(provider.dialog_shown, timeout=5000) as shown:
        worker.start()
    dialog = shown.args[0]
    facts = dialog.findChildren(QtWidgets.QLabel)[1].text()
    assert "the run follows its policy: reject" in facts
    worker.join(5)
    assert answers == [None] and time.time() >= deadline
    qtbot.waitUntil(lambda: not isValid(dialog), timeout=5000)  # closed for the person


def test_dialog_needs_an_approver_name(qtbot, registry):
    dialog = ApprovalDialog(ApprovalRequest(1, "n", registry.version("p", "clf", 3)))
    qtbot.addWidget(dialog)
    dialog.approver.setText("  ")
    assert not dialog.approve_button.isEnabled() and not dialog.reject_button.isEnabled()
    dialog.approver.setText("eve")
    with qtbot.waitSignal(dialog.decided) as decided:
        dialog.approve_button.click()
    assert decided.args[0].approved and decided.args[0].approver == "eve"


def test_trigger_timer_fires_due_triggers_in_the_background(qtbot, registry, tmp_path):
    from mlops_desktop.app.triggers import TriggerService
    from mlops_desktop.core.graph import Pipeline
    from mlops_desktop.core.operations import add_stage
    from mlops_desktop.core.registry import default_registry
    from mlops_desktop.core.serialization import to_dict
    from mlops_desktop.qt.operate.trigger_timer import TriggerTimer

    ws = registry.workspace
    pipeline = Pipeline("small", default_registry())
    pipeline.apply(add_stage(pipeline, "load_data", params={"dataset": "iris"}, node_id="load"))
    ws.pipelines.create(ws.projects.get("p").id, "small", to_dict(pipeline))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    TriggerService(ws).add_trigger("p", "small", "data_arrival", {"folder": str(inbox)})
    timer = TriggerTimer(ws, interval_s=3600)
    with qtbot.waitSignal(timer.fired, timeout=10000) as first:
        assert timer.run_now()
    assert first.args[0] == []
    (inbox / "rows.csv").write_text("a\n1\n")
    timer.start()
    qtbot.waitUntil(lambda: not timer.busy, timeout=10000)  # the first pass's thread has ended
    with qtbot.waitSignal(timer.fired, timeout=30000) as second:
        assert timer.run_now()
    timer.stop()
    [event] = second.args[0]
    assert event.type == "data_arrival" and ws.runs.get(event.run_id).trigger == "data_arrival"
    assert not timer.active and not timer.busy


def test_trigger_timer_stop_cancels_the_run_in_progress(qtbot, registry, tmp_path):
    from mlops_desktop.app.triggers import TriggerService
    from mlops_desktop.core.entities import RunStatus
    from mlops_desktop.core.graph import Pipeline
    from mlops_desktop.core.operations import add_stage, connect
    from mlops_desktop.core.registry import default_registry
    from mlops_desktop.core.serialization import to_dict
    from mlops_desktop.qt.operate.trigger_timer import TriggerTimer

    ws = registry.workspace
    pipeline = Pipeline("slow", default_registry())
    pipeline.apply(add_stage(pipeline, "load_data", params={"dataset": "digits"}, node_id="load"))
    pipeline.apply(add_stage(pipeline, "split", node_id="split"))
    pipeline.apply(connect("load", "dataset", "split", "dataset"))
    pipeline.apply(
        add_stage(
            pipeline,
            "tune",
            node_id="tune",
            params={
                "estimator": "random_forest",
                "grid": '{"n_estimators": [200, 300, 400]}',
                "cv": 5,
            },
        )
    )
    pipeline.apply(connect("split", "split", "tune", "split"))
    ws.pipelines.create(ws.projects.get("p").id, "slow", to_dict(pipeline))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    TriggerService(ws).add_trigger("p", "slow", "data_arrival", {"folder": str(inbox)})
    (inbox / "rows.csv").write_text("a\n1\n")
    timer = TriggerTimer(ws, interval_s=3600)
    timer.run_now()
    qtbot.waitUntil(lambda: bool(ws.runs.list(ws.projects.get("p").id)), timeout=20000)
    timer.stop(30)
    assert not timer.busy
    [run] = ws.runs.list(ws.projects.get("p").id)
    assert run.status is RunStatus.CANCELLED and run.trigger == "data_arrival"


def test_promote_canary_is_one_click_and_lands_in_the_history(panel, registry, qtbot):
    from PySide6.QtCore import Qt

    assert not panel.canary_button.isEnabled()  # no canary yet
    registry.deploy("p", "clf", 3, "production", "canary", 0.2)
    panel.refresh()
    assert panel.canary_button.isEnabled()
    # The deployments say who answers how much: the canary a fifth, the primary the rest.
    shares = {
        (cell(panel.deployments, r, 3), cell(panel.deployments, r, 7)): cell(
            panel.deployments, r, 5
        )
        for r in range(panel.deployments.rowCount())
    }
    assert shares == {("v3", "active"): "20%", ("v1", "active"): "80%"}
    asked = []
    panel.confirm = lambda title, text: asked.append(text) or True
    qtbot.mouseClick(panel.canary_button, Qt.MouseButton.LeftButton)
    assert "serves 20% of 'production'" in asked[0]
    [primary] = registry.active_deployments("p", "production")
    assert (primary.version, primary.strategy) == (3, "direct")
    last = registry.history("p", "clf", "production")[-1]
    assert (last.from_version, last.to_version, last.reason) == (1, 3, "canary promoted in the app")
    assert not panel.canary_button.isEnabled() and panel.errors == []


def test_served_at_tab_answers_what_served_production_then(panel, registry, qtbot):
    """The Models panel's point-in-time view: pick a moment, press Show; the table says what
    served each environment then, who deployed it and who moved the alias, and why — the
    same answer as ``models --at``."""
    import math
    import time
    from datetime import UTC, datetime, timedelta

    from PySide6.QtCore import Qt

    [v1_deployed] = registry.deployments("p")
    # The view picks whole seconds: the next whole second after v1's deployment is before v3's.
    before_v3 = datetime.fromtimestamp(math.ceil(v1_deployed.created_at.timestamp()), UTC)
    time.sleep(1.05)
    registry.deploy("p", "clf", 3, "production", "canary", 0.2)
    registry.promote_canary("p", "production", reason="error rate no worse on 1,000 rows")
    view = panel.served_at
    panel.tabs.setCurrentWidget(view)
    view.set_moment(before_v3)
    qtbot.mouseClick(view.show_button, Qt.MouseButton.LeftButton)
    assert view.table.rowCount() == 1
    assert [cell(view.table, 0, c) for c in (0, 1, 2, 3, 7)] == [
        "production",
        "clf",
        "v1",
        "direct",
        "ann",
    ]
    assert "production served" in view.summary.text()
    # Now: v3, a canary promoted to primary; the alias history says by whom and why.
    qtbot.mouseClick(view.now_button, Qt.MouseButton.LeftButton)
    assert view.table.rowCount() == 1
    assert [cell(view.table, 0, c) for c in (2, 3, 4)] == ["v3", "direct", "100%"]
    assert cell(view.table, 0, 9) == "error rate no worse on 1,000 rows"
    assert cell(view.table, 0, 8) == registry.history("p", "clf", "production")[-1].actor
    # Before anything was deployed: nothing served.
    view.set_moment(v1_deployed.created_at - timedelta(days=1))
    qtbot.mouseClick(view.show_button, Qt.MouseButton.LeftButton)
    assert view.table.rowCount() == 0 and "nothing served" in view.summary.text()
    assert panel.errors == []


def test_a_project_read_in_the_background_shows_nothing_of_the_last_one_meanwhile(
    panel, registry, qtbot
):
    registry.workspace.projects.create("q")
    registry.register("q", "reg")
    panel.versions.selectRow(0)
    panel.load(registry.workspace, "q", background=True)
    # until q's registry arrives, p's versions cannot be promoted under q's name
    assert panel.models.count() == 0 and panel.versions.rowCount() == 0
    assert "Reading" in panel.heading.text() and not panel.promote_button.isEnabled()
    qtbot.waitUntil(lambda: panel.current_model() == "reg", timeout=10000)
    assert panel.versions.rowCount() == 1


def test_a_background_read_error_shows_in_the_panel_not_in_a_dialog(panel, registry, qtbot):
    panel.load(registry.workspace, "no-such-project", background=True)
    qtbot.waitUntil(lambda: "Cannot read the registry" in panel.heading.text(), timeout=10000)
    assert "no-such-project" in panel.heading.text() and panel.errors == []
    assert panel.models.count() == 0
