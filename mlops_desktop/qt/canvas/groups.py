"""Collapsible groups: the nested DAGs and condition branches of an imported cloud pipeline.

An imported pipeline keeps its groups in ``meta["external"]["groups"]`` (path → kind) and
draws each as backdrop notes (one per band of the layout, ids from
:func:`mlops_desktop.core.cloud.convert.node_id`). Each group's first backdrop carries a
toggle; a collapsed group shows as that backdrop shrunk to a box naming the group and the
number of steps inside, its steps and inner backdrops hidden, and the links that cross its
edge drawn to the box. Which groups are collapsed is part of the document
(``meta["layout"]["collapsed"]``), so it is saved with the pipeline and changed through an
undoable edit; this module only shows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsSceneMouseEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from mlops_desktop.core.cloud.convert import backdrop_boxes
from mlops_desktop.core.cloud.convert import node_id as stable_id
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.operations import EditNote, Operation, RemoveNote
from mlops_desktop.qt.canvas import theme as T
from mlops_desktop.qt.canvas.link_item import link_path
from mlops_desktop.qt.canvas.note_item import NoteItem

if TYPE_CHECKING:
    from mlops_desktop.qt.canvas.scene import PipelineScene

LAYOUT_KEY = "layout"
TOGGLE = 18.0


@dataclass(slots=True)
class Group:
    path: str
    kind: str
    note_ids: list[str] = field(default_factory=list)  # its backdrops, first band first
    node_ids: set[str] = field(default_factory=set)  # its steps, nested groups' included

    def contains(self, other: str) -> bool:
        return other.startswith(self.path + "/")


def collapsed(pipeline: Pipeline) -> list[str]:
    """The paths of the collapsed groups (as the document stores them)."""
    layout = pipeline.meta.get(LAYOUT_KEY)
    paths = layout.get("collapsed") if isinstance(layout, Mapping) else None
    return [str(p) for p in paths] if isinstance(paths, list) else []


def layout_with(pipeline: Pipeline, path: str, collapse: bool) -> dict[str, Any]:
    """The pipeline's ``meta["layout"]`` with group ``path`` collapsed or expanded."""
    layout = pipeline.meta.get(LAYOUT_KEY)
    out = dict(layout) if isinstance(layout, Mapping) else {}
    paths = [p for p in collapsed(pipeline) if p != path]
    if collapse:
        paths.append(path)
    out["collapsed"] = sorted(paths)
    return out


def find_groups(pipeline: Pipeline) -> dict[str, Group]:
    """The groups of an imported pipeline that still have a backdrop (empty otherwise)."""
    facts = pipeline.meta.get("external")
    kinds = facts.get("groups") if isinstance(facts, Mapping) else None
    if not isinstance(kinds, Mapping) or not kinds:
        return {}
    notes = pipeline.notes
    bands = len(notes) + 1
    groups: dict[str, Group] = {}
    for path, kind in kinds.items():
        ids = [i for b in range(bands) if (i := stable_id(f"group:{path}:{b}")) in notes]
        if ids:
            groups[str(path)] = Group(str(path), str(kind), ids)
    if groups:
        for node in pipeline.nodes.values():
            where = str(node.params.get("group") or "")
            while where:
                if where in groups:
                    groups[where].node_ids.add(node.id)
                where = where.rpartition("/")[0]
    return groups


def refit_backdrops(
    pipeline: Pipeline, groups: Mapping[str, Group], positions: Mapping[str, tuple[float, float]]
) -> list[Operation]:
    """Edits that fit each group's backdrop around its steps at ``positions`` (after an
    auto-layout): one backdrop per group (a group's other bands' backdrops are removed)."""
    members = {
        (path, 0): [
            positions.get(n, (pipeline.nodes[n].x, pipeline.nodes[n].y)) for n in g.node_ids
        ]
        for path, g in groups.items()
        if g.node_ids
    }
    labels = {path: pipeline.notes[g.note_ids[0]].text for path, g in groups.items()}
    edits: list[Operation] = []
    for (path, _band), (x0, y0, x1, y1) in backdrop_boxes(members, labels).items():
        first, *rest = groups[path].note_ids
        note = replace(pipeline.notes[first], x=x0, y=y0, width=x1 - x0, height=y1 - y0)
        if note != pipeline.notes[first]:
            edits.append(EditNote(note))
        edits += [RemoveNote(other) for other in rest]
    return edits


class GroupToggle(QGraphicsItem):
    """The ▾ / ▸ button at the top left of a group's first backdrop."""

    def __init__(self, path: str, note: NoteItem) -> None:
        super().__init__(note)
        self.path = path
        self.collapsed = False
        self.setPos(8.0, 6.0)
        self.setZValue(1)
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, TOGGLE, TOGGLE)

    def set_collapsed(self, value: bool) -> None:
        if value != self.collapsed:
            self.collapsed = value
            self.update()

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        event.accept()  # the release toggles; the backdrop is not picked up

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        scene = self.scene()
        if self.boundingRect().contains(event.pos()) and scene is not None:
            scene.group_toggled.emit(self.path, not self.collapsed)  # type: ignore[attr-defined]
        event.accept()

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(0, 0, 0, 90), 1))
        painter.setBrush(QColor(255, 255, 255, 200))
        painter.drawRoundedRect(self.boundingRect().adjusted(0.5, 0.5, -0.5, -0.5), 4, 4)
        arrow = QPainterPath()
        if self.collapsed:  # ▸
            arrow.moveTo(6.5, 4.5)
            arrow.lineTo(13.0, 9.0)
            arrow.lineTo(6.5, 13.5)
        else:  # ▾
            arrow.moveTo(4.5, 6.5)
            arrow.lineTo(13.5, 6.5)
            arrow.lineTo(9.0, 13.0)
        arrow.closeSubpath()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(T.NOTE_TEXT)
        painter.drawPath(arrow)


