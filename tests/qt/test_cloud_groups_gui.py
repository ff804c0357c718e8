"""Collapsible groups of an imported pipeline in the main window: a click on a group's toggle
collapses it, Ctrl+Z undoes that, the state is saved with the pipeline; lens band labels
stay clear of the group labels."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPointF, QSettings, Qt
from PySide6.QtTest import QTest

from mlops_desktop.qt.canvas.lens_layer import pill_rect
from mlops_desktop.qt.imports import cloud_dialog as cloud_import_dialog
from mlops_desktop.qt.main_window import MainWindow

FIXTURES = Path(__file__).parents[1] / "fixtures" / "cloud"
CTRL = Qt.KeyboardModifier.ControlModifier
CONDITION = "exit-handler-1/condition-2"


@pytest.fixture
def window(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.resize(1440, 900)
    win.show()
    assert win.open_workspace(str(tmp_path / "workspace.db"))
    win.browser.create_project("demo", template="blank")
    win.activateWindow()
    qtbot.waitActive(win)
    yield win
    win.close()


def click_toggle(qtbot, editor, path: str) -> None:
    toggle = editor.scene.groups.toggles[path]
    view = editor.view
    view.centerOn(toggle)
    qtbot.wait(10)
    at = view.mapFromScene(toggle.sceneBoundingRect().center())
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at)


def visible_titles(editor) -> set[str]:
    return {it.title for it in editor.scene.node_items.values() if it.isVisible()}


def test_click_collapses_a_group_ctrl_z_expands_it_and_the_state_is_saved(qtbot, window) -> None:
    assert cloud_import_dialog.import_cloud_file(window, str(FIXTURES / "kfp" / "nested.yaml"))
    editor = window.current_editor()
    every = visible_titles(editor)
    assert {"upload-model", "deploy-endpoint"} <= every
    click_toggle(qtbot, editor, CONDITION)
    qtbot.waitUntil(lambda: "upload-model" not in visible_titles(editor), timeout=2000)
    assert visible_titles(editor) == every - {"upload-model", "deploy-endpoint"}
    assert window.current_pipeline().meta["layout"] == {"collapsed": [CONDITION]}
    box = editor.scene.groups.box_of(CONDITION)
    assert box.hidden_steps == 2 and box.isVisible()
    # the links into the branch are drawn to the box
    assert editor.scene.groups._stubs
    assert editor.undo_stack.undoText() == "Collapse group condition-2"
    editor.view.setFocus()
    QTest.keyClick(editor.view.viewport(), Qt.Key.Key_Z, CTRL)
    qtbot.waitUntil(lambda: visible_titles(editor) == every, timeout=2000)
    assert "layout" not in window.current_pipeline().meta
    assert box.hidden_steps is None and not editor.scene.groups._stubs
    QTest.keyClick(editor.view.viewport(), Qt.Key.Key_Y, CTRL)
    qtbot.waitUntil(lambda: "upload-model" not in visible_titles(editor), timeout=2000)
    # collapsing the outer group hides everything under it; its toggle expands it again
    click_toggle(qtbot, editor, "exit-handler-1")
    qtbot.waitUntil(lambda: visible_titles(editor) == {"notify"}, timeout=2000)
    assert not editor.scene.groups.box_of(CONDITION).isVisible()
    click_toggle(qtbot, editor, "exit-handler-1")
    qtbot.waitUntil(lambda: "train" in visible_titles(editor), timeout=2000)
    assert "upload-model" not in visible_titles(editor)  # the inner group stays collapsed
    # saved with the pipeline: a reopened tab shows the group collapsed
    assert window.autosaver is not None and window.autosaver.flush()
    window.close_tab(window.tabs.currentIndex())
    window.open_pipeline("demo", "nested-vertex")
    reopened = window.current_editor()
    assert reopened is not editor
    assert "upload-model" not in visible_titles(reopened)
    assert reopened.scene.groups.toggles[CONDITION].collapsed


def test_context_menu_offers_collapse_on_a_group_backdrop(qtbot, window) -> None:
    assert cloud_import_dialog.import_cloud_file(window, str(FIXTURES / "kfp" / "nested.yaml"))
    editor = window.current_editor()
    box = editor.scene.groups.box_of(CONDITION)
    editor.view.centerOn(box)
    at = editor.view.mapFromScene(box.sceneBoundingRect().topLeft() + QPointF(120, 12))
    menu = editor.context_menu(at)
    action = next(a for a in menu.actions() if a.text() == "Collapse group")
    action.trigger()
    qtbot.waitUntil(lambda: box.hidden_steps == 2, timeout=2000)
    menu.deleteLater()


@pytest.mark.parametrize(
    ("fixture", "lens"),
    [
        ("kfp/nested.yaml", "google"),
        ("sagemaker/abalone.json", "aws"),
        ("azureml/nested.yml", "azure"),
    ],
)
def test_lens_band_labels_do_not_cover_group_labels(qtbot, window, fixture, lens) -> None:
    assert cloud_import_dialog.import_cloud_file(window, str(FIXTURES / fixture))
    window.set_lens(lens)
    editor = window.current_editor()
    scene = editor.scene
    qtbot.waitUntil(lambda: bool(scene.lens_layer.bands), timeout=2000)
    labels = [it.label_rect() for it in scene.note_items.values() if it.isVisible()]
    assert labels
    for band in scene.lens_layer.bands:
        pill = pill_rect(band.rect, band.label)
        assert not any(pill.intersects(lab) for lab in labels), band.label
    # group labels are one line each and nested labels do not cover each other
    for a in labels:
        for b in labels:
            if a is not b:
                assert not (a.intersects(b) and abs(a.top() - b.top()) < 20)


def test_svg_export_shows_the_imported_pipeline_as_on_the_canvas(qtbot, window, tmp_path) -> None:
    assert cloud_import_dialog.import_cloud_file(window, str(FIXTURES / "kfp" / "nested.yaml"))
    editor = window.current_editor()
    whole = tmp_path / "whole.svg"
    before = editor.scene.content_rect()
    editor.export_svg(whole)
    text = whole.read_text()
    assert "upload-model" in text and "condition: condition-2" in text
    editor.set_group_collapsed("exit-handler-1", True)
    qtbot.waitUntil(lambda: not editor.scene.node_items[_id(editor, "train")].isVisible())
    shut = tmp_path / "collapsed.svg"
    editor.export_svg(shut)
    text = shut.read_text()
    assert "upload-model" not in text and "9 steps inside" in text and "notify" in text
    assert editor.scene.content_rect().height() < before.height()  # only what shows is drawn


def _id(editor, title: str) -> str:
    return next(n.id for n in editor.pipeline.nodes.values() if n.title == title)


def test_auto_layout_keeps_each_group_around_its_steps_and_undoes_in_one_step(
    qtbot, window
) -> None:
    assert cloud_import_dialog.import_cloud_file(window, str(FIXTURES / "kfp" / "nested.yaml"))
    editor = window.current_editor()
    pipeline = editor.pipeline
    before_nodes = {n.id: (n.x, n.y) for n in pipeline.nodes.values()}
    before_notes = dict(pipeline.notes)
    editor.view.setFocus()
    QTest.keyClick(editor.view.viewport(), Qt.Key.Key_L, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert {n.id: (n.x, n.y) for n in pipeline.nodes.values()} != before_nodes
    scene = editor.scene
    qtbot.waitUntil(lambda: set(scene.note_items) == set(pipeline.notes), timeout=2000)
    for group in scene.groups.groups.values():
        box = scene.note_items[group.note_ids[0]].sceneBoundingRect()
        for node_id in group.node_ids:
            assert box.contains(scene.node_items[node_id].sceneBoundingRect()), group.path
    QTest.keyClick(editor.view.viewport(), Qt.Key.Key_Z, CTRL)
    assert {n.id: (n.x, n.y) for n in pipeline.nodes.values()} == before_nodes
    assert dict(pipeline.notes) == before_notes
