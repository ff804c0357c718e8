"""RunComparisonView: several runs side by side.

Tabs: a table of metrics (one column per run, the best value in bold), the same metric's
series overlaid, parameters against a chosen metric (scatter or parallel coordinates), and
runs grouped by a parameter with mean ± std bars."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from mlops_desktop.app.plot_data import (
    GroupStats,
    RunComparison,
    Series,
    group_stats,
    param_axis,
    varying_params,
)
from mlops_desktop.core.errors import MlopsError
from mlops_desktop.qt import colors
from mlops_desktop.qt.lazy_tabs import install_tab
from mlops_desktop.qt.plots._common import (
    PlotPanel,
    colour,
    fmt,
    foreground,
    no_si_prefix,
    pen,
    set_category_ticks,
    style_plot,
    widen_flat_range,
)
from mlops_desktop.qt.plots.series import MetricPlotWidget

LOWER_IS_BETTER = (
    "rmse",
    "mae",
    "mse",
    "log_loss",
    "loss",
    "brier",
    "error",
    "latency",
    "seconds",
    "duration",
)
SeriesLoader = Callable[[int, str], Series]
MAX_POINT_LABELS = 15
STEP_MS = 5  # between two tabs drawn for runs read by RunComparisonView.load
SERIES_TAB, PARAMS_TAB, GROUPS_TAB = 1, 2, 3
_PageT = TypeVar("_PageT", "ParamPlot", "GroupPlot")


def lower_is_better(key: str) -> bool:
    return any(word in key.lower() for word in LOWER_IS_BETTER)


def complete_varying_params(comp: RunComparison) -> list[str]:
    """Parameters that differ between the runs and that every run sets."""
    return [n for n in varying_params(comp) if all(v is not None for v in comp.params[n])]


def default_param(comp: RunComparison) -> str | None:
    """The parameter to show first: one that varies and that every run sets (e.g. the
    estimator, not a hyper-parameter only one of the estimators has), else any varying one,
    else the first."""
    for names in (complete_varying_params(comp), varying_params(comp), list(comp.params)):
        if names:
            return names[0]
    return None


def _fill_params(combo: QtWidgets.QComboBox, comp: RunComparison) -> None:
    """The varying parameters (or all when none varies); the current choice is kept while it
    still varies across every run, otherwise :func:`default_param` is chosen."""
    current = combo.currentText()
    keep = current if current in complete_varying_params(comp) else default_param(comp)
    _fill(combo, varying_params(comp) or list(comp.params), keep)


def _combo(tip: str) -> QtWidgets.QComboBox:
    combo = QtWidgets.QComboBox()
    combo.setToolTip(tip)
    combo.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToContents)
    return combo


def _fill(combo: QtWidgets.QComboBox, items: Sequence[str], keep: str | None = None) -> None:
    combo.blockSignals(True)
    current = keep or combo.currentText()
    combo.clear()
    combo.addItems(list(items))
    if current in items:
        combo.setCurrentText(current)
    combo.blockSignals(False)


class MetricsTable(QtWidgets.QTableWidget):
    """Metrics (rows) of the compared runs (columns); the best value of each row in bold."""

    def set_comparison(self, comp: RunComparison) -> None:
        headers, rows = comp.table()
        metric_rows = len(rows)
        rows = rows + [[f"{name}", *comp.params[name]] for name in varying_params(comp)]
        self.clear()
        self.setColumnCount(len(headers) - 1)
        self.setRowCount(len(rows))
        self.setHorizontalHeaderLabels(headers[1:])
        self.setVerticalHeaderLabels([str(r[0]) for r in rows])
        bold = QtGui.QFont()
        bold.setBold(True)
        for i, row in enumerate(rows):
            if i >= metric_rows:  # a parameter row: values as they are, in italics
                for j, value in enumerate(row[1:]):
                    item = QtWidgets.QTableWidgetItem("none" if value is None else str(value))
                    item.setFlags(item.flags() & ~QtCore.Qt.ItemFlag.ItemIsEditable)
                    font = item.font()
                    font.setItalic(True)
                    item.setFont(font)
                    self.setItem(i, j, item)
                continue
            values = np.array(row[1:], dtype=np.float64)
            best: set[int] = set()
            finite = values[np.isfinite(values)]
            if len(values) > 1 and len(finite) and finite.min() != finite.max():
                pick = np.nanmin if lower_is_better(str(row[0])) else np.nanmax
                best = set(np.flatnonzero(values == pick(values)).tolist())  # ties all bold
            for j, value in enumerate(values):
                item = QtWidgets.QTableWidgetItem(fmt(float(value)))
                item.setTextAlignment(
                    QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter
                )
                item.setFlags(item.flags() & ~QtCore.Qt.ItemFlag.ItemIsEditable)
                if j in best:
                    item.setFont(bold)
                self.setItem(i, j, item)
        self.resizeColumnsToContents()


class ParamPlot(PlotPanel):
    """A parameter against a metric (scatter), or every varying parameter at once
    (parallel coordinates, lines coloured by the metric)."""

    export_name = "parameters"

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.comparison: RunComparison | None = None
        self.plot_item: pg.PlotItem = self.layout_widget.addPlot()
        style_plot(self.plot_item)
        no_si_prefix(self.plot_item.getAxis("bottom"))
        self.mode_combo = _combo("Scatter of one parameter, or parallel coordinates of all")
        self.mode_combo.addItems(["Scatter", "Parallel coordinates"])
        self.param_combo = _combo("Parameter on the x axis")
        self.metric_combo = _combo("Metric to judge the runs by")
        for combo in (self.mode_combo, self.param_combo, self.metric_combo):
            combo.currentIndexChanged.connect(self._on_choice_changed)
        self.tools.addWidget(self.mode_combo)
        self.tools.addWidget(QtWidgets.QLabel("Parameter:"))
        self.tools.addWidget(self.param_combo)
        self.tools.addWidget(QtWidgets.QLabel("Metric:"))
        self.tools.addWidget(self.metric_combo)
        self.finish_tools()
        self._rows: list[Sequence[Any]] = []
        self._headers: list[str] = []
        self.point_labels: list[str] = []

    def set_comparison(self, comp: RunComparison, metric: str | None = None) -> None:
        self.comparison = comp
        _fill_params(self.param_combo, comp)
        _fill(self.metric_combo, comp.metric_keys(), metric)
        self._on_choice_changed()

    def _on_choice_changed(self, *_args: Any) -> None:
        self.plot_item.clear()
        self.plot_item.enableAutoRange()  # a flat scatter may have fixed the y range
        self.plot_item.getAxis("bottom").setTicks(None)
        self.plot_item.getAxis("left").setTicks(None)
        comp, metric = self.comparison, self.metric_combo.currentText()
        if comp is None or not metric:
            return
        self.param_combo.setEnabled(self.mode_combo.currentIndex() == 0)
        if self.mode_combo.currentIndex() == 0:
            self._draw_scatter(comp, self.param_combo.currentText(), metric)
        else:
            self._draw_parallel(comp, metric)

    def _draw_scatter(self, comp: RunComparison, param: str, metric: str) -> None:
        if not param:
            return
        x, cats = param_axis(comp.params[param])
        y = comp.metrics[metric]
        same = "" if varying_params(comp) else " (no parameter differs between these runs)"
        style_plot(self.plot_item, f"{metric} by {param}{same}", param, metric)
        if cats:
            set_category_ticks(self.plot_item.getAxis("bottom"), range(len(cats)), cats)
            # Half a slot either side: pyqtgraph hides tick labels that cross the axis ends.
            self.plot_item.setXRange(-0.5, len(cats) - 0.5, padding=0)
        ok = np.isfinite(x) & np.isfinite(y)
        spots = [{"pos": (x[i], y[i]), "data": comp.run_ids[i]} for i in range(len(x)) if ok[i]]
        scatter = pg.ScatterPlotItem(
            size=11,
            pen=pen(0),
            brush=pg.mkBrush(colour(0, 150)),
            hoverable=True,
            tip="run #{data}\nx: {x:.4g}\ny: {y:.4g}".format,
        )
        scatter.addPoints(spots)
        self.plot_item.addItem(scatter)
        widen_flat_range(self.plot_item, y[ok])
        # Name the points while that stays readable; beyond, hovering a point names its run.
        # Runs at the same spot share one label ("#1, #2") instead of overprinting.
        names: dict[tuple[float, float], list[str]] = {}
        for i in np.flatnonzero(ok) if ok.sum() <= MAX_POINT_LABELS else ():
            names.setdefault((float(x[i]), float(y[i])), []).append(comp.labels[i])
        self.point_labels = [", ".join(runs) for runs in names.values()]
        for (px, py), runs in names.items():
            label = pg.TextItem(", ".join(runs), color=foreground(), anchor=(0, 1))
            label.setPos(px, py)
            self.plot_item.addItem(label)
        self._headers = ["run_id", param, metric]
        self._rows = [(comp.run_ids[i], comp.params[param][i], float(y[i])) for i in range(len(x))]

    def _draw_parallel(self, comp: RunComparison, metric: str) -> None:
        axes = [p for p in (varying_params(comp) or list(comp.params))][:12] + [metric]
        columns: list[np.ndarray] = []
        ticks: list[list[tuple[float, str, tuple[float, float]]]] = []  # per axis: y, text, anchor
        for name in axes:
            if name == metric and name is axes[-1]:
                raw, cats = comp.metrics[metric], None
            else:
                raw, cats = param_axis(comp.params[name])
            lo, hi = (np.nanmin(raw), np.nanmax(raw)) if np.isfinite(raw).any() else (0.0, 1.0)
            span = hi - lo
            columns.append((raw - lo) / span if span > 0 else np.full(raw.shape, 0.5))
            if cats:  # every category at its height, beside the axis line
                n = len(cats)
                ticks.append(
                    [(k / (n - 1) if n > 1 else 0.5, c, (-0.08, 0.5)) for k, c in enumerate(cats)]
                )
            else:  # numbers: the minimum under the axis, the maximum above it
                ticks.append(
                    [(0.0, fmt(float(lo)), (0.5, -0.1)), (1.0, fmt(float(hi)), (0.5, 1.1))]
                )
        data = np.vstack(columns).T  # runs x axes
        style_plot(
            self.plot_item,
            f"Parameters and {metric} (line colour: {metric}, dark = low, yellow = high)",
            "",
            "scaled value (min → max)",
        )
        self.plot_item.getAxis("bottom").showLabel(False)
        values = comp.metrics[metric]
        finite = values[np.isfinite(values)]
        lo, hi = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
        cmap = pg.colormap.get("viridis")
        xs = np.arange(len(axes), dtype=np.float64)
        for i in range(data.shape[0]):
            t = 0.5 if hi <= lo or not math.isfinite(values[i]) else (values[i] - lo) / (hi - lo)
            line_pen = pg.mkPen(cmap.map(0.1 + 0.8 * t, mode="qcolor"), width=2)
            self.plot_item.addItem(pg.PlotDataItem(xs, data[i], pen=line_pen, connect="finite"))
        for j, axis_ticks in enumerate(ticks):
            self.plot_item.addItem(pg.InfiniteLine(j, angle=90, pen=pg.mkPen("#888888")))
            for y, text, anchor in axis_ticks:
                item = pg.TextItem(
                    text,
                    color=foreground(),
                    anchor=anchor,
                    fill=pg.mkBrush(colors.role("legend_fill")),
                )
                item.setPos(j, y)
                self.plot_item.addItem(item)
        set_category_ticks(self.plot_item.getAxis("bottom"), xs, axes, max_chars=18)
        self.plot_item.setYRange(-0.12, 1.12, padding=0)
        self.plot_item.setXRange(-0.3, len(axes) - 0.7, padding=0)
        self._headers = ["run_id", *axes]
        self._rows = [(comp.run_ids[i], *map(float, data[i])) for i in range(data.shape[0])]

    def data_table(self) -> tuple[list[str], Sequence[Sequence[Any]]]:
        return self._headers, self._rows


class GroupPlot(PlotPanel):
    """Runs grouped by a parameter's value: a bar of the metric's mean ± std per group."""

    export_name = "grouped"

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.comparison: RunComparison | None = None
        self.stats: GroupStats | None = None
        self.plot_item: pg.PlotItem = self.layout_widget.addPlot()
        style_plot(self.plot_item)
        self.param_combo = _combo("Group runs by this parameter")
        self.metric_combo = _combo("Metric to summarise")
        for combo in (self.param_combo, self.metric_combo):
            combo.currentIndexChanged.connect(self._on_choice_changed)
        self.tools.addWidget(QtWidgets.QLabel("Group by:"))
        self.tools.addWidget(self.param_combo)
        self.tools.addWidget(QtWidgets.QLabel("Metric:"))
        self.tools.addWidget(self.metric_combo)
        self.finish_tools()

    def set_comparison(self, comp: RunComparison, metric: str | None = None) -> None:
        self.comparison = comp
        _fill_params(self.param_combo, comp)
        _fill(self.metric_combo, comp.metric_keys(), metric)
        self._on_choice_changed()

    def _on_choice_changed(self, *_args: Any) -> None:
        self.plot_item.clear()
        comp = self.comparison
        param, metric = self.param_combo.currentText(), self.metric_combo.currentText()
        if comp is None or not param or not metric:
            self.stats = None
            return
        stats = group_stats(comp, param, metric)
        self.stats = stats
        style_plot(self.plot_item, f"{metric} by {param} (mean ± std)", param, metric)
        x = np.arange(len(stats.labels), dtype=np.float64)
        # Each run as a small grey dot (spread sideways so equal values stay visible), all
        # in one item (an item per group made 100 of them for 100 runs: 60 ms)...
        values = comp.metrics[metric]
        index = {rid: i for i, rid in enumerate(comp.run_ids)}
        dots_x: list[np.ndarray] = []
        dots_y: list[np.ndarray] = []
        for g, members in enumerate(stats.members):
            dots_y.append(values[[index[r] for r in members]])
            spread = np.linspace(-0.12, 0.12, len(members)) if len(members) > 1 else np.zeros(1)
            dots_x.append(g + spread + 0.18)
        if dots_x:
            self.plot_item.addItem(
                pg.ScatterPlotItem(
                    np.concatenate(dots_x),
                    np.concatenate(dots_y),
                    size=6,
                    pen=None,
                    brush=pg.mkBrush(120, 120, 120, 160),
                )
            )
        # ...and the group's mean ± std as a marker with whiskers.
        self.plot_item.addItem(
            pg.ErrorBarItem(
                x=x, y=stats.mean, height=2 * stats.std, beam=0.18, pen=pg.mkPen(colour(0), width=2)
            )
        )
        self.plot_item.addItem(
            pg.ScatterPlotItem(
                x, stats.mean, size=12, symbol="s", pen=pg.mkPen(foreground()), brush=colour(0)
            )
        )
        labels = [f"{lab} (n={n})" for lab, n in zip(stats.labels, stats.count, strict=True)]
        set_category_ticks(self.plot_item.getAxis("bottom"), x, labels)
        self.plot_item.setXRange(-0.6, len(x) - 0.4, padding=0)
        self.plot_item.enableAutoRange(axis="y")

    def data_table(self) -> tuple[list[str], Sequence[Sequence[Any]]]:
        s = self.stats
        if s is None:
            return ["group", "mean", "std", "count"], []
        rows = [
            (lab, float(m), float(d), int(n))
            for lab, m, d, n in zip(s.labels, s.mean, s.std, s.count, strict=True)
        ]
        return [s.param, f"{s.metric}_mean", f"{s.metric}_std", "count"], rows


class RunValuesPlot(PlotPanel):
    """One value per run (a metric logged once, such as ``accuracy``): a marker per run, the
    runs along the x axis named by their id, the value written above each marker."""

    export_name = "run_values"

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot_item: pg.PlotItem = self.layout_widget.addPlot()
        style_plot(self.plot_item, "", "Run", "Value")
        self.plot_item.setMouseEnabled(x=False, y=True)
        self.note = QtWidgets.QLabel()
        self.tools.addWidget(self.note)
        self.finish_tools()
        self.key = ""
        self.run_ids: list[int] = []
        self.values = np.empty(0)

    def set_values(
        self, key: str, run_ids: Sequence[int], values: Sequence[float] | npt.NDArray[np.float64]
    ) -> None:
        """Show ``values[i]`` of run ``run_ids[i]`` (NaN: the run did not log ``key``)."""
        self.key, self.run_ids = key, list(run_ids)
        self.values = np.asarray(values, dtype=np.float64)
        self.plot_item.clear()
        self.plot_item.setTitle(f"{key}: one value per run", size="10pt", color=foreground())
        self.plot_item.setLabel("left", key)
        self.note.setText("Each run logged a single value of this metric")
        x = np.arange(len(self.run_ids), dtype=np.float64)
        ok = np.isfinite(self.values)
        brushes = [pg.mkBrush(colour(i, 220)) for i in range(len(x))]
        scatter = pg.ScatterPlotItem(
            x[ok],
            self.values[ok],
            size=13,
            pen=pg.mkPen(foreground(), width=1),
            brush=[b for b, keep in zip(brushes, ok, strict=True) if keep],
            data=[rid for rid, keep in zip(self.run_ids, ok, strict=True) if keep],
            hoverable=True,
            tip="run #{data}\nvalue: {y:.4g}".format,
        )
        self.plot_item.addItem(scatter)
        if ok.sum() <= MAX_POINT_LABELS:
            for i in np.flatnonzero(ok):
                label = pg.TextItem(
                    fmt(float(self.values[i])), color=foreground(), anchor=(0.5, 1.2)
                )
                label.setPos(float(x[i]), float(self.values[i]))
                self.plot_item.addItem(label)
        every = max(1, math.ceil(len(x) / 20))  # at most about twenty run names under the axis
        names = [f"#{rid}" for rid in self.run_ids]
        set_category_ticks(self.plot_item.getAxis("bottom"), x[::every], names[::every])
        self.plot_item.setXRange(-0.5, len(x) - 0.5, padding=0)
        widen_flat_range(self.plot_item, self.values[ok])
        if ok.any() and np.ptp(self.values[ok]) > 0:  # room above the value labels
            lo, hi = float(self.values[ok].min()), float(self.values[ok].max())
            pad = 0.25 * (hi - lo)
            self.plot_item.setYRange(lo - pad, hi + pad, padding=0)

    def apply_theme(self) -> None:
        """Restyle, and redraw the markers' outlines and labels in the new text colour."""
        super().apply_theme()
        if self.run_ids:
            self.set_values(self.key, self.run_ids, self.values)

    def data_table(self) -> tuple[list[str], Sequence[Sequence[Any]]]:
        rows = [(rid, float(v)) for rid, v in zip(self.run_ids, self.values, strict=True)]
        return ["run_id", self.key or "value"], rows


