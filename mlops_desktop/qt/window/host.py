"""What the window's controllers need from the window itself: its messages and its docks.

:class:`WindowHost` is a protocol the main window meets; a controller is handed it with the
widgets and services it works with, so each controller names what it depends on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QWidget

if TYPE_CHECKING:
    from mlops_desktop.app.projects import ProjectService
    from mlops_desktop.app.workspace import Workspace
    from mlops_desktop.qt.autosave import Autosaver


class WindowHost(Protocol):
    """The main window as its controllers see it."""

    messages_dock: QDockWidget

    def window(self) -> QWidget: ...  # the parent of dialogs

    def show_message(self, text: str, error: bool = False) -> None: ...

    def show_dock(self, dock: QDockWidget) -> None: ...

    def add_panel(
        self,
        title: str,
        name: str,
        widget: QWidget,
        area: Qt.DockWidgetArea = Qt.DockWidgetArea.BottomDockWidgetArea,
        tabify_with: QDockWidget | None = None,
    ) -> QDockWidget: ...


@dataclass
class OpenWorkspace:
    """The workspace the window shows, its project service and the autosaver of its
    pipelines (all None while no workspace is open)."""

    workspace: Workspace | None = None
    service: ProjectService | None = None
    autosaver: Autosaver | None = None
