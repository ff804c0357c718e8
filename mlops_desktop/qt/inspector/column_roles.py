"""Column roles of a Load data stage: every column with its type, the role the run gives it
and why, each role editable; OK writes the stage's ``roles`` parameter (one undo step)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.app.column_roles import SAMPLE_ROWS, ColumnRole, roles_text
from mlops_desktop.stages.portable_data import ROLES

COLUMN_PADDING = 16


class ColumnRolesDialog(QDialog):
    """The columns of a file as Load data sees them; ``roles()`` is the edited parameter."""

    def __init__(self, columns: list[ColumnRole], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Column roles")
        self.columns = columns
        self.combos: dict[str, QComboBox] = {}
        lay = QVBoxLayout(self)
        note = QLabel(
            f"What Load data does with each column (decided on the first {SAMPLE_ROWS:,} rows; "
            "the run decides on all of them and logs the same reasons). Change a role to "
            "override it: ignore drops a column, group and time shape the split and the "
            "cross-validation folds, weight weighs the training rows."
        )
        note.setWordWrap(True)
        lay.addWidget(note)
        self.table = QTableWidget(len(columns), 4, self)
        self.table.setHorizontalHeaderLabels(["Column", "Type", "Role", "Why"])
        for i, col in enumerate(columns):
            self.table.setItem(i, 0, QTableWidgetItem(col.column))
            self.table.setItem(i, 1, QTableWidgetItem(col.kind))
            if col.role == "target":
                self.table.setItem(i, 2, QTableWidgetItem("target"))
            else:
                combo = QComboBox(self.table)
                combo.addItems([r for r in ROLES if r != "target"])
                combo.setCurrentText(col.role)
                self.table.setCellWidget(i, 2, combo)
                self.combos[col.column] = combo
            self.table.setItem(i, 3, QTableWidgetItem(col.reason))
        self.table.verticalHeader().hide()  # row numbers say nothing here
        self.table.resizeColumnsToContents()
        for column in (0, 1, 2):  # room around the names and the role boxes' arrows
            self.table.setColumnWidth(column, self.table.columnWidth(column) + COLUMN_PADDING)
        self.table.horizontalHeader().setStretchLastSection(True)
        lay.addWidget(self.table, 1)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.resize(640, 420)

    def roles(self) -> str:
        """The ``roles`` parameter for the roles as edited (differences from automatic)."""
        wanted = {name: combo.currentText() for name, combo in self.combos.items()}
        return roles_text(self.columns, wanted)
