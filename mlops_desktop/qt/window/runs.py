"""Running from the main window: the Run menu's commands and what a run shows.

:class:`RunsController` starts runs through the window's
:class:`~mlops_desktop.qt.runs.controller.RunController`, paints node states on the run's
canvas, and refreshes the runs list, the Run view and the lifecycle map.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QDockWidget, QFrame, QLabel, QMainWindow, QScrollArea, QWidget

from mlops_desktop.core.entities import StageStatus
from mlops_desktop.core.errors import MlopsError
from mlops_desktop.core.validation import validate
from mlops_desktop.qt import dialogs
from mlops_desktop.qt.background import BackgroundReads
from mlops_desktop.qt.window.fix_offer import FixOffer
from mlops_desktop.qt.window.run_panel import FillScrollArea

NEXT_TURN_MS = 5  # a later turn of the event loop, after the window has painted

if TYPE_CHECKING:
    from mlops_desktop.app.workspace import Workspace
    from mlops_desktop.core.entities import Run
    from mlops_desktop.core.graph import Pipeline
    from mlops_desktop.qt.document.editor import PipelineEditor
    from mlops_desktop.qt.lifecycle.map_view import LifecycleMapView
    from mlops_desktop.qt.operate.approval_dialog import DialogApprovalProvider
    from mlops_desktop.qt.plots.compare import RunComparisonView
    from mlops_desktop.qt.runs.controller import RunController
    from mlops_desktop.qt.runs.panel import RunsPanel
    from mlops_desktop.qt.runs.view import RunView
    from mlops_desktop.qt.window.actions import WindowActions
    from mlops_desktop.qt.window.host import OpenWorkspace, WindowHost
    from mlops_desktop.qt.window.tabs import DocumentTabs


def scrolled(widget: QWidget) -> QScrollArea:
    """``widget`` in a scroll area, so a big panel never forces its dock to grow."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(widget)
    return area


