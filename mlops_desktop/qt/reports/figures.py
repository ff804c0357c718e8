"""Figures for reports drawn offscreen from their plot data: the pipeline canvas in the
chosen lens, and the plots of the Runs and Trends views (confusion matrix, ROC and
precision-recall curves, residuals, feature importance, tuning, metric trend, drift).

:func:`render_images` fills in every figure of a :class:`ReportData` that has data but no
image yet; the figure renderers use the GUI's own plot widgets, so a plot in a report looks
like the plot on screen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, Qt

from mlops_desktop.qt import colors
from mlops_desktop.reports.html import ReportError
from mlops_desktop.reports.model import Figure, ReportData

log = logging.getLogger(__name__)

PLOT_SIZE = (720, 400)  # shown about 560 px wide: labels stay readable


def _pipeline_png(fig: Figure) -> bytes:
    from mlops_desktop.qt.canvas.export import render_image
    from mlops_desktop.qt.canvas.scene import PipelineScene
    from mlops_desktop.qt.plots.export import _image_bytes

    pipeline, lens = fig.data
    scene = PipelineScene(pipeline)
    try:
        scene.set_lens(lens or None)
        return _image_bytes(render_image(scene, scale=1.6, max_side=2400))
    finally:
        scene.deleteLater()


def _panel_png(panel: Any) -> bytes:
    """A plot panel's plots without its tool row."""
    from mlops_desktop.qt.plots.export import render_png

    target = getattr(panel, "layout_widget", panel)
    try:
        if target is not panel:
            target.setParent(None)  # out of the panel's layout, so it takes the size asked
        return render_png(target, *PLOT_SIZE)
    finally:
        if target is not panel:
            target.deleteLater()
        panel.deleteLater()


def _diagnostics_png(fig: Figure) -> bytes:
    from mlops_desktop.qt.plots import diagnostics as d

    diag = fig.data
    if fig.kind == "confusion_matrix":
        matrix = d.ConfusionMatrixPlot()
        matrix.set_matrix(diag.confusion, diag.labels)
        return _panel_png(matrix)
    if fig.kind in ("roc", "pr"):
        curves = d.CurvePlot(fig.kind)
        curves.set_curves(diag.roc if fig.kind == "roc" else diag.pr)
        return _panel_png(curves)
    if fig.kind == "residuals":
        residuals = d.ResidualPlot()
        residuals.set_residuals(diag.predicted, diag.residuals)
        return _panel_png(residuals)
    importances = d.ImportancePlot()
    importances.set_importances(diag.importance_names, diag.importance_mean, diag.importance_std)
    return _panel_png(importances)


def _time_plot(title: str, y_label: str) -> Any:
    import pyqtgraph as pg

    plot = pg.PlotItem(axisItems={"bottom": pg.DateAxisItem(utcOffset=0)})
    plot.setTitle(title, color="#1f2933")
    plot.setLabel("left", y_label)
    plot.setLabel("bottom", "Run start (UTC)")
    plot.showGrid(x=True, y=True, alpha=0.15)
    for name in ("left", "bottom"):
        plot.getAxis(name).setPen("#67707a")
        plot.getAxis(name).setTextPen("#1f2933")
    return plot


def _plot_png(plot: Any) -> bytes:
    import pyqtgraph as pg

    from mlops_desktop.qt.plots.export import render_png

    widget = pg.GraphicsLayoutWidget()
    widget.setBackground("w")
    widget.addItem(plot)
    try:
        return render_png(widget, *PLOT_SIZE)
    finally:
        widget.deleteLater()


def _mark_events(plot: Any, events: Any) -> None:
    import pyqtgraph as pg

    for event in events:
        line = pg.InfiniteLine(
            event.time, angle=90, pen=pg.mkPen("#9a6700", style=Qt.PenStyle.DashLine)
        )
        plot.addItem(line)


def _tuning_png(fig: Figure) -> bytes:
    from mlops_desktop.qt.plots.tuning import TuningView

    panel = TuningView()
    panel.set_tuning(fig.data)
    return _panel_png(panel)


