"""MetricPlotWidget: metric series as lines over step or time.

Legend, a crosshair with a readout of every line's value under the mouse, a log-scale toggle,
EMA smoothing (raw line kept faint behind the smoothed one), a choice of x axis, and
pyqtgraph's peak downsampling plus clip-to-view so a million points stay interactive. Live
points are buffered and drawn by a timer at most five times a second.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from mlops_desktop.app.plot_data import X_AXIS_TITLES, Series, XAxis, ema, make_series
from mlops_desktop.qt.plots._common import (
    PlotPanel,
    colour,
    fmt,
    legend_above,
    monospace_label,
    pen,
    style_plot,
)

LIVE_INTERVAL_MS = 200  # at most five redraws a second (each repaints axes and curves)
# Live points drawn in slices of at most this long (a stage's first points of ten metrics
# make ten curves and legend entries, ~5 ms each); the rest follow after a repaint.
LIVE_SLICE_S = 0.008
LIVE_CONTINUE_MS = 20
MAX_LEGEND = 12


class TimeOrNumberAxis(pg.DateAxisItem):
    """A bottom axis that ticks as dates in ``date_mode`` and as plain numbers otherwise
    (switching the mode avoids replacing axis items, which disturbs the plot's layout)."""

    def __init__(self) -> None:
        super().__init__(orientation="bottom")
        self.date_mode = False

    def set_date_mode(self, on: bool) -> None:
        self.date_mode = bool(on)
        self.picture = None
        self.update()

    def tickValues(self, minVal: float, maxVal: float, size: float) -> Any:  # noqa: N802
        if self.date_mode:
            return super().tickValues(minVal, maxVal, size)
        return pg.AxisItem.tickValues(self, minVal, maxVal, size)

    def tickStrings(self, values: Any, scale: float, spacing: float) -> Any:  # noqa: N802
        if self.date_mode:
            return super().tickStrings(values, scale, spacing)
        return pg.AxisItem.tickStrings(self, values, scale, spacing)


@dataclass
class _Line:
    """One series on the plot: its data, its raw and smoothed curves."""

    series: Series
    label: str
    index: int
    raw: pg.PlotDataItem
    smooth: pg.PlotDataItem | None  # made when smoothing is first turned on
    x: np.ndarray
    smoothed: np.ndarray | None = None


class MetricPlotWidget(PlotPanel):
    """Lines of one or more metric series (of one or several runs)."""

    redrawn = QtCore.Signal()
    export_name = "metrics"

    def __init__(
        self,
        parent: QtWidgets.QWidget | None = None,
        *,
        x_axis: XAxis = "step",
        live_interval_ms: int = LIVE_INTERVAL_MS,
        title: str = "",
    ) -> None:
        super().__init__(parent)
        self._x_axis: XAxis = x_axis
        self._weight = 0.0
        self._lines: dict[tuple[int, str], _Line] = {}
        self._pending: dict[tuple[int, str], list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
        self.redraw_count = 0
        self._bottom_axis = TimeOrNumberAxis()
        self.plot_item: pg.PlotItem = self.layout_widget.addPlot(
            row=1, col=0, axisItems={"bottom": self._bottom_axis}
        )
        # Both must be set before any curve is added (pyqtgraph refuses it afterwards).
        self.plot_item.setDownsampling(auto=True, mode="peak")
        self.plot_item.setClipToView(True)
        style_plot(self.plot_item, title, X_AXIS_TITLES[x_axis], "Value")
        self.legend = legend_above(self.layout_widget.ci)
        self._crosshair = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#999999", width=1))
        self._crosshair.setVisible(False)
        self.plot_item.addItem(self._crosshair, ignoreBounds=True)
        self.readout = monospace_label("Hover over the plot to read values")
        self.box.addWidget(self.readout)
        self.layout_widget.scene().sigMouseMoved.connect(self._on_scene_mouse_moved)
        self._live_timer = QtCore.QTimer(self)
        self._live_timer.setSingleShot(True)
        self._live_interval_ms = live_interval_ms
        self._live_timer.setInterval(live_interval_ms)
        self._live_timer.timeout.connect(self._on_live_timer_timeout)
        self._build_tools()
        if x_axis == "time":
            self._use_date_axis(True)

    # ------------------------------------------------------------------ tools
    def _build_tools(self) -> None:
        self.x_combo = QtWidgets.QComboBox()
        for axis in ("step", "relative", "time"):
            self.x_combo.addItem(X_AXIS_TITLES[axis], axis)
        self.x_combo.setCurrentIndex(("step", "relative", "time").index(self._x_axis))
        self.x_combo.setToolTip("What the horizontal axis shows")
        self.x_combo.currentIndexChanged.connect(self._on_x_combo_changed)
        self.log_check = QtWidgets.QCheckBox("Log scale")
        self.log_check.setToolTip("Logarithmic y axis (values ≤ 0 are not drawn)")
        self.log_check.toggled.connect(self.set_log_y)
        self.smooth_slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.smooth_slider.setRange(0, 99)
        self.smooth_slider.setFixedWidth(120)
        self.smooth_slider.setToolTip("Exponential moving average weight")
        self.smooth_label = QtWidgets.QLabel("0.00")
        self.smooth_slider.valueChanged.connect(self._on_smooth_slider_changed)
        self.tools.addWidget(QtWidgets.QLabel("X axis:"))
        self.tools.addWidget(self.x_combo)
        self.tools.addWidget(self.log_check)
        self.tools.addWidget(QtWidgets.QLabel("Smoothing:"))
        self.tools.addWidget(self.smooth_slider)
        self.tools.addWidget(self.smooth_label)
        self.finish_tools()

    def _on_x_combo_changed(self, _index: int) -> None:
        self.set_x_axis(self.x_combo.currentData())

    def _on_smooth_slider_changed(self, value: int) -> None:
        self.smooth_label.setText(f"{value / 100:.2f}")
        self.set_smoothing(value / 100)

    # ------------------------------------------------------------------ public API
    @property
    def x_axis(self) -> XAxis:
        return self._x_axis

    @property
    def smoothing(self) -> float:
        return self._weight

    def series(self) -> list[Series]:
        return [line.series for line in self._lines.values()]

    def line_data(self, run_id: int, key: str) -> tuple[np.ndarray, np.ndarray]:
        """The x and y drawn for one series (y smoothed when smoothing is on)."""
        line = self._lines[(run_id, key)]
        y = line.smoothed if line.smoothed is not None else line.series.values
        return line.x, y

    def clear(self) -> None:
        for line in self._lines.values():
            self.plot_item.removeItem(line.raw)
            if line.smooth is not None:
                self.plot_item.removeItem(line.smooth)
        self._lines.clear()
        self._pending.clear()
        self.legend.clear()

    def set_series(self, series: Sequence[Series], labels: Sequence[str] | None = None) -> None:
        """Replace the plot's content with these series."""
        if labels is None:  # name the run only when several runs are drawn
            several = len({s.run_id for s in series}) > 1
            labels = [f"#{s.run_id} {s.key}" if several else s.key for s in series]
        wanted = {(s.run_id, s.key): label for s, label in zip(series, labels, strict=True)}
        if self._lines and all(wanted.get(k) == line.label for k, line in self._lines.items()):
            # Every line drawn is still wanted (a finished run read back after its live
            # points): new data for those, curves and legend entries for the others only.
            self._pending.clear()
            added = []
            for s, label in zip(series, labels, strict=True):
                line = self._lines.get((s.run_id, s.key))
                if line is not None:
                    self._replace(line, s)
                else:
                    self.add_series(s, label, legend=False)
                    added.append(self._lines[(s.run_id, s.key)])
            if added:
                self._extend_legend(added)
            self.plot_item.enableAutoRange()
            return
        self.clear()
        for s, label in zip(series, labels, strict=True):
            self.add_series(s, label, legend=False)
        self._rebuild_legend()  # once, not per series (each legend rebuild is costly)
        self.plot_item.enableAutoRange()

    def add_series(self, s: Series, label: str | None = None, *, legend: bool = True) -> None:
        """Draw one more series (replacing one with the same run and key)."""
        key = (s.run_id, s.key)
        if key in self._lines:
            self._replace(self._lines[key], s)
            return
        index = len(self._lines)
        label = label or self._default_label(s)
        raw = self.plot_item.plot(pen=pen(index))
        # No smoothed curve until smoothing is on: a run's first points make one item per
        # metric, not two (each costs the GUI thread while the run's threads hold the GIL).
        line = _Line(s, label, index, raw, None, np.empty(0))
        self._lines[key] = line
        self._replace(line, s)
        if legend:
            self._rebuild_legend()

    def _rebuild_legend(self) -> None:
        """Legend entries for the first MAX_LEGEND lines, then a count of the rest (a legend
        of fifty runs would push the plot off the widget; the readout names every line)."""
        self.legend.clear()
        lines = list(self._lines.values())
        self.legend.setColumnCount(min(4, max(1, len(lines))))
        for line in lines[:MAX_LEGEND]:
            self.legend.addItem(self._legend_curve(line), line.label)
        if len(lines) > MAX_LEGEND:
            self.legend.addItem(pg.PlotDataItem(pen=None), f"… and {len(lines) - MAX_LEGEND} more")

    def _extend_legend(self, new: Sequence[_Line]) -> None:
        """Add legend entries for lines just drawn (all of it made again past MAX_LEGEND)."""
        total = len(self._lines)
        if total > MAX_LEGEND:
            self._rebuild_legend()
            return
        self.legend.setColumnCount(min(4, max(1, total)))  # moves the entries it has
        for line in new:
            self.legend.addItem(self._legend_curve(line), line.label)

    def _legend_curve(self, line: _Line) -> Any:
        """The curve a line's legend entry shows: the smoothed one while smoothing is on."""
        return line.smooth if self._weight > 0 and line.smooth is not None else line.raw

    def _default_label(self, s: Series) -> str:
        runs = {rid for rid, _ in self._lines} | {s.run_id}
        return s.key if len(runs) == 1 else f"#{s.run_id} {s.key}"

    def _replace(self, line: _Line, s: Series) -> None:
        line.series = s
        line.x = s.x(self._x_axis)
        self._draw(line)

    def _draw(self, line: _Line) -> None:
        # One setData per curve (with its pen): each pyqtgraph update re-scans the data.
        y = line.series.values
        finite = bool(np.isfinite(y).all()) and bool(np.isfinite(line.x).all())
        opts: dict[str, Any] = {"skipFiniteCheck": True} if finite else {"connect": "finite"}
        if self._weight > 0.0:
            line.smoothed = ema(y, self._weight)
            if line.smooth is None:
                line.smooth = self.plot_item.plot(pen=pen(line.index, width=2.0))
            line.smooth.setData(line.x, line.smoothed, **opts)
            line.smooth.setVisible(True)
            raw_pen = pen(line.index, width=1.0, alpha=70)
        else:
            line.smoothed = None
            smooth = line.smooth
            if smooth is not None and (smooth.isVisible() or smooth.xData is not None):
                smooth.setVisible(False)
                smooth.setData([], [])
            raw_pen = pen(line.index)
        # A lone point draws no line: give it a marker so it shows.
        if y.size == 1:
            opts.update(symbol="o", symbolSize=9, symbolPen=pen(line.index))
            opts["symbolBrush"] = colour(line.index, 200)
        else:
            opts["symbol"] = None
        line.raw.setData(line.x, y, pen=raw_pen, **opts)

    def set_x_axis(self, axis: XAxis) -> None:
        """Draw over steps, seconds since the first point, or wall-clock time."""
        if axis not in X_AXIS_TITLES:
            raise ValueError(f"unknown x axis '{axis}'")
        if axis == self._x_axis:
            return
        self._use_date_axis(axis == "time")
        self._x_axis = axis
        self.plot_item.setLabel("bottom", X_AXIS_TITLES[axis])
        for line in self._lines.values():
            self._replace(line, line.series)
        self.plot_item.enableAutoRange()
        if self.x_combo.currentData() != axis:
            self.x_combo.setCurrentIndex(("step", "relative", "time").index(axis))

    def _use_date_axis(self, on: bool) -> None:
        self._bottom_axis.set_date_mode(on)

    def set_log_y(self, on: bool) -> None:
        self.plot_item.setLogMode(x=False, y=bool(on))
        if self.log_check.isChecked() != bool(on):
            self.log_check.setChecked(bool(on))

    def set_smoothing(self, weight: float) -> None:
        """EMA weight in [0, 1): 0 draws the raw values only."""
        weight = float(weight)
        if not 0.0 <= weight < 1.0:
            raise ValueError("smoothing must be in [0, 1)")
        self._weight = weight
        for line in self._lines.values():
            self._draw(line)
        self._rebuild_legend()
        if self.smooth_slider.value() != round(weight * 100):
            self.smooth_slider.setValue(round(weight * 100))

    # ------------------------------------------------------------------ live
    def append_points(
        self,
        run_id: int,
        key: str,
        steps: Any,
        values: Any,
        timestamps: Any | None = None,
    ) -> None:
        """Queue points of a running pipeline; drawn by the next timer tick (≤ 5 per s)."""
        v = np.atleast_1d(np.asarray(values, dtype=np.float64))
        s = np.atleast_1d(np.asarray(steps, dtype=np.float64))
        t = (
            np.atleast_1d(np.asarray(timestamps, dtype=np.float64))
            if timestamps is not None
            else np.full(v.shape, QtCore.QDateTime.currentMSecsSinceEpoch() / 1000.0)
        )
        self._pending.setdefault((run_id, key), []).append((s, v, t))
        if not self._live_timer.isActive():
            self._live_timer.start(self._live_interval_ms)

    def flush(self) -> None:
        """Draw every queued live point now."""
        self._live_timer.stop()
        self._draw_pending(budget_s=None)

    def _on_live_timer_timeout(self) -> None:
        self._draw_pending(budget_s=LIVE_SLICE_S)

    def _draw_pending(self, budget_s: float | None) -> None:
        """Draw the queued live points; with a ``budget_s``, stop once it is spent and
        draw the rest after the window has repainted (each slice stays short)."""
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        deadline = None if budget_s is None else time.perf_counter() + budget_s
        added: list[_Line] = []
        items = list(pending.items())
        for done, ((run_id, key), chunks) in enumerate(items):
            if deadline is not None and done and time.perf_counter() > deadline:
                # The rest first, then what arrived meanwhile (each key keeps its order).
                rest = dict(items[done:])
                for k, more in self._pending.items():
                    rest.setdefault(k, []).extend(more)
                self._pending = rest
                self._live_timer.start(LIVE_CONTINUE_MS)
                break
            s = np.concatenate([c[0] for c in chunks])
            v = np.concatenate([c[1] for c in chunks])
            t = np.concatenate([c[2] for c in chunks])
            old = self._lines.get((run_id, key))
            if old is not None:
                s = np.concatenate([old.series.steps, s])
                v = np.concatenate([old.series.values, v])
                t = np.concatenate([old.series.timestamps, t])
            self.add_series(make_series(run_id, key, s, v, t), legend=False)
            if old is None:
                added.append(self._lines[(run_id, key)])
        if added:  # entries for the new lines only (a legend made again costs the most)
            self._extend_legend(added)
        self.redraw_count += 1
        self.redrawn.emit()

    # ------------------------------------------------------------------ hover
    def _on_scene_mouse_moved(self, pos: Any) -> None:
        vb = self.plot_item.vb
        if not self._lines or not vb.sceneBoundingRect().contains(pos):
            self._crosshair.setVisible(False)
            return
        x = vb.mapSceneToView(pos).x()
        self._crosshair.setPos(x)
        self._crosshair.setVisible(True)
        self.readout.setText(self.readout_at(x))

    def readout_at(self, x: float) -> str:
        """The text shown for the mouse at ``x``: each line's nearest point."""
        parts = []
        for line in self._lines.values():
            if line.x.size == 0:
                continue
            i = int(np.clip(np.searchsorted(line.x, x), 0, line.x.size - 1))
            if i > 0 and abs(line.x[i - 1] - x) < abs(line.x[i] - x):
                i -= 1
            y = line.smoothed if line.smoothed is not None else line.series.values
            step = int(line.series.steps[i])
            parts.append(f"{line.label}: {fmt(float(y[i]))} (step {step})")
        if len(parts) > MAX_LEGEND:
            parts = [*parts[:MAX_LEGEND], f"… {len(parts) - MAX_LEGEND} more"]
        return "    ".join(parts)

    # ------------------------------------------------------------------ export
    def data_table(self) -> tuple[list[str], Sequence[Sequence[Any]]]:
        headers = ["series", "run_id", "key", "step", "timestamp", "value", "smoothed"]
        rows: list[Sequence[Any]] = []
        for line in self._lines.values():
            s = line.series
            sm = line.smoothed if line.smoothed is not None else s.values
            for i in range(len(s)):
                rows.append(
                    (
                        line.label,
                        s.run_id,
                        s.key,
                        int(s.steps[i]),
                        float(s.timestamps[i]),
                        float(s.values[i]),
                        float(sm[i]),
                    )
                )
        return headers, rows