def is_scalar(series: Sequence[Series]) -> bool:
    """Every run logged at most one value: a per-run chart, not lines, shows them."""
    return bool(series) and all(len(s) <= 1 for s in series)


class RunComparisonView(QtWidgets.QWidget):
    """Compare several runs: table, overlaid series, parameters, groups.

    :meth:`load` reads the runs on a reader thread (:mod:`mlops_desktop.app.compare_read`)
    and draws the tabs one per turn of the event loop when the read arrives; another series
    metric chosen is read there too. :meth:`set_comparison` draws data already in hand."""

    loaded = QtCore.Signal()  # the runs read by load() are drawn

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        from mlops_desktop.qt.background import BackgroundReads

        self.comparison: RunComparison | None = None
        self._loader: SeriesLoader | None = None
        self._workspace: Any = None  # where load() read the runs (None: data in hand)
        self._cache: dict[str, dict[int, Series]] = {}  # series read, by metric and run
        self._reads = BackgroundReads("mlops-compare-read", self)
        self._reads.arrived.connect(self._on_read)
        self._steps: list[Callable[[], None]] = []  # drawing left, one per turn
        self._step_timer = QtCore.QTimer(self)
        self._step_timer.setInterval(STEP_MS)
        self._step_timer.timeout.connect(self._next_step)
        self.table = MetricsTable()
        self.series_key = _combo("Metric to overlay across the runs")
        self.series_key_label = QtWidgets.QLabel("Metric:")
        self.series_key.currentIndexChanged.connect(self._on_series_key_changed)
        # The plot pages are made when first shown or asked for (see lazy_tabs).
        self._series: MetricPlotWidget | None = None
        self._run_values: RunValuesPlot | None = None
        self._params: ParamPlot | None = None
        self._groups: GroupPlot | None = None
        self._metric: str | None = None  # the metric the parameter plots start on
        self.tabs = QtWidgets.QTabWidget()
        self.tabs.addTab(self.table, "Metrics table")
        for title in ("Series", "Parameters", "Group by"):
            self.tabs.addTab(QtWidgets.QWidget(), title)
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)
        self.title = QtWidgets.QLabel()
        self.title.setStyleSheet("font-weight: bold; padding: 4px 6px;")
        box = QtWidgets.QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.title)
        box.addWidget(self.tabs, 1)

    # ------------------------------------------------------------------ pages
    @property
    def series_stack(self) -> QtWidgets.QStackedWidget:
        """The Series page: the runs' lines, or one value per run (made when first used)."""
        if self._series is None or self._run_values is None:
            self._series, self._run_values = MetricPlotWidget(), RunValuesPlot()
            made = QtWidgets.QStackedWidget()
            made.addWidget(self._series)
            made.addWidget(self._run_values)
            install_tab(self.tabs, SERIES_TAB, made, "Series")
            self._show_series_panel(self._series)
            self._on_series_key_changed()
        stack = self.tabs.widget(SERIES_TAB)
        assert isinstance(stack, QtWidgets.QStackedWidget)
        return stack

    @property
    def series(self) -> MetricPlotWidget:
        self.series_stack  # noqa: B018 - made with its page
        assert self._series is not None
        return self._series

    @property
    def run_values(self) -> RunValuesPlot:
        self.series_stack  # noqa: B018 - made with its page
        assert self._run_values is not None
        return self._run_values

    @property
    def params(self) -> ParamPlot:
        """The Parameters page (made when first used, drawing the runs compared)."""
        if self._params is None:
            self._params = self._plot_page(ParamPlot(), PARAMS_TAB, "Parameters")
        return self._params

    @property
    def groups(self) -> GroupPlot:
        """The Group by page (made when first used, drawing the runs compared)."""
        if self._groups is None:
            self._groups = self._plot_page(GroupPlot(), GROUPS_TAB, "Group by")
        return self._groups

    def _plot_page(self, page: _PageT, index: int, title: str) -> _PageT:
        """``page`` in place of its empty tab, drawing the runs compared so far."""
        install_tab(self.tabs, index, page, title)
        if self.comparison is not None:
            page.set_comparison(self.comparison, self._metric)
        return page

    def _on_tabs_current_changed(self, index: int) -> None:
        page = {SERIES_TAB: "series_stack", PARAMS_TAB: "params", GROUPS_TAB: "groups"}
        if index in page:
            getattr(self, page[index])  # made and drawn when first shown

    # ------------------------------------------------------------------ reading
    def load(self, workspace: Any, run_ids: Sequence[int], metric: str | None = None) -> None:
        """Compare these runs of a workspace (latest metrics, parameters, series), read on a
        reader thread; drawn when read (then :attr:`loaded`)."""
        from mlops_desktop.app.compare_read import read_comparison

        ids = list(run_ids)
        self.title.setText(f"Reading {len(ids)} runs…")
        self._reads.start(lambda: ("all", workspace, metric, read_comparison(workspace, ids)))

    def wait(self, seconds: float = 5.0) -> bool:
        """Let the reads running end (the workspace closes; tests)."""
        return self._reads.wait(seconds)

    def _on_read(self, number: int, result: Any) -> None:
        if not self._reads.is_latest(number):
            return  # other runs were chosen since
        if isinstance(result, Exception):
            if not isinstance(result, MlopsError):
                raise result
            self.title.setText(colors.error_html(f"Cannot compare the runs: {result}"))
            return
        if result[0] == "all":
            _, workspace, metric, read = result
            self._workspace, self._cache = workspace, dict(read.series)
            self._show(read.comparison, read.series_keys, self._cached, metric, in_turns=True)
        else:  # another series metric's series
            _, key, got = result
            self._cache[key] = got
            if self.series_key.currentText() == key:
                self._on_series_key_changed()

    def _cached(self, rid: int, key: str) -> Series:
        return self._cache[key][rid]

    def set_comparison(
        self,
        comp: RunComparison,
        series_keys: Sequence[str] = (),
        loader: SeriesLoader | None = None,
        metric: str | None = None,
    ) -> None:
        """Show ``comp``; ``loader(run_id, key)`` fetches series for the overlay tab, whose
        choices are ``series_keys``."""
        self._workspace, self._cache = None, {}
        self._show(comp, series_keys, loader, metric)

    def _show(
        self,
        comp: RunComparison,
        series_keys: Sequence[str],
        loader: SeriesLoader | None,
        metric: str | None,
        in_turns: bool = False,
    ) -> None:
        """Draw ``comp``: all at once, or the title and table now and each other tab in a
        turn of its own (100 runs: 20-80 ms a tab)."""
        self.comparison = comp
        self._loader = loader
        names = comp.labels if len(comp.labels) <= 10 else [*comp.labels[:8], "…", comp.labels[-1]]
        self.title.setText(f"Comparing {len(comp.run_ids)} runs: " + ", ".join(names))
        self.title.setToolTip(", ".join(comp.labels))

        self._metric = metric

        def series() -> None:
            self.series_key.blockSignals(True)
            _fill(self.series_key, list(series_keys))
            self.series_key.blockSignals(False)
            self._on_series_key_changed()

        # The pages made so far are drawn; the others draw the runs when first shown.
        steps: list[Callable[[], None]] = [lambda: self.table.set_comparison(comp)]
        if self._params is not None:
            steps.append(lambda: self.params.set_comparison(comp, metric))
        if self._groups is not None:
            steps.append(lambda: self.groups.set_comparison(comp, metric))
        steps.append(series)
        self._steps = steps
        if in_turns:
            self._next_step()
            self._step_timer.start()
        else:
            while self._steps:
                self._next_step()

    def _next_step(self) -> None:
        if self._steps:
            self._steps.pop(0)()
        if not self._steps:
            self._step_timer.stop()
            if self._workspace is not None:
                self.loaded.emit()

    def _on_series_key_changed(self, *_args: Any) -> None:
        from mlops_desktop.app.compare_read import read_series

        key = self.series_key.currentText()
        if self._series is None:
            return  # drawn when the Series page is first shown
        if self.comparison is None or self._loader is None or not key:
            self.series.clear()
            return
        workspace, ids = self._workspace, list(self.comparison.run_ids)
        if workspace is not None and key not in self._cache:  # read off the GUI thread
            self._reads.start(
                lambda: ("series", key, read_series(workspace, ids, key)), self._reads.number
            )
            return
        loaded = []
        for rid in self.comparison.run_ids:
            s = self._loader(rid, key)
            if len(s):
                loaded.append(s)
        if is_scalar(loaded):
            by_run = {s.run_id: float(s.values[-1]) for s in loaded}
            ids = self.comparison.run_ids
            self.run_values.set_values(key, ids, [by_run.get(rid, math.nan) for rid in ids])
            self.series.clear()
            self._show_series_panel(self.run_values)
            return
        self.series.set_series(loaded, [f"#{s.run_id}" for s in loaded])
        self._show_series_panel(self.series)

    def _show_series_panel(self, panel: PlotPanel) -> None:
        """Show lines (``self.series``) or one value per run (``self.run_values``); the metric
        picker moves to the front of the shown panel's tool row."""
        for other in (self.series, self.run_values):
            other.tools.removeWidget(self.series_key_label)
            other.tools.removeWidget(self.series_key)
        panel.tools.insertWidget(0, self.series_key)
        panel.tools.insertWidget(0, self.series_key_label)
        self.series_stack.setCurrentWidget(panel)
