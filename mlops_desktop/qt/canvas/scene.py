"""PipelineScene: the graphics scene that mirrors a :class:`~mlops_desktop.core.graph.Pipeline`.

The scene subscribes to the document's change events and adds, removes or updates items to
match; it never changes the document. Gestures that would change it (a connection dragged
between ports, a move finished, a note resized) are reported as signals that the editor
turns into undo commands. Run state (badges, progress) is display-only and kept here.
"""

from __future__ import annotations

import gc

import shiboken6
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsLineItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsSceneHelpEvent,
    QGraphicsSceneMouseEvent,
    QToolTip,
)

from mlops_desktop.core.entities import StageStatus
from mlops_desktop.core.graph import GraphEvent, Link, Node, Note, Pipeline
from mlops_desktop.core.lifecycle import place
from mlops_desktop.core.ports import compatible
from mlops_desktop.qt.canvas.groups import GroupLayer
from mlops_desktop.qt.canvas.lens_layer import LensLayer
from mlops_desktop.qt.canvas.link_item import DraftLinkItem, LinkItem
from mlops_desktop.qt.canvas.node_item import NodeItem, PortSlot
from mlops_desktop.qt.canvas.note_item import NoteItem
from mlops_desktop.qt.canvas.theme import ERROR as T_ERROR


class _LinkDrag:
    """State of a connection being dragged from a port."""

    def __init__(
        self, node: NodeItem, slot: PortSlot, draft: DraftLinkItem, old_link: str = ""
    ) -> None:
        self.node = node
        self.slot = slot
        self.draft = draft
        self.old_link = old_link


