"""Invertible edit operations on a :class:`~mlops_desktop.core.graph.Pipeline`.

``op.apply(pipeline)`` changes the document and returns the operation that undoes it;
applying that inverse restores exactly the previous document. Compound operations apply
their parts in order and roll back the applied parts if one fails, so a refused edit never
leaves a half-changed document.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from mlops_desktop.core.errors import GraphError
from mlops_desktop.core.graph import Link, Node, Note, Pipeline, new_id
from mlops_desktop.core.ports import compatible
from mlops_desktop.core.specs import PortSpec, StageSpec


class Operation(Protocol):
    """An invertible edit. ``label`` is read-only (the operations are frozen dataclasses)."""

    @property
    def label(self) -> str: ...

    def apply(self, pipeline: Pipeline) -> Operation: ...


@dataclass(frozen=True)
class AddNode:
    node: Node
    label: str = "Add stage"

    def apply(self, pipeline: Pipeline) -> Operation:
        spec = pipeline.registry.find(self.node.type)
        node = self.node
        if spec is not None:
            # Refuse bad parameters before anything changes; store them with their types.
            node = node.with_(params=spec.validate_params(node.params))
        pipeline._add_node(node)
        return RemoveNode(self.node.id, label=self.label)


@dataclass(frozen=True)
class RemoveNode:
    node_id: str
    label: str = "Remove stage"

    def apply(self, pipeline: Pipeline) -> Operation:
        node = pipeline._remove_node(self.node_id)
        return AddNode(node, label=self.label)


@dataclass(frozen=True)
class AddLink:
    link: Link
    label: str = "Link"

    def apply(self, pipeline: Pipeline) -> Operation:
        pipeline._add_link(self.link)
        return RemoveLink(self.link.id, label=self.label)


@dataclass(frozen=True)
class RemoveLink:
    link_id: str
    label: str = "Remove link"

    def apply(self, pipeline: Pipeline) -> Operation:
        link = pipeline._remove_link(self.link_id)
        return AddLink(link, label=self.label)


@dataclass(frozen=True)
class SetParams:
    """Replace a node's whole parameter dict (validated against the stage's schema)."""

    node_id: str
    params: Mapping[str, Any]
    label: str = "Change parameters"

    def apply(self, pipeline: Pipeline) -> Operation:
        node = pipeline.node(self.node_id)
        spec = pipeline.registry.find(node.type)
        params = dict(self.params)
        if spec is not None:
            params = spec.validate_params(params)
        old = pipeline._replace_node(node.with_(params=params))
        return SetParams(self.node_id, dict(old.params), label=self.label)


@dataclass(frozen=True)
class MoveNodes:
    positions: Mapping[str, tuple[float, float]]
    label: str = "Move"

    def apply(self, pipeline: Pipeline) -> Operation:
        for node_id in self.positions:
            pipeline.node(node_id)  # raise before changing anything
        old: dict[str, tuple[float, float]] = {}
        for node_id, (x, y) in self.positions.items():
            prev = pipeline._replace_node(pipeline.node(node_id).with_(x=float(x), y=float(y)))
            old[node_id] = (prev.x, prev.y)
        return MoveNodes(old, label=self.label)


@dataclass(frozen=True)
class RenameNode:
    node_id: str
    title: str
    label: str = "Rename"

    def apply(self, pipeline: Pipeline) -> Operation:
        title = self.title.strip()
        if not title:
            raise GraphError("a stage title cannot be empty")
        old = pipeline._replace_node(pipeline.node(self.node_id).with_(title=title))
        return RenameNode(self.node_id, old.title, label=self.label)


@dataclass(frozen=True)
class AddNote:
    note: Note
    label: str = "Add note"

    def apply(self, pipeline: Pipeline) -> Operation:
        pipeline._add_note(self.note)
        return RemoveNote(self.note.id, label=self.label)


@dataclass(frozen=True)
class RemoveNote:
    note_id: str
    label: str = "Remove note"

    def apply(self, pipeline: Pipeline) -> Operation:
        note = pipeline._remove_note(self.note_id)
        return AddNote(note, label=self.label)


@dataclass(frozen=True)
class EditNote:
    note: Note
    label: str = "Edit note"

    def apply(self, pipeline: Pipeline) -> Operation:
        old = pipeline._replace_note(self.note)
        return EditNote(old, label=self.label)


@dataclass(frozen=True)
class SetMeta:
    """Set (or, with ``None``, remove) a pipeline-level setting such as its triggers."""

    key: str
    value: Any
    label: str = "Change pipeline settings"

    def apply(self, pipeline: Pipeline) -> Operation:
        old = pipeline._set_meta(self.key, self.value)
        return SetMeta(self.key, old, label=self.label)


@dataclass(frozen=True)
class Compound:
    """Several operations as one edit (one undo step)."""

    ops: Sequence[Operation] = field(default_factory=tuple)
    label: str = "Edit"

    def apply(self, pipeline: Pipeline) -> Operation:
        inverses: list[Operation] = []
        try:
            for op in self.ops:
                inverses.append(op.apply(pipeline))
        except Exception:
            for inv in reversed(inverses):
                inv.apply(pipeline)
            raise
        return Compound(tuple(reversed(inverses)), label=self.label)


# --------------------------------------------------------------------------- helpers
def add_stage(
    pipeline: Pipeline,
    stage_type: str,
    x: float = 0.0,
    y: float = 0.0,
    title: str | None = None,
    params: Mapping[str, Any] | None = None,
    node_id: str | None = None,
) -> AddNode:
    """An :class:`AddNode` for a new stage with the spec's defaults merged with ``params``."""
    spec = pipeline.registry.get(stage_type)
    full = spec.validate_params(params or {})
    node = Node(
        id=node_id or new_id(),
        type=spec.id,
        title=title or pipeline.unique_title(spec.title),
        params=full,
        x=x,
        y=y,
    )
    return AddNode(node)


