"""LinkItem: a bezier curve from an output port to an input port, coloured by port type.

The path is kept in scene coordinates and recomputed when either end moves; the wide hit
shape is built only when Qt asks for it. ``DraftLinkItem`` is the curve that follows the
mouse while the user drags a new connection.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyleOptionGraphicsItem, QWidget

from mlops_desktop.core.graph import Link
from mlops_desktop.core.ports import PORT_COLOURS, PortType
from mlops_desktop.qt.canvas import theme as T

if TYPE_CHECKING:
    from mlops_desktop.qt.canvas.node_item import NodeItem


def link_path(p0: QPointF, p1: QPointF) -> QPainterPath:
    """A horizontal S-curve from ``p0`` (an output) to ``p1`` (an input)."""
    dx = max(40.0, abs(p1.x() - p0.x()) * 0.5)
    path = QPainterPath(p0)
    path.cubicTo(QPointF(p0.x() + dx, p0.y()), QPointF(p1.x() - dx, p1.y()), p1)
    return path


class LinkItem(QGraphicsPathItem):
    """The graphics item for one pipeline link.

    Painting is Qt's own (C++) path drawing with a pen coloured by port type: thousands of
    links then cost no Python per frame. Selection is kept by the scene (``set_selected``)
    rather than by Qt's selectable flag, whose dashed outline would need a Python ``paint``.
    """

    def __init__(
        self, link: Link, source: NodeItem, target: NodeItem, parent: QGraphicsItem | None = None
    ) -> None:
        super().__init__(parent)
        self.link_id = link.id
        self.link = link
        self.source = source
        self.target = target
        slot = source.shape_info.by_key.get((link.source_port, True))
        self.colour = QColor(slot.colour if slot else QColor(PORT_COLOURS[PortType.ANY]))
        self._off0 = slot.pos if slot else QPointF(source.shape_info.width, T.HEADER_HEIGHT / 2)
        end = target.shape_info.by_key.get((link.target_port, False))
        self._off1 = end.pos if end else QPointF(0.0, T.HEADER_HEIGHT / 2)
        self._hit: QPainterPath | None = None
        self.selected = False
        self._box = QPainterPath()
        self.setPen(_pen(self.colour, 2.2))
        self.adjust()

    def adjust(self) -> None:
        """Recompute the curve after an end moved."""
        self.p0 = self.source.pos() + self._off0
        self.p1 = self.target.pos() + self._off1
        path = link_path(self.p0, self.p1)
        box = QPainterPath()
        box.addRect(path.controlPointRect().adjusted(-6, -6, 6, 6))
        self._box = box
        self._hit = None
        self.setPath(path)

    def shape(self) -> QPainterPath:
        # Qt derives the bounding rectangle from the shape; a box is cheap to build for
        # thousands of links. Precise picking uses ``hit`` (a wide stroke, built on demand).
        return self._box

    def hit(self, scene_pos: QPointF) -> bool:
        """Whether ``scene_pos`` is within a few pixels of the curve."""
        return self._stroke().contains(scene_pos)

    def _stroke(self) -> QPainterPath:
        """The curve widened to a 12 px band (built on demand, dropped when an end moves)."""
        if self._hit is None:
            stroker = QPainterPathStroker()
            stroker.setWidth(12)
            self._hit = stroker.createStroke(self.path())
        return self._hit

    def crosses(self, rect: QRectF) -> bool:
        """Whether the curve itself (not just its bounding box) passes through ``rect``."""
        if not self._box.intersects(rect):
            return False
        if rect.contains(self.p0) or rect.contains(self.p1):
            return True
        return self._stroke().intersects(rect)

    def set_selected(self, selected: bool) -> None:
        if selected != self.selected:
            self.selected = selected
            self.setPen(_pen(T.LINK_SELECTED, 3.4) if selected else _pen(self.colour, 2.2))

    def tooltip_text(self) -> str:
        return (
            f"{escape(self.source.title)}.{escape(self.link.source_port)} → "
            f"{escape(self.target.title)}.{escape(self.link.target_port)}"
        )


_pens: dict[tuple[int, float], QPen] = {}


def _pen(colour: QColor, width: float) -> QPen:
    """A shared pen per colour and width (link items copy it; building one is not free)."""
    key = (colour.rgba(), width)
    pen = _pens.get(key)
    if pen is None:
        pen = _pens[key] = QPen(colour, width, _SOLID, _ROUND)
    return pen


_SOLID = Qt.PenStyle.SolidLine
_ROUND = Qt.PenCapStyle.RoundCap


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
        painter.setBrush(Qt.BrushStyle.NoBrush)  # a wire, not the area under the curve
        painter.drawPath(self._path)
