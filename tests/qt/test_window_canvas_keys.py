"""The main window with real key presses on the canvas: undo and redo keys, the draft wire."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, QSettings, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QStyleOptionGraphicsItem

from mlops_desktop.qt.canvas.link_item import DraftLinkItem
from mlops_desktop.qt.main_window import MainWindow

CTRL = Qt.KeyboardModifier.ControlModifier
NO_MOD = Qt.KeyboardModifier.NoModifier


@pytest.fixture
def window(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.resize(1440, 900)
    win.show()
    assert win.open_workspace(str(tmp_path / "workspace.db"))
    win.activateWindow()
    qtbot.waitActive(win)
    yield win
    win.close()


def _types(win: MainWindow) -> list[str]:
    return sorted(n.type for n in win.current_pipeline().nodes.values())


def test_ctrl_z_and_redo_keys_work_while_the_canvas_has_focus(qtbot, window) -> None:
    window.browser.create_project("demo", template="google")
    editor = window.current_editor()
    canvas = editor.view.viewport()
    before = _types(window)
    editor.view.setFocus()
    QTest.keyClick(editor.view, Qt.Key.Key_Tab)
    popup = editor.open_stage_search()
    QTest.keyClicks(popup.search, "gate")
    QTest.keyClick(popup.search, Qt.Key.Key_Return)
    added = _types(window)
    assert len(added) == len(before) + 1
    editor.view.setFocus()
    assert QApplication.focusWidget() is editor.view
    QTest.keyClick(canvas, Qt.Key.Key_Z, CTRL)
    assert _types(window) == before
    QTest.keyClick(canvas, Qt.Key.Key_Y, CTRL)
    assert _types(window) == added
    QTest.keyClick(canvas, Qt.Key.Key_Z, CTRL)
    QTest.keyClick(canvas, Qt.Key.Key_Z, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert _types(window) == added


def test_the_draft_wire_is_a_line_not_a_filled_area() -> None:
    """The painter arrives with whatever brush the scene left; the draft must not fill."""
    draft = DraftLinkItem(QPointF(0, 0), True, QColor("#0d9488"))
    draft.set_end(QPointF(200, 100))
    image = QImage(220, 120, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setBrush(QColor("#ff0000"))
    draft.paint(painter, QStyleOptionGraphicsItem())
    painter.end()
    # A point between the S-curve and its chord, away from the stroke.
    assert image.pixelColor(60, 23).alpha() == 0
    assert image.pixelColor(140, 77).alpha() == 0


def test_dropping_a_stage_on_a_link_inserts_it_in_one_undo_step(qtbot, window) -> None:
    from PySide6.QtCore import QMimeData
    from PySide6.QtGui import QDropEvent

    from mlops_desktop.core import operations as ops
    from mlops_desktop.core.graph import Link, Node
    from mlops_desktop.qt.canvas.view import STAGE_MIME

    window.browser.create_project("demo", template="blank")
    editor = window.current_editor()
    pipeline = window.current_pipeline()
    pipeline.apply(ops.AddNode(Node("load", "load_data", "Load", {"dataset": "iris"}, 0, 0)))
    pipeline.apply(ops.AddNode(Node("split", "split", "Split", {}, 600, 0)))
    pipeline.apply(ops.AddLink(Link("l1", "load", "dataset", "split", "dataset")))
    editor.view.set_zoom(1.0)
    editor.view.centerOn(400, 30)
    qtbot.wait(20)
    link = editor.scene.link_items["l1"]
    middle = link.path().pointAtPercent(0.5)
    at = editor.view.mapFromScene(middle)
    mime = QMimeData()
    mime.setData(STAGE_MIME, b"validate_data")
    event = QDropEvent(
        QPointF(at), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, NO_MOD
    )
    before = editor.undo_stack.count()
    editor.view.dropEvent(event)
    new = next(n for n in pipeline.nodes.values() if n.type == "validate_data")
    pairs = {(lk.source, lk.target) for lk in pipeline.links.values()}
    assert pairs == {("load", new.id), (new.id, "split")}
    assert editor.undo_stack.count() == before + 1
    editor.view.setFocus()
    QTest.keyClick(editor.view.viewport(), Qt.Key.Key_Z, CTRL)
    assert set(pipeline.nodes) == {"load", "split"}
    assert {(lk.source, lk.target) for lk in pipeline.links.values()} == {("load", "split")}
    # A drop away from any link only adds the stage.
    far = editor.view.mapFromScene(QPointF(300, 400))
    event = QDropEvent(
        QPointF(far), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, NO_MOD
    )
    editor.view.dropEvent(event)
    assert len(pipeline.links) == 1 and len(pipeline.nodes) == 3
