"""The Maturity overview's charts (pyqtgraph; the view imports this module on first use).

:func:`build_overview` lays out the crosswalk radar, the models on the normalized 0-4 scale
and maturity over time. Around it:

* The radar's capability labels carry the titles of ``resources/maturity/crosswalk.json``
  and are placed around the chart so they never overlap: on every resize each label is put
  at the first distance from the chart that is free, shortened with an ellipsis to fit the
  plot (the full title is its tooltip), and hidden only when there is no room at all.
* The time axis of the maturity history shows dates even for a single assessment.
* A level bar of 0 keeps a visible stub.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Qt

from mlops_desktop.qt import colors
from mlops_desktop.qt.maturity.tabs import SERIES
from mlops_desktop.qt.plots._common import colour, foreground, style_plot

if TYPE_CHECKING:
    from mlops_desktop.core.maturity.scoring import Assessment

DAY = 86_400.0
MIN_BAR = 0.08  # height of a level bar of 0, so the bar is still seen
LABEL_RADII = (1.06, 1.14, 1.22, 1.30, 1.38)  # tried in turn, nearest first
MAX_LABEL_CHARS = 34
OVERLAP_MARGIN = 3.0  # the text items' blank document margin, in pixels


def capability_title(capability: Any) -> str:
    """The crosswalk's name of a capability ("Code in version control"), not its id."""
    text = str(getattr(capability, "capability", "") or capability.id.removeprefix("x."))
    return text[:1].upper() + text[1:]


def bar_height(level: float) -> float:
    """The drawn height of a level bar: the level, or a stub for 0."""
    return max(float(level), MIN_BAR)


def history_range(stamps: Sequence[float]) -> tuple[float, float]:
    """The x range of the maturity history: a week around a single assessment (so the date
    axis ticks days, not fractions of a second), otherwise the span with a margin."""
    lo, hi = min(stamps), max(stamps)
    if hi - lo < 60.0:
        mid = (lo + hi) / 2
        return mid - 3.5 * DAY, mid + 3.5 * DAY
    pad = max(0.06 * (hi - lo), 30.0)
    return lo - pad, hi + pad


def history_caption(stamps: Sequence[float]) -> str:
    """The dates the history covers, for the axis title."""
    first, last = (
        datetime.fromtimestamp(t).strftime("%Y-%m-%d") for t in (min(stamps), max(stamps))
    )
    count = len(set(stamps))
    what = "1 assessment" if count == 1 else f"{count} assessments"
    return f"{what}, {first}" + ("" if first == last else f" to {last}")


class DateAxis(pg.DateAxisItem):
    """A date axis that writes days as "26 Nov" rather than a bare day number."""

    def tickStrings(self, values: Any, scale: float, spacing: float) -> Any:  # noqa: N802
        if spacing >= DAY and spacing < 28 * DAY:
            return [datetime.fromtimestamp(v).strftime("%d %b") for v in values]
        return super().tickStrings(values, scale, spacing)


