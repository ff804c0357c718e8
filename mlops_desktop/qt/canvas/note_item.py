"""NoteItem: a text note or backdrop that annotates and groups part of a pipeline.

A note sits behind the nodes. Dragging it carries the nodes that lie wholly inside it (the
scene records that as one move); its bottom-right grip resizes it.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from mlops_desktop.core.graph import Note
from mlops_desktop.qt import colors
from mlops_desktop.qt.canvas import theme as T

GRIP = 14.0
MIN_SIZE = (80.0, 48.0)


class NoteItem(QGraphicsItem):
    """The graphics item for one note."""

    def __init__(self, note: Note) -> None:
        super().__init__()
        self.note_id = note.id
        self.note = note
        self.size = (note.width, note.height)
        self.setPos(note.x, note.y)
        self.setZValue(-5)
        self.setFlags(
            QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
            | QGraphicsItem.GraphicsItemFlag.ItemIsMovable
        )
        self.setAcceptHoverEvents(True)

    def update_from(self, note: Note) -> None:
        if (note.width, note.height) != self.size:
            self.prepareGeometryChange()
            self.size = (note.width, note.height)
        self.note = note
        if self.pos() != QPointF(note.x, note.y):
            self.setPos(note.x, note.y)
        self.update()

    def rect(self) -> QRectF:
        return QRectF(0, 0, *self.size)

    def boundingRect(self) -> QRectF:
        return self.rect().adjusted(-2, -2, 2, 2)

    def grip_rect(self) -> QRectF:
        w, h = self.size
        return QRectF(w - GRIP, h - GRIP, GRIP, GRIP)

    def set_size(self, width: float, height: float) -> None:
        self.prepareGeometryChange()
        self.size = (max(MIN_SIZE[0], width), max(MIN_SIZE[1], height))
        self.update()

    def current_note(self) -> Note:
        """The note as currently shown (after a drag or resize not yet in the document)."""
        from dataclasses import replace

        return replace(
            self.note, x=self.pos().x(), y=self.pos().y(), width=self.size[0], height=self.size[1]
        )

    def hoverMoveEvent(self, event) -> None:  # noqa: ANN001
        on_grip = self.grip_rect().contains(event.pos())
        self.setCursor(Qt.CursorShape.SizeFDiagCursor if on_grip else Qt.CursorShape.ArrowCursor)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        rect = self.rect()
        dark = colors.is_dark()
        fill = QColor(self.note.color)
        fill.setAlpha(55 if dark else 150)  # a pale note would glare on the dark canvas
        border = QColor(self.note.color).darker(100 if dark else 135)
        if dark:
            border.setAlpha(150)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, lod >= T.LOD_SIMPLE)
        painter.setBrush(fill)
        painter.setPen(QPen(T.SELECTION, 2) if self.isSelected() else QPen(border, 1))
        painter.drawRoundedRect(rect, 10, 10)
        if lod < T.LOD_SIMPLE * 0.5:
            return
        painter.setPen(T.NOTE_TEXT)
        painter.setFont(T.label_font())
        text_rect = rect.adjusted(12, 8, -12, -8)
        painter.drawText(
            text_rect,
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap),
            self.note.text,
        )
        grip = QPainterPath()
        g = self.grip_rect()
        grip.moveTo(g.right() - 3, g.top() + 4)
        grip.lineTo(g.left() + 4, g.bottom() - 3)
        grip.moveTo(g.right() - 3, g.top() + 8)
        grip.lineTo(g.left() + 8, g.bottom() - 3)
        painter.setPen(QPen(border, 1.2))
        painter.drawPath(grip)
