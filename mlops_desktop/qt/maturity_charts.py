"""Helpers of the Maturity overview's charts (pyqtgraph, imported by the caller on first use).

* The radar's capability labels carry the titles of ``resources/maturity/crosswalk.json``
  and are placed around the chart so they never overlap: on every resize each label is put
  at the first distance from the chart that is free, shortened with an ellipsis to fit the
  plot (the full title is its tooltip), and hidden only when there is no room at all.
* The time axis of the maturity history shows dates even for a single assessment.
* A level bar of 0 keeps a visible stub.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pyqtgraph as pg
from PySide6 import QtCore, QtGui

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
