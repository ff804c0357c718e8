"""Runs panel, run view, run comparison and trend views on a real workspace with real runs."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from PySide6 import QtCore

from mlops_desktop.app import plot_data as P
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.operations import add_stage, connect
from mlops_desktop.core.registry import default_registry

pytest.importorskip("pytestqt")


def pipeline(C: float, importance: bool) -> Pipeline:
    p = Pipeline("main", default_registry())
    for node_id, stage_type, params in (
        ("load", "load_data", {"dataset": "wine"}),
        ("split", "split", {"seed": 3}),
        ("fe", "feature_engineering", {}),
        ("train", "train", {"estimator": "logistic_regression", "C": C}),
        ("eval", "evaluate", {"permutation_importance": importance, "importance_repeats": 2}),
    ):
        p.apply(add_stage(p, stage_type, params=params, node_id=node_id))
    for link in (
        ("load", "dataset", "split", "dataset"),
        ("split", "split", "fe", "split"),
        ("fe", "split", "train", "split"),
        ("fe", "split", "eval", "split"),
        ("train", "model", "eval", "model"),
    ):
        p.apply(connect(*link))
    return p


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from mlops_desktop.app.projects import ProjectService
    from mlops_desktop.app.runs import RunService
    from mlops_desktop.app.workspace import Workspace

    ws = Workspace.open(str(tmp_path_factory.mktemp("views") / "workspace.db"))
    ProjectService(ws).create_project("views")
    service = RunService(ws, workers=2)
    runs = [
        service.run("views", "main", document=pipeline(C, importance=(i == 0)))
        for i, C in enumerate((0.001, 0.01, 1.0))
    ]
    yield {"ws": ws, "runs": runs, "service": service}
    ws.close()


def test_runs_panel_lists_selects_and_opens(qtbot, world):
    from mlops_desktop.qt.runs.panel import RunsPanel

    ws, runs = world["ws"], world["runs"]
    panel = RunsPanel()
    qtbot.addWidget(panel)
    panel.load(ws, "views")
    assert panel.proxy.rowCount() == 3
    header = [
        panel.model.headerData(i, QtCore.Qt.Orientation.Horizontal)
        for i in range(panel.model.columnCount())
    ]
    assert header[:5] == ["Run", "Status", "Trigger", "Started", "Duration"]
    assert header[5] == "accuracy"
    first = panel.proxy.index(0, 0)
    assert first.data() == f"#{runs[-1].id}"  # newest on top
    assert panel.proxy.index(0, 1).data() == "succeeded"
    acc = ws.metrics.latest(runs[-1].id)["accuracy"]
    assert panel.proxy.index(0, 5).data() == f"{acc:.4g}"

    with qtbot.waitSignal(panel.runs_selected) as selected:
        panel.select_runs([runs[0].id, runs[2].id])
    assert sorted(selected.args[0]) == sorted([runs[0].id, runs[2].id])
    assert panel.compare_button.isEnabled() and not panel.open_button.isEnabled()
    with qtbot.waitSignal(panel.compare_requested) as compare:
        panel.compare_button.click()
    assert sorted(compare.args[0]) == sorted([runs[0].id, runs[2].id])

    panel.filter_edit.setText(f"#{runs[1].id}")
    assert panel.proxy.rowCount() == 1 and "1 of 3" in panel.status.text()
    panel.filter_edit.setText("")
    assert panel.proxy.rowCount() == 3

    # Sorting by accuracy puts the best run first.
    panel.view.sortByColumn(5, QtCore.Qt.SortOrder.DescendingOrder)
    accs = [ws.metrics.latest(r.id)["accuracy"] for r in runs]
    assert panel.proxy.index(0, 5).data() == f"{max(accs):.4g}"

    panel.resize(700, 300)
    panel.show()
    qtbot.waitExposed(panel)
    index = panel.proxy.index(1, 0)
    rect = panel.view.visualRect(index)
    with qtbot.waitSignal(panel.run_opened) as opened:
        # Item views need the first click before the double-click, as a real mouse sends.
        qtbot.mouseClick(panel.view.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(
            panel.view.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=rect.center()
        )
    expected = panel.model.run_id(panel.proxy.mapToSource(index).row())
    assert opened.args == [expected]


def test_run_view_shows_the_run(qtbot, world):
    from mlops_desktop.qt.runs.view import RunView

    ws, run = world["ws"], world["runs"][0]
    view = RunView()
    qtbot.addWidget(view)
    view.load(ws, run.id)
    assert f"Run #{run.id}" in view.header.text()
    keys = [
        view.key_list.item(i).data(QtCore.Qt.ItemDataRole.UserRole)
        for i in range(view.key_list.count())
    ]
    assert "accuracy" in keys and not any(k.startswith(("roc/", "confusion")) for k in keys)
    diag = P.diagnostics(ws, run.id)
    np.testing.assert_array_equal(view.diagnostics.confusion.matrix, diag.confusion)
    assert view.diagnostics.confusion.labels == diag.labels and len(diag.labels) == 3
    assert set(view.diagnostics.roc.curves) == set(diag.roc) and len(diag.roc) == 3
    assert view.diagnostics.importance.names  # permutation importance was on for this run
    assert not view.tabs.isTabEnabled(2)  # no tuning in this run
    assert view.stage_table.rowCount() == 5
    assert view.log_text.toPlainText()

    # Live points of this run are plotted (throttled); other runs' points are ignored.
    for step in range(30):
        view.on_metric_logged(run.id, "train", "live_loss", step, 1.0 / (step + 1))
    view.on_metric_logged(run.id + 999, "train", "other", 0, 1.0)
    qtbot.waitUntil(lambda: (run.id, "live_loss") in view.plot._lines, timeout=1000)
    x, y = view.plot.line_data(run.id, "live_loss")
    assert x.size == 30 and y[0] == 1.0
    assert (run.id + 999, "other") not in view.plot._lines
    # An unticked metric keeps collecting points off the plot, and shows them when ticked.
    item = next(
        view.key_list.item(i)
        for i in range(view.key_list.count())
        if view.key_list.item(i).data(QtCore.Qt.ItemDataRole.UserRole) == "live_loss"
    )
    item.setCheckState(QtCore.Qt.CheckState.Unchecked)
    # The hidden line plot lets its curves go in the next turn of the event loop.
    qtbot.waitUntil(lambda: (run.id, "live_loss") not in view.plot._lines, timeout=2000)
    for step in range(30, 40):
        view.on_metric_logged(run.id, "train", "live_loss", step, 0.01)
    # The hidden line plot lets its curves go in the next turn of the event loop.
    qtbot.waitUntil(lambda: (run.id, "live_loss") not in view.plot._lines, timeout=2000)
    item.setCheckState(QtCore.Qt.CheckState.Checked)
    assert view.plot.line_data(run.id, "live_loss")[0].size == 40


def test_comparison_view_of_real_runs(qtbot, world):
    from mlops_desktop.qt.plots.compare import RunComparisonView

    ws, runs = world["ws"], world["runs"]
    ids = [r.id for r in runs]
    ws.metrics.log_arrays(ids[0], "loss", np.linspace(1, 0.1, 50))
    ws.metrics.log_arrays(ids[1], "loss", np.linspace(1, 0.3, 80))
    comp = P.compare(ws, ids)
    view = RunComparisonView()
    qtbot.addWidget(view)
    view.set_comparison(comp, ["loss"], lambda rid, key: P.series(ws, rid, key), metric="accuracy")
    table = view.table
    assert [table.horizontalHeaderItem(j).text() for j in range(3)] == [f"#{i}" for i in ids]
    row = [table.verticalHeaderItem(i).text() for i in range(table.rowCount())].index("accuracy")
    best = int(np.nanargmax(comp.metrics["accuracy"]))
    assert table.item(row, best).font().bold()
    # A metric equal in every run has no best; a lower-is-better one bolds its minimum.
    names = [table.verticalHeaderItem(i).text() for i in range(table.rowCount())]
    same = [k for k in comp.metrics if np.nanmin(comp.metrics[k]) == np.nanmax(comp.metrics[k])]
    assert same  # e.g. the dummy baseline scores
    for key in same:
        r = names.index(key)
        assert not any(table.item(r, j).font().bold() for j in range(3)), key
    if "log_loss" in names:
        r = names.index("log_loss")
        assert table.item(r, int(np.nanargmin(comp.metrics["log_loss"]))).font().bold()
    assert len(view.series.series()) == 2  # the third run logged no loss
    view.params.param_combo.setCurrentText("Train.C")
    headers, rows = view.params.data_table()
    assert headers == ["run_id", "Train.C", "accuracy"] and [r[1] for r in rows] == [
        0.001,
        0.01,
        1.0,
    ]
    view.params.mode_combo.setCurrentIndex(1)
    headers, rows = view.params.data_table()
    assert headers[-1] == "accuracy" and all(0.0 <= v <= 1.0 for r in rows for v in r[1:])
    view.groups.param_combo.setCurrentText("Train.C")
    view.groups.metric_combo.setCurrentText("accuracy")
    stats = view.groups.stats
    assert stats.labels == ["0.001", "0.01", "1.0"]
    np.testing.assert_allclose(stats.mean, comp.metrics["accuracy"])
    np.testing.assert_array_equal(stats.std, 0.0)


def test_trend_and_drift_views(qtbot, world):
    from mlops_desktop.qt.plots.trends import DriftPlot, TrendPlot

    ws, runs = world["ws"], world["runs"]
    events = [P.TimelineEvent(runs[1].started_at.timestamp(), "wine v2 → production", "deployment")]
    trend = P.trends(ws, "views", "main", "accuracy", events)
    plot = TrendPlot()
    qtbot.addWidget(plot)
    plot.set_trend(trend)
    headers, rows = plot.data_table()
    assert [r[0] for r in rows] == [r.id for r in runs]
    assert len(plot._event_items) == 1
    plot.events_check.setChecked(False)
    assert not plot._event_items[0].isVisible()

    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC).timestamp()
    drift = P.DriftTrend(
        "psi",
        {
            "alcohol": (now + np.arange(5) * 3600.0, np.array([0.01, 0.05, 0.12, 0.25, 0.4])),
            "hue": (now + np.arange(5) * 3600.0, np.array([0.02, 0.02, 0.03, 0.02, 0.01])),
        },
        0.2,
    )
    dplot = DriftPlot()
    qtbot.addWidget(dplot)
    dplot.set_drift(drift)
    assert "1 of 2 features above 0.2" in dplot.summary.text()
    assert [label.text for _, label in dplot.legend.items][0] == "alcohol ⚠"
    headers, rows = dplot.data_table()
    assert len(rows) == 10 and rows[0][-1] == 0.2


def test_trends_view_with_registry_events(qtbot, world):
    from mlops_desktop.app.registry import RegistryService
    from mlops_desktop.qt.plots.trends import TrendsView

    ws, runs = world["ws"], world["runs"]
    registry = RegistryService(ws)
    version = registry.register("views", "wine", run_id=runs[0].id, actor="test")
    registry.deploy("views", "wine", version.version, "staging", approver="test")
    events = P.timeline_events(ws, "views")
    assert [e.kind for e in events] == ["model_version", "deployment"]
    assert events[0].label == "wine v1" and "staging" in events[1].label

    view = TrendsView()
    qtbot.addWidget(view)
    view.show()  # shown before its read arrives, as the window's panel is
    with qtbot.waitSignal(view.loaded, timeout=10000):  # read on a reader thread
        view.load(ws, "views")
    assert view.pipeline_combo.currentText() == "main"
    for combo in (view.pipeline_combo, view.metric_combo):  # sized to what arrived
        text = combo.fontMetrics().horizontalAdvance(combo.currentText())
        qtbot.waitUntil(lambda c=combo, t=text: c.width() > t)
    assert view.metric_combo.currentText() == "accuracy"
    _, rows = view.trend.data_table()
    assert [r[0] for r in rows] == [r.id for r in runs]
    assert len(view.trend._event_items) == 2
    assert view.drift.isHidden()  # no monitoring in this project
    with qtbot.waitSignal(view.loaded, timeout=10000):  # f1's values read then
        view.metric_combo.setCurrentText("f1")
    assert view.trend.trend.key == "f1"
    _, rows = view.trend.data_table()
    assert [r[0] for r in rows] == [r.id for r in runs]
    view.metric_combo.setCurrentText("accuracy")  # read already: drawn at once
    assert view.trend.trend.key == "accuracy"


def test_comparison_view_loads_from_workspace(qtbot, world):
    from mlops_desktop.qt.plots.compare import RunComparisonView

    ws, runs = world["ws"], world["runs"]
    view = RunComparisonView()
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.loaded, timeout=10000):  # read on a reader thread
        view.load(ws, [r.id for r in runs], metric="accuracy")
    keys = [view.series_key.itemText(i) for i in range(view.series_key.count())]
    assert keys and all(P.is_series_key(k) for k in keys)
    assert view.groups.metric_combo.currentText() == "accuracy"


def test_runs_panel_names_the_pipeline_when_a_project_has_several(qtbot, tmp_path):
    from mlops_desktop.app.projects import ProjectService
    from mlops_desktop.app.runs import RunService
    from mlops_desktop.app.workspace import Workspace
    from mlops_desktop.core import operations as ops
    from mlops_desktop.core.graph import Pipeline
    from mlops_desktop.core.serialization import to_dict
    from mlops_desktop.qt.runs.panel import RunsPanel

    with Workspace.open(str(tmp_path / "w.db")) as ws:
        ProjectService(ws).create_project("two")
        graph = Pipeline("scoring")
        graph.apply(ops.add_stage(graph, "load_data", params={"dataset": "iris"}, node_id="d"))
        ws.pipelines.create(ws.projects.get("two").id, "scoring", to_dict(graph))
        info, _ = ProjectService(ws).load_pipeline("two", "main")
        ProjectService(ws).save_pipeline(info.id, graph)
        service = RunService(ws)
        service.run("two", "main")
        service.run("two", "scoring")
        panel = RunsPanel()
        qtbot.addWidget(panel)
        panel.load(ws, "two")
        header = [
            panel.model.headerData(i, QtCore.Qt.Orientation.Horizontal)
            for i in range(panel.model.columnCount())
        ]
        assert header[5] == "Pipeline"
        assert [panel.proxy.index(r, 5).data() for r in range(2)] == ["scoring", "main"]
        panel.filter_edit.setText("scoring")
        assert panel.proxy.rowCount() == 1
        panel.load(ws, "two", "main")  # one pipeline: no Pipeline column
        assert panel.model.columns == ("Run", "Status", "Trigger", "Started", "Duration")


def test_trends_lists_are_as_wide_as_what_the_read_brings(qtbot, tmp_path):
    """The view shows before its read arrives: its lists then grow to the names that came
    (sized once when first shown, empty, they cut a long pipeline name to 'Continuc')."""
    from mlops_desktop.app.projects import ProjectService
    from mlops_desktop.app.workspace import Workspace
    from mlops_desktop.qt.plots.trends import TrendsView

    with Workspace.open(str(tmp_path / "w.db")) as ws:
        ProjectService(ws).create_project("ct", template="google")
        view = TrendsView()
        qtbot.addWidget(view)
        view.resize(900, 300)
        view.show()
        qtbot.waitExposed(view)
        with qtbot.waitSignal(view.loaded, timeout=10000):
            view.load(ws, "ct")
        combo = view.pipeline_combo
        assert combo.currentText() == "Continuous training and serving"
        wanted = combo.fontMetrics().horizontalAdvance(combo.currentText())
        qtbot.waitUntil(lambda: combo.width() > wanted)
        view.wait()
