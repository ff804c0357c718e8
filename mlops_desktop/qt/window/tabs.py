"""The main window's pipeline tabs: one :class:`PipelineTab` per open pipeline, opened,
closed and switched by :class:`DocumentTabs`.

The tab widget shows the editors; the welcome page shows when no pipeline is open. Each
editor's undo stack joins the window's undo group and its document is watched by the
autosaver while the tab is open.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoGroup
from PySide6.QtWidgets import QStackedWidget, QTabWidget, QWidget

from mlops_desktop.core.errors import MlopsError

if TYPE_CHECKING:
    from mlops_desktop.app.projects import ProjectService
    from mlops_desktop.core.graph import Pipeline
    from mlops_desktop.qt.autosave import Autosaver
    from mlops_desktop.qt.document.editor import PipelineEditor


@dataclass
class PipelineTab:
    """An open pipeline: where it belongs, its document and the editor showing it."""

    pipeline_id: int
    project: str
    name: str
    pipeline: Pipeline
    editor: PipelineEditor

    @property
    def title(self) -> str:
        return tab_title(self.project, self.name)


def tab_title(project: str, name: str) -> str:
    return f"{project} · {name}"


def _editor_class() -> type[PipelineEditor]:
    from mlops_desktop.qt.document.editor import PipelineEditor

    return PipelineEditor


class DocumentTabs(QObject):
    """Opens, closes and switches the pipeline tabs; keeps the undo group and the autosaver
    in step with them."""

    current_changed = Signal()  # the current tab (or none) changed
    selection_changed = Signal()  # the current editor's selected stages changed

    def __init__(
        self,
        tabs: QTabWidget,
        central: QStackedWidget,
        welcome: QWidget,
        undo_group: QUndoGroup,
        show_message: Callable[..., None],
        lens: Callable[[], str | None],
    ) -> None:
        super().__init__(tabs)
        self.tabs = tabs
        self._central = central
        self._welcome = welcome
        self._undo_group = undo_group
        self._show_message = show_message
        self._lens = lens
        self._open: dict[int, PipelineTab] = {}
        self.service: ProjectService | None = None
        self.autosaver: Autosaver | None = None
        tabs.tabCloseRequested.connect(self.close_tab)
        tabs.currentChanged.connect(self._on_tabs_current_changed)

    def set_service(self, service: ProjectService | None, autosaver: Autosaver | None) -> None:
        """The workspace's project service and autosaver (after the tabs are closed)."""
        self.service = service
        self.autosaver = autosaver

    # ------------------------------------------------------------------ reading
    def all(self) -> list[PipelineTab]:
        """The open tabs, in the order they were opened."""
        return list(self._open.values())

    def in_order(self) -> list[PipelineTab]:
        """The open tabs in the order the tab bar shows them."""
        return [self.tab_at(i) for i in range(self.tabs.count())]

    def get(self, pipeline_id: int | None) -> PipelineTab | None:
        return self._open.get(pipeline_id) if pipeline_id is not None else None

    def tab_at(self, index: int) -> PipelineTab:
        """The tab at ``index`` of the tab bar."""
        editor = self.tabs.widget(index)
        assert editor is not None, index
        return self._open[int(editor.property("pipeline_id"))]

    def current(self) -> PipelineTab | None:
        """The current tab (None when no pipeline is open)."""
        widget = self.tabs.currentWidget()
        if widget is None or widget.property("pipeline_id") is None:
            return None
        return self._open.get(int(widget.property("pipeline_id")))

    def current_editor(self) -> PipelineEditor | None:
        tab = self.current()
        return tab.editor if tab is not None else None

    # ------------------------------------------------------------ open / close
    def open(self, project: str, pipeline: str | None = None) -> PipelineEditor | None:
        """Open (or focus) a pipeline of a project in a tab; returns its editor."""
        if self.service is None:
            return None
        try:
            info, doc = self.service.load_pipeline(project, pipeline)
        except MlopsError as exc:
            self._show_message(f"Cannot open {project}/{pipeline or ''}: {exc}", error=True)
            return None
        if info.id in self._open:
            editor = self._open[info.id].editor
            self.tabs.setCurrentWidget(editor)
            return editor
        editor = _editor_class()(doc)
        self._open[info.id] = PipelineTab(info.id, project, info.name, doc, editor)
        editor.setProperty("pipeline_id", info.id)
        editor.status_message.connect(self._show_message)
        editor.selection_changed.connect(self.selection_changed)
        self._undo_group.addStack(editor.undo_stack)
        editor.set_lens(self._lens())
        index = self.tabs.addTab(editor, tab_title(project, info.name))
        self.tabs.setTabToolTip(index, f"{project} / {info.name} (version {info.latest_version})")
        self.tabs.setCurrentIndex(index)
        self._central.setCurrentWidget(self.tabs)
        QTimer.singleShot(0, lambda e=editor: _readable_zoom(e))
        assert self.autosaver is not None
        self.autosaver.watch(info.id, doc)
        self._show_message(f"Opened {project} / {info.name}, version {info.latest_version}")
        return editor

    def close_tab(self, index: int) -> None:
        editor = self.tabs.widget(index)
        if editor is None:
            return
        pid = int(editor.property("pipeline_id"))
        if self.autosaver is not None:
            self.autosaver.unwatch(pid)
        tab = self._open.pop(pid, None)
        if tab is not None:
            self._undo_group.removeStack(tab.editor.undo_stack)
            tab.editor.dispose()
        self.tabs.removeTab(index)
        editor.deleteLater()
        if self.tabs.count() == 0:
            self._central.setCurrentWidget(self._welcome)

    def close_all(self) -> None:
        while self.tabs.count():
            self.close_tab(self.tabs.count() - 1)

    def close_current(self) -> None:
        if self.tabs.currentIndex() >= 0:
            self.close_tab(self.tabs.currentIndex())

    def project_renamed(self, old: str, new: str) -> None:
        for i in range(self.tabs.count()):
            tab = self.tab_at(i)
            if tab.project == old:
                tab.project = new
                self.tabs.setTabText(i, tab.title)

    def project_deleted(self, name: str) -> None:
        for i in reversed(range(self.tabs.count())):
            if self.tab_at(i).project == name:
                self.close_tab(i)

    def _on_tabs_current_changed(self, _index: int) -> None:
        editor = self.current_editor()
        if editor is not None:
            self._undo_group.setActiveStack(editor.undo_stack)
        self.current_changed.emit()


def _readable_zoom(editor: PipelineEditor) -> None:
    """Fit a new tab (at a zoom whose titles can be read: the view shows its start)."""
    if editor.view is not None and editor.isVisible():
        editor.fit_view()
