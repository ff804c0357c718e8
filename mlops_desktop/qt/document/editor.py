"""PipelineEditor: the canvas widget for one pipeline, with its undo stack and clipboard.

It joins a :class:`PipelineScene` (which follows the document) and a :class:`PipelineView`
(zoom, pan, drops), and turns the user's gestures into undo commands over the core edit
operations. Refused edits are explained through ``status_message``. Run state and lenses
are display-only: they never touch the document or the undo stack.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, Signal
from PySide6.QtGui import QAction, QCursor, QFont, QKeyEvent, QKeySequence, QUndoStack
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit, QMenu, QVBoxLayout, QWidget

from mlops_desktop.core.entities import StageStatus
from mlops_desktop.core.errors import MlopsError
from mlops_desktop.core.graph import Node, Note, Pipeline
from mlops_desktop.core.lifecycle import lifecycles
from mlops_desktop.qt.canvas import export
from mlops_desktop.qt.canvas import theme as T
from mlops_desktop.qt.canvas.groups import refit_backdrops
from mlops_desktop.qt.canvas.layout import layered_layout
from mlops_desktop.qt.canvas.link_item import LinkItem
from mlops_desktop.qt.canvas.minimap import Minimap
from mlops_desktop.qt.canvas.node_item import NodeItem, shape_for
from mlops_desktop.qt.canvas.note_item import NoteItem
from mlops_desktop.qt.canvas.scene import PipelineScene
from mlops_desktop.qt.canvas.view import PipelineView
from mlops_desktop.qt.document import commands as C
from mlops_desktop.qt.document.clipboard import ITEMS_MIME, copy_items, paste_operation
from mlops_desktop.qt.document.search_popup import StageSearchPopup

NOTE_COLOURS = (
    ("Yellow", "#fff3b0"),
    ("Blue", "#dbeafe"),
    ("Green", "#dcfce7"),
    ("Pink", "#fce7f3"),
    ("Grey", "#e5e7eb"),
)


class _TitleEdit(QLineEdit):
    """The inline editor placed over a node's title (F2 or double-click)."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.node_id = ""
        self.cancelled = False
        self.setStyleSheet(
            "QLineEdit { border: 2px solid palette(highlight); border-radius: 4px; padding: 0 4px;"
            " background: palette(base); color: palette(text); }"
        )

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.cancelled = True
            self.clearFocus()
            self.hide()
            return
        super().keyPressEvent(event)


