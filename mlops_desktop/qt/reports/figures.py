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

from PySide6.QtCore import QCoreApplication, QEvent

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


def _tuning_png(fig: Figure) -> bytes:
    from mlops_desktop.qt.plots.tuning import TuningView

    panel = TuningView()
    panel.set_tuning(fig.data)
    return _panel_png(panel)


def _trend_png(fig: Figure) -> bytes:
    from mlops_desktop.qt.plots.trends import TrendPlot

    panel = TrendPlot()
    panel.set_trend(fig.data)
    return _panel_png(panel)


def _drift_png(fig: Figure) -> bytes:
    from mlops_desktop.qt.plots.trends import DriftPlot

    panel = DriftPlot()
    panel.set_drift(fig.data)
    return _panel_png(panel)


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


def render_images(
    data: ReportData, progress: Callable[[float, str], None] | None = None
) -> list[str]:
    """Draw offscreen every figure that has plot data but no image yet (pipeline picture,
    plots, radar), ``progress`` told before each (the dialog paints between figures).
    Figures that cannot be drawn are left out with a note; returns the captions of those."""
    from mlops_desktop.qt.application import ensure_gui_application

    ensure_gui_application()
    failed: list[str] = []
    pending: list[Figure] = []
    if data.pipeline is not None and data.pipeline.picture is not None:
        pending.append(data.pipeline.picture)
    pending.extend(data.plots)
    if data.maturity is not None and data.maturity.radar is not None:
        pending.append(data.maturity.radar)
    to_draw = sum(1 for fig in pending if not fig.has_image and fig.data is not None)
    drawn = 0
    for fig in pending:
        if fig.has_image or fig.data is None:
            continue
        if progress is not None:  # a short line: captions are sentences
            progress(drawn / to_draw, f"Drawing figure {drawn + 1} of {to_draw}")
        drawn += 1
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
