"""PipelineStore: named pipelines of a project, each saved state kept as a version."""

from __future__ import annotations

import builtins
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mlops_desktop.core.entities import PipelineInfo, PipelineVersion
from mlops_desktop.core.errors import ConflictError, FormatError, NotFoundError
from mlops_desktop.storage._util import clean_name, content_hash
from mlops_desktop.storage.database import Database
from mlops_desktop.storage.orm import SqlPipeline, SqlPipelineVersion, SqlProject, utc_now


def to_info(row: SqlPipeline) -> PipelineInfo:
    return PipelineInfo(
        id=row.id,
        project_id=row.project_id,
        name=row.name,
        latest_version=row.latest_version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def to_version(row: SqlPipelineVersion) -> PipelineVersion:
    return PipelineVersion(
        id=row.id,
        pipeline_id=row.pipeline_id,
        version=row.version,
        document=row.document,
        content_hash=row.content_hash,
        created_at=row.created_at,
        message=row.message,
    )


def _check_document(document: Any) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise FormatError("a pipeline document must be a JSON object")
    return document


def add_pipeline(
    s: Session, project_id: int, name: str, document: dict[str, Any], message: str = ""
) -> tuple[SqlPipeline, SqlPipelineVersion]:
    """Insert a pipeline and its version 1 in the caller's transaction."""
    name = clean_name(name, "pipeline")
    document = _check_document(document)
    if s.get(SqlProject, project_id) is None:
        raise NotFoundError(f"no project #{project_id}")
    taken = select(SqlPipeline.id).where(
        SqlPipeline.project_id == project_id, SqlPipeline.name == name
    )
    if s.scalar(taken) is not None:
        raise ConflictError(f"the project already has a pipeline named '{name}'")
    now = utc_now()
    row = SqlPipeline(
        project_id=project_id, name=name, latest_version=1, created_at=now, updated_at=now
    )
    s.add(row)
    s.flush()
    version = SqlPipelineVersion(
        pipeline_id=row.id,
        version=1,
        document=document,
        content_hash=content_hash(document),
        message=message,
        created_at=now,
    )
    s.add(version)
    s.flush()
    return row, version


class PipelineStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create(self, project_id: int, name: str, document: dict[str, Any]) -> PipelineInfo:
        try:
            with self._db.write() as s:
                row, _ = add_pipeline(s, project_id, name, document, "created")
                return to_info(row)
        except IntegrityError:
            raise ConflictError(f"the project already has a pipeline named '{name}'") from None

    def list(self, project_id: int) -> list[PipelineInfo]:
        query = (
            select(SqlPipeline).where(SqlPipeline.project_id == project_id).order_by(SqlPipeline.id)
        )
        with self._db.read() as s:
            return [to_info(r) for r in s.scalars(query)]

    def get(self, project_id: int, name: str) -> PipelineInfo:
        query = select(SqlPipeline).where(
            SqlPipeline.project_id == project_id, SqlPipeline.name == name
        )
        with self._db.read() as s:
            row = s.scalar(query)
            if row is None:
                raise NotFoundError(f"the project has no pipeline named '{name}'")
            return to_info(row)

    def get_by_id(self, pipeline_id: int) -> PipelineInfo:
        with self._db.read() as s:
            return to_info(self._row(s, pipeline_id))

    def save(
        self, pipeline_id: int, document: dict[str, Any], message: str = ""
    ) -> PipelineVersion:
        """A new version when the content changed; otherwise the latest version unchanged."""
        document = _check_document(document)
        digest = content_hash(document)
        with self._db.write() as s:
            row = self._row(s, pipeline_id, for_update=True)
            latest = self._version_row(s, pipeline_id, row.latest_version)
            if latest.content_hash == digest:
                return to_version(latest)
            now = utc_now()
            row.latest_version += 1
            row.updated_at = now
            version = SqlPipelineVersion(
                pipeline_id=pipeline_id,
                version=row.latest_version,
                document=document,
                content_hash=digest,
                message=message,
                created_at=now,
            )
            s.add(version)
            s.flush()
            return to_version(version)

    def latest(self, pipeline_id: int) -> PipelineVersion:
        with self._db.read() as s:
            row = self._row(s, pipeline_id)
            return to_version(self._version_row(s, pipeline_id, row.latest_version))

    def version(self, pipeline_version_id: int) -> PipelineVersion:
        with self._db.read() as s:
            row = s.get(SqlPipelineVersion, pipeline_version_id)
            if row is None:
                raise NotFoundError(f"no pipeline version #{pipeline_version_id}")
            return to_version(row)

    def versions(self, pipeline_id: int) -> builtins.list[PipelineVersion]:
        query = (
            select(SqlPipelineVersion)
            .where(SqlPipelineVersion.pipeline_id == pipeline_id)
            .order_by(SqlPipelineVersion.version)
        )
        with self._db.read() as s:
            self._row(s, pipeline_id)
            return [to_version(r) for r in s.scalars(query)]

    def rename(self, pipeline_id: int, new: str) -> PipelineInfo:
        new = clean_name(new, "pipeline")
        try:
            with self._db.write() as s:
                row = self._row(s, pipeline_id)
                taken = select(SqlPipeline.id).where(
                    SqlPipeline.project_id == row.project_id,
                    SqlPipeline.name == new,
                    SqlPipeline.id != pipeline_id,
                )
                if s.scalar(taken) is not None:
                    raise ConflictError(f"the project already has a pipeline named '{new}'")
                row.name = new
                row.updated_at = utc_now()
                return to_info(row)
        except IntegrityError:
            raise ConflictError(f"the project already has a pipeline named '{new}'") from None

    def delete(self, pipeline_id: int) -> None:
        """Delete a pipeline with its versions and runs."""
        with self._db.write() as s:
            self._row(s, pipeline_id)
            s.execute(delete(SqlPipeline).where(SqlPipeline.id == pipeline_id))

    @staticmethod
    def _row(s: Session, pipeline_id: int, *, for_update: bool = False) -> SqlPipeline:
        query = select(SqlPipeline).where(SqlPipeline.id == pipeline_id)
        if for_update:  # PostgreSQL row lock; SQLite writers are serialised by BEGIN IMMEDIATE
            query = query.with_for_update()
        row = s.scalar(query)
        if row is None:
            raise NotFoundError(f"no pipeline #{pipeline_id}")
        return row

    @staticmethod
    def _version_row(s: Session, pipeline_id: int, version: int) -> SqlPipelineVersion:
        row = s.scalar(
            select(SqlPipelineVersion).where(
                SqlPipelineVersion.pipeline_id == pipeline_id,
                SqlPipelineVersion.version == version,
            )
        )
        if row is None:
            raise NotFoundError(f"pipeline #{pipeline_id} has no version {version}")
        return row