class RadarLabels(QtCore.QObject):
    """Places the radar's labels without overlaps, again whenever the plot is resized."""

    def __init__(self, plot: Any, labels: Sequence[tuple[Any, float, str]]) -> None:
        super().__init__(plot)
        self.plot = plot
        self.labels = list(labels)  # (TextItem, angle, full title)
        self.rects: list[QtCore.QRectF] = []
        plot.vb.sigResized.connect(self.relayout)
        plot.vb.sigRangeChanged.connect(self.relayout)

    def relayout(self, *_args: Any) -> None:
        vb = self.plot.vb
        bounds = vb.sceneBoundingRect()
        if bounds.width() < 10 or bounds.height() < 10:
            return
        self.rects = []
        for item, angle, title in self.labels:
            rect = self._place(item, angle, title, bounds)
            item.setVisible(rect is not None)
            if rect is not None:
                self.rects.append(rect)

    def _place(
        self, item: Any, angle: float, title: str, bounds: QtCore.QRectF
    ) -> QtCore.QRectF | None:
        vb = self.plot.vb
        ax, ay = 0.5 - 0.5 * math.cos(angle), 0.5 + 0.5 * math.sin(angle)
        item.setAnchor((ax, ay))
        metrics = QtGui.QFontMetricsF(item.textItem.font())
        for shrink in (1.0, 0.6, 0.4):
            for radius in LABEL_RADII:
                at = QtCore.QPointF(radius * math.cos(angle), radius * math.sin(angle))
                p = vb.mapViewToScene(at)
                room = min(
                    (p.x() - bounds.left()) / ax if ax > 0.01 else math.inf,
                    (bounds.right() - p.x()) / (1 - ax) if ax < 0.99 else math.inf,
                )
                text = (
                    title if len(title) <= MAX_LABEL_CHARS else title[: MAX_LABEL_CHARS - 1] + "…"
                )
                width = shrink * room - 2 * OVERLAP_MARGIN - 2
                if width < metrics.horizontalAdvance("Mmm…"):
                    continue
                text = metrics.elidedText(text, QtCore.Qt.TextElideMode.ElideRight, width)
                item.setText(text)
                size = item.textItem.boundingRect().size()
                rect = QtCore.QRectF(
                    p.x() - ax * size.width(),
                    p.y() - ay * size.height(),
                    size.width(),
                    size.height(),
                ).adjusted(OVERLAP_MARGIN, OVERLAP_MARGIN, -OVERLAP_MARGIN, -OVERLAP_MARGIN)
                inside = rect.top() >= bounds.top() - 1 and rect.bottom() <= bounds.bottom() + 1
                if inside and not any(rect.intersects(other) for other in self.rects):
                    item.setPos(at)
                    item.setToolTip(title)
                    return rect
        return None


# ============================================================================= overview
def build_overview(assessment: Assessment, history: Sequence[Any]) -> QtWidgets.QWidget:
    """Radar of the crosswalk capabilities, the models on the normalized scale, and
    maturity over time, in one pyqtgraph layout."""
    view = pg.GraphicsLayoutWidget()
    view.setBackground(colors.role("plot_background"))
    radar = view.addPlot(row=0, col=0, rowspan=2)
    view.radar_labels = _draw_radar(pg, radar, assessment, colour)
    bars = view.addPlot(row=0, col=1)
    style_plot(bars, "Levels on the normalized 0-4 scale", y="normalized level")
    values = [
        assessment.models[m].normalized if m in assessment.models else assessment.crosswalk.level
        for m, _ in SERIES
    ]
    view.level_bars = []
    for i, v in enumerate(values):
        # A level of 0 keeps an outlined stub (a bar of height 0 draws nothing).
        bar = pg.BarGraphItem(
            x=[i],
            height=[bar_height(v)],
            width=0.6,
            brush=colour(i, 200 if v > 0 else 60),
            pen=pg.mkPen(colour(i), width=1.5),
        )
        bars.addItem(bar)
        view.level_bars.append(bar)
        label = pg.TextItem(f"{v:g}", color=foreground(), anchor=(0.5, 1.0))
        label.setPos(i, bar_height(v) + 0.05)
        bars.addItem(label)
    bars.getAxis("bottom").setTicks([[(i, name) for i, (_, name) in enumerate(SERIES)]])
    bars.setYRange(0, 4.4, padding=0)
    whole_levels = [[(v, str(v)) for v in range(5)], []]  # levels are whole numbers
    bars.getAxis("left").setTicks(whole_levels)
    bars.setXRange(-0.6, len(SERIES) - 0.4, padding=0)
    bars.setMouseEnabled(x=False, y=False)
    trend = view.addPlot(row=1, col=1, axisItems={"bottom": DateAxis()})
    style_plot(trend, "Maturity over time", y="normalized level")
    # The key sits in the title: a legend inside a short plot would hide its points.
    key = "&nbsp;&nbsp;".join(
        f"<span style='color:{colour(i).name()}'>&#9679;</span>&nbsp;{html.escape(name)}"
        for i, (_, name) in enumerate(SERIES)
    )
    trend.setTitle(f"Maturity over time&nbsp;&nbsp;&nbsp;{key}", size="10pt", color=foreground())
    by_model: dict[str, list[tuple[float, float]]] = {}
    for rec in history:
        by_model.setdefault(rec.model, []).append((rec.created_at.timestamp(), rec.score))
    for i, (model, name) in enumerate(SERIES):
        points = by_model.get(model, [])
        if points:
            xs, ys = zip(*points, strict=True)
            trend.plot(
                list(xs),
                list(ys),
                pen=pg.mkPen(colour(i), width=2),
                symbol="o",
                symbolSize=13 - 3 * i,  # equal levels stay visible as nested rings
                symbolBrush=colour(i),
                name=name,
            )
    stamps = [x for points in by_model.values() for x, _ in points]
    if stamps:  # dates on the axis, even around a single assessment
        trend.setXRange(*history_range(stamps), padding=0)
        trend.setLabel("bottom", history_caption(stamps))
    trend.setYRange(-0.25, 4.2, padding=0)
    trend.getAxis("left").setTicks(whole_levels)
    view.trend_plot = trend
    view.ci.layout.setColumnStretchFactor(0, 5)
    view.ci.layout.setColumnStretchFactor(1, 4)
    return view


