"""A run whose gate keeps the model out ends "kept out" in the window: the message names what
the gate refused without an error, the Runs panel's status says "kept out", the run header
says so, and the stage after the gate shows as skipped."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt

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
    win.service.create_project("gated", template="blank")
    pipeline = Pipeline("gated")
    nodes = [
        ("load", "load_data", {"dataset": "iris"}),
        ("split", "split", {}),
        ("train", "train", {"estimator": "logistic_regression"}),
        ("eval", "evaluate", {"permutation_importance": False}),
        ("gate", "model_gate", {"rules": "accuracy > 1.5"}),
        ("register", "register_model", {"model_name": "iris"}),
    ]
    for i, (node_id, stage_type, params) in enumerate(nodes):
        pipeline.apply(AddNode(Node(node_id, stage_type, node_id, params, 250 * i, 0)))
    links = [
        ("load", "dataset", "split", "dataset"),
        ("split", "split", "train", "split"),
        ("train", "model", "eval", "model"),
        ("split", "split", "eval", "split"),
        ("train", "model", "gate", "model"),
        ("eval", "metrics", "gate", "metrics"),
        ("gate", "model", "register", "model"),
        ("gate", "metrics", "register", "metrics"),
    ]
    for i, link in enumerate(links):
        pipeline.apply(AddLink(Link(f"l{i}", *link)))
    win.service.create_pipeline("gated", "gated", pipeline)
    win.browser.refresh()
    win.open_pipeline("gated", "gated")
    yield win
    win.runner.wait(30)
    win.close()


def test_a_refused_model_ends_the_run_kept_out_not_failed(
    qtbot, window: MainWindow, run_panel_shows
) -> None:
    with qtbot.waitSignal(window.runner.finished, timeout=60000) as blocker:
        assert window.run_pipeline()
    run_id = blocker.args[0]
    assert blocker.args[1] == "kept_out"
    assert blocker.args[2].startswith("kept out: model gate not passed: accuracy > 1.5")
    assert f"Run #{run_id} kept out: model gate not passed" in window.log.toPlainText()
    states = {n: item.status for n, item in window.current_editor().scene.node_items.items()}
    assert states["gate"] is StageStatus.SUCCEEDED
    assert states["register"] is StageStatus.SKIPPED
    model = window.runs_panel.model
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=10000)  # read off the GUI thread
    status = model.index(0, 1)
    assert model.data(status) == "kept out"
    assert model.data(status, Qt.ItemDataRole.ToolTipRole).startswith("kept out: model gate")
    view = run_panel_shows(window, run_id, "kept_out")  # read once ended
    assert "kept out" in view.header.text() and "kept_out" not in view.header.text()
