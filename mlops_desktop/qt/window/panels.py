"""The main window's project panels: models, triggers, maturity, trends, and the triggers
fired in the background.

:class:`ProjectPanels` points them at the current tab's project. The maturity view and the
trends are built the first time their panel is shown (their modules are heavy to import);
a panel that is hidden is marked stale and read again when it is next shown. Maturity
suggestions are applied to a pipeline as one undo step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDockWidget, QLayout, QWidget

from mlops_desktop.app.trigger_text import describe_event, type_title
from mlops_desktop.core.errors import MlopsError
from mlops_desktop.qt.window.runs import scrolled

if TYPE_CHECKING:
    from mlops_desktop.core.graph import Pipeline
    from mlops_desktop.core.operate_entities import TriggerEvent
    from mlops_desktop.core.operations import Operation
    from mlops_desktop.qt.maturity.view import MaturityView
    from mlops_desktop.qt.operate.models_panel import ModelsPanel
    from mlops_desktop.qt.operate.trigger_timer import TriggerTimer
    from mlops_desktop.qt.operate.triggers_panel import TriggersPanel
    from mlops_desktop.qt.plots.trends import TrendsView
    from mlops_desktop.qt.window.host import OpenWorkspace, WindowHost
    from mlops_desktop.qt.window.runs import RunsController
    from mlops_desktop.qt.window.tabs import DocumentTabs

MAKE_TRENDS_MS = 5  # the Trends view is made this long after its panel first shows
NODE_BOX = (230.0, 110.0)  # room a stage takes on the canvas, with a margin


class ProjectPanels:
    """Models, Triggers, Maturity and Trends panels and the trigger timer of the workspace."""

    def __init__(
        self,
        host: WindowHost,
        state: OpenWorkspace,
        documents: DocumentTabs,
        runs: RunsController,
        select_stages: Callable[[list[str]], None],
        models_panel: ModelsPanel,
        triggers: tuple[TriggersPanel, QDockWidget],
        maturity: tuple[QWidget, QDockWidget],
        trends: tuple[QWidget, QDockWidget],
    ) -> None:
        self._host = host
        self._state = state
        self._documents = documents
        self._runs = runs
        self._select_stages = select_stages
        self._models_panel = models_panel
        self._triggers_panel, self._triggers_dock = triggers
        self._maturity_holder, self.maturity_dock = maturity
        self._trends_holder, self.trends_dock = trends
        self.maturity: MaturityView | None = None
        self.trends: TrendsView | None = None
        self.trigger_timer: TriggerTimer | None = None
        self.maturity_stale = True
        self._trends_stale = True
        self._triggers_stale = True
        self._triggers_panel.run_activated.connect(runs.open_run)
        self._triggers_panel.fire_requested.connect(self._on_triggers_panel_fire_requested)
        self._triggers_panel.triggers_changed.connect(self._on_triggers_changed)
        self._triggers_dock.visibilityChanged.connect(self._on_triggers_dock_visibility_changed)
        self.maturity_dock.visibilityChanged.connect(self._on_maturity_dock_visibility_changed)
        self.trends_dock.visibilityChanged.connect(self._on_trends_dock_visibility_changed)
        # The Trends view is made a turn after its panel first shows (the window lays out
        # and paints the panel in between: together they held the GUI thread 60-100 ms).
        self._make_trends = QTimer(self._trends_holder)
        self._make_trends.setSingleShot(True)
        self._make_trends.setInterval(MAKE_TRENDS_MS)
        self._make_trends.timeout.connect(self._make_trends_view)
        runs.history_changed.connect(self._on_history_changed)

    def _project(self) -> str | None:
        tab = self._documents.current()
        return tab.project if tab is not None else None

    def reload(self) -> None:
        """Point the models and maturity panels at the current tab's project."""
        project = self._project()
        if self._state.workspace is not None and project is not None:
            try:
                self._models_panel.load(self._state.workspace, project, background=True)
            except MlopsError as exc:
                self._host.show_message(f"Cannot list the models: {exc}", error=True)
        self.maturity_stale = True
        if self.maturity is not None and self.maturity_dock.isVisible():
            self._assess()
        self.refresh_trends()
        self.refresh_triggers()

    def forget_workspace(self) -> None:
        """Drop the views built for the workspace being closed (built again when shown)."""
        for view in (self.maturity, self.trends):
            if view is not None:
                view.setParent(None)
                view.deleteLater()
        self.maturity = self.trends = None
        self._trends_stale = True
        self._triggers_panel.load(None, None)
        self._triggers_stale = True

    def _on_history_changed(self, run_id: int | None) -> None:
        # A run may have registered or deployed a version: read off the GUI thread.
        self._models_panel.refresh_in_background()
        self.refresh_trends(run_id)
        if run_id is None:
            self.maturity_stale = True  # run history is evidence

    # --------------------------------------------------------------- triggers
    def refresh_triggers(self) -> None:
        """Re-read the triggers now if their panel is shown, else when it is next shown."""
        self._triggers_stale = True
        if self._triggers_dock.isVisible():
            self._load_triggers()

    def _on_triggers_dock_visibility_changed(self, visible: bool) -> None:
        if visible and self._triggers_stale:
            self._load_triggers()

    def _load_triggers(self) -> None:
        self._triggers_stale = False
        tab = self._documents.current()
        self._triggers_panel.current_pipeline = tab.name if tab else None
        self._triggers_panel.load(self._state.workspace, self._project())

    def _on_triggers_changed(self) -> None:
        self.maturity_stale = True  # triggers are evidence of automation

    def _on_triggers_panel_fire_requested(
        self, project: str, pipeline: str, type_: str, trigger_id: int | None
    ) -> None:
        """Fire a trigger by hand, in the background; the firing shows when it is recorded."""
        if self._state.workspace is None:
            return
        self.ensure_trigger_timer().fire_now(project, pipeline, type_, trigger_id)
        self._host.show_message(
            f"Firing '{pipeline}' ({type_title(type_).lower()}) in the background"
        )

    # ----------------------------------------------------------------- trends
    def refresh_trends(self, run_id: int | None = None) -> None:
        """Re-read the trends now if their panel is shown, else when it is next shown; with
        ``run_id`` (a run finished), add that run's points to trends already shown."""
        shown = self.trends is not None and self.trends_dock.isVisible()
        if run_id is not None and shown and not self._trends_stale:
            assert self.trends is not None
            self.trends.add_run(run_id)  # that run read off the GUI thread
            return
        self._trends_stale = True
        if shown:
            self._load_trends()

    def _on_trends_dock_visibility_changed(self, visible: bool) -> None:
        if not visible or self._state.workspace is None:
            return
        if self.trends is None:
            self._make_trends.start()
        elif self._trends_stale:
            self._load_trends()

    def _make_trends_view(self) -> None:
        if self.trends is not None or self._state.workspace is None:
            return
        from mlops_desktop.qt.plots.trends import TrendsView

        self.trends = TrendsView()
        self.trends.run_activated.connect(self._runs.open_run)
        _layout(self._trends_holder).addWidget(self.trends)
        if self._trends_stale:
            self._load_trends()

    def _load_trends(self) -> None:
        self._trends_stale = False
        tab = self._documents.current()
        if self.trends is None or self._state.workspace is None or tab is None:
            return
        # Of the current tab's pipeline, read off the GUI thread (a read error shows in it).
        self.trends.load(self._state.workspace, tab.project, tab.name)

    # --------------------------------------------------------------- maturity
    def _on_maturity_dock_visibility_changed(self, visible: bool) -> None:
        if not visible or self._state.workspace is None:
            return
        if self.maturity is None:
            self._build_maturity_view()
        if self.maturity_stale:
            self._assess()

    def _build_maturity_view(self) -> None:
        from mlops_desktop.app.assessment import AssessmentService
        from mlops_desktop.qt.maturity.view import MaturityView

        assert self._state.workspace is not None
        view = self.maturity = MaturityView(AssessmentService(self._state.workspace))
        view.node_activated.connect(lambda nid: self._select_stages([nid]))
        view.node_in_pipeline_activated.connect(self._on_maturity_node_in_pipeline)
        view.run_activated.connect(self._runs.open_run)
        view.fix_requested.connect(self.apply_fix)
        view.error_raised.connect(lambda msg: self._host.show_message(msg, error=True))
        view.pipelines_provider = self._project_pipelines
        _layout(self._maturity_holder).addWidget(scrolled(view))

    def _assess(self) -> None:
        self.maturity_stale = False
        if self.maturity is not None:
            self.maturity.set_project(self._project())

    def _project_pipelines(self) -> list[tuple[str, Pipeline]]:
        project = self._project()
        return [(t.name, t.pipeline) for t in self._documents.all() if t.project == project]

    def _on_maturity_node_in_pipeline(self, pipeline: str, node_id: str) -> None:
        project = self._project()
        if project is not None and self._documents.open(project, pipeline) is not None:
            self._select_stages([node_id])

    def apply_fix(self, pipeline: str, operation: Operation) -> None:
        """Apply a suggested fix to a pipeline as one undoable step."""
        from mlops_desktop.qt.document.commands import PipelineCommand

        project = self._project()
        editor = self._documents.open(project, pipeline) if project is not None else None
        if editor is None:
            return
        operation = clear_of_stages(editor.pipeline, operation)
        if editor.push(PipelineCommand(editor.pipeline, operation, "Apply maturity suggestion")):
            self._host.show_message(f"Applied the suggestion to '{pipeline}' (Ctrl+Z undoes it)")
            self.maturity_stale = True
            if self.maturity_dock.isVisible():
                self._assess()  # the levels and gaps the fix changed, at once

    # ---------------------------------------------------------- trigger timer
    def start_trigger_timer(self) -> None:
        self.ensure_trigger_timer().start()

    def ensure_trigger_timer(self) -> TriggerTimer:
        """The workspace's trigger timer (created, not started, when there is none yet)."""
        from mlops_desktop.qt.operate.trigger_timer import TriggerTimer

        if self.trigger_timer is not None:
            return self.trigger_timer
        workspace = self._state.workspace
        assert workspace is not None
        approvals = self._runs.ensure_approvals()
        timer = TriggerTimer(workspace, approvals=approvals, parent=self._host.window())
        timer.fired.connect(self._on_trigger_timer_fired)
        timer.failed.connect(lambda msg: self._host.show_message(f"Triggers: {msg}", error=True))
        self.trigger_timer = timer
        return timer

    def stop_trigger_timer(self) -> None:
        if self.trigger_timer is not None:
            self.trigger_timer.stop(30)
            self.trigger_timer.deleteLater()
            self.trigger_timer = None

    def _on_trigger_timer_fired(self, events: list[TriggerEvent]) -> None:
        workspace = self._state.workspace
        for event in events:
            number = None
            if workspace is not None and event.run_id is not None:
                number = workspace.runs.get(event.run_id).number
            self._host.show_message(f"Trigger fired: {describe_event(event, run_number=number)}")
        if events:
            self._runs.reload_runs()
            self.refresh_triggers()


def _layout(holder: QWidget) -> QLayout:
    layout = holder.layout()
    assert layout is not None  # every holder is made with its layout
    return layout


def clear_of_stages(pipeline: Pipeline, operation: Operation) -> Operation:
    """``operation`` with the stages it adds moved down until none overlaps another stage."""
    import dataclasses

    from mlops_desktop.core.operations import AddNode, Compound

    if not isinstance(operation, Compound):
        return operation
    taken = [(n.x, n.y) for n in pipeline.nodes.values()]
    w, h = NODE_BOX

    def free(x: float, y: float) -> bool:
        return all(abs(x - ox) >= w or abs(y - oy) >= h for ox, oy in taken)

    ops: list[Operation] = []
    for op in operation.ops:
        if isinstance(op, AddNode):
            x, y = op.node.x, op.node.y
            while not free(x, y):
                y += h
            taken.append((x, y))
            op = dataclasses.replace(op, node=dataclasses.replace(op.node, x=x, y=y))
        ops.append(op)
    return dataclasses.replace(operation, ops=tuple(ops))