def connect(
    source: str, source_port: str, target: str, target_port: str, link_id: str | None = None
) -> AddLink:
    return AddLink(Link(link_id or new_id(), source, source_port, target, target_port))


def ports_on_link(
    pipeline: Pipeline, link: Link, spec: StageSpec
) -> tuple[PortSpec, PortSpec] | None:
    """The input and output by which a ``spec`` stage can sit on ``link`` (its input takes
    what the link carries, its output gives what the link's target takes), preferring
    ports named like the link's (a split into "split", a model into "model"); None when no
    pair fits."""
    registry = pipeline.registry
    src = registry.get(pipeline.nodes[link.source].type).output(link.source_port)
    dst = registry.get(pipeline.nodes[link.target].type).input(link.target_port)
    if src is None or dst is None:
        return None
    ins = [p for p in spec.inputs if compatible(src.type, p.type)]
    outs = [p for p in spec.outputs if compatible(p.type, dst.type)]
    if not ins or not outs:
        return None
    inp = next((p for p in ins if p.name == link.source_port), ins[0])
    out = next((p for p in outs if p.name == link.target_port), outs[0])
    return inp, out


def remove_items(
    pipeline: Pipeline,
    node_ids: Iterable[str] = (),
    link_ids: Iterable[str] = (),
    note_ids: Iterable[str] = (),
    label: str = "Delete",
) -> Compound:
    """One edit that removes nodes (with their links), links and notes."""
    node_ids = list(dict.fromkeys(node_ids))
    links = list(dict.fromkeys(link_ids))
    for node_id in node_ids:
        links.extend(lk.id for lk in pipeline.links_of(node_id))
    links = list(dict.fromkeys(links))
    ops: list[Operation] = [RemoveLink(lid) for lid in links]
    ops += [RemoveNode(nid) for nid in node_ids]
    ops += [RemoveNote(nid) for nid in dict.fromkeys(note_ids)]
    return Compound(tuple(ops), label=label)


def set_param(pipeline: Pipeline, node_id: str, name: str, value: Any) -> SetParams:
    """A :class:`SetParams` that changes one parameter and keeps the others."""
    node = pipeline.node(node_id)
    params = dict(node.params)
    params[name] = value
    return SetParams(node_id, params, label=f"Set {name}")
