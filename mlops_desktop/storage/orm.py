"""SQLAlchemy ORM base and the workspace's core tables (projects, pipelines, runs, metrics).

Every ORM module of the workspace (this one, ``orm_registry``, ``orm_assessments``...) maps
its classes on :class:`Base`, so one ``Base.metadata`` describes the whole schema. The
naming convention gives every index and constraint a stable name, which Alembic needs to
alter them on SQLite (batch mode) and to compare the migrated schema with the models.

ORM classes (``Sql*``) never leave the stores: the stores convert them to the plain records
of :mod:`mlops_desktop.core.entities`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every workspace table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime, stored as a naive UTC timestamp on every dialect."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utc_from_driver(value: datetime | str | None) -> datetime | None:
    """What :class:`UtcDateTime` reads, from a value straight from the database driver
    (SQLite's text, PostgreSQL's naive datetime): for reads that skip SQLAlchemy's rows."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)


def json_object_from_driver(value: dict[str, Any] | str | None) -> dict[str, Any]:
    """A JSON column holding an object, from a value straight from the database driver
    (SQLite's text, PostgreSQL's decoded object); ``{}`` for NULL."""
    if value is None:
        return {}
    if isinstance(value, str):
        decoded = json.loads(value)
        return decoded if isinstance(decoded, dict) else {}
    return dict(value)


def utc_now() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


# 64-bit ids where tables grow large; SQLite only auto-increments an INTEGER primary key.
BigId = BigInteger().with_variant(Integer(), "sqlite")


# --- 0001_foundation ---------------------------------------------------------------------


class SqlProject(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    template: Mapped[str] = mapped_column(String(100), default="blank")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # The last run number handed out in this project (never given twice).
    last_run_number: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class SqlPipeline(Base):
    __tablename__ = "pipelines"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    latest_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SqlPipelineVersion(Base):
    __tablename__ = "pipeline_versions"
    __table_args__ = (UniqueConstraint("pipeline_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pipeline_id: Mapped[int] = mapped_column(
        ForeignKey("pipelines.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SqlSetting(Base):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


# --- 0002_runs ---------------------------------------------------------------------------


class SqlRun(Base):
    __tablename__ = "runs"
    __table_args__ = (
        Index("ix_runs_project_id_created_at", "project_id", "created_at"),
        Index("ix_runs_status", "status"),
        Index("ix_runs_project_number", "project_id", "number", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    # The run's number within its project: a project's first run is #1.
    number: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    pipeline_id: Mapped[int] = mapped_column(
        ForeignKey("pipelines.id", ondelete="CASCADE"), index=True
    )
    pipeline_version_id: Mapped[int] = mapped_column(
        ForeignKey("pipeline_versions.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20))
    trigger: Mapped[str] = mapped_column(String(50), default="manual")
    environment: Mapped[str] = mapped_column(String(50), default="dev")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    input_hashes: Mapped[dict[str, str]] = mapped_column(JSON)
    app_version: Mapped[str] = mapped_column(String(50), default="")
    executor: Mapped[str] = mapped_column(String(50), default="")
    commit: Mapped[str] = mapped_column(String(100), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    owner_host: Mapped[str] = mapped_column(String(255), default="")
    owner_pid: Mapped[int] = mapped_column(Integer, default=0)
    owner_token: Mapped[str] = mapped_column(String(100), default="")


class SqlStageRun(Base):
    __tablename__ = "stage_runs"
    # the run's own index ends with the record id: a run's records in record order, unsorted
    __table_args__ = (
        UniqueConstraint("run_id", "node_id"),
        Index("ix_stage_runs_run_id", "run_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    node_id: Mapped[str] = mapped_column(String(200))
    stage_type: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    duration_s: Mapped[float | None] = mapped_column(Double, nullable=True)
    log: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")
    cache_key: Mapped[str] = mapped_column(String(64), default="")
    outputs: Mapped[dict[str, str]] = mapped_column(JSON)


class SqlMetric(Base):
    __tablename__ = "metrics"
    __table_args__ = (Index("ix_metrics_run_id_key_step", "run_id", "key", "step"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(250))
    step: Mapped[int] = mapped_column(BigInteger)
    value: Mapped[float] = mapped_column(Double)
    timestamp: Mapped[float] = mapped_column(Double)
    node_id: Mapped[str] = mapped_column(String(200), default="")


class SqlCacheEntry(Base):
    __tablename__ = "cache_entries"

    cache_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    stage_type: Mapped[str] = mapped_column(String(200))
    outputs: Mapped[dict[str, str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


# --- 0005_metric_chunks ------------------------------------------------------------------


class SqlMetricChunk(Base):
    """Up to a chunk's worth of points of one series, packed as little-endian arrays:
    ``steps`` int64, ``values`` and ``timestamps`` float64, sorted by step (stable).
    ``steps`` is empty when they are consecutive from ``first_step``; ``timestamps`` holds
    one value when all are equal. ``last_value`` is the value of the last-written point at
    ``last_step`` (see :mod:`mlops_desktop.storage.metrics`)."""

    __tablename__ = "metric_chunks"
    __table_args__ = (
        Index("ix_metric_chunks_run_id_key_first_step", "run_id", "key", "first_step"),
        # covering: the latest values of many runs never read the packed arrays (0006)
        Index("ix_metric_chunks_latest", "run_id", "key", "last_step", "id", "last_value"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(250))
    node_id: Mapped[str] = mapped_column(String(200), default="")
    first_step: Mapped[int] = mapped_column(BigInteger)
    last_step: Mapped[int] = mapped_column(BigInteger)
    n: Mapped[int] = mapped_column(Integer)
    last_value: Mapped[float | None] = mapped_column(Double, nullable=True)  # NULL: NaN
    steps: Mapped[bytes] = mapped_column(LargeBinary)
    values: Mapped[bytes] = mapped_column(LargeBinary)
    timestamps: Mapped[bytes] = mapped_column(LargeBinary)
