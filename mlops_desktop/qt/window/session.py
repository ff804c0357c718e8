"""What the main window remembers: geometry, dock layout, lens, theme, recent workspaces,
the tabs open in each workspace, and the sample project a new workspace starts with.

Everything lives in the window's QSettings; :class:`WindowSession` reads and writes it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow, QMenu

from mlops_desktop.core.errors import MlopsError

if TYPE_CHECKING:
    from mlops_desktop.qt.project_browser import ProjectBrowser
    from mlops_desktop.qt.theme import ThemeManager
    from mlops_desktop.qt.window.host import OpenWorkspace, WindowHost
    from mlops_desktop.qt.window.tabs import DocumentTabs

MAX_RECENT = 8
SAMPLE_PROJECT = "Sample: breast cancer"
SAMPLE_DESCRIPTION = (
    "Flags malignant breast tumours from cell measurements, and keeps the model in production "
    "only while it stays better than the one it replaced."
)


class WindowSession:
    """Settings and session of the main window."""

    def __init__(
        self,
        window: QMainWindow,
        host: WindowHost,
        settings: QSettings,
        state: OpenWorkspace,
        documents: DocumentTabs,
        browser: ProjectBrowser,
        theme: ThemeManager | None,
    ) -> None:
        self._window = window
        self._host = host
        self.settings = settings
        self._state = state
        self._documents = documents
        self._browser = browser
        self._theme = theme

    # ------------------------------------------------------------- the window
    def restore_window(self) -> tuple[bool, str | None]:
        """Geometry and dock layout as they were; returns whether the layout was restored
        and the lens that was shown."""
        s, window = self.settings, self._window
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            window.restoreGeometry(geometry)
        else:
            window.resize(1440, 900)
        state = s.value("window/state")
        restored = False
        if isinstance(state, QByteArray) and not state.isEmpty():
            restored = window.restoreState(state)
        lens = s.value("view/lens", "")
        return restored, (str(lens) if lens else None)

    def save_window(self, lens: str | None) -> None:
        s = self.settings
        s.setValue("window/geometry", self._window.saveGeometry())
        s.setValue("window/state", self._window.saveState())
        s.setValue("view/lens", lens or "")
        if self._theme is not None:
            s.setValue("view/theme", self._theme.mode)
        s.sync()

    # ------------------------------------------------------- recent workspaces
    def recent_workspaces(self) -> list[str]:
        return _text_list(self.settings.value("workspaces/recent", []))

    def remember_workspace(self, location: str) -> None:
        recent = [location, *(r for r in self.recent_workspaces() if r != location)][:MAX_RECENT]
        self.settings.setValue("workspaces/recent", recent)

    def fill_recent_menu(self, menu: QMenu, open_workspace: Callable[[str], object]) -> None:
        menu.clear()
        recent = self.recent_workspaces()
        for i, location in enumerate(recent):
            act = menu.addAction(f"&{i + 1} {location}")
            act.triggered.connect(lambda _c=False, loc=location: open_workspace(loc))
        if not recent:
            menu.addAction("No recent workspaces").setEnabled(False)
        else:
            menu.addSeparator()
            menu.addAction("Clear list", lambda: self.settings.setValue("workspaces/recent", []))

    # ------------------------------------------------------ sample and tabs
    def create_sample_project(self) -> bool:
        """On a workspace's first opening, with no projects at all, add a ready sample;
        True when the "start here" banner should be shown for it.

        ``MLOPS_DESKTOP_NO_SAMPLE=1`` turns this off (tests build their own projects).
        """
        service = self._state.service
        if service is None or os.environ.get("MLOPS_DESKTOP_NO_SAMPLE") == "1":
            return False
        key = self._session_key() + "_sample_offered"
        if self.settings.value(key, False, type=bool):
            return False
        self.settings.setValue(key, True)
        if service.list_projects(include_deleted=True):
            return False
        try:
            self._browser.create_project(
                SAMPLE_PROJECT, template="google", description=SAMPLE_DESCRIPTION
            )
        except MlopsError as exc:
            self._host.show_message(f"Could not create the sample project: {exc}", error=True)
            return False
        return not self.settings.value("ui/start_here_dismissed", False, type=bool)

    def _session_key(self) -> str:
        workspace = self._state.workspace
        url = workspace.url if workspace is not None else ""
        return "session/" + hashlib.sha1(url.encode()).hexdigest()[:16]

    def save_tabs(self) -> None:
        """Remember the open tabs of this workspace, to reopen them next time."""
        if self._state.workspace is None:
            return
        tabs = [f"{t.project}\t{t.name}" for t in self._documents.in_order()]
        self.settings.setValue(self._session_key(), tabs)
        self.settings.setValue(
            self._session_key() + "_current", self._documents.tabs.currentIndex()
        )

    def restore_tabs(self) -> None:
        service = self._state.service
        assert service is not None
        tabs = _text_list(self.settings.value(self._session_key(), []))
        opened = 0
        for entry in tabs:
            project, _, name = entry.partition("\t")
            try:
                service.pipeline_info(project, name or None)
            except MlopsError:
                continue  # renamed or deleted since
            if self._documents.open(project, name or None) is not None:
                opened += 1
        value = self.settings.value(self._session_key() + "_current", 0)
        current = int(value) if isinstance(value, int | str) and str(value).isdigit() else 0
        if opened and 0 <= current < self._documents.tabs.count():
            self._documents.tabs.setCurrentIndex(current)


def _text_list(value: object) -> list[str]:
    """A list of strings read from QSettings (one string when the list had one item)."""
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if v]
    return []
