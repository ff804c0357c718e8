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
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent, QUndoGroup
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QUndoView,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.errors import MlopsError
from mlops_desktop.core.lifecycle import lifecycles
from mlops_desktop.core.validation import validate
from mlops_desktop.qt import colors, dialogs, main_menus
from mlops_desktop.qt.autosave import Autosaver
from mlops_desktop.qt.crosswalk_view import CrosswalkView
from mlops_desktop.qt.lifecycle_map import LifecycleMapView
from mlops_desktop.qt.main_commands import FileCommandsMixin
from mlops_desktop.qt.main_panels import PanelsMixin
from mlops_desktop.qt.main_runs import RunsMixin
from mlops_desktop.qt.main_session import SessionMixin
from mlops_desktop.qt.main_tabs import MIN_OPEN_ZOOM as MIN_OPEN_ZOOM  # re-exported
from mlops_desktop.qt.main_tabs import TabsMixin
from mlops_desktop.qt.models_panel import ModelsPanel
from mlops_desktop.qt.project_browser import ProjectBrowser
from mlops_desktop.qt.run_controller import RunController
from mlops_desktop.qt.runs_panel import RunsPanel
from mlops_desktop.qt.theme import ThemeManager
from mlops_desktop.qt.triggers_panel import TriggersPanel

if TYPE_CHECKING:
    from mlops_desktop.app.workspace import Workspace


def _style_start_here(frame: QFrame) -> None:
    """The "start here" banner in the current theme's colours."""
    frame.setStyleSheet(
        f"#start_here {{ background: {colors.css('banner_fill')};"
        f" border: 1px solid {colors.css('banner_border')}; border-radius: 6px; }}"
        f"#start_here QLabel {{ color: {colors.css('text')}; }}"
    )


