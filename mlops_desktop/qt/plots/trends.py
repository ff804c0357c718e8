"""Trends over time: a metric across all runs of a pipeline, and per-feature drift with the
alert threshold; model versions and deployments marked as vertical lines on the time axis, the
continuous-training loop (alerts, retraining runs, promotions, rollbacks) as markers that open
their run when clicked."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from mlops_desktop.app.plot_data import LOOP_KINDS, DriftTrend, TimelineEvent, Trend
from mlops_desktop.core.errors import MlopsError
from mlops_desktop.qt import colors
from mlops_desktop.qt.plots._common import (
    PlotPanel,
    colour,
    fmt,
    legend_above,
    pen,
    style_plot,
)

if TYPE_CHECKING:
    from mlops_desktop.app.trends_read import TrendsRead

EVENT_COLOURS = {"deployment": "#9a6700", "model_version": "#6f42c1"}
# The legend never takes more than this share of the panel's height.
LEGEND_SHARE = 0.25

# The continuous-training loop's markers: kind -> (symbol, colour, legend name).
LOOP_MARKERS = {
    "alert": ("t1", "#d62728", "monitor alert"),
    "retrain": ("s", "#1f77b4", "retraining run"),
    "promotion": ("star", "#2ca02c", "promotion to production"),
    "rollback": ("d", "#ff7f0e", "rollback"),
}
FAILED = ("failed", "cancelled", "interrupted")
MAX_MARKERS = 1000  # drift series longer than this are drawn without a marker per point
# Loop markers of one kind drawn at most (the newest): thousands of retraining runs overlap
# on a time axis anyway, and each marker costs the GUI thread (2,500 took 50-75 ms a plot).
MAX_LOOP_MARKERS = 500
DRIFT_AFTER_MS = 5  # the drift's turn, after the trend's has painted


def _time_text(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _point_tip(x: float, y: float, data: Any) -> str:
    return f"run #{int(data)}: {fmt(float(y))}\n{_time_text(float(x))}"


class _TimePanel(PlotPanel):
    """A single plot over wall-clock time (UTC) with event markers; a click on a run's point
    or on a loop marker emits :attr:`run_activated` with that run's id."""

    run_activated = QtCore.Signal(int)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.legend = legend_above(self.layout_widget.ci, row=0)
        self.legend.layout.setContentsMargins(2, 2, 2, 2)  # a compact row above the plot
        self.plot_item: pg.PlotItem = self.layout_widget.addPlot(
            row=1, col=0, axisItems={"bottom": pg.DateAxisItem(orientation="bottom", utcOffset=0)}
        )
        style_plot(self.plot_item, "", "Run start (UTC)", "")
        self.events_check = QtWidgets.QCheckBox("Model versions and deployments")
        self.events_check.setChecked(True)
        self.events_check.setToolTip(
            "Mark registered versions and deployments on the time axis, and the training loop:"
            " monitor alerts, retraining runs, promotions to production and rollbacks"
        )
        self.events_check.toggled.connect(self._on_events_check_toggled)
        self.tools.addWidget(self.events_check)
        self._event_items: list[Any] = []
        self.event_lines: list[Any] = []  # the version and deployment lines, with labels
        self.events: list[TimelineEvent] = []
        self.markers: dict[str, Any] = {}  # one scatter item per loop kind
        self.plot_item.vb.sigResized.connect(self.stagger_labels)
        self.plot_item.vb.sigXRangeChanged.connect(self.stagger_labels)
        # What the legend names, markers and event lines first: (item, name, first).
        self._legend_entries: list[tuple[Any, str, bool]] = []
        self.legend_hidden = 0  # entries left out for want of room

    # ----------------------------------------------------------------- legend
    def _legend_add(self, item: Any, name: str, first: bool = False) -> None:
        self._legend_entries.append((item, name, first))

    def _clear_legend(self) -> None:
        self.legend.clear()
        self._legend_entries = []

    def fit_legend(self) -> None:
        """Name the plot's items in as many columns as the width holds and at most
        :data:`LEGEND_SHARE` of the panel's height; what does not fit is counted in a last
        "+ n more" entry (markers and event kinds are named first, then lines in the order
        drawn: the drift plot draws the most drifting features first)."""
        entries = [e for e in self._legend_entries if e[2]]
        entries += [e for e in self._legend_entries if not e[2]]
        self.legend.clear()
        self.legend_hidden = 0
        if not entries:
            return
        metrics = QtGui.QFontMetrics(QtGui.QFont(self.font().family(), 8))
        widest = max(metrics.horizontalAdvance(name) for _, name, _ in entries) + 58
        width = max(self.layout_widget.width() - 24, widest)
        cols = max(1, min(len(entries), width // widest))
        self.legend.setColumnCount(cols)
        budget = LEGEND_SHARE * max(self.layout_widget.height(), 1)
        rows = math.ceil(len(entries) / cols)
        while True:
            room = rows * cols
            shown = entries if room >= len(entries) else entries[: max(room - 1, 0)]
            self.legend.clear()
            for item, name, _ in shown:
                self.legend.addItem(item, name)
            self.legend_hidden = len(entries) - len(shown)
            if self.legend_hidden:
                self.legend.addItem(pg.PlotDataItem(), f"+ {self.legend_hidden} more")
            # the legend's row in the layout: its height, the layout's margin and spacing
            if rows <= 1 or self.legend.boundingRect().height() + 12 <= budget:
                return
            rows -= 1

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.fit_legend()

    def _on_events_check_toggled(self, on: bool) -> None:
        for item in self._event_items:
            item.setVisible(on)

    def _on_point_clicked(self, _item: Any, points: Any, *_args: Any) -> None:
        if len(points):
            self.run_activated.emit(int(points[0].data()))

    def _on_marker_clicked(self, _item: Any, points: Any, *_args: Any) -> None:
        run_id = self.events[int(points[0].data())].run_id if len(points) else None
        if run_id is not None:
            self.run_activated.emit(int(run_id))

    def _marker_tip(self, x: float, y: float, data: Any) -> str:
        event = self.events[int(data)]
        opens = f"\nclick to open run #{event.run_id}" if event.run_id is not None else ""
        return f"{event.label}\n{_time_text(float(x))}{opens}"

    def _draw_markers(self, y_at: Callable[[np.ndarray], np.ndarray]) -> None:
        """One scatter item per loop kind (its points are arrays; the data of a point is its
        event's index), placed at ``y_at`` of their times."""
        self.markers = {}
        kinds = np.array([e.kind for e in self.events], dtype=object)
        times = np.array([e.time for e in self.events], dtype=np.float64)
        for kind in LOOP_KINDS:
            index = np.flatnonzero(kinds == kind)
            if not index.size:
                continue
            symbol, color, name = LOOP_MARKERS[kind]
            if index.size > MAX_LOOP_MARKERS:  # the events are in time order: the newest
                name = f"{name} (newest {MAX_LOOP_MARKERS} of {index.size})"
                index = index[-MAX_LOOP_MARKERS:]
            scatter = pg.ScatterPlotItem(
                x=times[index],
                y=y_at(times[index]),
                data=index,
                symbol=symbol,
                size=14,
                brush=pg.mkBrush(colors.readable(color)),
                pen=pg.mkPen("w"),
                hoverable=True,
                tip=self._marker_tip,
            )
            scatter.setZValue(10)  # above the runs' points
            scatter.sigClicked.connect(self._on_marker_clicked)
            self.plot_item.addItem(scatter)
            self._legend_add(scatter, name, first=True)
            self.markers[kind] = scatter
            self._event_items.append(scatter)

    def _draw_events(
        self,
        events: Sequence[TimelineEvent],
        y_at: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> None:
        self.events = list(events)
        self._event_items = []
        self.event_lines = []
        self._draw_markers(y_at or (lambda t: np.zeros_like(t)))
        seen: set[str] = set()
        for event in events:
            if event.kind in LOOP_KINDS:
                continue
            color = colors.readable(EVENT_COLOURS.get(event.kind, "#555555"))
            line = pg.InfiniteLine(
                event.time,
                angle=90,
                pen=pg.mkPen(color, width=1.2, style=QtCore.Qt.PenStyle.DashLine),
                label=event.label,
                # Staggered in rows by stagger_labels so that close events' labels do not
                # overlap.
                labelOpts={
                    "position": 0.95,
                    "color": color,
                    "fill": pg.mkBrush(colors.role("legend_fill")),
                    "anchors": [(0, 0.5), (0, 0.5)],
                },
            )
            line.setToolTip(f"{event.label}\n{_time_text(event.time)}")
            self.plot_item.addItem(line, ignoreBounds=True)
            self._event_items.append(line)
            self.event_lines.append(line)
            if event.kind not in seen:  # one legend entry per kind of event
                seen.add(event.kind)
                sample = pg.PlotDataItem(pen=pg.mkPen(color, style=QtCore.Qt.PenStyle.DashLine))
                self._legend_add(sample, event.kind.replace("_", " "), first=True)
        self._on_events_check_toggled(self.events_check.isChecked())
        self.fit_legend()  # the plot's lines and the events' kinds
        self.stagger_labels()

    def stagger_labels(self, *_args: Any) -> None:
        """Put each event's label in the highest row where it overlaps no label already
        placed (rows one label high, from the top of the plot down)."""
        vb = self.plot_item.vb
        height = vb.height()
        if height < 10 or not self.event_lines:
            return
        rows: list[list[tuple[float, float]]] = []
        for line in sorted(self.event_lines, key=lambda item: item.value()):
            label = line.label
            box = label.boundingRect()
            left = vb.mapViewToScene(QtCore.QPointF(line.value(), 0)).x()
            span = (left, left + box.width() + 4)
            row = next(
                (
                    i
                    for i, taken in enumerate(rows)
                    if all(span[1] <= a or span[0] >= b for a, b in taken)
                ),
                len(rows),
            )
            if row == len(rows):
                rows.append([])
            rows[row].append(span)
            # the label's middle sits on its position: the first row just below the top
            middle = (row + 0.5) * (box.height() + 2) + 2
            label.setPosition(max(1.0 - middle / height, 0.02))

    def _fit_x(self, times: Sequence[np.ndarray]) -> None:
        """Show every point and event with a margin (events alone do not set the range)."""
        all_t = np.concatenate(
            [t for t in times if t.size] + [np.array([e.time for e in self.events])]
        )
        if all_t.size == 0:
            return
        lo, hi = float(np.nanmin(all_t)), float(np.nanmax(all_t))
        pad = max((hi - lo) * 0.05, 60.0)
        self.plot_item.setXRange(lo - pad, hi + pad, padding=0)


class TrendPlot(_TimePanel):
    """One metric's last value in each run of a pipeline, oldest to newest."""

    export_name = "trend"

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.trend: Trend | None = None
        self.line: Any = None
        self.scatters: list[Any] = []
        self._scatter_of: dict[bool, Any] = {}
        self.finish_tools()

    def set_trend(self, trend: Trend) -> None:
        self.trend = trend
        self.plot_item.clear()
        self._clear_legend()
        self.plot_item.setTitle(f"{trend.key} across runs", size="10pt")
        self.plot_item.setLabel("left", trend.key)
        ok = np.array([s not in FAILED for s in trend.statuses], dtype=bool)
        line = pg.PlotDataItem(trend.times, trend.values, pen=pen(0, width=1.5))
        self.line = line
        self.plot_item.addItem(line)
        self._legend_add(line, trend.key)
        # One scatter item per kind of run (not an item or a spot dict per point): the
        # points are arrays, the tip reads the run id of the hovered point.
        self.scatters = []
        self._scatter_of = {}
        for mask, index in ((ok, 0), (~ok, 3)):
            if not mask.any():
                continue
            scatter = pg.ScatterPlotItem(
                x=trend.times[mask],
                y=trend.values[mask],
                data=trend.run_ids[mask],
                size=8,
                brush=pg.mkBrush(colour(index)),
                pen=pg.mkPen("w"),
                hoverable=True,
                tip=_point_tip,
            )
            scatter.sigClicked.connect(self._on_point_clicked)
            self.plot_item.addItem(scatter)
            self.scatters.append(scatter)
            self._scatter_of[index == 0] = scatter
        if not ok.all():
            failed = pg.ScatterPlotItem(size=8, brush=colour(3), pen=pg.mkPen("w"))
            self._legend_add(failed, "failed / cancelled run")
        self._draw_events(trend.events, self._on_line)
        self._fit_x([trend.times])

    def _on_line(self, times: np.ndarray) -> np.ndarray:
        """The metric's line at ``times`` (so that loop markers sit on it)."""
        t = self.trend
        finite = np.isfinite(t.values) if t is not None else np.zeros(0, dtype=bool)
        if t is None or not finite.any():
            return np.zeros_like(times)
        return np.interp(times, t.times[finite], t.values[finite])

    def append_point(self, run_id: int, time: float, value: float, status: str) -> bool:
        """Add the newest run's point to the items drawn (no redraw of the others); False
        when it cannot be appended (not the newest, or its kind has no item yet)."""
        from dataclasses import replace

        t = self.trend
        good = status not in FAILED
        scatter = self._scatter_of.get(good)
        if t is None or scatter is None or (t.times.size and time < float(t.times[-1])):
            return False
        self.trend = replace(
            t,
            run_ids=np.append(t.run_ids, run_id),
            times=np.append(t.times, time),
            values=np.append(t.values, value),
            statuses=[*t.statuses, status],
        )
        self.line.setData(self.trend.times, self.trend.values)
        scatter.addPoints(x=[time], y=[value], data=[run_id])
        return True

    def data_table(self) -> tuple[list[str], Sequence[Sequence[Any]]]:
        t = self.trend
        if t is None:
            return ["run_id", "started", "value", "status"], []
        rows = [
            (int(r), _time_text(float(s)), float(v), st)
            for r, s, v, st in zip(t.run_ids, t.times, t.values, t.statuses, strict=True)
        ]
        return ["run_id", "started", t.key, "status"], rows


class DriftPlot(_TimePanel):
    """Drift per feature over time, the alert threshold as a red line; features above it
    drawn thick."""

    export_name = "drift"
    MAX_FEATURES = 10

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.drift: DriftTrend | None = None
        self.summary = QtWidgets.QLabel()
        self.tools.addWidget(self.summary)
        self.finish_tools()

    def set_drift(self, drift: DriftTrend) -> None:
        self.drift = drift
        self.plot_item.clear()
        self._clear_legend()
        stat = drift.statistic.upper()
        self.plot_item.setTitle(f"Drift per feature ({stat})", size="10pt")
        self.plot_item.setLabel("left", stat)
        # The features that drift most first; the rest would only add noise to the picture.
        ranked = sorted(drift.features, key=lambda f: -float(np.nanmax(drift.features[f][1])))
        shown = ranked[: self.MAX_FEATURES]
        over = set(drift.over_threshold())
        for i, feat in enumerate(shown):
            t, v = drift.features[feat]
            width = 2.5 if feat in over else 1.2
            # Markers while they can be told apart; a long history is drawn as its line.
            # (pyqtgraph draws a marker per point once any symbol option is given, None too)
            marks: dict[str, Any] = {"symbol": None}
            if t.size <= MAX_MARKERS:
                marks = {"symbol": "o", "symbolSize": 5, "symbolPen": None}
                marks["symbolBrush"] = colour(i if i < 3 else i + 1)
            item = pg.PlotDataItem(t, v, pen=pen(i if i < 3 else i + 1, width=width), **marks)
            self.plot_item.addItem(item)
            self._legend_add(item, f"{feat} ⚠" if feat in over else feat)
        threshold = pg.InfiniteLine(
            drift.threshold,
            angle=0,
            pen=pg.mkPen("#d62728", width=1.5, style=QtCore.Qt.PenStyle.DashLine),
            label=f"alert threshold {drift.threshold:g}",
            labelOpts={"position": 0.02, "color": "#d62728", "anchors": [(0, 1), (0, 1)]},
        )
        self.plot_item.addItem(threshold)
        hidden = len(drift.features) - len(shown)
        text = f"{len(over)} of {len(drift.features)} features above {drift.threshold:g}"
        if hidden > 0:
            text += f" ({hidden} least drifting not drawn)"
        self.summary.setText(text)
        self.summary.setStyleSheet(f"color: {colors.css('error_text')};" if over else "")
        self._draw_events(drift.events, lambda t: np.full_like(t, drift.threshold))
        self._fit_x([drift.features[f][0] for f in shown])
        top = max([float(np.nanmax(drift.features[f][1])) for f in shown] + [drift.threshold])
        self.plot_item.setYRange(0, top * 1.1, padding=0)

    def data_table(self) -> tuple[list[str], Sequence[Sequence[Any]]]:
        d = self.drift
        headers = ["feature", "time", "value", "threshold"]
        if d is None:
            return headers, []
        rows = [
            (feat, _time_text(float(t)), float(v), d.threshold)
            for feat, (ts, vs) in d.features.items()
            for t, v in zip(ts, vs, strict=True)
        ]
        return headers, rows


class TrendsView(QtWidgets.QWidget):
    """A project's trends: pick a pipeline and a metric; the metric across its runs above,
    per-feature drift below (when the pipeline monitors drift). A click on a run's point or
    on a loop marker emits :attr:`run_activated`.

    Everything it shows is read on a reader thread (:mod:`mlops_desktop.app.trends_read`):
    at 10,000 runs the reads took the GUI thread half a second. It draws what arrives; a
    read superseded by a newer one (another pipeline chosen meanwhile) is dropped."""

    run_activated = QtCore.Signal(int)
    loaded = QtCore.Signal()  # what a read brought is drawn

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        from mlops_desktop.qt.background import BackgroundReads

        self.pipeline_combo = QtWidgets.QComboBox()
        self.pipeline_combo.setToolTip("Whose runs to follow")
        self.metric_combo = QtWidgets.QComboBox()
        self.metric_combo.setToolTip("The metric to follow across runs")
        self.pipeline_combo.currentIndexChanged.connect(self._on_pipeline_combo_changed)
        self.metric_combo.currentIndexChanged.connect(self._on_metric_combo_changed)
        for combo in (self.pipeline_combo, self.metric_combo):
            # Filled when a read arrives, after the view first shows: sized to what it holds.
            combo.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.setMinimumContentsLength(10)
        self.trend = TrendPlot()
        self.drift = DriftPlot()
        self.trend.run_activated.connect(self.run_activated)
        self.drift.run_activated.connect(self.run_activated)
        self.empty = QtWidgets.QLabel("No runs with metrics yet: run the pipeline to see trends.")
        self.empty.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        bar = QtWidgets.QHBoxLayout()
        bar.setContentsMargins(4, 4, 4, 0)
        for label, combo in (("Pipeline:", self.pipeline_combo), ("Metric:", self.metric_combo)):
            bar.addWidget(QtWidgets.QLabel(label))
            bar.addWidget(combo)
        bar.addStretch(1)
        # Side by side: in a bottom panel, stacked plots left each a sliver of height.
        split = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        split.addWidget(self.trend)
        split.addWidget(self.drift)
        box = QtWidgets.QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(bar)
        box.addWidget(self.empty)
        box.addWidget(split, 1)
        self._ws: Any = None
        self._project: str | int | None = None
        self._read: TrendsRead | None = None  # what is shown
        self._reads = BackgroundReads("mlops-trends-read", self)
        self._reads.arrived.connect(self._on_read)
        # The drift is drawn a turn after the trend (the window paints in between: at
        # 10,000 runs each takes 20-40 ms of the GUI thread).
        self._drift_later = QtCore.QTimer(self)
        self._drift_later.setSingleShot(True)
        self._drift_later.setInterval(DRIFT_AFTER_MS)
        self._drift_later.timeout.connect(self._draw_drift)

    @property
    def _runs(self) -> list[Any]:
        """The runs of the pipeline shown, newest first."""
        return self._read.runs if self._read is not None else []

    def changeEvent(self, event: QtCore.QEvent) -> None:  # noqa: N802 - Qt override
        """Redraw the event markers and legends in the new theme's colours."""
        super().changeEvent(event)
        if getattr(self, "_read", None) is not None and colors.scheme_changed_for(self, event):
            self._draw()

    # ------------------------------------------------------------------ reading
    def load(self, workspace: Any, project: str | int, pipeline: str | int | None = None) -> None:
        """Read the project's pipelines, the runs of ``pipeline`` (the one shown, else the
        first), their metrics, model versions, deployments and training loop (alerts,
        retraining runs, promotions, rollbacks) on a reader thread; drawn when read."""
        from mlops_desktop.app.trends_read import read_trends

        self._ws, self._project = workspace, project
        if pipeline is None and self._read is not None:
            pipeline = self.pipeline_combo.currentData()
        key = self.metric_combo.currentText()
        self._reads.start(lambda: ("all", read_trends(workspace, project, pipeline, key)))

    def add_run(self, run_id: int) -> None:
        """Add (or update) one finished run's point: that run alone is read (on a reader
        thread), then the point added to what is drawn."""
        from mlops_desktop.app.trends_read import read_run

        workspace = self._ws
        if workspace is None or self._read is None:
            return
        self._reads.start(lambda: ("run", read_run(workspace, run_id)), self._reads.number)

    def wait(self, seconds: float = 5.0) -> bool:
        """Let the reads running end (the workspace closes; tests)."""
        return self._reads.wait(seconds)

    def _on_read(self, number: int, result: Any) -> None:
        if not self._reads.is_latest(number):
            return  # another pipeline or project was chosen since
        if isinstance(result, MlopsError):
            self._read = None
            self._show_empty(f"Cannot show the trends: {result}")
            return
        if isinstance(result, Exception):
            raise result
        what, data = result
        if what == "all":
            self._show_read(data)
        elif what == "metric":
            self._show_metric(*data)
        elif what == "run":
            self._add_run_read(*data)

    def _show_read(self, read: TrendsRead) -> None:
        self._read = read
        for combo, items, current in (
            (self.pipeline_combo, read.pipelines, read.pipeline_id),
            (self.metric_combo, [(k, k) for k in read.keys], read.key),
        ):
            combo.blockSignals(True)
            combo.clear()
            for text, data in items:
                combo.addItem(text, data)
            combo.setCurrentIndex(max(combo.findData(current), 0) if items else -1)
            combo.blockSignals(False)
        self._draw()

    def _show_metric(self, read: TrendsRead, key: str, values: dict[int, dict[str, float]]) -> None:
        from mlops_desktop.app.trends_read import with_metric

        if self._read is read and self.metric_combo.currentText() == key:
            with_metric(self._read, key, values)
            self._draw()

    def _add_run_read(self, run: Any, latest: dict[str, float]) -> None:
        from mlops_desktop.app.trends_read import DRIFT_PREFIX, with_run

        read = self._read
        if read is None or not with_run(read, run, latest):
            return  # a run of another pipeline or project
        key = read.key
        if not key or any(k.startswith(DRIFT_PREFIX) for k in latest):
            self.load(self._ws, read.project_id)  # its first metrics, or the drift too
            return
        shown = self.trend.trend
        started = run.started_at or run.created_at
        if key not in latest:
            self.loaded.emit()  # nothing drawn changed
        elif shown is not None and run.id in shown.run_ids.tolist():
            read.redraw()  # an updated run: drawn again
            self._draw()
        elif self.trend.append_point(
            run.id, started.timestamp(), float(latest[key]), str(run.status)
        ):
            self.loaded.emit()
        else:
            read.redraw()
            self._draw()

    # ------------------------------------------------------------------ choosing
    def _on_pipeline_combo_changed(self, *_args: Any) -> None:
        if self._ws is None or self._project is None or self.pipeline_combo.currentData() is None:
            return
        self.load(self._ws, self._project, self.pipeline_combo.currentData())

    def _on_metric_combo_changed(self, *_args: Any) -> None:
        from mlops_desktop.app.trends_read import read_metric, with_metric

        read, key = self._read, self.metric_combo.currentText()
        if read is None or not key:
            return
        if key in read.read_keys:
            with_metric(read, key, {})
            self._draw()
            return
        workspace = self._ws  # belongs to the read shown: a newer one drops it
        self._reads.start(
            lambda: ("metric", (read, key, read_metric(workspace, read, key))),
            self._reads.number,
        )

    # ------------------------------------------------------------------ drawing
    def _show_empty(self, text: str, done: bool = True) -> None:
        """``text`` in place of the plots (then :attr:`loaded` when ``done``)."""
        self._drift_later.stop()
        self.empty.setText(text)
        self.empty.setVisible(True)
        self.trend.setVisible(False)
        self.drift.setVisible(False)
        if done:
            self.loaded.emit()

    def _draw(self) -> None:
        """The trend now, the drift a turn later (then :attr:`loaded`)."""
        read = self._read
        if read is None:
            return
        if read.trend is None:
            text = "No runs with metrics yet: run the pipeline to see trends."
            self._show_empty(text, done=False)
            self._draw_drift()  # a pipeline may monitor drift and log no metric
            return
        self.empty.setVisible(False)
        self.trend.setVisible(True)
        self.trend.set_trend(read.trend)
        self._drift_later.start()

    def _draw_drift(self) -> None:
        self._drift_later.stop()
        read = self._read
        drift = read.drift if read is not None else None
        self.drift.setVisible(drift is not None and bool(drift.features))
        if drift is not None and drift.features:
            self.drift.set_drift(drift)
        self.loaded.emit()
