"""Validate pipeline and the inspector look at the data file a Load data stage names."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest

from mlops_desktop.core import operations as ops
from mlops_desktop.core.graph import Link, Node, Pipeline
from mlops_desktop.qt.main_window import MainWindow


@pytest.fixture
def window(qtbot, tmp_path):
    win = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.resize(1440, 900)
    win.show()
    assert win.open_workspace(str(tmp_path / "w.db"))
    yield win
    win.runner.wait(30)
    win.close()


def _open(win: MainWindow, path: str, target: str):
    win.service.create_project("csv", template="blank")
    pipeline = Pipeline("data")
    params = {"source": "file", "path": path, "target": target}
    pipeline.apply(ops.AddNode(Node("load", "load_data", "Load", params, 0, 0)))
    pipeline.apply(ops.AddNode(Node("split", "split", "Split", {}, 250, 0)))
    pipeline.apply(ops.AddLink(Link("l1", "load", "dataset", "split", "dataset")))
    win.service.create_pipeline("csv", "data", pipeline)
    win.browser.refresh()
    return win.open_pipeline("csv", "data")


def test_a_missing_csv_fails_validation_and_is_not_run(window, tmp_path) -> None:
    _open(window, str(tmp_path / "nowhere.csv"), "y")
    problems = window.validate_current()
    assert [p.node_id for p in problems] == ["load"]
    assert "nowhere.csv does not exist" in problems[0].message
    assert "ready to run" not in window.log.toPlainText()
    assert window.run_pipeline() is False
    assert "does not exist" in window.log.toPlainText().splitlines()[-2]


def test_a_misspelled_target_fails_validation_with_the_nearest_column(window, tmp_path) -> None:
    csv = tmp_path / "cells.csv"
    csv.write_text("radius,texture,diagnosis\n1.0,2.0,M\n3.0,4.0,B\n", encoding="utf-8")
    _open(window, str(csv), "diagnosys")
    problems = window.validate_current()
    assert len(problems) == 1
    assert "no column 'diagnosys' in cells.csv (did you mean 'diagnosis'?)" in problems[0].message
    assert window.messages_dock.isVisible()
    window.current_pipeline().apply(
        ops.SetParams(
            "load", {**window.current_pipeline().nodes["load"].params, "target": "diagnosis"}
        )
    )
    assert window.validate_current() == []
    assert "ready to run" in window.log.toPlainText()


def test_the_inspector_checks_the_target_as_you_type(qtbot, window, tmp_path) -> None:
    csv = tmp_path / "cells.csv"
    csv.write_text("radius;texture;diagnosis\n1,2,M\n", encoding="utf-8")
    editor = _open(window, str(csv), "diagnosis")
    editor.select_nodes(["load"])
    row = window.inspector.rows["target"]
    assert row.error.isHidden()
    row.editor.setFocus()
    row.editor.selectAll()
    QTest.keyClicks(row.editor, "diagnosys")
    assert not row.error.isHidden()
    assert "did you mean 'diagnosis'" in row.error.text()
    QTest.keyClick(row.editor, Qt.Key.Key_Backspace)
    QTest.keyClick(row.editor, Qt.Key.Key_Backspace)
    QTest.keyClicks(row.editor, "is")
    assert row.editor.text() == "diagnosis"
    assert row.error.isHidden()


def test_train_shows_only_the_chosen_estimators_parameters_and_fitting_estimators(
    qtbot, window
) -> None:
    window.browser.create_project("demo", template="google")  # breast cancer: classification
    editor = window.current_editor()
    pipeline = window.current_pipeline()
    train = next(n.id for n in pipeline.nodes.values() if n.type == "train")
    editor.select_nodes([train])
    rows = window.inspector.rows
    shown = {name for name, row in rows.items() if not row.label.isHidden()}
    estimator = pipeline.nodes[train].params["estimator"]
    assert estimator == "random_forest"
    assert {"n_estimators", "max_depth"} <= shown
    assert not {"C", "alpha", "learning_rate", "n_neighbors", "kernel"} & shown
    combo = rows["estimator"].editor
    model = combo.model()
    enabled = {combo.itemText(i) for i in range(combo.count()) if model.item(i).isEnabled()}
    assert "logistic_regression" in enabled and "ridge" not in enabled
    assert "random_forest_regressor" not in enabled
    # Choosing logistic regression through the combo box shows its C.
    combo.setCurrentText("logistic_regression")
    combo.activated.emit(combo.currentIndex())
    shown = {name for name, row in window.inspector.rows.items() if not row.label.isHidden()}
    assert "C" in shown and "n_estimators" not in shown
