"""The reference schema of a Validate data stage, shown in its inspector, with the explicit
"Re-baseline schema…" action.

The box says which run stored the reference the stage checks against (or that the next run
stores one) and re-baselines through the same app service as ``mlops-desktop schema PROJECT
--rebaseline`` (:class:`~mlops_desktop.app.schema_reference.SchemaReferences`), so the act is
recorded the same way: who, when and which stages.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QMessageBox, QPushButton, QVBoxLayout, QWidget

from mlops_desktop.qt import colors

# (workspace, project name) of the open pipeline, or None without a workspace
SchemaContext = Callable[[], "tuple[Any, str | None] | None"]


class SchemaReferenceBox(QWidget):
    """What a Validate data stage with ``schema_source=reference`` checks against."""

    rebaselined = Signal(list)  # the node ids whose reference was forgotten

    def __init__(self, workspace: Any, project: str, node_id: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.workspace, self.project, self.node_id = workspace, project, node_id
        self.confirm: Callable[[str], bool] = self._ask
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 4, 0, 0)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setStyleSheet(f"color: {colors.css('muted_text')};")
        self.button = QPushButton("Re-baseline schema…")
        self.button.setToolTip(
            "Forget the stored reference schemas of this project: the next run stores new "
            "ones (recorded, as 'mlops-desktop schema PROJECT --rebaseline')"
        )
        self.button.clicked.connect(self.rebaseline)
        lay.addWidget(self.status)
        lay.addWidget(self.button)
        self.refresh()

    def _service(self) -> Any:
        from mlops_desktop.app.schema_reference import SchemaReferences

        return SchemaReferences(self.workspace)

    def refresh(self) -> None:
        """Show the stored reference (or that none is stored yet)."""
        try:
            stored = self._service().stored(self.project, self.node_id)
        except Exception as exc:  # noqa: BLE001 - a closed or broken workspace: say so
            self.status.setText(f"The reference schema cannot be read: {exc}")
            self.button.setEnabled(False)
            return
        if stored is None:
            self.status.setText(
                "No reference schema stored yet: the next run stores the schema of the data "
                "it checks, and later runs are checked against it."
            )
            self.button.setEnabled(False)
            return
        self.status.setText(
            f"Checks against the reference schema ({stored['columns']} columns) stored by run "
            f"{stored['run_label']} at {stored['stored_at']}. When the data changed on purpose, "
            "re-baseline: the next run stores a new reference."
        )
        self.button.setEnabled(True)

    def _ask(self, text: str) -> bool:
        answer = QMessageBox.question(self, "Re-baseline schema", text)
        return answer == QMessageBox.StandardButton.Yes

    def rebaseline(self) -> None:
        """Forget the project's references after a confirmation; recorded with the user."""
        text = (
            f"Forget the stored reference schemas of '{self.project}'? The next run stores "
            "new ones from the data it reads; this is recorded."
        )
        if not self.confirm(text):
            return
        nodes = self._service().rebaseline(self.workspace.projects.get(self.project).id, _who())
        self.refresh()
        self.status.setText(
            f"Re-baselined: the references of {', '.join(nodes) or 'no stage'} were forgotten; "
            "the next run stores new ones."
        )
        self.rebaselined.emit(nodes)


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in this environment
        return "unknown"