class PipelineScene(QGraphicsScene):
    """Items for every node, link and note of one pipeline."""

    link_dropped = Signal(str, str, str, str, str)  # old link id, source, port, target, port
    link_refused = Signal(str)
    links_cut = Signal(list)  # link ids crossed by an Alt-drag
    items_moved = Signal(object, object)  # {node_id: (x, y)}, [Note]
    note_resized = Signal(object)  # Note
    node_double_clicked = Signal(str, bool)  # node id, on the title
    note_double_clicked = Signal(str)
    group_toggled = Signal(str, bool)  # group path, collapse

    def __init__(self, pipeline: Pipeline, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.pipeline = pipeline
        self.node_items: dict[str, NodeItem] = {}
        self.link_items: dict[str, LinkItem] = {}
        self.note_items: dict[str, NoteItem] = {}
        self.lens_id: str | None = None
        self.lens_layer = LensLayer()
        self.addItem(self.lens_layer)
        # Links are children of one content-less layer below the nodes: one z-order for all.
        self._link_layer = QGraphicsRectItem()
        self._link_layer.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)
        self._link_layer.setZValue(-1)
        self.addItem(self._link_layer)
        # While a selection is dragged, the links inside it ride on this layer: moving the
        # layer moves them all in C++, and only the links that cross the selection's edge
        # are re-routed per mouse move.
        self._moving_layer = QGraphicsRectItem()
        self._moving_layer.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)
        self._moving_layer.setZValue(-1)
        self.addItem(self._moving_layer)
        self._drag_links: tuple[list[LinkItem], list[LinkItem]] | None = None
        self._selected_links: set[str] = set()
        self._band_base: set[str] | None = None  # links selected when a rubber band began
        self._drag: _LinkDrag | None = None
        self._press_pos: dict[QGraphicsItem, QPointF] = {}
        self._carried: dict[NodeItem, QPointF] = {}
        self._resizing: tuple[NoteItem, QPointF, tuple[float, float]] | None = None
        self._cutter: QGraphicsLineItem | None = None
        self._lens_timer = QTimer(self)
        self._lens_timer.setSingleShot(True)
        self._lens_timer.setInterval(0)
        self._lens_timer.timeout.connect(self._refresh_lens)
        self.groups = GroupLayer(self)
        self._groups_timer = QTimer(self)
        self._groups_timer.setSingleShot(True)
        self._groups_timer.setInterval(0)
        self._groups_timer.timeout.connect(self.groups.refresh)
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        self.build()
        self._unsubscribe = pipeline.subscribe(self._on_pipeline_changed)

    # ------------------------------------------------------------- building
    def build(self) -> None:
        """(Re)create every item from the document."""
        # Thousands of new wrapper objects would trigger several full garbage collections
        # that find nothing to free; pause the collector while building.
        enabled = gc.isenabled()
        gc.disable()
        try:
            self._build()
        finally:
            if enabled:
                gc.enable()

    def _build(self) -> None:
        for item in [
            *self.link_items.values(),
            *self.node_items.values(),
            *self.note_items.values(),
        ]:
            self.removeItem(item)
        self.node_items.clear()
        self.link_items.clear()
        self.note_items.clear()
        registry = self.pipeline.registry
        add = self.addItem
        for node in self.pipeline.nodes.values():
            item = NodeItem(node, registry.find(node.type))
            self.node_items[node.id] = item
            add(item)
        for link in self.pipeline.links.values():
            self._add_link_item(link)
        for note in self.pipeline.notes.values():
            self._add_note_item(note)
        self.groups.refresh()
        self._schedule_lens()

    def detach(self) -> None:
        """Stop following the document (call before dropping the scene)."""
        self._unsubscribe()

    def _add_node_item(self, node: Node) -> None:
        item = NodeItem(node, self.pipeline.registry.find(node.type))
        self.node_items[node.id] = item
        self.addItem(item)

    def _add_link_item(self, link: Link) -> None:
        src, dst = self.node_items.get(link.source), self.node_items.get(link.target)
        if src is None or dst is None:
            return
        item = LinkItem(link, src, dst, self._link_layer)
        src.links.append(item)
        dst.links.append(item)
        self.link_items[link.id] = item

    def _add_note_item(self, note: Note) -> None:
        item = NoteItem(note)
        self.note_items[note.id] = item
        self.addItem(item)

    def _remove_link_item(self, link_id: str) -> None:
        item = self.link_items.pop(link_id, None)
        self._selected_links.discard(link_id)
        if item is None:
            return
        for end in (item.source, item.target):
            if item in end.links:
                end.links.remove(item)
        self.removeItem(item)

    # -------------------------------------------------------- model events
    def _on_pipeline_changed(self, event: GraphEvent) -> None:
        if not shiboken6.isValid(self):  # the widget was closed without detach(): stop following
            self._unsubscribe()
            return
        kind, item = event.kind, event.item
        if kind == "node_added" and isinstance(item, Node):
            self._add_node_item(item)
        elif kind == "node_removed" and isinstance(item, Node):
            node_item = self.node_items.pop(item.id, None)
            if node_item is not None:
                for link in list(node_item.links):
                    self._remove_link_item(link.link_id)
                self.removeItem(node_item)
        elif kind == "node_changed" and isinstance(item, Node):
            node_item = self.node_items.get(item.id)
            if node_item is not None:
                node_item.update_from(item)
        elif kind == "link_added" and isinstance(item, Link):
            self._add_link_item(item)
        elif kind == "link_removed" and isinstance(item, Link):
            self._remove_link_item(item.id)
        elif kind == "note_added" and isinstance(item, Note):
            self._add_note_item(item)
        elif kind == "note_removed" and isinstance(item, Note):
            note_item = self.note_items.pop(item.id, None)
            if note_item is not None:
                self.removeItem(note_item)
        elif kind == "note_changed" and isinstance(item, Note):
            note_item = self.note_items.get(item.id)
            if note_item is not None:
                note_item.update_from(item)
        elif kind == "reset":
            self.build()
            return
        if self.groups.groups or kind in ("meta_changed", "note_added"):
            self._groups_timer.start()  # collapsed groups follow the document
        if kind.startswith("node") or kind == "meta_changed":
            self._schedule_lens()

    # ------------------------------------------------------------ run state
    def set_node_state(
        self, node_id: str, status: StageStatus, progress: float | None = None
    ) -> None:
        item = self.node_items.get(node_id)
        if item is not None:  # a run may report a node the user has since deleted
            item.set_state(StageStatus(status), progress)

    def clear_states(self) -> None:
        for item in self.node_items.values():
            item.set_state(StageStatus.IDLE, None)

    # ----------------------------------------------------------------- lens
    def set_lens(self, lens_id: str | None) -> None:
        self.lens_id = lens_id or None
        self._refresh_lens()

    def _schedule_lens(self) -> None:
        if self.lens_id is not None:
            self._lens_timer.start()

    def node_item_moved(self) -> None:
        """Called by node items as they move, so lens bands follow a drag."""
        if self.lens_id is not None and not self._lens_timer.isActive():
            self._lens_timer.start()
        if self.groups.hidden:
            self.groups.update_stubs()

    def _refresh_lens(self) -> None:
        if self.lens_id is None:
            self.lens_layer.set_bands(None, {})
            return
        placement = place(self.pipeline, self.lens_id)
        rects = {
            nid: it.sceneBoundingRect() for nid, it in self.node_items.items() if it.isVisible()
        }
        labels = [it.label_rect() for it in self.note_items.values() if it.isVisible()]
        self.lens_layer.set_bands(placement, rects, labels)

    def unplaced_nodes(self) -> list[Node]:
        """Nodes the current lens's vendor has no phase for (empty without a lens)."""
        if self.lens_id is None:
            return []
        return place(self.pipeline, self.lens_id).unplaced

    # ------------------------------------------------------------ selection
    def selected_node_ids(self) -> list[str]:
        return [it.node_id for it in self.selectedItems() if isinstance(it, NodeItem)]

    def selected_link_ids(self) -> list[str]:
        return [lid for lid in self._selected_links if lid in self.link_items]

    def select_link(self, link_id: str, add: bool = False) -> None:
        """Select a link (links are selected by the scene, not by Qt's item selection)."""
        if not add:
            self.clearSelection()
            self.clear_link_selection()
        item = self.link_items.get(link_id)
        if item is not None:
            item.set_selected(True)
            self._selected_links.add(link_id)

    def clear_link_selection(self) -> None:
        for lid in self._selected_links:
            item = self.link_items.get(lid)
            if item is not None:
                item.set_selected(False)
        self._selected_links.clear()

    def band_select_links(self, rect: QRectF | None) -> None:
        """Select the links a rubber band crosses, live while it is dragged.

        ``rect`` is the band in scene coordinates, or None when the band is released. Links
        selected before the band began (kept by Ctrl) stay selected.
        """
        if rect is None:
            self._band_base = None
            return
        if self._band_base is None:
            self._band_base = set(self._selected_links)
        crossed = {
            item.link_id
            for item in self.items(rect, Qt.ItemSelectionMode.IntersectsItemBoundingRect)
            if isinstance(item, LinkItem) and item.crosses(rect)
        }
        wanted = self._band_base | crossed
        for lid in self._selected_links - wanted:
            item = self.link_items.get(lid)
            if item is not None:
                item.set_selected(False)
        for lid in wanted - self._selected_links:
            item = self.link_items.get(lid)
            if item is not None:
                item.set_selected(True)
        self._selected_links = wanted

    def selected_note_ids(self) -> list[str]:
        return [it.note_id for it in self.selectedItems() if isinstance(it, NoteItem)]

    def select_nodes(self, node_ids: list[str]) -> None:
        wanted = set(node_ids)
        self.clear_link_selection()
        self.blockSignals(True)
        try:
            for it in self.selectedItems():
                it.setSelected(False)
            for nid in wanted:
                item = self.node_items.get(nid)
                if item is not None:
                    item.setSelected(True)
        finally:
            self.blockSignals(False)
        self.selectionChanged.emit()

    def content_rect(self) -> QRectF:
        """The rectangle around every node and note (not the lens bands)."""
        rect = QRectF()
        for item in [*self.node_items.values(), *self.note_items.values()]:
            if item.isVisible():  # not the steps of a collapsed group
                rect = rect.united(item.sceneBoundingRect())
        if self.lens_id is not None:
            rect = rect.united(self.lens_layer.boundingRect())
        return rect

    # ------------------------------------------------------------- gestures
    def item_at(self, pos: QPointF) -> NodeItem | LinkItem | NoteItem | None:
        """The topmost stage, link (within a few pixels) or note at ``pos``."""
        for item in self.items(pos):
            if isinstance(item, NodeItem | NoteItem):
                return item
            if isinstance(item, LinkItem) and item.hit(pos):
                return item
        return None

    def _node_at(self, pos: QPointF) -> NodeItem | None:
        for item in self.items(pos):
            if isinstance(item, NodeItem):
                return item
        return None

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            node = self._node_at(event.scenePos())
            if node is not None:
                slot = node.port_at(node.mapFromScene(event.scenePos()))
                if slot is not None:
                    self._start_link_drag(node, slot)
                    event.accept()
                    return
            if (
                event.modifiers() & Qt.KeyboardModifier.AltModifier
                and self.item_at(event.scenePos()) is None
            ):
                self._start_cut(event.scenePos())
                event.accept()
                return
            additive = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
            for item in self.items(event.scenePos()):
                if isinstance(item, NoteItem) and item.grip_rect().contains(
                    item.mapFromScene(event.scenePos())
                ):
                    self._resizing = (item, event.scenePos(), item.size)
                    event.accept()
                    return
                if isinstance(item, LinkItem) and item.hit(event.scenePos()):
                    if additive and item.selected:
                        item.set_selected(False)
                        self._selected_links.discard(item.link_id)
                    else:
                        self.select_link(item.link_id, add=additive)
                    event.accept()
                    return
                if isinstance(item, NodeItem | NoteItem):
                    break
            if not additive:
                self.clear_link_selection()
        super().mousePressEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            self._record_press()

    def _record_press(self) -> None:
        self._settle_links()  # a drag whose release never came
        selected = [it for it in self.selectedItems() if isinstance(it, NodeItem | NoteItem)]
        self._press_pos = {it: it.pos() for it in selected}
        self._carried = {}
        for note in (it for it in selected if isinstance(it, NoteItem)):
            area = note.sceneBoundingRect()
            for node in self.items(area, Qt.ItemSelectionMode.ContainsItemShape):
                if isinstance(node, NodeItem) and node not in self._press_pos:
                    self._carried[node] = node.pos()

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._drag is not None:
            self._update_link_drag(event.scenePos())
            event.accept()
            return
        if self._cutter is not None:
            line = self._cutter.line()
            self._cutter.setLine(QLineF(line.p1(), event.scenePos()))
            event.accept()
            return
        if self._resizing is not None:
            note, start, (w, h) = self._resizing
            delta = event.scenePos() - start
            note.set_size(w + delta.x(), h + delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)
        if not self._press_pos:
            return
        if self._carried:
            lead = next((it for it in self._press_pos if isinstance(it, NoteItem)), None)
            if lead is not None:
                delta = lead.pos() - self._press_pos[lead]
                for node, start in self._carried.items():
                    node.setPos(start + delta)
        moved = [it for it in [*self._press_pos, *self._carried] if isinstance(it, NodeItem)]
        if moved:
            self._follow_moved_nodes(moved)
            self.node_item_moved()

    def _follow_moved_nodes(self, moved: list[NodeItem]) -> None:
        """Bring the links along with nodes being dragged (all by the same offset)."""
        if self._drag_links is None:
            moving = set(moved)
            inner: list[LinkItem] = []
            edge: list[LinkItem] = []
            seen: set[str] = set()
            for node in moved:
                for link in node.links:
                    if link.link_id in seen:
                        continue
                    seen.add(link.link_id)
                    both = link.source in moving and link.target in moving
                    (inner if both else edge).append(link)
            for link in inner:
                link.setParentItem(self._moving_layer)
            self._drag_links = (inner, edge)
        lead = moved[0]
        start = self._press_pos.get(lead, self._carried.get(lead))
        if start is not None:
            self._moving_layer.setPos(lead.pos() - start)
        for link in self._drag_links[1]:
            link.adjust()

    def _settle_links(self) -> None:
        """Put the links carried by a drag back in place, routed from the nodes' positions."""
        if self._drag_links is None:
            return
        inner, _ = self._drag_links
        self._drag_links = None
        self._moving_layer.setPos(0.0, 0.0)
        for link in inner:
            if link.scene() is self:
                link.setParentItem(self._link_layer)
                link.adjust()

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._drag is not None:
            self._finish_link_drag(event.scenePos())
            event.accept()
            return
        if self._cutter is not None:
            self._finish_cut()
            event.accept()
            return
        if self._resizing is not None:
            note = self._resizing[0]
            self._resizing = None
            if note.size != (note.note.width, note.note.height):
                self.note_resized.emit(note.current_note())
            event.accept()
            return
        super().mouseReleaseEvent(event)
        self._report_moves()

    def _report_moves(self) -> None:
        self._settle_links()
        moved_nodes: dict[str, tuple[float, float]] = {}
        moved_notes: list[Note] = []
        for item, start in [*self._press_pos.items(), *self._carried.items()]:
            if item.scene() is not self or item.pos() == start:
                continue
            if isinstance(item, NodeItem):
                moved_nodes[item.node_id] = (item.pos().x(), item.pos().y())
            elif isinstance(item, NoteItem):
                moved_notes.append(item.current_note())
        self._press_pos = {}
        self._carried = {}
        if moved_nodes or moved_notes:
            self.items_moved.emit(moved_nodes, moved_notes)

    def helpEvent(self, event: QGraphicsSceneHelpEvent) -> None:
        # Tooltips are built when asked, so thousands of items carry no tooltip strings.
        for item in self.items(event.scenePos()):
            if isinstance(item, NodeItem) or (
                isinstance(item, LinkItem) and item.hit(event.scenePos())
            ):
                QToolTip.showText(event.screenPos(), item.tooltip_text())
                event.accept()
                return
            if isinstance(item, NoteItem):
                if item.label_indent:  # a group: its whole label (the backdrop shows one line)
                    QToolTip.showText(event.screenPos(), item.note.text)
                    event.accept()
                    return
                break
        QToolTip.hideText()
        event.ignore()

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        for item in self.items(event.scenePos()):
            if isinstance(item, NodeItem):
                on_title = item.title_rect().contains(item.mapFromScene(event.scenePos()))
                self.node_double_clicked.emit(item.node_id, on_title)
                event.accept()
                return
            if isinstance(item, NoteItem):
                self.note_double_clicked.emit(item.note_id)
                event.accept()
                return
        super().mouseDoubleClickEvent(event)

    # --------------------------------------------------- connection dragging
    def _start_link_drag(self, node: NodeItem, slot: PortSlot) -> None:
        old = ""
        if not slot.output:
            existing = next(
                (lk for lk in self.pipeline.incoming(node.node_id) if lk.target_port == slot.name),
                None,
            )
            if existing is not None and existing.id in self.link_items:
                # Dragging a linked input re-routes its link: pick it up by its source end.
                old = existing.id
                self.link_items[old].setVisible(False)
                node = self.node_items[existing.source]
                slot = node.shape_info.by_key.get((existing.source_port, True)) or slot
        anchor = node.pos() + slot.pos
        draft = DraftLinkItem(anchor, slot.output, QColor(slot.colour))
        self.addItem(draft)
        self._drag = _LinkDrag(node, slot, draft, old)
        self._highlight_compatible(node, slot, old)

    def _highlight_compatible(self, node: NodeItem, slot: PortSlot, ignore_link: str) -> None:
        pipeline = self.pipeline
        if slot.output:
            blocked = pipeline.upstream(node.node_id) | {node.node_id}
        else:
            blocked = pipeline.downstream(node.node_id) | {node.node_id}
        taken = {
            (lk.target, lk.target_port) for lk in pipeline.links.values() if lk.id != ignore_link
        }
        for nid, item in self.node_items.items():
            lit: set[tuple[str, bool]] = set()
            if nid not in blocked:
                for other in item.shape_info.slots:
                    if other.output == slot.output:
                        continue
                    if slot.output:
                        ok = compatible(slot.type, other.type) and (nid, other.name) not in taken
                    else:
                        ok = compatible(other.type, slot.type)
                    if ok:
                        lit.add((other.name, other.output))
            if lit or item.highlighted:
                item.highlighted = lit
                item.update()

    def _clear_highlight(self) -> None:
        for item in self.node_items.values():
            if item.highlighted or item.hover_port:
                item.highlighted = set()
                item.hover_port = None
                item.update()

    def _target_slot(self, pos: QPointF) -> tuple[NodeItem | None, PortSlot | None, str]:
        """The port a drop at ``pos`` would connect to, or a reason there is none."""
        drag = self._drag
        assert drag is not None
        node = self._node_at(pos)
        if node is None:
            return None, None, ""
        want_output = not drag.slot.output
        slot = node.port_at(node.mapFromScene(pos), tolerance=16)
        if slot is not None and slot.output == want_output:
            return node, slot, ""
        candidates = [s for s in node.shape_info.slots if s.output == want_output]
        lit = [s for s in candidates if (s.name, s.output) in node.highlighted]
        if lit:
            return node, lit[0], ""
        fits = [
            s
            for s in candidates
            if (
                compatible(drag.slot.type, s.type)
                if drag.slot.output
                else compatible(s.type, drag.slot.type)
            )
        ]
        if fits:
            return node, fits[0], ""
        side = "input" if want_output is False else "output"
        if not candidates:
            return node, None, f"'{node.title}' has no {side}s"
        verb = "accepts" if side == "input" else "gives"
        return node, None, f"'{node.title}' has no {side} that {verb} {drag.slot.type.value}"

    def _update_link_drag(self, pos: QPointF) -> None:
        drag = self._drag
        assert drag is not None
        node, slot, reason = self._target_slot(pos)
        end = node.pos() + slot.pos if node is not None and slot is not None else pos
        ok = node is None or (slot is not None and (slot.name, slot.output) in node.highlighted)
        drag.draft.set_end(end, ok)

    def _finish_link_drag(self, pos: QPointF) -> None:
        drag = self._drag
        assert drag is not None
        node, slot, reason = self._target_slot(pos)
        self.removeItem(drag.draft)
        self._drag = None
        self._clear_highlight()
        if drag.old_link and drag.old_link in self.link_items:
            self.link_items[drag.old_link].setVisible(True)
        if node is None:
            if drag.old_link:  # a re-routed link dropped on empty canvas is deleted
                self.link_dropped.emit(drag.old_link, "", "", "", "")
            return
        if slot is None:
            self.link_refused.emit(f"Cannot link: {reason}")
            return
        if drag.slot.output:
            src, sp, dst, dp = drag.node.node_id, drag.slot.name, node.node_id, slot.name
        else:
            src, sp, dst, dp = node.node_id, slot.name, drag.node.node_id, drag.slot.name
        self.link_dropped.emit(drag.old_link, src, sp, dst, dp)

    # ------------------------------------------------------------- cutting
    def _start_cut(self, pos: QPointF) -> None:
        pen = QPen(T_ERROR, 1.6, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        self._cutter = QGraphicsLineItem(QLineF(pos, pos))
        self._cutter.setPen(pen)
        self._cutter.setZValue(20)
        self.addItem(self._cutter)

    def _finish_cut(self) -> None:
        assert self._cutter is not None
        line = self._cutter.line()
        self.removeItem(self._cutter)
        self._cutter = None
        cut = self.links_crossing(line)
        if cut:
            self.links_cut.emit(cut)

    def links_crossing(self, line: QLineF) -> list[str]:
        """Ids of the links whose curves the segment ``line`` crosses."""
        area = QRectF(line.p1(), line.p2()).normalized().adjusted(-1, -1, 1, 1)
        out = []
        for item in self.items(area):
            if isinstance(item, LinkItem) and _crosses(item.path(), line):
                out.append(item.link_id)
        return out

    def cancel_gesture(self) -> None:
        """Abandon a connection drag in progress (Escape)."""
        if self._drag is not None:
            self.removeItem(self._drag.draft)
            if self._drag.old_link in self.link_items:
                self.link_items[self._drag.old_link].setVisible(True)
            self._drag = None
            self._clear_highlight()


def _crosses(path: QPainterPath, line: QLineF) -> bool:
    """Whether the segment ``line`` crosses the (flattened) curve ``path``."""
    for polygon in path.toSubpathPolygons():
        for i in range(polygon.size() - 1):
            kind, _ = line.intersects(QLineF(polygon.at(i), polygon.at(i + 1)))
            if kind == QLineF.IntersectionType.BoundedIntersection:
                return True
    return False
