"""The main window's actions, menus and toolbar (shortcuts shown in the menus).

The window's own actions live here; the current editor's actions (cut, copy, zoom, layout...)
are added to Edit and View whenever the current tab changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QDockWidget, QLabel, QMenu, QToolBar

from mlops_desktop.core.lifecycle import lifecycles
from mlops_desktop.core.vendors import catalogue
from mlops_desktop.qt import cloud_import_dialog, dialogs
from mlops_desktop.qt.theme import MODE_LABELS, MODES

if TYPE_CHECKING:
    from mlops_desktop.qt.main_window import MainWindow

LENS_LABELS = {None: "None", **{lens.id: lens.label for lens in catalogue().lenses()}}
VIEW_ACTION_WORDS = ("zoom", "fit", "layout", "minimap", "lod")


def _action(win: MainWindow, text: str, slot: Any, shortcut: Any = None, tip: str = "") -> QAction:
    action = QAction(text, win)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    if tip:
        action.setStatusTip(tip)
        action.setToolTip(tip)
    action.triggered.connect(slot)
    return action


def build_actions(win: MainWindow) -> None:
    """Create the window's actions (File, Edit, View, Run, Help, lenses, themes)."""
    sk = QKeySequence.StandardKey
    win.new_project_action = _action(
        win,
        "&New project…",
        win.browser.new_project,
        sk.New,
        "Create a project from a lifecycle template",
    )
    win.open_workspace_action = _action(
        win,
        "&Open workspace…",
        win._on_open_workspace_triggered,
        sk.Open,
        "Open or create a workspace file",
    )
    win.import_action = _action(
        win,
        "&Import pipeline…",
        win._on_import_triggered,
        None,
        "Add a pipeline JSON file to the current project",
    )
    win.import_cloud_action = _action(
        win,
        "Import &cloud pipeline…",
        lambda: cloud_import_dialog.choose_and_import(win),
        None,
        "Import an Azure ML, Vertex AI / Kubeflow or SageMaker pipeline definition "
        "(or drop the file onto the window)",
    )
    win.cloud_drop = cloud_import_dialog.install_drop(win)
    win.export_action = _action(
        win,
        "&Export pipeline…",
        win._on_export_triggered,
        "Ctrl+Shift+E",
        "Write the open pipeline as a JSON file",
    )
    win.export_image_action = _action(
        win, "Export &image…", win._on_export_image_triggered, None, "Save the canvas as PNG or SVG"
    )
    win.export_report_action = _action(
        win,
        "Export &report…",
        win._on_export_report_triggered,
        "Ctrl+Shift+R",
        "Write an HTML or PDF report of the project: pipeline, runs, plots and maturity",
    )
    win.cleanup_action = _action(
        win,
        "Clean &up workspace…",
        win.clean_up_workspace,
        None,
        "Delete the artifact files that no run, cache entry or model refers to any more",
    )
    win.close_tab_action = _action(win, "&Close tab", win._close_current_tab, "Ctrl+W")
    win.quit_action = _action(win, "&Quit", win.close, "Ctrl+Q")
    win.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
    win.undo_action = win.undo_group.createUndoAction(win, "&Undo")
    win.undo_action.setShortcut(QKeySequence("Ctrl+Z"))
    win.redo_action = win.undo_group.createRedoAction(win, "&Redo")
    win.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    win.validate_action = _action(
        win,
        "&Validate pipeline",
        win.validate_current,
        "Ctrl+Shift+V",
        "List every problem of the open pipeline",
    )
    win.run_action = _action(
        win, "&Run pipeline", lambda: win.run_pipeline(), "F5", "Run the open pipeline (F5)"
    )
    win.run_selected_action = _action(
        win,
        "Run &selected stages",
        lambda: win.run_pipeline(selected=True),
        "F6",
        "Run only the selected stages, using what earlier runs stored for their inputs",
    )
    win.run_from_action = _action(
        win,
        "Run &from selected stage",
        lambda: win.run_pipeline(from_selected=True),
        "Shift+F6",
        "Run the selected stage and everything downstream of it",
    )
    win.run_force_action = _action(
        win,
        "Run &without cache",
        lambda: win.run_pipeline(force=True),
        "Ctrl+F5",
        "Run every stage again instead of reusing cached outputs",
    )
    win.cancel_run_action = _action(
        win, "&Cancel run", win.cancel_run, "Shift+F5", "Stop the run that is going on (Shift+F5)"
    )
    win.cancel_run_action.setEnabled(False)
    win.shortcuts_action = _action(
        win,
        "&Keyboard shortcuts",
        lambda: dialogs.shortcuts_dialog(win, win.menuBar()).exec(),
        "Ctrl+/",
        "Every keyboard shortcut of the menus",
    )
    win.about_action = _action(win, "&About MLOps Desktop", lambda: dialogs.show_about(win))
    win.about_action.setMenuRole(QAction.MenuRole.AboutRole)
    win.reset_layout_action = _action(win, "Reset &layout", win.reset_layout)
    win.lens_group = QActionGroup(win)
    win.lens_group.setExclusive(True)
    win.lens_actions: dict[str | None, QAction] = {}
    ids: list[str | None] = [None, *(lc.id for lc in lifecycles())]
    for i, lens in enumerate(ids):
        label = LENS_LABELS.get(lens, lens or "None")
        act = QAction(label, win)
        act.setCheckable(True)
        act.setShortcut(QKeySequence(f"Ctrl+{i}"))
        title = next(
            (lc.title for lc in lifecycles() if lc.id == lens), "No lens: the plain canvas"
        )
        act.setToolTip(f"{title} ({act.shortcut().toString()})")
        act.setStatusTip(title)
        act.setData(lens)
        act.triggered.connect(lambda _c=False, lid=lens: win.set_lens(lid))
        win.lens_group.addAction(act)
        win.lens_actions[lens] = act
    win.lens_actions[None].setChecked(True)
    win.theme_group = QActionGroup(win)
    win.theme_actions: dict[str, QAction] = {}
    for mode in MODES:
        act = QAction(MODE_LABELS[mode], win)
        act.setCheckable(True)
        act.triggered.connect(lambda _c=False, m=mode: win.set_theme(m))
        win.theme_group.addAction(act)
        win.theme_actions[mode] = act
    current = win.theme.mode if win.theme else "system"
    win.theme_actions[current].setChecked(True)


