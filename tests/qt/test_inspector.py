"""Inspector tests: editors generated from the schema, inline errors, edits through undo."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
)

from mlops_desktop.core import operations as ops
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.qt.document.editor import PipelineEditor
from mlops_desktop.qt.inspector.panel import NodeInspector


@pytest.fixture
def setup(qtbot):
    p = Pipeline("P")
    ids = {}
    for key, stage in [("load", "load_data"), ("train", "train"), ("split", "split")]:
        op = ops.add_stage(p, stage)
        p.apply(op)
        ids[key] = op.node.id
    editor = PipelineEditor(p)
    inspector = NodeInspector()
    qtbot.addWidget(editor)
    qtbot.addWidget(inspector)
    inspector.set_editor(editor)
    inspector.show()
    return editor, inspector, ids


def test_follows_selection(setup) -> None:
    editor, inspector, ids = setup
    assert inspector.node_id is None
    editor.select_nodes([ids["train"]])
    assert inspector.node_id == ids["train"]
    assert set(inspector.rows) == {p.name for p in editor.pipeline.registry.get("train").params}
    editor.select_nodes([ids["train"], ids["load"]])
    assert inspector.node_id is None
    inspector.set_editor(None)
    editor.select_nodes([ids["load"]])
    assert inspector.node_id is None


def test_editors_match_schema(setup) -> None:
    editor, inspector, ids = setup
    editor.select_nodes([ids["train"]])
    rows = inspector.rows
    assert isinstance(rows["estimator"].editor, QComboBox)
    assert isinstance(rows["n_estimators"].editor, QSpinBox)
    assert (rows["n_estimators"].editor.minimum(), rows["n_estimators"].editor.maximum()) == (
        1,
        5000,
    )
    assert isinstance(rows["max_depth"].editor, QLineEdit)  # optional int
    editor.select_nodes([ids["split"]])
    rows = inspector.rows
    assert isinstance(rows["test_size"].editor, QDoubleSpinBox)
    assert rows["test_size"].editor.minimum() == pytest.approx(0.05)
    assert isinstance(rows["stratify"].editor, QCheckBox)
    editor.select_nodes([ids["load"]])
    rows = inspector.rows
    assert isinstance(rows["query"].editor, QPlainTextEdit)
    assert rows["path"].line.placeholderText()


def test_visible_when(setup) -> None:
    editor, inspector, ids = setup
    editor.select_nodes([ids["load"]])
    rows = inspector.rows
    assert not rows["dataset"].field.isHidden() and rows["path"].field.isHidden()
    combo = rows["source"].editor
    combo.setCurrentText("file")
    combo.activated.emit(combo.currentIndex())
    assert editor.pipeline.nodes[ids["load"]].params["source"] == "file"
    assert rows["dataset"].field.isHidden() and not rows["path"].field.isHidden()


def test_valid_edit_applies_through_undo_stack(setup) -> None:
    editor, inspector, ids = setup
    editor.select_nodes([ids["train"]])
    spin = inspector.rows["n_estimators"].editor
    spin.setValue(250)
    assert editor.pipeline.nodes[ids["train"]].params["n_estimators"] == 250
    assert editor.undo_stack.count() == 1
    editor.undo_stack.undo()
    assert editor.pipeline.nodes[ids["train"]].params["n_estimators"] == 100
    assert spin.value() == 100  # the editor follows the document


def test_invalid_value_shown_inline_and_not_applied(setup, qtbot) -> None:
    editor, inspector, ids = setup
    editor.select_nodes([ids["train"]])
    row = inspector.rows["max_depth"]
    edit = row.editor
    edit.setFocus()
    QTest.keyClicks(edit, "deep")
    QTest.keyClick(edit, Qt.Key.Key_Return)
    assert not row.error.isHidden() and "integer" in row.error.text()
    assert editor.pipeline.nodes[ids["train"]].params["max_depth"] is None
    assert editor.undo_stack.count() == 0
    edit.setText("0")
    edit.editingFinished.emit()
    assert ">= 1" in row.error.text() and editor.undo_stack.count() == 0
    edit.setText("12")
    edit.editingFinished.emit()
    assert row.error.isHidden()
    assert editor.pipeline.nodes[ids["train"]].params["max_depth"] == 12


def test_title_rename(setup) -> None:
    editor, inspector, ids = setup
    editor.select_nodes([ids["split"]])
    inspector._title_edit.setText("Holdout split")
    inspector._title_edit.editingFinished.emit()
    assert editor.pipeline.nodes[ids["split"]].title == "Holdout split"
    assert editor.undo_stack.count() == 1
