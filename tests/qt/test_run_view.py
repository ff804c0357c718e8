"""RunView's Metrics tab on a real run of the Google template, whose metrics are logged once
each: the evaluation scores are ticked and drawn as labelled bars, lone points get markers."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore

from mlops_desktop.app import plot_data as P

pytest.importorskip("pytestqt")

Qt = QtCore.Qt


@pytest.fixture(scope="module")
def google_runs(tmp_path_factory):
    from mlops_desktop.app.projects import ProjectService
    from mlops_desktop.app.runs import RunService
    from mlops_desktop.app.workspace import Workspace

    ws = Workspace.open(str(tmp_path_factory.mktemp("runview") / "workspace.db"))
    ProjectService(ws).create_project("demo", template="google")
    service = RunService(ws)
    runs = [service.run("demo", force=True)]
    yield ws, runs
    ws.close()


def ticked(view) -> list[str]:  # noqa: ANN001
    items = [view.key_list.item(i) for i in range(view.key_list.count())]
    return [
        i.data(Qt.ItemDataRole.UserRole) for i in items if i.checkState() == Qt.CheckState.Checked
    ]


def test_metrics_tab_shows_the_final_values_of_a_run_of_single_values(qtbot, google_runs):
    from mlops_desktop.qt.runs.view import RunView

    ws, runs = google_runs
    run = runs[-1]
    assert all(len(P.series(ws, run.id, k)) == 1 for k in ("accuracy", "f1", "roc_auc"))
    view = RunView()
    qtbot.addWidget(view)
    view.resize(1100, 650)
    view.show()
    qtbot.waitExposed(view)
    view.load(ws, run.id)
    # The evaluation scores are ticked when the run opens...
    assert ticked(view) == ["accuracy", "f1", "precision", "recall", "roc_auc"]
    # ...and drawn as one labelled bar each with the run's values, not as an empty plot.
    assert view.plot_stack.currentWidget() is view.values_plot
    latest = ws.metrics.latest(run.id)
    headers, rows = view.values_plot.data_table()
    assert headers == ["metric", "value"]
    assert rows == [(k, pytest.approx(latest[k])) for k in ticked(view)]
    assert view._hint is None
    # Ticking a real series switches to lines (the single values become markers).
    for step in range(25):
        view.on_metric_logged(run.id, "train", "loss", step, 1.0 / (step + 1))
    assert view.plot_stack.currentWidget() is view.plot
    view.plot.flush()
    assert view.plot.line_data(run.id, "loss")[0].size == 25
    assert view.plot._lines[(run.id, "accuracy")].raw.opts["symbol"] == "o"
    assert view.plot._lines[(run.id, "loss")].raw.opts["symbol"] is None
    # Nothing ticked: the empty plot says what to do.
    for i in range(view.key_list.count()):
        view.key_list.item(i).setCheckState(Qt.CheckState.Unchecked)
    assert view.plot_stack.currentWidget() is view.plot and view._hint is not None
    assert "Tick metrics" in view._hint.textItem.toPlainText()


def test_default_selection_falls_back_to_the_first_few_metrics():
    from mlops_desktop.qt.runs.view import FIRST_FEW, default_keys

    def s(key: str, n: int) -> P.Series:
        return P.make_series(1, key, np.arange(n), np.ones(n), np.arange(n, dtype=float))

    assert default_keys({"loss": s("loss", 5), "accuracy": s("accuracy", 1)}) == {"loss"}
    others = {k: s(k, 1) for k in ("a", "b", "c", "d", "e", "f")}
    assert default_keys(others) == set(list(others)[:FIRST_FEW])


def test_a_lone_point_gets_a_marker_until_more_points_arrive(qtbot):
    from mlops_desktop.qt.plots.series import MetricPlotWidget

    plot = MetricPlotWidget(live_interval_ms=1)
    qtbot.addWidget(plot)
    plot.set_series([P.make_series(3, "accuracy", [0], [0.9], [1.0])])
    raw = plot._lines[(3, "accuracy")].raw
    assert raw.opts["symbol"] == "o" and raw.opts["symbolSize"] >= 6
    plot.append_points(3, "accuracy", [1], [0.95], [2.0])
    plot.flush()
    assert plot._lines[(3, "accuracy")].raw.opts["symbol"] is None


def test_the_metric_list_is_wide_enough_for_its_names_and_values(qtbot, google_runs):
    """The longest metric name with its value is not cut under the scroll bar."""
    from mlops_desktop.qt.runs.view import RunView

    ws, runs = google_runs
    view = RunView()
    qtbot.addWidget(view)
    view.resize(1400, 420)  # a short panel: the list scrolls
    view.show()
    qtbot.waitExposed(view)
    view.load(ws, runs[-1].id)
    qtbot.wait(20)
    keys = view.key_list
    assert keys.verticalScrollBar().isVisible()
    room = keys.viewport().width()
    longest = max(keys.visualItemRect(keys.item(i)).width() for i in range(keys.count()))
    widest = max(
        keys.fontMetrics().horizontalAdvance(keys.item(i).text()) for i in range(keys.count())
    )
    assert widest + 24 <= room, (widest, room, longest)


def test_a_live_run_draws_scores_logged_once_as_bars_until_a_metric_has_a_second_point(
    qtbot, google_runs
):
    """While a run goes, its scores logged once are bars, as the run read back shows them:
    no line plot of lone dots and legend is made only to be thrown away when it ends."""
    from dataclasses import replace

    from mlops_desktop.core.entities import RunStatus
    from mlops_desktop.qt.runs.view import RunView

    ws, runs = google_runs
    running = replace(runs[-1], status=RunStatus.RUNNING)
    view = RunView()
    qtbot.addWidget(view)
    view.resize(1100, 650)
    view.show()
    view.show_created(ws, running)
    for key, value in (("accuracy", 0.9), ("f1", 0.8), ("roc_auc", 0.95)):
        view.on_metrics_logged(running.id, "evaluate", key, [0], [value])
    qtbot.waitUntil(lambda: view.plot_stack.currentWidget() is view.values_plot, timeout=5000)
    assert view.values_plot.data_table()[1] == [
        ("accuracy", pytest.approx(0.9)),
        ("f1", pytest.approx(0.8)),
        ("roc_auc", pytest.approx(0.95)),
    ]
    assert "Latest values" in view.values_plot.plot_item.titleLabel.text
    assert view.plot.series() == [] and not view.plot.legend.items
    # A second point of a ticked metric: lines, with every point logged so far.
    view.on_metrics_logged(running.id, "evaluate", "accuracy", [1], [0.92])
    assert view.plot_stack.currentWidget() is view.plot
    view.plot.flush()
    assert view.plot.line_data(running.id, "accuracy")[1].tolist() == [0.9, 0.92]
    assert view.plot.line_data(running.id, "f1")[1].tolist() == [0.8]
    view.on_metrics_logged(running.id, "evaluate", "accuracy", [2], [0.93])
    view.plot.flush()
    assert view.plot.line_data(running.id, "accuracy")[1].tolist() == [0.9, 0.92, 0.93]
