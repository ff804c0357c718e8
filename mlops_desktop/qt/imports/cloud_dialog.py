"""File → Import cloud pipeline… and dropping a definition file onto the main window.

Both hand the file to :class:`mlops_desktop.app.cloud_import.CloudImportService`, open the
pipeline it made (a re-import replaces the open tab with the new version) and say what was
imported in the status bar; a refused file gets one clear message naming the place in it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog

from mlops_desktop.core.errors import MlopsError
from mlops_desktop.qt import dialogs

if TYPE_CHECKING:
    from mlops_desktop.qt.main_window import MainWindow

FILE_FILTER = (
    "Cloud pipelines (*.yml *.yaml *.json);;Azure ML pipeline jobs (*.yml *.yaml);;"
    "Kubeflow / Vertex AI pipelines (*.yaml *.yml *.json);;SageMaker definitions (*.json);;"
    "All files (*)"
)
SUFFIXES = (".yml", ".yaml", ".json")


def import_cloud_file(win: MainWindow, path: str) -> bool:
    """Import ``path`` into the project of the open pipeline; True when something was saved."""
    from mlops_desktop.app.cloud_import import CloudImportService

    tab = win.documents.current()
    project = tab.project if tab is not None else None
    if win.workspace is None or project is None:
        win.show_message("Open a pipeline of the project to import into first", error=True)
        return False
    if win.autosaver is not None:
        win.autosaver.flush()  # the user's edits (placement corrections) are saved first
    try:
        result = CloudImportService(win.workspace).import_file(project, path)
    except MlopsError as exc:
        dialogs.show_error(win, f"Cannot import {Path(path).name}: {exc}")
        return False
    for index, tab in enumerate(win.documents.in_order()):
        if tab.pipeline_id == result.info.id:
            win.close_tab(index)  # reopened below at the new version
            break
    win.browser.refresh()
    win.open_pipeline(project, result.info.name)
    win.show_message(result.summary())
    return True


def choose_and_import(win: MainWindow) -> None:
    path, _ = QFileDialog.getOpenFileName(win, "Import cloud pipeline", "", FILE_FILTER)
    if path:
        import_cloud_file(win, path)


def _files(event: QDragEnterEvent | QDropEvent) -> list[str]:
    mime = event.mimeData()
    if not mime.hasUrls():
        return []
    return [
        u.toLocalFile()
        for u in mime.urls()
        if u.isLocalFile() and Path(u.toLocalFile()).suffix.lower() in SUFFIXES
    ]


class CloudFileDrop(QObject):
    """Accepts pipeline definition files dropped anywhere on the window."""

    def __init__(self, win: MainWindow) -> None:
        super().__init__(win)
        self._win = win
        self.local_copy_action: QAction | None = None  # File → Make a local copy…

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            if _files(event):  # type: ignore[arg-type]
                event.acceptProposedAction()  # type: ignore[attr-defined]
                return True
        elif kind == QEvent.Type.Drop:
            files = _files(event)  # type: ignore[arg-type]
            if files:
                event.acceptProposedAction()  # type: ignore[attr-defined]
                for path in files:
                    import_cloud_file(self._win, path)
                return True
        return False


def install_drop(win: MainWindow) -> CloudFileDrop:
    """Let the window take dropped definition files (the canvas passes file drops up), and
    put File → Make a local copy… after File → Import cloud pipeline…."""
    from mlops_desktop.qt.imports import cloud_local_copy

    drop = CloudFileDrop(win)
    win.setAcceptDrops(True)
    win.installEventFilter(drop)
    drop.local_copy_action = cloud_local_copy.install(win)
    return drop
