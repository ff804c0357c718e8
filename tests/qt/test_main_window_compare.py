"""Compare runs and follow trends from the window: the Runs panel's Compare button opens
a comparison panel; the Trends panel follows the project's runs."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from mlops_desktop.app.runs import RunService
from mlops_desktop.core.graph import Link, Node, Pipeline
from mlops_desktop.core.operations import AddLink, AddNode
from mlops_desktop.qt.main_window import MainWindow


def _threads_of(monkeypatch, module, names) -> list[tuple[str, bool]]:  # noqa: ANN001
    """Spy on ``module``'s functions ``names``: each call's name and whether it ran on the
    GUI thread (this one), in the list returned."""
    import threading

    gui, calls = threading.get_ident(), []
    for name in names:
        real = getattr(module, name)

        def spy(*args, _real=real, _name=name):  # noqa: ANN002, ANN202
            calls.append((_name, threading.get_ident() == gui))
            return _real(*args)

        monkeypatch.setattr(module, name, spy)
    return calls


@pytest.fixture
def window(qtbot, tmp_path):
    win = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    win.open_workspace(str(tmp_path / "w.db"))
    win.service.create_project("small", template="blank")
    pipeline = Pipeline("fit")
    pipeline.apply(AddNode(Node("load", "load_data", "Load", {"dataset": "iris"}, 0, 0)))
    pipeline.apply(AddNode(Node("split", "split", "Split", {}, 250, 0)))
    pipeline.apply(AddNode(Node("train", "train", "Train", {}, 500, 0)))
    pipeline.apply(AddNode(Node("eval", "evaluate", "Evaluate", {}, 750, 0)))
    pipeline.apply(AddLink(Link("l1", "load", "dataset", "split", "dataset")))
    pipeline.apply(AddLink(Link("l2", "split", "split", "train", "split")))
    pipeline.apply(AddLink(Link("l3", "train", "model", "eval", "model")))
    pipeline.apply(AddLink(Link("l4", "split", "split", "eval", "split")))
    win.service.create_pipeline("small", "fit", pipeline)
    service = RunService(win.workspace, workers=1)
    win.test_runs = [service.run("small", "fit").id, service.run("small", "fit", force=True).id]
    win.browser.refresh()
    win.open_pipeline("small", "fit")
    yield win
    win.close()


def test_compare_button_opens_the_comparison_of_the_selected_runs(qtbot, window) -> None:
    panel = window.runs_panel
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2)  # read in the background
    assert window.compare_dock is None
    panel.select_runs(window.test_runs)
    assert panel.compare_button.isEnabled()
    panel.compare_button.click()
    assert window.compare_dock is not None and window.compare_dock.isVisible()
    qtbot.waitUntil(lambda: window.compare_view.comparison is not None)  # read off the GUI
    assert sorted(window.compare_view.comparison.run_ids) == sorted(window.test_runs)
    # Comparing again reuses the panel.
    dock = window.compare_dock
    window.compare_runs(window.test_runs[:1])  # one run: nothing to compare
    window.compare_runs(list(reversed(window.test_runs)))
    assert window.compare_dock is dock


def test_trends_panel_shows_the_metrics_of_the_project_runs(qtbot, window) -> None:
    assert window.trends is None  # built when first shown
    window.show_dock(window.trends_dock)
    qtbot.waitUntil(lambda: window.trends is not None and window.trends.trend.trend is not None)
    trends = window.trends
    assert trends.pipeline_combo.currentText() == "fit"
    assert len(trends._runs) == 2
    keys = [trends.metric_combo.itemText(i) for i in range(trends.metric_combo.count())]
    assert "accuracy" in keys
    assert not trends.trend.isHidden() and trends.empty.isHidden()
    qtbot.waitUntil(trends.trend.isVisible)  # shown with its panel


def test_trends_read_off_the_gui_thread_when_shown_rechosen_and_after_a_run(
    qtbot, window, monkeypatch
) -> None:
    """Opening Trends, choosing another metric and a run finishing read the workspace on
    reader threads; the GUI thread only draws (at 10,000 runs the reads took it 0.5 s)."""
    from mlops_desktop.app import trends_read

    calls = _threads_of(monkeypatch, trends_read, ("read_trends", "read_metric", "read_run"))
    window.show_dock(window.trends_dock)
    qtbot.waitUntil(lambda: window.trends is not None and window.trends.trend.trend is not None)
    trends = window.trends
    assert trends.trend.trend.key == "accuracy" and len(trends.trend.trend.run_ids) == 2
    keys = [trends.metric_combo.itemText(i) for i in range(trends.metric_combo.count())]
    other = next(k for k in keys if k != "accuracy" and not k.startswith("psi/"))
    trends.metric_combo.setCurrentText(other)  # its values read then
    qtbot.waitUntil(lambda: trends.trend.trend.key == other, timeout=10000)
    trends.metric_combo.setCurrentText("accuracy")
    with qtbot.waitSignal(window.runner.finished, timeout=60000):
        window.run_pipeline(force=True)
    qtbot.waitUntil(lambda: len(trends.trend.trend.run_ids) == 3, timeout=10000)
    assert {name for name, _ in calls} == {"read_trends", "read_metric", "read_run"}
    assert not any(on_gui for _, on_gui in calls), calls


def test_compare_reads_the_runs_and_their_series_off_the_gui_thread(
    qtbot, window, monkeypatch
) -> None:
    """Comparing runs reads them (in bulk) and the series of the metric overlaid on reader
    threads; the panel draws what arrives (100 runs of a 10,000-run history held the GUI
    thread 0.4-0.5 s)."""
    from mlops_desktop.app import compare_read

    calls = _threads_of(monkeypatch, compare_read, ("read_comparison", "read_series"))
    window.compare_runs(window.test_runs)
    view = window.compare_view
    qtbot.waitUntil(lambda: view.comparison is not None and view.series_key.count() > 0)
    assert "Comparing 2 runs" in view.title.text()
    assert view.table.rowCount() > 0
    keys = [view.series_key.itemText(i) for i in range(view.series_key.count())]
    # The plot pages are made when first shown: the Parameters page draws the runs then.
    assert view._params is None and view._series is None
    view.tabs.setCurrentIndex(2)
    assert view._params is not None and view._params.comparison is view.comparison
    view.tabs.setCurrentIndex(1)  # the Series page: the first curve, read with the runs
    assert view.series_key.currentText() == keys[0]
    assert len(keys) > 1, keys
    view.series_key.setCurrentText(keys[1])  # another curve overlaid: read there too
    qtbot.waitUntil(lambda: keys[1] in view._cache)
    assert calls and not any(on_gui for _, on_gui in calls), calls
    # A run that is gone: said in the panel, nothing raised.
    window.compare_runs([window.test_runs[0], 10**9])
    qtbot.waitUntil(lambda: "Cannot compare the runs" in view.title.text())


def test_opening_a_run_reads_it_off_the_gui_thread(qtbot, window, monkeypatch) -> None:
    """A run opened from the Runs panel (or a trend point, a loop marker) is read on a
    reader thread and shown when read: a run's long series held the GUI thread meanwhile."""
    import threading

    from mlops_desktop.app import plot_data

    gui, on_gui = threading.get_ident(), []
    real = plot_data.run_metrics

    def spy(workspace, run_id):  # noqa: ANN001, ANN202
        on_gui.append(threading.get_ident() == gui)
        return real(workspace, run_id)

    monkeypatch.setattr(plot_data, "run_metrics", spy)
    first, second = window.test_runs
    panel = window.runs_panel
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2)
    with qtbot.waitSignal(panel.run_opened):
        panel.run_opened.emit(first)  # what a double-click on its row emits
    qtbot.waitUntil(lambda: window.run_view is not None and window.run_view.run is not None)
    assert window.run_view.run.id == first and window.run_view_dock.isVisible()
    window.open_run(second)
    qtbot.waitUntil(lambda: window.run_view.run.id == second)
    assert on_gui and not any(on_gui)
