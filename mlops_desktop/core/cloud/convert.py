"""An :class:`ExternalPipeline` → a native pipeline of external stages, laid out and grouped.

Each step becomes a node of the ``external`` stage type whose read-only parameters keep the
step's definition, and whose ``kind`` parameter places it in the lifecycle (by the rules of
:mod:`.placement`, or as the user corrected it on an earlier import). Links follow the data
and control dependencies. Nested DAGs and condition branches get a backdrop note each, and
the pipeline's ``meta["external"]`` keeps the facts read from the definition.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from mlops_desktop.core.cloud.model import FORMAT_TITLES, ExternalPipeline, ExternalStep
from mlops_desktop.core.cloud.placement import metric_gates, place_step
from mlops_desktop.core.graph import Link, Node, Note, Pipeline
from mlops_desktop.core.registry import StageRegistry

EXTERNAL_STAGE = "external"
OUT_PORT, IN_PORT = "out", "after"
COL_W, ROW_H = 250.0, 120.0
WRAP = 8  # a pipeline deeper than this many layers is laid out in bands, like lines of text
BAND_GAP = 90.0
LABEL_H = 26.0  # a group backdrop's label strip
NODE_W, NODE_H = 190.0, 86.0  # about the size of an external step on the canvas
LABEL_W_PER_CHAR = 7.5  # about the width of a character of the canvas' label font
GROUP_COLOURS = {
    "condition": "#fde2e4",
    "loop": "#e2ecfd",
    "exit handler": "#e9e2fd",
    "sub-pipeline": "#e2fde8",
}


def node_id(key: str) -> str:
    """A stable node id for a step key, so re-imports of a file keep their node ids."""
    return "x" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:11]


def _lines(values: Mapping[str, str]) -> str:
    return "\n".join(f"{k}: {v}" for k, v in values.items())


def _layers(ext: ExternalPipeline) -> dict[str, int]:
    layer: dict[str, int] = {}
    by_key = {s.key: s for s in ext.steps}
    for s in ext.steps:  # iterative longest path (steps are acyclic: checked on parse)
        stack = [s.key]
        while stack:
            k = stack[-1]
            if k in layer:
                stack.pop()
                continue
            pending = [d.step for d in by_key[k].after if d.step not in layer]
            if pending:
                stack.extend(pending)
                continue
            layer[k] = 1 + max((layer[d.step] for d in by_key[k].after), default=-1)
            stack.pop()
    return layer


def to_pipeline(
    ext: ExternalPipeline,
    registry: StageRegistry,
    name: str,
    source: str = "",
    digest: str = "",
    previous: Pipeline | None = None,
) -> Pipeline:
    """The native pipeline for ``ext``; placements the user corrected in ``previous`` stay."""
    gates = metric_gates(ext)
    kept = _corrections(previous)
    layer = _layers(ext)
    rows: dict[int, int] = {}
    order = sorted(ext.steps, key=lambda s: (layer[s.key], s.group, s.branch, s.key))
    for s in order:
        rows[layer[s.key]] = rows.get(layer[s.key], 0) + 1
    depth = max(layer.values(), default=0) + 1
    wrap = WRAP if depth > WRAP + 2 else depth
    band_h = max(rows.values(), default=1) * ROW_H + BAND_GAP
    rows.clear()
    nodes: list[Node] = []
    positions: dict[str, tuple[float, float]] = {}
    for s in order:
        col = layer[s.key]
        row = rows.get(col, 0)
        rows[col] = row + 1
        placement = place_step(s, s.key in gates)
        kind, reason = placement.kind, placement.reason
        if s.key in gates:
            reason = f"it gates {gates[s.key]} on an evaluation metric"
        if s.key in kept and kept[s.key] != kind:
            reason = f"set by hand (the rules said {kind}: {reason})"
            kind = kept[s.key]
        x, y = (col % wrap) * COL_W, (col // wrap) * band_h + row * ROW_H
        positions[s.key] = (x, y)
        nodes.append(
            Node(
                node_id(s.key),
                EXTERNAL_STAGE,
                _title(s, ext),
                _params(s, ext, kind, placement.kind, reason),
                x,
                y,
            )
        )
    links = [
        Link(
            f"l{node_id(d.step + '>' + s.key)[1:]}",
            node_id(d.step),
            OUT_PORT,
            node_id(s.key),
            IN_PORT,
        )
        for s in ext.steps
        for d in s.after
    ]
    pipeline = Pipeline(name, registry)
    meta: dict[str, Any] = {"external": _facts(ext, gates, source, digest)}
    if previous is not None and isinstance(previous.meta.get("layout"), Mapping):
        meta["layout"] = dict(previous.meta["layout"])  # collapsed groups stay collapsed
    pipeline.load_items(nodes, links, _backdrops(ext, positions, band_h), meta)
    return pipeline


def _title(step: ExternalStep, ext: ExternalPipeline) -> str:
    clash = sum(1 for s in ext.steps if s.name == step.name) > 1
    return step.key if clash else step.name


def _params(
    step: ExternalStep, ext: ExternalPipeline, kind: str, rule: str, reason: str
) -> dict[str, Any]:
    return {
        "vendor": ext.vendor,
        "step_type": step.step_type,
        "step_key": step.key,
        "component": step.component,
        "image": step.image,
        "command": step.command,
        "inputs": _lines(step.inputs),
        "depends_on": "\n".join(f"{d.step} ({d.kind})" for d in step.after),
        "group": step.group,
        "branch": step.branch,
        "settings": _lines(step.settings),
        "location": step.location,
        "kind": kind,
        "kind_rule": rule,
        "placement_reason": reason,
    }


def _corrections(previous: Pipeline | None) -> dict[str, str]:
    """Kinds the user set by hand on an earlier import: step key -> kind."""
    out: dict[str, str] = {}
    if previous is None:
        return out
    for n in previous.nodes.values():
        p = n.params
        if n.type == EXTERNAL_STAGE and p.get("kind") and p.get("kind") != p.get("kind_rule"):
            out[str(p.get("step_key"))] = str(p["kind"])
    return out


def _facts(
    ext: ExternalPipeline, gates: Mapping[str, str], source: str, digest: str
) -> dict[str, Any]:
    by_key = {s.key: s for s in ext.steps}
    return {
        "vendor": ext.vendor,
        "format": ext.format,
        "format_title": FORMAT_TITLES[ext.format],
        "source": source,
        "sha256": digest,
        "description": ext.description,
        "parameters": dict(ext.parameters),
        "schedules": [dict(s) for s in ext.schedules],
        "gates": [
            {
                "step": g.step,
                "condition": g.condition,
                "if_steps": list(g.if_steps),
                "else_steps": list(g.else_steps),
                "metrics": list(g.metrics),
                "metric_gate": g.step in gates,
                "gated": gates.get(g.step, ""),
                "where": by_key[g.step].location if g.step in by_key else f"group {g.step}",
            }
            for g in ext.gates
        ],
        "caching": [s.key for s in ext.steps if "cache" in s.settings or "reuse" in s.settings],
        "groups": dict(ext.groups),
    }


def _backdrops(
    ext: ExternalPipeline, positions: Mapping[str, tuple[float, float]], band_h: float
) -> list[Note]:
    """A backdrop per nested group and band of the layout, around the nodes it holds (outer
    groups first, so inner ones are drawn on top)."""
    members: dict[tuple[str, int], list[tuple[float, float]]] = {}
    labels: dict[str, str] = {}
    for path, kind in ext.groups.items():
        for s in ext.steps:
            if s.group == path or s.group.startswith(path + "/"):
                pos = positions[s.key]
                members.setdefault((path, int(pos[1] // band_h)), []).append(pos)
        gate = next((g for g in ext.gates if g.step == path), None)
        label = f"{kind}: {path.rsplit('/', 1)[-1]}"
        if gate is not None and gate.condition:
            label += f" — when {gate.condition}"
        labels[path] = label
    notes: list[Note] = []
    for (path, band), (x0, y0, x1, y1) in backdrop_boxes(members, labels).items():
        colour = GROUP_COLOURS.get(ext.groups[path], "#eeeeee")
        notes.append(
            Note(node_id(f"group:{path}:{band}"), labels[path], x0, y0, x1 - x0, y1 - y0, colour)
        )
    return notes


def backdrop_boxes(
    members: Mapping[tuple[str, int], list[tuple[float, float]]], labels: Mapping[str, str]
) -> dict[tuple[str, int], tuple[float, float, float, float]]:
    """(x0, y0, x1, y1) of each group's backdrop in each band around the positions of its
    steps (external steps' size), outer groups first. An outer group whose label would fall on
    an inner group's label reaches higher, so the labels stack. (Import and the canvas'
    auto-layout both draw backdrops with this.)"""
    boxes: dict[tuple[str, int], list[float]] = {}
    for (path, band), inside in members.items():
        if not inside:
            continue
        pad = 24.0 - 6.0 * min(path.count("/"), 3)
        boxes[(path, band)] = [
            min(p[0] for p in inside) - pad,
            min(p[1] for p in inside) - pad - 22.0,
            max(p[0] for p in inside) + NODE_W + pad,
            max(p[1] for p in inside) + NODE_H + pad,
        ]
    for (path, band), box in sorted(boxes.items(), key=lambda kv: -kv[0][0].count("/")):
        for (inner, inner_band), other in boxes.items():
            if inner_band == band and inner.startswith(path + "/"):
                ours = box[0] + LABEL_W_PER_CHAR * len(labels.get(path, "")) + 40.0
                if other[0] < ours and box[0] < other[2] and other[1] < box[1] + LABEL_H:
                    box[1] = other[1] - LABEL_H  # climb above the inner group's label
    ordered = sorted(boxes.items(), key=lambda kv: (kv[0][0].count("/"), kv[0][0], kv[0][1]))
    return {key: (b[0], b[1], b[2], b[3]) for key, b in ordered}
