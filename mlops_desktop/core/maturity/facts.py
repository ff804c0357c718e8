"""A snapshot of everything the maturity rules can look at in one project.

The app gathers a :class:`ProjectFacts` from the workspace (pipelines, runs, registry,
deployments, alerts, imported CI results, the attached git repository, questionnaire
answers); tests build one by hand. The rules only read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, cached_property
from typing import Any, NamedTuple

from mlops_desktop.core.evidence.findings import RepoScan
from mlops_desktop.core.graph import Pipeline

ENV_ALIASES = {
    "production": "prod",
    "prod": "prod",
    "live": "prod",
    "staging": "staging",
    "preprod": "staging",
    "pre-production": "staging",
    "test": "test",
    "testing": "test",
    "qa": "test",
    "dev": "dev",
    "development": "dev",
    "experiment": "dev",
}
TRIGGER_TYPES = (
    "manual",
    "schedule",
    "data_arrival",
    "code_commit",
    "monitor_alert",
    "registry_event",
)


@cache  # a handful of names, asked for every run many times
def norm_env(env: str) -> str:
    """The reference's environment names: ``dev``, ``test``, ``staging``, ``prod``."""
    return ENV_ALIASES.get((env or "").strip().lower(), (env or "").strip().lower())


@dataclass(frozen=True, slots=True)
class PipelineFacts:
    """A pipeline of the project as last saved; ``triggers`` come from ``meta["triggers"]``
    plus the trigger records the app keeps for it."""

    name: str
    pipeline: Pipeline
    id: int | None = None
    version_id: int | None = None
    saved_at: datetime | None = None
    extra_triggers: tuple[Mapping[str, Any], ...] = ()

    @property
    def triggers(self) -> list[Mapping[str, Any]]:
        raw = self.pipeline.meta.get("triggers") or []
        out = [t for t in raw if isinstance(t, Mapping) and t.get("type")]
        return out + [t for t in self.extra_triggers if t not in out]


class StageFacts(NamedTuple):
    """One stage record of a run (a named tuple: a long history has a hundred thousand)."""

    node_id: str
    stage_type: str
    status: str
    duration_s: float | None = None


@dataclass(frozen=True, slots=True)
class RunFacts:
    id: int
    pipeline_name: str
    status: str
    trigger: str = "manual"
    environment: str = "dev"
    pipeline_id: int | None = None
    pipeline_version_id: int | None = None
    commit: str = ""
    executor: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)
    input_hashes: Mapping[str, str] = field(default_factory=dict)
    duration_s: float | None = None
    started_at: datetime | None = None
    stages: tuple[StageFacts, ...] = ()

    @property
    def env(self) -> str:
        return norm_env(self.environment)

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"

    def ran(self, node_id: str) -> bool:
        """The stage executed in this run (one served from the cache did not)."""
        return any(s.node_id == node_id and s.status == "succeeded" for s in self.stages)

    def ran_kind(self, stage_types: set[str]) -> bool:
        return any(s.stage_type in stage_types and s.status == "succeeded" for s in self.stages)


@dataclass(frozen=True, slots=True)
class ModelVersionFacts:
    name: str
    version: int
    run_id: int | None = None
    aliases: tuple[str, ...] = ()
    created_at: datetime | None = None
    metrics: Mapping[str, float] = field(default_factory=dict)
    approver: str = ""
    digest: str = ""  # the artifact's content hash: two versions with one digest are one model

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version}"


@dataclass(frozen=True, slots=True)
class DeploymentFacts:
    id: int
    environment: str
    strategy: str = "direct"
    approver: str = ""
    created_at: datetime | None = None
    model_name: str = ""
    model_version: int | None = None
    run_id: int | None = None
    status: str = "active"
    traffic_share: float = 1.0  # the share of requests the version served (canary: 0 < x < 1)
    digest: str = ""  # content hash of the deployed artifact (from its model version)

    @property
    def env(self) -> str:
        return norm_env(self.environment)

    @property
    def label(self) -> str:
        return f"#{self.id} {self.model_name} v{self.model_version} to {self.environment} ({self.strategy})"


@dataclass(frozen=True, slots=True)
class AlertFacts:
    id: int
    kind: str
    message: str = ""
    node_id: str = ""
    run_id: int | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CiResultFacts:
    """One imported JUnit suite (or file) from the team's CI."""

    id: int
    suite: str
    tests: int
    failures: int = 0
    errors: int = 0
    skipped: int = 0
    time_s: float = 0.0
    kind: str = "unit"  # unit | integration | load
    commit: str = ""
    imported_at: datetime | None = None
    cases: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return self.tests > 0 and self.failures == 0 and self.errors == 0


@dataclass(frozen=True, slots=True)
class Answer:
    question_id: str
    value: str  # yes | no | partial
    document: str = ""
    answered_at: datetime | None = None
    id: int = 0
    superseded_at: datetime | None = None  # set when a later answer replaced this one


@dataclass(frozen=True, slots=True)
class AssessmentRecord:
    """One stored score of one model at one time (for maturity over time)."""

    id: int
    project_id: int
    created_at: datetime
    model: str  # google | azure | aws | mlts | crosswalk
    level: float
    score: float  # normalized 0-4 (vendor models), the final score (mlts), the level (crosswalk)
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ProjectSummary:
    """Another project of the workspace (for the organisation-scale criteria)."""

    name: str
    template: str = "blank"
    created_at: datetime | None = None
    first_prod_deploy: datetime | None = None


@dataclass(frozen=True)
class ProjectFacts:
    project: str
    pipelines: tuple[PipelineFacts, ...] = ()
    runs: tuple[RunFacts, ...] = ()
    model_versions: tuple[ModelVersionFacts, ...] = ()
    deployments: tuple[DeploymentFacts, ...] = ()
    alerts: tuple[AlertFacts, ...] = ()
    ci_results: tuple[CiResultFacts, ...] = ()
    repo: str = ""
    answers: Mapping[str, Answer] = field(default_factory=dict)
    projects: tuple[ProjectSummary, ...] = ()
    registry_known: bool = True  # False when the workspace has no model registry to read
    repo_scan: RepoScan | None = None  # what the attached repository holds (None: not scanned)
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def pipeline(self, name: str) -> PipelineFacts | None:
        return next((p for p in self.pipelines if p.name == name), None)

    @cached_property
    def _runs_by_id(self) -> dict[int, RunFacts]:
        return {r.id: r for r in self.runs}

    def run(self, run_id: int) -> RunFacts | None:
        return self._runs_by_id.get(run_id)

    def summary(self) -> dict[str, Any]:
        """Counts that say what the assessment was based on."""
        return {
            "pipelines": len(self.pipelines),
            "nodes": sum(len(p.pipeline.nodes) for p in self.pipelines),
            "runs": len(self.runs),
            "model_versions": len(self.model_versions),
            "deployments": len(self.deployments),
            "alerts": len(self.alerts),
            "ci_results": len(self.ci_results),
            "repo": self.repo,
            "repo_findings": len(self.repo_scan.findings) if self.repo_scan else 0,
            "answers": len(self.answers),
        }