class PipelineEditor(QWidget):
    """The pipeline editor: view + scene + undo stack + clipboard + actions."""

    selection_changed = Signal(list)  # selected node ids
    status_message = Signal(str)
    document_changed = Signal()
    node_activated = Signal(str)

    def __init__(self, pipeline: Pipeline, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pipeline = pipeline
        self._undo_stack = QUndoStack(self)
        self._scene = PipelineScene(pipeline, self)
        self._view = PipelineView(self._scene, self)
        self._minimap = Minimap(self._view)
        self._lens: str | None = None
        self._popup: StageSearchPopup | None = None
        self._popup_pos = QPointF()
        self._title_edit: _TitleEdit | None = None
        self._pastes = 0
        self._fitted = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._view)
        self._scene.selectionChanged.connect(self._on_scene_selection_changed)
        self._scene.link_dropped.connect(self._on_scene_link_dropped)
        self._scene.link_refused.connect(self.status_message)
        self._scene.links_cut.connect(self._on_scene_links_cut)
        self._scene.items_moved.connect(self._on_scene_items_moved)
        self._scene.note_resized.connect(self._on_scene_note_resized)
        self._scene.node_double_clicked.connect(self._on_scene_node_double_clicked)
        self._scene.note_double_clicked.connect(self._on_scene_note_double_clicked)
        self._scene.group_toggled.connect(self.set_group_collapsed)
        self._view.stage_dropped.connect(self._on_view_stage_dropped)
        self._view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self._view.customContextMenuRequested.connect(self._on_view_context_menu_requested)
        self._undo_stack.indexChanged.connect(self._on_undo_stack_index_changed)
        self._actions = self._create_actions()
        self._minimap.schedule()

    # ------------------------------------------------------------ properties
    @property
    def pipeline(self) -> Pipeline:
        return self._pipeline

    @property
    def undo_stack(self) -> QUndoStack:
        return self._undo_stack

    @property
    def scene(self) -> PipelineScene:
        return self._scene

    @property
    def view(self) -> PipelineView:
        return self._view

    @property
    def lens(self) -> str | None:
        return self._lens

    def dispose(self) -> None:
        """Stop following the document (call when closing the editor's tab)."""
        self._scene.detach()

    def showEvent(self, event) -> None:  # noqa: ANN001
        super().showEvent(event)
        if not self._fitted:
            self._fitted = True
            self.fit_view()

    # ----------------------------------------------------------- edit core
    def push(self, command: C.PipelineCommand) -> bool:
        """Apply ``command`` and put it on the undo stack; report a refusal and return False."""
        try:
            command.prepare()
        except MlopsError as exc:
            self.status_message.emit(str(exc))
            return False
        self._undo_stack.push(command)
        return True

    def add_stage(
        self, stage_type: str, at: QPointF | None = None, params: dict | None = None
    ) -> str | None:
        """Add a stage whose header is centred on ``at`` (scene position); returns its node id."""
        if at is None:
            at = self._view.mapToScene(self._view.viewport().rect().center())
        width = shape_for(stage_type, self._pipeline.registry.find(stage_type)).width
        x, y = at.x() - width / 2, at.y() - T.HEADER_HEIGHT / 2
        try:
            command = C.AddNodeCommand(self._pipeline, stage_type, round(x), round(y), params)
        except MlopsError as exc:
            self.status_message.emit(str(exc))
            return None
        if not self.push(command):
            return None
        self.select_nodes([command.node_id])
        return command.node_id

    def connect_ports(self, source: str, source_port: str, target: str, target_port: str) -> bool:
        return self.push(C.AddLinkCommand(self._pipeline, source, source_port, target, target_port))

    def rename_node(self, node_id: str, title: str) -> bool:
        node = self._pipeline.nodes.get(node_id)
        if node is None or node.title == title.strip():
            return False
        return self.push(C.RenameNodeCommand(self._pipeline, node_id, title))

    def set_params(self, node_id: str, params: dict) -> bool:
        """Replace a node's parameters as one undo step (what the inspector calls)."""
        return self.push(C.SetParamsCommand(self._pipeline, node_id, params))

    def add_note(self, at: QPointF | None = None, text: str = "Note") -> str | None:
        if at is None:
            at = self._cursor_scene_pos()
        command = C.AddNoteCommand(self._pipeline, round(at.x()), round(at.y()), text)
        return command.note_id if self.push(command) else None

    def set_group_collapsed(self, path: str, collapse: bool) -> bool:
        """Collapse or expand an imported pipeline's group, as one undo step."""
        from mlops_desktop.core.operations import SetMeta
        from mlops_desktop.qt.canvas.groups import LAYOUT_KEY, collapsed, layout_with

        if path not in self._scene.groups.groups or (path in collapsed(self._pipeline)) == collapse:
            return False
        name = path.rsplit("/", 1)[-1]
        op = SetMeta(LAYOUT_KEY, layout_with(self._pipeline, path, collapse))
        text = f"{'Collapse' if collapse else 'Expand'} group {name}"
        return self.push(C.PipelineCommand(self._pipeline, op, text))

    def delete_selection(self) -> None:
        nodes, links, notes = (
            self._scene.selected_node_ids(),
            self._scene.selected_link_ids(),
            self._scene.selected_note_ids(),
        )
        if nodes or links or notes:
            count = len(nodes) + len(links) + len(notes)
            self.push(
                C.DeleteItemsCommand(
                    self._pipeline, nodes, links, notes, text=f"Delete {count} item(s)"
                )
            )

    # ------------------------------------------------------------ clipboard
    def copy(self) -> bool:
        nodes, notes = self._scene.selected_node_ids(), self._scene.selected_note_ids()
        if not nodes and not notes:
            return False
        text = copy_items(self._pipeline, nodes, notes)
        mime = QMimeData()
        mime.setData(ITEMS_MIME, text.encode("utf-8"))
        mime.setText(text)
        QApplication.clipboard().setMimeData(mime)
        self._pastes = 0
        return True

    def cut(self) -> None:
        if self.copy():
            self.delete_selection()
            self._undo_stack.command(self._undo_stack.index() - 1).setText("Cut")

    def paste(self) -> bool:
        mime = QApplication.clipboard().mimeData()
        if mime is None:
            return False
        if mime.hasFormat(ITEMS_MIME):
            text = bytes(mime.data(ITEMS_MIME).data()).decode("utf-8")
        else:
            text = mime.text()
        self._pastes += 1
        return self._paste_text(
            text, offset=(40.0 * self._pastes, 40.0 * self._pastes), text_label="Paste"
        )

    def duplicate(self) -> bool:
        nodes, notes = self._scene.selected_node_ids(), self._scene.selected_note_ids()
        if not nodes and not notes:
            return False
        return self._paste_text(copy_items(self._pipeline, nodes, notes), (40.0, 40.0), "Duplicate")

    def _paste_text(self, text: str, offset: tuple[float, float], text_label: str) -> bool:
        try:
            op, node_ids = paste_operation(self._pipeline, text, offset)
        except MlopsError as exc:
            self.status_message.emit(str(exc))
            return False
        if not op.ops:
            return False
        if not self.push(C.PasteItemsCommand(self._pipeline, op, node_ids, text=text_label)):
            return False
        self.select_nodes(node_ids)
        return True

    # ----------------------------------------------------- selection, view
    def selected_node_ids(self) -> list[str]:
        return self._scene.selected_node_ids()

    def select_nodes(self, node_ids: list[str]) -> None:
        self._scene.select_nodes(list(node_ids))

    def select_all(self) -> None:
        self._scene.blockSignals(True)
        for item in [*self._scene.node_items.values(), *self._scene.note_items.values()]:
            item.setSelected(True)
        self._scene.blockSignals(False)
        self._scene.selectionChanged.emit()

    def fit_view(self) -> None:
        self._view.fit()

    def zoom_in(self) -> None:
        self._view.zoom_in()

    def zoom_out(self) -> None:
        self._view.zoom_out()

    def auto_layout(self) -> bool:
        """Lay the pipeline out in layers from left to right, as one undo step."""
        sizes = {
            nid: (it.shape_info.rect.width(), it.shape_info.rect.height())
            for nid, it in self._scene.node_items.items()
        }
        positions = layered_layout(self._pipeline, sizes)
        changed = {
            nid: pos
            for nid, pos in positions.items()
            if (self._pipeline.nodes[nid].x, self._pipeline.nodes[nid].y) != pos
        }
        if not changed:
            self.status_message.emit("The pipeline is already laid out")
            return False
        # an imported pipeline's group backdrops follow their steps, in the same undo step
        refit = refit_backdrops(self._pipeline, self._scene.groups.groups, positions)
        ok = self.push(C.AutoLayoutCommand(self._pipeline, changed, refit))
        if ok:
            self.fit_view()
        return ok

    # ---------------------------------------------------------- run state
    def set_node_state(
        self, node_id: str, status: StageStatus, progress: float | None = None
    ) -> None:
        """Show a stage's run state on its node (display only: not part of the document)."""
        self._scene.set_node_state(node_id, status, progress)

    def clear_states(self) -> None:
        self._scene.clear_states()

    # --------------------------------------------------------------- lens
    def set_lens(self, lens_id: str | None) -> None:
        """Show a vendor lifecycle's phases behind the nodes (None hides them)."""
        if lens_id is not None and lens_id not in {lc.id for lc in lifecycles()}:
            raise MlopsError(f"unknown lens '{lens_id}'")
        self._lens = lens_id
        self._scene.set_lens(lens_id)
        self._view.viewport().update()
        self._minimap.schedule()

    def unplaced_nodes(self) -> list[Node]:
        """Nodes the current lens has no phase for."""
        return self._scene.unplaced_nodes()

    # ------------------------------------------------------------- export
    def export_png(self, path: str | Path, scale: float = 2.0) -> None:
        export.export_png(self._scene, path, scale)

    def export_svg(self, path: str | Path) -> None:
        export.export_svg(self._scene, path, self._pipeline.name)

    # ------------------------------------------------------------ actions
    def actions(self) -> dict[str, QAction]:  # type: ignore[override]
        """Named actions for the shell's menus and toolbars (shortcuts set)."""
        return dict(self._actions)

    def _create_actions(self) -> dict[str, QAction]:
        K = QKeySequence
        acts: dict[str, QAction] = {}
        # Undo and redo carry no key here: the window binds Ctrl+Z, Ctrl+Y and Ctrl+Shift+Z
        # once for every tab (two bindings of one key make Qt refuse both as ambiguous).
        acts["undo"] = self._undo_stack.createUndoAction(self, "Undo")
        acts["redo"] = self._undo_stack.createRedoAction(self, "Redo")
        spec: list[tuple[str, str, list[QKeySequence], object]] = [
            ("cut", "Cu&t", K.keyBindings(K.StandardKey.Cut), self.cut),
            ("copy", "&Copy", K.keyBindings(K.StandardKey.Copy), self.copy),
            ("paste", "&Paste", K.keyBindings(K.StandardKey.Paste), self.paste),
            ("duplicate", "D&uplicate", [K("Ctrl+D")], self.duplicate),
            (
                "delete",
                "&Delete",
                [K(Qt.Key.Key_Delete), K(Qt.Key.Key_Backspace)],
                self.delete_selection,
            ),
            ("select_all", "Select &All", K.keyBindings(K.StandardKey.SelectAll), self.select_all),
            ("rename", "&Rename Stage", [K(Qt.Key.Key_F2)], self.rename_selected),
            ("auto_layout", "Auto-&layout", [K("Ctrl+Shift+L")], self.auto_layout),
            ("fit", "&Fit to View", [K(Qt.Key.Key_F)], self.fit_view),
            ("zoom_in", "Zoom &In", [K("Ctrl++"), K("Ctrl+=")], self.zoom_in),
            ("zoom_out", "Zoom &Out", [K("Ctrl+-")], self.zoom_out),
            ("add_note", "Add &Note", [K("Shift+N")], lambda: self.add_note()),
            ("add_stage", "Add &Stage…", [K(Qt.Key.Key_Tab)], self.open_stage_search),
        ]
        for name, text, keys, slot in spec:
            action = QAction(text, self)
            action.setShortcuts(keys)
            action.triggered.connect(slot)
            acts[name] = action
        minimap = acts["minimap"] = QAction("&Minimap", self)  # View → Minimap
        minimap.setCheckable(True)
        minimap.setChecked(self._minimap.wanted)
        minimap.setToolTip("Show the overview in a corner of the canvas free of stages and notes")
        minimap.toggled.connect(self._minimap.set_wanted)
        for action in acts.values():
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(action)
        return acts

    # -------------------------------------------------------- stage search
    def _cursor_scene_pos(self) -> QPointF:
        vp = self._view.viewport()
        local = vp.mapFromGlobal(QCursor.pos())
        if not vp.rect().contains(local):
            local = vp.rect().center()
        return self._view.mapToScene(local)

    def open_stage_search(self) -> StageSearchPopup:
        """Open the Tab search popup at the cursor; the chosen stage is added there."""
        if self._popup is None:
            self._popup = StageSearchPopup(self._pipeline.registry, self)
            self._popup.stage_chosen.connect(self._on_popup_stage_chosen)
        self._popup_pos = self._cursor_scene_pos()
        global_pos = self._view.viewport().mapToGlobal(self._view.mapFromScene(self._popup_pos))
        self._popup.popup(global_pos + QPoint(4, 4))
        return self._popup

    def _on_popup_stage_chosen(self, stage_id: str) -> None:
        self.add_stage(stage_id, self._popup_pos)
        self._view.setFocus()

    # -------------------------------------------------------------- rename
    def rename_selected(self) -> None:
        nodes = self._scene.selected_node_ids()
        if len(nodes) == 1:
            self.start_rename(nodes[0])
        elif len(nodes) > 1:
            self.status_message.emit("Select one stage to rename")

    def start_rename(self, node_id: str) -> None:
        """Edit a node's title in place (Enter applies, Escape cancels)."""
        item = self._scene.node_items.get(node_id)
        if item is None:
            return
        if self._title_edit is None:
            self._title_edit = _TitleEdit(self._view.viewport())
            self._title_edit.editingFinished.connect(self._on_title_edit_finished)
        edit = self._title_edit
        edit.node_id = node_id
        edit.cancelled = False
        rect = self._view.mapFromScene(item.mapToScene(item.title_rect())).boundingRect()
        font = QFont(T.title_font())
        font.setPointSizeF(max(7.0, T.title_font().pointSizeF() * self._view.zoom()))
        edit.setFont(font)
        edit.setGeometry(rect.adjusted(-2, -1, 2, 1))
        edit.setText(item.title)
        edit.selectAll()
        edit.show()
        edit.setFocus()

    def _on_title_edit_finished(self) -> None:
        edit = self._title_edit
        if edit is None or not edit.isVisible() and not edit.cancelled:
            return
        edit.hide()
        if not edit.cancelled:
            self.rename_node(edit.node_id, edit.text())
        self._view.setFocus()

    # ------------------------------------------------------- scene events
    def _on_scene_selection_changed(self) -> None:
        self.selection_changed.emit(self._scene.selected_node_ids())

    def _on_scene_link_dropped(
        self, old: str, source: str, sport: str, target: str, tport: str
    ) -> None:
        if not target:
            if old:
                self.push(C.DeleteItemsCommand(self._pipeline, link_ids=[old], text="Remove link"))
            return
        if old:
            link = self._pipeline.links.get(old)
            if link is not None and (
                link.source,
                link.source_port,
                link.target,
                link.target_port,
            ) == (source, sport, target, tport):
                return
            self.push(C.RerouteLinkCommand(self._pipeline, old, source, sport, target, tport))
        else:
            self.connect_ports(source, sport, target, tport)

    def _on_scene_links_cut(self, link_ids: list) -> None:
        n = len(link_ids)
        self.push(
            C.DeleteItemsCommand(
                self._pipeline, link_ids=link_ids, text=f"Cut {n} link{'s' if n > 1 else ''}"
            )
        )

    def _on_scene_items_moved(self, positions: dict, notes: list) -> None:
        count = len(positions) + len(notes)
        label = "Move " + (
            self._pipeline.nodes[next(iter(positions))].title
            if count == 1 and positions
            else f"{count} items"
        )
        if not self.push(C.MoveNodesCommand(self._pipeline, positions, notes, text=label)):
            self._scene.build()  # put the items back where the document says they are

    def _on_scene_note_resized(self, note: Note) -> None:
        self.push(C.EditNoteCommand(self._pipeline, note, "Resize note"))

    def _on_scene_node_double_clicked(self, node_id: str, on_title: bool) -> None:
        if on_title:
            self.start_rename(node_id)
        else:
            self.node_activated.emit(node_id)

    def _on_scene_note_double_clicked(self, note_id: str) -> None:
        note = self._pipeline.notes.get(note_id)
        if note is None:
            return
        text, ok = QInputDialog.getMultiLineText(self, "Edit note", "Text:", note.text)
        if ok and text != note.text:
            from dataclasses import replace

            self.push(C.EditNoteCommand(self._pipeline, replace(note, text=text)))

    def context_menu(self, view_pos: QPoint) -> QMenu:
        """The menu for what is under ``view_pos``: a stage, a link, a note or the canvas."""
        scene_pos = self._view.mapToScene(view_pos)
        menu = QMenu(self)
        acts = self._actions
        target = self._scene.item_at(scene_pos)
        if isinstance(target, NodeItem):
            if target.node_id not in self._scene.selected_node_ids():
                self.select_nodes([target.node_id])
            for name in ("rename", "duplicate", "copy", "cut", "delete"):
                menu.addAction(acts[name])
        elif isinstance(target, LinkItem):
            self._scene.select_link(target.link_id)
            menu.addAction("Delete link", self.delete_selection)
        elif isinstance(target, NoteItem):
            note_id = target.note_id
            toggle = self._scene.groups.toggle_of(note_id)
            if toggle is not None:
                path, shut = toggle.path, toggle.collapsed
                menu.addAction(
                    "Expand group" if shut else "Collapse group",
                    lambda: self.set_group_collapsed(path, not shut),
                )
            menu.addAction("Edit note text…", lambda: self._on_scene_note_double_clicked(note_id))
            colours = menu.addMenu("Colour")
            for label, colour in NOTE_COLOURS:

                def set_colour(c: str = colour) -> None:
                    self.set_note_colour(note_id, c)

                colours.addAction(label, set_colour)
            menu.addAction(
                "Delete note",
                lambda: self.push(
                    C.DeleteItemsCommand(self._pipeline, note_ids=[note_id], text="Delete note")
                ),
            )
        else:
            self._popup_pos = scene_pos
            menu.addAction("Add stage…", self.open_stage_search)
            menu.addAction("Add note here", lambda: self.add_note(scene_pos))
            menu.addAction(acts["paste"])
            menu.addSeparator()
            for name in ("select_all", "auto_layout", "fit"):
                menu.addAction(acts[name])
        return menu

    def set_note_colour(self, note_id: str, colour: str) -> bool:
        note = self._pipeline.notes.get(note_id)
        if note is None or note.color == colour:
            return False
        from dataclasses import replace

        return self.push(
            C.EditNoteCommand(self._pipeline, replace(note, color=colour), "Note colour")
        )

    def _on_view_context_menu_requested(self, pos: QPoint) -> None:
        self.context_menu(pos).exec(self._view.viewport().mapToGlobal(pos))

    def _on_view_stage_dropped(self, stage_id: str, pos: QPointF) -> None:
        item = self._scene.item_at(pos)
        if not (
            isinstance(item, LinkItem) and self.insert_stage_on_link(stage_id, item.link_id, pos)
        ):
            self.add_stage(stage_id, pos)
        self._view.setFocus()

    def insert_stage_on_link(
        self,
        stage_type: str,
        link_id: str,
        at: QPointF,
        params: Mapping[str, Any] | None = None,
    ) -> str | None:
        """Put a new stage (its defaults merged with ``params``) on a link, as one undo step:
        beside the link's source, with the stages downstream moved right to make room;
        returns the new node's id, or None when the stage's ports do not fit the link."""
        registry = self._pipeline.registry

        def width_of(type_id: str) -> float:
            return float(shape_for(type_id, registry.find(type_id)).width)

        width = width_of(stage_type)
        x, y = round(at.x() - width / 2), round(at.y() - T.HEADER_HEIGHT / 2)
        try:
            found = C.insert_on_link(self._pipeline, link_id, stage_type, x, y, width_of, params)
        except MlopsError as exc:
            self.status_message.emit(str(exc))
            return None
        if found is None:
            return None
        edit, node_id = found
        if not self.push(C.PipelineCommand(self._pipeline, edit)):
            return None
        self.select_nodes([node_id])
        return node_id

    def _on_undo_stack_index_changed(self, _index: int) -> None:
        self.document_changed.emit()
