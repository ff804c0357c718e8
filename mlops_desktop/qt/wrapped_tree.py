"""A tree whose columns share its width in fixed proportions and whose cells wrap their
text onto as many lines as it needs (no "Give th…" cut after a few letters).

Qt's own word wrap in a tree view draws wrapped text but keeps one-line rows, and it never
breaks a long key such as ``gcp.l1.pipeline_deployment``; :class:`WrapDelegate` draws each
cell's text wrapped at word boundaries, or anywhere in a word too long for the cell, and
sizes each row for that text at the column's width. Rows are measured again whenever a
column changes width.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPointF,
    QRectF,
    QSize,
    Qt,
)
from PySide6.QtGui import QFont, QPainter, QPalette, QTextLayout, QTextOption
from PySide6.QtWidgets import (
    QApplication,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeView,
)

PADDING = 10  # the cell's margins around the text


def _wrap_option() -> QTextOption:
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    return option


def text_height(font: QFont, width: float, text: str) -> float:
    """The height of ``text`` wrapped at ``width`` as the cells draw it."""
    layout = QTextLayout(text, font)
    layout.setTextOption(_wrap_option())
    layout.beginLayout()
    height = 0.0
    while True:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(max(width, 1.0))
        line.setPosition(QPointF(0, height))
        height += line.height()
    layout.endLayout()
    return height


class WrapDelegate(QStyledItemDelegate):
    """Cells whose text wraps, in rows as tall as their wrapped text."""

    def __init__(self, view: QTreeView) -> None:
        super().__init__(view)
        self._view = view

    def sizeHint(  # noqa: N802 - Qt override
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        base = super().sizeHint(option, index)
        width = self._view.header().sectionSize(index.column()) - PADDING
        height = text_height(option.font, width, str(index.data() or ""))
        return QSize(base.width(), max(base.height(), int(height) + 6))

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text, opt.text = opt.text, ""
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, widget)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        text_option = _wrap_option()
        text_option.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        painter.save()
        painter.setFont(opt.font)
        painter.setPen(opt.palette.color(role))
        painter.drawText(QRectF(rect).adjusted(PADDING / 2 - 2, 0, -2, 0), text, text_option)
        painter.restore()


class _Proportions(QObject):
    """Keeps a tree's columns at shares of its width as the tree is resized."""

    def __init__(self, view: QTreeView, shares: Sequence[float]) -> None:
        super().__init__(view)
        self._view = view
        self._shares = list(shares)
        view.viewport().installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Resize:
            self.apply()
        return False

    def apply(self) -> None:
        width = self._view.viewport().width()
        for column, share in enumerate(self._shares[:-1]):
            self._view.setColumnWidth(column, int(width * share))


def wrap_columns(view: QTreeView, shares: Sequence[float]) -> None:
    """Wrap ``view``'s cells and give its columns ``shares`` of its width (the last column
    takes what is left)."""
    view.setWordWrap(True)
    view.setUniformRowHeights(False)
    view.setTextElideMode(Qt.TextElideMode.ElideNone)
    view.setItemDelegate(WrapDelegate(view))
    header = view.header()
    header.setStretchLastSection(True)
    for column in range(len(shares)):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
    header.sectionResized.connect(lambda *_: view.scheduleDelayedItemsLayout())
    _Proportions(view, shares).apply()
