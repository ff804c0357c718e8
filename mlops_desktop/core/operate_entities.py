"""Records of the operate side: the model registry, approvals, deployments, triggers, alerts.

Stores return these (never ORM rows); services and stages pass them around. The port values
that flow between the operate stages (a model version, a deployment) and the protocols by
which a stage reaches the app's registry (``ctx.services["registry"]``) and the GUI's
approval gate (``ctx.services["approvals"]``) live here too, so stages import core only.
Times are timezone-aware UTC datetimes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

ALIASES = ("candidate", "staging", "production", "archived")
ENVIRONMENTS = ("dev", "staging", "production")
STRATEGIES = ("direct", "canary", "shadow")


# config["origin"] of the triggers synchronised from a pipeline document
ORIGIN_PIPELINE = "pipeline"


class TriggerType(StrEnum):
    """What starts a pipeline run (also the value of ``Run.trigger``)."""

    MANUAL = "manual"
    SCHEDULE = "schedule"
    DATA_ARRIVAL = "data_arrival"
    MONITOR_ALERT = "monitor_alert"
    REGISTRY_EVENT = "registry_event"


class TriggerOutcome(StrEnum):
    """What happened when a trigger fired."""

    STARTED = "started"  # a run started at once
    QUEUED = "queued"  # the pipeline was busy: the run starts when it is free
    COALESCED = "coalesced"  # folded into another firing's run (started or queued)
    FAILED = "failed"  # the run could not be started
    SKIPPED = "skipped"  # a retraining with nothing new to learn from: no run


class DeploymentStatus(StrEnum):
    ACTIVE = "active"
    SUPERSEDED = "superseded"  # replaced by a later deployment in the same environment
    ROLLED_BACK = "rolled_back"


@dataclass(frozen=True, slots=True)
class RegisteredModel:
    id: int
    project_id: int
    name: str
    description: str
    created_at: datetime
    latest_version: int = 0
    aliases: dict[str, int] = field(default_factory=dict)  # alias -> version number


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """One registered version, linked to what produced it."""

    id: int
    model_id: int
    model_name: str
    project_id: int
    version: int
    created_at: datetime
    run_id: int | None = None
    pipeline_version_id: int | None = None
    dataset_hashes: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    artifact_digest: str = ""
    task: str = ""
    feature_names: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    approval: str = ""  # "", "approved" or "rejected" (the latest decision)
    approver: str = ""

    @property
    def label(self) -> str:
        return f"{self.model_name} v{self.version}"


@dataclass(frozen=True, slots=True)
class AliasTransition:
    """One entry of the append-only alias history."""

    id: int
    model_id: int
    model_name: str
    alias: str
    from_version: int | None
    to_version: int | None
    actor: str  # a user name, "trigger:<type>" or "run:<id>"
    reason: str
    created_at: datetime
    run_id: int | None = None
    kind: str = "promote"  # "promote" | "rollback" | "remove"


@dataclass(frozen=True, slots=True)
class Approval:
    id: int
    model_version_id: int
    decision: str  # "approved" or "rejected"
    approver: str  # a person's name, or "auto" for a headless policy
    comment: str
    created_at: datetime
    run_id: int | None = None


@dataclass(frozen=True, slots=True)
class Deployment:
    id: int
    project_id: int
    model_version_id: int
    model_name: str
    version: int
    environment: str
    strategy: str
    traffic_share: float
    approver: str
    status: str
    created_at: datetime
    run_id: int | None = None
    previous_version: int | None = None  # the version serving the environment before


@dataclass(frozen=True, slots=True)
class Trigger:
    id: int
    project_id: int
    pipeline_id: int
    pipeline_name: str
    type: str
    config: dict[str, Any]
    enabled: bool
    created_at: datetime
    state: dict[str, Any] = field(default_factory=dict)  # cursors: last tick, files seen...

    @property
    def declared(self) -> bool:
        """Whether the trigger comes from the pipeline document's ``meta["triggers"]``
        (synchronised from it) rather than being added to the workspace."""
        return self.config.get("origin") == ORIGIN_PIPELINE


@dataclass(frozen=True, slots=True)
class TriggerEvent:
    id: int
    project_id: int
    pipeline_id: int
    type: str
    outcome: str
    fired_at: datetime
    trigger_id: int | None = None
    run_id: int | None = None
    coalesced_into: int | None = None  # the event whose run this firing joined
    detail: dict[str, Any] = field(default_factory=dict)
    handled_at: datetime | None = None  # when a queued event got its run


@dataclass(frozen=True, slots=True)
class MonitorAlert:
    id: int
    project_id: int
    pipeline_id: int | None
    run_id: int | None
    node_id: str
    kind: str  # "drift", "quality", "latency"...
    message: str
    details: dict[str, Any]
    created_at: datetime


# ---------------------------------------------------------------------------- port values
# Port values hold plain fields only (no datetimes, no entities) so the engine can store them
# as artifacts; the registry record is looked up by id when the full entity is needed.
@dataclass(slots=True)
class ModelVersionValue:
    """What flows along a ModelVersion link: which registered version, and the fitted model
    (a :class:`mlops_desktop.core.execution.ModelValue`)."""

    model_version_id: int
    model_name: str
    version: int
    model: Any
    approval: str = ""  # "", "approved" or "rejected"
    approver: str = ""
    checks: dict[str, Any] = field(default_factory=dict)  # test results, package digest...

    @property
    def label(self) -> str:
        return f"{self.model_name} v{self.version}"


@dataclass(slots=True)
class DeploymentValue:
    """What flows along a Deployment link: the deployment and the models it serves.

    For a canary, ``primary`` is the model serving the remaining traffic; for a shadow, the
    model whose answers count. ``None`` when the deployed version serves everything.
    """

    deployment_id: int
    environment: str
    strategy: str
    traffic_share: float
    model_name: str
    version: int
    model: Any  # ModelValue of the deployed version
    primary: Any = None  # ModelValue of the version serving the other traffic
    primary_version: int | None = None


# ---------------------------------------------------------------------------- services
@dataclass(frozen=True, slots=True)
class ApprovalRequest:
    run_id: int
    node_id: str
    version: ModelVersion
    summary: str = ""
    # When the question lapses (epoch seconds; None = wait as long as it takes), and what
    # the run does then, in words for the person ("reject", "approve if the tests pass").
    deadline: float | None = None
    fallback: str = ""


@dataclass(frozen=True, slots=True)
class ApprovalDecision:
    approved: bool
    approver: str
    comment: str = ""


@runtime_checkable
class ApprovalProvider(Protocol):
    """Asks a person (the GUI's approval dialog). Blocks the calling worker thread until the
    person answers, or returns None once ``request.deadline`` has passed without an answer;
    ``check_cancelled`` raises when the run is cancelled meanwhile."""

    def request(
        self, request: ApprovalRequest, check_cancelled: Callable[[], None]
    ) -> ApprovalDecision | None: ...


@runtime_checkable
class OperateBackend(Protocol):
    """What the operate stages ask of the app (``ctx.services["registry"]``)."""

    def register_version(
        self,
        run_id: int,
        model_name: str,
        *,
        artifact_digest: str,
        params: Mapping[str, Any],
        metrics: Mapping[str, float],
        dataset_hashes: Mapping[str, str],
        task: str,
        feature_names: list[str],
        alias: str | None,
    ) -> ModelVersion: ...

    def version_by_alias(self, run_id: int, model_name: str, alias: str) -> ModelVersion | None: ...

    def active_deployment(self, run_id: int, environment: str) -> Deployment | None: ...

    def version_by_id(self, version_id: int) -> ModelVersion: ...

    def serving(self, run_id: int, environment: str) -> list[Deployment]: ...

    def reference_metric(self, run_id: int, key: str, where: Mapping[str, float]) -> Any: ...

    def served_batches(
        self, run_id: int, node_id: str, delay_runs: int, window_runs: int
    ) -> list[tuple[int, Any]]: ...

    def select_version(
        self, run_id: int, model_name: str, select: str, alias: str, version: int
    ) -> ModelVersion | None: ...

    def model_bytes(self, version: ModelVersion) -> bytes: ...

    def load_estimator(self, version: ModelVersion) -> Any: ...

    def package_folder(self, run_id: int, model_name: str, version: int) -> str: ...

    def record_approval(
        self, run_id: int, version_id: int, approved: bool, approver: str, comment: str
    ) -> Approval: ...

    def deploy(
        self,
        run_id: int,
        version_id: int,
        environment: str,
        strategy: str,
        traffic_share: float,
        approver: str,
    ) -> Deployment: ...

    def record_alert(
        self, run_id: int, node_id: str, kind: str, message: str, details: Mapping[str, Any]
    ) -> MonitorAlert: ...

    def judge_canary(
        self, run_id: int, environment: str, min_rows: int
    ) -> dict[str, Any] | None: ...

    def next_counter(self, run_id: int, key: str) -> int: ...
