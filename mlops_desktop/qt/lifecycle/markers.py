"""The continuous-training loop as it happened, drawn on the Lifecycle map: each monitor
alert, retraining run, promotion to production and rollback is a marker on the feedback
loop's arc, oldest first; hovering tells what it was, a click opens its run."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import (
    QGraphicsObject,
    QGraphicsScene,
    QGraphicsSceneMouseEvent,
    QStyleOptionGraphicsItem,
)

if TYPE_CHECKING:  # a type only: plot_data loads numpy, which start-up must not
    from mlops_desktop.app.plot_data import TimelineEvent

# kind -> (shape, colour, name): the colours of the Trends view's loop markers.
MARKER_STYLE: dict[str, tuple[str, str, str]] = {
    "alert": ("triangle", "#d62728", "monitor alert"),
    "retrain": ("square", "#1f77b4", "retraining run"),
    "promotion": ("circle", "#2ca02c", "promotion to production"),
    "rollback": ("diamond", "#ff7f0e", "rollback"),
}
PLURALS = {
    "alert": "monitor alerts",
    "retrain": "retraining runs",
    "promotion": "promotions to production",
    "rollback": "rollbacks",
}
MAX_ON_ARC = 16  # the latest events drawn on an arc; the loop's tooltip counts them all
RADIUS = 6.0


class LoopMarker(QGraphicsObject):
    """One event of the loop; a click emits :attr:`clicked` with the run it opens."""

    clicked = Signal(int)

    def __init__(self, event: TimelineEvent, at: QPointF) -> None:
        super().__init__()
        self.loop_event = event
        self.setPos(at)
        self.setZValue(3)
        shape, _, name = MARKER_STYLE[event.kind]
        self._shape = shape
        opens = "Click to open its run." if event.run_id is not None else "No run to open."
        self.setToolTip(
            f"<b>{name.capitalize()}</b>, {_when(event.time)}<br>{event.label}<br>{opens}"
        )
        if event.run_id is not None:
            self.setCursor(Qt.CursorShape.PointingHandCursor)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return QRectF(-RADIUS - 2, -RADIUS - 2, 2 * RADIUS + 4, 2 * RADIUS + 4)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addEllipse(QPointF(0, 0), RADIUS + 2, RADIUS + 2)
        return path

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self.loop_event.run_id is not None:
            self.clicked.emit(int(self.loop_event.run_id))
            event.accept()
        else:
            super().mousePressEvent(event)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:  # noqa: ANN001
        colour = QColor(MARKER_STYLE[self.loop_event.kind][1])
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(colour.darker(140), 1.2))
        painter.setBrush(QBrush(colour))
        r = RADIUS
        if self._shape == "circle":
            painter.drawEllipse(QPointF(0, 0), r, r)
        elif self._shape == "square":
            painter.drawRect(QRectF(-r * 0.85, -r * 0.85, r * 1.7, r * 1.7))
        elif self._shape == "diamond":
            painter.drawPolygon(
                QPolygonF([QPointF(0, -r), QPointF(r, 0), QPointF(0, r), QPointF(-r, 0)])
            )
        else:
            painter.drawPolygon(
                QPolygonF([QPointF(0, -r), QPointF(r, r * 0.8), QPointF(-r, r * 0.8)])
            )


def _when(epoch: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")


def counts_text(events: Sequence[TimelineEvent]) -> str:
    """'2 monitor alerts, 1 retraining run, ...' for a loop's tooltip ("" for none)."""
    parts = []
    for kind, (_, _, name) in MARKER_STYLE.items():
        n = sum(1 for e in events if e.kind == kind)
        if n:
            parts.append(f"{n} {name if n == 1 else PLURALS[kind]}")
    return ", ".join(parts)


def add_loop_markers(
    scene: QGraphicsScene, path: QPainterPath, events: Sequence[TimelineEvent]
) -> list[LoopMarker]:
    """Place the latest events along ``path`` (the arc of the loop they belong to), oldest
    nearest the arc's start, evenly spaced so none hides another."""
    shown = [e for e in sorted(events, key=lambda e: e.time) if e.kind in MARKER_STYLE]
    shown = shown[-MAX_ON_ARC:]
    markers = []
    for i, event in enumerate(shown):
        fraction = 0.12 + 0.76 * ((i + 0.5) / len(shown))
        marker = LoopMarker(event, path.pointAtPercent(fraction))
        scene.addItem(marker)
        markers.append(marker)
    return markers