class MainWindow(TabsMixin, SessionMixin, FileCommandsMixin, RunsMixin, PanelsMixin, QMainWindow):
    """The application window over one workspace."""

    workspace_changed = Signal(str)  # the workspace URL ("" when none)
    current_pipeline_changed = Signal()

    def __init__(
        self, settings: QSettings | None = None, theme: ThemeManager | None = None
    ) -> None:
        super().__init__()
        self.settings = settings if settings is not None else QSettings()
        self.theme = theme
        self.workspace: Workspace | None = None
        self.service: Any = None
        self.approvals: Any = None
        self.autosaver: Autosaver | None = None
        self._tabs_info: dict[int, dict[str, Any]] = {}  # pipeline id -> project, name, editor
        self._lens: str | None = None
        self.setWindowTitle("")  # Qt shows the application display name
        self.setDockNestingEnabled(True)
        self.undo_group = QUndoGroup(self)
        self.runner = RunController(self)
        self.runner.node_state_changed.connect(self._on_runner_node_state_changed)
        self.runner.log_line.connect(self.show_message)
        self.runner.started.connect(self._on_runner_started)
        self.runner.finished.connect(self._on_runner_finished)
        self._run_pipeline_id: int | None = None
        self._build_central()
        self._build_docks()
        main_menus.build_actions(self)
        main_menus.build_menus(self)
        main_menus.build_toolbar(self)
        self._build_status_bar()
        self._restore_settings()
        self._update_run_actions()
        # Pipeline commands wait for an open pipeline (a tab switch enables them).
        for action in (
            self.validate_action,
            self.export_action,
            self.export_image_action,
            self.export_report_action,
        ):
            action.setEnabled(self.current_editor() is not None)

    # ================================================================ building
    def _build_central(self) -> None:
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.setTabsClosable(True)
        self.tabs.setMovable(True)
        self.tabs.tabCloseRequested.connect(self._on_tabs_close_requested)
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)
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
        self.start_here = self._build_start_here()
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.start_here)
        column.addWidget(self.central, 1)
        self.setCentralWidget(holder)

    def _build_start_here(self) -> QFrame:
        """A short "start here" banner for a first run: what to drag, run and look at."""
        frame = QFrame()
        frame.setObjectName("start_here")
        frame.setFrameShape(QFrame.Shape.StyledPanel)
        _style_start_here(frame)
        text = self.start_here_text = QLabel()
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.RichText)
        close = QPushButton("Got it")
        close.clicked.connect(self._on_start_here_closed)
        row = QHBoxLayout(frame)
        row.setContentsMargins(10, 6, 10, 6)
        row.addWidget(text, 1)
        row.addWidget(close, 0, Qt.AlignmentFlag.AlignVCenter)
        frame.hide()
        return frame

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if hasattr(self, "start_here") and colors.scheme_changed_for(self, event):
            _style_start_here(self.start_here)

    def show_start_here(self) -> None:
        self._update_start_here()
        self.start_here.show()

    def _update_start_here(self) -> None:
        """Word the banner for the open pipeline (the sample or the user's own) and lens."""
        from mlops_desktop.qt.main_session import SAMPLE_PROJECT

        project = self.current_project() if self.service is not None else None
        if project == SAMPLE_PROJECT:
            what = "This sample pipeline trains, checks and serves a tumour classifier. "
        elif project:
            what = f"This is <b>{html.escape(project)}</b>. "
        else:
            what = "Open a pipeline from <b>Projects</b>, or create one with <b>File → New project…</b>. "
        lens = next((lc for lc in lifecycles() if lc.id == self._lens), None)
        if lens is None:
            switch = "Switch the <b>lifecycle lens</b> in the toolbar (AWS, Google, Azure)"
        else:
            switch = f"The {html.escape(lens.vendor)} lens shows its stages in that lifecycle's "
            switch += "phases; switch the <b>lifecycle lens</b> in the toolbar for another"
        self.start_here_text.setText(
            f"<b>Start here.</b> {what}"
            "<b>1.</b> Press <b>F5</b> to run it and watch each stage. "
            f"<b>2.</b> {switch}. "
            "<b>3.</b> <b>View → Panels</b>: <b>Runs</b> for metrics and plots, <b>Maturity</b> "
            "for your level in each vendor's model. <b>4.</b> <b>File → Export report…</b> "
            "writes it all up. Add stages by dragging them from <b>Stages</b> or pressing "
            "<b>Tab</b> on the canvas."
        )

    def _on_start_here_closed(self) -> None:
        self.start_here.hide()
        self.settings.setValue("ui/start_here_dismissed", True)

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        self.browser = ProjectBrowser()
        self.browser.pipeline_activated.connect(self.open_pipeline)
        self.browser.project_renamed.connect(self._on_browser_project_renamed)
        self.browser.project_deleted.connect(self._on_browser_project_deleted)
        self.browser.status_message.connect(self.show_message)
        self.projects_dock = self._dock("Projects", "projects_dock", self.browser, left)
        self.palette = self._make_palette()
        self.palette_dock = self._dock("Stages", "palette_dock", self.palette, left)
        self.inspector = self._make_inspector()
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
        self.runs_panel.run_opened.connect(self.open_run)
        self.runs_panel.compare_requested.connect(self.compare_runs)
        self.runs_panel.delete_requested.connect(self.delete_runs)
        self.runs_dock = self._dock("Runs", "runs_dock", self.runs_panel, bottom)
        self.run_view: Any = None
        self.run_view_dock: QDockWidget | None = None
        self.compare_view: Any = None
        self.compare_dock: QDockWidget | None = None
        self.models_panel = ModelsPanel()
        self.models_dock = self._dock("Models", "models_dock", self.models_panel, bottom)
        self.triggers_panel = TriggersPanel()
        self.triggers_panel.run_activated.connect(self.open_run)
        self.triggers_panel.fire_requested.connect(self._on_triggers_panel_fire_requested)
        self.triggers_panel.triggers_changed.connect(self._on_triggers_panel_triggers_changed)
        self.triggers_dock = self._dock("Triggers", "triggers_dock", self.triggers_panel, bottom)
        self.triggers_dock.visibilityChanged.connect(self._on_triggers_dock_visibility_changed)
        self._triggers_stale = True
        # The maturity view is built when its panel is first shown (it is heavy to import).
        self.maturity: Any = None
        self._maturity_holder = QWidget()
        QVBoxLayout(self._maturity_holder).setContentsMargins(0, 0, 0, 0)
        self.maturity_dock = self._dock("Maturity", "maturity_dock", self._maturity_holder, bottom)
        self.maturity_dock.visibilityChanged.connect(self._on_maturity_dock_visibility_changed)
        self._maturity_stale = True
        # Trends (a metric across runs, drift over time) are built when first shown too.
        self.trends: Any = None
        self._trends_holder = QWidget()
        QVBoxLayout(self._trends_holder).setContentsMargins(0, 0, 0, 0)
        self.trends_dock = self._dock("Trends", "trends_dock", self._trends_holder, bottom)
        self.trends_dock.visibilityChanged.connect(self._on_trends_dock_visibility_changed)
        self._trends_stale = True
        self.trigger_timer: Any = None
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
        self.panels_menu.addAction(dock.toggleViewAction())
        return dock

    def bottom_docks(self) -> list[QDockWidget]:
        """The docks that share the bottom area (runs, plots, maturity, messages...)."""
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        return [
            d
            for d in self.findChildren(QDockWidget)
            if d.parent() is self and self.dockWidgetArea(d) == bottom
        ]

    def _apply_default_dock_sizes(self) -> None:
        """Sensible first-run sizes: narrow side panels and most of the window for the canvas."""
        horizontal, vertical = Qt.Orientation.Horizontal, Qt.Orientation.Vertical
        height = max(self.height(), 600)
        # Wide enough for a template pipeline's name; the palette gets more height than the
        # (usually short) project list.
        side = 250 if self.width() >= 1400 else 230
        self.resizeDocks([self.projects_dock, self.inspector_dock], [side, side + 30], horizontal)
        self.resizeDocks(
            [self.projects_dock, self.palette_dock],
            [int(height * 0.22), int(height * 0.53)],
            vertical,
        )
        # The inspector needs the room; the undo history is a short list.
        self.resizeDocks(
            [self.inspector_dock, self.history_dock],
            [int(height * 0.6), int(height * 0.12)],
            vertical,
        )

    def showEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt override
        super().showEvent(event)
        if not self._sized:
            self._sized = True
            if not self._restored_state:
                self._apply_default_dock_sizes()

    def _make_palette(self) -> QWidget:
        try:
            from mlops_desktop.qt.palette import StagePalette
        except ImportError:
            return QLabel("The stage palette is not available.")
        return StagePalette()

    def _make_inspector(self) -> QWidget:
        try:
            from mlops_desktop.qt.inspector import NodeInspector
        except ImportError:
            return QLabel("The inspector is not available.")
        return NodeInspector()

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
        self._create_sample_project()
        shown = self._short_location(getattr(workspace, "display_name", "") or workspace.url)
        self.show_message(f"Opened workspace {shown} in {time.perf_counter() - started:.2f} s")
        return True

    def set_workspace(self, workspace: Workspace | None, location: str | None = None) -> None:
        """Show ``workspace`` (closing the current one and its tabs first)."""
        from mlops_desktop.app.projects import ProjectService

        if self.runner.running:
            self.runner.cancel()
            self.runner.wait(30)
        self._stop_trigger_timer()
        self._save_session()
        self.close_all_tabs()
        if self.workspace is not None:
            self.workspace.close()
        self.workspace = workspace
        for name in ("maturity", "trends"):  # built again for the new workspace when shown
            view = getattr(self, name)
            if view is not None:
                view.setParent(None)
                view.deleteLater()
                setattr(self, name, None)
        self._trends_stale = True
        self.triggers_panel.load(None, None)
        self._triggers_stale = True
        self.service = ProjectService(workspace) if workspace is not None else None
        if self.service is not None:
            self.autosaver = Autosaver(self.service.save_pipeline, parent=self)
            self.autosaver.saved.connect(self._on_autosaver_saved)
            self.autosaver.save_failed.connect(self._on_autosaver_save_failed)
            self.autosaver.dirty_changed.connect(self._on_autosaver_dirty_changed)
        self.browser.set_service(self.service, workspace)
        url = workspace.url if workspace is not None else ""
        shown = self._short_location(getattr(workspace, "display_name", "") or url)
        self.workspace_label.setText(f"Workspace: {shown}" if url else "No workspace")
        self.workspace_label.setToolTip(shown)
        # Qt appends the application's display name itself on most platforms.
        self.setWindowTitle(shown if url else "")
        if workspace is not None:
            self._remember_workspace(location or url)
            self._restore_session()
            if os.environ.get("MLOPS_DESKTOP_NO_TRIGGERS") != "1":
                self._start_trigger_timer()
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

    # ================================================================ lenses
    def set_lens(self, lens_id: str | None) -> None:
        """Draw lifecycle ``lens_id`` behind every open pipeline (None: no lens)."""
        if lens_id not in self.lens_actions:
            lens_id = None
        self._lens = lens_id
        self.lens_actions[lens_id].setChecked(True)
        for info in self._tabs_info.values():
            if hasattr(info["editor"], "set_lens"):
                info["editor"].set_lens(lens_id)
        self.lifecycle_map.set_lens(lens_id)
        if hasattr(self, "start_here_text"):
            self._update_start_here()

    @property
    def lens(self) -> str | None:
        return self._lens

    def set_theme(self, mode: str) -> None:
        if self.theme is not None:
            self.theme.set_mode(mode)
            self.settings.setValue("view/theme", mode)
        self.theme_actions[mode].setChecked(True)

    # ========================================================== cross-views
    def select_stages(self, node_ids: list[str]) -> None:
        editor = self.current_editor()
        if editor is not None and hasattr(editor, "select_nodes"):
            editor.select_nodes(list(node_ids))

    def _on_map_phase_activated(self, lens_id: str, phase_id: str, node_ids: list) -> None:
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
        if opening and not dock.isFloating():
            # Plots, maturity charts and the lifecycle map need height to be read.
            share = 0.42 if self.height() >= 800 else 0.38
            self.resizeDocks([dock], [int(self.height() * share)], Qt.Orientation.Vertical)
        if dock is self.messages_dock:
            self._scroll_messages_to_end()

    def _scroll_messages_to_end(self) -> None:
        bar = self.log.verticalScrollBar()
        bar.setValue(bar.maximum())

    # ============================================================ commands
    def validate_current(self) -> list:
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
        info = self._tabs_info.get(pipeline_id)
        name = f"{info['project']} · {info['name']}" if info else f"pipeline {pipeline_id}"
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
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if self.runner.running:
            self.runner.cancel()
            self.runner.wait(30)
        self._stop_trigger_timer()
        if self.autosaver is not None and not self.autosaver.flush():
            if not dialogs.confirm(
                self,
                "Unsaved changes",
                "Some changes could not be saved.",
                "Quit anyway",
                "See the Messages panel for the reason.",
            ):
                event.ignore()
                return
        self.save_settings()
        self._save_session()
        self.close_all_tabs()
        if self.workspace is not None:
            self.workspace.close()
            self.workspace = None
        event.accept()
