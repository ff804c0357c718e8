"""Copying parts of a pipeline as JSON, and turning that JSON into one paste edit.

The clipboard holds nodes, the links among them and notes under our own MIME type (plus the
same JSON as text), so items can be pasted into another pipeline or another app instance.
Pasted items get fresh ids and unique titles; links to nodes left behind are dropped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from mlops_desktop.core import operations as ops
from mlops_desktop.core.errors import FormatError
from mlops_desktop.core.graph import Link, Node, Note, Pipeline, new_id

ITEMS_MIME = "application/x-mlops-desktop-items"
ITEMS_FORMAT = "mlops-desktop/items"


def copy_items(pipeline: Pipeline, node_ids: Iterable[str], note_ids: Iterable[str] = ()) -> str:
    """JSON for the given nodes (with the links among them) and notes."""
    ids = [n for n in dict.fromkeys(node_ids) if n in pipeline.nodes]
    keep = set(ids)
    nodes = [pipeline.nodes[n] for n in ids]
    links = [lk for lk in pipeline.links.values() if lk.source in keep and lk.target in keep]
    notes = [pipeline.notes[n] for n in dict.fromkeys(note_ids) if n in pipeline.notes]
    doc = {
        "format": ITEMS_FORMAT,
        "nodes": [
            {
                "id": n.id,
                "type": n.type,
                "title": n.title,
                "params": dict(n.params),
                "x": n.x,
                "y": n.y,
            }
            for n in nodes
        ],
        "links": [
            {
                "source": lk.source,
                "source_port": lk.source_port,
                "target": lk.target,
                "target_port": lk.target_port,
            }
            for lk in links
        ],
        "notes": [
            {
                "text": n.text,
                "x": n.x,
                "y": n.y,
                "width": n.width,
                "height": n.height,
                "color": n.color,
            }
            for n in notes
        ],
    }
    return json.dumps(doc, ensure_ascii=False)


def paste_operation(
    pipeline: Pipeline,
    text: str,
    offset: tuple[float, float] = (40.0, 40.0),
    at: tuple[float, float] | None = None,
) -> tuple[ops.Compound, list[str]]:
    """One compound edit that adds the copied items, and the ids of the new nodes.

    Items are shifted by ``offset``, or moved so their top-left corner lands on ``at``.
    Raises :class:`FormatError` when ``text`` is not copied pipeline items.
    """
    try:
        doc: Any = json.loads(text)
    except (json.JSONDecodeError, TypeError):
        raise FormatError("the clipboard holds no pipeline stages") from None
    if not isinstance(doc, dict) or doc.get("format") != ITEMS_FORMAT:
        raise FormatError("the clipboard holds no pipeline stages")
    raw_nodes, raw_notes = doc.get("nodes") or [], doc.get("notes") or []
    xs = [float(n.get("x", 0)) for n in [*raw_nodes, *raw_notes]]
    ys = [float(n.get("y", 0)) for n in [*raw_nodes, *raw_notes]]
    if at is not None and xs:
        dx, dy = at[0] - min(xs), at[1] - min(ys)
    else:
        dx, dy = offset
    parts: list[ops.Operation] = []
    id_map: dict[str, str] = {}
    titles = {n.title for n in pipeline.nodes.values()}
    try:
        for n in raw_nodes:
            nid = new_id()
            id_map[str(n["id"])] = nid
            title = _unique(str(n.get("title") or n["type"]), titles)
            titles.add(title)
            node = Node(
                nid,
                pipeline.registry.resolve(str(n["type"])),
                title,
                dict(n.get("params") or {}),
                float(n.get("x", 0)) + dx,
                float(n.get("y", 0)) + dy,
            )
            parts.append(ops.AddNode(node))
        for lk in doc.get("links") or []:
            src, dst = id_map.get(str(lk["source"])), id_map.get(str(lk["target"]))
            if src and dst:
                parts.append(
                    ops.AddLink(
                        Link(new_id(), src, str(lk["source_port"]), dst, str(lk["target_port"]))
                    )
                )
        for n in raw_notes:
            parts.append(
                ops.AddNote(
                    Note(
                        new_id(),
                        str(n.get("text", "")),
                        float(n.get("x", 0)) + dx,
                        float(n.get("y", 0)) + dy,
                        float(n.get("width", 240)),
                        float(n.get("height", 120)),
                        str(n.get("color", "#fff3b0")),
                    )
                )
            )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise FormatError(f"the clipboard holds malformed pipeline stages: {exc!r}") from None
    return ops.Compound(tuple(parts), label="Paste"), list(id_map.values())


def _unique(base: str, taken: set[str]) -> str:
    if base not in taken:
        return base
    i = 2
    while f"{base} {i}" in taken:
        i += 1
    return f"{base} {i}"
