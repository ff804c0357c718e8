"""File → Make a local copy: an imported cloud pipeline as an editable pipeline of built-in stages.

The action hands the open imported pipeline to
:meth:`mlops_desktop.app.cloud_import.CloudImportService.make_local_copy`, opens the copy in a
new tab and says in the status bar what was mapped, added and left out (the copy's canvas note
lists the steps it could not map). A pipeline that was not imported gets one clear message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction

from mlops_desktop.core.errors import MlopsError
from mlops_desktop.qt import dialogs

if TYPE_CHECKING:
    from mlops_desktop.qt.main_window import MainWindow

TEXT = "Make a &local copy…"
TIP = (
    "Make an editable pipeline of built-in stages from the open imported cloud pipeline, "
    "to try its lifecycle here on a data sample"
)


def make_local_copy(win: MainWindow) -> bool:
    """Copy the open imported pipeline; True when a copy was made and opened."""
    from mlops_desktop.app.cloud_import import CloudImportService

    tab = win.documents.current()
    if win.workspace is None or tab is None:
        win.show_message("Open an imported cloud pipeline first", error=True)
        return False
    pipeline = win.current_pipeline()
    if pipeline is None or not isinstance(pipeline.meta.get("external"), dict):
        win.show_message(
            f"'{tab.name}' was not imported from a cloud definition: it is already a local "
            "pipeline (File → Import cloud pipeline… brings one in)",
            error=True,
        )
        return False
    if win.autosaver is not None:
        win.autosaver.flush()  # the user's corrected lifecycle kinds are what gets copied
    try:
        info, copy = CloudImportService(win.workspace).make_local_copy(tab.project, tab.name)
    except MlopsError as exc:
        dialogs.show_error(win, f"Cannot make a local copy of '{tab.name}': {exc}")
        return False
    win.browser.refresh()
    win.open_pipeline(tab.project, info.name)
    win.show_message(f"Made '{info.name}': {copy.summary()}")
    return True


def install(win: MainWindow, after: QAction) -> QAction:
    """Add the action to the menu that holds ``after`` (File → Import cloud pipeline…)."""
    action = QAction(TEXT, win)
    action.setStatusTip(TIP)
    action.setToolTip(TIP)
    action.triggered.connect(lambda: make_local_copy(win))
    for menu_action in win.menuBar().actions():
        menu = menu_action.menu()
        if menu is not None and after in menu.actions():
            items = menu.actions()
            following = (
                items[items.index(after) + 1] if items.index(after) + 1 < len(items) else None
            )
            menu.insertAction(following, action) if following else menu.addAction(action)
            break
    win.addAction(action)
    return action