def build_menus(win: MainWindow) -> None:
    """The menu bar: File, Edit, View, Run, Help."""
    bar = win.menuBar()
    file_menu = bar.addMenu("&File")
    file_menu.addAction(win.new_project_action)
    file_menu.addAction(win.open_workspace_action)
    win.recent_menu = file_menu.addMenu("Recent &workspaces")
    win.recent_menu.aboutToShow.connect(win.fill_recent_menu)
    file_menu.addSeparator()
    for act in (
        win.import_action,
        win.import_cloud_action,
        win.export_action,
        win.export_image_action,
        win.export_report_action,
    ):
        file_menu.addAction(act)
    file_menu.addSeparator()
    file_menu.addAction(win.cleanup_action)
    file_menu.addSeparator()
    file_menu.addAction(win.close_tab_action)
    file_menu.addAction(win.quit_action)
    win.edit_menu = bar.addMenu("&Edit")
    win.view_menu = bar.addMenu("&View")
    win.run_menu = bar.addMenu("&Run")
    for act in (win.run_action, win.run_selected_action, win.run_from_action, win.run_force_action):
        win.run_menu.addAction(act)
    win.run_menu.addAction(win.cancel_run_action)
    win.run_menu.addSeparator()
    win.run_menu.addAction(win.validate_action)
    help_menu = bar.addMenu("&Help")
    help_menu.addAction("&Start here", win.show_start_here)
    win.user_guide_action = _action(
        win, "&User guide", lambda: dialogs.open_user_guide(win), "F1", "Open the user guide"
    )
    help_menu.addAction(win.user_guide_action)
    help_menu.addAction(win.shortcuts_action)
    help_menu.addAction(win.about_action)
    _build_edit_and_view_menus(win)


def _build_edit_and_view_menus(win: MainWindow) -> None:
    win.edit_menu.addAction(win.undo_action)
    win.edit_menu.addAction(win.redo_action)
    win._edit_marker = win.edit_menu.addSeparator()
    menu = win.view_menu
    lens_menu = menu.addMenu("Lifecycle &lens")
    for act in win.lens_actions.values():
        lens_menu.addAction(act)
    theme_menu = menu.addMenu("&Theme")
    for act in win.theme_actions.values():
        theme_menu.addAction(act)
    win._view_marker = menu.addSeparator()
    panels = menu.addMenu("&Panels")
    for dock in win.findChildren(QDockWidget):
        panels.addAction(dock.toggleViewAction())
    win.panels_menu = panels
    show_map = menu.addAction("Lifecycle &map", lambda: win.show_dock(win.map_dock))
    show_map.setShortcut(QKeySequence("Ctrl+Shift+M"))
    show_cw = menu.addAction("&Crosswalk", lambda: win.show_dock(win.crosswalk_dock))
    show_cw.setShortcut(QKeySequence("Ctrl+Shift+K"))
    # The bottom panels start closed: these open the ones most asked for.
    for text, dock, keys in (
        ("&Runs", win.runs_dock, "Ctrl+Shift+U"),
        ("M&aturity", win.maturity_dock, "Ctrl+Shift+A"),
        ("Messa&ges", win.messages_dock, "Ctrl+Shift+G"),
    ):
        act = menu.addAction(text, lambda d=dock: win.show_dock(d))
        act.setShortcut(QKeySequence(keys))
    menu.addAction(win.reset_layout_action)
    win._editor_menu_actions: list[tuple[QMenu, QAction]] = []


def show_editor_actions(win: MainWindow, editor: Any) -> None:
    """Put the current editor's actions into Edit (editing) and View (zoom, layout)."""
    for menu, act in win._editor_menu_actions:
        menu.removeAction(act)
    win._editor_menu_actions = []
    for key, act in editor_actions(editor).items():
        if key in ("undo", "redo"):
            continue  # the window's undo group covers every tab
        is_view = any(w in key for w in VIEW_ACTION_WORDS)
        menu = win.view_menu if is_view else win.edit_menu
        if is_view:
            menu.insertAction(win._view_marker, act)
        else:
            menu.addAction(act)
        win._editor_menu_actions.append((menu, act))


def editor_actions(editor: Any) -> dict[str, QAction]:
    if editor is None or not hasattr(editor, "actions"):
        return {}
    actions = editor.actions()
    return dict(actions) if isinstance(actions, dict) else {}


def build_toolbar(win: MainWindow) -> None:
    """The toolbar with the lifecycle lens switch."""
    bar = QToolBar("Main toolbar")
    bar.setObjectName("main_toolbar")
    bar.setMovable(False)
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    bar.addAction(win.new_project_action)
    bar.addSeparator()
    bar.addAction(win.run_action)
    bar.addAction(win.cancel_run_action)
    bar.addAction(win.validate_action)
    bar.addSeparator()
    label = QLabel("  Lifecycle lens: ")
    label.setToolTip("Draw a vendor's lifecycle phases behind the stages (Ctrl+0 … Ctrl+4)")
    bar.addWidget(label)
    for act in win.lens_actions.values():
        bar.addAction(act)
    win.toolbar = bar
    win.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
