"""LinkItem: a bezier curve from an output port to an input port, coloured by port type.

The path is kept in scene coordinates and recomputed when either end moves; the wide hit
shape is built only when Qt asks for it. ``DraftLinkItem`` is the curve that follows the
mouse while the user drags a new connection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from mlops_desktop.core.graph import Link
from mlops_desktop.core.ports import PORT_COLOURS
from mlops_desktop.qt.canvas import theme as T

if TYPE_CHECKING:
    from mlops_desktop.qt.canvas.node_item import NodeItem

LINK_TYPE = QGraphicsItem.UserType + 2


def link_path(p0: QPointF, p1: QPointF) -> QPainterPath:
    """A horizontal S-curve from ``p0`` (an output) to ``p1`` (an input)."""
    dx = max(40.0, abs(p1.x() - p0.x()) * 0.5)
    path = QPainterPath(p0)
    path.cubicTo(QPointF(p0.x() + dx, p0.y()), QPointF(p1.x() - dx, p1.y()), p1)
    return path


class LinkItem(QGraphicsItem):
    """The graphics item for one pipeline link."""

    def __init__(self, link: Link, source: NodeItem, target: NodeItem) -> None:
        super().__init__()
        self.link_id = link.id
        self.link = link
        self.source = source
        self.target = target
        slot = source.shape_info.by_key.get((link.source_port, True))
        self.colour = QColor(slot.colour if slot else QColor(PORT_COLOURS["Any"]))
        self._hit: QPainterPath | None = None
        self._hover = False
        self.setZValue(-1)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setToolTip(f"{link.source_port} → {link.target_port}")
        self.adjust()

    def type(self) -> int:  # noqa: A003 - Qt API
        return LINK_TYPE

    def adjust(self) -> None:
        """Recompute the curve after an end moved."""
        self.prepareGeometryChange()
        self.p0 = self.source.port_scene_pos(self.link.source_port, True)
        self.p1 = self.target.port_scene_pos(self.link.target_port, False)
        self._path = link_path(self.p0, self.p1)
        self._rect = self._path.controlPointRect().adjusted(-4, -4, 4, 4)
        self._hit = None

    def boundingRect(self) -> QRectF:
        return self._rect

    def shape(self) -> QPainterPath:
        if self._hit is None:
            stroker = QPainterPathStroker()
            stroker.setWidth(10)
            self._hit = stroker.createStroke(self._path)
        return self._hit

    def hoverEnterEvent(self, event) -> None:  # noqa: ANN001
        self._hover = True
        self.update()

    def hoverLeaveEvent(self, event) -> None:  # noqa: ANN001
        self._hover = False
        self.update()

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        selected = self.isSelected()
        colour = T.LINK_SELECTED if selected else self.colour
        if lod < T.LOD_SIMPLE:
            painter.setPen(QPen(colour, 2.0 / max(lod, 0.05)))
            painter.drawLine(self.p0, self.p1)
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        width = 3.2 if selected or self._hover else 2.2
        painter.setPen(QPen(colour, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path)


class DraftLinkItem(QGraphicsItem):
    """The curve drawn while a connection is being dragged from a port."""

    def __init__(self, anchor: QPointF, from_output: bool, colour: QColor) -> None:
        super().__init__()
        self.anchor = anchor
        self.from_output = from_output
        self.colour = colour
        self.ok = True
        self.setZValue(10)
        self.set_end(anchor)

    def set_end(self, end: QPointF, ok: bool = True) -> None:
        self.prepareGeometryChange()
        self.end = end
        self.ok = ok
        p0, p1 = (self.anchor, end) if self.from_output else (end, self.anchor)
        self._path = link_path(p0, p1)
        self._rect = self._path.controlPointRect().adjusted(-4, -4, 4, 4)

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(
            self.colour if self.ok else T.ERROR, 2.2, Qt.PenStyle.DashLine, Qt.PenCapStyle.RoundCap
        )
        painter.setPen(pen)
        painter.drawPath(self._path)
