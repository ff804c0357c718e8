"""ProjectStore: projects with unique names, soft delete, restore and purge."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mlops_desktop.core.entities import Project
from mlops_desktop.core.errors import ConflictError, NotFoundError
from mlops_desktop.storage._util import clean_name
from mlops_desktop.storage.database import Database
from mlops_desktop.storage.orm import SqlProject, utc_now
from mlops_desktop.storage.pipelines import add_pipeline


def to_project(row: SqlProject) -> Project:
    return Project(
        id=row.id,
        name=row.name,
        description=row.description,
        template=row.template,
        created_at=row.created_at,
        updated_at=row.updated_at,
        deleted_at=row.deleted_at,
    )


def find_project(session: Session, name_or_id: str | int, *, include_deleted: bool) -> SqlProject:
    """The project row by id or name; NotFoundError (with a hint for deleted ones)."""
    if isinstance(name_or_id, int):
        row = session.get(SqlProject, name_or_id)
        label = f"#{name_or_id}"
    else:
        row = session.scalar(select(SqlProject).where(SqlProject.name == name_or_id.strip()))
        label = f"'{name_or_id}'"
    if row is None:
        raise NotFoundError(f"no project {label}")
    if row.deleted_at is not None and not include_deleted:
        raise NotFoundError(f"project {label} is deleted (restore it first)")
    return row


class ProjectStore:
    """Projects of a workspace. Names are unique among all projects, deleted ones included,
    so that a deleted project can always be restored under its name."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def create(
        self,
        name: str,
        description: str = "",
        template: str = "blank",
        pipelines: Sequence[tuple[str, dict[str, Any]]] = (),
    ) -> Project:
        """A new project, with its first pipelines (name, document) in the same transaction."""
        name = clean_name(name, "project")
        now = utc_now()
        try:
            with self._db.write() as s:
                existing = s.scalar(select(SqlProject).where(SqlProject.name == name))
                if existing is not None:
                    hint = " (it is deleted: restore or purge it)" if existing.deleted_at else ""
                    raise ConflictError(f"a project named '{name}' already exists{hint}")
                row = SqlProject(
                    name=name,
                    description=description or "",
                    template=template or "",
                    created_at=now,
                    updated_at=now,
                )
                s.add(row)
                s.flush()
                for pipeline_name, document in pipelines:
                    add_pipeline(s, row.id, pipeline_name, document)
                return to_project(row)
        except IntegrityError:  # another process took the name between our check and insert
            raise ConflictError(f"a project named '{name}' already exists") from None

    def get(self, name_or_id: str | int, *, include_deleted: bool = False) -> Project:
        with self._db.read() as s:
            return to_project(find_project(s, name_or_id, include_deleted=include_deleted))

    def list(self, include_deleted: bool = False) -> list[Project]:
        query = select(SqlProject).order_by(SqlProject.name)
        if not include_deleted:
            query = query.where(SqlProject.deleted_at.is_(None))
        with self._db.read() as s:
            return [to_project(r) for r in s.scalars(query)]

    def rename(self, old: str | int, new: str) -> Project:
        new = clean_name(new, "project")
        try:
            with self._db.write() as s:
                row = find_project(s, old, include_deleted=False)
                if row.name == new:
                    return to_project(row)
                if s.scalar(select(SqlProject.id).where(SqlProject.name == new)) is not None:
                    raise ConflictError(f"a project named '{new}' already exists")
                row.name = new
                row.updated_at = utc_now()
                return to_project(row)
        except IntegrityError:
            raise ConflictError(f"a project named '{new}' already exists") from None

    def update(self, name: str | int, *, description: str | None = None) -> Project:
        with self._db.write() as s:
            row = find_project(s, name, include_deleted=False)
            if description is not None:
                row.description = description
            row.updated_at = utc_now()
            return to_project(row)

    def delete(self, name: str | int) -> Project:
        """Soft delete: hidden from lists, kept with everything of it until purged."""
        with self._db.write() as s:
            row = find_project(s, name, include_deleted=False)
            row.deleted_at = row.updated_at = utc_now()
            return to_project(row)

    def restore(self, name: str | int) -> Project:
        with self._db.write() as s:
            row = find_project(s, name, include_deleted=True)
            if row.deleted_at is None:
                raise ConflictError(f"project '{row.name}' is not deleted")
            row.deleted_at = None
            row.updated_at = utc_now()
            return to_project(row)

    def purge(self, name: str | int) -> None:
        """Delete the project for good with its pipelines, versions, runs and metrics.

        Rows of other tables go through their foreign keys' ON DELETE CASCADE. Artifacts
        are shared by content and stay in the artifact folder.
        """
        with self._db.write() as s:
            row = find_project(s, name, include_deleted=True)
            s.execute(delete(SqlProject).where(SqlProject.id == row.id))
