"""StagePalette: the catalogue of stages by category, searchable, dragged onto the canvas.

Items carry the stage id under our own MIME type (``application/x-mlops-desktop-stage``) in a
real QDrag; the canvas view accepts that type and adds the stage where it is dropped.
Double-clicking (or Enter on) an item emits ``stage_activated`` so a shell can add it too.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QDrag, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.registry import StageRegistry, default_registry
from mlops_desktop.core.specs import StageSpec
from mlops_desktop.qt.canvas.view import STAGE_MIME
from mlops_desktop.qt.icons import category_colour, category_icon, icon_pixmap, stage_icon

ROLE_STAGE = Qt.ItemDataRole.UserRole + 1


def stage_mime(stage_id: str) -> QMimeData:
    """The MIME data a palette drag carries for ``stage_id``."""
    mime = QMimeData()
    mime.setData(STAGE_MIME, stage_id.encode("utf-8"))
    mime.setText(stage_id)
    return mime


def stage_tooltip(spec: StageSpec) -> str:
    """Rich-text tooltip: title, description and typed ports."""

    def ports(items: tuple) -> str:
        if not items:
            return "none"
        return ", ".join(
            f"{html.escape(p.name)} <span style='color:#868e9c'>({p.type.value}"
            f"{', optional' if getattr(p, 'optional', False) else ''})</span>"
            for p in items
        )

    return (
        f"<b>{html.escape(spec.title)}</b> <span style='color:#868e9c'>· {html.escape(spec.category)}</span>"
        f"<p style='margin:4px 0'>{html.escape(spec.description)}</p>"
        f"<b>Inputs:</b> {ports(spec.inputs)}<br><b>Outputs:</b> {ports(spec.outputs)}"
    )


def _children(item: QTreeWidgetItem) -> list[QTreeWidgetItem]:
    """The item's child items, in order."""
    return [c for j in range(item.childCount()) if (c := item.child(j)) is not None]


class _StageTree(QTreeWidget):
    """A tree whose stage items start a real drag with our MIME type."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setRootIsDecorated(False)
        self.setIndentation(8)
        self.setIconSize(QSize(22, 22))

    def mimeTypes(self) -> list[str]:
        return [STAGE_MIME]

    def mimeData(self, items: list[QTreeWidgetItem]) -> QMimeData:  # type: ignore[override]
        ids = [it.data(0, ROLE_STAGE) for it in items if it.data(0, ROLE_STAGE)]
        return stage_mime(ids[0] if ids else "")

    def startDrag(self, supported: Qt.DropAction) -> None:
        item = self.currentItem()
        if item is None:
            return
        stage_id = item.data(0, ROLE_STAGE)
        if not stage_id:
            return
        drag = QDrag(self)
        drag.setMimeData(stage_mime(stage_id))
        spec = item.data(0, ROLE_STAGE + 1)
        if isinstance(spec, tuple):
            drag.setPixmap(icon_pixmap(spec[0], category_colour(spec[1]), 32))
        drag.exec(Qt.DropAction.CopyAction)


class StagePalette(QWidget):
    """Stages grouped by category with a search field."""

    stage_activated = Signal(str)

    def __init__(
        self, registry: StageRegistry | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.registry = registry if registry is not None else default_registry()
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search stages…")
        self.search.setClearButtonEnabled(True)
        self.tree = _StageTree(self)
        self.tree.setStyleSheet(
            "QTreeWidget { border: none; font-size: 10pt; }QTreeWidget::item { padding: 3px 2px; }"
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self.search.textChanged.connect(self._on_search_text_changed)
        self.tree.itemActivated.connect(self._on_tree_item_activated)
        self._populate()

    def set_registry(self, registry: StageRegistry) -> None:
        self.registry = registry
        self._populate()

    def _populate(self) -> None:
        self.tree.clear()
        bold = QFont()
        bold.setWeight(QFont.Weight.DemiBold)
        for category, specs in self.registry.categories().items():
            head = QTreeWidgetItem([category])
            head.setIcon(0, category_icon(category))
            head.setFont(0, bold)
            head.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.tree.addTopLevelItem(head)
            for spec in specs:
                item = QTreeWidgetItem([spec.title])
                item.setIcon(0, stage_icon(spec.icon, spec.category, 22))
                item.setToolTip(0, stage_tooltip(spec))
                item.setData(0, ROLE_STAGE, spec.id)
                item.setData(0, ROLE_STAGE + 1, (spec.icon, spec.category))
                item.setFlags(
                    Qt.ItemFlag.ItemIsEnabled
                    | Qt.ItemFlag.ItemIsSelectable
                    | Qt.ItemFlag.ItemIsDragEnabled
                )
                head.addChild(item)
            head.setExpanded(True)
        self._on_search_text_changed(self.search.text())

    def visible_stage_ids(self) -> list[str]:
        """Ids of the stages the current search shows, in order."""
        out = []
        for head in _children(self.tree.invisibleRootItem()):
            for child in _children(head):
                if not child.isHidden():
                    out.append(child.data(0, ROLE_STAGE))
        return out

    def _on_search_text_changed(self, text: str) -> None:
        words = text.lower().split()
        for head in _children(self.tree.invisibleRootItem()):
            shown = 0
            for child in _children(head):
                spec = self.registry.get(child.data(0, ROLE_STAGE))
                hay = f"{spec.title} {spec.id} {spec.category} {spec.description}".lower()
                hide = not all(w in hay for w in words)
                child.setHidden(hide)
                shown += not hide
            head.setHidden(shown == 0)

    def _on_tree_item_activated(self, item: QTreeWidgetItem, _column: int) -> None:
        stage_id = item.data(0, ROLE_STAGE)
        if stage_id:
            self.stage_activated.emit(stage_id)
