"""A tree whose columns share its width in fixed proportions and whose cells wrap their
text onto as many lines as it needs (no "Give th…" cut after a few letters).

Qt's own word wrap in a tree view draws wrapped text but keeps one-line rows, so the text is
still cut; :class:`WrapDelegate` sizes each row for its wrapped text at the column's width,
and the rows are measured again whenever a column changes width.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtWidgets import QHeaderView, QStyledItemDelegate, QStyleOptionViewItem, QTreeView

PADDING = 10  # the cell's margins around the text


class WrapDelegate(QStyledItemDelegate):
    """Rows as tall as their wrapped text at the column's current width."""

    def __init__(self, view: QTreeView) -> None:
        super().__init__(view)
        self._view = view

    def sizeHint(  # noqa: N802 - Qt override
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        base = super().sizeHint(option, index)
        width = max(self._view.header().sectionSize(index.column()) - PADDING, 20)
        text = str(index.data() or "")
        flags = int(Qt.TextFlag.TextWordWrap)
        rect = option.fontMetrics.boundingRect(QRect(0, 0, width, 100000), flags, text)
        return QSize(base.width(), max(base.height(), rect.height() + 6))


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