class RunsController(QObject):
    """Run, Run selected, Run from here, Run without cache, Cancel; the Run and Compare
    panels and the runs list."""

    # The run history changed: a run finished (its id) or runs were deleted (None).
    history_changed = Signal(object)

    def __init__(
        self,
        host: WindowHost,
        state: OpenWorkspace,
        documents: DocumentTabs,
        runner: RunController,
        acts: WindowActions,
        runs_panel: RunsPanel,
        run_label: QLabel,
        lifecycle_map: LifecycleMapView,
    ) -> None:
        super().__init__(runner)
        self._host = host
        self._state = state
        self._documents = documents
        self.runner = runner
        self._acts = acts
        self._runs_panel = runs_panel
        self._run_label = run_label
        self._map = lifecycle_map
        lifecycle_map.run_activated.connect(self.open_run)
        self.approvals: DialogApprovalProvider | None = None
        self.run_pipeline_id: int | None = None  # the pipeline of the run going on
        self.run_view: RunView | None = None
        self.run_view_dock: QDockWidget | None = None
        self.compare_view: RunComparisonView | None = None
        self.compare_dock: QDockWidget | None = None
        window = host.window()
        self.fix_offer = FixOffer(
            host, state, documents, window.statusBar() if isinstance(window, QMainWindow) else None
        )
        runner.node_state_changed.connect(self._on_runner_node_state_changed)
        runner.log_line.connect(host.show_message)
        runner.started.connect(self._on_runner_started)
        runner.start_failed.connect(self._on_runner_start_failed)
        runner.finished.connect(self.on_runner_finished)
        # Reads of the latest run's stage states (older ones dropped).
        self._states_reads = BackgroundReads("mlops-run-states", self)
        self._states_reads.arrived.connect(self._on_states_read)
        # The Run panel shows a run just started in a later turn of the event loop: the
        # window first paints what starting it changed (a turn each keeps both short).
        self._show_started = QTimer(self)
        self._show_started.setSingleShot(True)
        self._show_started.setInterval(NEXT_TURN_MS)
        self._show_started.timeout.connect(self._show_started_run)
        self._started_id = 0  # the run it shows
        self._fill_started = QTimer(self)  # ...in the turn after the panel appeared
        self._fill_started.setSingleShot(True)
        self._fill_started.setInterval(NEXT_TURN_MS)
        self._fill_started.timeout.connect(self._fill_started_run)
        self._preparing = False  # the Run panel is being made in short turns
        self._show_when_prepared = False  # ...and shows the run started once made
        self._stage_running = False  # a stage of the run started has started
        # Points the run started logs before the Run panel shows it (the panel is made or
        # appears in later turns), given to the panel in order when it does.
        self._early_points: list[tuple[Any, ...]] | None = None
        runner.metrics_logged.connect(self._keep_early_points)

    def _prepare_run_view(self) -> None:
        """Make the Run panel in short turns (its modules imported on a background thread
        first), then show the run going on: made at once, it froze the window for
        150-400 ms at the start of a run. The run starts meanwhile; its worker imports its
        own libraries for longer than this takes."""
        if self._preparing:
            return
        self._preparing = True
        from mlops_desktop.app.prewarm import start_prewarm
        from mlops_desktop.qt.window import run_panel_prep as prep

        thread = None if prep.panel_imported() else start_prewarm(prep.PANEL_MODULES)
        steps = prep.panel_steps(self, self._host.window())
        # Made once the run is written and handed over: both take the interpreter.
        steps.append(self._on_run_view_prepared)
        prep.PanelSteps(self, steps, thread, prep.STEP_MS, lambda: self.runner.being_written)

    def _keep_early_points(self, *points: Any) -> None:
        if self._early_points is not None:
            self._early_points.append(points)

    def _on_run_view_prepared(self) -> None:
        """The Run panel is made: it shows the run started meanwhile as if it had been
        there from the start, or, when the run ended meanwhile, as it ended."""
        self._preparing = False
        if not self._show_when_prepared:
            return
        self._show_when_prepared = False
        if not self.runner.running:
            self._open_started_run()
            return
        self._show_started_run()

    def _show_created(self, view: RunView, workspace: Workspace, run: Run) -> None:
        """Show the run just started in the Run panel, with what it did before the panel
        showed it: its first stage running, its points so far (in order)."""
        view.show_created(workspace, run)
        if self._stage_running:
            view.mark_running(run.id)
        early, self._early_points = self._early_points or [], None
        for points in early:
            view.on_metrics_logged(*points)

    def ensure_approvals(self) -> DialogApprovalProvider:
        """The dialog that asks for approvals (made on first use, shared with triggers)."""
        if self.approvals is None:
            from mlops_desktop.qt.operate.approval_dialog import DialogApprovalProvider

            self.approvals = DialogApprovalProvider(self._host.window())
            self.runner.approvals = self.approvals
        return self.approvals

    def run_pipeline(
        self, *, selected: bool = False, from_selected: bool = False, force: bool = False
    ) -> bool:
        """Run the open pipeline (or its selected stages, or from the selected stage); True
        when the run is starting (the runner's ``started`` then gives its id)."""
        tab, workspace = self._documents.current(), self._state.workspace
        if tab is None or workspace is None or self.runner.running:
            return False
        editor, pipeline = tab.editor, tab.pipeline
        from mlops_desktop.app.data_checks import data_problems

        problems = validate(pipeline) + data_problems(pipeline)
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            for p in errors:
                self._host.show_message(p.message, error=True)
            self._host.show_message(
                f"Not run: fix the {len(errors)} problem(s) above first", error=True
            )
            self._host.show_dock(self._host.messages_dock)
            return False
        if not self._code_trusted(pipeline):
            return False
        chosen = list(editor.selected_node_ids()) if (selected or from_selected) else []
        if (selected or from_selected) and not chosen:
            self._host.show_message("Select the stage(s) to run first", error=True)
            return False
        self.ensure_approvals()
        if self.run_view is None:  # Run pressed before the prewarm made the Run panel
            self._prepare_run_view()
        else:
            self.ensure_run_view().make_room_for_run()
        assert self._state.autosaver is not None
        self._state.autosaver.flush()
        editor.clear_states()
        self.run_pipeline_id = tab.pipeline_id
        try:
            self.runner.start(
                workspace,
                tab.project,
                tab.name,
                pipeline,
                nodes=chosen if selected else None,
                from_node=chosen[0] if from_selected else None,
                force=force,
            )
        except MlopsError as exc:
            self._on_runner_start_failed(str(exc))
            return False
        self.update_actions()  # Run off, Cancel on: the run may still be being written
        if self.runner.being_written:  # said at once: its id comes when it is written
            self._run_label.setText("Starting a run…")
            self._run_label.show()
        return True

    def _code_trusted(self, pipeline: Pipeline) -> bool:
        """Ask once before a pipeline runs code of its own (Python function stages) that
        this workspace has not trusted yet; remember the answer."""
        from mlops_desktop.app.trust import trust, untrusted_code

        workspace = self._state.workspace
        assert workspace is not None
        pieces = untrusted_code(workspace, pipeline)
        if not pieces:
            return True
        if not dialogs.confirm(
            self._host.window(),
            "Run code from this pipeline?",
            "This pipeline runs Python code that this workspace has not trusted yet:",
            "Trust and run",
            "\n".join(f"• {p}" for p in pieces)
            + "\n\nOnly trust code from people you trust: it runs with your permissions.",
        ):
            self._host.show_message("Not run: the pipeline's code is not trusted", error=True)
            return False
        trust(workspace, pipeline)
        return True

    def cancel_run(self) -> None:
        self.runner.cancel()

    def make_run_view(self) -> RunView:
        """The Run panel's view, made on first use but not yet in a dock (the window's
        layout does not change: the app makes it at idle, before the first run)."""
        if self.run_view is None:
            from mlops_desktop.qt.runs.view import RunView

            # A hidden child of the window until its dock takes it (deleted with the window).
            self.run_view = RunView(self._host.window())
            self.run_view.hide()
            # Points of the running run are drawn as they come (the view ignores other runs).
            self.runner.metrics_logged.connect(self.run_view.on_metrics_logged)
            self.fix_offer.attach(self.run_view)  # "Insert … before …" after a failure
        return self.run_view

    def ensure_run_view(self) -> RunView:
        """The Run panel's view, made (with its dock, not shown) on first use."""
        view = self.make_run_view()
        if self.run_view_dock is None:
            self.run_view_dock = self._host.add_panel(
                "Run", "run_view_dock", FillScrollArea(view, view.tabs)
            )
        return view

    def dock_run_view_hidden(self) -> None:
        """Give the Run panel its dock now, hidden (the app does this at idle): adding a
        dock lays the window's bottom area out again, 25-35 ms the first run's start would
        otherwise wait for. Nothing on screen changes; the first run shows it."""
        if self.run_view_dock is None:
            self.ensure_run_view()
            assert self.run_view_dock is not None
            self.run_view_dock.hide()

    def open_run(self, run_id: int) -> None:
        """Show one run (metrics, diagnostics, logs) in the Run panel, read on a reader
        thread (a run's long series held the GUI thread as long as they took to read)."""
        if self._state.workspace is None:
            return
        self.ensure_run_view().load_in_background(self._state.workspace, run_id)
        assert self.run_view_dock is not None
        self._host.show_dock(self.run_view_dock)

    def compare_runs(self, run_ids: list[int]) -> None:
        """Show several runs side by side (metrics table, overlaid series, parameters)."""
        if self._state.workspace is None or len(run_ids) < 2:
            return
        if self.compare_view is None:
            from mlops_desktop.qt.plots.compare import RunComparisonView

            self.compare_view = RunComparisonView()
            self.compare_dock = self._host.add_panel(
                "Compare runs", "compare_dock", scrolled(self.compare_view)
            )
        # Read off the GUI thread: a read error shows in the panel's title.
        self.compare_view.load(self._state.workspace, run_ids)
        assert self.compare_dock is not None
        self._host.show_dock(self.compare_dock)

    def delete_runs(self, run_ids: list[int], ask: bool = True) -> int:
        """Delete runs of the current project after confirmation; returns how many."""
        tab, workspace = self._documents.current(), self._state.workspace
        if workspace is None or tab is None or not run_ids:
            return 0
        project = tab.project
        # the runs table's rows carry each run's number in the project (#n)
        numbers = {row["id"]: row.get("number") for row in self._runs_panel.model.rows}
        shown = sorted(numbers.get(i) or i for i in run_ids)
        listed = ", ".join(f"#{n}" for n in shown[:8])
        more = f" and {len(run_ids) - 8} more" if len(run_ids) > 8 else ""
        if ask and not dialogs.confirm(
            self._host.window(),
            "Delete runs",
            f"Delete {len(run_ids)} run(s) of '{project}' ({listed}{more}) with their stages, "
            "logs and metrics?",
            "Delete runs",
            "This cannot be undone. Runs that registered or deployed a model are kept. "
            "File → Clean up workspace… then frees their files.",
        ):
            return 0
        from mlops_desktop.app.runs import RunService

        try:
            count = RunService(workspace).delete_runs(project, run_ids)
        except MlopsError as exc:
            dialogs.show_error(self._host.window(), f"Cannot delete the runs: {exc}")
            return 0
        self._host.show_message(f"Deleted {count} run(s) of '{project}'")
        self.reload_runs(background=False)
        self.history_changed.emit(None)
        return count

    def reload_runs(self, background: bool = True) -> None:
        """Read the current project's runs into the runs panel (in a worker thread unless
        ``background`` is False)."""
        tab, workspace = self._documents.current(), self._state.workspace
        if workspace is None or tab is None:
            self._runs_panel.set_rows([])
            return
        try:
            if background:
                self._runs_panel.load_in_background(workspace, tab.project)
            else:
                self._runs_panel.load(workspace, tab.project)
        except MlopsError as exc:
            self._host.show_message(f"Cannot list the runs: {exc}", error=True)

    def update_actions(self) -> None:
        """Enable the run commands that can run now."""
        running = self.runner.running
        editor = self._documents.current_editor()
        can_run = editor is not None and not running
        selected = can_run and editor is not None and bool(editor.selected_node_ids())
        self._acts.run.setEnabled(can_run)
        self._acts.run_force.setEnabled(can_run)
        self._acts.run_selected.setEnabled(selected)
        self._acts.run_from.setEnabled(selected)
        self._acts.cancel_run.setEnabled(running)

    def refresh_run_states(self, background: bool = False) -> None:
        """Colour the lifecycle map and the stages' badges by the pipeline's latest run (so a
        restart shows what the last run did); with ``background``, read in a worker thread
        and colour when the read arrives."""
        tab, workspace = self._documents.current(), self._state.workspace
        if tab is None or workspace is None:
            return
        project, pipeline_id = tab.project, tab.pipeline_id
        badges = pipeline_id != self.run_pipeline_id  # a running pipeline's badges come live

        def read() -> Any:
            from mlops_desktop.app.plot_data import loop_events
            from mlops_desktop.app.runs import RunService

            try:
                states = RunService(workspace).latest_stage_states(project, pipeline_id)
                events = loop_events(workspace, project) if states is not None else []
            except Exception:  # noqa: BLE001 - a closed workspace: nothing to colour
                return None
            return pipeline_id, badges, states, events

        if not background:
            self._states_reads.supersede()
            self._on_states_read(self._states_reads.number, read())
            return
        self._states_reads.start(read)

    def _on_states_read(self, number: int, result: Any) -> None:
        tab = self._documents.current()
        if not self._states_reads.is_latest(number) or result is None or tab is None:
            return  # a newer read is on its way, or nothing to show
        pipeline_id, badges, states, events = result
        if states is None or tab.pipeline_id != pipeline_id:
            return
        # The stages' states, and the loop as it happened on the map's loop arc.
        self._map.set_stage_states(states, events)
        if badges:
            for node_id, status in states.items():
                if node_id in tab.pipeline.nodes:
                    tab.editor.set_node_state(node_id, status)

    def wait(self, timeout: float = 5.0) -> bool:
        """Block until no background read of stage states or of the shown run runs (the
        workspace closes)."""
        done = self._states_reads.wait(timeout)
        for view in (self.run_view, self.compare_view):
            if view is not None:
                done = view.wait(timeout) and done
        return done

    def run_editor(self) -> PipelineEditor | None:
        """The editor of the pipeline that is running (None when no run goes on)."""
        tab = self._documents.get(self.run_pipeline_id)
        return tab.editor if tab is not None else None

    def _on_runner_node_state_changed(
        self, node_id: str, status: StageStatus, progress: float | None
    ) -> None:
        editor = self.run_editor()
        if editor is not None:
            editor.set_node_state(node_id, status, progress)
        if status is StageStatus.RUNNING:
            self._stage_running = True
            if self.run_view is not None:
                self.run_view.mark_running(self.runner.run_id)  # read while still queued

    def _on_runner_started(self, run_id: int) -> None:
        self.fix_offer.clear()
        self.update_actions()
        self._run_label.setText(f"Running {self.runner.run_label or f'#{run_id}'}…")
        self._run_label.show()
        self._started_id = run_id
        self._stage_running = False
        self._early_points = []  # until the Run panel shows the run
        self._show_started.start()

    def _on_runner_start_failed(self, reason: str) -> None:
        self._host.show_message(f"Cannot start the run: {reason}", error=True)
        self._run_label.hide()
        self.run_pipeline_id = None
        self.update_actions()

    def _show_started_run(self) -> None:
        """The Run panel follows the run just started (its metrics plot live), shown as
        created: nothing to read yet."""
        self._show_started.stop()
        if self._preparing:  # shown once made
            self._show_when_prepared = True
            return
        run, workspace = self.runner.created_run, self._state.workspace
        if run is None or run.id != self._started_id or workspace is None:
            self._open_started_run()
            return
        view = self.ensure_run_view()
        dock = self.run_view_dock
        assert dock is not None
        if not dock.isVisible():
            # The panel appears first (the window lays itself out again and paints it), the
            # run in it a turn later: in one turn they stalled the window 50-80 ms.
            self._host.show_dock(dock)
            self._fill_started.start()
            return
        self._show_created(view, workspace, run)
        self._host.show_dock(dock)

    def _open_started_run(self) -> None:
        """Show the run started as the workspace has it (it ended, or went on, before the
        Run panel could show it as created): its points come from there, not kept ones."""
        self._early_points = None
        self.open_run(self._started_id)

    def _fill_started_run(self) -> None:
        """The run just started, in the Run panel that appeared a turn before."""
        self._fill_started.stop()
        run, workspace, view = self.runner.created_run, self._state.workspace, self.run_view
        if workspace is None or view is None:
            return
        if run is not None and run.id == self._started_id:
            self._show_created(view, workspace, run)
        else:  # it ended meanwhile
            self._open_started_run()

    def on_runner_finished(self, run_id: int, status: str, message: str) -> None:
        """A run ended: show its status, its row, its stages' states and its final view."""
        if self._show_started.isActive():  # ended before the Run panel showed it
            self._show_started_run()
        if self._fill_started.isActive():  # ...or before it showed the run in it
            self._fill_started_run()
        self._early_points = None  # read back from the workspace from now on
        self.update_actions()
        self._run_label.hide()
        label = self.runner.run_label or f"#{run_id}"
        text = f"Run {label} {status}" + (f": {message}" if message else "")
        if status == "kept_out":  # "Run #3 kept out: champion m v2 stays (...)": no error
            text = f"Run {label} {message or 'kept out'}"
        self._host.show_message(text, error=status not in ("succeeded", "kept_out"))
        if self._documents.current_editor() is self.run_editor():
            self.refresh_run_states(background=True)  # the map: read off the GUI thread
        # That run's row only, read in a worker thread: the rest of the table stays as it is.
        self._runs_panel.update_in_background([run_id])
        self.history_changed.emit(run_id)
        view = self.run_view
        workspace = self._state.workspace
        if view is not None and view.run is not None and view.run.id == run_id and workspace:
            # Final status, stages and stored series, read off the GUI thread.
            view.load_in_background(workspace, run_id)
        if status == "failed":  # "add a Feature engineering stage": offer to insert it
            self.fix_offer.offer(run_id, self.run_pipeline_id)
        self.run_pipeline_id = None
