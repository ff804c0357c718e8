"""The main window's pipeline tabs: opening, closing and switching them, and keeping the
panels that follow the current tab (inspector, palette, lifecycle map, crosswalk) in step.

A mixin of :class:`mlops_desktop.qt.main_window.MainWindow`; ``_tabs_info`` maps a pipeline
id to its project, name, editor and pipeline document.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer

from mlops_desktop.core.errors import MlopsError
from mlops_desktop.qt import main_menus
from mlops_desktop.qt.canvas.view import READABLE_ZOOM

if TYPE_CHECKING:
    from mlops_desktop.core.graph import Pipeline

MIN_OPEN_ZOOM = READABLE_ZOOM


def _editor_class() -> Any:
    from mlops_desktop.qt.document.editor import PipelineEditor

    return PipelineEditor


class TabsMixin:
    """The pipeline tabs of the main window."""

    def open_pipeline(self, project: str, pipeline: str | None = None) -> Any:
        """Open (or focus) a pipeline of a project in a tab; returns its editor."""
        if self.service is None:
            return None
        try:
            info, doc = self.service.load_pipeline(project, pipeline)
        except MlopsError as exc:
            self.show_message(f"Cannot open {project}/{pipeline or ''}: {exc}", error=True)
            return None
        if info.id in self._tabs_info:
            editor = self._tabs_info[info.id]["editor"]
            self.tabs.setCurrentWidget(editor)
            return editor
        editor = _editor_class()(doc)
        self._tabs_info[info.id] = {
            "project": project,
            "name": info.name,
            "editor": editor,
            "pipeline": doc,
        }
        editor.setProperty("pipeline_id", info.id)
        editor.status_message.connect(self.show_message)
        editor.selection_changed.connect(self._on_editor_selection_changed)
        self.undo_group.addStack(editor.undo_stack)
        if hasattr(editor, "set_lens"):
            editor.set_lens(self._lens)
        index = self.tabs.addTab(editor, self._tab_title(project, info.name))
        self.tabs.setTabToolTip(index, f"{project} / {info.name} (version {info.latest_version})")
        self.tabs.setCurrentIndex(index)
        self.central.setCurrentWidget(self.tabs)
        QTimer.singleShot(0, lambda e=editor: self._readable_zoom(e))
        assert self.autosaver is not None
        self.autosaver.watch(info.id, doc)
        self.show_message(f"Opened {project} / {info.name}, version {info.latest_version}")
        return editor

    @staticmethod
    def _readable_zoom(editor: Any) -> None:
        """Fit a new tab (at a zoom whose titles can be read: the view shows its start)."""
        if getattr(editor, "view", None) is not None and editor.isVisible():
            editor.fit_view()

    @staticmethod
    def _tab_title(project: str, name: str) -> str:
        return f"{project} · {name}"

    def current_editor(self) -> Any:
        widget = self.tabs.currentWidget()
        return widget if widget is not None and widget.property("pipeline_id") is not None else None

    def current_pipeline(self) -> Pipeline | None:
        editor = self.current_editor()
        if editor is None:
            return None
        return self._tabs_info[int(editor.property("pipeline_id"))]["pipeline"]

    def open_pipelines(self) -> list[tuple[str, str]]:
        return [(v["project"], v["name"]) for v in self._tabs_info.values()]

    def close_tab(self, index: int) -> None:
        editor = self.tabs.widget(index)
        if editor is None:
            return
        pid = int(editor.property("pipeline_id"))
        if self.autosaver is not None:
            self.autosaver.unwatch(pid)
        self.undo_group.removeStack(editor.undo_stack)
        if hasattr(editor, "dispose"):
            editor.dispose()
        self._tabs_info.pop(pid, None)
        self.tabs.removeTab(index)
        editor.deleteLater()
        if self.tabs.count() == 0:
            self.central.setCurrentWidget(self.welcome)

    def close_all_tabs(self) -> None:
        while self.tabs.count():
            self.close_tab(self.tabs.count() - 1)

    def _close_current_tab(self) -> None:
        if self.tabs.currentIndex() >= 0:
            self.close_tab(self.tabs.currentIndex())

    def _on_editor_selection_changed(self, _ids: list) -> None:
        self._update_run_actions()

    def _on_tabs_close_requested(self, index: int) -> None:
        self.close_tab(index)

    def _on_tabs_current_changed(self, _index: int) -> None:
        editor = self.current_editor()
        if editor is not None:
            self.undo_group.setActiveStack(editor.undo_stack)
        if hasattr(self.inspector, "set_editor"):
            self.inspector.set_editor(editor)
        if hasattr(self.palette, "set_editor"):
            self.palette.set_editor(editor)
        pipeline = self.current_pipeline()
        self.lifecycle_map.set_pipeline(pipeline)
        self.crosswalk.set_pipeline(pipeline)
        self.refresh_run_states()
        self._reload_runs()
        self._reload_project_panels()
        main_menus.show_editor_actions(self, editor)
        self.export_action.setEnabled(editor is not None)
        self.export_image_action.setEnabled(editor is not None)
        self.export_report_action.setEnabled(editor is not None)
        self.validate_action.setEnabled(editor is not None)
        self._update_run_actions()
        self._update_start_here()
        self.current_pipeline_changed.emit()

    def refresh_run_states(self) -> None:
        """Colour the lifecycle map and the stages' badges by the pipeline's latest run (so a
        restart shows what the last run did)."""
        editor = self.current_editor()
        runs = getattr(self.workspace, "runs", None)
        if editor is None or runs is None:
            return
        pid = int(editor.property("pipeline_id"))
        project = self.workspace.projects.get(self._tabs_info[pid]["project"])
        try:
            latest = runs.list(project.id, pipeline_id=pid, limit=1)
        except MlopsError:
            return
        if latest:
            run = latest[0] if latest[0].stages else runs.get(latest[0].id)
            self.lifecycle_map.set_stage_states({s.node_id: s.status for s in run.stages})
            if pid != self._run_pipeline_id:  # a running pipeline's badges come live
                nodes = self._tabs_info[pid]["pipeline"].nodes
                for stage in run.stages:
                    if stage.node_id in nodes:
                        editor.set_node_state(stage.node_id, stage.status)

    def current_project(self) -> str | None:
        """The project of the current tab (None without a tab)."""
        info = self._current_info()
        return info["project"] if info is not None else None

    def _current_info(self) -> dict[str, Any] | None:
        editor = self.current_editor()
        return self._tabs_info[int(editor.property("pipeline_id"))] if editor is not None else None

    def _on_browser_project_renamed(self, old: str, new: str) -> None:
        for i in range(self.tabs.count()):
            editor = self.tabs.widget(i)
            info = self._tabs_info[int(editor.property("pipeline_id"))]
            if info["project"] == old:
                info["project"] = new
                self.tabs.setTabText(i, self._tab_title(new, info["name"]))

    def _on_browser_project_deleted(self, name: str) -> None:
        for i in reversed(range(self.tabs.count())):
            editor = self.tabs.widget(i)
            if self._tabs_info[int(editor.property("pipeline_id"))]["project"] == name:
                self.close_tab(i)
