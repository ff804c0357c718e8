"""The project browser: list and search projects and their pipelines, create, rename, delete
(soft, with confirmation) and restore them, and open a pipeline in a tab.

It works through :class:`mlops_desktop.app.projects.ProjectService` (and the workspace's
project store for the deleted ones); it never touches storage directly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPoint, QSize, Qt, Signal
from PySide6.QtGui import QAction, QFont, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPlainTextEdit,
    QStyle,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.errors import MlopsError
from mlops_desktop.core.vendors import catalogue
from mlops_desktop.qt import dialogs

if TYPE_CHECKING:
    from mlops_desktop.app.projects import ProjectService
    from mlops_desktop.app.workspace import Workspace

KIND_ROLE = Qt.ItemDataRole.UserRole
NAME_ROLE = Qt.ItemDataRole.UserRole + 1
PROJECT_ROLE = Qt.ItemDataRole.UserRole + 2


def template_choices() -> list[tuple[str, str, str]]:
    """(name, title, description) of every shipped template, blank first."""
    from mlops_desktop.app.templates import list_templates

    infos = list_templates()
    out = [(t.name, t.title, t.description) for t in infos]
    vendors = catalogue().ids()
    return sorted(
        out,
        key=lambda t: (
            t[0] != "blank",
            vendors.index(t[0]) if t[0] in vendors else len(vendors),
            t[0],
        ),
    )


class NewProjectDialog(QDialog):
    """Name, template and description of a new project; errors show inline."""

    def __init__(
        self, create: Any, parent: QWidget | None = None, default_template: str = "google"
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("New project")
        self.setMinimumWidth(560)
        self._create = create
        self.project = None
        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. churn-model")
        self.templates = QListWidget()
        self.templates.setIconSize(QSize(20, 20))
        self.templates.setSpacing(2)
        self.template_info = QLabel()
        self.template_info.setWordWrap(True)
        self.template_info.setMinimumHeight(64)
        self.template_info.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.templates.currentItemChanged.connect(self._on_templates_current_item_changed)
        for name, title, description in template_choices():
            item = QListWidgetItem(title)
            item.setData(NAME_ROLE, name)
            item.setData(Qt.ItemDataRole.UserRole + 5, description)
            item.setToolTip(description)
            self.templates.addItem(item)
            if name == default_template:
                self.templates.setCurrentItem(item)
        rows = max(self.templates.count(), 1)
        self.templates.setFixedHeight(rows * (self.templates.sizeHintForRow(0) + 6) + 8)
        if self.templates.currentItem() is None and self.templates.count():
            self.templates.setCurrentRow(0)
        self.description = QPlainTextEdit()
        self.description.setPlaceholderText("What this project is for (optional)")
        self.description.setFixedHeight(64)
        self.error = QLabel()
        self.error.setStyleSheet("color: #dc2626")
        self.error.setWordWrap(True)
        self.error.hide()
        form = QFormLayout()
        form.addRow("&Name:", self.name)
        form.addRow("&Template:", self.templates)
        form.addRow("", self.template_info)
        form.addRow("&Description:", self.description)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _on_templates_current_item_changed(
        self, item: QListWidgetItem | None, _old: object
    ) -> None:
        text = str(item.data(Qt.ItemDataRole.UserRole + 5)) if item is not None else ""
        self.template_info.setText(text)

    def selected_template(self) -> str:
        item = self.templates.currentItem()
        return str(item.data(NAME_ROLE)) if item else "blank"

    def accept(self) -> None:
        name = self.name.text().strip()
        if not name:
            self._show_error("Give the project a name.")
            return
        try:
            self.project = self._create(
                name, self.selected_template(), self.description.toPlainText().strip()
            )
        except MlopsError as exc:
            self._show_error(str(exc))
            return
        super().accept()

    def _show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()
        self.name.setFocus()


class ProjectBrowser(QWidget):
    """A searchable tree of projects and their pipelines, with a "Deleted" section."""

    pipeline_activated = Signal(str, str)  # project name, pipeline name
    project_renamed = Signal(str, str)  # old, new
    project_deleted = Signal(str)
    projects_changed = Signal()
    status_message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service: ProjectService | None = None
        self._workspace: Workspace | None = None
        self._renaming: str | None = None

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search projects and pipelines")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._apply_filter)
        self.new_button = QToolButton()
        self.new_button.setText("New…")
        self.new_button.setToolTip("Create a project from a lifecycle template (Ctrl+N)")
        self.new_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.new_button.clicked.connect(self.new_project)

        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._on_tree_context_menu)
        self.tree.itemActivated.connect(self._on_tree_item_activated)
        self.tree.itemChanged.connect(self._on_tree_item_changed)

        self.rename_action = QAction("Rename", self)
        self.rename_action.setShortcut(QKeySequence(Qt.Key.Key_F2))
        self.rename_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.rename_action.triggered.connect(self._on_rename_triggered)
        self.delete_action = QAction("Delete…", self)
        self.delete_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        self.delete_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.delete_action.triggered.connect(self._on_delete_triggered)
        self.tree.addAction(self.rename_action)
        self.tree.addAction(self.delete_action)

        self.empty_hint = QLabel("No projects yet.\nClick “New…” to start from a template.")
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_hint.setEnabled(False)
        self.empty_hint.hide()

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.search, 1)
        top.addWidget(self.new_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.empty_hint)
        self.setEnabled(False)

    # ---------------------------------------------------------------- wiring
    def set_service(self, service: ProjectService | None, workspace: Workspace | None) -> None:
        self._service = service
        self._workspace = workspace
        self.setEnabled(service is not None)
        self.refresh()

    @property
    def service(self) -> ProjectService | None:
        return self._service

    # ---------------------------------------------------------------- reading
    def refresh(self) -> None:
        """Reload projects and pipelines from the workspace, keeping expansion and filter."""
        tops = _tops(self.tree)
        expanded = {t.data(0, NAME_ROLE) for t in tops if t.isExpanded()}
        known = {t.data(0, NAME_ROLE) for t in tops}
        self.tree.blockSignals(True)
        self.tree.clear()
        if self._service is None or self._workspace is None:
            self.tree.blockSignals(False)
            return
        style = self.style()
        folder = style.standardIcon(QStyle.StandardPixmap.SP_DirIcon)
        doc = style.standardIcon(QStyle.StandardPixmap.SP_FileIcon)
        trash = style.standardIcon(QStyle.StandardPixmap.SP_TrashIcon)
        projects = self._workspace.projects.list(include_deleted=True)
        live = [p for p in projects if not p.deleted]
        for project in sorted(live, key=lambda p: p.name.lower()):
            item = self._project_item(project, folder)
            for info in self._service.list_pipelines(project.name):
                child = QTreeWidgetItem([info.name])
                child.setIcon(0, doc)
                child.setData(0, KIND_ROLE, "pipeline")
                child.setData(0, NAME_ROLE, info.name)
                child.setData(0, PROJECT_ROLE, project.name)
                child.setToolTip(
                    0, f"{info.name}: version {info.latest_version}, double-click to open"
                )
                item.addChild(child)
            self.tree.addTopLevelItem(item)
            item.setExpanded(project.name in expanded or project.name not in known)
        deleted = [p for p in projects if p.deleted]
        if deleted:
            section = QTreeWidgetItem([f"Deleted ({len(deleted)})"])
            section.setIcon(0, trash)
            section.setData(0, KIND_ROLE, "deleted_section")
            section.setData(0, NAME_ROLE, "\0deleted")
            section.setFlags(Qt.ItemFlag.ItemIsEnabled)
            f = section.font(0)
            f.setItalic(True)
            section.setFont(0, f)
            for project in sorted(deleted, key=lambda p: p.name.lower()):
                child = QTreeWidgetItem([project.name])
                child.setData(0, KIND_ROLE, "deleted_project")
                child.setData(0, NAME_ROLE, project.name)
                child.setToolTip(0, "Deleted project: right-click to restore it")
                child.setForeground(0, self.palette().placeholderText())
                section.addChild(child)
            self.tree.addTopLevelItem(section)
            section.setExpanded("\0deleted" in expanded)
        self.tree.blockSignals(False)
        self.empty_hint.setVisible(not live)
        self._apply_filter(self.search.text())

    def _project_item(self, project: Any, icon: QIcon) -> QTreeWidgetItem:
        item = QTreeWidgetItem([project.name])
        item.setIcon(0, icon)
        item.setData(0, KIND_ROLE, "project")
        item.setData(0, NAME_ROLE, project.name)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        f = QFont(item.font(0))
        f.setBold(True)
        item.setFont(0, f)
        tip = project.description or "No description"
        item.setToolTip(0, f"{project.name}\n{tip}\nTemplate: {project.template}")
        return item

    def project_names(self, include_deleted: bool = False) -> list[str]:
        """Names shown in the tree (for tests and menus)."""
        out = []
        for item in _tops(self.tree):
            if item.data(0, KIND_ROLE) == "project":
                out.append(item.data(0, NAME_ROLE))
            elif include_deleted and item.data(0, KIND_ROLE) == "deleted_section":
                out += [child.data(0, NAME_ROLE) for child in _children(item)]
        return out

    def find_item(self, name: str, kind: str = "project") -> QTreeWidgetItem | None:
        it = _tops(self.tree)
        while it:
            item = it.pop(0)
            if item.data(0, KIND_ROLE) == kind and item.data(0, NAME_ROLE) == name:
                return item
            it += _children(item)
        return None

    # ---------------------------------------------------------------- actions
    def new_project(self) -> None:
        if self._service is None:
            return
        dialog = NewProjectDialog(self.create_project, self)
        dialog.exec()

    def create_project(self, name: str, template: str = "blank", description: str = "") -> Any:
        """Create a project from ``template`` and open its first pipeline."""
        assert self._service is not None
        project = self._service.create_project(name, template=template, description=description)
        self.refresh()
        self.status_message.emit(f"Created project '{project.name}' from the {template} template")
        self.projects_changed.emit()
        pipelines = self._service.list_pipelines(project.name)
        if pipelines:
            self.pipeline_activated.emit(project.name, pipelines[0].name)
        return project

    def new_pipeline(self, project: str, name: str | None = None) -> Any:
        """Add an empty pipeline to ``project`` (asking for its name) and open it."""
        assert self._service is not None
        if name is None:
            name, ok = QInputDialog.getText(
                self, "New pipeline", f"Name of the new pipeline in '{project}':"
            )
            if not ok:
                return None
        try:
            info = self._service.create_pipeline(project, name.strip())
        except MlopsError as exc:
            self.status_message.emit(f"Cannot add the pipeline: {exc}")
            return None
        self.refresh()
        self.pipeline_activated.emit(project, info.name)
        return info

    def rename_project(self, old: str, new: str) -> bool:
        """Rename; a refused name (empty, taken) is reported and nothing changes."""
        assert self._service is not None
        new = new.strip()
        if new == old:
            return False
        try:
            self._service.rename_project(old, new)
        except MlopsError as exc:
            self.status_message.emit(f"Cannot rename '{old}': {exc}")
            self.refresh()
            return False
        self.refresh()
        self.project_renamed.emit(old, new)
        self.projects_changed.emit()
        self.status_message.emit(f"Renamed project '{old}' to '{new}'")
        return True

    def delete_project(self, name: str, ask: bool = True) -> bool:
        """Soft-delete after confirmation; it stays restorable under "Deleted"."""
        assert self._service is not None
        if ask and not dialogs.confirm(
            self,
            "Delete project",
            f"Delete the project '{name}'?",
            "Delete",
            "It moves to the Deleted section, where you can restore it with its pipelines and runs.",
        ):
            return False
        self._service.delete_project(name)
        self.refresh()
        self.project_deleted.emit(name)
        self.projects_changed.emit()
        self.status_message.emit(f"Deleted project '{name}' (restore it from the Deleted section)")
        return True

    def restore_project(self, name: str) -> None:
        assert self._service is not None
        self._service.restore_project(name)
        self.refresh()
        self.projects_changed.emit()
        self.status_message.emit(f"Restored project '{name}'")

    def purge_project(self, name: str, ask: bool = True) -> bool:
        assert self._service is not None
        if ask and not dialogs.confirm(
            self,
            "Delete permanently",
            f"Permanently delete '{name}' with all its pipelines, runs and models?",
            "Delete permanently",
            "This cannot be undone.",
        ):
            return False
        gc = self._service.purge_project(name)
        self.refresh()
        self.projects_changed.emit()
        self.status_message.emit(
            f"Permanently deleted project '{name}'; {self._service.describe_freed(gc)}"
        )
        return True

    # ------------------------------------------------------------------ slots
    def _apply_filter(self, text: str) -> None:
        needle = text.strip().lower()
        for top in _tops(self.tree):
            own = needle in top.text(0).lower() and top.data(0, KIND_ROLE) != "deleted_section"
            any_child = False
            for child in _children(top):
                hit = not needle or own or needle in child.text(0).lower()
                child.setHidden(not hit)
                any_child = any_child or hit
            top.setHidden(bool(needle) and not (own or any_child))
            if needle and any_child:
                top.setExpanded(True)

    def _on_tree_item_activated(self, item: QTreeWidgetItem, _column: int) -> None:
        kind = item.data(0, KIND_ROLE)
        if kind == "pipeline":
            self.pipeline_activated.emit(item.data(0, PROJECT_ROLE), item.data(0, NAME_ROLE))
        elif kind == "project" and _children(item):
            first = _children(item)[0]
            self.pipeline_activated.emit(item.data(0, NAME_ROLE), first.data(0, NAME_ROLE))

    def _on_tree_item_changed(self, item: QTreeWidgetItem, _column: int) -> None:
        if item.data(0, KIND_ROLE) == "project":
            self.rename_project(str(item.data(0, NAME_ROLE)), item.text(0))

    def _selected(self) -> tuple[str, str] | None:
        item = self.tree.currentItem()
        if item is None:
            return None
        kind = item.data(0, KIND_ROLE)
        if kind == "pipeline":
            return "project", item.data(0, PROJECT_ROLE)
        return kind, item.data(0, NAME_ROLE)

    def _on_rename_triggered(self) -> None:
        item = self.tree.currentItem()
        if item is not None and item.data(0, KIND_ROLE) == "project":
            self.tree.editItem(item, 0)

    def _on_delete_triggered(self) -> None:
        sel = self._selected()
        if sel and sel[0] == "project":
            self.delete_project(sel[1])

    def _on_tree_context_menu(self, pos: QPoint) -> None:
        item = self.tree.itemAt(pos)
        menu = QMenu(self)
        kind = item.data(0, KIND_ROLE) if item is not None else None
        if item is not None and kind in ("project", "pipeline"):
            menu.addAction("Open", lambda: self._on_tree_item_activated(item, 0))
            project = item.data(0, PROJECT_ROLE) if kind == "pipeline" else item.data(0, NAME_ROLE)
            menu.addAction("New pipeline…", lambda: self.new_pipeline(project))
        if kind == "project":
            menu.addAction(self.rename_action)
            menu.addAction(self.delete_action)
        if item is not None and kind == "deleted_project":
            name = item.data(0, NAME_ROLE)
            menu.addAction("Restore", lambda: self.restore_project(name))
            menu.addAction("Delete permanently…", lambda: self.purge_project(name))
        if not menu.isEmpty():
            menu.addSeparator()
        menu.addAction("New project…", self.new_project)
        menu.exec(self.tree.viewport().mapToGlobal(pos))


def _tops(tree: QTreeWidget) -> list[QTreeWidgetItem]:
    """The tree's top-level items."""
    items = (tree.topLevelItem(i) for i in range(tree.topLevelItemCount()))
    return [item for item in items if item is not None]


def _children(item: QTreeWidgetItem) -> list[QTreeWidgetItem]:
    """An item's children."""
    children = (item.child(j) for j in range(item.childCount()))
    return [child for child in children if child is not None]
