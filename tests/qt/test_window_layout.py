"""The window's default layout gives the canvas the room; panels open where attention goes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, QSettings, Qt

from mlops_desktop.core import operations as ops
from mlops_desktop.core.graph import Link, Node, Pipeline
from mlops_desktop.qt.canvas.view import READABLE_ZOOM
from mlops_desktop.qt.main_window import MainWindow


def _window(qtbot, tmp_path, size: tuple[int, int]) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.resize(*size)
    win.show()
    assert win.open_workspace(str(tmp_path / "workspace.db"))
    return win


@pytest.fixture
def window(qtbot, tmp_path):
    win = _window(qtbot, tmp_path, (1440, 900))
    yield win
    win.runner.wait(30)
    win.close()


def _visible_rect(win: MainWindow, node_id: str) -> QRect:
    view = win.current_editor().view
    item = win.current_editor().scene.node_items[node_id]
    return view.mapFromScene(item.sceneBoundingRect()).boundingRect()


@pytest.mark.parametrize("size", [(1366, 768), (1440, 900)])
def test_the_canvas_gets_most_of_the_window(qtbot, tmp_path, size) -> None:
    win = _window(qtbot, tmp_path, size)
    win.browser.create_project("demo", template="google")
    qtbot.wait(50)
    canvas = win.current_editor().view.viewport()
    share = canvas.width() * canvas.height() / (win.width() * win.height())
    assert share > 0.5, share
    assert not any(d.isVisible() for d in win.bottom_docks())
    # The sample's first stages are shown whole at a readable zoom: none is cut at an edge.
    view = win.current_editor().view
    assert view.zoom() >= READABLE_ZOOM - 0.1
    port = QRectF(canvas.rect())
    for node_id in win.current_pipeline().nodes:
        rect = QRectF(_visible_rect(win, node_id))
        assert port.contains(rect) or not port.intersects(rect), node_id
    win.close()


def test_f_keeps_titles_readable_on_a_long_pipeline(qtbot, window) -> None:
    window.browser.create_project("demo", template="google")
    editor = window.current_editor()
    pipeline = window.current_pipeline()
    moves = {nid: (i * 400.0, 0.0) for i, nid in enumerate(pipeline.nodes)}
    pipeline.apply(ops.MoveNodes(moves))
    qtbot.keyClick(editor.view.viewport(), Qt.Key.Key_F)
    editor.fit_view()
    assert editor.view.zoom() >= READABLE_ZOOM - 0.1


def test_the_minimap_moves_off_a_stage_or_steps_aside(qtbot, window) -> None:
    window.browser.create_project("demo", template="blank")
    editor = window.current_editor()
    pipeline = window.current_pipeline()
    pipeline.apply(ops.AddNode(Node("a", "load_data", "A", {}, 0, 0)))
    pipeline.apply(ops.AddNode(Node("b", "split", "B", {}, 3000, 2000)))
    pipeline.apply(ops.AddNode(Node("z", "split", "Z", {}, -3000, -2000)))
    editor.view.set_zoom(1.0)
    minimap = editor._minimap
    minimap.refresh()
    # Put stage A under the bottom-right corner, where the minimap sits by default.
    vp = editor.view.viewport()
    qtbot.wait(50)
    centre = editor.scene.node_items["a"].sceneBoundingRect().center()
    offset = QPointF(vp.rect().center() - QPoint(vp.width() - 90, vp.height() - 50))
    editor.view.centerOn(centre + offset)
    qtbot.wait(20)
    stage = _visible_rect(window, "a")
    assert stage.intersects(QRect(vp.width() - 212, vp.height() - 142, 200, 130))
    assert minimap.isVisible() and not minimap.crowded
    assert not minimap.geometry().intersects(stage)
    # With stages in every corner it steps aside: nothing covers them, not even faded.
    for i, (x, y) in enumerate([(0, 0), (1, 0), (0, 1), (1, 1)]):
        at = editor.view.mapToScene(
            int(x * (vp.width() - 100) + 10), int(y * (vp.height() - 60) + 10)
        )
        pipeline.apply(ops.AddNode(Node(f"c{i}", "split", f"C{i}", {}, at.x(), at.y())))
    minimap.reposition()
    assert minimap.crowded and not minimap.isVisible()
    # The top-right corner freed (its stage deleted): it comes back there.
    pipeline.apply(ops.RemoveNode("c1"))
    minimap.reposition()
    assert minimap.isVisible() and not minimap.crowded


def test_the_minimap_never_covers_a_note_and_view_minimap_turns_it_off(qtbot, window) -> None:
    """Notes in every corner: the minimap is not drawn over one; View → Minimap still
    turns it off and on, and it shows again once a corner is free."""
    from mlops_desktop.core.graph import Note

    window.browser.create_project("demo", template="blank")
    editor = window.current_editor()
    pipeline = window.current_pipeline()
    pipeline.apply(ops.AddNode(Node("a", "load_data", "A", {}, 0, 0)))
    pipeline.apply(ops.AddNode(Node("z", "split", "Z", {}, 3000, 2000)))
    qtbot.wait(50)
    editor.view.set_zoom(1.0)
    editor.view.centerOn(1500, 1000)  # no stage in sight: only the notes matter
    minimap = editor._minimap
    minimap.refresh()
    vp = editor.view.viewport()
    qtbot.wait(50)
    assert minimap.isVisible()
    toggle = next(a for a in window.menus.view.actions() if a.text() == "&Minimap")
    assert toggle.isCheckable() and toggle.isChecked()
    toggle.trigger()  # off, by the View menu
    assert not minimap.isVisible()
    toggle.trigger()  # and on again
    assert minimap.isVisible()
    corners = [(vp.width() - 180, vp.height() - 110), (vp.width() - 180, 20), (20, 20)]
    corners.append((20, vp.height() - 110))
    for i, (x, y) in enumerate(corners):
        at = editor.view.mapToScene(x, y)
        pipeline.apply(ops.AddNote(Note(f"n{i}", "Success: recall >= 0.8", at.x(), at.y())))
    minimap.reposition()
    assert minimap.crowded and not minimap.isVisible()
    for i in range(4):
        note = editor.view.mapFromScene(editor.scene.note_items[f"n{i}"].sceneBoundingRect())
        assert not (minimap.isVisible() and minimap.geometry().intersects(note.boundingRect()))
    toggle.trigger()  # off stays off when a corner is free again
    pipeline.apply(ops.RemoveNote("n0"))
    minimap.reposition()
    assert not minimap.isVisible()
    toggle.trigger()
    assert minimap.isVisible() and not minimap.crowded


def test_the_minimap_moves_off_a_note_and_the_legend_too(qtbot, window) -> None:
    """A note's words are content: the minimap leaves the corner a note lies in, and the
    lens legend does not sit on it either."""
    from mlops_desktop.core.graph import Note

    window.browser.create_project("demo", template="blank")
    editor = window.current_editor()
    pipeline = window.current_pipeline()
    pipeline.apply(ops.AddNode(Node("a", "load_data", "A", {}, 0, 0)))
    pipeline.apply(ops.AddNode(Node("z", "split", "Z", {}, 3000, 2000)))
    window.set_lens("google")
    qtbot.wait(50)
    editor.view.set_zoom(1.0)
    editor.view.centerOn(1500, 1000)  # no stage in sight: only the notes matter
    minimap = editor._minimap
    minimap.refresh()
    vp = editor.view.viewport()
    qtbot.wait(50)
    # A note under the bottom-right corner, where the minimap sits by default.
    corner = editor.view.mapToScene(vp.width() - 180, vp.height() - 110)
    pipeline.apply(ops.AddNote(Note("n", "Use case: flag churners", corner.x(), corner.y())))
    minimap.reposition()
    note = editor.view.mapFromScene(editor.scene.note_items["n"].sceneBoundingRect())
    assert minimap.isVisible() and not minimap.crowded
    assert not minimap.geometry().intersects(note.boundingRect())
    # The legend's bottom-left place: a note there sends it elsewhere.
    left = editor.view.mapToScene(20, vp.height() - 60)
    pipeline.apply(ops.AddNote(Note("m", "Success: recall >= 0.8", left.x(), left.y())))
    box, faded = editor.view.legend_box(420, 60)
    other = editor.view.mapFromScene(editor.scene.note_items["m"].sceneBoundingRect())
    assert not box.intersects(QRectF(other.boundingRect())) and not faded


def test_the_lens_legend_keeps_clear_of_the_minimap(qtbot, window) -> None:
    """The legend and the minimap both look for a corner free of stages; when the minimap
    took the bottom-left one, the legend sits beside it instead of under it."""
    window.browser.create_project("demo", template="blank")
    editor = window.current_editor()
    pipeline = window.current_pipeline()
    pipeline.apply(ops.AddNode(Node("a", "load_data", "A", {}, 0, 0)))
    window.set_lens("google")
    view, minimap = editor.view, editor._minimap
    minimap.refresh()
    qtbot.wait(50)
    vp = view.viewport()
    assert minimap.isVisible()
    for corner in ((12, vp.height() - 142), (12, 12)):
        minimap.move(*corner)
        mini = QRectF(minimap.geometry()).translated(-vp.x(), -vp.y())
        box, faded = view.legend_box(480, 60)
        assert not box.intersects(mini), (corner, box, mini)
        assert QRectF(vp.rect()).contains(box) and not faded
    # At the bottom left, beside the minimap rather than at the top.
    minimap.move(12, vp.height() - 142)
    box, _ = view.legend_box(480, 60)
    assert box.bottom() > vp.height() / 2 and box.left() >= minimap.geometry().right()


def test_messages_scroll_to_the_newest_line(qtbot, window) -> None:
    """Lines arrive while the panel is closed; opening it shows the newest one."""
    assert not window.messages_dock.isVisible()
    for i in range(300):
        window.show_message(f"line {i}")
    window.show_dock(window.messages_dock)
    qtbot.wait(50)
    bar = window.log.verticalScrollBar()
    assert bar.maximum() > 0 and bar.value() == bar.maximum()
    window.log.verticalScrollBar().setValue(0)
    window.validate_current()  # no pipeline: nothing; then a message arrives
    window.show_message("newest")
    qtbot.wait(20)
    assert bar.value() == bar.maximum()


def test_reset_layout_docks_a_floating_run_panel(qtbot, window) -> None:
    window.service.create_project("small", template="blank")
    pipeline = Pipeline("data")
    pipeline.apply(ops.AddNode(Node("load", "load_data", "Load", {"dataset": "iris"}, 0, 0)))
    pipeline.apply(ops.AddNode(Node("split", "split", "Split", {}, 250, 0)))
    pipeline.apply(ops.AddLink(Link("l1", "load", "dataset", "split", "dataset")))
    window.service.create_pipeline("small", "data", pipeline)
    window.browser.refresh()
    window.open_pipeline("small", "data")
    with qtbot.waitSignal(window.runner.finished, timeout=60000) as ended:
        assert window.run_pipeline()
    run_id = ended.args[0]
    # The Run view opens by itself for the run (once made, when Run was its first use).
    qtbot.waitUntil(
        lambda: (
            window.run_view_dock is not None
            and window.run_view_dock.isVisible()
            and window.run_view.run is not None
            and window.run_view.run.id == run_id
        ),
        timeout=10000,
    )
    window.run_view_dock.setFloating(True)
    window.projects_dock.setFloating(True)
    window.reset_layout()
    qtbot.wait(20)
    assert not window.run_view_dock.isFloating()
    assert not window.projects_dock.isFloating()
    assert window.dockWidgetArea(window.run_view_dock) == Qt.DockWidgetArea.BottomDockWidgetArea
    assert window.projects_dock.isVisible()


def test_stage_badges_come_back_after_a_restart(qtbot, tmp_path) -> None:
    from mlops_desktop.core.entities import StageStatus

    win = _window(qtbot, tmp_path, (1440, 900))
    win.service.create_project("small", template="blank")
    pipeline = Pipeline("data")
    pipeline.apply(ops.AddNode(Node("load", "load_data", "Load", {"dataset": "iris"}, 0, 0)))
    pipeline.apply(ops.AddNode(Node("split", "split", "Split", {}, 250, 0)))
    pipeline.apply(ops.AddLink(Link("l1", "load", "dataset", "split", "dataset")))
    win.service.create_pipeline("small", "data", pipeline)
    win.browser.refresh()
    win.open_pipeline("small", "data")
    with qtbot.waitSignal(win.runner.finished, timeout=60000):
        win.run_pipeline()
    win.runner.wait(30)
    win.close()
    again = _window(qtbot, tmp_path, (1440, 900))
    editor = again.current_editor() or again.open_pipeline("small", "data")

    def states() -> dict[str, StageStatus]:
        return {nid: item.status for nid, item in editor.scene.node_items.items()}

    # read off the GUI thread: the badges come when the read arrives
    done = {"load": StageStatus.SUCCEEDED, "split": StageStatus.SUCCEEDED}
    qtbot.waitUntil(lambda: states() == done, timeout=10000)
    again.close()
