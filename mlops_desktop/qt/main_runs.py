"""Running from the main window: the Run menu's commands and what a run shows.

A mixin of :class:`mlops_desktop.qt.main_window.MainWindow`: it starts runs through the
window's :class:`~mlops_desktop.qt.run_controller.RunController`, paints node states on the
run's canvas, and refreshes the runs list, the run view and the lifecycle map.
"""

from __future__ import annotations

from typing import Any

from mlops_desktop.core.errors import MlopsError
from mlops_desktop.core.validation import validate
from mlops_desktop.qt import dialogs
from mlops_desktop.qt.main_panels import scrolled


class RunsMixin:
    """Run, Run selected, Run from here, Run without cache, Cancel; the runs panels."""

    def run_pipeline(
        self, *, selected: bool = False, from_selected: bool = False, force: bool = False
    ) -> int | None:
        """Run the open pipeline (or its selected stages, or from the selected stage)."""
        editor, info = self.current_editor(), self._current_info()
        if editor is None or info is None or self.workspace is None or self.runner.running:
            return None
        pipeline = info["pipeline"]
        from mlops_desktop.app.data_checks import data_problems

        problems = validate(pipeline) + data_problems(pipeline)
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            for p in errors:
                self.show_message(p.message, error=True)
            self.show_message(f"Not run: fix the {len(errors)} problem(s) above first", error=True)
            self.show_dock(self.messages_dock)
            return None
        if not self._code_trusted(pipeline):
            return None
        chosen = list(editor.selected_node_ids()) if (selected or from_selected) else []
        if (selected or from_selected) and not chosen:
            self.show_message("Select the stage(s) to run first", error=True)
            return None
        if self.approvals is None:
            from mlops_desktop.qt.approval_dialog import DialogApprovalProvider

            self.approvals = DialogApprovalProvider(self)
            self.runner.approvals = self.approvals
        assert self.autosaver is not None
        self.autosaver.flush()
        editor.clear_states()
        self._run_pipeline_id = int(editor.property("pipeline_id"))
        try:
            return self.runner.start(
                self.workspace,
                info["project"],
                info["name"],
                pipeline,
                nodes=chosen if selected else None,
                from_node=chosen[0] if from_selected else None,
                force=force,
            )
        except MlopsError as exc:
            self.show_message(f"Cannot start the run: {exc}", error=True)
            self._run_pipeline_id = None
            return None

    def _code_trusted(self, pipeline: Any) -> bool:
        """Ask once before a pipeline runs code of its own (Python function stages) that
        this workspace has not trusted yet; remember the answer."""
        from mlops_desktop.app.trust import trust, untrusted_code
        from mlops_desktop.qt import dialogs

        pieces = untrusted_code(self.workspace, pipeline)
        if not pieces:
            return True
        if not dialogs.confirm(
            self,
            "Run code from this pipeline?",
            "This pipeline runs Python code that this workspace has not trusted yet:",
            "Trust and run",
            "\n".join(f"• {p}" for p in pieces)
            + "\n\nOnly trust code from people you trust: it runs with your permissions.",
        ):
            self.show_message("Not run: the pipeline's code is not trusted", error=True)
            return False
        trust(self.workspace, pipeline)
        return True

    def cancel_run(self) -> None:
        self.runner.cancel()

    def open_run(self, run_id: int) -> None:
        """Show one run (metrics, diagnostics, logs) in the Run panel."""
        if self.workspace is None:
            return
        if self.run_view is None:
            from mlops_desktop.qt.run_view import RunView

            self.run_view = RunView()
            self.run_view_dock = self.add_panel("Run", "run_view_dock", scrolled(self.run_view))
            # Points of the running run are drawn as they come (the view ignores other runs).
            self.runner.metrics_logged.connect(self.run_view.on_metrics_logged)
        self.run_view.load(self.workspace, run_id)
        self.show_dock(self.run_view_dock)

    def compare_runs(self, run_ids: list[int]) -> None:
        """Show several runs side by side (metrics table, overlaid series, parameters)."""
        if self.workspace is None or len(run_ids) < 2:
            return
        if self.compare_view is None:
            from mlops_desktop.qt.plots.compare import RunComparisonView

            self.compare_view = RunComparisonView()
            self.compare_dock = self.add_panel(
                "Compare runs", "compare_dock", scrolled(self.compare_view)
            )
        try:
            self.compare_view.load(self.workspace, run_ids)
        except MlopsError as exc:
            self.show_message(f"Cannot compare the runs: {exc}", error=True)
            return
        self.show_dock(self.compare_dock)

    def delete_runs(self, run_ids: list[int], ask: bool = True) -> int:
        """Delete runs of the current project after confirmation; returns how many."""
        project = self.current_project()
        if self.workspace is None or project is None or not run_ids:
            return 0
        listed = ", ".join(f"#{i}" for i in sorted(run_ids)[:8])
        more = f" and {len(run_ids) - 8} more" if len(run_ids) > 8 else ""
        if ask and not dialogs.confirm(
            self,
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
            count = RunService(self.workspace).delete_runs(project, run_ids)
        except MlopsError as exc:
            dialogs.show_error(self, f"Cannot delete the runs: {exc}")
            return 0
        self.show_message(f"Deleted {count} run(s) of '{project}'")
        self._reload_runs(background=False)
        self.refresh_trends()
        self._maturity_stale = True  # run history is evidence
        return count

    def _reload_runs(self, background: bool = True) -> None:
        """Read the current project's runs into the runs panel (in a worker thread unless
        ``background`` is False)."""
        project = self.current_project()
        if self.workspace is None or project is None:
            self.runs_panel.set_rows([])
            return
        try:
            if background:
                self.runs_panel.load_in_background(self.workspace, project)
            else:
                self.runs_panel.load(self.workspace, project)
        except MlopsError as exc:
            self.show_message(f"Cannot list the runs: {exc}", error=True)

    def _update_run_actions(self) -> None:
        running = self.runner.running
        editor = self.current_editor()
        can_run = editor is not None and not running
        selected = can_run and bool(editor.selected_node_ids())
        self.run_action.setEnabled(can_run)
        self.run_force_action.setEnabled(can_run)
        self.run_selected_action.setEnabled(selected)
        self.run_from_action.setEnabled(selected)
        self.cancel_run_action.setEnabled(running)

    def _run_editor(self) -> Any:
        info = self._tabs_info.get(self._run_pipeline_id or -1)
        return info["editor"] if info is not None else None

    def _on_runner_node_state_changed(self, node_id: str, status: Any, progress: Any) -> None:
        editor = self._run_editor()
        if editor is not None:
            editor.set_node_state(node_id, status, progress)

    def _on_runner_started(self, run_id: int) -> None:
        self._update_run_actions()
        self.run_label.setText(f"Running #{run_id}…")
        self.run_label.show()
        self.open_run(run_id)  # the Run panel follows the run: its metrics plot live

    def _on_runner_finished(self, run_id: int, status: str, message: str) -> None:
        self._update_run_actions()
        self.run_label.hide()
        text = f"Run #{run_id} {status}" + (f": {message}" if message else "")
        self.show_message(text, error=status != "succeeded")
        if self.current_editor() is self._run_editor():
            self.refresh_run_states()
        try:  # that run's row only: the rest of the table stays as it is
            self.runs_panel.update_runs([run_id])
        except MlopsError as exc:
            self.show_message(f"Cannot list the run: {exc}", error=True)
        self.refresh_trends(run_id)
        view = self.run_view
        if view is not None and view.run is not None and view.run.id == run_id:
            view.load(self.workspace, run_id)  # final status, stages and stored series
        self._run_pipeline_id = None
