"""Running the open pipeline from the window: live node states, logs, history, cancel."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from mlops_desktop.core.entities import StageStatus
from mlops_desktop.core.graph import Link, Node, Pipeline
from mlops_desktop.core.operations import AddLink, AddNode
from mlops_desktop.qt.main_window import MainWindow


@pytest.fixture
def window(qtbot, tmp_path):
    win = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    win.open_workspace(str(tmp_path / "w.db"))
    win.service.create_project("small", template="blank")
    pipeline = Pipeline("data")
    pipeline.apply(AddNode(Node("load", "load_data", "Load", {"dataset": "iris"}, 0, 0)))
    pipeline.apply(AddNode(Node("check", "validate_data", "Check", {}, 250, 0)))
    pipeline.apply(AddNode(Node("split", "split", "Split", {}, 500, 0)))
    pipeline.apply(AddLink(Link("l1", "load", "dataset", "check", "dataset")))
    pipeline.apply(AddLink(Link("l2", "check", "dataset", "split", "dataset")))
    win.service.create_pipeline("small", "data", pipeline)
    win.browser.refresh()
    win.open_pipeline("small", "data")
    yield win
    win.runner.wait(30)
    win.close()


def _states(win: MainWindow) -> dict[str, StageStatus]:
    return {nid: item.status for nid, item in win.current_editor().scene.node_items.items()}


def test_run_shows_states_logs_and_history(qtbot, window: MainWindow) -> None:
    assert window.acts.run.isEnabled() and not window.acts.cancel_run.isEnabled()
    started: list[int] = []
    window.runner.started.connect(started.append)  # the run's id, once it is written
    with qtbot.waitSignal(window.runner.finished, timeout=60000) as blocker:
        assert window.run_pipeline() is True
        assert window.acts.cancel_run.isEnabled() and not window.acts.run.isEnabled()
    run_id = started[0]
    assert blocker.args[0] == run_id and blocker.args[1] == "succeeded"
    assert set(_states(window).values()) == {StageStatus.SUCCEEDED}
    assert f"Run #{run_id} succeeded" in window.log.toPlainText()
    # The run's row and the map's colours are read off the GUI thread: they arrive.
    qtbot.waitUntil(lambda: window.runs_panel.model.rowCount() == 1, timeout=10000)
    window.set_lens("google")
    qtbot.waitUntil(  # the run's stage states, read off the GUI thread
        lambda: window.lifecycle_map.coverage["gcp.stage.continuous_training"].state == "succeeded",
        timeout=10000,
    )
    assert window.acts.run.isEnabled()
    # A second run serves unchanged stages from the cache.
    with qtbot.waitSignal(window.runner.finished, timeout=60000):
        window.run_pipeline()
    assert set(_states(window).values()) == {StageStatus.CACHED}
    # Run only the selected stage, on the inputs stored by the earlier runs.
    window.current_editor().select_nodes(["split"])
    with qtbot.waitSignal(window.runner.finished, timeout=60000) as blocker:
        window.run_pipeline(selected=True, force=True)
    assert blocker.args[1] == "succeeded"
    states = _states(window)
    assert states["split"] is StageStatus.SUCCEEDED
    assert states["load"] is StageStatus.CACHED  # its stored output fed the selected stage


def test_run_selected_needs_a_selection_and_invalid_pipelines_do_not_run(
    window: MainWindow,
) -> None:
    assert window.run_pipeline(selected=True) is False
    assert "Select the stage" in window.log.toPlainText()
    from mlops_desktop.core.operations import RemoveLink

    window.current_pipeline().apply(RemoveLink("l1"))
    assert window.run_pipeline() is False
    assert "Not run" in window.log.toPlainText()
    assert window.workspace.runs.list(window.workspace.projects.get("small").id) == []


def test_an_approval_waits_for_the_person_and_cancel_stops_the_run(qtbot, tmp_path) -> None:
    win = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.show()
    win.open_workspace(str(tmp_path / "w.db"))
    win.service.create_project("gate", template="blank")
    p = Pipeline("release")
    for node in (
        Node("load", "load_data", "Load", {"dataset": "iris"}, 0, 0),
        Node("split", "split", "Split", {}, 250, 0),
        Node("train", "train", "Train", {"estimator": "logistic_regression"}, 500, 0),
        Node("register", "register_model", "Register", {"model_name": "iris"}, 750, 0),
        Node("approve", "approve", "Approve", {}, 1000, 0),
    ):
        p.apply(AddNode(node))
    for i, (a, ap, b, bp) in enumerate(
        [
            ("load", "dataset", "split", "dataset"),
            ("split", "split", "train", "split"),
            ("train", "model", "register", "model"),
            ("register", "model_version", "approve", "model_version"),
        ]
    ):
        p.apply(AddLink(Link(f"l{i}", a, ap, b, bp)))
    win.service.create_pipeline("gate", "release", p)
    win.browser.refresh()
    win.open_pipeline("gate", "release")
    win.run_pipeline()
    assert win.approvals is not None
    with qtbot.waitSignal(win.approvals.dialog_shown, timeout=60000):
        pass
    assert _states(win)["approve"] is StageStatus.RUNNING
    with qtbot.waitSignal(win.runner.finished, timeout=30000) as blocker:
        win.cancel_run()
    assert blocker.args[1] == "cancelled"
    assert _states(win)["train"] is StageStatus.SUCCEEDED
    win.close()


def test_cancel_pressed_while_the_run_is_being_written_stops_it(qtbot, window: MainWindow) -> None:
    """The run is written off the GUI thread: Cancel, pressed before it is handed to its
    worker, still stops it as soon as it is, and no stage runs to its end."""
    with qtbot.waitSignal(window.runner.finished, timeout=60000) as blocker:
        window.acts.run.trigger()
        assert window.runner.running and window.acts.cancel_run.isEnabled()
        window.acts.cancel_run.trigger()
    assert blocker.args[1] == "cancelled"
    assert StageStatus.SUCCEEDED not in set(_states(window).values())
    assert window.acts.run.isEnabled() and not window.runner.running


def test_delete_selected_runs_from_the_runs_panel(qtbot, window: MainWindow) -> None:
    ids = []
    for _ in range(3):
        with qtbot.waitSignal(window.runner.finished, timeout=60000) as blocker:
            window.run_pipeline(force=True)
        ids.append(blocker.args[0])
    panel = window.runs_panel
    qtbot.waitUntil(lambda: panel.model.rowCount() == 3, timeout=10000)  # rows arrive
    assert not panel.delete_button.isEnabled()
    panel.select_runs(ids[:2])
    assert panel.delete_button.isEnabled()
    menu = {a.text(): a.isEnabled() for a in panel.context_menu().actions() if a.text()}
    assert menu == {"Open": False, "Compare": True, "Delete 2 runs…": True}
    asked: list[list[int]] = []
    panel.delete_requested.disconnect()  # not the window's confirmation box: record the ask
    panel.delete_requested.connect(asked.append)
    panel.delete_button.click()
    assert sorted(asked[0]) == sorted(ids[:2])
    assert window.delete_runs(asked[0], ask=False) == 2
    assert [panel.model.run_id(r) for r in range(panel.model.rowCount())] == [ids[2]]
    assert "Deleted 2 run(s)" in window.statusBar().currentMessage()
    errors: list[str] = []
    from mlops_desktop.qt import dialogs

    original = dialogs.show_error
    dialogs.show_error = lambda parent, text, *a, **k: errors.append(text)
    try:
        assert window.delete_runs([ids[0]], ask=False) == 0  # already gone: said, not raised
    finally:
        dialogs.show_error = original
    assert errors and f"no run #{ids[0]}" in errors[0]


def test_runs_are_numbered_per_project_in_the_log_status_and_table(
    qtbot, window: MainWindow
) -> None:
    """A project's first run is #1 even when the workspace holds runs of other projects:
    the log, the status line and the runs table all show that number."""
    with qtbot.waitSignal(window.runner.finished, timeout=60000):
        window.run_pipeline()
    window.service.create_project("second", template="blank")
    window.service.create_pipeline("second", "data", window.current_pipeline().copy())
    window.browser.refresh()
    window.open_pipeline("second", "data")
    with qtbot.waitSignal(window.runner.started, timeout=60000) as started:
        assert window.run_pipeline(force=True)
    with qtbot.waitSignal(window.runner.finished, timeout=60000) as blocker:
        pass
    run_id = started.args[0]
    assert run_id > 1  # the workspace's second run…
    assert blocker.args[0] == run_id
    lines = window.log.toPlainText().splitlines()
    assert sum("Run #1 started" in line for line in lines) == 2  # …is the project's #1
    assert "Run #1 succeeded" in lines[-1] or any("Run #1 succeeded" in x for x in lines[-3:])
    assert not any(f"Run #{run_id} " in line for line in lines)
    model = window.runs_panel.model
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=10000)
    assert model.data(model.index(0, 0)) == "#1"
