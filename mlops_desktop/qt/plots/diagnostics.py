"""Model diagnostics: confusion-matrix heatmap with counts, ROC and precision-recall curves
with their areas in the legend, the calibration (reliability) curve with the Brier score,
residuals against predictions, and feature-importance bars.

Each plot is a ``PlotPanel`` drawing one :class:`~mlops_desktop.app.plot_data.Diagnostics`;
``DiagnosticsView`` lays out the ones that apply to the model's task."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from mlops_desktop.app.plot_data import Curve, Diagnostics
from mlops_desktop.qt.plots._common import (
    FOREGROUND,
    PlotPanel,
    add_legend,
    colour,
    fmt,
    foreground,
    no_si_prefix,
    pen,
    set_category_ticks,
    style_plot,
)

MAX_CELL_LABELS = 400  # beyond 20 x 20 classes the counts would not be readable


class ConfusionMatrixPlot(PlotPanel):
    """Heatmap of a confusion matrix: rows true class (top to bottom), columns predicted
    class; each cell shows its count (and the row share when ``normalize`` is on)."""

    export_name = "confusion_matrix"

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.matrix = np.zeros((0, 0))
        self.shares = np.zeros((0, 0))  # each cell as a share of its row (the colours)
        self.labels: list[str] = []
        self.plot_item: pg.PlotItem = self.layout_widget.addPlot()
        style_plot(self.plot_item, "Confusion matrix", "Predicted class", "True class")
        self.plot_item.invertY(True)
        self.plot_item.setAspectLocked(False)
        self.plot_item.setMouseEnabled(x=False, y=False)
        self.plot_item.hideButtons()
        self.plot_item.showGrid(x=False, y=False)
        self.image = pg.ImageItem()
        self.image.setColorMap(pg.colormap.get("CET-L12"))  # white to blue
        self.plot_item.addItem(self.image)
        self._texts: list[pg.TextItem] = []
        self.normalize_check = QtWidgets.QCheckBox("Show row %")
        self.normalize_check.setToolTip("Also show each cell as a share of its true class")
        self.normalize_check.toggled.connect(self._on_normalize_check_toggled)
        self.tools.addWidget(self.normalize_check)
        self.finish_tools()

    def _on_normalize_check_toggled(self, _on: bool) -> None:
        self.set_matrix(self.matrix, self.labels)

    def set_matrix(self, matrix: np.ndarray, labels: Sequence[str] | None = None) -> None:
        matrix = np.asarray(matrix, dtype=np.float64)
        if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
            raise ValueError("a confusion matrix must be square")
        n = matrix.shape[0]
        self.matrix = matrix
        self.labels = list(labels) if labels else [str(i) for i in range(n)]
        for t in self._texts:
            self.plot_item.removeItem(t)
        self._texts.clear()
        if n == 0:
            self.image.clear()
            return
        totals = matrix.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(totals > 0, matrix / totals, 0.0)
        self.shares = share
        # ImageItem indexes [x, y]: x = predicted (columns), y = true (rows). Each cell is a
        # block of pixels, so image viewers that smooth a scaled-up bitmap (SVG export)
        # still show sharp cells.
        block = max(1, 240 // n)
        self.image.setImage(np.kron(share.T, np.ones((block, block))), levels=(0.0, 1.0))
        self.image.setRect(QtCore.QRectF(0, 0, n, n))
        centres = [i + 0.5 for i in range(n)]
        for axis in ("bottom", "left"):
            set_category_ticks(self.plot_item.getAxis(axis), centres, self.labels)
        self.plot_item.setRange(xRange=(0, n), yRange=(0, n), padding=0)
        if n * n <= MAX_CELL_LABELS:
            self._add_counts(matrix, share)

    def _add_counts(self, matrix: np.ndarray, share: np.ndarray) -> None:
        n = matrix.shape[0]
        size = max(7, min(12, int(60 / n)))
        font = QtGui.QFont()
        font.setPointSize(size)
        for i in range(n):
            for j in range(n):
                text = f"{int(matrix[i, j])}"
                if self.normalize_check.isChecked():
                    text += f"\n{share[i, j]:.0%}"
                # Dark text on light cells, white on dark ones.
                color = "w" if share[i, j] > 0.55 else FOREGROUND
                item = pg.TextItem(text, color=color, anchor=(0.5, 0.5))
                item.setFont(font)
                item.setPos(j + 0.5, i + 0.5)
                self.plot_item.addItem(item)
                self._texts.append(item)

    def data_table(self) -> tuple[list[str], Sequence[Sequence[Any]]]:
        headers = ["true \\ predicted", *self.labels]
        rows = [[self.labels[i], *(int(v) for v in row)] for i, row in enumerate(self.matrix)]
        return headers, rows


class CurvePlot(PlotPanel):
    """ROC or precision-recall curves, one per class, with the area in the legend."""

    def __init__(self, kind: str = "roc", parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        if kind not in ("roc", "pr"):
            raise ValueError("curve kind must be 'roc' or 'pr'")
        self.kind = kind
        self.export_name = "roc_curve" if kind == "roc" else "pr_curve"
        self.curves: dict[str, Curve] = {}
        self.plot_item: pg.PlotItem = self.layout_widget.addPlot()
        if kind == "roc":
            style_plot(self.plot_item, "ROC curve", "False positive rate", "True positive rate")
        else:
            style_plot(self.plot_item, "Precision-recall curve", "Recall", "Precision")
        self.plot_item.setRange(xRange=(0, 1), yRange=(0, 1.02), padding=0.02)
        self.plot_item.setLimits(xMin=-0.05, xMax=1.05, yMin=-0.05, yMax=1.1)
        # ROC curves bend to the top left, PR curves to the top right: keep legends clear.
        self.legend = add_legend(self.plot_item, "bottom-right" if kind == "roc" else "bottom-left")
        self.finish_tools()

    def set_curves(self, curves: dict[str, Curve], baseline: float | None = None) -> None:
        """Draw the curves; ``baseline``: the PR chance level (share of positives)."""
        self.plot_item.clear()
        self.legend.clear()
        self.curves = dict(curves)
        area_name = "AUC" if self.kind == "roc" else "AP"
        for i, (name, curve) in enumerate(curves.items()):
            label = (
                f"{name} ({area_name} = {curve.area:.3f})"
                if len(curves) > 1
                else (f"{area_name} = {curve.area:.3f}")
            )
            x, y = curve.x, curve.y
            if self.kind == "pr" and x.size > 1:
                # Precision-recall is a step function (precision holds until the next recall).
                x, y = np.repeat(x, 2)[1:], np.repeat(y, 2)[:-1]
            item = pg.PlotDataItem(x, y, pen=pen(i, width=2.0), name=label, antialias=True)
            self.plot_item.addItem(item)
        chance = pen(7, width=1.0, style=QtCore.Qt.PenStyle.DashLine)
        if self.kind == "roc":
            self.plot_item.addItem(pg.PlotDataItem([0, 1], [0, 1], pen=chance, name="chance"))
        elif baseline is not None and math.isfinite(baseline):
            self.plot_item.addItem(
                pg.PlotDataItem([0, 1], [baseline, baseline], pen=chance, name="chance")
            )

    def data_table(self) -> tuple[list[str], Sequence[Sequence[Any]]]:
        cols = ("fpr", "tpr") if self.kind == "roc" else ("recall", "precision")
        headers = ["class", *cols, "area"]
        rows: list[Sequence[Any]] = []
        for name, c in self.curves.items():
            rows.extend((name, float(x), float(y), c.area) for x, y in zip(c.x, c.y, strict=True))
        return headers, rows


class CalibrationPlot(PlotPanel):
    """Reliability curve: per probability bin, the observed share of the positive class
    against the mean predicted probability, beside the diagonal of perfect calibration."""

    export_name = "calibration_curve"

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.curve: Curve | None = None
        self.positive: str | None = None
        self.plot_item: pg.PlotItem = self.layout_widget.addPlot()
        style_plot(
            self.plot_item, "Calibration curve", "Mean predicted probability", "Observed share"
        )
        self.plot_item.setRange(xRange=(0, 1), yRange=(0, 1.02), padding=0.02)
        self.plot_item.setLimits(xMin=-0.05, xMax=1.05, yMin=-0.05, yMax=1.1)
        # a reliability curve runs near the diagonal: the bottom-right corner stays clear
        self.legend = add_legend(self.plot_item, "bottom-right")
        self.finish_tools()

    def set_curve(self, curve: Curve, positive: str | None = None) -> None:
        self.plot_item.clear()
        self.legend.clear()
        self.curve, self.positive = curve, positive
        brier = f"Brier = {curve.area:.3f}" if math.isfinite(curve.area) else "model"
        name = f"{positive}: {brier}" if positive else brier
        self.plot_item.addItem(
            pg.PlotDataItem(
                curve.x, curve.y, pen=pen(0, width=2.0), symbol="o", symbolSize=6, name=name
            )
        )
        ideal = pen(7, width=1.0, style=QtCore.Qt.PenStyle.DashLine)
        self.plot_item.addItem(pg.PlotDataItem([0, 1], [0, 1], pen=ideal, name="calibrated"))

    def data_table(self) -> tuple[list[str], Sequence[Sequence[Any]]]:
        if self.curve is None:
            return ["mean_predicted", "observed", "brier"], []
        c = self.curve
        rows = [(float(x), float(y), c.area) for x, y in zip(c.x, c.y, strict=True)]
        return ["mean_predicted", "observed", "brier"], rows


class ResidualPlot(PlotPanel):
    """Residuals (true - predicted) against the predicted value, with the zero line."""

    export_name = "residuals"

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.predicted = np.empty(0)
        self.residuals = np.empty(0)
        self.plot_item: pg.PlotItem = self.layout_widget.addPlot()
        style_plot(self.plot_item, "Residuals", "Predicted value", "Residual (true − predicted)")
        self.finish_tools()

    def set_residuals(self, predicted: np.ndarray, residuals: np.ndarray) -> None:
        self.predicted = np.asarray(predicted, dtype=np.float64)
        self.residuals = np.asarray(residuals, dtype=np.float64)
        self.plot_item.clear()
        scatter = pg.ScatterPlotItem(
            self.predicted, self.residuals, size=5, pen=None, brush=pg.mkBrush(colour(0, 150))
        )
        self.plot_item.addItem(scatter)
        self.plot_item.addItem(pg.InfiniteLine(0, angle=0, pen=pen(3, width=1.2)))

    def data_table(self) -> tuple[list[str], Sequence[Sequence[Any]]]:
        rows = [(float(p), float(r)) for p, r in zip(self.predicted, self.residuals, strict=True)]
        return ["predicted", "residual"], rows


class ImportancePlot(PlotPanel):
    """Horizontal bars of feature importance (largest on top) with ± std whiskers."""

    export_name = "feature_importance"
    MAX_FEATURES = 15

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.names: list[str] = []
        self.mean = np.empty(0)
        self.std = np.empty(0)
        self.plot_item: pg.PlotItem = self.layout_widget.addPlot()
        style_plot(self.plot_item, "Permutation feature importance", "Mean drop in score", "")
        self.plot_item.showGrid(x=True, y=False, alpha=0.15)
        no_si_prefix(self.plot_item.getAxis("bottom"))
        self.finish_tools()

    def set_importances(
        self, names: Sequence[str], mean: np.ndarray, std: np.ndarray | None = None
    ) -> None:
        order = np.argsort(-np.asarray(mean, dtype=np.float64), kind="stable")[: self.MAX_FEATURES]
        self.names = [str(names[i]) for i in order]
        self.mean = np.asarray(mean, dtype=np.float64)[order]
        self.std = (
            np.asarray(std, dtype=np.float64)[order]
            if std is not None
            else np.zeros_like(self.mean)
        )
        self.plot_item.clear()
        n = len(self.names)
        y = np.arange(n)[::-1].astype(np.float64)  # largest at the top
        bars = pg.BarGraphItem(
            x0=np.zeros(n), y=y, width=self.mean, height=0.7, brush=colour(0, 200), pen=None
        )
        self.plot_item.addItem(bars)
        self.plot_item.addItem(
            pg.ErrorBarItem(
                x=self.mean, y=y, left=self.std, right=self.std, beam=0.25, pen=foreground()
            )
        )
        set_category_ticks(self.plot_item.getAxis("left"), y, self.names)
        self.plot_item.addItem(pg.InfiniteLine(0, angle=90, pen=pg.mkPen("#999999")))

    def data_table(self) -> tuple[list[str], Sequence[Sequence[Any]]]:
        rows = [
            (n, float(m), float(s)) for n, m, s in zip(self.names, self.mean, self.std, strict=True)
        ]
        return ["feature", "importance_mean", "importance_std"], rows


MIN_PLOT_WIDTH = 340  # px per plot before the diagnostics wrap into rows of two


class DiagnosticsView(QtWidgets.QWidget):
    """The diagnostics of one model: a summary line, then the plots that fit its task."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.diagnostics: Diagnostics | None = None
        self.summary = QtWidgets.QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setStyleSheet("padding: 4px 6px;")
        self.confusion = ConfusionMatrixPlot()
        self.roc = CurvePlot("roc")
        self.pr = CurvePlot("pr")
        self.calibration = CalibrationPlot()
        self.residuals = ResidualPlot()
        self.importance = ImportancePlot()
        self.grid = QtWidgets.QGridLayout()
        self.grid.setSpacing(6)
        self._shown: list[PlotPanel] = []
        self._cols = 0
        box = QtWidgets.QVBoxLayout(self)
        box.setContentsMargins(4, 4, 4, 4)
        box.addWidget(self.summary)
        box.addLayout(self.grid, 1)
        self.set_diagnostics(Diagnostics(task=""))

    def panels(self) -> list[PlotPanel]:
        """The plot panels currently shown."""
        return [p for p in self._all() if p.parent() is self and not p.isHidden()]

    def _all(self) -> tuple[PlotPanel, ...]:
        return (
            self.confusion,
            self.roc,
            self.pr,
            self.calibration,
            self.residuals,
            self.importance,
        )

    def set_diagnostics(self, diag: Diagnostics) -> None:
        self.diagnostics = diag
        for panel in self._all():
            self.grid.removeWidget(panel)
            panel.setParent(None)
        self.summary.setText(self._summary_text(diag))
        shown: list[PlotPanel] = []
        if diag.confusion is not None:
            self.confusion.set_matrix(diag.confusion, diag.labels)
            shown.append(self.confusion)
        if diag.roc:
            self.roc.set_curves(diag.roc)
            shown.append(self.roc)
        if diag.pr:
            base = None
            if diag.confusion is not None and diag.confusion.shape[0] == 2:
                row = diag.labels.index(diag.positive) if diag.positive in diag.labels else 1
                base = float(diag.confusion[row].sum() / max(diag.confusion.sum(), 1))
            self.pr.set_curves(diag.pr, baseline=base)
            shown.append(self.pr)
        if diag.calibration is not None:
            self.calibration.set_curve(diag.calibration, diag.positive)
            shown.append(self.calibration)
        if diag.residuals is not None and diag.predicted is not None:
            self.residuals.set_residuals(diag.predicted, diag.residuals)
            shown.append(self.residuals)
        if diag.importance_mean is not None:
            self.importance.set_importances(
                diag.importance_names, diag.importance_mean, diag.importance_std
            )
            shown.append(self.importance)
        self._shown = shown
        for panel in shown:
            panel.setParent(self)
            panel.show()
        self._place_panels()

    def _columns(self) -> int:
        """All plots in one row when each gets a readable width (a bottom panel is short),
        else rows of two."""
        n = len(self._shown)
        return n if n <= 4 and self.width() >= MIN_PLOT_WIDTH * n else min(n, 2)

    def _place_panels(self) -> None:
        cols = max(self._columns(), 1)
        self._cols = cols
        for panel in self._shown:
            self.grid.removeWidget(panel)
        for i, panel in enumerate(self._shown):
            self.grid.addWidget(panel, i // cols, i % cols)
        for c in range(4):
            self.grid.setColumnStretch(c, 1 if c < cols else 0)

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self._shown and self._columns() != self._cols:
            self._place_panels()

    @staticmethod
    def _summary_text(diag: Diagnostics) -> str:
        if diag.empty:
            return "No evaluation in this run: add an Evaluate stage to see model diagnostics."
        order = (
            "accuracy",
            "baseline_accuracy",
            "precision",
            "recall",
            "f1",
            "roc_auc",
            "log_loss",
            "brier_score",
            "rmse",
            "baseline_rmse",
            "mae",
            "r2",
        )
        keys = [k for k in order if k in diag.scalars]
        parts = [f"<b>{k}</b> {fmt(diag.scalars[k])}" for k in keys]
        if diag.positive is not None:
            threshold = diag.scalars.get("decision_threshold")
            parts.insert(0, f"positive class <b>{html.escape(diag.positive)}</b>")
            if threshold is not None:
                parts.insert(1, f"<b>threshold</b> {fmt(threshold)}")
        return f"{diag.task.capitalize()} on the test part: " + " · ".join(parts)
