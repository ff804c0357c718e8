"""NodeItem: one stage on the canvas, painted by hand (no child items) so thousands stay cheap.

A node shows its icon on the category colour, its title, named ports coloured by type and a
run-state badge. The state is display-only (set by ``PipelineScene.set_node_state``), never
part of the document. When zoomed out the node is drawn as a plain coloured box.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPen,
    QStaticText,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsRectItem,
    QGraphicsSceneHoverEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from mlops_desktop.core.entities import StageStatus
from mlops_desktop.core.graph import Node
from mlops_desktop.core.ports import PORT_COLOURS, PortType
from mlops_desktop.core.specs import StageSpec
from mlops_desktop.qt import colors
from mlops_desktop.qt.canvas import theme as T
from mlops_desktop.qt.icons import category_colour, icon_pixmap

if TYPE_CHECKING:
    from mlops_desktop.qt.canvas.link_item import LinkItem


@dataclass
class PortSlot:
    """Where one port sits on a node of some stage type (shared by all nodes of that type)."""

    name: str
    type: PortType
    output: bool
    pos: QPointF
    colour: QColor
    label: QStaticText
    label_pos: QPointF
    optional: bool = False


class NodeShape:
    """Geometry and prepared text shared by every node of one stage type."""

    def __init__(self, spec: StageSpec | None) -> None:
        self.spec = spec
        inputs = spec.inputs if spec else ()
        outputs = spec.outputs if spec else ()
        rows = max(1, len(inputs), len(outputs))
        fm = QFontMetricsF(T.port_font())
        # Wide enough for the longest input and output label side by side on one row.
        pair = max(
            (
                (fm.horizontalAdvance(inputs[i].name) if i < len(inputs) else 0.0)
                + (fm.horizontalAdvance(outputs[i].name) if i < len(outputs) else 0.0)
                for i in range(rows)
            ),
            default=0.0,
        )
        title_w = QFontMetricsF(T.title_font()).horizontalAdvance(spec.title) if spec else 0.0
        self.width = max(T.NODE_WIDTH, round(pair + 48), min(280, round(title_w + 72)))
        self.height = T.HEADER_HEIGHT + T.PORT_TOP_PAD + rows * T.PORT_ROW + T.PORT_BOTTOM_PAD
        self.rect = QRectF(0, 0, self.width, self.height)
        self.header_rect = QRectF(0, 0, self.width, T.HEADER_HEIGHT)
        header = QPainterPath()
        header.addRoundedRect(
            QRectF(1, 1, self.width - 2, T.HEADER_HEIGHT + T.CORNER), T.CORNER - 1, T.CORNER - 1
        )
        clip = QPainterPath()
        clip.addRect(QRectF(0, 0, self.width, T.HEADER_HEIGHT))
        self.header_path = header.intersected(clip)  # rounded on top, square at the bottom
        self.shadow_path = QPainterPath()
        shadow = self.rect.translated(0, 2.5).adjusted(-0.5, 0, 0.5, 0.5)
        self.shadow_path.addRoundedRect(shadow, T.CORNER, T.CORNER)
        self.title_y = (T.HEADER_HEIGHT - QFontMetricsF(T.title_font()).height()) / 2
        self.badge_rect = QRectF(self.width - 44, 0, 44, T.HEADER_HEIGHT)
        self.bounds = self.rect.adjusted(-T.PORT_RADIUS - 3, -3, T.PORT_RADIUS + 3, 5)
        self.colour = category_colour(spec.category) if spec else QColor("#9ca3af")
        # Opaque washes (no alpha blending per paint), for the light and the dark scheme.
        self.header_fills = {
            False: _wash(self.colour, 0.9),
            True: _mix(self.colour, DARK_BASE, 0.78),
        }
        self.lod_fills = {False: _wash(self.colour, 0.7), True: _mix(self.colour, DARK_BASE, 0.55)}
        self.icon = spec.icon if spec else ""
        self.icon_pixmap = icon_pixmap(self.icon, self.colour, int(T.ICON_SIZE), 3.0)
        self.slots: list[PortSlot] = []
        self.by_key: dict[tuple[str, bool], PortSlot] = {}
        for output, ports in ((False, inputs), (True, outputs)):
            for i, port in enumerate(ports):
                y = T.HEADER_HEIGHT + T.PORT_TOP_PAD + i * T.PORT_ROW + T.PORT_ROW / 2
                label = QStaticText(port.name)
                label.setTextFormat(Qt.TextFormat.PlainText)
                w = fm.horizontalAdvance(port.name)
                lx = self.width - 12 - w if output else 12
                slot = PortSlot(
                    port.name,
                    port.type,
                    output,
                    QPointF(self.width if output else 0.0, y),
                    QColor(PORT_COLOURS.get(port.type, "#999999")),
                    label,
                    QPointF(lx, y - fm.height() / 2),
                    optional=getattr(port, "optional", False),
                )
                self.slots.append(slot)
                self.by_key[(port.name, output)] = slot


DARK_BASE = QColor("#2a2e35")  # the dark scheme's node fill: headers are washed towards it


def _mix(colour: QColor, base: QColor, part: float) -> QColor:
    """``colour`` mixed with ``part`` parts (0..1) of ``base``, as an opaque colour."""
    keep = 1.0 - part
    return QColor(
        round(colour.red() * keep + base.red() * part),
        round(colour.green() * keep + base.green() * part),
        round(colour.blue() * keep + base.blue() * part),
    )


def _wash(colour: QColor, white: float) -> QColor:
    """``colour`` mixed with ``white`` parts of white (0..1), as an opaque colour."""
    keep = 1.0 - white
    return QColor(
        round(colour.red() * keep + 255 * white),
        round(colour.green() * keep + 255 * white),
        round(colour.blue() * keep + 255 * white),
    )


_shapes: dict[str, NodeShape] = {}


def shape_for(type_id: str, spec: StageSpec | None) -> NodeShape:
    shape = _shapes.get(type_id)
    if shape is None or shape.spec is not spec:
        shape = _shapes[type_id] = NodeShape(spec)
    return shape


_NODE_FLAGS = (
    QGraphicsItem.GraphicsItemFlag.ItemIsSelectable | QGraphicsItem.GraphicsItemFlag.ItemIsMovable
)


_titles: dict[tuple[str, float], QStaticText] = {}


def _title_text(title: str, width: float) -> QStaticText:
    """The elided title as prepared text, shared by nodes with the same title and width."""
    key = (title, width)
    text = _titles.get(key)
    if text is None:
        if len(_titles) > 20_000:
            _titles.clear()
        fm = QFontMetricsF(T.title_font())
        text = QStaticText(fm.elidedText(title, Qt.TextElideMode.ElideRight, width - 40 - 26))
        text.setTextFormat(Qt.TextFormat.PlainText)
        _titles[key] = text
    return text


class NodeItem(QGraphicsRectItem):
    """The graphics item for one pipeline node.

    A QGraphicsRectItem so that Qt computes the bounding rectangle and hit shape in C++ (the
    rectangle covers the body and the port dots); only ``paint`` runs Python. Links are
    re-routed by whoever moves the node (the scene after a drag, ``update_from`` after an edit),
    not from ``itemChange``, which would cost a Python call for every flag and position change.
    """

    def __init__(self, node: Node, spec: StageSpec | None) -> None:
        info = shape_for(node.type, spec)
        super().__init__(info.bounds)
        self.node_id = node.id
        self.type_id = node.type
        self.spec = spec
        self.shape_info = info
        self.links: list[LinkItem] = []
        self.status = StageStatus.IDLE
        self.progress: float | None = None
        self.highlighted: set[tuple[str, bool]] = set()  # ports lit while dragging a link
        self.hover_port: tuple[str, bool] | None = None
        self.setPos(node.x, node.y)
        self._set_title(node.title)
        self.setFlags(_NODE_FLAGS)
        self.setAcceptHoverEvents(True)

    # ---------------------------------------------------------------- model
    def _set_title(self, title: str) -> None:
        self.title = title
        self._title_text = _title_text(title, self.shape_info.width)
        self._title_y = self.shape_info.title_y

    def tooltip_text(self) -> str:
        """Shown on hover (built on demand by the scene, not stored on every item)."""
        if self.spec is None:
            return f"<b>{escape(self.title)}</b><br>Unknown stage type '{escape(self.type_id)}'"
        muted = colors.css("muted_text")
        return (
            f"<b>{escape(self.title)}</b> <span style='color:{muted}'>· {escape(self.spec.title)}</span>"
            f"<p style='margin:4px 0'>{escape(self.spec.description)}</p>"
        )

    def update_from(self, node: Node) -> None:
        """Follow a changed document node (position, title)."""
        if self.pos().x() != node.x or self.pos().y() != node.y:
            self.setPos(node.x, node.y)
            self.adjust_links()
        if node.title != self.title:
            self._set_title(node.title)
            self.update()

    def adjust_links(self) -> None:
        for link in self.links:
            link.adjust()

    def set_state(self, status: StageStatus, progress: float | None) -> None:
        if status != self.status or progress != self.progress:
            self.status = status
            self.progress = progress
            self.update()

    # ------------------------------------------------------------- geometry
    def title_rect(self) -> QRectF:
        """The title area in item coordinates (where inline rename is placed)."""
        return QRectF(36, 4, self.shape_info.width - 62, T.HEADER_HEIGHT - 8)

    def port_local(self, name: str, output: bool) -> QPointF | None:
        slot = self.shape_info.by_key.get((name, output))
        return slot.pos if slot else None

    def port_scene_pos(self, name: str, output: bool) -> QPointF:
        local = self.port_local(name, output)
        if local is None:  # a link to a port the spec lacks: attach to the edge centre
            local = QPointF(self.shape_info.width if output else 0.0, T.HEADER_HEIGHT / 2)
        return self.pos() + local

    def port_at(self, local: QPointF, tolerance: float = 10.0) -> PortSlot | None:
        """The port whose dot (or the row next to it) is under ``local``, if any."""
        for slot in self.shape_info.slots:
            dy = abs(local.y() - slot.pos.y())
            dx = abs(local.x() - slot.pos.x())
            if dy <= T.PORT_ROW / 2 and dx <= tolerance:
                return slot
        return None

    def hoverMoveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        slot = self.port_at(event.pos())
        key = (slot.name, slot.output) if slot else None
        if key != self.hover_port:
            self.hover_port = key
            self.setCursor(Qt.CursorShape.CrossCursor if slot else Qt.CursorShape.ArrowCursor)
            self.update()

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        if self.hover_port is not None:
            self.hover_port = None
            self.unsetCursor()
            self.update()

    # ---------------------------------------------------------------- paint
    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        lod = painter.worldTransform().m11()  # the canvas is never rotated or sheared
        info = self.shape_info
        if lod < T.LOD_SIMPLE:
            self._paint_simple(painter, info)
            return
        selected = self.isSelected()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = info.rect
        # A soft drop shadow: one translucent offset shape (a blur effect would be far dearer).
        painter.fillPath(info.shadow_path, T.NODE_SHADOW)
        painter.setBrush(T.NODE_FILL)
        border = QPen(T.SELECTION, 2.0) if selected else QPen(T.NODE_BORDER, 1.0)
        if self.spec is None:
            border = QPen(T.ERROR, 1.5, Qt.PenStyle.DashLine)
        painter.setPen(border)
        painter.drawRoundedRect(rect, T.CORNER, T.CORNER)
        self._paint_header(painter, info, lod)
        self._paint_ports(painter, info, text=lod >= T.LOD_PORT_TEXT)
        self._paint_badge(painter)

    def _paint_simple(self, painter: QPainter, info: NodeShape) -> None:
        # Two fills and no pen changes: thousands of these make a zoomed-out frame.
        painter.fillRect(info.rect, info.lod_fills[colors.is_dark()])
        painter.fillRect(info.header_rect, info.colour)
        if self.status is not StageStatus.IDLE:
            painter.fillRect(info.badge_rect, T.STATE_COLOURS[self.status])
        if self.isSelected():
            painter.setPen(QPen(T.SELECTION, 8))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(info.rect)

    def _paint_header(self, painter: QPainter, info: NodeShape, lod: float) -> None:
        rect = info.rect
        painter.fillPath(info.header_path, info.header_fills[colors.is_dark()])
        painter.setPen(QPen(T.HEADER_DIVIDER, 1))
        painter.drawLine(QPointF(1, T.HEADER_HEIGHT), QPointF(rect.width() - 1, T.HEADER_HEIGHT))
        icon_rect = QRectF(10, (T.HEADER_HEIGHT - T.ICON_SIZE) / 2, T.ICON_SIZE, T.ICON_SIZE)
        painter.drawPixmap(
            icon_rect.toRect(), icon_pixmap(info.icon, info.colour, int(T.ICON_SIZE))
        )
        painter.setPen(T.TITLE_TEXT)
        if lod >= T.LOD_NO_TEXT:
            painter.setFont(T.title_font())
            painter.drawStaticText(QPointF(38, self._title_y), self._title_text)
        else:
            self._paint_big_title(painter, info, T.LOD_NO_TEXT / lod)

    def _paint_big_title(self, painter: QPainter, info: NodeShape, k: float) -> None:
        """Zoomed out: the title alone, enlarged so it stays legible on screen."""
        font = T.title_font()
        painter.save()
        painter.setFont(font)
        painter.translate(36, T.HEADER_HEIGHT / 2)
        painter.scale(k, k)
        room = (info.width - 36 - 30) / k  # clear of the state badge
        fm = QFontMetricsF(font)
        text = fm.elidedText(self.title, Qt.TextElideMode.ElideRight, room)
        painter.drawText(QPointF(0, fm.ascent() / 2 - fm.descent() / 2 + 1), text)
        painter.restore()

    def _paint_ports(self, painter: QPainter, info: NodeShape, text: bool) -> None:
        if text:
            painter.setFont(T.port_font())
        for slot in info.slots:
            key = (slot.name, slot.output)
            lit = key in self.highlighted
            if lit:
                glow = QColor(T.HIGHLIGHT)
                glow.setAlpha(70)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(glow)
                painter.drawEllipse(slot.pos, T.PORT_RADIUS + 5, T.PORT_RADIUS + 5)
            r = T.PORT_RADIUS + (1.5 if lit or key == self.hover_port else 0)
            painter.setPen(QPen(T.HIGHLIGHT if lit else T.PORT_RING, 1.8))
            painter.setBrush(slot.colour)
            painter.drawEllipse(slot.pos, r, r)
            if text:
                painter.setPen(T.PORT_TEXT)
                painter.drawStaticText(slot.label_pos, slot.label)

    def _paint_badge(self, painter: QPainter) -> None:
        status = self.status
        if status == StageStatus.IDLE:
            return
        colour = T.STATE_COLOURS[status]
        c = QPointF(self.shape_info.width - 16, T.HEADER_HEIGHT / 2)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        if status == StageStatus.RUNNING:
            painter.setBrush(QBrush(QColor(colour.red(), colour.green(), colour.blue(), 40)))
            painter.drawEllipse(c, 8, 8)
            pen = QPen(colour, 2.6)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            painter.setPen(pen)
            frac = self.progress if self.progress is not None else 0.25
            span = int(-360 * 16 * max(0.04, min(1.0, frac)))
            painter.drawArc(QRectF(c.x() - 7, c.y() - 7, 14, 14), 90 * 16, span)
            if self.progress is not None:
                rect = self.shape_info.rect
                bar = QRectF(
                    10, rect.height() - 5, (rect.width() - 20) * max(0.0, min(1.0, frac)), 2.5
                )
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(colour)
                painter.drawRoundedRect(bar, 1.2, 1.2)
            return
        painter.drawEllipse(c, 8, 8)
        pen = QPen(QColor("white"), 1.8)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        x, y = c.x(), c.y()
        if status in (StageStatus.SUCCEEDED, StageStatus.CACHED):
            painter.drawPolyline(
                [QPointF(x - 3.5, y), QPointF(x - 1, y + 2.5), QPointF(x + 3.5, y - 2.5)]
            )
            if status == StageStatus.CACHED:
                painter.drawLine(QPointF(x - 3.5, y + 4.5), QPointF(x + 3.5, y + 4.5))
        elif status in (StageStatus.FAILED, StageStatus.CANCELLED):
            painter.drawLine(QPointF(x - 3, y - 3), QPointF(x + 3, y + 3))
            painter.drawLine(QPointF(x + 3, y - 3), QPointF(x - 3, y + 3))
        elif status == StageStatus.SKIPPED:
            painter.drawLine(QPointF(x - 3.5, y), QPointF(x + 3.5, y))
        elif status in (StageStatus.QUEUED, StageStatus.WAITING):
            painter.drawLine(QPointF(x, y - 4), QPointF(x, y))
            painter.drawLine(QPointF(x, y), QPointF(x + 3, y + 2))
