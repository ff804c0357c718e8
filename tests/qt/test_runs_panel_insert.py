"""A finished run's row goes where the table's sort puts it (by a binary search of the shown
rows, either order), with ties after the equal rows, and the selection stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt

from mlops_desktop.qt.runs.panel import RunsPanel


def _row(run_id: int, accuracy: float) -> dict:
    started = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=run_id)
    return {
        "id": run_id,
        "number": run_id,
        "pipeline": "main",
        "status": "succeeded",
        "trigger": "manual",
        "environment": "dev",
        "started": started,
        "duration_s": 1.0,
        "metrics": {"accuracy": accuracy},
    }


@pytest.mark.parametrize("order", [Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder])
def test_new_run_is_inserted_at_its_sorted_place(qtbot, order) -> None:
    panel = RunsPanel()
    qtbot.addWidget(panel)
    values = [0.91, 0.5, 0.77, 0.5, 0.63, 0.99, 0.12, 0.84]
    panel.set_rows([_row(i + 1, v) for i, v in enumerate(values)], ["accuracy"])
    column = len(panel.model.columns)
    panel.view.sortByColumn(column, order)
    panel.select_runs([3, 6])
    for run_id, accuracy in ((20, 0.7), (21, 0.5), (22, 1.0), (23, 0.0)):
        panel.model.upsert([_row(run_id, accuracy)])
        shown = [panel.model.rows[i] for i in panel.model.visible]
        keys = [(r["metrics"]["accuracy"], r["id"]) for r in shown]
        assert keys == sorted(keys, reverse=order == Qt.SortOrder.DescendingOrder)
    assert panel.model.rowCount() == len(values) + 4
    assert sorted(panel.selected_run_ids()) == [3, 6]
