"""Small read-only tables of text shared by the project panels (models, triggers)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6 import QtWidgets

from mlops_desktop.qt import colors


def read_only_table(columns: Sequence[str]) -> QtWidgets.QTableWidget:
    """A row-selecting table of text that the user cannot edit."""
    table = QtWidgets.QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(list(columns))
    table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(22)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def fill_table(
    table: QtWidgets.QTableWidget,
    rows: Sequence[Sequence[Any]],
    colours: dict[tuple[int, int], str] | None = None,
) -> None:
    """Put ``rows`` of values into ``table``; ``colours`` maps (row, column) to a colour."""
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            item = QtWidgets.QTableWidgetItem("" if value is None else str(value))
            colour = (colours or {}).get((r, c))
            if colour:
                item.setForeground(colors.readable(colour))
            table.setItem(r, c, item)
    table.resizeColumnsToContents()
