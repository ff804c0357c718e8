"""Make a local copy: an imported pipeline of external steps → an editable native pipeline.

Each external step whose lifecycle kind has a built-in counterpart becomes that built-in
stage (data ingestion → Load data, data preparation → Split or Feature engineering,
training → Train, evaluation → Evaluate, a metric gate → Model gate, registration →
Register model...). Its inputs are linked from the nearest step before it (in the imported
pipeline's own dependencies) that gives the right port type; when none does, the stage that
gives it is added (a Load data when the cloud pipeline reads its data in a step of its own
it does not name, a Split before training...) and marked as added. Steps with no built-in
counterpart are left out and listed. The copy records where it came from in
``meta["origin"]`` and carries none of the imported definition's facts
(``meta["external"]``): whatever it shows as evidence it earns by running here.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mlops_desktop.core.cloud.convert import EXTERNAL_STAGE
from mlops_desktop.core.graph import Link, Node, Note, Pipeline
from mlops_desktop.core.registry import StageRegistry

COL_W, ROW_H = 260.0, 150.0
NOTE_COLOUR = "#fff3b0"

# lifecycle kind -> built-in stage id (data_transform is decided by the step's name)
STAGE_FOR_KIND: dict[str, str] = {
    "data_ingest": "load_data",
    "data_validate": "validate_data",
    "feature_eng": "feature_engineering",
    "train": "train",
    "tune": "tune",
    "evaluate": "evaluate",
    "model_validate": "model_gate",
    "register": "register_model",
    "approve": "approve",
    "package": "package",
    "deploy": "deploy",
    "serve": "serve",
    "monitor": "monitor",
    "test_load": "model_tests",
}
# port type -> the built-in stage added when nothing before a stage gives that type
PROVIDERS: dict[str, str] = {
    "Dataset": "load_data",
    "Split": "split",
    "Model": "train",
    "Metrics": "evaluate",
    "Predictions": "evaluate",
    "ModelVersion": "register_model",
}
WHY_ADDED: dict[str, str] = {
    "load_data": "reads the local data sample (the cloud pipeline reads its data elsewhere)",
    "split": "splits the data into training and test rows before training",
    "train": "trains the model the later steps need",
    "evaluate": "scores the model on the test rows for the steps that read metrics",
    "register_model": "registers the model version the later steps need",
}
_SPLIT_WORDS = re.compile(r"split|partition|train.?test|holdout")


@dataclass(slots=True)
class LocalCopy:
    """The native pipeline and what was mapped, added and left out."""

    pipeline: Pipeline
    mapped: dict[str, str] = field(default_factory=dict)  # native node id -> step key
    added: dict[str, str] = field(default_factory=dict)  # native node id -> why
    unmapped: list[dict[str, str]] = field(default_factory=list)  # {step, kind, reason}

    def summary(self) -> str:
        parts = [f"{len(self.mapped)} step(s) mapped to built-in stages"]
        if self.added:
            parts.append(f"{len(self.added)} stage(s) added so it runs")
        if self.unmapped:
            names = ", ".join(u["step"] for u in self.unmapped[:6])
            more = "…" if len(self.unmapped) > 6 else ""
            parts.append(f"{len(self.unmapped)} not mapped ({names}{more})")
        return "; ".join(parts)


def stage_for(node: Node) -> tuple[str | None, str]:
    """The built-in stage for an external node, or ``None`` with the reason there is none."""
    kind = str(node.params.get("kind") or "other")
    if kind == "data_transform":
        words = f"{node.title} {node.params.get('component', '')}".lower()
        return ("split" if _SPLIT_WORDS.search(words) else "feature_engineering"), ""
    stage = STAGE_FOR_KIND.get(kind)
    if stage is not None:
        return stage, ""
    if kind == "other":
        return None, "its lifecycle kind is unknown (set Lifecycle kind on the imported step)"
    return None, f"no built-in stage does '{kind.replace('_', ' ')}'"


class _Builder:
    def __init__(
        self, source: Pipeline, registry: StageRegistry, data: Mapping[str, Any] | None = None
    ) -> None:
        self.src = source
        self.registry = registry
        self.data = dict(data or {})
        self.nodes: dict[str, Node] = {}
        self.links: list[Link] = []
        self.native_of: dict[str, str] = {}  # external node id -> native node id
        self.helpers: dict[str, list[str]] = {}  # external node id -> stages added for it
        self.shared: dict[tuple[str, tuple[tuple[str, str, str], ...]], str] = {}
        self.copy = LocalCopy(Pipeline(source.name, registry))
        self.preds: dict[str, list[str]] = {n: [] for n in source.nodes}
        for lk in source.links.values():
            if lk.target in self.preds and lk.source in source.nodes:
                self.preds[lk.target].append(lk.source)

    # -------------------------------------------------------------- stages
    def add(self, stage_id: str, title: str, origin: Node | None) -> str:
        spec = self.registry.get(stage_id)
        node_id = f"n{len(self.nodes) + 1}"
        x, y = (origin.x, origin.y) if origin is not None else (0.0, 0.0)
        params = spec.validate_params(self.data if stage_id == "load_data" else {})
        self.nodes[node_id] = Node(node_id, stage_id, title, params, x, y)
        return node_id

    def outputs(self, native_id: str) -> dict[str, str]:
        spec = self.registry.get(self.nodes[native_id].type)
        return {p.type.value: p.name for p in spec.outputs}

    def nearest(self, ext_id: str, port_type: str) -> tuple[str, str] | None:
        """(native node, output port) of type ``port_type`` nearest before ``ext_id`` (the
        stages added for ``ext_id`` itself first)."""
        seen: set[str] = set()
        queue = deque([ext_id])
        while queue:
            prev = queue.popleft()
            if prev in seen:
                continue
            seen.add(prev)
            native = self.native_of.get(prev) if prev != ext_id else None
            candidates = [native] if native is not None else []
            for candidate in [*candidates, *reversed(self.helpers.get(prev, []))]:
                port = self.outputs(candidate).get(port_type)
                if port is not None:
                    return candidate, port
            queue.extend(self.preds.get(prev, ()))
        return None

    def provide(self, ext_id: str, port_type: str) -> tuple[str, str]:
        """What gives ``port_type`` to a stage of ``ext_id``: the nearest stage before it, or
        a stage added for it (one added stage serves every step that needs the same)."""
        found = self.nearest(ext_id, port_type)
        if found is not None:
            return found
        stage_id = PROVIDERS[port_type]
        inputs = self.sources(ext_id, stage_id)
        key = (stage_id, tuple(inputs))
        helper = self.shared.get(key)
        if helper is None:
            spec = self.registry.get(stage_id)
            helper = self.add(stage_id, self.unique(spec.title), self.src.nodes.get(ext_id))
            self.shared[key] = helper
            self.copy.added[helper] = WHY_ADDED[stage_id]
            self.link(inputs, helper)
        self.helpers.setdefault(ext_id, []).append(helper)
        return helper, self.outputs(helper)[port_type]

    def sources(self, ext_id: str, stage_id: str) -> list[tuple[str, str, str]]:
        """(input port, source node, source port) for each input of a ``stage_id`` stage of
        ``ext_id``: required inputs always, optional ones when a step before gives them."""
        out: list[tuple[str, str, str]] = []
        for port in self.registry.get(stage_id).inputs:
            ptype = port.type.value
            if port.optional or ptype not in PROVIDERS:
                found = self.nearest(ext_id, ptype)
                if found is None:
                    continue
            else:
                found = self.provide(ext_id, ptype)
            out.append((port.name, *found))
        return out

    def link(self, inputs: list[tuple[str, str, str]], target: str) -> None:
        for port, src, src_port in inputs:
            self.links.append(Link(f"k{len(self.links) + 1}", src, src_port, target, port))

    def unique(self, title: str) -> str:
        titles = {n.title for n in self.nodes.values()}
        if title not in titles:
            return title
        i = 2
        while f"{title} {i}" in titles:
            i += 1
        return f"{title} {i}"

    # ---------------------------------------------------------------- build
    def build(self) -> LocalCopy:
        for ext_id in self.src.execution_order():
            node = self.src.nodes[ext_id]
            if node.type != EXTERNAL_STAGE:
                continue
            stage_id, reason = stage_for(node)
            key = str(node.params.get("step_key") or node.title)
            if stage_id is None:
                self.copy.unmapped.append(
                    {"step": node.title, "kind": str(node.params.get("kind", "")), "reason": reason}
                )
                continue
            inputs = self.sources(ext_id, stage_id)
            native = self.add(stage_id, self.unique(node.title), node)
            self.native_of[ext_id] = native
            self.copy.mapped[native] = key
            self.link(inputs, native)
        if not self.copy.mapped:
            from mlops_desktop.core.errors import GraphError

            raise GraphError(
                f"no step of '{self.src.name}' has a built-in counterpart to copy (set the "
                "Lifecycle kind of its steps in the inspector)"
            )
        self.layout()
        return self.copy

    def layout(self) -> None:
        """Columns by longest path, rows in order: a left-to-right picture of the copy."""
        preds: dict[str, list[str]] = {n: [] for n in self.nodes}
        for lk in self.links:
            preds[lk.target].append(lk.source)
        for ext_id, native in self.native_of.items():  # and after what it followed there
            preds[native] += [self.native_of[p] for p in self.preds[ext_id] if p in self.native_of]
        layer: dict[str, int] = {}
        for nid in self.nodes:  # links only point from earlier nodes to later ones
            layer[nid] = 1 + max((layer[p] for p in preds[nid] if p in layer), default=-1)
        rows: dict[int, int] = {}
        for nid in sorted(self.nodes, key=lambda n: (layer[n], self.nodes[n].y, n)):
            row = rows.get(layer[nid], 0)
            rows[layer[nid]] = row + 1
            self.nodes[nid] = self.nodes[nid].with_(x=layer[nid] * COL_W, y=row * ROW_H)


def make_local_copy(
    source: Pipeline,
    registry: StageRegistry,
    name: str,
    origin: Mapping[str, Any],
    data: Mapping[str, Any] | None = None,
) -> LocalCopy:
    """The native pipeline for the imported pipeline ``source`` (``origin``: where it comes
    from, e.g. the pipeline's name, id and version; ``data``: Load data parameters, e.g. the
    team's sample file and target). Raises ``GraphError`` when nothing maps."""
    builder = _Builder(source, registry, data)
    result = builder.build()
    facts = source.meta.get("external")
    ext = facts if isinstance(facts, Mapping) else {}
    record: dict[str, Any] = {
        "type": "local_copy",
        **origin,
        "vendor": ext.get("vendor", ""),
        "format": ext.get("format", ""),
        "file": ext.get("source", ""),
        "sha256": ext.get("sha256", ""),
        "mapped": {builder.nodes[n].title: step for n, step in result.mapped.items()},
        "added": {builder.nodes[n].title: why for n, why in result.added.items()},
        "unmapped": list(result.unmapped),
    }
    notes = [_note(source.name, builder, result)]
    pipeline = Pipeline(name, registry)
    pipeline.load_items(builder.nodes.values(), builder.links, notes, {"origin": record})
    result.pipeline = pipeline
    return result


def _note(source_name: str, builder: _Builder, result: LocalCopy) -> Note:
    lines = [f"Local copy of the imported pipeline '{source_name}'."]
    if result.added:
        added = ", ".join(builder.nodes[n].title for n in result.added)
        lines.append(f"Added so it runs: {added}.")
    if result.unmapped:
        lines.append("Not mapped (no built-in counterpart):")
        lines += [f"• {u['step']} — {u['reason']}" for u in result.unmapped[:12]]
        if len(result.unmapped) > 12:
            lines.append(f"• … and {len(result.unmapped) - 12} more")
    height = 40.0 + 20.0 * len(lines)
    bottom = max((n.y for n in builder.nodes.values()), default=0.0) + ROW_H
    return Note("local-copy-origin", "\n".join(lines), 0.0, bottom, 520.0, height, NOTE_COLOUR)
