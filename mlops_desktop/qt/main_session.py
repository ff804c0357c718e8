"""What the main window remembers: geometry, dock layout, lens, theme, recent workspaces,
the tabs open in each workspace, and the sample project a new workspace starts with.

A mixin of :class:`mlops_desktop.qt.main_window.MainWindow`; everything lives in its
QSettings (``MainWindow.settings``).
"""

from __future__ import annotations

import hashlib
import os

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtWidgets import QDockWidget

from mlops_desktop.core.errors import MlopsError

MAX_RECENT = 8
SAMPLE_PROJECT = "Sample: breast cancer"
SAMPLE_DESCRIPTION = (
    "Flags malignant breast tumours from cell measurements, and keeps the model in production "
    "only while it stays better than the one it replaced."
)
# Bottom panels made on first use, after the default layout was recorded.
LATE_BOTTOM_DOCKS = ("run_view_dock", "compare_dock")


class SessionMixin:
    """Settings and session of the main window."""

    def _restore_settings(self) -> None:
        s = self.settings
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1440, 900)
        state = s.value("window/state")
        self._restored_state = False
        if isinstance(state, QByteArray) and not state.isEmpty():
            self._restored_state = self.restoreState(state)
        lens = s.value("view/lens", "")
        self.set_lens(str(lens) if lens else None)

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.setValue("view/lens", self._lens or "")
        if self.theme is not None:
            s.setValue("view/theme", self.theme.mode)
        s.sync()

    def recent_workspaces(self) -> list[str]:
        value = self.settings.value("workspaces/recent", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or []) if v]

    def _remember_workspace(self, location: str) -> None:
        recent = [location, *(r for r in self.recent_workspaces() if r != location)][:MAX_RECENT]
        self.settings.setValue("workspaces/recent", recent)

    def fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.recent_workspaces()
        for i, location in enumerate(recent):
            act = self.recent_menu.addAction(f"&{i + 1} {location}")
            act.triggered.connect(lambda _c=False, loc=location: self.open_workspace(loc))
        if not recent:
            self.recent_menu.addAction("No recent workspaces").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction(
                "Clear list", lambda: self.settings.setValue("workspaces/recent", [])
            )

    def reset_layout(self) -> None:
        """Dock every panel back in its place (floating ones too) and close the bottom ones."""
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        docks = [d for d in self.findChildren(QDockWidget) if d.parent() is self]
        for dock in docks:
            dock.setFloating(False)
        self.restoreState(self._default_state)
        for dock in docks:  # panels made after the default layout (Run, Compare runs...)
            if self.dockWidgetArea(dock) != bottom and dock.objectName() in LATE_BOTTOM_DOCKS:
                self.addDockWidget(bottom, dock)
            if self.dockWidgetArea(dock) == bottom:
                if dock is not self.messages_dock:
                    self.tabifyDockWidget(self.messages_dock, dock)
                dock.hide()
            else:
                dock.show()
        self._apply_default_dock_sizes()

    def _create_sample_project(self) -> None:
        """On a workspace's first opening, with no projects at all, add a ready sample.

        ``MLOPS_DESKTOP_NO_SAMPLE=1`` turns this off (tests build their own projects).
        """
        if self.service is None or os.environ.get("MLOPS_DESKTOP_NO_SAMPLE") == "1":
            return
        key = self._session_key() + "_sample_offered"
        if self.settings.value(key, False, type=bool):
            return
        self.settings.setValue(key, True)
        if self.service.list_projects(include_deleted=True):
            return
        try:
            self.browser.create_project(
                SAMPLE_PROJECT,
                template="google",
                description=SAMPLE_DESCRIPTION,
            )
        except MlopsError as exc:
            self.show_message(f"Could not create the sample project: {exc}", error=True)
        else:
            if not self.settings.value("ui/start_here_dismissed", False, type=bool):
                self.show_start_here()

    def _session_key(self) -> str:
        url = self.workspace.url if self.workspace is not None else ""
        return "session/" + hashlib.sha1(url.encode()).hexdigest()[:16]

    def _save_session(self) -> None:
        """Remember the open tabs of this workspace, to reopen them next time."""
        if self.workspace is None:
            return
        tabs = []
        for i in range(self.tabs.count()):
            info = self._tabs_info[int(self.tabs.widget(i).property("pipeline_id"))]
            tabs.append(f"{info['project']}\t{info['name']}")
        self.settings.setValue(self._session_key(), tabs)
        self.settings.setValue(self._session_key() + "_current", self.tabs.currentIndex())

    def _restore_session(self) -> None:
        tabs = self.settings.value(self._session_key(), [])
        tabs = [tabs] if isinstance(tabs, str) else list(tabs or [])
        opened = 0
        for entry in tabs:
            project, _, name = str(entry).partition("\t")
            try:
                self.service.pipeline_info(project, name or None)
            except MlopsError:
                continue  # renamed or deleted since
            if self.open_pipeline(project, name or None) is not None:
                opened += 1
        current = int(self.settings.value(self._session_key() + "_current", 0) or 0)
        if opened and 0 <= current < self.tabs.count():
            self.tabs.setCurrentIndex(current)
