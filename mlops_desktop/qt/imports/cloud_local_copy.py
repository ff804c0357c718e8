"""File → Make a local copy: an imported cloud pipeline as an editable pipeline of built-in stages.

The action hands the open imported pipeline to
:meth:`mlops_desktop.app.cloud_import.CloudImportService.make_local_copy`, opens the copy in a
new tab and says in the status bar what was mapped, added and left out (the copy's canvas note
lists the steps it could not map). A pipeline that was not imported gets one clear message.
The action sits after File → Import cloud pipeline… once the window's menus exist, and is
enabled while an imported pipeline is open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from mlops_desktop.core.errors import MlopsError
from mlops_desktop.qt import dialogs

if TYPE_CHECKING:
    from mlops_desktop.qt.main_window import MainWindow

TEXT = "Make a &local copy…"
AFTER = "Import &cloud pipeline…"
TIP = (
    "Make an editable pipeline of built-in stages from the open imported cloud pipeline, "
    "to try its lifecycle here on a data sample"
)


def make_local_copy(win: MainWindow) -> bool:
    """Copy the open imported pipeline; True when a copy was made and opened."""
    from mlops_desktop.app.cloud_import import CloudImportService

    editor = win.current_editor()
    pipeline_id = editor.property("pipeline_id") if editor is not None else None
    if win.workspace is None or editor is None or pipeline_id is None:
        win.show_message("Open an imported cloud pipeline first", error=True)
        return False
    if not _imported_open(win):
        win.show_message(
            f"'{editor.pipeline.name}' was not imported from a cloud definition: it is already "
            "a local pipeline (File → Import cloud pipeline… brings one in)",
            error=True,
        )
        return False
    if win.autosaver is not None:
        win.autosaver.flush()  # the user's corrected lifecycle kinds are what gets copied
    service = CloudImportService(win.workspace)
    try:
        project, name = service.place_of(int(pipeline_id))
        info, copy = service.make_local_copy(project, name)
    except MlopsError as exc:
        dialogs.show_error(win, f"Cannot make a local copy of '{editor.pipeline.name}': {exc}")
        return False
    win.browser.refresh()
    win.open_pipeline(project, info.name)
    win.show_message(f"Made '{info.name}': {copy.summary()}")
    return True


def install(win: MainWindow) -> QAction:
    """The action, put after File → Import cloud pipeline… when the menus are built."""
    action = QAction(TEXT, win)
    action.setStatusTip(TIP)
    action.setToolTip(TIP)
    action.triggered.connect(lambda: make_local_copy(win))
    QTimer.singleShot(0, action, lambda: _place(win, action))
    return action


def _place(win: MainWindow, action: QAction) -> None:
    for menu_action in win.menuBar().actions():
        menu = menu_action.menu()  # a QMenu in a widgets app (the stub says QObject)
        items = menu.actions() if isinstance(menu, QMenu) else []
        after = next((a for a in items if a.text() == AFTER), None)
        if isinstance(menu, QMenu) and after is not None:
            index = items.index(after) + 1
            if index < len(items):
                menu.insertAction(items[index], action)
            else:
                menu.addAction(action)
            menu.aboutToShow.connect(lambda: action.setEnabled(_imported_open(win)))
            return


def _imported_open(win: MainWindow) -> bool:
    """Whether the open tab holds an imported cloud pipeline (what the action copies)."""
    editor = win.current_editor()
    return editor is not None and isinstance(editor.pipeline.meta.get("external"), dict)
