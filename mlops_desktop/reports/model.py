"""The content of a report as plain dataclasses, independent of how it is rendered.

Every section except the project summary is optional: a capability that has no data leaves
its section ``None`` (or empty) and adds an :class:`Omission` saying why, which the report
prints as a short note instead of an empty heading. All strings are user data and are
escaped by the renderers; nothing here is markup.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(slots=True)
class Figure:
    """An image for the report: PNG bytes or SVG text (PNG preferred by the PDF)."""

    caption: str
    png: bytes | None = None
    svg: str | None = None
    alt: str = ""
    kind: str = ""  # e.g. "pipeline", "trend", "confusion_matrix", "roc", "drift", "radar"
    # What a renderer needs to draw the figure when it has no image yet (plot data from
    # mlops_desktop.app.plot_data, a pipeline...); never rendered as text.
    data: Any = field(default=None, repr=False, compare=False)

    @property
    def has_image(self) -> bool:
        return bool(self.png) or bool(self.svg)

    def pixel_size(self) -> tuple[int, int]:
        """The natural size in pixels (PNG header, or the SVG's width/height), else (0, 0)."""
        if self.png and len(self.png) >= 24 and self.png[:8] == b"\x89PNG\r\n\x1a\n":
            w, h = struct.unpack(">II", self.png[16:24])
            return int(w), int(h)
        if self.svg:
            return _svg_size(self.svg)
        return 0, 0


def _svg_size(svg: str) -> tuple[int, int]:
    import re

    head = svg[:2000]
    w = re.search(r'<svg[^>]*\bwidth="([\d.]+)', head)
    h = re.search(r'<svg[^>]*\bheight="([\d.]+)', head)
    if w and h:
        return int(float(w.group(1))), int(float(h.group(1)))
    box = re.search(r'viewBox="[\d.\-]+[ ,]+[\d.\-]+[ ,]+([\d.]+)[ ,]+([\d.]+)"', head)
    if box:
        return int(float(box.group(1))), int(float(box.group(2)))
    return 0, 0


@dataclass(slots=True)
class Omission:
    """A section left out of the report and the reason, shown as a note."""

    section: str
    reason: str


@dataclass(slots=True)
class ProjectSummary:
    name: str
    description: str = ""
    template: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    pipelines: list[str] = field(default_factory=list)
    run_count: int = 0
    facts: list[tuple[str, str]] = field(default_factory=list)  # extra label/value pairs


@dataclass(slots=True)
class StageRow:
    """One stage of the pipeline with its parameters (as display strings)."""

    title: str
    stage_type: str
    category: str = ""
    phase: str = ""  # the phase of the chosen lens, "" when unplaced
    params: list[tuple[str, str]] = field(default_factory=list)
    node_id: str = ""


@dataclass(slots=True)
class PipelineSection:
    name: str
    version: int | None = None
    lens: str = ""
    lens_title: str = ""
    stages: list[StageRow] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (source title, target title)
    picture: Figure | None = None
    source: str = ""  # where the lens' lifecycle comes from (a URL)
    notes: list[str] = field(default_factory=list)  # the canvas notes (use case, goals...)
    edited_at: datetime | None = None  # when the pipeline was last changed (its latest version)
    origin: str = ""  # where an imported pipeline (or a local copy of one) comes from


@dataclass(slots=True)
class StageResult:
    title: str
    stage_type: str
    status: str
    duration_s: float | None = None
    error: str = ""
    log_excerpt: str = ""


@dataclass(slots=True)
class RunSummary:
    id: int
    status: str
    trigger: str = ""
    environment: str = ""
    pipeline: str = ""
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_s: float | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    message: str = ""
    commit: str = ""
    executor: str = ""
    stages: list[StageResult] = field(default_factory=list)


@dataclass(slots=True)
class RunComparison:
    """Recent runs side by side on a few headline metrics (newest first)."""

    runs: list[RunSummary]
    metric_keys: list[str]
    total_runs: int = 0
    hidden_metrics: int = 0  # metrics left out of the table to keep it readable


@dataclass(slots=True)
class ModelVersionRow:
    model: str
    version: int
    stage: str = ""  # aliases or stage, e.g. "production, champion"
    run_number: int | None = None  # the run's number in the project
    created_at: datetime | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    description: str = ""


@dataclass(slots=True)
class TransitionRow:
    when: datetime | None
    model: str
    version: int | None
    from_stage: str
    to_stage: str
    actor: str = ""
    reason: str = ""


@dataclass(slots=True)
class DeploymentRow:
    when: datetime | None
    model: str
    version: int | None
    environment: str
    strategy: str = ""
    actor: str = ""
    status: str = ""
    note: str = ""


@dataclass(slots=True)
class RegistrySection:
    versions: list[ModelVersionRow] = field(default_factory=list)
    transitions: list[TransitionRow] = field(default_factory=list)
    deployments: list[DeploymentRow] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.versions or self.transitions or self.deployments)


@dataclass(slots=True)
class TriggerRow:
    pipeline: str
    kind: str  # "Schedule", "Monitor alert"...
    fires_on: str  # in words
    enabled: bool = True


@dataclass(slots=True)
class FiringRow:
    when: datetime | None
    pipeline: str
    kind: str
    outcome: str  # "started", "queued (pipeline busy)", "failed: ..."
    run_number: int | None = None  # the run's number in the project


