"""Plain records that stores return and services pass around (never ORM rows).

Times are timezone-aware UTC datetimes. Later capabilities add their records here too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


@dataclass(frozen=True, slots=True)
class Project:
    id: int
    name: str
    description: str
    template: str
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


@dataclass(frozen=True, slots=True)
class PipelineInfo:
    """A named pipeline of a project and its latest version number."""

    id: int
    project_id: int
    name: str
    latest_version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class PipelineVersion:
    """One saved state of a pipeline: the JSON document exactly as it was saved."""

    id: int
    pipeline_id: int
    version: int
    document: dict[str, Any]
    content_hash: str
    created_at: datetime
    message: str = ""


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"
    # Every stage did its work and a gate kept the result out (a model gate refused the
    # challenger, a person rejected the version): an outcome, not an error.
    KEPT_OUT = "kept_out"

    @property
    def finished(self) -> bool:
        return self not in (RunStatus.QUEUED, RunStatus.RUNNING)

    @property
    def label(self) -> str:
        """The status in words (``kept out``)."""
        return self.value.replace("_", " ")

    @property
    def completed(self) -> bool:
        """The run did what it was built to do: succeeded, or a gate kept its result out."""
        return self in (RunStatus.SUCCEEDED, RunStatus.KEPT_OUT)


class StageStatus(StrEnum):
    IDLE = "idle"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CACHED = "cached"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"
    WAITING = "waiting"  # e.g. an approval gate waiting for a person


@dataclass(frozen=True, slots=True)
class StageRun:
    node_id: str
    stage_type: str
    title: str
    status: StageStatus
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_s: float | None = None
    log: str = ""
    error: str = ""
    cache_key: str = ""
    outputs: dict[str, str] = field(default_factory=dict)  # port -> artifact hash


@dataclass(frozen=True, slots=True)
class Run:
    id: int
    project_id: int
    pipeline_id: int
    pipeline_version_id: int
    status: RunStatus
    trigger: str
    environment: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    params: dict[str, Any] = field(default_factory=dict)
    input_hashes: dict[str, str] = field(default_factory=dict)
    app_version: str = ""
    executor: str = ""
    commit: str = ""
    message: str = ""
    stages: tuple[StageRun, ...] = ()
    # The run's number within its project (a project's first run is #1); 0 before it is stored.
    number: int = 0

    @property
    def label(self) -> str:
        """How people refer to the run: ``#`` and its number within the project."""
        return f"#{self.number or self.id}"

    @property
    def duration_s(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


@dataclass(frozen=True, slots=True)
class MetricPoint:
    key: str
    value: float
    step: int
    timestamp: float
    node_id: str = ""
