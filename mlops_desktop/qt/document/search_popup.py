"""StageSearchPopup: type to find a stage and add it at the cursor (opened with Tab)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFrame, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from mlops_desktop.core.registry import StageRegistry
from mlops_desktop.qt import colors
from mlops_desktop.qt.icons import stage_icon


class StageSearchPopup(QFrame):
    """A small popup with a search field and the matching stages."""

    stage_chosen = Signal(str)

    def __init__(self, registry: StageRegistry, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.registry = registry
        self.setObjectName("stageSearchPopup")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._apply_style()
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Add stage…")
        self.search.setClearButtonEnabled(True)
        self.list = QListWidget(self)
        self.list.setMinimumHeight(220)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        self.resize(300, 320)
        self.search.textChanged.connect(self._on_search_text_changed)
        self.search.installEventFilter(self)
        self.list.itemActivated.connect(self._on_list_item_activated)
        self._on_search_text_changed("")

    def _apply_style(self) -> None:
        """Colours of the current theme (set again each time the popup opens)."""
        c = colors.css
        self.setStyleSheet(
            f"#stageSearchPopup {{ background: {c('popup_fill')};"
            f" border: 1px solid {c('popup_border')}; border-radius: 8px; }}"
            f"QLineEdit {{ border: 1px solid {c('popup_border')}; border-radius: 6px;"
            " padding: 5px 8px; font-size: 10.5pt; }"
            "QListWidget { border: none; font-size: 10pt; background: transparent; }"
            "QListWidget::item { padding: 4px 2px; }"
            f"QListWidget::item:selected {{ background: {c('popup_selected')};"
            f" color: {c('text')}; border-radius: 4px; }}"
        )

    def popup(self, global_pos: QPoint) -> None:
        self._apply_style()
        self.search.clear()
        self.move(global_pos)
        self.show()
        self.search.setFocus()

    def matches(self, text: str) -> list[str]:
        """Stage ids matching ``text`` (title first, then category and description)."""
        words = text.lower().split()
        scored: list[tuple[int, str]] = []
        for spec in self.registry:
            title = spec.title.lower()
            hay = f"{title} {spec.id} {spec.category.lower()} {spec.description.lower()}"
            if all(w in hay for w in words):
                rank = (
                    0
                    if words and title.startswith(words[0])
                    else 1
                    if all(w in title for w in words)
                    else 2
                )
                scored.append((rank, spec.id))
        return [sid for _, sid in sorted(scored, key=lambda t: t[0])]

    def _on_search_text_changed(self, text: str) -> None:
        self.list.clear()
        for sid in self.matches(text):
            spec = self.registry.get(sid)
            item = QListWidgetItem(
                stage_icon(spec.icon, spec.category, 20), f"{spec.title}   ·  {spec.category}"
            )
            item.setData(Qt.ItemDataRole.UserRole, spec.id)
            item.setToolTip(spec.description)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)

    def _on_list_item_activated(self, item: QListWidgetItem) -> None:
        self._choose(item)

    def _choose(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        self.hide()
        self.stage_chosen.emit(str(item.data(Qt.ItemDataRole.UserRole)))

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.search and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                row = self.list.currentRow() + (1 if key == Qt.Key.Key_Down else -1)
                self.list.setCurrentRow(max(0, min(self.list.count() - 1, row)))
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._choose(self.list.currentItem())
                return True
            if key == Qt.Key.Key_Escape:
                self.hide()
                return True
        return super().eventFilter(obj, event)