@dataclass(slots=True)
class AutomationSection:
    """What starts the project's pipelines, and the latest firings."""

    triggers: list[TriggerRow] = field(default_factory=list)
    firings: list[FiringRow] = field(default_factory=list)
    total_firings: int = 0

    @property
    def empty(self) -> bool:
        return not (self.triggers or self.firings)


@dataclass(slots=True)
class LoopStep:
    """One step of the continuous-training loop as it happened."""

    when: datetime | None
    what: str  # "gate", "kept out", "alert", "retraining", "no retraining", "canary"...
    run_number: int | None
    detail: str


@dataclass(slots=True)
class LoopSection:
    """The continuous-training loop's story: gates against the champion, what was kept out,
    alerts and the retraining they started, canaries and what became of them."""

    story: list[str] = field(default_factory=list)  # plain sentences, most telling first
    steps: list[LoopStep] = field(default_factory=list)  # oldest first (the latest ones)
    total_steps: int = 0

    @property
    def empty(self) -> bool:
        return not self.steps


@dataclass(slots=True)
class MaturityLevel:
    """The level reached in one vendor's model."""

    model_id: str  # "google", "azure", "aws", "mlts"
    model_title: str
    level_label: str  # e.g. "Level 1", "Repeatable"
    level: float | None = None  # the vendor's own numbering
    max_level: float | None = None
    normalized: float | None = None  # on the 0-4 crosswalk scale
    explanation: str = ""


@dataclass(slots=True)
class CriterionRow:
    model_id: str
    criterion_id: str
    title: str
    level: str = ""
    status: str = "unknown"  # "met", "not met", "unknown", "suggested"
    detect: str = ""  # AUTO, PARTIAL, ASK
    evidence: list[str] = field(default_factory=list)
    observed_at: datetime | None = None
    source_url: str = ""


@dataclass(slots=True)
class GapRow:
    model_id: str
    target_level: str
    criterion_id: str
    title: str
    action: str = ""


@dataclass(slots=True)
class CrosswalkRow:
    capability: str
    cells: dict[str, str] = field(default_factory=dict)  # model id -> what that model says
    level: float | None = None  # the 0-4 level at which the crosswalk expects the capability
    status: str = ""  # whether the project has it: "met", "not met", "suggested", "unknown"


@dataclass(slots=True)
class SourceRef:
    title: str
    url: str = ""


@dataclass(slots=True)
class MaturitySection:
    assessed_at: datetime | None = None
    levels: list[MaturityLevel] = field(default_factory=list)
    radar: Figure | None = None
    criteria: list[CriterionRow] = field(default_factory=list)
    gaps: list[GapRow] = field(default_factory=list)
    crosswalk: list[CrosswalkRow] = field(default_factory=list)
    crosswalk_models: list[tuple[str, str]] = field(default_factory=list)  # (id, title)
    sources: list[SourceRef] = field(default_factory=list)
    summary: str = ""  # e.g. the ML Test Score line
    short_names: dict[str, str] = field(default_factory=dict)  # model id -> name for tables
    hidden_criteria: int = 0  # criteria of higher levels left out of the table

    def model_title(self, model_id: str) -> str:
        if model_id in self.short_names:
            return self.short_names[model_id]
        for lvl in self.levels:
            if lvl.model_id == model_id:
                return lvl.model_title
        return dict(self.crosswalk_models).get(model_id, model_id)


@dataclass(slots=True)
class ReportData:
    """Everything a report shows. Only ``project`` is required."""

    project: ProjectSummary
    title: str = "MLOps report"
    generated_at: datetime | None = None
    app_version: str = ""
    lens: str = ""
    pipeline: PipelineSection | None = None
    latest_run: RunSummary | None = None
    recent_runs: RunComparison | None = None
    plots: list[Figure] = field(default_factory=list)
    registry: RegistrySection | None = None
    automation: AutomationSection | None = None
    loop: LoopSection | None = None
    maturity: MaturitySection | None = None
    omitted: list[Omission] = field(default_factory=list)

    def omit(self, section: str, reason: str) -> None:
        self.omitted.append(Omission(section, reason))

    def sections(self) -> list[tuple[str, str]]:
        """(anchor, heading) of each section present, in report order (the contents list)."""
        out = [("summary", "Summary")]
        if self.pipeline is not None:
            out.append(("pipeline", "Pipeline"))
        if self.latest_run is not None:
            out.append(("latest-run", "Latest run"))
        if self.recent_runs is not None and self.recent_runs.runs:
            out.append(("recent-runs", "Recent runs"))
        if any(f.has_image for f in self.plots):
            out.append(("plots", "Plots"))
        if self.registry is not None and not self.registry.empty:
            out.append(("registry", "Model registry and deployments"))
        if self.automation is not None and not self.automation.empty:
            out.append(("automation", "Triggers"))
        if self.loop is not None and not self.loop.empty:
            out.append(("loop", "Continuous-training loop"))
        if self.maturity is not None:
            out.append(("maturity", "Maturity assessment"))
        return out

    def figures(self) -> list[Figure]:
        """Every figure of the report (pipeline picture, plots, radar), in order."""
        out: list[Figure] = []
        if self.pipeline is not None and self.pipeline.picture is not None:
            out.append(self.pipeline.picture)
        out.extend(self.plots)
        if self.maturity is not None and self.maturity.radar is not None:
            out.append(self.maturity.radar)
        return [f for f in out if f.has_image]
