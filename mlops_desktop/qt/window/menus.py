"""The main window's menu bar and toolbar, made of the actions of
:class:`~mlops_desktop.qt.window.actions.WindowActions` (shortcuts shown in the menus).

The current editor's actions (cut, copy, zoom, layout...) are added to Edit and View by
:class:`EditorMenus` whenever the current tab changes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMenu, QToolBar

from mlops_desktop.qt.window.actions import LENS_LABELS as LENS_LABELS  # re-exported

if TYPE_CHECKING:
    from mlops_desktop.qt.document.editor import PipelineEditor
    from mlops_desktop.qt.window.actions import WindowActions

VIEW_ACTION_WORDS = ("zoom", "fit", "layout", "minimap", "lod")


class WindowMenus:
    """File, Edit, View, Run and Help; View lists every panel and opens the common ones."""

    def __init__(
        self,
        window: QMainWindow,
        acts: WindowActions,
        show_dock: Callable[[QDockWidget], None],
        shortcut_docks: dict[str, QDockWidget],
    ) -> None:
        bar = window.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(acts.new_project)
        file_menu.addAction(acts.open_workspace)
        self.recent = file_menu.addMenu("Recent &workspaces")
        file_menu.addSeparator()
        for act in (
            acts.import_pipeline,
            acts.import_cloud,
            acts.import_mlflow,
            acts.export_pipeline,
            acts.export_image,
            acts.export_report,
        ):
            file_menu.addAction(act)
        file_menu.addSeparator()
        file_menu.addAction(acts.cleanup)
        file_menu.addSeparator()
        file_menu.addAction(acts.close_tab)
        file_menu.addAction(acts.quit)
        self.edit = bar.addMenu("&Edit")
        self.view = bar.addMenu("&View")
        self.run = bar.addMenu("&Run")
        for act in (acts.run, acts.run_selected, acts.run_from, acts.run_force):
            self.run.addAction(act)
        self.run.addAction(acts.cancel_run)
        self.run.addSeparator()
        self.run.addAction(acts.validate)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(acts.start_here)
        help_menu.addAction(acts.user_guide)
        help_menu.addAction(acts.shortcuts)
        help_menu.addAction(acts.about)
        self.edit.addAction(acts.undo)
        self.edit.addAction(acts.redo)
        self.edit.addSeparator()
        lens_menu = self.view.addMenu("Lifecycle &lens")
        for act in acts.lens.values():
            lens_menu.addAction(act)
        theme_menu = self.view.addMenu("&Theme")
        for act in acts.theme.values():
            theme_menu.addAction(act)
        self._view_marker = self.view.addSeparator()
        self.panels = self.view.addMenu("&Panels")
        for dock in window.findChildren(QDockWidget):
            self.panels.addAction(dock.toggleViewAction())
        # The bottom panels start closed: these open the ones most asked for.
        for text, keys in (
            ("Lifecycle &map", "Ctrl+Shift+M"),
            ("&Crosswalk", "Ctrl+Shift+K"),
            ("&Runs", "Ctrl+Shift+U"),
            ("M&aturity", "Ctrl+Shift+A"),
            ("Messa&ges", "Ctrl+Shift+G"),
        ):
            dock = shortcut_docks[text]
            act = self.view.addAction(text, functools.partial(show_dock, dock))
            act.setShortcut(QKeySequence(keys))
        self.view.addAction(acts.reset_layout)
        self._editor_actions: list[tuple[QMenu, QAction]] = []
        self.toolbar = _toolbar(acts)
        window.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)

    def show_editor_actions(self, editor: PipelineEditor | None) -> None:
        """Put the current editor's actions into Edit (editing) and View (zoom, layout)."""
        for menu, act in self._editor_actions:
            menu.removeAction(act)
        self._editor_actions = []
        for key, act in (editor.actions() if editor is not None else {}).items():
            if key in ("undo", "redo"):
                continue  # the window's undo group covers every tab
            is_view = any(w in key for w in VIEW_ACTION_WORDS)
            menu = self.view if is_view else self.edit
            if is_view:
                menu.insertAction(self._view_marker, act)
            else:
                menu.addAction(act)
            self._editor_actions.append((menu, act))


def _toolbar(acts: WindowActions) -> QToolBar:
    """The toolbar with the lifecycle lens switch."""
    bar = QToolBar("Main toolbar")
    bar.setObjectName("main_toolbar")
    bar.setMovable(False)
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    bar.addAction(acts.new_project)
    bar.addSeparator()
    bar.addAction(acts.run)
    bar.addAction(acts.cancel_run)
    bar.addAction(acts.validate)
    bar.addSeparator()
    label = QLabel("  Lifecycle lens: ")
    label.setToolTip("Draw a vendor's lifecycle phases behind the stages (Ctrl+0 … Ctrl+4)")
    bar.addWidget(label)
    for act in acts.lens.values():
        bar.addAction(act)
    return bar
