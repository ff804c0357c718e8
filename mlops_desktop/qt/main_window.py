"""The main window: a tab per open pipeline around the canvas, docks, menus and the lens switch.

Docks: project browser and stage palette (left), inspector and undo history (right), and
messages, lifecycle map, crosswalk, runs, trends, models and maturity (bottom). Edits are
saved automatically (:mod:`mlops_desktop.qt.autosave`); geometry, dock layout, theme, lens
and recent workspaces persist in QSettings.
"""

from __future__ import annotations

import html
import os
import sys
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent, QUndoGroup
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QPlainTextEdit,
    QStackedWidget,
    QTabWidget,
    QUndoView,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.errors import MlopsError
from mlops_desktop.core.lifecycle import lifecycles
from mlops_desktop.core.validation import validate
from mlops_desktop.qt import dialogs, gui_gc
from mlops_desktop.qt.autosave import Autosaver
from mlops_desktop.qt.imports import cloud_dialog, mlflow_dialog
from mlops_desktop.qt.lifecycle.crosswalk import CrosswalkView
from mlops_desktop.qt.lifecycle.map_view import LifecycleMapView
from mlops_desktop.qt.operate.models_panel import ModelsPanel
from mlops_desktop.qt.operate.triggers_panel import TriggersPanel
from mlops_desktop.qt.project_browser import ProjectBrowser
from mlops_desktop.qt.runs.controller import RunController
from mlops_desktop.qt.runs.panel import RunsPanel
from mlops_desktop.qt.theme import ThemeManager
from mlops_desktop.qt.window.actions import WindowActions
from mlops_desktop.qt.window.files import FileCommands
from mlops_desktop.qt.window.host import OpenWorkspace
from mlops_desktop.qt.window.layout import (
    apply_default_sizes,
    make_inspector,
    make_palette,
    reset_docks,
    title_bar_beside,
)
from mlops_desktop.qt.window.menus import WindowMenus
from mlops_desktop.qt.window.panels import ProjectPanels
from mlops_desktop.qt.window.run_panel import RunPanelHeight
from mlops_desktop.qt.window.runs import RunsController
from mlops_desktop.qt.window.session import WindowSession
from mlops_desktop.qt.window.start_here import StartHereBanner
from mlops_desktop.qt.window.tabs import DocumentTabs

if TYPE_CHECKING:
    from mlops_desktop.app.projects import ProjectService
    from mlops_desktop.app.workspace import Workspace
    from mlops_desktop.core.graph import Pipeline
    from mlops_desktop.core.validation import Problem
    from mlops_desktop.qt.document.editor import PipelineEditor
    from mlops_desktop.qt.maturity.view import MaturityView
    from mlops_desktop.qt.operate.approval_dialog import DialogApprovalProvider
    from mlops_desktop.qt.operate.trigger_timer import TriggerTimer
    from mlops_desktop.qt.plots.compare import RunComparisonView
    from mlops_desktop.qt.plots.trends import TrendsView
    from mlops_desktop.qt.runs.view import RunView


