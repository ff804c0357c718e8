"""NoteItem: a text note or backdrop that annotates and groups part of a pipeline.

A note sits behind the nodes. Dragging it carries the nodes that lie wholly inside it (the
scene records that as one move); its bottom-right grip resizes it. The backdrop of an imported
pipeline's group shows its label on one line (beside the group's toggle) and, while the group
is collapsed, shrinks to a box naming the group and the number of steps inside.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from mlops_desktop.core.graph import Note
from mlops_desktop.qt import colors
from mlops_desktop.qt.canvas import theme as T
from mlops_desktop.qt.canvas.node_item import NodeItem

GRIP = 14.0
MIN_SIZE = (80.0, 48.0)
LABEL_H = 30.0  # the strip at the top of a note its label is drawn in
COLLAPSED_SIZE = (280.0, 64.0)


class NoteItem(QGraphicsItem):
    """The graphics item for one note."""

    def __init__(self, note: Note) -> None:
        super().__init__()
        self.note_id = note.id
        self.note = note
        self.size = (note.width, note.height)
        self.setPos(note.x, note.y)
        self.setZValue(-5)
        self.label_indent = 0.0  # room for a group's toggle: the label is then one line
        self.hidden_steps: int | None = None  # a collapsed group: how many steps it hides
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
        if self.hidden_steps is not None:
            return QRectF(0, 0, *COLLAPSED_SIZE)
        return QRectF(0, 0, *self.size)

    def text_area(self) -> QRectF:
        """Where the note's words are, in scene coordinates: a backdrop around stages shows
        its label in its top strip only; a plain note is words all over."""
        rect = self.sceneBoundingRect()
        scene = self.scene()
        inside = scene is not None and any(
            isinstance(item, NodeItem)
            for item in scene.items(rect, Qt.ItemSelectionMode.ContainsItemShape)
        )
        return QRectF(rect.left(), rect.top(), rect.width(), LABEL_H) if inside else rect

    def set_collapsed(self, hidden_steps: int | None) -> None:
        """Show the backdrop as a collapsed group's box (``None``: as itself)."""
        if hidden_steps != self.hidden_steps:
            self.prepareGeometryChange()
            self.hidden_steps = hidden_steps
            self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsMovable, hidden_steps is None)
            self.update()

    def label_rect(self) -> QRectF:
        """Where the label is drawn, in scene coordinates (a group's: as wide as its text)."""
        width = self.rect().width()
        if self.label_indent:
            fm = QFontMetricsF(T.label_font())
            room = width - 24 - self.label_indent
            line = fm.elidedText(self.note.text, Qt.TextElideMode.ElideRight, room)
            width = min(width, 24 + self.label_indent + fm.horizontalAdvance(line))
        return QRectF(self.pos().x(), self.pos().y(), width, LABEL_H)

    def boundingRect(self) -> QRectF:
        return self.rect().adjusted(-2, -2, 2, 2)

    def grip_rect(self) -> QRectF:
        if self.hidden_steps is not None:
            return QRectF()  # a collapsed box is not resized
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
        text_rect = rect.adjusted(12 + self.label_indent, 8, -12, -8)
        if self.label_indent:  # a group's label: one line, so it never runs over its steps
            fm = QFontMetricsF(T.label_font())
            line = fm.elidedText(self.note.text, Qt.TextElideMode.ElideRight, text_rect.width())
            painter.drawText(text_rect, int(Qt.AlignmentFlag.AlignLeft), line)
            if self.hidden_steps is not None:
                painter.setPen(T.NOTE_TEXT)
                more = f"{self.hidden_steps} step{'s' if self.hidden_steps != 1 else ''} inside"
                painter.drawText(
                    text_rect.adjusted(0, fm.height() + 6, 0, 0),
                    int(Qt.AlignmentFlag.AlignLeft),
                    more,
                )
                return
        else:
            painter.drawText(
                text_rect,
                int(
                    Qt.AlignmentFlag.AlignLeft
                    | Qt.AlignmentFlag.AlignTop
                    | Qt.TextFlag.TextWordWrap
                ),
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
