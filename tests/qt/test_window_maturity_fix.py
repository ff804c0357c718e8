"""Applying a maturity suggestion from the Maturity panel: the button is in view, the new
stage lands clear of the others, and the assessment follows at once."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSettings, Qt
from PySide6.QtTest import QTest

from mlops_desktop.qt.main_window import MainWindow


def test_apply_to_pipeline_is_in_view_places_clear_and_reassesses(qtbot, tmp_path) -> None:
    win = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.resize(1440, 900)
    win.show()
    assert win.open_workspace(str(tmp_path / "w.db"))
    win.browser.create_project("demo", template="blank")
    from mlops_desktop.core import operations as ops
    from mlops_desktop.core.graph import Link, Node

    pipeline = win.current_pipeline()
    for i, (nid, kind) in enumerate(
        [("load", "load_data"), ("split", "split"), ("train", "train")]
    ):
        pipeline.apply(ops.AddNode(Node(nid, kind, kind, {}, i * 250.0, 0.0)))
    pipeline.apply(ops.AddLink(Link("l1", "load", "dataset", "split", "dataset")))
    pipeline.apply(ops.AddLink(Link("l2", "split", "split", "train", "split")))
    win.show_dock(win.maturity_dock)
    qtbot.waitUntil(lambda: win.maturity is not None, timeout=5000)
    qtbot.waitUntil(lambda: win.maturity.assessment is not None, timeout=20000)
    from mlops_desktop.qt.maturity.tabs import ROLE_REF

    def fixable(t):  # gaps whose fix adds a stage
        return [
            t.gaps.topLevelItem(i)
            for i in range(t.gaps.topLevelItemCount())
            if t.gaps.topLevelItem(i).data(0, ROLE_REF)
            and t.gaps.topLevelItem(i).text(2).startswith(("Add", "Put", "Insert"))
        ]

    tab = next(t for t in win.maturity.model_tabs.values() if fixable(t))
    win.maturity.tabs.setCurrentWidget(tab)
    qtbot.wait(50)
    tab.gaps.setCurrentItem(fixable(tab)[0])
    button = tab.apply_button
    assert button.isEnabled()
    # The button is inside the visible part of the panel at the default height.
    top_left = button.mapTo(win, button.rect().topLeft())
    assert QRect(0, 0, win.width(), win.height()).contains(QRect(top_left, button.size()))
    before_nodes = set(pipeline.nodes)
    before = win.maturity.assessment
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    added = set(pipeline.nodes) - before_nodes
    assert added, (fixable(tab)[0].text(2), win.log.toPlainText()[-400:])
    for new in added:
        n = pipeline.nodes[new]
        for other in pipeline.nodes.values():
            if other.id != new:
                assert abs(n.x - other.x) >= 230 or abs(n.y - other.y) >= 110, (n, other)
    qtbot.waitUntil(lambda: win.maturity.assessment is not before, timeout=20000)
    win.close()


def test_gap_actions_are_read_whole_not_cut(qtbot, tmp_path) -> None:
    """Every gap's action fits its cell: the row is as tall as the wrapped text, and the
    action column gets the most room."""
    win = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.resize(1440, 900)
    win.show()
    assert win.open_workspace(str(tmp_path / "w.db"))
    win.browser.create_project("demo", template="google")
    win.show_dock(win.maturity_dock)
    qtbot.waitUntil(lambda: win.maturity is not None, timeout=5000)
    qtbot.waitUntil(lambda: win.maturity.assessment is not None, timeout=30000)
    tab = next(t for t in win.maturity.model_tabs.values() if t.gaps.topLevelItemCount() > 1)
    win.maturity.tabs.setCurrentWidget(tab)
    qtbot.wait(100)
    gaps = tab.gaps
    widths = [gaps.columnWidth(c) for c in range(3)]
    assert widths[1] == max(widths) and widths[1] > 120, widths
    from mlops_desktop.qt.wrapped_tree import PADDING, text_height

    for i in range(gaps.topLevelItemCount()):
        item = gaps.topLevelItem(i)
        rect = gaps.visualItemRect(item)
        for column in (0, 1, 2):
            text = item.text(column)
            needed = text_height(gaps.font(), gaps.columnWidth(column) - PADDING, text)
            assert needed <= rect.height(), (text, needed, rect)
    win.runner.wait(30)
    win.close()
