"""File → Make a local copy… on an imported cloud pipeline in the main window."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from mlops_desktop.qt.imports import cloud_dialog as cloud_import_dialog
from mlops_desktop.qt.imports import cloud_local_copy
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


def file_menu_action(qtbot, win: MainWindow):
    file_menu = win.menuBar().actions()[0].menu()

    def placed():
        return next((a for a in file_menu.actions() if a.text() == cloud_local_copy.TEXT), None)

    qtbot.waitUntil(lambda: placed() is not None, timeout=2000)
    items = file_menu.actions()
    assert items[items.index(placed()) - 1].text() == cloud_local_copy.AFTER
    return placed()


def test_make_a_local_copy_opens_an_editable_pipeline_with_its_origin(qtbot, window) -> None:
    assert cloud_import_dialog.import_cloud_file(
        window, str(FIXTURES / "sagemaker" / "abalone.json")
    )
    # the user corrects a step's kind before copying: the copy follows the correction
    editor = window.current_editor()
    fail = next(n for n in editor.pipeline.nodes.values() if n.title == "AbaloneMSEFail")
    assert editor.set_params(fail.id, {**fail.params, "kind": "evaluate"})
    tabs = window.tabs.count()
    action = file_menu_action(qtbot, window)
    window.menuBar().actions()[0].menu().aboutToShow.emit()
    assert action.isEnabled()
    action.trigger()
    assert window.tabs.count() == tabs + 1
    copy = window.current_pipeline()
    assert copy.name == "abalone (local copy)"
    types = {n.title: n.type for n in copy.nodes.values()}
    assert types["AbaloneTrain"] == "train" and types["AbaloneMSEFail"] == "evaluate"
    assert "external" not in types.values() and "external" not in copy.meta
    assert copy.meta["origin"]["pipeline"] == "abalone"
    assert "Made 'abalone (local copy)'" in window.statusBar().currentMessage()
    # the copy is a normal pipeline: its stages are edited like any other, with undo
    copy_editor = window.current_editor()
    train = next(n for n in copy.nodes.values() if n.title == "AbaloneTrain")
    assert copy_editor.set_params(train.id, {**train.params, "estimator": "logistic_regression"})
    copy_editor.undo_stack.undo()
    assert copy.nodes[train.id].params["estimator"] == train.params["estimator"]
    names = {p.name for p in window.service.list_pipelines("demo")}
    assert {"abalone", "abalone (local copy)"} <= names


def test_a_native_pipeline_gets_one_message_and_no_copy(qtbot, window) -> None:
    before = len(window.service.list_pipelines("demo"))
    assert window.current_pipeline() is not None  # the blank template's pipeline
    action = file_menu_action(qtbot, window)
    window.menuBar().actions()[0].menu().aboutToShow.emit()
    assert not action.isEnabled()  # the File menu offers it for an imported pipeline only
    action.setEnabled(True)  # a shortcut or a stale menu: still refused with one message
    action.trigger()
    assert "not imported from a cloud definition" in window.statusBar().currentMessage()
    assert len(window.service.list_pipelines("demo")) == before