class MainWindow(QMainWindow):
    """The application window over one workspace.

    It builds the widgets and docks and composes the controllers that work them:
    :class:`DocumentTabs` (the pipeline tabs), :class:`RunsController` (runs and their
    panels), :class:`ProjectPanels` (models, triggers, maturity, trends),
    :class:`FileCommands` and :class:`WindowSession`, each handed what it works with. Every
    action is declared in :class:`WindowActions` and connected here.
    """

    workspace_changed = Signal(str)  # the workspace URL ("" when none)
    current_pipeline_changed = Signal()

    def __init__(
        self, settings: QSettings | None = None, theme: ThemeManager | None = None
    ) -> None:
        super().__init__()
        # Garbage collected on the GUI thread while the window is open (or exists).
        self._gc_hold = gui_gc.Hold()
        self.destroyed.connect(self._gc_hold.release)
        self.settings = settings if settings is not None else QSettings()
        self.theme = theme
        self.state = OpenWorkspace()
        self._lens: str | None = None
        self.setWindowTitle("")  # Qt shows the application display name
        self.setDockNestingEnabled(True)
        self.undo_group = QUndoGroup(self)
        self.runner = RunController(self)
        self.run_panel_height = RunPanelHeight(self, self.settings)
        self._build_central()
        self._build_docks()
        self._build_status_bar()
        self.acts = WindowActions(self, self.undo_group, theme.mode if theme else "system")
        self.runs = RunsController(
            self,
            self.state,
            self.documents,
            self.runner,
            self.acts,
            self.runs_panel,
            self.run_label,
            self.lifecycle_map,
        )
        self.panels = ProjectPanels(
            self,
            self.state,
            self.documents,
            self.runs,
            self.select_stages,
            self.models_panel,
            (self.triggers_panel, self.triggers_dock),
            (self._maturity_holder, self.maturity_dock),
            (self._trends_holder, self.trends_dock),
        )
        self.files = FileCommands(
            self, self.state, self.documents, self.browser, lambda: self._lens
        )
        self.session = WindowSession(
            self, self, self.settings, self.state, self.documents, self.browser, theme
        )
        self._connect_parts()
        self.menus = WindowMenus(
            self,
            self.acts,
            self.show_dock,
            {
                "Lifecycle &map": self.map_dock,
                "&Crosswalk": self.crosswalk_dock,
                "&Runs": self.runs_dock,
                "M&aturity": self.maturity_dock,
                "Messa&ges": self.messages_dock,
            },
        )
        self.menus.recent.aboutToShow.connect(self.fill_recent_menu)
        self.cloud_drop = cloud_dialog.install_drop(self)
        self._restored_state, lens = self.session.restore_window()
        self.set_lens(lens)
        self.runs.update_actions()
        # Pipeline commands wait for an open pipeline (a tab switch enables them).
        for action in self.acts.needing_a_pipeline():
            action.setEnabled(self.current_editor() is not None)

    def _connect_parts(self) -> None:
        """Connect the actions and the widgets' signals to the controllers."""
        acts, runs, files = self.acts, self.runs, self.files
        for action, slot in (
            (acts.new_project, self.browser.new_project),
            (acts.open_workspace, self._on_open_workspace_triggered),
            (acts.import_pipeline, files.import_pipeline),
            (acts.import_cloud, lambda: cloud_dialog.choose_and_import(self)),
            (acts.import_mlflow, lambda: mlflow_dialog.open_dialog(self)),
            (acts.export_pipeline, files.export_pipeline),
            (acts.export_image, files.export_image),
            (acts.export_report, files.export_report),
            (acts.cleanup, files.clean_up_workspace),
            (acts.close_tab, self.documents.close_current),
            (acts.quit, self.close),
            (acts.validate, self.validate_current),
            (acts.run, lambda: runs.run_pipeline()),
            (acts.run_selected, lambda: runs.run_pipeline(selected=True)),
            (acts.run_from, lambda: runs.run_pipeline(from_selected=True)),
            (acts.run_force, lambda: runs.run_pipeline(force=True)),
            (acts.cancel_run, runs.cancel_run),
            (acts.shortcuts, lambda: dialogs.shortcuts_dialog(self, self.menuBar()).exec()),
            (acts.about, lambda: dialogs.show_about(self)),
            (acts.reset_layout, self.reset_layout),
            (acts.user_guide, lambda: dialogs.open_user_guide(self)),
            (acts.start_here, self.show_start_here),
        ):
            action.triggered.connect(slot)
        for lens, action in acts.lens.items():
            action.triggered.connect(lambda _c=False, lid=lens: self.set_lens(lid))
        for mode, action in acts.theme.items():
            action.triggered.connect(lambda _c=False, m=mode: self.set_theme(m))
        self.documents.current_changed.connect(self._on_current_tab_changed)
        self.documents.selection_changed.connect(runs.update_actions)
        self.browser.pipeline_activated.connect(self.open_pipeline)
        self.browser.project_renamed.connect(self.documents.project_renamed)
        self.browser.project_deleted.connect(self.documents.project_deleted)
        self.runs_panel.run_opened.connect(runs.open_run)
        self.runs_panel.compare_requested.connect(runs.compare_runs)
        self.runs_panel.delete_requested.connect(runs.delete_runs)

    # ================================================================ building
    def _build_central(self) -> None:
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.setTabsClosable(True)
        self.tabs.setMovable(True)
        self.welcome = QLabel()
        self.welcome.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.welcome.setWordWrap(True)
        self.welcome.setTextFormat(Qt.TextFormat.RichText)
        self.welcome.setText(
            "<h2>No pipeline open</h2>"
            "<p>Double-click a pipeline in <b>Projects</b> to open it,<br>"
            "or create a project from a lifecycle template with <b>File → New project…</b> "
            "(Ctrl+N).</p>"
            "<p>Drag stages from the <b>Stages</b> palette onto the canvas, connect their ports,<br>"
            "and switch the <b>lifecycle lens</b> in the toolbar to see your pipeline through "
            "AWS, Google Cloud or Azure.</p>"
        )
        self.central = QStackedWidget()
        self.central.addWidget(self.welcome)
        self.central.addWidget(self.tabs)
        self.documents = DocumentTabs(
            self.tabs,
            self.central,
            self.welcome,
            self.undo_group,
            self.show_message,
            lambda: self._lens,
        )
        self.start_here = StartHereBanner()
        self.start_here.dismissed.connect(self._on_start_here_closed)
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.start_here)
        column.addWidget(self.central, 1)
        self.setCentralWidget(holder)

    def show_start_here(self) -> None:
        self._update_start_here()
        self.start_here.show()

    def _update_start_here(self) -> None:
        project = self.current_project() if self.state.service is not None else None
        self.start_here.word_for(project, self._lens)

    @property
    def start_here_text(self) -> QLabel:
        return self.start_here.text

    def _on_start_here_closed(self) -> None:
        self.start_here.hide()
        self.settings.setValue("ui/start_here_dismissed", True)

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        title_bar_beside(self, dock)
        return dock

    def _build_docks(self) -> None:
        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        self.browser = ProjectBrowser()
        self.browser.status_message.connect(self.show_message)
        self.projects_dock = self._dock("Projects", "projects_dock", self.browser, left)
        self.stage_palette = make_palette()
        self.palette_dock = self._dock("Stages", "palette_dock", self.stage_palette, left)
        self.inspector = make_inspector()
        self.inspector.schema_context = lambda: (self.workspace, self.current_project())  # type: ignore[attr-defined]
        self.inspector_dock = self._dock("Inspector", "inspector_dock", self.inspector, right)
        self.undo_view = QUndoView(self.undo_group)
        self.undo_view.setEmptyLabel("Opened")
        self.history_dock = self._dock("History", "history_dock", self.undo_view, right)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(5000)
        self.log.setPlaceholderText("Messages, autosaves and validation results appear here.")
        self.messages_dock = self._dock("Messages", "messages_dock", self.log, bottom)
        self.lifecycle_map = LifecycleMapView()
        self.lifecycle_map.phase_activated.connect(self._on_map_phase_activated)
        self.map_dock = self._dock("Lifecycle map", "map_dock", self.lifecycle_map, bottom)
        self.crosswalk = CrosswalkView()
        self.crosswalk.stages_activated.connect(self.select_stages)
        self.crosswalk_dock = self._dock("Crosswalk", "crosswalk_dock", self.crosswalk, bottom)
        self.runs_panel = RunsPanel()
        self.runs_dock = self._dock("Runs", "runs_dock", self.runs_panel, bottom)
        self.models_panel = ModelsPanel()
        self.models_dock = self._dock("Models", "models_dock", self.models_panel, bottom)
        self.triggers_panel = TriggersPanel()
        self.triggers_dock = self._dock("Triggers", "triggers_dock", self.triggers_panel, bottom)
        # The maturity view is built when its panel is first shown (it is heavy to import).
        self._maturity_holder = QWidget()
        QVBoxLayout(self._maturity_holder).setContentsMargins(0, 0, 0, 0)
        self.maturity_dock = self._dock("Maturity", "maturity_dock", self._maturity_holder, bottom)
        # Trends (a metric across runs, drift over time) are built when first shown too.
        self._trends_holder = QWidget()
        QVBoxLayout(self._trends_holder).setContentsMargins(0, 0, 0, 0)
        self.trends_dock = self._dock("Trends", "trends_dock", self._trends_holder, bottom)
        self.splitDockWidget(self.projects_dock, self.palette_dock, Qt.Orientation.Vertical)
        self.splitDockWidget(self.inspector_dock, self.history_dock, Qt.Orientation.Vertical)
        self.tabifyDockWidget(self.map_dock, self.crosswalk_dock)
        self.tabifyDockWidget(self.crosswalk_dock, self.runs_dock)
        self.tabifyDockWidget(self.runs_dock, self.trends_dock)
        self.tabifyDockWidget(self.trends_dock, self.models_dock)
        self.tabifyDockWidget(self.models_dock, self.triggers_dock)
        self.tabifyDockWidget(self.triggers_dock, self.maturity_dock)
        self.tabifyDockWidget(self.maturity_dock, self.messages_dock)
        self.map_dock.raise_()
        # The canvas gets the room: the bottom panels open where the user's attention goes
        # (the Run view when a run starts, Messages when validation finds problems, or
        # View → Panels) and stay closed until then.
        for dock in self.bottom_docks():
            dock.hide()
        self._default_state = self.saveState()
        self._sized = False

    def add_panel(
        self,
        title: str,
        name: str,
        widget: QWidget,
        area: Qt.DockWidgetArea = Qt.DockWidgetArea.BottomDockWidgetArea,
        tabify_with: QDockWidget | None = None,
    ) -> QDockWidget:
        """Add a dock (runs, models, maturity...) that View > Panels can show and hide.

        Without ``tabify_with``, a bottom panel joins the lifecycle map's tab group.
        """
        dock = self._dock(title, name, widget, area)
        if tabify_with is None and area == Qt.DockWidgetArea.BottomDockWidgetArea:
            tabify_with = self.messages_dock
        if tabify_with is not None:
            self.tabifyDockWidget(tabify_with, dock)
        self.menus.panels.addAction(dock.toggleViewAction())
        return dock

    def bottom_docks(self) -> list[QDockWidget]:
        """The docks that share the bottom area (runs, plots, maturity, messages...)."""
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        return [
            d
            for d in self.findChildren(QDockWidget)
            if d.parent() is self and self.dockWidgetArea(d) == bottom
        ]

    def reset_layout(self) -> None:
        """Dock every panel back in its place (floating ones too) and close the bottom ones;
        the Run panel opens at its default height again."""
        reset_docks(self, self._default_state, self.messages_dock)
        self._apply_default_dock_sizes()
        self.run_panel_height.forget()

    def _apply_default_dock_sizes(self) -> None:
        left = (self.projects_dock, self.palette_dock)
        apply_default_sizes(self, left, (self.inspector_dock, self.history_dock))

    def showEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        super().showEvent(event)
        if not self._sized:
            self._sized = True
            if not self._restored_state:
                self._apply_default_dock_sizes()

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        self.save_label = QLabel("")
        self.save_label.setToolTip(
            "Edits are saved automatically: each saved change is a new version"
        )
        self.workspace_label = QLabel("No workspace")
        self.run_label = QLabel("")
        self.run_label.hide()
        status.addPermanentWidget(self.run_label)
        status.addPermanentWidget(self.save_label)
        status.addPermanentWidget(self.workspace_label)

    # ============================================================== workspace
    @property
    def workspace(self) -> Workspace | None:
        return self.state.workspace

    @property
    def service(self) -> ProjectService | None:
        return self.state.service

    @property
    def autosaver(self) -> Autosaver | None:
        return self.state.autosaver

    def open_workspace(self, location: str | None, interactive: bool = True) -> bool:
        """Open the workspace at ``location`` (None: the default). Errors show in a dialog
        (or, not ``interactive``, in the Messages panel and on stderr)."""
        from mlops_desktop.app.workspace import Workspace

        started = time.perf_counter()
        try:
            workspace = Workspace.open(location)
        except MlopsError as exc:
            message = f"Cannot open the workspace: {exc}"
            if interactive:
                dialogs.show_error(self, message)
            else:
                self.show_message(message, error=True)
                print(f"mlops-desktop: error: {message}", file=sys.stderr)
            return False
        self.set_workspace(workspace, location)
        if self.session.create_sample_project():
            self.show_start_here()
        shown = self._short_location(getattr(workspace, "display_name", "") or workspace.url)
        self.show_message(f"Opened workspace {shown} in {time.perf_counter() - started:.2f} s")
        return True

    def set_workspace(self, workspace: Workspace | None, location: str | None = None) -> None:
        """Show ``workspace`` (closing the current one and its tabs first)."""
        from mlops_desktop.app.projects import ProjectService

        if self.runner.running:
            self.runner.cancel()
            self.runner.wait(30)
        self.panels.stop_trigger_timer()
        self.session.save_tabs()
        self.documents.close_all()
        if self.state.workspace is not None:
            self.state.workspace.close()
        self.state.workspace = workspace
        self.panels.forget_workspace()
        service = self.state.service = ProjectService(workspace) if workspace is not None else None
        self.state.autosaver = None
        if service is not None:
            autosaver = self.state.autosaver = Autosaver(service.save_pipeline, parent=self)
            autosaver.saved.connect(self._on_autosaver_saved)
            autosaver.save_failed.connect(self._on_autosaver_save_failed)
            autosaver.dirty_changed.connect(self._on_autosaver_dirty_changed)
        self.documents.set_service(service, self.state.autosaver)
        self.browser.set_service(service, workspace)
        url = workspace.url if workspace is not None else ""
        shown = self._short_location(getattr(workspace, "display_name", "") or url)
        self.workspace_label.setText(f"Workspace: {shown}" if url else "No workspace")
        self.workspace_label.setToolTip(shown)
        # Qt appends the application's display name itself on most platforms.
        self.setWindowTitle(shown if url else "")
        if workspace is not None:
            self.session.remember_workspace(location or url)
            self.session.restore_tabs()
            if os.environ.get("MLOPS_DESKTOP_NO_TRIGGERS") != "1":
                self.panels.start_trigger_timer()
        self.workspace_changed.emit(url)

    @staticmethod
    def _short_location(url: str) -> str:
        return url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url

    def _on_open_workspace_triggered(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Open or create a workspace",
            "",
            "Workspaces (*.db *.sqlite *.mlops);;All files (*)",
            options=QFileDialog.Option.DontConfirmOverwrite,
        )
        if path:
            self.open_workspace(path)

    def recent_workspaces(self) -> list[str]:
        return self.session.recent_workspaces()

    def fill_recent_menu(self) -> None:
        self.session.fill_recent_menu(self.menus.recent, self.open_workspace)

    # ================================================================= tabs
    def open_pipeline(self, project: str, pipeline: str | None = None) -> PipelineEditor | None:
        """Open (or focus) a pipeline of a project in a tab; returns its editor."""
        return self.documents.open(project, pipeline)

    def current_editor(self) -> PipelineEditor | None:
        return self.documents.current_editor()

    def current_pipeline(self) -> Pipeline | None:
        tab = self.documents.current()
        return tab.pipeline if tab is not None else None

    def current_project(self) -> str | None:
        """The project of the current tab (None without a tab)."""
        tab = self.documents.current()
        return tab.project if tab is not None else None

    def open_pipelines(self) -> list[tuple[str, str]]:
        return [(t.project, t.name) for t in self.documents.all()]

    def close_tab(self, index: int) -> None:
        self.documents.close_tab(index)

    def _on_current_tab_changed(self) -> None:
        """Point every panel that follows the current tab at its pipeline."""
        editor = self.current_editor()
        if hasattr(self.inspector, "set_editor"):
            self.inspector.set_editor(editor)
        if hasattr(self.stage_palette, "set_editor"):
            self.stage_palette.set_editor(editor)
        pipeline = self.current_pipeline()
        self.lifecycle_map.set_pipeline(pipeline)
        self.crosswalk.set_pipeline(pipeline)
        self.runs.refresh_run_states(background=True)  # read off the GUI thread
        self.runs.reload_runs()
        self.panels.reload()
        self.menus.show_editor_actions(editor)
        for action in self.acts.needing_a_pipeline():
            action.setEnabled(editor is not None)
        self.runs.update_actions()
        self._update_start_here()
        self.current_pipeline_changed.emit()

    # ================================================================= runs
    def run_pipeline(
        self, *, selected: bool = False, from_selected: bool = False, force: bool = False
    ) -> bool:
        """Run the open pipeline (or its selected stages, or from the selected stage); True
        when the run is starting (``runner.started`` then gives its id)."""
        return self.runs.run_pipeline(selected=selected, from_selected=from_selected, force=force)

    def cancel_run(self) -> None:
        self.runs.cancel_run()

    def open_run(self, run_id: int) -> None:
        """Show one run (metrics, diagnostics, logs) in the Run panel."""
        self.runs.open_run(run_id)

    def compare_runs(self, run_ids: list[int]) -> None:
        self.runs.compare_runs(run_ids)

    def delete_runs(self, run_ids: list[int], ask: bool = True) -> int:
        return self.runs.delete_runs(run_ids, ask)

    @property
    def approvals(self) -> DialogApprovalProvider | None:
        return self.runs.approvals

    @property
    def run_view(self) -> RunView | None:
        return self.runs.run_view

    @property
    def run_view_dock(self) -> QDockWidget | None:
        return self.runs.run_view_dock

    @property
    def compare_view(self) -> RunComparisonView | None:
        return self.runs.compare_view

    @property
    def compare_dock(self) -> QDockWidget | None:
        return self.runs.compare_dock

    # =============================================================== panels
    @property
    def maturity(self) -> MaturityView | None:
        return self.panels.maturity

    @property
    def trends(self) -> TrendsView | None:
        return self.panels.trends

    @property
    def trigger_timer(self) -> TriggerTimer | None:
        return self.panels.trigger_timer

    def clean_up_workspace(self, ask: bool = True) -> int:
        """Delete unreferenced artifact files after confirmation; returns the bytes freed."""
        return self.files.clean_up_workspace(ask)

    # ================================================================ lenses
    def set_lens(self, lens_id: str | None) -> None:
        """Draw lifecycle ``lens_id`` behind every open pipeline (None: no lens)."""
        if lens_id not in self.acts.lens:
            lens_id = None
        self._lens = lens_id
        self.acts.lens[lens_id].setChecked(True)
        for tab in self.documents.all():
            tab.editor.set_lens(lens_id)
        self.lifecycle_map.set_lens(lens_id)
        self._update_start_here()

    @property
    def lens(self) -> str | None:
        return self._lens

    def set_theme(self, mode: str) -> None:
        if self.theme is not None:
            self.theme.set_mode(mode)
            self.settings.setValue("view/theme", mode)
        self.acts.theme[mode].setChecked(True)

    # ========================================================== cross-views
    def select_stages(self, node_ids: list[str]) -> None:
        editor = self.current_editor()
        if editor is not None:
            editor.select_nodes(list(node_ids))

    def _on_map_phase_activated(self, lens_id: str, phase_id: str, node_ids: list[str]) -> None:
        self.select_stages(node_ids)
        phase = next(
            (
                p.name
                for lc in lifecycles()
                if lc.id == lens_id
                for p in lc.phases
                if p.id == phase_id
            ),
            phase_id,
        )
        if node_ids:
            self.show_message(f"{phase}: selected {len(node_ids)} stage(s)")
        else:
            self.show_message(f"{phase}: no stage of this pipeline implements it")

    def show_dock(self, dock: QDockWidget) -> None:
        """Show and raise a panel; the first bottom panel opened gets room to be read."""
        bottom = self.bottom_docks()
        opening = dock in bottom and not any(
            d.isVisible() and not d.isFloating() for d in bottom if d is not dock
        )
        dock.show()
        dock.raise_()
        if opening and not dock.isFloating() and dock is self.run_view_dock:
            self.run_panel_height.dock = dock  # a share, or the height the user dragged
            self.run_panel_height.open()
        elif opening and not dock.isFloating():
            # Plots, maturity charts and the lifecycle map need height to be read.
            share = 0.42 if self.height() >= 800 else 0.38
            self.resizeDocks([dock], [int(self.height() * share)], Qt.Orientation.Vertical)
        if dock is self.messages_dock:
            self._scroll_messages_to_end()

    def _scroll_messages_to_end(self) -> None:
        bar = self.log.verticalScrollBar()
        bar.setValue(bar.maximum())

    # ============================================================ commands
    def validate_current(self) -> list[Problem]:
        pipeline = self.current_pipeline()
        if pipeline is None:
            return []
        from mlops_desktop.app.data_checks import data_problems

        problems = validate(pipeline) + data_problems(pipeline)
        if not problems:
            self.show_message(
                f"'{pipeline.name}' is valid: {len(pipeline.nodes)} stages, ready to run"
            )
        for p in problems:
            self.show_message(f"{p.severity}: {p.message}", error=p.severity == "error")
        if problems:
            self.show_dock(self.messages_dock)
        return problems

    # ============================================================ messages
    def show_message(self, text: str, error: bool = False) -> None:
        """Show ``text`` in the status bar and append it to the Messages dock."""
        self.statusBar().showMessage(text, 8000)
        stamp = time.strftime("%H:%M:%S")
        body = html.escape(text)
        if error:
            body = f"<span style='color:#dc2626'>✖ {body}</span>"
        self.log.appendHtml(f"<span style='color:gray'>{stamp}</span>&nbsp;&nbsp;{body}")
        self._scroll_messages_to_end()  # the newest line is the one to read

    def _on_autosaver_saved(self, pipeline_id: int, version: int) -> None:
        tab = self.documents.get(pipeline_id)
        name = f"{tab.project} · {tab.name}" if tab else f"pipeline {pipeline_id}"
        self.save_label.setText(f"Saved · v{version}")
        self.save_label.setToolTip(
            f"{name} saved as version {version} at {time.strftime('%H:%M:%S')}"
        )

    def _on_autosaver_save_failed(self, pipeline_id: int, message: str) -> None:
        self.save_label.setText("Not saved")
        self.show_message(f"Could not save pipeline {pipeline_id}: {message}; retrying", error=True)

    def _on_autosaver_dirty_changed(self, dirty: bool) -> None:
        if dirty:
            self.save_label.setText("Saving…")

    # ============================================================== closing
    def _wait_for_readers(self, seconds: float = 5.0) -> None:
        """Let reads running in worker threads (the runs list, a stage's output preview)
        end before the workspace closes under them: a worker still reading while the
        interpreter shuts down crashes it."""
        for panel in self.findChildren(RunsPanel):
            panel.wait(seconds)
        self.runs.wait(seconds)  # the stage states of the latest run
        self.models_panel.wait(seconds)  # the registry read after a run
        if self.panels.trends is not None:  # built when first shown
            self.panels.trends.wait(seconds)
        preview = sys.modules.get("mlops_desktop.qt.runs.output_preview")
        if preview is not None:  # loaded with the first run view
            for widget in self.findChildren(preview.OutputPreview):
                widget.wait(int(seconds * 1000))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if self.runner.running:
            self.runner.cancel()
            self.runner.wait(30)
        self.panels.stop_trigger_timer()
        autosaver = self.state.autosaver
        if autosaver is not None and not autosaver.flush():
            if not dialogs.confirm(
                self,
                "Unsaved changes",
                "Some changes could not be saved.",
                "Quit anyway",
                "See the Messages panel for the reason.",
            ):
                event.ignore()
                return
        self.session.save_window(self._lens)
        self.session.save_tabs()
        self.documents.close_all()
        self._wait_for_readers()
        if self.state.workspace is not None:
            self.state.workspace.close()
            self.state.workspace = None
        self._gc_hold.release()  # no run thread is left to collect in
        event.accept()
