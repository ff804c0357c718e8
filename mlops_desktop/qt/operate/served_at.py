"""ServedAtView: what served each environment at a chosen time (the Models panel's "Served
at" tab). It asks the same app service as ``mlops-desktop models PROJECT --at TIME``
(:meth:`RegistryService.served_at`), read from the append-only deployment and alias history:
the version, its strategy and share, the run and trigger that deployed it, the approver, and
who or what moved the alias there and why."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from PySide6 import QtCore, QtWidgets
from PySide6.QtCore import QTimeZone

from mlops_desktop.core.errors import MlopsError
from mlops_desktop.qt.tables import fill_table, read_only_table

if TYPE_CHECKING:
    from mlops_desktop.app.registry import RegistryService

Qt = QtCore.Qt
COLUMNS = (
    "Environment",
    "Model",
    "Version",
    "Strategy",
    "Traffic",
    "Since (UTC)",
    "Deployed by",
    "Approver",
    "Alias moved by",
    "Why",
)


def served_rows(served: list[dict[str, Any]]) -> list[list[str]]:
    """The table rows of :meth:`RegistryService.served_at`'s answer."""
    rows = []
    for d in served:
        origin = f"run #{d['run_number']} ({d['run_trigger']})" if d["run_id"] else "by hand"
        rows.append(
            [
                d["environment"],
                d["model"],
                f"v{d['version']}",
                d["strategy"],
                f"{d['traffic_share']:.0%}",
                d["at"][:19].replace("T", " "),
                origin,
                d["approver"] or "—",
                d["alias_by"] or "—",
                d["alias_reason"] or ("—" if not d["alias_actor"] else "no reason given"),
            ]
        )
    return rows


class ServedAtView(QtWidgets.QWidget):
    """Pick a moment (UTC) and see what served each environment then."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._service: RegistryService | None = None
        self._project: str | int | None = None
        self.report_error: Callable[[str], None] = lambda _message: None
        self.when = QtWidgets.QDateTimeEdit()
        self.when.setTimeZone(QTimeZone.utc())
        self.when.setDisplayFormat("yyyy-MM-dd HH:mm:ss 'UTC'")
        self.when.setCalendarPopup(True)
        self.when.setDateTime(QtCore.QDateTime.currentDateTimeUtc())
        self.when.setToolTip("The moment to look at, in UTC")
        self.show_button = QtWidgets.QPushButton("Show")
        self.show_button.setToolTip("What served each environment at that moment")
        self.show_button.clicked.connect(self._on_show_button_clicked)
        self.now_button = QtWidgets.QPushButton("Now")
        self.now_button.clicked.connect(self._on_now_button_clicked)
        self.summary = QtWidgets.QLabel("")
        self.summary.setWordWrap(True)
        self.table = read_only_table(COLUMNS)
        bar = QtWidgets.QHBoxLayout()
        bar.addWidget(QtWidgets.QLabel("Served at"))
        bar.addWidget(self.when)
        bar.addWidget(self.show_button)
        bar.addWidget(self.now_button)
        bar.addStretch(1)
        box = QtWidgets.QVBoxLayout(self)
        box.setContentsMargins(0, 4, 0, 0)
        box.addLayout(bar)
        box.addWidget(self.summary)
        box.addWidget(self.table, 1)

    def set_project(self, service: RegistryService | None, project: str | int | None) -> None:
        self._service, self._project = service, project

    def moment(self) -> datetime:
        """The chosen moment, as an aware UTC datetime."""
        stamp = self.when.dateTime().toSecsSinceEpoch()
        return datetime.fromtimestamp(stamp, UTC)

    def set_moment(self, when: datetime) -> None:
        moment = QtCore.QDateTime.fromSecsSinceEpoch(int(when.timestamp()), QTimeZone.utc())
        self.when.setDateTime(moment)

    def _on_now_button_clicked(self) -> None:
        now = datetime.now(UTC)
        self.set_moment(now)
        self.show_at(now)  # to the moment, not the whole second shown

    def _on_show_button_clicked(self) -> None:
        self.show_at(self.moment())

    def show_at(self, when: datetime) -> None:
        """Fill the table with what served at ``when`` (to the second)."""
        if self._service is None or self._project is None:
            return
        try:
            served = self._service.served_at(self._project, when)
        except MlopsError as exc:
            self.report_error(str(exc))
            return
        stamp = when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        fill_table(self.table, served_rows(served))
        envs = sorted({d["environment"] for d in served})
        self.summary.setText(
            f"At {stamp}: " + (", ".join(envs) + " served." if envs else "nothing served.")
        )
