"""The model registry store: registered models, auto-numbered versions, aliases with an
append-only history, and approvals.

Every public method is one unit of work (one transaction). The ``*_in`` functions take an
open session so that a service can combine several steps (move an alias, supersede a
deployment...) in a single transaction that either happens whole or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mlops_desktop.core.errors import ConflictError, NotFoundError
from mlops_desktop.core.operate_entities import (
    AliasTransition,
    Approval,
    ModelVersion,
    RegisteredModel,
)
from mlops_desktop.storage.database import Database
from mlops_desktop.storage.orm import utc_now
from mlops_desktop.storage.orm_registry import (
    SqlAliasTransition,
    SqlApproval,
    SqlModelAlias,
    SqlModelVersion,
    SqlRegisteredModel,
)

ALIAS_MAX = 100


# ----------------------------------------------------------------------------- conversion
def _model_entity(s: Session, row: SqlRegisteredModel) -> RegisteredModel:
    aliases = {
        alias: version
        for alias, version in s.execute(
            select(SqlModelAlias.alias, SqlModelVersion.version)
            .join(SqlModelVersion, SqlModelVersion.id == SqlModelAlias.model_version_id)
            .where(SqlModelAlias.model_id == row.id)
            .order_by(SqlModelAlias.alias)
        )
    }
    return RegisteredModel(
        id=row.id,
        project_id=row.project_id,
        name=row.name,
        description=row.description,
        created_at=row.created_at,
        latest_version=row.latest_version,
        aliases=aliases,
    )


def version_entity(
    s: Session, row: SqlModelVersion, model: SqlRegisteredModel | None = None
) -> ModelVersion:
    """A :class:`ModelVersion` with its current aliases and latest approval."""
    model = model or s.get(SqlRegisteredModel, row.model_id)
    assert model is not None
    aliases = tuple(
        s.scalars(
            select(SqlModelAlias.alias)
            .where(SqlModelAlias.model_version_id == row.id)
            .order_by(SqlModelAlias.alias)
        )
    )
    approval = s.scalars(
        select(SqlApproval)
        .where(SqlApproval.model_version_id == row.id)
        .order_by(SqlApproval.id.desc())
        .limit(1)
    ).first()
    return ModelVersion(
        id=row.id,
        model_id=row.model_id,
        model_name=model.name,
        project_id=model.project_id,
        version=row.version,
        created_at=row.created_at,
        run_id=row.run_id,
        pipeline_version_id=row.pipeline_version_id,
        dataset_hashes=dict(row.dataset_hashes or {}),
        params=dict(row.params or {}),
        metrics=dict(row.metrics or {}),
        artifact_digest=row.artifact_digest,
        task=row.task,
        feature_names=tuple(row.feature_names or ()),
        aliases=aliases,
        approval=approval.decision if approval else "",
        approver=approval.approver if approval else "",
    )


def transition_entity(row: SqlAliasTransition, model_name: str) -> AliasTransition:
    return AliasTransition(
        id=row.id,
        model_id=row.model_id,
        model_name=model_name,
        alias=row.alias,
        from_version=row.from_version,
        to_version=row.to_version,
        actor=row.actor,
        reason=row.reason,
        created_at=row.created_at,
        run_id=row.run_id,
        kind=row.kind or "promote",
    )


def _approval_entity(row: SqlApproval) -> Approval:
    return Approval(
        id=row.id,
        model_version_id=row.model_version_id,
        decision=row.decision,
        approver=row.approver,
        comment=row.comment,
        created_at=row.created_at,
        run_id=row.run_id,
    )


# ----------------------------------------------------------------------------- session steps
def model_row(s: Session, project_id: int, name: str) -> SqlRegisteredModel:
    row = s.scalars(
        select(SqlRegisteredModel).where(
            SqlRegisteredModel.project_id == project_id, SqlRegisteredModel.name == name
        )
    ).first()
    if row is None:
        raise NotFoundError(f"no registered model '{name}' in this project")
    return row


def version_row(s: Session, model: SqlRegisteredModel, version: int) -> SqlModelVersion:
    row = s.scalars(
        select(SqlModelVersion).where(
            SqlModelVersion.model_id == model.id, SqlModelVersion.version == version
        )
    ).first()
    if row is None:
        raise NotFoundError(f"model '{model.name}' has no version {version}")
    return row


def alias_version_row(s: Session, model_id: int, alias: str) -> SqlModelVersion | None:
    pointer = s.get(SqlModelAlias, (model_id, alias))
    return s.get(SqlModelVersion, pointer.model_version_id) if pointer else None


def check_alias(alias: str) -> str:
    alias = alias.strip()
    if not alias or len(alias) > ALIAS_MAX or not alias.replace("-", "").replace("_", "").isalnum():
        raise ConflictError(
            f"'{alias}' is not a valid alias (letters, digits, '-' and '_', up to {ALIAS_MAX})"
        )
    return alias


def set_alias_in(
    s: Session,
    model: SqlRegisteredModel,
    target: SqlModelVersion | None,
    alias: str,
    *,
    actor: str,
    reason: str = "",
    kind: str = "promote",
    run_id: int | None = None,
    now: datetime | None = None,
) -> SqlAliasTransition:
    """Point ``alias`` at ``target`` (``None`` removes it) and append the transition."""
    now = now or utc_now()
    pointer = s.get(SqlModelAlias, (model.id, alias))
    current = s.get(SqlModelVersion, pointer.model_version_id) if pointer else None
    if target is None:
        if pointer is not None:
            s.delete(pointer)
    elif pointer is None:
        s.add(
            SqlModelAlias(
                model_id=model.id, alias=alias, model_version_id=target.id, updated_at=now
            )
        )
    else:
        pointer.model_version_id = target.id
        pointer.updated_at = now
    s.flush()
    transition = SqlAliasTransition(
        model_id=model.id,
        alias=alias,
        kind=kind,
        from_version=current.version if current else None,
        to_version=target.version if target else None,
        actor=actor,
        reason=reason,
        run_id=run_id,
        created_at=now,
    )
    s.add(transition)
    s.flush()
    return transition


def rollback_target(s: Session, model: SqlRegisteredModel, alias: str) -> int | None:
    """The version ``alias`` held before its current holder, replaying the history as a stack:
    a promotion pushes its version, a rollback pops one. ``None`` when there is none."""
    stack: list[int | None] = []
    rows = s.scalars(
        select(SqlAliasTransition)
        .where(SqlAliasTransition.model_id == model.id, SqlAliasTransition.alias == alias)
        .order_by(SqlAliasTransition.id)
    )
    for row in rows:
        if row.kind == "rollback":
            if stack:
                stack.pop()
        else:
            stack.append(row.to_version)
    # Drop repeats of the current holder (re-promoting the same version is not a change).
    while len(stack) >= 2 and stack[-2] == stack[-1]:
        stack.pop()
    return stack[-2] if len(stack) >= 2 else None


# ----------------------------------------------------------------------------- store
class RegistryStore:
    """Registered models of a project, their versions, aliases and approvals."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # ---------------------------------------------------------------- writing
    def register(
        self,
        project_id: int,
        model_name: str,
        *,
        run_id: int | None = None,
        pipeline_version_id: int | None = None,
        dataset_hashes: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        metrics: Mapping[str, float] | None = None,
        artifact_digest: str = "",
        task: str = "",
        feature_names: Sequence[str] = (),
        alias: str | None = None,
        actor: str = "user",
        reason: str = "",
        description: str = "",
    ) -> ModelVersion:
        """Add the next version of ``model_name`` (creating the model on first use)."""
        name = model_name.strip()
        if not name:
            raise ConflictError("a registered model needs a name")
        if alias:
            alias = check_alias(alias)
        fields = {
            "run_id": run_id,
            "pipeline_version_id": pipeline_version_id,
            "dataset_hashes": dict(dataset_hashes or {}),
            "params": _jsonable(dict(params or {})),
            "metrics": {k: float(v) for k, v in (metrics or {}).items()},
            "artifact_digest": artifact_digest,
            "task": task,
            "feature_names": [str(f) for f in feature_names],
        }
        for attempt in range(5):  # two processes creating the same model at once: retry
            try:
                return self._register_once(
                    project_id, name, description, fields, alias, actor, reason
                )
            except IntegrityError:
                if attempt == 4:
                    raise ConflictError(
                        f"could not register '{name}': the registry kept changing; try again"
                    ) from None
        raise AssertionError("unreachable")

    def _register_once(
        self,
        project_id: int,
        name: str,
        description: str,
        fields: dict[str, Any],
        alias: str | None,
        actor: str,
        reason: str,
    ) -> ModelVersion:
        now = utc_now()
        with self.db.write() as s:
            model = s.scalars(
                select(SqlRegisteredModel)
                .where(SqlRegisteredModel.project_id == project_id, SqlRegisteredModel.name == name)
                .with_for_update()  # PostgreSQL: version numbers are handed out one at a time
            ).first()
            if model is None:
                model = SqlRegisteredModel(
                    project_id=project_id,
                    name=name,
                    description=description,
                    latest_version=0,
                    created_at=now,
                    updated_at=now,
                )
                s.add(model)
                s.flush()
            model.latest_version += 1
            model.updated_at = now
            row = SqlModelVersion(
                model_id=model.id, version=model.latest_version, created_at=now, **fields
            )
            s.add(row)
            s.flush()
            if alias:
                set_alias_in(
                    s,
                    model,
                    row,
                    alias,
                    actor=actor,
                    reason=reason or "registered",
                    run_id=fields["run_id"],
                    now=now,
                )
            return version_entity(s, row, model)

    def withdraw(
        self, version_id: int, *, actor: str, reason: str, run_id: int | None = None
    ) -> str:
        """Take back a registration whose run failed, in one transaction: every alias the
        version holds returns to the version that held it before (a rollback in the alias
        history, with ``reason``), and the version is deleted with its approvals; the model
        too when it has no other version. Its label, or "" when it is gone already (or, with
        ``run_id``, was not registered by that run)."""
        with self.db.write() as s:
            row = s.get(SqlModelVersion, version_id)
            if row is None or (run_id is not None and row.run_id != run_id):
                return ""  # gone, or the id now names a later registration
            model = s.scalars(
                select(SqlRegisteredModel)
                .where(SqlRegisteredModel.id == row.model_id)
                .with_for_update()
            ).one()
            label = f"{model.name} v{row.version}"
            held = s.scalars(
                select(SqlModelAlias.alias).where(SqlModelAlias.model_version_id == row.id)
            ).all()
            for alias in held:
                earlier = rollback_target(s, model, alias)
                target = version_row(s, model, earlier) if earlier else None
                set_alias_in(
                    s,
                    model,
                    target,
                    alias,
                    actor=actor,
                    kind="rollback",
                    reason=reason,
                    run_id=run_id,
                )
            s.delete(row)
            s.flush()
            remaining = s.scalar(
                select(func.max(SqlModelVersion.version)).where(
                    SqlModelVersion.model_id == model.id
                )
            )
            if remaining is None:
                s.delete(model)
            elif model.latest_version == row.version:
                model.latest_version = int(remaining)  # the number is handed out again
            return label

    def set_alias(
        self,
        project_id: int,
        model_name: str,
        version: int | None,
        alias: str,
        *,
        actor: str,
        reason: str = "",
        run_id: int | None = None,
    ) -> AliasTransition:
        """Move ``alias`` to ``version`` (``None`` removes the alias)."""
        alias = check_alias(alias)
        with self.db.write() as s:
            model = model_row(s, project_id, model_name)
            target = version_row(s, model, version) if version is not None else None
            kind = "promote" if target is not None else "remove"
            row = set_alias_in(
                s, model, target, alias, actor=actor, reason=reason, kind=kind, run_id=run_id
            )
            return transition_entity(row, model.name)

    def record_approval(
        self,
        version_id: int,
        approved: bool,
        approver: str,
        comment: str = "",
        run_id: int | None = None,
    ) -> Approval:
        with self.db.write() as s:
            if s.get(SqlModelVersion, version_id) is None:
                raise NotFoundError(f"no model version with id {version_id}")
            row = SqlApproval(
                model_version_id=version_id,
                decision="approved" if approved else "rejected",
                approver=approver or "unknown",
                comment=comment,
                run_id=run_id,
                created_at=utc_now(),
            )
            s.add(row)
            s.flush()
            return _approval_entity(row)

    def take_back_approval(self, approval_id: int, run_id: int) -> str:
        """Delete an approval that run ``run_id`` recorded and whose stage then failed: the
        version's approval is what it was before. The version's label, or "" when the
        approval is gone already (or was not recorded by that run)."""
        with self.db.write() as s:
            row = s.get(SqlApproval, approval_id)
            if row is None or row.run_id != run_id:
                return ""
            version = s.get(SqlModelVersion, row.model_version_id)
            model = s.get(SqlRegisteredModel, version.model_id) if version else None
            label = f"{model.name} v{version.version}" if model and version else "a version"
            s.delete(row)
            return label

    # ---------------------------------------------------------------- reading
    def models(self, project_id: int) -> list[RegisteredModel]:
        with self.db.read() as s:
            rows = s.scalars(
                select(SqlRegisteredModel)
                .where(SqlRegisteredModel.project_id == project_id)
                .order_by(SqlRegisteredModel.name)
            )
            return [_model_entity(s, r) for r in rows]

    def model(self, project_id: int, name: str) -> RegisteredModel:
        with self.db.read() as s:
            return _model_entity(s, model_row(s, project_id, name))

    def versions(self, project_id: int, model_name: str) -> list[ModelVersion]:
        """Every version of a model, newest first."""
        with self.db.read() as s:
            model = model_row(s, project_id, model_name)
            rows = s.scalars(
                select(SqlModelVersion)
                .where(SqlModelVersion.model_id == model.id)
                .order_by(SqlModelVersion.version.desc())
            )
            return [version_entity(s, r, model) for r in rows]

    def version(self, project_id: int, model_name: str, version: int) -> ModelVersion:
        with self.db.read() as s:
            model = model_row(s, project_id, model_name)
            return version_entity(s, version_row(s, model, version), model)

    def version_by_id(self, version_id: int) -> ModelVersion:
        with self.db.read() as s:
            row = s.get(SqlModelVersion, version_id)
            if row is None:
                raise NotFoundError(f"no model version with id {version_id}")
            return version_entity(s, row)

    def version_by_alias(self, project_id: int, model_name: str, alias: str) -> ModelVersion | None:
        with self.db.read() as s:
            try:
                model = model_row(s, project_id, model_name)
            except NotFoundError:
                return None
            row = alias_version_row(s, model.id, alias)
            return version_entity(s, row, model) if row else None

    def versions_of_run(self, run_id: int) -> list[ModelVersion]:
        with self.db.read() as s:
            rows = s.scalars(
                select(SqlModelVersion)
                .where(SqlModelVersion.run_id == run_id)
                .order_by(SqlModelVersion.id)
            )
            return [version_entity(s, r) for r in rows]

    def history(
        self, project_id: int, model_name: str | None = None, alias: str | None = None
    ) -> list[AliasTransition]:
        """The alias history, oldest first (of one model, or of every model of the project)."""
        with self.db.read() as s:
            query = (
                select(SqlAliasTransition, SqlRegisteredModel.name)
                .join(SqlRegisteredModel, SqlRegisteredModel.id == SqlAliasTransition.model_id)
                .where(SqlRegisteredModel.project_id == project_id)
                .order_by(SqlAliasTransition.id)
            )
            if model_name is not None:
                query = query.where(
                    SqlRegisteredModel.id == model_row(s, project_id, model_name).id
                )
            if alias is not None:
                query = query.where(SqlAliasTransition.alias == alias)
            return [transition_entity(row, name) for row, name in s.execute(query)]

    def approvals(self, project_id: int, after_id: int = 0) -> list[tuple[Approval, ModelVersion]]:
        """Approvals of the project's versions with an id above ``after_id``, oldest first."""
        with self.db.read() as s:
            rows = s.execute(
                select(SqlApproval, SqlModelVersion)
                .join(SqlModelVersion, SqlModelVersion.id == SqlApproval.model_version_id)
                .join(SqlRegisteredModel, SqlRegisteredModel.id == SqlModelVersion.model_id)
                .where(SqlRegisteredModel.project_id == project_id, SqlApproval.id > after_id)
                .order_by(SqlApproval.id)
            )
            return [(_approval_entity(a), version_entity(s, v)) for a, v in rows]

    def last_approval_id(self) -> int:
        with self.db.read() as s:
            return int(s.scalar(select(func.max(SqlApproval.id))) or 0)


def _jsonable(value: Any) -> Any:
    """Parameters as plain JSON (numpy scalars and tuples converted, others as text)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else None
    if hasattr(value, "item"):
        return _jsonable(value.item())
    return repr(value)
