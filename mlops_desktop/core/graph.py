"""The pipeline document: stage nodes, typed links and notes, changed only by edit operations.

Every change goes through :meth:`Pipeline.apply`, which applies an operation from
:mod:`mlops_desktop.core.operations`, emits change events to subscribers, and returns the
inverse operation. The canvas and the undo stack are views over this; the CLI and the tests
call the same operations.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from mlops_desktop.core.dag import stuck_nodes
from mlops_desktop.core.errors import GraphError
from mlops_desktop.core.ports import compatible
from mlops_desktop.core.registry import StageRegistry, default_registry

if TYPE_CHECKING:
    import networkx as nx

    from mlops_desktop.core.operations import Operation


def new_id() -> str:
    """A short random id for nodes, links and notes (unique within any realistic pipeline)."""
    return uuid.uuid4().hex[:12]


@dataclass(frozen=True, slots=True)
class Node:
    """A stage placed on the canvas. ``type`` is a stage spec id."""

    id: str
    type: str
    title: str
    params: Mapping[str, Any] = field(default_factory=dict)
    x: float = 0.0
    y: float = 0.0

    def with_(self, **changes: Any) -> Node:
        return replace(self, **changes)


@dataclass(frozen=True, slots=True)
class Link:
    """A connection from an output port of one node to an input port of another."""

    id: str
    source: str
    source_port: str
    target: str
    target_port: str


@dataclass(frozen=True, slots=True)
class Note:
    """A text note or backdrop that annotates or groups part of a pipeline."""

    id: str
    text: str
    x: float = 0.0
    y: float = 0.0
    width: float = 240.0
    height: float = 120.0
    color: str = "#fff3b0"


@dataclass(frozen=True, slots=True)
class GraphEvent:
    """A change to the document. ``kind`` is past tense: ``node_added``, ``link_removed``..."""

    kind: str
    item: Node | Link | Note | None = None
    key: str = ""  # for meta_changed


Listener = Callable[[GraphEvent], None]


class Pipeline:
    """A directed acyclic graph of stages. Mutate only through :meth:`apply`."""

    def __init__(self, name: str = "Pipeline", registry: StageRegistry | None = None) -> None:
        self.name = name
        self.registry = registry if registry is not None else default_registry()
        self._nodes: dict[str, Node] = {}
        self._links: dict[str, Link] = {}
        self._notes: dict[str, Note] = {}
        self._meta: dict[str, Any] = {}
        self._listeners: list[Listener] = []

    # ----------------------------------------------------------------- reading
    @property
    def nodes(self) -> Mapping[str, Node]:
        return self._nodes

    @property
    def links(self) -> Mapping[str, Link]:
        return self._links

    @property
    def notes(self) -> Mapping[str, Note]:
        return self._notes

    @property
    def meta(self) -> Mapping[str, Any]:
        """Pipeline-level settings (triggers, environment...): data, saved with the graph."""
        return self._meta

    def node(self, node_id: str) -> Node:
        try:
            return self._nodes[node_id]
        except KeyError:
            raise GraphError(f"no node with id '{node_id}'") from None

    def links_of(self, node_id: str) -> list[Link]:
        return [lk for lk in self._links.values() if node_id in (lk.source, lk.target)]

    def incoming(self, node_id: str) -> list[Link]:
        return [lk for lk in self._links.values() if lk.target == node_id]

    def outgoing(self, node_id: str) -> list[Link]:
        return [lk for lk in self._links.values() if lk.source == node_id]

    def to_networkx(self) -> nx.MultiDiGraph:
        import networkx as nx  # imported on first use: it adds ~0.2 s to the app's start-up

        g: nx.MultiDiGraph = nx.MultiDiGraph()
        g.add_nodes_from(self._nodes)
        for lk in self._links.values():
            g.add_edge(lk.source, lk.target, key=lk.id)
        return g

    def generations(self) -> list[list[str]]:
        """Layers of node ids that can run in parallel, in execution order (each sorted)."""
        after = self._adjacency()
        waiting = dict.fromkeys(after, 0)
        for targets in after.values():
            for t in targets:
                waiting[t] += 1
        layer = [n for n, count in waiting.items() if count == 0]
        out = []
        while layer:
            out.append(sorted(layer))
            nxt = []
            for n in layer:
                for t in after[n]:
                    waiting[t] -= 1
                    if waiting[t] == 0:
                        nxt.append(t)
            layer = nxt
        if sum(len(g) for g in out) != len(waiting):
            raise GraphError("the pipeline's links form a cycle; a pipeline must be acyclic")
        return out

    def execution_order(self) -> list[str]:
        return [n for layer in self.generations() for n in layer]

    def upstream(self, node_id: str) -> set[str]:
        """Every node some path of links leads from to ``node_id``."""
        return self._reach(node_id, self._adjacency(reverse=True))

    def downstream(self, node_id: str) -> set[str]:
        """Every node some path of links leads to from ``node_id``."""
        return self._reach(node_id, self._adjacency())

    def _adjacency(self, reverse: bool = False) -> dict[str, list[str]]:
        """Node id -> the ids its links lead to (from, with ``reverse``), one per link.
        Plain Python: pipelines are small, and networkx costs a third of a second to import
        for a command-line report."""
        out: dict[str, list[str]] = {n: [] for n in self._nodes}
        for lk in self._links.values():
            a, b = (lk.target, lk.source) if reverse else (lk.source, lk.target)
            out.setdefault(a, []).append(b)
            out.setdefault(b, [])
        return out

    @staticmethod
    def _reach(node_id: str, after: dict[str, list[str]]) -> set[str]:
        if node_id not in after:
            raise GraphError(f"no node with id '{node_id}'")
        seen: set[str] = set()
        todo = list(after[node_id])
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.add(n)
                todo += after[n]
        seen.discard(node_id)  # as networkx's descendants: never the node itself
        return seen

    def is_acyclic(self) -> bool:
        """Whether no path of links leads from a node back to itself."""
        return not stuck_nodes(self._adjacency())

    def nodes_of_kind(self, kind: str) -> list[Node]:
        """Nodes whose stage spec has lifecycle kind ``kind`` (e.g. ``train``, ``monitor``)."""
        out = []
        for n in self._nodes.values():
            spec = self.registry.find(n.type)
            if spec is not None and spec.kind_for(n.params) == kind:
                out.append(n)
        return out

    def unique_title(self, base: str) -> str:
        titles = {n.title for n in self._nodes.values()}
        if base not in titles:
            return base
        i = 2
        while f"{base} {i}" in titles:
            i += 1
        return f"{base} {i}"

    # ------------------------------------------------------------ link checks
    def check_link(self, link: Link) -> None:
        """Raise :class:`GraphError` saying why ``link`` may not be added, if it may not."""
        self.check_link_ends(link)
        dst = self._nodes[link.target]
        for existing in self._links.values():
            if self.takes_many(link.target, link.target_port):
                break
            if existing.target == link.target and existing.target_port == link.target_port:
                other = self._nodes[existing.source].title
                raise GraphError(
                    f"input '{link.target_port}' of '{dst.title}' is already linked from "
                    f"'{other}'; an input takes one link"
                )
        if link.source == link.target or link.source in self.downstream(link.target):
            src = self._nodes[link.source]
            raise GraphError(
                f"linking '{src.title}' to '{dst.title}' would close a cycle; a pipeline must be acyclic"
            )

    def takes_many(self, node_id: str, port: str) -> bool:
        """Whether input ``port`` of the node takes any number of links (``PortSpec.many``)."""
        node = self._nodes.get(node_id)
        spec = self.registry.find(node.type) if node is not None else None
        in_port = spec.input(port) if spec is not None else None
        return in_port is not None and in_port.many

    def check_link_ends(self, link: Link) -> None:
        """The checks of one link on its own: its stages and ports exist and their types
        fit. (Whole-pipeline validation checks shared inputs and cycles once for all links.)"""
        if link.source not in self._nodes:
            raise GraphError(f"link source node '{link.source}' does not exist")
        if link.target not in self._nodes:
            raise GraphError(f"link target node '{link.target}' does not exist")
        src, dst = self._nodes[link.source], self._nodes[link.target]
        if link.source == link.target:
            raise GraphError(f"'{src.title}' cannot be linked to itself")
        src_spec, dst_spec = self.registry.find(src.type), self.registry.find(dst.type)
        if src_spec is None:
            raise GraphError(f"'{src.title}' has an unknown stage type '{src.type}'")
        if dst_spec is None:
            raise GraphError(f"'{dst.title}' has an unknown stage type '{dst.type}'")
        out_port = src_spec.output(link.source_port)
        if out_port is None:
            names = ", ".join(p.name for p in src_spec.outputs) or "none"
            raise GraphError(
                f"'{src.title}' has no output port '{link.source_port}' (outputs: {names})"
            )
        in_port = dst_spec.input(link.target_port)
        if in_port is None:
            names = ", ".join(p.name for p in dst_spec.inputs) or "none"
            raise GraphError(
                f"'{dst.title}' has no input port '{link.target_port}' (inputs: {names})"
            )
        if not compatible(out_port.type, in_port.type):
            raise GraphError(
                f"cannot link {src.title}.{out_port.name} ({out_port.type}) to "
                f"{dst.title}.{in_port.name} ({in_port.type}): the port types differ"
            )

    def can_link(self, link: Link) -> str | None:
        """``None`` if ``link`` may be added, else the reason it may not."""
        try:
            self.check_link(link)
        except GraphError as exc:
            return str(exc)
        return None

    # ------------------------------------------------------------- listeners
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` on every change; returns a function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _emit(self, kind: str, item: Node | Link | Note | None = None, key: str = "") -> None:
        event = GraphEvent(kind, item, key)
        for listener in list(self._listeners):
            listener(event)

    # ------------------------------------------------------------------ edits
    def apply(self, op: Operation) -> Operation:
        """Apply ``op`` and return its inverse. On error nothing has changed."""
        return op.apply(self)

    # Primitive mutators: used by operations only. Each validates before it changes anything.
    def _add_node(self, node: Node) -> None:
        if node.id in self._nodes:
            raise GraphError(f"a node with id '{node.id}' already exists")
        self._nodes[node.id] = node.with_(params=dict(node.params))
        self._emit("node_added", self._nodes[node.id])

    def _remove_node(self, node_id: str) -> Node:
        node = self.node(node_id)
        if self.links_of(node_id):
            raise GraphError(f"'{node.title}' still has links; remove them first")
        del self._nodes[node_id]
        self._emit("node_removed", node)
        return node

    def _replace_node(self, node: Node) -> Node:
        old = self.node(node.id)
        self._nodes[node.id] = node.with_(params=dict(node.params))
        self._emit("node_changed", self._nodes[node.id])
        return old

    def _add_link(self, link: Link) -> None:
        if link.id in self._links:
            raise GraphError(f"a link with id '{link.id}' already exists")
        self.check_link(link)
        self._links[link.id] = link
        self._emit("link_added", link)

    def _remove_link(self, link_id: str) -> Link:
        try:
            link = self._links.pop(link_id)
        except KeyError:
            raise GraphError(f"no link with id '{link_id}'") from None
        self._emit("link_removed", link)
        return link

    def _add_note(self, note: Note) -> None:
        if note.id in self._notes:
            raise GraphError(f"a note with id '{note.id}' already exists")
        self._notes[note.id] = note
        self._emit("note_added", note)

    def _remove_note(self, note_id: str) -> Note:
        try:
            note = self._notes.pop(note_id)
        except KeyError:
            raise GraphError(f"no note with id '{note_id}'") from None
        self._emit("note_removed", note)
        return note

    def _replace_note(self, note: Note) -> Note:
        try:
            old = self._notes[note.id]
        except KeyError:
            raise GraphError(f"no note with id '{note.id}'") from None
        self._notes[note.id] = note
        self._emit("note_changed", note)
        return old

    def _set_meta(self, key: str, value: Any) -> Any:
        old = self._meta.get(key)
        if value is None:
            self._meta.pop(key, None)
        else:
            self._meta[key] = copy.deepcopy(value)
        self._emit("meta_changed", None, key)
        return old

    # -------------------------------------------------------------- snapshot
    def copy(self) -> Pipeline:
        """A detached deep copy without listeners (what the engine runs)."""
        other = Pipeline(self.name, self.registry)
        other._nodes = {
            k: v.with_(params=copy.deepcopy(dict(v.params))) for k, v in self._nodes.items()
        }
        other._links = dict(self._links)
        other._notes = dict(self._notes)
        other._meta = copy.deepcopy(self._meta)
        return other

    def same_content(self, other: Pipeline) -> bool:
        """Whether two documents hold the same nodes, links, notes and settings."""
        return (
            self._nodes == other._nodes
            and self._links == other._links
            and self._notes == other._notes
            and self._meta == other._meta
        )

    def load_items(
        self,
        nodes: Iterable[Node],
        links: Iterable[Link],
        notes: Iterable[Note] = (),
        meta: Mapping[str, Any] | None = None,
    ) -> None:
        """Fill an empty document from stored items without per-link checks.

        Used by deserialization; :func:`mlops_desktop.core.validation.validate` reports
        whatever is wrong with what was loaded.
        """
        if self._nodes or self._links or self._notes:
            raise GraphError("load_items needs an empty pipeline")
        self._nodes = {n.id: n.with_(params=dict(n.params)) for n in nodes}
        self._links = {lk.id: lk for lk in links}
        self._notes = {n.id: n for n in notes}
        self._meta = copy.deepcopy(dict(meta or {}))
        self._emit("reset")
