"""What changed between two versions of a pipeline: steps added, removed and changed.

Nodes are matched by id (imported steps keep a stable id per step, native nodes keep theirs
across saves); a changed node lists the parameters whose values differ.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mlops_desktop.core.graph import Pipeline


@dataclass(frozen=True, slots=True)
class NodeChange:
    title: str
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PipelineDiff:
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[NodeChange, ...] = ()
    links_added: int = 0
    links_removed: int = 0
    settings_changed: tuple[str, ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return not (
            self.added
            or self.removed
            or self.changed
            or self.links_added
            or self.links_removed
            or self.settings_changed
        )

    def lines(self) -> list[str]:
        """The diff as short lines for a terminal or a dialog."""
        out = [f"+ {t}" for t in self.added] + [f"- {t}" for t in self.removed]
        out += [f"~ {c.title}: {', '.join(c.fields)}" for c in self.changed]
        if self.links_added or self.links_removed:
            out.append(f"links: +{self.links_added} -{self.links_removed}")
        if self.settings_changed:
            out.append(f"settings: {', '.join(self.settings_changed)}")
        return out or ["no change"]


def _ends(p: Pipeline) -> set[tuple[str, str, str, str]]:
    return {(lk.source, lk.source_port, lk.target, lk.target_port) for lk in p.links.values()}


def diff(old: Pipeline, new: Pipeline) -> PipelineDiff:
    """The changes that turn ``old`` into ``new``."""
    added = tuple(new.nodes[n].title for n in new.nodes if n not in old.nodes)
    removed = tuple(old.nodes[n].title for n in old.nodes if n not in new.nodes)
    changed = []
    for nid, after in new.nodes.items():
        before = old.nodes.get(nid)
        if before is None:
            continue
        fields = [
            k
            for k in sorted(set(before.params) | set(after.params))
            if before.params.get(k) != after.params.get(k)
        ]
        if before.title != after.title:
            fields.insert(0, "title")
        if before.type != after.type:
            fields.insert(0, "type")
        if fields:
            changed.append(NodeChange(after.title, tuple(fields)))
    a, b = _ends(old), _ends(new)
    keys = sorted(k for k in set(old.meta) | set(new.meta) if old.meta.get(k) != new.meta.get(k))
    return PipelineDiff(added, removed, tuple(changed), len(b - a), len(a - b), tuple(keys))
