"""Tuning results: the cross-validated score of every candidate (best one marked, ± std), and
a scatter of one hyperparameter against the score."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtWidgets

from mlops_desktop.app.plot_data import Tuning
from mlops_desktop.qt.plots._common import (
    PlotPanel,
    colour,
    fmt,
    foreground,
    no_si_prefix,
    pen,
    set_category_ticks,
    style_plot,
)


class TuningView(PlotPanel):
    """Two plots side by side: score per candidate, and a chosen parameter vs score."""

    export_name = "tuning"

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.tuning = Tuning(np.array([]), np.array([]), None, {})
        self.score_plot: pg.PlotItem = self.layout_widget.addPlot(row=0, col=0)
        style_plot(self.score_plot, "Score per candidate", "Candidate", "CV score")
        self.param_plot: pg.PlotItem = self.layout_widget.addPlot(row=0, col=1)
        style_plot(self.param_plot, "Parameter vs score", "", "CV score")
        self.param_plot.setYLink(self.score_plot)
        self.param_plot.disableAutoRange(axis=pg.ViewBox.YAxis)  # the score plot sets y
        self._y_range = (0.0, 1.0)
        no_si_prefix(self.param_plot.getAxis("bottom"))
        self.param_combo = QtWidgets.QComboBox()
        self.param_combo.setToolTip("The hyperparameter on the right plot's x axis")
        self.param_combo.currentIndexChanged.connect(self._on_param_combo_index_changed)
        self.log_x_check = QtWidgets.QCheckBox("Log x")
        self.log_x_check.setToolTip("Logarithmic parameter axis (for C, alpha, learning rate…)")
        self.log_x_check.toggled.connect(self._on_param_combo_changed)
        self.best_label = QtWidgets.QLabel()
        self.tools.addWidget(QtWidgets.QLabel("Parameter:"))
        self.tools.addWidget(self.param_combo)
        self.tools.addWidget(self.log_x_check)
        self.tools.addWidget(self.best_label)
        self.finish_tools()

    def set_tuning(self, tuning: Tuning) -> None:
        self.tuning = tuning
        self._draw_scores()
        self.param_combo.blockSignals(True)
        self.param_combo.clear()
        for name, values in tuning.params.items():
            if np.isfinite(values).any():
                self.param_combo.addItem(name, name)
        self.param_combo.blockSignals(False)
        self._suggest_log_x()
        self._on_param_combo_changed()
        best = tuning.best_index
        self.best_label.setText(
            ""
            if best < 0
            else f"Best: candidate {int(tuning.candidates[best])}, "
            f"score {fmt(float(tuning.scores[best]))}"
        )

    def _on_param_combo_index_changed(self, _index: int) -> None:
        self._suggest_log_x()
        self._on_param_combo_changed()

    def _suggest_log_x(self) -> None:
        """Tick "Log x" when the chosen parameter spans two decades or more (C, alpha...)."""
        name = self.param_combo.currentData()
        if not name:
            return
        values = self.tuning.params[name]
        values = values[np.isfinite(values)]
        wide = values.size > 0 and values.min() > 0 and values.max() / values.min() >= 100
        self.log_x_check.blockSignals(True)
        self.log_x_check.setChecked(bool(wide))
        self.log_x_check.blockSignals(False)

    def _draw_scores(self) -> None:
        t = self.tuning
        self.score_plot.clear()
        if t.scores.size == 0:
            return
        x = t.candidates.astype(np.float64)
        # Markers with ± std whiskers (not bars): the y axis is zoomed to the scores, and
        # bars cut off at the bottom would exaggerate the differences.
        if t.score_std is not None:
            self.score_plot.addItem(
                pg.ErrorBarItem(
                    x=x, y=t.scores, height=2 * t.score_std, beam=0.2, pen=pen(0, width=1.5)
                )
            )
        self.score_plot.addItem(
            pg.ScatterPlotItem(x, t.scores, size=10, pen=pg.mkPen(foreground()), brush=colour(0))
        )
        best = t.best_index
        if best >= 0:
            self.score_plot.addItem(
                pg.ScatterPlotItem(
                    [x[best]],
                    [t.scores[best]],
                    size=16,
                    symbol="star",
                    pen=pg.mkPen(foreground()),
                    brush=colour(1),
                )
            )
        lo = float(np.nanmin(t.scores - (t.score_std if t.score_std is not None else 0)))
        hi = float(np.nanmax(t.scores + (t.score_std if t.score_std is not None else 0)))
        pad = max((hi - lo) * 0.15, 1e-3)
        self._y_range = (lo - pad, hi + pad)
        self.score_plot.setYRange(*self._y_range, padding=0)
        self.score_plot.setXRange(-0.6, float(x.max()) + 0.6, padding=0)
        if x.size <= 30:  # whole candidate numbers only
            set_category_ticks(self.score_plot.getAxis("bottom"), x, [str(int(v)) for v in x])
        else:
            self.score_plot.getAxis("bottom").setTicks(None)

    def _on_param_combo_changed(self, *_args: Any) -> None:
        self.param_plot.clear()
        name = self.param_combo.currentData()
        if not name:
            self.param_plot.setLabel("bottom", "")
            return
        values = self.tuning.params[name]
        log_x = self.log_x_check.isChecked() and bool(np.nanmin(values) > 0)
        self.param_plot.setLogMode(x=log_x, y=False)
        self.param_plot.setLabel("bottom", name)
        ok = np.isfinite(values)
        # PlotDataItem (not ScatterPlotItem) so that the log x axis maps the points too.
        self.param_plot.addItem(
            pg.PlotDataItem(
                values[ok],
                self.tuning.scores[ok],
                pen=None,
                symbol="o",
                symbolSize=9,
                symbolPen=pen(0),
                symbolBrush=pg.mkBrush(colour(0, 140)),
            )
        )
        best = self.tuning.best_index
        if best >= 0 and ok[best]:
            self.param_plot.addItem(
                pg.PlotDataItem(
                    [values[best]],
                    [self.tuning.scores[best]],
                    pen=None,
                    symbol="star",
                    symbolSize=15,
                    symbolPen=pg.mkPen(foreground()),
                    symbolBrush=pg.mkBrush(colour(1)),
                )
            )
        # setLogMode turns auto-range back on; the linked y must follow the score plot.
        self.param_plot.enableAutoRange(axis=pg.ViewBox.XAxis)
        self.param_plot.disableAutoRange(axis=pg.ViewBox.YAxis)
        self.score_plot.setYRange(*self._y_range, padding=0)

    def data_table(self) -> tuple[list[str], Sequence[Sequence[Any]]]:
        t = self.tuning
        names = list(t.params)
        headers = ["candidate", "score", "score_std", *names]
        rows = []
        for i in range(t.scores.size):
            std = float(t.score_std[i]) if t.score_std is not None else None
            rows.append(
                [
                    int(t.candidates[i]),
                    float(t.scores[i]),
                    std,
                    *(float(t.params[n][i]) for n in names),
                ]
            )
        return headers, rows
