"""ModelsPanel: a project's model registry. Registered models on the left; on the right the
selected model's versions (aliases, approval, run, key metric), its alias history and the
project's deployments, and what served each environment at a chosen time. Promote and Roll
back act on the registry after a confirmation."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6 import QtCore, QtWidgets

from mlops_desktop.core.errors import MlopsError
from mlops_desktop.core.operate_entities import (
    ALIASES,
    AliasTransition,
    Deployment,
    ModelVersion,
    RegisteredModel,
)
from mlops_desktop.qt import colors
from mlops_desktop.qt.background import BackgroundReads
from mlops_desktop.qt.operate.served_at import ServedAtView
from mlops_desktop.qt.tables import fill_table, read_only_table

if TYPE_CHECKING:
    from mlops_desktop.app.registry import RegistryService
    from mlops_desktop.app.workspace import Workspace

Qt = QtCore.Qt
KEY_METRICS = ("accuracy", "f1", "roc_auc", "r2", "rmse")
VERSION_COLUMNS = ("Version", "Aliases", "Approval", "Run", "Metric", "Registered")
HISTORY_COLUMNS = ("When", "Alias", "From", "To", "By", "Reason", "Run")
DEPLOY_COLUMNS = (
    "When",
    "Environment",
    "Model",
    "Version",
    "Strategy",
    "Traffic",
    "Approver",
    "Status",
    "Run",
)
STATUS_COLOURS = {"active": "#1a7f37", "superseded": "#6e7781", "rolled_back": "#bc4c00"}
ALIAS_COLOURS = {
    "production": "#1a7f37",
    "staging": "#0969da",
    "candidate": "#8250df",
    "archived": "#6e7781",
}


@dataclass(frozen=True)
class _Snapshot:
    """What the panel shows of a project's registry, read at once."""

    models: list[RegisteredModel]
    deployments: list[Deployment]
    numbers: dict[int, int]
    current: str | None  # the model whose versions and history are shown
    versions: list[ModelVersion]
    history: list[AliasTransition]


