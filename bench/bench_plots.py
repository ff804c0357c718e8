"""Plot speed: a 1,000,000-point metric series loaded from a workspace and drawn, in the app's
MetricPlotWidget and in plain pyqtgraph on the same arrays.

"Load" is ``plot_data.series(workspace, run, key)`` (the workspace's MetricStore: the
series' packed chunks read from SQLite with ``np.frombuffer``). "First render" is creating the widget, giving it the data and
rendering it offscreen with ``QWidget.grab()`` at 1000 x 600 (after processing pending
events). "Zoom frame" is one re-render of the graphics view after zooming to a tenth of the x range,
and "full frame" one re-render of the whole range: what panning and zooming cost (on
interaction Qt repaints only the graphics view, so the frames grab just that, on both sides).

Settings: MetricPlotWidget uses pyqtgraph's peak downsampling (auto) and clip-to-view, set on
the PlotItem before the curve is added; plain pyqtgraph uses ``PlotWidget().plot(x, y)`` with
its defaults (no downsampling, no clipping). Same pyqtgraph, same Qt, same data, same size.
Medians of 5 after one warm-up.

Run: QT_QPA_PLATFORM=offscreen python bench/bench_plots.py
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

N_POINTS = 1_000_000
REPEATS = 5
SIZE = (1000, 600)
MANY_RUNS = 2000


def _row(metric: str, value: Any, unit: str, note: str = "") -> dict[str, Any]:
    return {"benchmark": "plots", "metric": metric, "value": value, "unit": unit, "note": note}


def _workspace_with_series(folder: Path) -> tuple[Any, int]:
    import numpy as np

    from mlops_desktop.app.projects import ProjectService
    from mlops_desktop.app.workspace import Workspace

    ws = Workspace.open(str(folder / "workspace.db"))
    project = ProjectService(ws).create_project("bench")
    info = ws.pipelines.list(project.id)[0]
    version = ws.pipelines.latest(info.id)
    run = ws.runs.create(project.id, info.id, version.id)
    rng = np.random.default_rng(0)
    steps = np.arange(N_POINTS)
    values = np.exp(-steps / 2e5) + np.cumsum(rng.normal(0, 1e-3, N_POINTS))
    ws.metrics.log_arrays(run.id, "loss", values, steps=steps, timestamps=1.7e9 + steps * 0.01)
    return ws, run.id


def _many_runs(folder: Path, n: int = MANY_RUNS) -> tuple[float, float, float]:
    """Runs panel over ``n`` finished runs with eight metrics each; a comparison of 50."""
    import numpy as np
    from PySide6 import QtWidgets

    from mlops_desktop.app import plot_data
    from mlops_desktop.app.projects import ProjectService
    from mlops_desktop.app.workspace import Workspace
    from mlops_desktop.core.entities import MetricPoint, RunStatus
    from mlops_desktop.qt.plots.compare import RunComparisonView
    from mlops_desktop.qt.runs.panel import RunsPanel

    app = QtWidgets.QApplication.instance()
    ws = Workspace.open(str(folder / "many.db"))
    try:
        project = ProjectService(ws).create_project("many")
        info = ws.pipelines.list(project.id)[0]
        version = ws.pipelines.latest(info.id)
        rng = np.random.default_rng(0)
        keys = (
            "accuracy",
            "f1",
            "precision",
            "recall",
            "roc_auc",
            "log_loss",
            "fit_seconds",
            "loss",
        )
        ids = []
        for i in range(n):
            run = ws.runs.create(
                project.id, info.id, version.id, params={"Train": {"C": float(i % 5)}}
            )
            ws.runs.start(run.id)
            ws.metrics.log_batch(
                run.id, [MetricPoint(k, float(rng.random()), 0, 0.0) for k in keys]
            )
            ws.runs.finish(run.id, RunStatus.SUCCEEDED)
            ids.append(run.id)
        start = time.perf_counter()
        panel = RunsPanel()
        panel.resize(900, 600)
        panel.load(ws, "many")
        panel.grab()
        panel_s = time.perf_counter() - start
        panel.deleteLater()
        start = time.perf_counter()
        view = RunComparisonView()
        view.resize(1000, 600)
        view.load(ws, ids[:50], metric="accuracy")
        view.grab()
        compare_s = time.perf_counter() - start
        view.deleteLater()
        start = time.perf_counter()
        plot_data.runs_table(ws, "many")
        rows_s = time.perf_counter() - start
        app.processEvents()
    finally:
        ws.close()
    return panel_s, rows_s, compare_s


def _median(fn: Callable[[], float]) -> float:
    fn()  # warm-up
    return statistics.median(fn() for _ in range(REPEATS))


def run() -> list[dict[str, Any]]:
    import pyqtgraph as pg
    from PySide6 import QtWidgets

    from mlops_desktop.app import plot_data
    from mlops_desktop.app.workspace import Workspace
    from mlops_desktop.qt.plots.series import MetricPlotWidget

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    with tempfile.TemporaryDirectory(prefix="bench-plots-") as tmp:
        ws, run_id = _workspace_with_series(Path(tmp))
        try:
            series = plot_data.series(ws, run_id, "loss")
            assert len(series) == N_POINTS

            def load() -> float:
                start = time.perf_counter()
                plot_data.series(ws, run_id, "loss")
                return time.perf_counter() - start

            load_s = _median(load)
        finally:
            ws.close()
        reopened = Workspace.open(str(Path(tmp) / "workspace.db"))
        try:  # the first read on new connections (the file is in the OS cache)
            start = time.perf_counter()
            plot_data.series(reopened, run_id, "loss")
            reopened_s = time.perf_counter() - start
        finally:
            reopened.close()
        panel_s, rows_s, compare_s = _many_runs(Path(tmp))

    x, y = series.x("step"), series.values
    keep: list[Any] = []

    def ours() -> Any:
        w = MetricPlotWidget()
        w.resize(*SIZE)
        w.set_series([series])
        return w, w.plot_item, w.layout_widget

    def plain() -> Any:
        w = pg.PlotWidget()
        w.resize(*SIZE)
        w.plot(x, y)
        return w, w.getPlotItem(), w

    def first_render(make: Callable[[], Any]) -> Callable[[], float]:
        def measure() -> float:
            start = time.perf_counter()
            widget, _, _ = make()
            app.processEvents()
            widget.grab()
            elapsed = time.perf_counter() - start
            widget.deleteLater()
            app.processEvents()
            return elapsed

        return measure

    def frames(make: Callable[[], Any]) -> tuple[float, float]:
        widget, item, view = make()
        keep.append(widget)
        app.processEvents()
        widget.grab()
        # On pan and zoom Qt repaints only the graphics view, not the tool row around it.
        widget = view

        def zoom() -> float:
            item.setXRange(400_000, 500_000, padding=0)
            start = time.perf_counter()
            app.processEvents()
            widget.grab()
            elapsed = time.perf_counter() - start
            item.enableAutoRange()
            app.processEvents()
            widget.grab()
            return elapsed

        def full() -> float:
            item.setXRange(0, N_POINTS, padding=0)
            start = time.perf_counter()
            app.processEvents()
            widget.grab()
            return time.perf_counter() - start

        return _median(zoom), _median(full)

    ours_first = _median(first_render(ours))
    plain_first = _median(first_render(plain))
    ours_zoom, ours_full = frames(ours)
    plain_zoom, plain_full = frames(plain)
    for widget in keep:
        widget.deleteLater()
    app.processEvents()
    return [
        _row(
            "load 1M-point series from workspace",
            load_s,
            "s",
            "plot_data.series: 16 packed chunks (SQLite) -> numpy; median of 5",
        ),
        _row(
            "load 1M-point series, workspace just reopened",
            reopened_s,
            "s",
            "first read on fresh connections, once",
        ),
        _row(
            "MetricPlotWidget: first render", ours_first, "s", "downsampling (peak) + clip to view"
        ),
        _row("MetricPlotWidget: load + first render", load_s + ours_first, "s", "target < 0.3 s"),
        _row("plain pyqtgraph: first render", plain_first, "s", "PlotWidget.plot, defaults"),
        _row("plain pyqtgraph: load + first render", load_s + plain_first, "s", "same load"),
        _row(
            "first render: plain / MetricPlotWidget",
            plain_first / ours_first,
            "x",
            "> 1 = ours faster",
        ),
        _row("MetricPlotWidget: zoom frame (10% of x)", ours_zoom, "s", "one re-render after zoom"),
        _row("plain pyqtgraph: zoom frame (10% of x)", plain_zoom, "s", "one re-render after zoom"),
        _row("MetricPlotWidget: full-range frame", ours_full, "s", "one re-render, whole series"),
        _row("plain pyqtgraph: full-range frame", plain_full, "s", "one re-render, whole series"),
        _row(
            f"runs table data, {MANY_RUNS} runs",
            rows_s,
            "s",
            "plot_data.runs_table (runs + latest metrics)",
        ),
        _row(
            f"RunsPanel: load + first render, {MANY_RUNS} runs", panel_s, "s", "8 metrics per run"
        ),
        _row(
            "RunComparisonView: load + first render, 50 runs",
            compare_s,
            "s",
            "table, series, params, groups",
        ),
    ]


if __name__ == "__main__":
    for r in run():
        print(r)
