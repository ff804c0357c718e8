"""Vendor lifecycles (AWS, Google, Azure, TDSP) and the lens that places stages in their phases.

The facts live in ``resources/lifecycles/*.json`` with the reference's stable ids. A stage is
placed by its spec's explicit ``phases`` entry, else by its lifecycle ``kind``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from mlops_desktop.core.graph import Node, Pipeline
from mlops_desktop.core.resources import list_resources, load_json
from mlops_desktop.core.specs import StageSpec
from mlops_desktop.core.vendors import catalogue

LENS_ORDER = tuple(lens.id for lens in catalogue().lenses())  # aws, google, azure, tdsp


@dataclass(frozen=True, slots=True)
class Phase:
    id: str
    name: str
    description: str
    order: int


@dataclass(frozen=True, slots=True)
class Loop:
    id: str
    source: str
    target: str
    label: str


@dataclass(frozen=True, slots=True)
class Lifecycle:
    id: str
    vendor: str
    title: str
    source: str
    note: str
    phases: tuple[Phase, ...]
    loops: tuple[Loop, ...]
    kinds: dict[str, str]

    def phase(self, phase_id: str) -> Phase | None:
        return next((p for p in self.phases if p.id == phase_id), None)

    def phase_of(self, spec: StageSpec | None, node: Node | None = None) -> str | None:
        """The id of the phase ``spec`` (of ``node``, when given) belongs to, or ``None``."""
        if spec is None:
            return None
        explicit = spec.phases.get(self.id)
        if explicit is not None:
            return explicit or None  # "" means "explicitly no phase"
        return self.kinds.get(spec.kind_for(node.params) if node is not None else spec.kind)


@cache
def lifecycle(lens_id: str) -> Lifecycle:
    raw = load_json("lifecycles", f"{lens_id}.json")
    return Lifecycle(
        id=raw["id"],
        vendor=raw["vendor"],
        title=raw["title"],
        source=raw["source"],
        note=raw.get("note", ""),
        phases=tuple(
            Phase(p["id"], p["name"], p["description"], i) for i, p in enumerate(raw["phases"])
        ),
        loops=tuple(Loop(lp["id"], lp["from"], lp["to"], lp["label"]) for lp in raw["loops"]),
        kinds=dict(raw["kinds"]),
    )


def lifecycles() -> list[Lifecycle]:
    """Every shipped lifecycle, in lens order."""
    return [lifecycle(i) for i in _lifecycle_ids()]


@cache
def _lifecycle_ids() -> tuple[str, ...]:
    # Listed once: the lifecycle map asks on every redraw, a run's end included.
    ids = list_resources("lifecycles")
    ordered = [i for i in LENS_ORDER if i in ids] + [i for i in ids if i not in LENS_ORDER]
    return tuple(ordered)


@dataclass(frozen=True, slots=True)
class LensPlacement:
    """Where each node of a pipeline falls in one lifecycle."""

    lifecycle: Lifecycle
    by_phase: dict[str, list[Node]]
    unplaced: list[Node]


def place(pipeline: Pipeline, lens_id: str) -> LensPlacement:
    """Group the pipeline's nodes by the phases of lifecycle ``lens_id``."""
    lc = lifecycle(lens_id)
    by_phase: dict[str, list[Node]] = {p.id: [] for p in lc.phases}
    unplaced: list[Node] = []
    for node in pipeline.nodes.values():
        phase = lc.phase_of(pipeline.registry.find(node.type), node)
        if phase is None or phase not in by_phase:
            unplaced.append(node)
        else:
            by_phase[phase].append(node)
    return LensPlacement(lc, by_phase, unplaced)
