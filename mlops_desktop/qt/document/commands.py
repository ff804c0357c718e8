"""Undo commands: each wraps an invertible edit from :mod:`mlops_desktop.core.operations`.

A command applies its operation to the document and keeps the inverse; the scene follows
the document's change events, so no command touches a graphics item. The editor calls
:meth:`PipelineCommand.prepare` before pushing, so a refused edit raises there (and is
reported to the user) instead of leaving a dead entry on the undo stack.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from PySide6.QtGui import QUndoCommand

from mlops_desktop.core import operations as ops
from mlops_desktop.core.graph import Note, Pipeline, new_id
from mlops_desktop.core.operations import Operation


class PipelineCommand(QUndoCommand):
    """Apply ``op`` on redo and its inverse on undo."""

    def __init__(self, pipeline: Pipeline, op: Operation, text: str | None = None) -> None:
        super().__init__(text or op.label)
        self.pipeline = pipeline
        self._op: Operation = op
        self._inverse: Operation | None = None
        self._prepared = False

    @property
    def operation(self) -> Operation:
        return self._op

    def prepare(self) -> None:
        """Apply the edit now (raises on a refused edit); the first ``redo`` is then a no-op."""
        self._inverse = self.pipeline.apply(self._op)
        self._prepared = True

    def redo(self) -> None:
        if self._prepared:
            self._prepared = False
            return
        self._inverse = self.pipeline.apply(self._op)

    def undo(self) -> None:
        assert self._inverse is not None
        self._op = self.pipeline.apply(self._inverse)


class AddNodeCommand(PipelineCommand):
    def __init__(
        self,
        pipeline: Pipeline,
        stage_type: str,
        x: float,
        y: float,
        params: Mapping[str, Any] | None = None,
        title: str | None = None,
    ) -> None:
        op = ops.add_stage(pipeline, stage_type, x, y, title=title, params=params)
        super().__init__(pipeline, op, f"Add {op.node.title}")
        self.node_id = op.node.id


class DeleteItemsCommand(PipelineCommand):
    def __init__(
        self,
        pipeline: Pipeline,
        node_ids: Iterable[str] = (),
        link_ids: Iterable[str] = (),
        note_ids: Iterable[str] = (),
        text: str = "Delete",
    ) -> None:
        super().__init__(
            pipeline, ops.remove_items(pipeline, node_ids, link_ids, note_ids, label=text)
        )


class AddLinkCommand(PipelineCommand):
    def __init__(
        self, pipeline: Pipeline, source: str, source_port: str, target: str, target_port: str
    ) -> None:
        src, dst = pipeline.nodes.get(source), pipeline.nodes.get(target)
        text = (
            f"Link {src.title}.{source_port} → {dst.title}.{target_port}"
            if src is not None and dst is not None
            else "Link"
        )
        super().__init__(pipeline, ops.connect(source, source_port, target, target_port), text)


class RerouteLinkCommand(PipelineCommand):
    """Remove one link and add another in its place, as one step."""

    def __init__(
        self,
        pipeline: Pipeline,
        old_link: str,
        source: str,
        source_port: str,
        target: str,
        target_port: str,
    ) -> None:
        op = ops.Compound(
            (ops.RemoveLink(old_link), ops.connect(source, source_port, target, target_port)),
            label="Re-route link",
        )
        super().__init__(pipeline, op)


class MoveNodesCommand(PipelineCommand):
    """Positions of nodes (and notes, e.g. a backdrop and what it carried) as one step."""

    def __init__(
        self,
        pipeline: Pipeline,
        positions: Mapping[str, tuple[float, float]],
        notes: Sequence[Note] = (),
        text: str = "Move",
    ) -> None:
        parts: list[Operation] = []
        if positions:
            parts.append(ops.MoveNodes(dict(positions), label=text))
        parts += [ops.EditNote(n, label=text) for n in notes]
        super().__init__(pipeline, ops.Compound(tuple(parts), label=text))


class AutoLayoutCommand(PipelineCommand):
    """New node positions, and edits that go with them (backdrops refitted), as one step."""

    def __init__(
        self,
        pipeline: Pipeline,
        positions: Mapping[str, tuple[float, float]],
        extra: Sequence[Operation] = (),
    ) -> None:
        parts: list[Operation] = [ops.MoveNodes(dict(positions), label="Auto-layout"), *extra]
        super().__init__(pipeline, ops.Compound(tuple(parts), label="Auto-layout"))


class RenameNodeCommand(PipelineCommand):
    def __init__(self, pipeline: Pipeline, node_id: str, title: str) -> None:
        super().__init__(pipeline, ops.RenameNode(node_id, title), f"Rename to {title.strip()}")


class SetParamsCommand(PipelineCommand):
    def __init__(
        self, pipeline: Pipeline, node_id: str, params: Mapping[str, Any], text: str = ""
    ) -> None:
        node = pipeline.node(node_id)
        changed = [k for k in params if node.params.get(k) != params[k]]
        label = text or (
            f"Set {node.title}.{changed[0]}" if len(changed) == 1 else f"Change {node.title}"
        )
        super().__init__(pipeline, ops.SetParams(node_id, dict(params), label=label))


class AddNoteCommand(PipelineCommand):
    def __init__(
        self,
        pipeline: Pipeline,
        x: float,
        y: float,
        text: str = "Note",
        width: float = 260.0,
        height: float = 140.0,
    ) -> None:
        note = Note(new_id(), text, x, y, width, height)
        super().__init__(pipeline, ops.AddNote(note))
        self.note_id = note.id


class EditNoteCommand(PipelineCommand):
    def __init__(self, pipeline: Pipeline, note: Note, text: str = "Edit note") -> None:
        super().__init__(pipeline, ops.EditNote(note, label=text))


class PasteItemsCommand(PipelineCommand):
    """Nodes, links and notes from the clipboard, added as one step."""

    def __init__(
        self, pipeline: Pipeline, op: ops.Compound, node_ids: list[str], text: str = "Paste"
    ) -> None:
        super().__init__(pipeline, ops.Compound(tuple(op.ops), label=text))
        self.node_ids = node_ids


INSERT_GAP = 40.0  # scene units between an inserted stage and its neighbours


def insert_on_link(
    pipeline: Pipeline,
    link_id: str,
    stage_type: str,
    x: float,
    y: float,
    width_of: Callable[[str], float] | None = None,
    params: Mapping[str, Any] | None = None,
) -> tuple[ops.Compound, str] | None:
    """The edit that puts a new stage (its defaults merged with ``params``) on a link (the
    link's source feeds the stage, the stage feeds the link's target), with the new node's
    id; None when the stage has no input or output that fits the link's ports.

    With ``width_of`` (a stage type's drawn width) the new stage sits beside the link's
    source, and the target with everything downstream of it moves right when there is not
    room for the new stage between them: nothing ends up under the inserted stage."""
    link = pipeline.links.get(link_id)
    spec = pipeline.registry.find(stage_type)
    if link is None or spec is None:
        return None
    ports = ops.ports_on_link(pipeline, link, spec)
    if ports is None:
        return None
    inp, out = ports
    moves: list[ops.Operation] = []
    if width_of is not None:
        source, target = pipeline.nodes[link.source], pipeline.nodes[link.target]
        x = source.x + width_of(source.type) + INSERT_GAP
        y = source.y if abs(source.y - target.y) < 1 else y
        shift = x + width_of(stage_type) + INSERT_GAP - target.x
        if shift > 0:
            moved = {link.target, *pipeline.downstream(link.target)}
            positions = {
                nid: (pipeline.nodes[nid].x + shift, pipeline.nodes[nid].y) for nid in moved
            }
            moves.append(ops.MoveNodes(positions, label="Make room"))
    add = ops.add_stage(pipeline, stage_type, x, y, params=params)
    node = add.node.id
    edit = ops.Compound(
        (
            *moves,
            add,
            ops.RemoveLink(link.id),
            ops.connect(link.source, link.source_port, node, inp.name),
            ops.connect(node, out.name, link.target, link.target_port),
        ),
        label=f"Insert {add.node.title}",
    )
    return edit, node
