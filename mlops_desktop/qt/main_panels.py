"""The main window's project panels: models, triggers, maturity, trends, and the triggers
fired in the background.

A mixin of :class:`mlops_desktop.qt.main_window.MainWindow`. The maturity view is built the
first time its panel is shown (its module is heavy to import) and assesses the current
tab's project when shown; its suggestions are applied to a pipeline as one undo step.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QFrame, QScrollArea, QWidget

from mlops_desktop.app.trigger_text import describe_event, type_title
from mlops_desktop.core.errors import MlopsError


def scrolled(widget: QWidget) -> QScrollArea:
    """``widget`` in a scroll area, so a big panel never forces its dock to grow."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(widget)
    return area


class PanelsMixin:
    """Models, Triggers, Maturity and Trends panels and the trigger timer of the workspace."""

    def _reload_project_panels(self) -> None:
        """Point the models and maturity panels at the current tab's project."""
        project = self.current_project()
        if self.workspace is not None and project is not None:
            try:
                self.models_panel.load(self.workspace, project)
            except MlopsError as exc:
                self.show_message(f"Cannot list the models: {exc}", error=True)
        self._maturity_stale = True
        if self.maturity is not None and self.maturity_dock.isVisible():
            self._assess()
        self.refresh_trends()
        self.refresh_triggers()

    # --------------------------------------------------------------- triggers
    def refresh_triggers(self) -> None:
        """Re-read the triggers now if their panel is shown, else when it is next shown."""
        self._triggers_stale = True
        if self.triggers_dock.isVisible():
            self._load_triggers()

    def _on_triggers_dock_visibility_changed(self, visible: bool) -> None:
        if visible and self._triggers_stale:
            self._load_triggers()

    def _load_triggers(self) -> None:
        self._triggers_stale = False
        info = self._current_info()
        self.triggers_panel.current_pipeline = info["name"] if info else None
        self.triggers_panel.load(self.workspace, self.current_project())

    def _on_triggers_panel_triggers_changed(self) -> None:
        self._maturity_stale = True  # triggers are evidence of automation

    def _on_triggers_panel_fire_requested(
        self, project: str, pipeline: str, type_: str, trigger_id: Any
    ) -> None:
        """Fire a trigger by hand, in the background; the firing shows when it is recorded."""
        if self.workspace is None:
            return
        self._ensure_trigger_timer().fire_now(project, pipeline, type_, trigger_id)
        self.show_message(f"Firing '{pipeline}' ({type_title(type_).lower()}) in the background")

    # ----------------------------------------------------------------- trends
    def refresh_trends(self, run_id: int | None = None) -> None:
        """Re-read the trends now if their panel is shown, else when it is next shown; with
        ``run_id`` (a run finished), add that run's points to trends already shown."""
        shown = self.trends is not None and self.trends_dock.isVisible()
        if run_id is not None and shown and not self._trends_stale:
            try:
                self.trends.add_run(run_id)
                return
            except MlopsError:
                pass  # read everything again below
        self._trends_stale = True
        if shown:
            self._load_trends()

    def _on_trends_dock_visibility_changed(self, visible: bool) -> None:
        if not visible or self.workspace is None:
            return
        if self.trends is None:
            from mlops_desktop.qt.plots.trends import TrendsView

            self.trends = TrendsView()
            self.trends.run_activated.connect(self.open_run)
            self._trends_holder.layout().addWidget(self.trends)
        if self._trends_stale:
            self._load_trends()

    def _load_trends(self) -> None:
        self._trends_stale = False
        project = self.current_project()
        if self.trends is None or self.workspace is None or project is None:
            return
        try:
            self.trends.load(self.workspace, project)
        except MlopsError as exc:
            self.show_message(f"Cannot show the trends: {exc}", error=True)
            return
        info = self._current_info()  # follow the pipeline of the current tab
        index = self.trends.pipeline_combo.findText(info["name"]) if info else -1
        if index >= 0:
            self.trends.pipeline_combo.setCurrentIndex(index)

    def _on_maturity_dock_visibility_changed(self, visible: bool) -> None:
        if not visible or self.workspace is None:
            return
        if self.maturity is None:
            self._build_maturity_view()
        if self._maturity_stale:
            self._assess()

    def _build_maturity_view(self) -> None:
        from mlops_desktop.app.assessment import AssessmentService
        from mlops_desktop.qt.maturity_view import MaturityView

        self.maturity = MaturityView(AssessmentService(self.workspace))
        self.maturity.node_activated.connect(lambda nid: self.select_stages([nid]))
        self.maturity.node_in_pipeline_activated.connect(self._on_maturity_node_in_pipeline)
        self.maturity.run_activated.connect(self.open_run)
        self.maturity.fix_requested.connect(self._on_maturity_fix_requested)
        self.maturity.error_raised.connect(lambda msg: self.show_message(msg, error=True))
        self.maturity.pipelines_provider = self._project_pipelines
        self._maturity_holder.layout().addWidget(scrolled(self.maturity))

    def _assess(self) -> None:
        self._maturity_stale = False
        if self.maturity is not None:
            self.maturity.set_project(self.current_project())

    def _project_pipelines(self) -> list[tuple[str, Any]]:
        project = self.current_project()
        return [
            (v["name"], v["pipeline"]) for v in self._tabs_info.values() if v["project"] == project
        ]

    def _on_maturity_node_in_pipeline(self, pipeline: str, node_id: str) -> None:
        project = self.current_project()
        if project is not None and self.open_pipeline(project, pipeline) is not None:
            self.select_stages([node_id])

    def _on_maturity_fix_requested(self, pipeline: str, operation: Any) -> None:
        """Apply a suggested fix to a pipeline as one undoable step."""
        from mlops_desktop.qt.document.commands import PipelineCommand

        project = self.current_project()
        editor = self.open_pipeline(project, pipeline) if project is not None else None
        if editor is None:
            return
        operation = clear_of_stages(editor.pipeline, operation)
        if editor.push(PipelineCommand(editor.pipeline, operation, "Apply maturity suggestion")):
            self.show_message(f"Applied the suggestion to '{pipeline}' (Ctrl+Z undoes it)")
            self._maturity_stale = True
            if self.maturity_dock.isVisible():
                self._assess()  # the levels and gaps the fix changed, at once

    def _start_trigger_timer(self) -> None:
        self._ensure_trigger_timer().start()

    def _ensure_trigger_timer(self) -> Any:
        """The workspace's trigger timer (created, not started, when there is none yet)."""
        from mlops_desktop.qt.trigger_timer import TriggerTimer

        if self.trigger_timer is not None:
            return self.trigger_timer
        if self.approvals is None:
            from mlops_desktop.qt.approval_dialog import DialogApprovalProvider

            self.approvals = DialogApprovalProvider(self)
            self.runner.approvals = self.approvals
        self.trigger_timer = TriggerTimer(self.workspace, approvals=self.approvals, parent=self)
        self.trigger_timer.fired.connect(self._on_trigger_timer_fired)
        self.trigger_timer.failed.connect(
            lambda msg: self.show_message(f"Triggers: {msg}", error=True)
        )
        return self.trigger_timer

    def _stop_trigger_timer(self) -> None:
        if self.trigger_timer is not None:
            self.trigger_timer.stop(30)
            self.trigger_timer.deleteLater()
            self.trigger_timer = None

    def _on_trigger_timer_fired(self, events: list) -> None:
        for event in events:
            self.show_message(f"Trigger fired: {describe_event(event)}")
        if events:
            self._reload_runs()
            self.refresh_triggers()


NODE_BOX = (230.0, 110.0)  # room a stage takes on the canvas, with a margin


def clear_of_stages(pipeline: Any, operation: Any) -> Any:
    """``operation`` with the stages it adds moved down until none overlaps another stage."""
    import dataclasses

    from mlops_desktop.core.operations import AddNode, Compound

    if not isinstance(operation, Compound):
        return operation
    taken = [(n.x, n.y) for n in pipeline.nodes.values()]
    w, h = NODE_BOX

    def free(x: float, y: float) -> bool:
        return all(abs(x - ox) >= w or abs(y - oy) >= h for ox, oy in taken)

    ops = []
    for op in operation.ops:
        if isinstance(op, AddNode):
            x, y = op.node.x, op.node.y
            while not free(x, y):
                y += h
            taken.append((x, y))
            op = dataclasses.replace(op, node=dataclasses.replace(op.node, x=x, y=y))
        ops.append(op)
    return dataclasses.replace(operation, ops=tuple(ops))
