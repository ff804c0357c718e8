"""A run opens the Run panel under the canvas with room for a plot, and leaves the canvas most
of the window; a height the user drags the panel to is kept for the next run."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt

from mlops_desktop.core import operations as ops
from mlops_desktop.core.graph import Link, Node, Pipeline
from mlops_desktop.qt.main_window import MainWindow
from mlops_desktop.qt.window.run_panel import USER_HEIGHT_KEY


def _window(qtbot, tmp_path, size: tuple[int, int], settings_in=None) -> MainWindow:
    settings_file = (settings_in or tmp_path) / "settings.ini"
    settings = QSettings(str(settings_file), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.resize(*size)
    win.show()
    assert win.open_workspace(str(tmp_path / "workspace.db"))
    win.service.create_project("small", template="blank")
    pipeline = Pipeline("data")
    pipeline.apply(ops.AddNode(Node("load", "load_data", "Load", {"dataset": "iris"}, 0, 0)))
    pipeline.apply(ops.AddNode(Node("split", "split", "Split", {}, 250, 0)))
    pipeline.apply(ops.AddLink(Link("l1", "load", "dataset", "split", "dataset")))
    win.service.create_pipeline("small", "data", pipeline)
    win.browser.refresh()
    win.open_pipeline("small", "data")
    return win


def _run(qtbot, win: MainWindow) -> None:
    """Run the pipeline; return once the Run panel shows the run as it ended."""
    with qtbot.waitSignal(win.runner.finished, timeout=60000) as ended:
        assert win.run_pipeline() is True
    qtbot.waitUntil(
        lambda: (
            win.run_view is not None
            and win.run_view.run is not None
            and win.run_view.run.id == ended.args[0]
            and win.run_view.run.status == "succeeded"
            and win.run_view_dock.isVisible()
        ),
        timeout=10000,
    )
    qtbot.wait(50)


@pytest.mark.parametrize("size", [(1366, 768), (1440, 900), (1920, 1080)])
def test_a_run_opens_the_run_panel_with_a_plot_and_leaves_the_canvas_most(
    qtbot, tmp_path, size
) -> None:
    win = _window(qtbot, tmp_path, size)
    _run(qtbot, win)
    dock, view = win.run_view_dock, win.run_view
    assert dock is not None and dock.isVisible() and not dock.isFloating()
    canvas = win.current_editor().view.viewport()
    assert canvas.height() >= 0.55 * win.height(), (canvas.height(), win.height())
    assert dock.height() <= 0.31 * win.height() or dock.height() <= 240, dock.height()
    # The header, the tabs and a plot that can be read: the plot is not cut by a scroll.
    assert view.header.isVisible() and view.tabs.tabBar().isVisible()
    assert view.plot_stack.height() >= 176, view.plot_stack.height()
    area = dock.widget()
    assert not area.verticalScrollBar().isVisible()
    bottom = view.plot_stack.mapTo(dock, QPoint(0, view.plot_stack.height())).y()
    assert bottom <= dock.height()
    win.runner.wait(30)
    win.close()


def _drag_separator(qtbot, win: MainWindow, by: int) -> None:
    """Drag the separator above the docked Run panel by ``by`` pixels (up is negative)."""
    dock = win.run_view_dock
    top = dock.mapTo(win, QPoint(dock.width() // 2, 0))
    at = QPoint(top.x(), top.y() - 3)  # the separator between the canvas and the panel
    qtbot.mousePress(win, Qt.MouseButton.LeftButton, pos=at)
    for step in range(1, 6):
        qtbot.mouseMove(win, QPoint(at.x(), at.y() + by * step // 5))
        qtbot.wait(10)  # the window applies a separator's move from its event loop
    qtbot.mouseRelease(win, Qt.MouseButton.LeftButton, pos=QPoint(at.x(), at.y() + by))
    qtbot.wait(20)


def test_a_height_the_user_drags_the_run_panel_to_is_kept(qtbot, tmp_path) -> None:
    win = _window(qtbot, tmp_path, (1440, 900))
    _run(qtbot, win)
    dock = win.run_view_dock
    opened = dock.height()
    _drag_separator(qtbot, win, -120)
    chosen = dock.height()
    assert chosen >= opened + 100, (opened, chosen)
    assert int(win.settings.value(USER_HEIGHT_KEY)) == chosen
    # Closed, then the next run opens it again at the user's height, not the default.
    dock.hide()
    _run(qtbot, win)
    assert dock.isVisible() and abs(dock.height() - chosen) <= 2, (dock.height(), chosen)
    win.runner.wait(30)
    win.settings.sync()
    win.close()
    # And in the next session too.
    (tmp_path / "again").mkdir()
    again = _window(qtbot, tmp_path / "again", (1440, 900), settings_in=tmp_path)
    _run(qtbot, again)
    assert abs(again.run_view_dock.height() - chosen) <= 2
    # View → Reset layout forgets it: the next run opens the panel at the default height.
    again.reset_layout()
    _run(qtbot, again)
    assert again.run_view_dock.height() == opened, (again.run_view_dock.height(), opened)
    again.runner.wait(30)
    again.close()
