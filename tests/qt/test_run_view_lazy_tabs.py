"""The Run panel builds its Diagnostics plots only when the tab is first shown: a run from
the window starts and finishes without them, and opening the tab afterwards shows that run's
calibration curve, ROC and PR curves and summary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import QSettings, Qt

from mlops_desktop.app import plot_data as P
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.operations import add_stage, connect
from mlops_desktop.core.registry import default_registry
from mlops_desktop.qt.main_window import MainWindow
from mlops_desktop.qt.plots.diagnostics import DiagnosticsView


def _pipeline(csv: str) -> Pipeline:
    p = Pipeline("main", default_registry())
    train = {"estimator": "random_forest", "n_estimators": 20, "threshold": "max_f1"}
    train |= {"calibration": "isotonic", "calibration_folds": 3}
    for node_id, stage_type, params in [
        ("load", "load_data", {"source": "file", "path": csv, "target": "label"}),
        ("split", "split", {"validation_size": 0.2}),
        ("train", "train", train),
        ("eval", "evaluate", {"permutation_importance": False}),
    ]:
        p.apply(add_stage(p, stage_type, params=params, node_id=node_id))
    for link in [
        ("load", "dataset", "split", "dataset"),
        ("split", "split", "train", "split"),
        ("split", "split", "eval", "split"),
        ("train", "model", "eval", "model"),
    ]:
        p.apply(connect(*link))
    return p


@pytest.fixture
def window(qtbot, tmp_path):
    rng = np.random.default_rng(2)
    x, z = rng.normal(size=400), rng.normal(size=400)
    label = np.where(1.5 * x + z + rng.normal(size=400) > 1.2, "fraud", "ok")
    pd.DataFrame({"x": x, "z": z, "label": label}).to_csv(tmp_path / "d.csv", index=False)
    win = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    win.open_workspace(str(tmp_path / "w.db"))
    win.service.create_project("cal", template="blank")
    win.service.create_pipeline("cal", "scored", _pipeline(str(tmp_path / "d.csv")))
    win.browser.refresh()
    win.open_pipeline("cal", "scored")
    yield win
    win.runner.wait(30)
    win.close()


def _click_tab(qtbot, view, index: int) -> None:
    bar = view.tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())


def test_diagnostics_are_built_when_their_tab_is_opened_after_a_run(
    qtbot, window, run_panel_shows
) -> None:
    with qtbot.waitSignal(window.runner.finished, timeout=120000) as blocker:
        window.acts.run.trigger()  # the Run button
    run_id, status = blocker.args[0], blocker.args[1]
    assert status == "succeeded"
    # The finished run, reloaded (read in a worker thread).
    view = run_panel_shows(window, run_id, "succeeded")
    # Started and finished without the diagnostics plots: none exists yet.
    assert view.findChildren(DiagnosticsView) == []
    assert view.tabs.tabText(1) == "Diagnostics" and view.tabs.isTabEnabled(1)
    assert not view.tabs.isTabEnabled(2)  # no tuning stage: nothing to show there

    _click_tab(qtbot, view, 1)
    shown = view.tabs.currentWidget()
    assert isinstance(shown, DiagnosticsView) and shown is view.diagnostics
    assert view.tabs.currentIndex() == 1 and view.tabs.tabText(1) == "Diagnostics"
    names = [type(p).__name__ for p in shown.panels()]
    assert names == ["ConfusionMatrixPlot", "CurvePlot", "CurvePlot", "CalibrationPlot"]
    expected = P.diagnostics(window.workspace, run_id)
    assert expected.calibration is not None
    _headers, rows = shown.calibration.data_table()
    assert [r[0] for r in rows] == pytest.approx(list(expected.calibration.x))
    assert [r[1] for r in rows] == pytest.approx(list(expected.calibration.y))
    assert "positive class <b>fraud</b>" in shown.summary.text()

    # A second run while the tab is shown: its diagnostics are drawn when it finishes.
    with qtbot.waitSignal(window.runner.finished, timeout=120000) as blocker:
        window.run_pipeline(force=True)
    assert view.run.id == blocker.args[0] != run_id
    qtbot.waitUntil(lambda: view.run.status == "succeeded", timeout=10000)  # read once ended
    assert view.tabs.currentWidget() is shown  # the same view, not built again
    assert view.findChildren(DiagnosticsView) == [shown]
    assert "CalibrationPlot" in [type(p).__name__ for p in shown.panels()]
    again = P.diagnostics(window.workspace, view.run.id).calibration
    assert again is not None
    assert [r[0] for r in shown.calibration.data_table()[1]] == pytest.approx(list(again.x))


def test_a_finished_run_is_read_back_off_the_gui_thread(
    qtbot, window, monkeypatch, run_panel_shows
) -> None:
    """When a run ends, the Run panel reads its stored series in a worker thread and the
    GUI thread only draws them (a read of a long run's series froze the window)."""
    import threading

    gui_thread = threading.get_ident()
    reads: list[tuple[int, bool]] = []
    real = P.series

    def series(workspace, run_id, key):  # noqa: ANN001, ANN202
        reads.append((run_id, threading.get_ident() == gui_thread))
        return real(workspace, run_id, key)

    monkeypatch.setattr(P, "series", series)
    with qtbot.waitSignal(window.runner.finished, timeout=120000) as blocker:
        window.acts.run.trigger()
    view = run_panel_shows(window, blocker.args[0], "succeeded")
    finished = [on_gui for run_id, on_gui in reads if run_id == blocker.args[0]]
    assert finished and not any(finished)
    keys = [
        view.key_list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(view.key_list.count())
    ]
    assert "accuracy" in keys
