"""TriggersPanel: what starts a project's pipelines, and what each firing did.

The upper table lists the triggers of the project's pipelines (on/off, type, when it fires,
when a schedule fires next, whether it was declared in the pipeline file or added here);
Add…, Edit… (or a double-click), Remove, Fire now and the on/off box act on them. The lower table is the firing
history, newest first: started a run, queued behind a running one, joined a waiting firing,
or failed (with the reason); double-clicking a firing opens its run.

Triggers declared in a pipeline file (``meta["triggers"]``) are synchronised into the
workspace when the panel loads; they can be switched off here but are removed by editing
the pipeline, so Remove is disabled for them.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6 import QtCore, QtWidgets

from mlops_desktop.app.trigger_text import describe_trigger, next_fire, outcome_text, type_title
from mlops_desktop.core.errors import MlopsError
from mlops_desktop.core.operate_entities import Trigger, TriggerEvent, TriggerType
from mlops_desktop.qt import colors
from mlops_desktop.qt.tables import fill_table, read_only_table

if TYPE_CHECKING:
    from mlops_desktop.app.triggers import TriggerService
    from mlops_desktop.app.workspace import Workspace

Qt = QtCore.Qt
TRIGGER_COLUMNS = ("On", "Pipeline", "Fires on", "When", "Next", "From")
EVENT_COLUMNS = ("Fired", "Pipeline", "Trigger", "Outcome", "Run")
OUTCOME_COLOURS = {
    "started": "#1a7f37",
    "queued": "#9a6700",
    "coalesced": "#6e7781",
    "failed": "#cf222e",
}
HISTORY_LIMIT = 200


def _when(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone().strftime("%Y-%m-%d %H:%M")


class TriggersPanel(QtWidgets.QWidget):
    """A project's triggers and their firing history."""

    run_activated = QtCore.Signal(int)  # a firing's run was double-clicked
    fire_requested = QtCore.Signal(str, str, str, object)  # project, pipeline, type, trigger id
    triggers_changed = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._workspace: Workspace | None = None
        self._project: str | None = None
        self._triggers: list[Trigger] = []
        self._events: list[TriggerEvent] = []
        self._pipeline_names: dict[int, str] = {}
        self._refused: dict[str, list[str]] = {}  # pipeline -> declarations not used
        self._filling = False
        self.current_pipeline: str | None = None  # the window's current tab's pipeline
        # Replaceable for embedding (and tests): ask yes/no, show an error, the Add dialog.
        self.confirm: Callable[[str, str], bool] = self._ask_confirmation
        self.report_error: Callable[[str], None] = self._show_error
        self.open_add_dialog: Callable[[QtWidgets.QDialog], Any] = lambda d: d.exec()

        self.heading = QtWidgets.QLabel("No project open")
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.add_button = QtWidgets.QPushButton("Add…")
        self.add_button.setToolTip("Add a schedule, new-data, monitor-alert or registry trigger")
        self.edit_button = QtWidgets.QPushButton("Edit…")
        self.edit_button.setToolTip("Change the selected trigger's settings (or double-click it)")
        self.remove_button = QtWidgets.QPushButton("Remove…")
        self.fire_button = QtWidgets.QPushButton("Fire now")
        self.fire_button.setToolTip(
            "Fire the selected trigger (or the current pipeline by hand) now, in the "
            "background; it queues if the pipeline is running"
        )
        self.refresh_button = QtWidgets.QPushButton("Refresh")
        self.add_button.clicked.connect(self._on_add_button_clicked)
        self.edit_button.clicked.connect(self._on_edit_button_clicked)
        self.remove_button.clicked.connect(self._on_remove_button_clicked)
        self.fire_button.clicked.connect(self._on_fire_button_clicked)
        self.refresh_button.clicked.connect(self.refresh)
        self.triggers = read_only_table(TRIGGER_COLUMNS)
        self.triggers.itemSelectionChanged.connect(self._update_buttons)
        self.triggers.itemChanged.connect(self._on_triggers_item_changed)
        self.triggers.cellDoubleClicked.connect(self._on_triggers_cell_double_clicked)
        self.events = read_only_table(EVENT_COLUMNS)
        self.events.cellDoubleClicked.connect(self._on_events_cell_double_clicked)
        self.empty = QtWidgets.QLabel(
            "No triggers yet. A pipeline runs by hand (Run), or add a trigger so it runs on "
            "a schedule, when new data arrives in a folder, when a Monitor raises an alert, "
            "or when a model version is approved."
        )
        self.empty.setWordWrap(True)

        bar = QtWidgets.QHBoxLayout()
        bar.addWidget(self.heading, 1)
        buttons = (
            self.add_button,
            self.edit_button,
            self.remove_button,
            self.fire_button,
            self.refresh_button,
        )
        for button in buttons:
            bar.addWidget(button)
        upper = QtWidgets.QWidget()
        upper_box = QtWidgets.QVBoxLayout(upper)
        upper_box.setContentsMargins(0, 0, 0, 0)
        upper_box.addWidget(self.triggers)
        upper_box.addWidget(self.empty)
        lower = QtWidgets.QWidget()
        lower_box = QtWidgets.QVBoxLayout(lower)
        lower_box.setContentsMargins(0, 0, 0, 0)
        lower_box.addWidget(
            QtWidgets.QLabel("<b>Firings</b> (newest first; double-click opens the run)")
        )
        lower_box.addWidget(self.events)
        split = QtWidgets.QSplitter(Qt.Orientation.Vertical)
        split.addWidget(upper)
        split.addWidget(lower)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        box = QtWidgets.QVBoxLayout(self)
        box.addLayout(bar)
        box.addWidget(split, 1)
        self._update_buttons()

    def changeEvent(self, event: QtCore.QEvent) -> None:  # noqa: N802 - Qt override
        """Recolour the outcomes for the new theme (from the data already read)."""
        super().changeEvent(event)
        if hasattr(self, "_events") and colors.scheme_changed_for(self, event):
            self._show()

    # ------------------------------------------------------------------ data
    @property
    def service(self) -> TriggerService | None:
        if self._workspace is None:
            return None
        from mlops_desktop.app.triggers import TriggerService

        return TriggerService(self._workspace)

    def load(self, workspace: Workspace | None, project: str | None) -> None:
        self._workspace, self._project = workspace, project
        self.refresh()

    def refresh(self) -> None:
        """Re-read the triggers (synchronising those declared in the pipeline files)."""
        service, workspace = self.service, self._workspace
        if service is None or workspace is None or self._project is None:
            self._triggers, self._events, self._pipeline_names = [], [], {}
            self.heading.setText("No project open")
            self._show()
            return
        try:
            project = workspace.projects.get(self._project)
            infos = workspace.pipelines.list(project.id)
            for info in infos:
                service.sync_from_pipeline(project.id, info.name)
            self._triggers = service.list_triggers(project.id)
            self._events = service.history(project.id, limit=HISTORY_LIMIT)
        except MlopsError as exc:
            self.report_error(f"Cannot list the triggers: {exc}")
            return
        self._pipeline_names = {info.id: info.name for info in infos}
        refused = {self._pipeline_names.get(k, str(k)): v for k, v in service.refused.items()}
        if refused != self._refused:  # said once in the Messages panel, not at each refresh
            for name, lines in refused.items():
                self.report_error(
                    f"Pipeline '{name}' declares triggers that are not used: {'; '.join(lines)}"
                )
        self._refused = refused
        on = sum(t.enabled for t in self._triggers)
        unused = sum(len(lines) for lines in refused.values())
        self.heading.setText(
            f"<b>{html.escape(project.name)}</b>: {len(self._triggers)} trigger(s), {on} on"
            + (f"; {unused} declared in a pipeline file not used (see Messages)" if unused else "")
        )
        self._show()

    def _show(self) -> None:
        self._filling = True
        try:
            rows = [
                [
                    "",
                    t.pipeline_name,
                    type_title(t.type),
                    describe_trigger(t),
                    _when(next_fire(t)),
                    "pipeline file" if t.declared else "added here",
                ]
                for t in self._triggers
            ]
            fill_table(self.triggers, rows)
            for r, trig in enumerate(self._triggers):
                box = self.triggers.item(r, 0)
                if box is None:  # fill_table made every cell
                    continue
                box.setFlags(
                    Qt.ItemFlag.ItemIsUserCheckable
                    | Qt.ItemFlag.ItemIsEnabled
                    | Qt.ItemFlag.ItemIsSelectable
                )
                box.setCheckState(
                    Qt.CheckState.Checked if trig.enabled else Qt.CheckState.Unchecked
                )
                box.setToolTip("Switch the trigger on or off")
            events = [
                [
                    _when(e.fired_at),
                    self._pipeline_names.get(e.pipeline_id, ""),
                    type_title(e.type) + (" (by hand)" if e.detail.get("by_hand") else ""),
                    outcome_text(e),
                    f"#{e.run_id}" if e.run_id else "",
                ]
                for e in self._events
            ]
            colours = {
                (r, 3): OUTCOME_COLOURS.get(e.outcome, "") for r, e in enumerate(self._events)
            }
            fill_table(self.events, events, colours)
        finally:
            self._filling = False
        self.empty.setVisible(not self._triggers)
        self.triggers.setVisible(bool(self._triggers))
        self._update_buttons()

    def trigger_rows(self) -> list[Trigger]:
        return list(self._triggers)

    def event_rows(self) -> list[TriggerEvent]:
        return list(self._events)

    def selected_trigger(self) -> Trigger | None:
        rows = {i.row() for i in self.triggers.selectedIndexes()}
        return self._triggers[min(rows)] if rows else None

    def select_trigger(self, trigger_id: int) -> None:
        for r, trig in enumerate(self._triggers):
            if trig.id == trigger_id:
                self.triggers.selectRow(r)

    def _update_buttons(self) -> None:
        have_project = self._workspace is not None and self._project is not None
        trig = self.selected_trigger()
        self.add_button.setEnabled(have_project)
        self.refresh_button.setEnabled(have_project)
        self.fire_button.setEnabled(have_project and bool(self._pipeline_names))
        editable = trig is not None and not trig.declared
        self.remove_button.setEnabled(editable)
        self.edit_button.setEnabled(
            editable and trig is not None and trig.type != TriggerType.MANUAL
        )
        self.remove_button.setToolTip(
            "Declared in the pipeline file: edit the pipeline to remove it"
            if trig is not None and trig.declared
            else "Remove the selected trigger"
        )

    # --------------------------------------------------------------- actions
    def add_trigger(self, pipeline: str, type_: str, config: dict[str, Any]) -> Trigger:
        """Add a trigger (raises MlopsError with the reason when its settings are wrong)."""
        service = self.service
        if service is None or self._project is None:
            raise MlopsError("no project is open")
        trig = service.add_trigger(self._project, pipeline, type_, config)
        self.refresh()
        self.select_trigger(trig.id)
        self.triggers_changed.emit()
        return trig

    def edit_dialog(self, trigger: Trigger) -> QtWidgets.QDialog:
        from mlops_desktop.qt.operate.trigger_dialog import AddTriggerDialog

        def save(_pipeline: str, _type: str, config: dict[str, Any]) -> Trigger:
            return self.update_trigger(trigger, config)

        return AddTriggerDialog(
            list(self._pipeline_names.values()),
            save,
            models=self._model_names(),
            editing=trigger,
            parent=self,
        )

    def update_trigger(self, trigger: Trigger, config: dict[str, Any]) -> Trigger:
        """Change a trigger's settings (raises MlopsError with the reason when wrong)."""
        service = self.service
        if service is None:
            raise MlopsError("no project is open")
        updated = service.update_trigger(trigger.id, config)
        self.refresh()
        self.select_trigger(updated.id)
        self.triggers_changed.emit()
        return updated

    def remove_trigger(self, trigger: Trigger) -> bool:
        service = self.service
        if service is None:
            return False
        if not self.confirm(
            "Remove trigger",
            f"Remove the {type_title(trigger.type).lower()} trigger of "
            f"'{trigger.pipeline_name}' ({describe_trigger(trigger)})?",
        ):
            return False
        try:
            service.remove_trigger(trigger.id)
        except MlopsError as exc:
            self.report_error(str(exc))
            return False
        self.refresh()
        self.triggers_changed.emit()
        return True

    def set_enabled(self, trigger: Trigger, enabled: bool) -> None:
        service = self.service
        if service is None:
            return
        try:
            service.set_enabled(trigger.id, enabled)
        except MlopsError as exc:
            self.report_error(str(exc))
        self.refresh()
        self.triggers_changed.emit()

    def default_pipeline(self) -> str | None:
        """The pipeline an action without a selected trigger applies to."""
        trig = self.selected_trigger()
        if trig is not None:
            return trig.pipeline_name
        names = list(self._pipeline_names.values())
        return (
            self.current_pipeline
            if self.current_pipeline in names
            else (names[0] if names else None)
        )

    def add_dialog(self) -> QtWidgets.QDialog:
        from mlops_desktop.qt.operate.trigger_dialog import AddTriggerDialog

        return AddTriggerDialog(
            list(self._pipeline_names.values()),
            self.add_trigger,
            models=self._model_names(),
            pipeline=self.default_pipeline(),
            parent=self,
        )

    def _model_names(self) -> list[str]:
        if self._workspace is None or self._project is None:
            return []
        from mlops_desktop.app.registry import RegistryService

        try:
            return [m.name for m in RegistryService(self._workspace).list_models(self._project)]
        except MlopsError:
            return []

    # ------------------------------------------------------------------ slots
    def _on_add_button_clicked(self) -> None:
        self.open_add_dialog(self.add_dialog())

    def _on_edit_button_clicked(self) -> None:
        trig = self.selected_trigger()
        if trig is not None and self.edit_button.isEnabled():
            self.open_add_dialog(self.edit_dialog(trig))

    def _on_triggers_cell_double_clicked(self, row: int, column: int) -> None:
        if column != 0 and 0 <= row < len(self._triggers):
            self.triggers.selectRow(row)
            self._on_edit_button_clicked()

    def _on_remove_button_clicked(self) -> None:
        trig = self.selected_trigger()
        if trig is not None:
            self.remove_trigger(trig)

    def _on_fire_button_clicked(self) -> None:
        trig = self.selected_trigger()
        pipeline = self.default_pipeline()
        if self._project is None or pipeline is None:
            return
        if trig is None:
            self.fire_requested.emit(self._project, pipeline, TriggerType.MANUAL.value, None)
        else:
            self.fire_requested.emit(self._project, trig.pipeline_name, trig.type, trig.id)

    def _on_triggers_item_changed(self, item: QtWidgets.QTableWidgetItem) -> None:
        if self._filling or item.column() != 0 or item.row() >= len(self._triggers):
            return
        trig = self._triggers[item.row()]
        enabled = item.checkState() == Qt.CheckState.Checked
        if enabled != trig.enabled:
            self.set_enabled(trig, enabled)

    def _on_events_cell_double_clicked(self, row: int, _column: int) -> None:
        run_id = self._events[row].run_id if 0 <= row < len(self._events) else None
        if run_id:
            self.run_activated.emit(int(run_id))

    def _ask_confirmation(self, title: str, text: str) -> bool:
        from mlops_desktop.qt import dialogs

        return dialogs.confirm(self, title, text, "Remove")

    def _show_error(self, message: str) -> None:
        QtWidgets.QMessageBox.warning(self, "Triggers", message)
