"""AddTriggerDialog: add a trigger to a pipeline with a form per trigger type.

The form shows only the settings of the chosen type (a cron expression with the next times
it fires, a watched folder and file pattern, the pipeline whose monitor alerts count, the
registry event and model). ``submit`` is called with (pipeline, type, config) when the user
presses Add (or Save, when the dialog edits an existing trigger); an error it raises is
shown in the dialog, which stays open so nothing typed is lost.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from PySide6 import QtWidgets

from mlops_desktop.app.trigger_text import TYPE_TITLES
from mlops_desktop.core.errors import MlopsError
from mlops_desktop.core.operate_entities import Trigger, TriggerType
from mlops_desktop.qt import colors

ANY = "(any)"
ENVIRONMENTS = ("", "dev", "staging", "production")
CRON_EXAMPLES = (
    ("every 15 minutes", "*/15 * * * *"),
    ("every hour", "0 * * * *"),
    ("every day at 02:00", "0 2 * * *"),
    ("Mondays at 06:00", "0 6 * * 1"),
)

TYPE_HELP = {
    TriggerType.SCHEDULE.value: "Runs the pipeline at the times of a cron expression "
    "(missed times while nothing was running fire once).",
    TriggerType.DATA_ARRIVAL.value: "Runs the pipeline when a new or changed file matching "
    "the pattern appears in the folder.",
    TriggerType.MONITOR_ALERT.value: "Runs the pipeline when a Monitor stage raises a drift "
    "or quality alert: continuous training.",
    TriggerType.REGISTRY_EVENT.value: "Runs the pipeline when a model version is approved "
    "(or registered), e.g. to deploy it.",
}

Submit = Callable[[str, str, dict[str, Any]], Any]


def next_ticks(cron: str, count: int = 3, now: datetime | None = None) -> list[datetime]:
    """The next ``count`` times a cron expression fires (empty when it is not valid)."""
    from croniter import croniter

    if not croniter.is_valid(cron.strip()):
        return []
    it = croniter(cron.strip(), (now or datetime.now(UTC)).astimezone())
    return [it.get_next(datetime) for _ in range(count)]


class AddTriggerDialog(QtWidgets.QDialog):
    """Choose a pipeline and a trigger type, fill in that type's settings, Add."""

    def __init__(
        self,
        pipelines: Sequence[str],
        submit: Submit,
        *,
        models: Sequence[str] = (),
        pipeline: str | None = None,
        editing: Trigger | None = None,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.editing = editing
        self.setWindowTitle("Edit trigger" if editing else "Add trigger")
        self.setMinimumWidth(520)
        self._submit = submit
        self.result_value: Any = None

        self.pipeline = QtWidgets.QComboBox()
        self.pipeline.addItems(list(pipelines))
        if pipeline and pipeline in pipelines:
            self.pipeline.setCurrentText(pipeline)
        self.type = QtWidgets.QComboBox()
        for value, title in TYPE_TITLES.items():
            if value != TriggerType.MANUAL:
                self.type.addItem(title, value)
        self.type.currentIndexChanged.connect(self._on_type_current_index_changed)

        self.cron = QtWidgets.QLineEdit("0 2 * * *")
        self.cron.setPlaceholderText("minute hour day month weekday, e.g. */15 * * * *")
        self.cron.textChanged.connect(self._update_cron_preview)
        self.cron_examples = QtWidgets.QComboBox()
        self.cron_examples.addItem("Examples…", "")
        for label, expr in CRON_EXAMPLES:
            self.cron_examples.addItem(f"{label}  ({expr})", expr)
        self.cron_examples.activated.connect(self._on_cron_examples_activated)
        self.cron_preview = QtWidgets.QLabel()
        self.cron_preview.setWordWrap(True)
        self.folder = QtWidgets.QLineEdit()
        self.folder.setPlaceholderText("the folder where new data files arrive")
        browse = QtWidgets.QPushButton("Browse…")
        browse.clicked.connect(self._on_browse_clicked)
        self.pattern = QtWidgets.QLineEdit("*.csv")
        self.source = QtWidgets.QComboBox()
        self.source.addItem(ANY, "")
        self.source.addItems(list(pipelines))
        self.registry_event = QtWidgets.QComboBox()
        self.registry_event.addItem("approved", "approved")
        self.registry_event.addItem("registered", "registered")
        self.model = QtWidgets.QComboBox()
        self.model.setEditable(True)
        self.model.addItem(ANY)
        self.model.addItems(list(models))
        self.force = QtWidgets.QCheckBox("Recompute every stage (ignore the cache)")
        self.force.setChecked(True)
        self.cooldown = QtWidgets.QDoubleSpinBox()
        self.cooldown.setRange(0, 7 * 24 * 3600)
        self.cooldown.setDecimals(0)
        self.cooldown.setSuffix(" s")
        self.cooldown.setToolTip("After firing, wait this long before firing again")
        self.environment = QtWidgets.QComboBox()
        self.environment.addItem("(the pipeline's)", "")
        for env in ENVIRONMENTS[1:]:
            self.environment.addItem(env, env)

        self.form = QtWidgets.QFormLayout()
        self.form.addRow("Pipeline", self.pipeline)
        self.form.addRow("Fires on", self.type)
        self.type_help = QtWidgets.QLabel()
        self.type_help.setWordWrap(True)
        self.type_help.setStyleSheet(f"color: {colors.css('muted_text')};")
        self.form.addRow("", self.type_help)
        cron_row = QtWidgets.QHBoxLayout()
        cron_row.addWidget(self.cron, 1)
        cron_row.addWidget(self.cron_examples)
        self._rows: dict[str, list[QtWidgets.QWidget]] = {}
        self._add_row(TriggerType.SCHEDULE, "Cron", _wrap(cron_row))
        self._add_row(TriggerType.SCHEDULE, "", self.cron_preview)
        folder_row = QtWidgets.QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)
        self._add_row(TriggerType.DATA_ARRIVAL, "Folder", _wrap(folder_row))
        self._add_row(TriggerType.DATA_ARRIVAL, "Files", self.pattern)
        self._add_row(TriggerType.MONITOR_ALERT, "Alerts of", self.source)
        self._add_row(TriggerType.MONITOR_ALERT, "", self.force)
        self._add_row(TriggerType.REGISTRY_EVENT, "Event", self.registry_event)
        self._add_row(TriggerType.REGISTRY_EVENT, "Model", self.model)
        self.form.addRow("Cooldown", self.cooldown)
        self.form.addRow("Environment", self.environment)

        self.error = QtWidgets.QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {colors.css('error_text')};")
        self.error.hide()
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        self.add_button = buttons.addButton("Add", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole)
        self.add_button.setDefault(True)
        buttons.accepted.connect(self._on_add_clicked)
        buttons.rejected.connect(self.reject)
        box = QtWidgets.QVBoxLayout(self)
        box.addLayout(self.form)
        box.addWidget(self.error)
        box.addWidget(buttons)
        if editing is not None:
            self._fill_from(editing)
            self.add_button.setText("Save")
        self._on_type_current_index_changed()
        self._update_cron_preview()

    def _fill_from(self, trigger: Trigger) -> None:
        """Show an existing trigger's settings; its pipeline and type stay as they are."""
        cfg = trigger.config
        self.pipeline.setCurrentText(trigger.pipeline_name)
        self.pipeline.setEnabled(False)
        self.set_type(trigger.type)
        self.type.setEnabled(False)
        self.cron.setText(str(cfg.get("cron", self.cron.text())))
        self.folder.setText(str(cfg.get("folder", "")))
        self.pattern.setText(str(cfg.get("pattern", self.pattern.text())))
        source = self.source.findData(cfg.get("source_pipeline") or "")
        self.source.setCurrentIndex(max(source, 0))
        self.force.setChecked(cfg.get("force", True) is not False)
        event = self.registry_event.findData(cfg.get("event", "approved"))
        self.registry_event.setCurrentIndex(max(event, 0))
        self.model.setCurrentText(str(cfg.get("model") or ANY))
        self.cooldown.setValue(float(cfg.get("cooldown_s") or 0))
        env = self.environment.findData(cfg.get("environment") or "")
        self.environment.setCurrentIndex(max(env, 0))

    def _add_row(self, type_: str, label: str, widget: QtWidgets.QWidget) -> None:
        title = QtWidgets.QLabel(label)
        self.form.addRow(title, widget)
        self._rows.setdefault(str(type_), []).extend([title, widget])

    # ----------------------------------------------------------------- values
    def set_type(self, type_: str) -> None:
        self.type.setCurrentIndex(self.type.findData(type_))

    def current_type(self) -> str:
        return str(self.type.currentData())

    def config(self) -> dict[str, Any]:
        """The settings of the chosen type, as the trigger stores them."""
        type_ = self.current_type()
        config: dict[str, Any] = {}
        if type_ == TriggerType.SCHEDULE:
            config["cron"] = self.cron.text().strip()
        elif type_ == TriggerType.DATA_ARRIVAL:
            config["folder"] = self.folder.text().strip()
            config["pattern"] = self.pattern.text().strip() or "*"
        elif type_ == TriggerType.MONITOR_ALERT:
            if self.source.currentData():
                config["source_pipeline"] = self.source.currentData()
            if not self.force.isChecked():
                config["force"] = False
        elif type_ == TriggerType.REGISTRY_EVENT:
            config["event"] = self.registry_event.currentData()
            model = self.model.currentText().strip()
            if model and model != ANY:
                config["model"] = model
        if self.cooldown.value() > 0:
            config["cooldown_s"] = self.cooldown.value()
        if self.environment.currentData():
            config["environment"] = self.environment.currentData()
        if self.editing is not None:  # settings this form does not show are kept
            shown = {"cron", "folder", "pattern", "source_pipeline", "force", "event", "model"}
            shown |= {"cooldown_s", "environment"}
            config = {
                **{k: v for k, v in self.editing.config.items() if k not in shown},
                **config,
            }
        return config

    # ------------------------------------------------------------------ slots
    def _on_type_current_index_changed(self, *_: Any) -> None:
        current = self.current_type()
        self.type_help.setText(TYPE_HELP.get(current, ""))
        for type_, widgets in self._rows.items():
            for widget in widgets:
                widget.setVisible(type_ == current)
        self.error.hide()
        self.adjustSize()

    def _update_cron_preview(self, *_: Any) -> None:
        ticks = next_ticks(self.cron.text())
        if ticks:
            when = ", ".join(t.strftime("%a %d %b %H:%M") for t in ticks)
            self.cron_preview.setText(f"Next: {when}")
            self.cron_preview.setStyleSheet("")
        else:
            self.cron_preview.setText("Not a cron expression (minute hour day month weekday)")
            self.cron_preview.setStyleSheet(f"color: {colors.css('error_text')};")

    def _on_cron_examples_activated(self, index: int) -> None:
        expr = self.cron_examples.itemData(index)
        if expr:
            self.cron.setText(expr)
        self.cron_examples.setCurrentIndex(0)

    def _on_browse_clicked(self) -> None:
        folder = QtWidgets.QFileDialog.getExistingDirectory(
            self, "Watched folder", self.folder.text()
        )
        if folder:
            self.folder.setText(folder)

    def _on_add_clicked(self) -> None:
        try:
            self.result_value = self._submit(
                self.pipeline.currentText(), self.current_type(), self.config()
            )
        except MlopsError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return
        self.accept()


def _wrap(layout: QtWidgets.QLayout) -> QtWidgets.QWidget:
    layout.setContentsMargins(0, 0, 0, 0)
    widget = QtWidgets.QWidget()
    widget.setLayout(layout)
    return widget
