"""File → Import cloud pipeline… and dropping a definition file onto the main window."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit, QPlainTextEdit

from mlops_desktop.qt.imports import cloud_dialog as cloud_import_dialog
from mlops_desktop.qt.main_window import MainWindow

FIXTURES = Path(__file__).parents[1] / "fixtures" / "cloud"


@pytest.fixture
def window(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    assert win.open_workspace(str(tmp_path / "workspace.db"))
    win.browser.create_project("demo", template="blank")
    yield win
    win.close()


def drop(win: MainWindow, path: Path) -> bool:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    enter = QDragEnterEvent(
        QPoint(300, 300),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(win, enter)
    if not enter.isAccepted():
        return False
    event = QDropEvent(
        QPointF(300, 300),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(win, event)
    return event.isAccepted()


def test_menu_action_imports_and_opens_the_pipeline(window: MainWindow, monkeypatch) -> None:
    path = FIXTURES / "kfp" / "nested.yaml"
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(path), ""))
    )
    assert window.acts.import_cloud in window.menuBar().actions()[0].menu().actions()
    window.acts.import_cloud.trigger()
    pipeline = window.current_pipeline()
    assert pipeline.name == "nested-vertex" and len(pipeline.nodes) == 10
    editor = window.current_editor()
    assert len(editor.scene.node_items) == 10
    assert "imported pipeline 'nested-vertex'" in window.statusBar().currentMessage()
    # the lens bands place imported steps like native stages
    window.set_lens("google")
    banded = {nid for band in editor.scene.lens_layer.bands for nid in band.node_ids}
    assert len(banded) == 9  # every step but the notification
    # the inspector shows the step's definition read-only; its kind stays editable
    train = next(n for n in pipeline.nodes.values() if n.title == "train")
    editor.select_nodes([train.id])
    rows = window.inspector.rows
    assert isinstance(rows["image"].editor, QLineEdit) and rows["image"].editor.isReadOnly()
    assert isinstance(rows["command"].editor, QPlainTextEdit)
    assert rows["command"].editor.isReadOnly()
    assert rows["kind"].editor.isEnabled()
    assert rows["placement_reason"].editor.text() == "its name mentions 'train'"


def test_dropping_a_file_imports_it_and_a_second_drop_is_a_new_version(
    window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "abalone.json"
    path.write_text((FIXTURES / "sagemaker" / "abalone.json").read_text())
    assert drop(window, path)
    assert window.current_pipeline().name == "abalone"
    tabs = window.tabs.count()
    path.write_text(
        path.read_text()
        .replace('"AbaloneEval"', '"AbaloneEvaluate"')
        .replace("Steps.AbaloneEval.", "Steps.AbaloneEvaluate.")
    )
    assert drop(window, path)
    assert window.tabs.count() == tabs  # the open tab shows the new version
    assert "re-imported as version 2" in window.statusBar().currentMessage()
    titles = {n.title for n in window.current_pipeline().nodes.values()}
    assert "AbaloneEvaluate" in titles and "AbaloneEval" not in titles


def test_a_refused_file_shows_one_message_and_imports_nothing(
    window: MainWindow, monkeypatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(
        cloud_import_dialog.dialogs, "show_error", lambda _p, msg, *a, **k: shown.append(msg)
    )
    before = len(window.service.list_pipelines("demo"))
    assert drop(window, FIXTURES / "hostile" / "cycle.json")
    assert shown and "at Steps[0]: the steps depend on each other in a cycle" in shown[0]
    assert len(window.service.list_pipelines("demo")) == before


def test_other_files_are_not_taken(window: MainWindow, tmp_path: Path) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    assert not drop(window, other)
