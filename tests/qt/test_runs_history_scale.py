"""A long run history in the window: a finished run is added without reloading the table,
selections of thousands of rows are restored as ranges, sorting and filtering keep them."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QSettings, Qt

from mlops_desktop.core.entities import Run, RunStatus
from mlops_desktop.core.graph import Link, Node, Pipeline
from mlops_desktop.core.operations import AddLink, AddNode
from mlops_desktop.qt.main_window import MainWindow


def _history(ws, project: str, pipeline: str, n: int) -> list[int]:
    """``n`` finished runs with an accuracy each, stored in bulk as an import would."""
    proj = ws.projects.get(project)
    info = ws.pipelines.get(proj.id, pipeline)
    version = ws.pipelines.latest(info.id)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    runs, series = [], []
    for i in range(n):
        when = start + timedelta(minutes=i)
        status = RunStatus.FAILED if i % 7 == 0 else RunStatus.SUCCEEDED
        runs.append(Run(0, proj.id, info.id, version.id, status, "manual", "dev", when, when, when))
        series.append((i, "accuracy", "", [0], [(i * 37 % 101) / 100], when.timestamp()))
    return ws.runs.add_finished(runs, series)


@pytest.fixture
def window(qtbot, tmp_path):
    win = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    win.open_workspace(str(tmp_path / "w.db"))
    win.service.create_project("big", template="blank")
    pipeline = Pipeline("data")
    pipeline.apply(AddNode(Node("load", "load_data", "Load", {"dataset": "iris"}, 0, 0)))
    pipeline.apply(AddNode(Node("split", "split", "Split", {}, 250, 0)))
    pipeline.apply(AddLink(Link("l1", "load", "dataset", "split", "dataset")))
    win.service.create_pipeline("big", "data", pipeline)
    win.test_ids = _history(win.workspace, "big", "data", 5000)
    win.browser.refresh()
    win.open_pipeline("big", "data")
    qtbot.waitUntil(lambda: win.runs_panel.model.rowCount() == 5000, timeout=20000)
    yield win
    win.runner.wait(30)
    win.close()


def test_a_finished_run_is_added_without_reloading_the_table(qtbot, window) -> None:
    panel = window.runs_panel
    window.show_dock(window.trends_dock)
    qtbot.waitUntil(lambda: window.trends is not None and window.trends.trend.trend is not None)
    assert len(window.trends.trend.trend.run_ids) == 5000
    # one scatter item per kind of run (succeeded / failed), not one per point
    assert len(window.trends.trend.scatters) == 2
    window.show_dock(window.runs_dock)
    panel.select_runs(window.test_ids[:3])
    resets: list[int] = []
    inserted: list[tuple[int, int]] = []
    panel.model.modelReset.connect(lambda: resets.append(1))
    panel.model.rowsInserted.connect(lambda _p, a, b: inserted.append((a, b)))
    with qtbot.waitSignal(window.runner.finished, timeout=60000) as blocker:
        window.run_pipeline()
    run_id = blocker.args[0]
    assert blocker.args[1] == "succeeded"
    qtbot.waitUntil(lambda: panel.model.rowCount() == 5001, timeout=10000)  # read off the GUI
    assert resets == [] and inserted == [(0, 0)]  # one row inserted on top
    assert panel.model.run_id(0) == run_id
    assert sorted(panel.selected_run_ids()) == sorted(window.test_ids[:3])  # kept
    assert "5001 runs" in panel.status.text()
    # the trends got the new run's point the same way (the run logged no accuracy: same count)
    assert len(window.trends.trend.trend.run_ids) == 5000


def test_selection_of_five_thousand_rows_is_restored_fast_and_right(qtbot, window) -> None:
    panel = window.runs_panel
    wanted = window.test_ids[::2]  # every other run: 2,500 separate rows
    started = time.perf_counter()
    panel.select_runs(wanted)
    assert sorted(panel.selected_run_ids()) == sorted(wanted)
    everything = window.test_ids
    panel.select_runs(everything)
    took = time.perf_counter() - started
    assert panel.view.selectionModel().selection().count() == 1  # one range, not 5,000
    assert sorted(panel.selected_run_ids()) == sorted(everything)
    assert took < 2.0  # was quadratic: seconds for thousands of rows
    # Sorting by the metric and filtering keep the selected runs selected.
    panel.select_runs(window.test_ids[:10])
    column = panel.model.columns.__len__()  # the first metric column: accuracy
    assert panel.model.headerData(column, Qt.Orientation.Horizontal) == "accuracy"
    panel.view.sortByColumn(column, Qt.SortOrder.DescendingOrder)
    values = [panel.model.rows[i]["metrics"]["accuracy"] for i in panel.model.visible]
    assert values == sorted(values, reverse=True)
    assert sorted(panel.selected_run_ids()) == sorted(window.test_ids[:10])
    panel.filter_edit.setText("failed")
    shown = [panel.model.run_id(r) for r in range(panel.model.rowCount())]
    assert len(shown) == len([i for i in range(5000) if i % 7 == 0])
    assert "of 5000 runs" in panel.status.text()
    assert sorted(panel.selected_run_ids()) == sorted(
        i for n, i in enumerate(window.test_ids[:10]) if n % 7 == 0
    )
    panel.filter_edit.setText("")
    assert panel.model.rowCount() == 5000
