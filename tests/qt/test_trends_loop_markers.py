"""The Trends view draws the continuous-training loop on the metric timeline: a monitor alert,
the retraining run it started, promotions to production and a rollback, one scatter item per
kind of marker; a click on a marker opens its run in the Run panel."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import QSettings

from mlops_desktop.app.registry import RegistryService, RunOperations
from mlops_desktop.app.triggers import utc_now
from mlops_desktop.core.entities import Run, RunStatus
from mlops_desktop.core.graph import Node, Pipeline
from mlops_desktop.core.operations import AddNode
from mlops_desktop.qt.main_window import MainWindow


def _runs(ws, project: str, pipeline: str, spec: list[tuple[str, float, object]]) -> list[int]:
    """Finished runs stored in bulk: (trigger, accuracy, start) each."""
    proj = ws.projects.get(project)
    info = ws.pipelines.get(proj.id, pipeline)
    version = ws.pipelines.latest(info.id)
    runs, series = [], []
    for i, (trigger, value, when) in enumerate(spec):
        status = RunStatus.SUCCEEDED
        runs.append(Run(0, proj.id, info.id, version.id, status, trigger, "dev", when, when, when))
        series.append((i, "accuracy", "", [0], [value], when.timestamp()))
    return ws.runs.add_finished(runs, series)


@pytest.fixture
def window(qtbot, tmp_path):
    win = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    win.open_workspace(str(tmp_path / "w.db"))
    win.service.create_project("loop", template="blank")
    pipeline = Pipeline("ct")
    pipeline.apply(AddNode(Node("load", "load_data", "Load", {"dataset": "iris"}, 0, 0)))
    win.service.create_pipeline("loop", "ct", pipeline)
    ws = win.workspace
    now = utc_now()
    first, alerted = _runs(
        ws,
        "loop",
        "ct",
        [("manual", 0.90, now - timedelta(hours=3)), ("schedule", 0.70, now - timedelta(hours=2))],
    )
    registry = RegistryService(ws)
    registry.register("loop", "clf", run_id=first, actor="test")
    registry.promote("loop", "clf", 1, "production", actor="test")
    alert = RunOperations(ws).record_alert(alerted, "monitor", "drift", "psi above 0.2", {})
    (retrain,) = _runs(ws, "loop", "ct", [("monitor_alert", 0.88, utc_now())])
    registry.register("loop", "clf", run_id=retrain, actor="trigger:monitor_alert")
    promoted = registry.promote("loop", "clf", 2, "production", actor="test")
    rolled = registry.rollback("loop", "clf", "production", actor="test")
    win.facts = {
        "first": first,
        "alerted": alerted,
        "retrain": retrain,
        "alert_at": alert.created_at.timestamp(),
        "retrain_at": ws.runs.get(retrain).started_at.timestamp(),
        "promoted_at": promoted.created_at.timestamp(),
        "rolled_at": rolled.created_at.timestamp(),
    }
    win.browser.refresh()
    win.open_pipeline("loop", "ct")
    yield win
    win.runner.wait(30)
    win.close()


def test_the_training_loop_is_marked_on_the_metric_timeline(qtbot, window) -> None:
    facts = window.facts
    window.show_dock(window.trends_dock)
    qtbot.waitUntil(lambda: window.trends is not None and window.trends.trend.trend is not None)
    plot = window.trends.trend
    assert plot.trend.key == "accuracy"
    assert set(plot.markers) == {"alert", "retrain", "promotion", "rollback"}
    # one scatter item per kind of marker, each point at its moment, opening its run
    expect = {
        "alert": [(facts["alert_at"], facts["alerted"])],
        "retrain": [(facts["retrain_at"], facts["retrain"])],
        # v1 (trained by the first run) then v2 (by the retraining run) to production
        "promotion": [(None, facts["first"]), (facts["promoted_at"], facts["retrain"])],
        "rollback": [(facts["rolled_at"], facts["first"])],  # back to v1
    }
    for kind, wanted in expect.items():
        scatter = plot.markers[kind]
        xs, _ys = scatter.getData()
        events = [plot.events[int(i)] for i in scatter.data["data"]]
        assert [e.kind for e in events] == [kind] * len(wanted)
        assert [e.run_id for e in events] == [run for _, run in wanted]
        for x, (at, _run) in zip(xs, wanted, strict=True):
            if at is not None:
                assert x == pytest.approx(at, abs=1e-3)
    # the retraining run's marker sits on the metric line, at its run's point
    _xs, ys = plot.markers["retrain"].getData()
    assert ys[0] == pytest.approx(0.88)
    assert facts["alert_at"] < facts["retrain_at"] < facts["promoted_at"] < facts["rolled_at"]


def test_no_loop_no_markers(qtbot, tmp_path) -> None:
    """A project whose runs raised no alert and moved no alias gets no loop marker item."""
    from mlops_desktop.app import plot_data

    win = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.open_workspace(str(tmp_path / "w.db"))
    win.service.create_project("calm", template="blank")
    pipeline = Pipeline("ct")
    pipeline.apply(AddNode(Node("load", "load_data", "Load", {"dataset": "iris"}, 0, 0)))
    win.service.create_pipeline("calm", "ct", pipeline)
    run_ids = _runs(win.workspace, "calm", "ct", [("manual", 0.9, utc_now())])
    registry = RegistryService(win.workspace)
    registry.register("calm", "clf", run_id=run_ids[0], actor="test")
    registry.promote("calm", "clf", 1, "staging", actor="test")  # not production
    assert plot_data.loop_events(win.workspace, "calm") == []
    win.close()


def _click_marker(qtbot, plot, kind: str, index: int = 0) -> None:
    """Click with the mouse where the marker is drawn on the screen."""
    from PySide6.QtCore import QPointF, Qt

    xs, ys = plot.markers[kind].getData()
    x, y = float(xs[index]), float(ys[index])
    # The loop's events here happen milliseconds apart: zoom in until no other marker shares
    # the spot, as a person would before clicking.
    others = [e.time for e in plot.events if e.time is not None and abs(e.time - x) > 1e-9]
    half = min([abs(t - x) for t in others] + [60.0]) / 2
    plot.plot_item.vb.setRange(xRange=(x - half, x + half), yRange=(y - 1, y + 1), padding=0)
    qtbot.wait(50)
    view = plot.layout_widget
    scene_pos = plot.plot_item.vb.mapViewToScene(QPointF(x, y))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.mapFromScene(scene_pos))


@pytest.mark.parametrize(("kind", "run"), [("retrain", "retrain"), ("alert", "alerted")])
def test_clicking_a_loop_marker_opens_its_run(qtbot, window, kind, run) -> None:
    facts = window.facts
    window.show_dock(window.trends_dock)
    qtbot.waitUntil(lambda: window.trends is not None and window.trends.trend.trend is not None)
    plot = window.trends.trend
    with qtbot.waitSignal(window.trends.run_activated, timeout=5000) as opened:
        _click_marker(qtbot, plot, kind)
    assert opened.args == [facts[run]]
    qtbot.waitUntil(
        lambda: (
            window.run_view is not None
            and window.run_view.run is not None
            and window.run_view.run.id == facts[run]
        )
    )
    assert f"Run #{window.run_view.run.number}" in window.run_view.header.text()


def test_labels_of_close_events_do_not_overlap(qtbot, window) -> None:
    """Versions and deployments a few seconds apart get their labels in separate rows."""
    window.show_dock(window.trends_dock)
    qtbot.waitUntil(lambda: window.trends is not None and window.trends.trend.trend is not None)
    plot = window.trends.trend
    qtbot.wait(100)
    labels = [line.label for line in plot.event_lines if line.isVisible()]
    assert len(labels) >= 2
    rects = [label.sceneBoundingRect() for label in labels]
    for i, a in enumerate(rects):
        for b in rects[i + 1 :]:
            assert not a.intersects(b), (a, b)
    view = plot.plot_item.vb.sceneBoundingRect()
    assert all(view.top() - 1 <= r.top() for r in rects)  # inside the plot, none above it


def test_a_long_loop_marks_its_newest_retraining_runs_and_says_how_many_it_left_out(
    qtbot,
) -> None:
    """Thousands of retraining runs overlap on a time axis and each marker costs the GUI
    thread: the newest MAX_LOOP_MARKERS are marked, and the legend says of how many; a click
    on one still opens its own run."""
    import numpy as np

    from mlops_desktop.app.plot_data import TimelineEvent, Trend
    from mlops_desktop.qt.plots.trends import MAX_LOOP_MARKERS, TrendPlot

    n = MAX_LOOP_MARKERS + 100
    events = [TimelineEvent(1000.0 + i, f"retraining run #{i}", "retrain", i) for i in range(n)]
    times = np.arange(n, dtype=np.float64) + 1000.0
    trend = Trend("accuracy", np.arange(n), times, np.full(n, 0.9), ["succeeded"] * n, events)
    plot = TrendPlot()
    qtbot.addWidget(plot)
    plot.resize(900, 400)
    plot.set_trend(trend)
    xs, _ = plot.markers["retrain"].getData()
    assert xs.size == MAX_LOOP_MARKERS and xs.min() == 1100.0 and xs.max() == 1000.0 + n - 1
    names = [name for _, name, _ in plot._legend_entries]
    assert f"retraining run (newest {MAX_LOOP_MARKERS} of {n})" in names
    newest = plot.markers["retrain"].points()[-1]
    assert plot.events[int(newest.data())].run_id == n - 1


def test_a_long_drift_history_is_drawn_as_lines_without_a_marker_per_point(qtbot) -> None:
    """Markers while a feature's points can be told apart; past MAX_MARKERS its line only
    (a marker per point of 10,000 runs took the drift plot 75 ms of the GUI thread)."""
    import numpy as np

    from mlops_desktop.app.plot_data import DriftTrend
    from mlops_desktop.qt.plots.trends import MAX_MARKERS, DriftPlot

    long_t = np.arange(MAX_MARKERS + 1, dtype=np.float64)
    short_t = np.arange(20, dtype=np.float64)
    drift = DriftTrend(
        "psi",
        {"age": (long_t, np.full(long_t.size, 0.1)), "income": (short_t, np.full(20, 0.3))},
        0.2,
    )
    plot = DriftPlot()
    qtbot.addWidget(plot)
    plot.set_drift(drift)
    items = {len(item.xData): item for item in plot.plot_item.listDataItems()}
    long, short = items[MAX_MARKERS + 1], items[20]
    assert long.opts["symbol"] is None and not long.scatter.isVisible()
    assert short.opts["symbol"] == "o" and len(short.scatter.data) == 20
