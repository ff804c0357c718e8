"""Load data's inspector shows each column's type, role and why (the stage's own decision:
row numbers and names ignored), and a role changed there becomes the stage's ``roles``
parameter in one undo step."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from mlops_desktop.core import operations as ops
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.qt.document.editor import PipelineEditor
from mlops_desktop.qt.inspector.panel import NodeInspector


@pytest.fixture
def setup(qtbot, tmp_path):
    rng = np.random.default_rng(0)
    n = 80
    csv = tmp_path / "visits.csv"
    pd.DataFrame(
        {
            "rownames": np.arange(1, n + 1),
            "name": [f"Visitor {i}" for i in range(n)],
            "patient": rng.choice(["p1", "p2", "p3", "p4"], n),
            "age": rng.normal(40, 9, n).round(1),
            "y": rng.choice(["ill", "well"], n),
        }
    ).to_csv(csv, index=False)
    p = Pipeline("P")
    op = ops.add_stage(p, "load_data", params={"source": "file", "path": str(csv), "target": "y"})
    p.apply(op)
    editor, inspector = PipelineEditor(p), NodeInspector()
    qtbot.addWidget(editor)
    qtbot.addWidget(inspector)
    inspector.set_editor(editor)
    inspector.show()
    editor.select_nodes([op.node.id])
    return editor, inspector, op.node.id


def _table(dialog) -> dict[str, tuple[str, str, str]]:
    t = dialog.table
    out = {}
    for i in range(t.rowCount()):
        widget = t.cellWidget(i, 2)
        role = widget.currentText() if widget is not None else t.item(i, 2).text()
        out[t.item(i, 0).text()] = (t.item(i, 1).text(), role, t.item(i, 3).text())
    return out


def test_roles_shown_with_reasons_and_edited_in_one_undo_step(qtbot, setup):
    editor, inspector, node_id = setup
    qtbot.mouseClick(inspector.roles_button, Qt.MouseButton.LeftButton)
    dialog = inspector.roles_dialog
    assert dialog.isVisible()
    shown = _table(dialog)
    assert shown["rownames"][1] == "ignore" and "row numbers" in shown["rownames"][2]
    assert shown["name"][1] == "ignore" and "identifier or a name" in shown["name"][2]
    assert shown["age"] == ("number", "feature", "")
    assert shown["patient"][:2] == ("text", "feature")
    assert shown["y"][1] == "target"

    dialog.combos["patient"].setCurrentText("group")  # the user's choices
    dialog.combos["name"].setCurrentText("feature")
    qtbot.mouseClick(
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok),
        Qt.MouseButton.LeftButton,
    )
    node = editor.pipeline.node(node_id)
    assert node.params["roles"] == "name=feature, patient=group"
    assert inspector.rows["roles"].raw_value() == "name=feature, patient=group"

    qtbot.mouseClick(inspector.roles_button, Qt.MouseButton.LeftButton)
    again = _table(inspector.roles_dialog)
    assert again["patient"][1:] == ("group", "chosen in 'roles'")
    inspector.roles_dialog.reject()

    editor.undo_stack.undo()  # one step back: the roles as they were
    assert editor.pipeline.node(node_id).params.get("roles", "") == ""


def test_an_unreadable_file_is_said_where_the_roles_are(qtbot, setup, tmp_path):
    editor, inspector, node_id = setup
    params = dict(editor.pipeline.node(node_id).params, path=str(tmp_path / "gone.csv"))
    editor.set_params(node_id, params)
    qtbot.mouseClick(inspector.roles_button, Qt.MouseButton.LeftButton)
    assert inspector.roles_dialog is None
    assert "does not exist" in inspector.rows["roles"].error.text()


def test_names_types_and_role_boxes_fit_their_columns(qtbot, setup):
    """No clipped column name or type, and every role box shows its whole arrow."""
    _editor, inspector, _node_id = setup
    qtbot.mouseClick(inspector.roles_button, Qt.MouseButton.LeftButton)
    dialog = inspector.roles_dialog
    t = dialog.table
    metrics = t.fontMetrics()
    for i in range(t.rowCount()):
        for column in (0, 1):
            text = t.item(i, column).text()
            assert metrics.horizontalAdvance(text) + 12 <= t.columnWidth(column), text
        box = t.cellWidget(i, 2)
        if box is not None:
            assert box.sizeHint().width() <= t.columnWidth(2)
    assert not t.verticalHeader().isVisible()
    dialog.reject()
