"""MetricValuesPlot: the final values of several metrics of one run as horizontal bars.

Most metrics of a run are logged once (``accuracy``, ``f1``, ``roc_auc`` ...): a line plot
over steps shows them as lone dots at step 0, so the run view draws them here instead, one
labelled bar per metric with its value written at the end of the bar."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtWidgets

from mlops_desktop.qt.plots._common import (
    PlotPanel,
    colour,
    fmt,
    foreground,
    pen,
    set_category_ticks,
    style_plot,
)

BAR_HEIGHT = 0.6


class MetricValuesPlot(PlotPanel):
    """One horizontal bar per metric (name on the left axis, value at the bar's end)."""

    export_name = "metric_values"

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot_item: pg.PlotItem = self.layout_widget.addPlot()
        style_plot(self.plot_item, "", "Value", "")
        self.plot_item.setMouseEnabled(x=False, y=False)
        self.plot_item.hideButtons()
        self.note = QtWidgets.QLabel("Metrics with a single value in this run")
        self.tools.addWidget(self.note)
        self.finish_tools()
        self.keys: list[str] = []
        self.values = np.empty(0)
        self._title = ""
        self._bars: pg.BarGraphItem | None = None
        self._labels: list[pg.TextItem] = []  # one per value shown (the rest hidden)

    def set_values(self, items: Sequence[tuple[str, float]], title: str = "") -> None:
        """Draw ``(metric, value)`` pairs, the first at the top. The bar item and the value
        labels are made once and reused: a run's end redraws them on the GUI thread."""
        self._title = title
        self.keys = [key for key, _ in items]
        self.values = np.array([value for _, value in items], dtype=np.float64)
        self.plot_item.setTitle(title or None, size="10pt", color=foreground())
        n = len(self.keys)
        for label in self._labels[n:]:
            label.hide()
        if n == 0:
            if self._bars is not None:
                self._bars.hide()
            self.plot_item.getAxis("left").setTicks([[]])
            return
        y = np.arange(n - 1, -1, -1, dtype=np.float64)  # first metric on top
        finite = np.where(np.isfinite(self.values), self.values, 0.0)
        bars = dict(
            x0=np.minimum(finite, 0.0),
            y=y,
            width=np.abs(finite),
            height=BAR_HEIGHT,
            brushes=[colour(i, 190) for i in range(n)],
            pens=[pen(i) for i in range(n)],
        )
        if self._bars is None:
            self._bars = pg.BarGraphItem(**bars)
            self.plot_item.addItem(self._bars)
        else:
            self._bars.setOpts(**bars)
            self._bars.show()
        while len(self._labels) < n:
            label = pg.TextItem("", color=foreground())
            self.plot_item.addItem(label)
            self._labels.append(label)
        for i, value in enumerate(self.values):
            label = self._labels[i]
            label.setText(fmt(float(value)) if np.isfinite(value) else "missing", foreground())
            label.setAnchor((1.0 if value < 0 else 0.0, 0.5))
            label.setPos(float(finite[i]), float(y[i]))
            label.show()
        set_category_ticks(self.plot_item.getAxis("left"), y, self.keys)
        lo, hi = min(0.0, float(finite.min())), max(0.0, float(finite.max()))
        if hi == lo:  # every value 0: an axis from 0 to 1, not a sliver around 0
            hi = lo + 1.0
        span = hi - lo
        # Room beyond each end for the value labels.
        self.plot_item.setXRange(
            lo - (0.15 if lo < 0 else 0.02) * span, hi + 0.15 * span, padding=0
        )
        self.plot_item.setYRange(-0.6, n - 0.4, padding=0)

    def apply_theme(self) -> None:
        """Restyle, and redraw the value labels in the new scheme's text colour."""
        super().apply_theme()
        if self.keys:
            self.set_values(list(zip(self.keys, self.values.tolist(), strict=True)), self._title)

    def data_table(self) -> tuple[list[str], Sequence[Sequence[Any]]]:
        return ["metric", "value"], [
            (k, float(v)) for k, v in zip(self.keys, self.values, strict=True)
        ]