def _draw_radar(
    pg: Any, plot: Any, assessment: Assessment, colour: Callable[..., QtGui.QColor]
) -> Any:
    """Draw the radar; returns its :class:`RadarLabels`."""
    caps = assessment.crosswalk.capabilities
    n = len(caps)
    plot.setTitle(
        f"Crosswalk capabilities (normalized level {assessment.crosswalk.level})",
        size="10pt",
        color=colors.role("plot_foreground"),
    )
    plot.setAspectLocked(True)
    plot.hideAxis("left")
    plot.hideAxis("bottom")
    plot.setMouseEnabled(x=False, y=False)
    angles = [math.pi / 2 - 2 * math.pi * i / n for i in range(n)]
    # The rings and the spokes are one line item, broken by NaN (an item each took ~1 ms)
    gx: list[float] = []
    gy: list[float] = []
    for ring in (0.25, 0.5, 0.75, 1.0):
        gx += [ring * math.cos(a) for a in [*angles, angles[0]]] + [math.nan]
        gy += [ring * math.sin(a) for a in [*angles, angles[0]]] + [math.nan]
    for a in angles:
        gx += [0.0, math.cos(a), math.nan]
        gy += [0.0, math.sin(a), math.nan]
    plot.plot(gx, gy, pen=pg.mkPen(colors.role("plot_grid"), width=1), connect="finite")
    labels = []
    for (cap, _), a in zip(caps, angles, strict=True):
        title = capability_title(cap)
        label = pg.TextItem(title, color=colors.role("plot_foreground"))
        font = QtGui.QFont(QtWidgets.QApplication.font())
        font.setPointSize(7)
        label.setFont(font)
        label.setPos(1.06 * math.cos(a), 1.06 * math.sin(a))
        plot.addItem(label, ignoreBounds=True)
        labels.append((label, a, title))
    values = [assessment.crosswalk.value(cap.id) for cap, _ in caps]
    xs = [
        max(v, 0.03) * math.cos(a)
        for v, a in zip([*values, values[0]], [*angles, angles[0]], strict=True)
    ]
    ys = [
        max(v, 0.03) * math.sin(a)
        for v, a in zip([*values, values[0]], [*angles, angles[0]], strict=True)
    ]
    plot.plot(
        xs,
        ys,
        pen=pg.mkPen(colour(0), width=2),
        fillLevel=None,
        brush=None,
        symbol="o",
        symbolSize=5,
        symbolBrush=colour(0),
    )
    fill = QtGui.QPolygonF([QtCore.QPointF(x, y) for x, y in zip(xs, ys, strict=True)])
    area = QtWidgets.QGraphicsPolygonItem(fill)
    area.setBrush(colour(0, 60))
    area.setPen(QtGui.QPen(Qt.PenStyle.NoPen))
    plot.addItem(area)
    plot.setRange(xRange=(-2.0, 2.0), yRange=(-1.42, 1.42), padding=0)
    return RadarLabels(plot, labels)