class GroupLayer:
    """Shows the document's collapsed groups on a scene (display only)."""

    def __init__(self, scene: PipelineScene) -> None:
        self.scene = scene
        self.groups: dict[str, Group] = {}
        self.toggles: dict[str, GroupToggle] = {}
        self.hidden: dict[str, str] = {}  # hidden node id -> the collapsed group showing it
        self._stubs: list[QGraphicsPathItem] = []

    def refresh(self) -> None:
        """Re-read the groups and the collapsed paths from the document and show them."""
        scene = self.scene
        self.groups = find_groups(scene.pipeline)
        if not self.groups and not self.toggles and not self.hidden:
            return
        shut = [p for p in collapsed(scene.pipeline) if p in self.groups]
        # the outermost collapsed group shows every step under it
        tops = [p for p in shut if not any(self.groups[o].contains(p) for o in shut if o != p)]
        self.hidden = {nid: p for p in tops for nid in self.groups[p].node_ids}
        note_shown: dict[str, tuple[bool, int | None]] = {}
        for path, group in self.groups.items():
            inside = any(self.groups[t].contains(path) for t in tops)
            for i, nid in enumerate(group.note_ids):
                if inside or (path in tops and i > 0):
                    note_shown[nid] = (False, None)
                else:
                    note_shown[nid] = (True, len(group.node_ids) if path in tops else None)
        for nid, item in scene.note_items.items():
            visible, count = note_shown.get(nid, (True, None))
            item.setVisible(visible)
            item.set_collapsed(count)
            item.label_indent = TOGGLE + 6 if nid in note_shown else 0.0
        for path in list(self.toggles):
            toggle = self.toggles[path]
            kept = self.groups.get(path)
            if kept is None or toggle.parentItem() is not scene.note_items.get(kept.note_ids[0]):
                if toggle.scene() is not None:
                    toggle.setParentItem(None)  # type: ignore[arg-type]  # None unparents (stub omits it)
                    scene.removeItem(toggle)
                del self.toggles[path]
        for path, group in self.groups.items():
            note = scene.note_items.get(group.note_ids[0])
            if note is not None and path not in self.toggles:
                self.toggles[path] = GroupToggle(path, note)
            if path in self.toggles:
                self.toggles[path].set_collapsed(path in tops)
        for node_id, node_item in scene.node_items.items():
            node_item.setVisible(node_id not in self.hidden)
        for link in scene.link_items.values():
            link.setVisible(link.source.isVisible() and link.target.isVisible())
        self.update_stubs()
        scene._schedule_lens()  # the lens bands hold the visible steps only

    def toggle_of(self, note_id: str) -> GroupToggle | None:
        """The toggle of the group whose backdrop ``note_id`` is (any of its bands)."""
        path = next((p for p, g in self.groups.items() if note_id in g.note_ids), None)
        return self.toggles.get(path) if path is not None else None

    def box_of(self, path: str) -> NoteItem | None:
        group = self.groups.get(path)
        return self.scene.note_items.get(group.note_ids[0]) if group is not None else None

    def update_stubs(self) -> None:
        """Draw each link that crosses a collapsed group's edge to the group's box."""
        scene = self.scene
        for stub in self._stubs:
            scene.removeItem(stub)
        self._stubs = []
        if not self.hidden:
            return
        seen: set[tuple[str, str, bool]] = set()
        pen = QPen(QColor(120, 120, 120), 1.8, Qt.PenStyle.DashLine)
        for link in scene.link_items.values():
            src_in, dst_in = (
                self.hidden.get(link.source.node_id),
                self.hidden.get(link.target.node_id),
            )
            if src_in == dst_in:
                continue  # both inside the same collapsed group, or neither inside one
            if src_in is not None:
                box = self.box_of(src_in)
                if box is None:
                    continue
                start = box.sceneBoundingRect()
                p0 = QPointF(start.right() - 2, start.center().y())
                p1 = dst_in and self.box_of(dst_in)
                end = (
                    QPointF(p1.sceneBoundingRect().left() + 2, p1.sceneBoundingRect().center().y())
                    if isinstance(p1, NoteItem)
                    else link.target.pos() + link._off1
                )
                key = (src_in, link.target.node_id if dst_in is None else dst_in, True)
            else:
                box = self.box_of(dst_in or "")
                if box is None:
                    continue
                rect = box.sceneBoundingRect()
                p0 = link.source.pos() + link._off0
                end = QPointF(rect.left() + 2, rect.center().y())
                key = (link.source.node_id, str(dst_in), False)
            if key in seen:
                continue
            seen.add(key)
            stub = QGraphicsPathItem(link_path(p0, end))
            stub.setPen(pen)
            stub.setZValue(-1)
            stub.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            scene.addItem(stub)
            self._stubs.append(stub)