def _when(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _version_text(number: int | None) -> str:
    return "—" if number is None else f"v{number}"


class ModelsPanel(QtWidgets.QWidget):
    """The registered models of a project, their versions, aliases and deployments."""

    registry_changed = QtCore.Signal()  # after a promotion or a rollback
    version_selected = QtCore.Signal(str, int)  # model name, version number

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._service: RegistryService | None = None
        self._project: str | int | None = None
        self._numbers: dict[int, int] = {}  # run id -> its number in the project
        self._versions: list[ModelVersion] = []
        self._deployments: list[Deployment] = []
        self._reads = BackgroundReads("mlops-models-read", self)  # the reads after a run
        self._reads.arrived.connect(self._on_reads_arrived)
        # Replaceable for embedding (and tests): ask yes/no, and show an error.
        self.confirm: Callable[[str, str], bool] = self._ask_confirmation
        self.report_error: Callable[[str], None] = self._show_error

        self.models = QtWidgets.QListWidget()
        self.models.setMinimumWidth(180)
        self.models.setSpacing(3)
        self.models.setSpacing(3)
        self.models.currentRowChanged.connect(self._on_models_current_row_changed)
        self.versions = read_only_table(VERSION_COLUMNS)
        self.versions.itemSelectionChanged.connect(self._on_versions_selection_changed)
        self.history = read_only_table(HISTORY_COLUMNS)
        self.deployments = read_only_table(DEPLOY_COLUMNS)
        self.heading = QtWidgets.QLabel("No project open")
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.alias_box = QtWidgets.QComboBox()
        self.alias_box.setEditable(True)
        self.alias_box.addItems(list(ALIASES))
        self.alias_box.setToolTip("The alias to promote to or roll back")
        self.promote_button = QtWidgets.QPushButton("Promote…")
        self.promote_button.setToolTip("Give the alias to the selected version")
        self.rollback_button = QtWidgets.QPushButton("Roll back…")
        self.rollback_button.setToolTip("Give the alias back to the version that held it before")
        self.canary_button = QtWidgets.QPushButton("Promote canary…")
        self.canary_button.setToolTip(
            "Make the active canary its environment's primary (it then serves all traffic)"
        )
        self.canary_button.clicked.connect(self._on_canary_button_clicked)
        self.refresh_button = QtWidgets.QPushButton("Refresh")
        self.promote_button.clicked.connect(self._on_promote_button_clicked)
        self.rollback_button.clicked.connect(self._on_rollback_button_clicked)
        self.refresh_button.clicked.connect(self.refresh)

        bar = QtWidgets.QHBoxLayout()
        bar.addWidget(self.heading, 1)
        bar.addWidget(QtWidgets.QLabel("Alias"))
        bar.addWidget(self.alias_box)
        bar.addWidget(self.promote_button)
        bar.addWidget(self.rollback_button)
        bar.addWidget(self.canary_button)
        bar.addWidget(self.refresh_button)
        tabs = QtWidgets.QTabWidget()
        tabs.addTab(self.history, "Alias history")
        tabs.addTab(self.deployments, "Deployments")
        self.served_at = ServedAtView()  # what served each environment at a chosen time
        self.served_at.report_error = lambda message: self.report_error(message)
        tabs.addTab(self.served_at, "Served at")
        self.tabs = tabs
        right = QtWidgets.QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.versions)
        right.addWidget(tabs)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 2)
        right_box = QtWidgets.QWidget()
        right_layout = QtWidgets.QVBoxLayout(right_box)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(bar)
        right_layout.addWidget(right, 1)
        split = QtWidgets.QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.models)
        split.addWidget(right_box)
        split.setStretchFactor(1, 1)
        box = QtWidgets.QVBoxLayout(self)
        box.setContentsMargins(4, 4, 4, 4)
        box.addWidget(split)
        self._update_buttons()

    # ------------------------------------------------------------------ data
    def changeEvent(self, event: QtCore.QEvent) -> None:  # noqa: N802 - Qt override
        """Recolour the aliases and statuses for the new theme (from the data already read)."""
        super().changeEvent(event)
        if not hasattr(self, "_versions") or not colors.scheme_changed_for(self, event):
            return
        if self._versions:
            self._show_versions()
        if self._deployments:
            self._show_deployments(self._deployments)

    def load(self, workspace: Workspace, project: str | int, background: bool = False) -> None:
        """Show the registry of ``project`` (read in a worker thread with ``background``: the
        window switching tabs keeps painting)."""
        from mlops_desktop.app.registry import RegistryService

        switched = project != self._project
        self._service = RegistryService(workspace)
        self._project = project
        self.served_at.set_project(self._service, project)
        if not background:
            self.refresh()
            return
        if switched:  # nothing of the last project may be promoted meanwhile
            self._show(_Snapshot([], [], {}, None, [], []))
            self.heading.setText("Reading the registry…")
        self.refresh_in_background()

    def refresh(self) -> None:
        """Read the registry again and show it (now, on this thread)."""
        if self._service is None or self._project is None:
            return
        try:
            snapshot = self._read(self._service, self._project, self.current_model())
        except MlopsError as exc:
            self.report_error(str(exc))
            return
        self._show(snapshot)

    def refresh_in_background(self) -> None:
        """Read the registry again in a worker thread and show it when read (after a run:
        the window keeps painting meanwhile)."""
        service, project = self._service, self._project
        if service is None or project is None:
            return
        current = self.current_model()
        self._reads.start(lambda: (project, self._read(service, project, current)))

    def _on_reads_arrived(self, number: int, result: object) -> None:
        if not self._reads.is_latest(number):
            return
        if isinstance(result, MlopsError):  # where the user looks, not a dialog nobody asked for
            self.heading.setText(colors.error_html(f"Cannot read the registry: {result}"))
        elif isinstance(result, Exception):
            raise result
        elif isinstance(result, tuple) and result[0] == self._project:
            self._show(result[1])

    def wait(self, seconds: float = 5.0) -> None:
        """Let a background read end (closing the window, tests)."""
        self._reads.wait(seconds)

    @staticmethod
    def _read(service: RegistryService, project: str | int, current: str | None) -> _Snapshot:
        """What the panel shows, read from the registry (any thread)."""
        models = service.list_models(project)
        names = [m.name for m in models]
        name = current if current in names else (names[0] if names else None)
        return _Snapshot(
            models,
            service.deployments(project),
            service.run_numbers(project),
            name,
            service.versions(project, name) if name else [],
            service.history(project, name) if name else [],
        )

    def _show(self, snapshot: _Snapshot) -> None:
        self._numbers = snapshot.numbers
        self.models.blockSignals(True)
        self.models.clear()
        for model in snapshot.models:
            self.models.addItem(self._model_item(model))
        names = [m.name for m in snapshot.models]
        self.models.setCurrentRow(names.index(snapshot.current) if snapshot.current else -1)
        self.models.blockSignals(False)
        self._show_deployments(snapshot.deployments)
        self._show_model(snapshot.current, snapshot.versions, snapshot.history)

    @staticmethod
    def _model_item(model: RegisteredModel) -> QtWidgets.QListWidgetItem:
        aliases = ", ".join(f"{a} v{v}" for a, v in sorted(model.aliases.items()))
        count = f"{model.latest_version} version{'' if model.latest_version == 1 else 's'}"
        item = QtWidgets.QListWidgetItem(
            f"{model.name}\n{count}" + (f" · {aliases}" if aliases else "")
        )
        item.setData(Qt.ItemDataRole.UserRole, model.name)
        item.setToolTip(f"{model.name}: latest v{model.latest_version}")
        return item

    def current_model(self) -> str | None:
        item = self.models.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def selected_version(self) -> ModelVersion | None:
        rows = self.versions.selectionModel().selectedRows()
        return self._versions[rows[0].row()] if rows else None

    def select_version(self, number: int) -> None:
        for row, version in enumerate(self._versions):
            if version.version == number:
                self.versions.selectRow(row)
                return

    def _on_models_current_row_changed(self, row: int) -> None:
        name = self.current_model()
        if self._service is None or self._project is None or name is None:
            self._show_model(None, [], [])
            return
        self._show_model(
            name,
            self._service.versions(self._project, name),
            self._service.history(self._project, name),
        )

    def _show_model(
        self, name: str | None, versions: list[ModelVersion], history: list[AliasTransition]
    ) -> None:
        """The versions and alias history of model ``name`` (None: no model)."""
        if name is None:
            self._versions = []
            fill_table(self.versions, [])
            fill_table(self.history, [])
            self.heading.setText(
                "No registered models yet: run a pipeline with a Register model stage"
                if self._service
                else "No project open"
            )
            self._update_buttons()
            return
        self._versions = versions
        self._show_versions()
        self._show_history(history)
        latest = self._versions[0].version if self._versions else 0
        plural = "" if len(self._versions) == 1 else "s"
        self.heading.setText(
            f"<b>{html.escape(name)}</b> — {len(self._versions)} version{plural}, latest v{latest}"
        )
        self._update_buttons()

    def _show_versions(self) -> None:
        rows, colours = [], {}
        for r, v in enumerate(self._versions):
            metric = next((f"{k} {v.metrics[k]:.4g}" for k in KEY_METRICS if k in v.metrics), "")
            approval = (
                v.approval + (f" by {v.approver}" if v.approver else "") if v.approval else "—"
            )
            rows.append(
                [
                    f"v{v.version}",
                    ", ".join(v.aliases),
                    approval,
                    self._run_text(v.run_id) or "—",
                    metric,
                    _when(v.created_at),
                ]
            )
            if v.aliases:
                colours[(r, 1)] = ALIAS_COLOURS.get(v.aliases[0], "#0969da")
            if v.approval == "rejected":
                colours[(r, 2)] = "#cf222e"
        fill_table(self.versions, rows, colours)

    def _run_text(self, run_id: int | None) -> str:
        """``#number`` of a run in the project ("" for none)."""
        return f"#{self._numbers.get(run_id, run_id)}" if run_id else ""

    def _show_history(self, history: Sequence[AliasTransition]) -> None:
        from mlops_desktop.app.registry import actor_label

        rows = [
            [
                _when(t.created_at),
                t.alias,
                _version_text(t.from_version),
                _version_text(t.to_version),
                actor_label(t.actor, self._numbers),
                t.reason,
                self._run_text(t.run_id),
            ]
            for t in reversed(history)
        ]
        fill_table(self.history, rows)

    def _show_deployments(self, deployments: Sequence[Deployment]) -> None:
        from mlops_desktop.app.registry import serving_shares

        self._deployments = list(deployments)
        shares = serving_shares(self._deployments)  # a primary beside a canary: the rest
        rows, colours = [], {}
        for r, d in enumerate(deployments):
            rows.append(
                [
                    _when(d.created_at),
                    d.environment,
                    d.model_name,
                    f"v{d.version}",
                    d.strategy,
                    f"{shares.get(d.id, d.traffic_share):.0%}",
                    d.approver or "—",
                    d.status,
                    self._run_text(d.run_id),
                ]
            )
            colours[(r, 7)] = STATUS_COLOURS.get(d.status, "#6e7781")
        fill_table(self.deployments, rows, colours)

    # ------------------------------------------------------------------ actions
    def _update_buttons(self) -> None:
        has_model = self.current_model() is not None
        self.promote_button.setEnabled(has_model and self.selected_version() is not None)
        self.rollback_button.setEnabled(has_model)
        self.canary_button.setEnabled(self.active_canary() is not None)
        self.alias_box.setEnabled(has_model)

    def _on_versions_selection_changed(self) -> None:
        self._update_buttons()
        version = self.selected_version()
        if version is not None:
            self.version_selected.emit(version.model_name, version.version)

    def _on_promote_button_clicked(self) -> None:
        version = self.selected_version()
        if version is not None:
            self.promote(version.version, self.alias_box.currentText().strip())

    def _on_rollback_button_clicked(self) -> None:
        self.rollback(self.alias_box.currentText().strip())

    def promote(self, version: int, alias: str, reason: str = "") -> bool:
        """Give ``alias`` to ``version`` of the current model, after confirmation."""
        name = self.current_model()
        service, project = self._service, self._project
        if service is None or project is None or name is None or not alias:
            return False
        holder = next((v.version for v in self._versions if alias in v.aliases), None)
        change = f"from v{holder} to v{version}" if holder else f"to v{version}"
        if holder == version:
            self.report_error(f"v{version} already holds '{alias}'")
            return False
        if not self.confirm(
            f"Promote {name} v{version}?",
            f"Move the alias '{alias}' of {name} {change}? A deployment serving "
            f"'{alias}' follows it.",
        ):
            return False
        return self._act(
            lambda: service.promote(
                project, name, version, alias, reason=reason or "promoted in the app"
            )
        )

    def active_canary(self) -> Deployment | None:
        """The newest active canary deployment of the project, if any."""
        return next(
            (d for d in self._deployments if d.strategy == "canary" and d.status == "active"),
            None,
        )

    def _on_canary_button_clicked(self) -> None:
        self.promote_canary()

    def promote_canary(self, reason: str = "") -> bool:
        """Make the active canary its environment's primary, after confirmation."""
        canary = self.active_canary()
        service, project = self._service, self._project
        if service is None or project is None or canary is None:
            return False
        if not self.confirm(
            f"Promote the canary {canary.model_name} v{canary.version}?",
            f"v{canary.version} serves {canary.traffic_share:.0%} of '{canary.environment}' "
            "now. Make it the primary, serving all traffic?",
        ):
            return False
        return self._act(
            lambda: service.promote_canary(
                project, canary.environment, reason=reason or "canary promoted in the app"
            )
        )

    def rollback(self, alias: str, reason: str = "") -> bool:
        """Give ``alias`` back to the version that held it before, after confirmation."""
        name = self.current_model()
        service, project = self._service, self._project
        if service is None or project is None or name is None or not alias:
            return False
        holder = next((v.version for v in self._versions if alias in v.aliases), None)
        if holder is None:
            self.report_error(f"no version of {name} holds the alias '{alias}'")
            return False
        if not self.confirm(
            f"Roll back {name}?",
            f"Give the alias '{alias}' of {name} back to the version that held it "
            f"before v{holder}?",
        ):
            return False
        return self._act(
            lambda: service.rollback(
                project, name, alias, reason=reason or "rolled back in the app"
            )
        )

    def _act(self, action: Callable[[], Any]) -> bool:
        try:
            action()
        except MlopsError as exc:
            self.report_error(str(exc))
            return False
        self.refresh()
        self.registry_changed.emit()
        return True

    def _ask_confirmation(self, title: str, text: str) -> bool:
        answer = QtWidgets.QMessageBox.question(
            self,
            title,
            text,
            QtWidgets.QMessageBox.StandardButton.Yes | QtWidgets.QMessageBox.StandardButton.Cancel,
            QtWidgets.QMessageBox.StandardButton.Cancel,
        )
        return answer == QtWidgets.QMessageBox.StandardButton.Yes

    def _show_error(self, message: str) -> None:
        QtWidgets.QMessageBox.warning(self, "Models", message)