def _trend_png(fig: Figure) -> bytes:
    import pyqtgraph as pg

    try:  # the Trends view's own plot, when this installation has it
        from mlops_desktop.qt.plots.trends import TrendPlot
    except ImportError:
        pass
    else:
        panel = TrendPlot()
        panel.set_trend(fig.data)
        return _panel_png(panel)
    trend = fig.data
    plot = _time_plot(f"{trend.key} per run", trend.key)
    plot.plot(
        trend.times,
        trend.values,
        pen=pg.mkPen("#2457a6", width=2),
        symbol="o",
        symbolSize=6,
        symbolBrush="#2457a6",
        symbolPen=None,
    )
    _mark_events(plot, trend.events)
    return _plot_png(plot)


def _drift_png(fig: Figure) -> bytes:
    import pyqtgraph as pg

    try:
        from mlops_desktop.qt.plots.trends import DriftPlot
    except ImportError:
        pass
    else:
        panel = DriftPlot()
        panel.set_drift(fig.data)
        return _panel_png(panel)
    drift = fig.data
    plot = _time_plot(f"Drift per feature ({drift.statistic.upper()})", drift.statistic.upper())
    legend = plot.addLegend(offset=(10, 10))
    worst = sorted(drift.features, key=lambda f: -float(drift.features[f][1].max(initial=0)))[:8]
    for i, feature in enumerate(worst):
        times, values = drift.features[feature]
        colour = pg.intColor(i, hues=8, values=1, maxValue=200)
        plot.plot(times, values, pen=pg.mkPen(colour, width=2), name=feature)
    plot.addItem(
        pg.InfiniteLine(
            drift.threshold, angle=0, pen=pg.mkPen("#b42318", width=1.5, style=Qt.PenStyle.DashLine)
        )
    )
    legend.setLabelTextColor("#1f2933")
    _mark_events(plot, drift.events)
    return _plot_png(plot)


RENDERERS: dict[str, Callable[[Figure], bytes]] = {
    "pipeline": _pipeline_png,
    "confusion_matrix": _diagnostics_png,
    "roc": _diagnostics_png,
    "pr": _diagnostics_png,
    "tuning": _tuning_png,
    "residuals": _diagnostics_png,
    "importance": _diagnostics_png,
    "trend": _trend_png,
    "drift": _drift_png,
}


def render_images(data: ReportData) -> list[str]:
    """Draw offscreen every figure that has plot data but no image yet (pipeline picture,
    plots, radar). Figures that cannot be drawn are left out with a note; returns the
    captions of those."""
    from mlops_desktop.qt.application import ensure_gui_application

    ensure_gui_application()
    failed: list[str] = []
    pending: list[Figure] = []
    if data.pipeline is not None and data.pipeline.picture is not None:
        pending.append(data.pipeline.picture)
    pending.extend(data.plots)
    if data.maturity is not None and data.maturity.radar is not None:
        pending.append(data.maturity.radar)
    for fig in pending:
        if fig.has_image or fig.data is None:
            continue
        renderer = RENDERERS.get(fig.kind)
        try:
            if renderer is None:
                raise ReportError(f"no renderer for {fig.kind or 'this figure'}")
            with colors.forced_light():  # reports look the same in the light and dark theme
                fig.png = renderer(fig)
        except Exception as exc:  # noqa: BLE001 - a figure that fails is left out, not the report
            log.warning("figure %r not drawn", fig.caption, exc_info=True)
            failed.append(fig.caption)
            data.omit(
                f"Figure “{fig.caption}”", f"could not be drawn ({type(exc).__name__}: {exc})"
            )
    # Free the offscreen widgets now: with no event loop running, deleteLater() would
    # leave them to the interpreter's exit, where Qt may already be gone.
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    data.plots = [f for f in data.plots if f.has_image]
    if data.pipeline is not None and data.pipeline.picture is not None:
        if not data.pipeline.picture.has_image:
            data.pipeline.picture = None
    if data.maturity is not None and data.maturity.radar is not None:
        if not data.maturity.radar.has_image:
            data.maturity.radar = None
    return failed
