"""The deployment store: which model version serves which environment, with what strategy.

A direct deployment replaces everything active in its environment and moves the alias of
the same name (``staging``, ``production``) to the deployed version; a canary or shadow
deployment runs beside the environment's primary (with no primary yet, the first version
deployed to an environment becomes its primary, whatever the strategy asked). Deploying and rolling back are each one
transaction: a failure half-way leaves the previous deployments and aliases untouched.
"""

from __future__ import annotations

import builtins
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from mlops_desktop.core.errors import ConflictError, NotFoundError
from mlops_desktop.core.operate_entities import (
    ALIASES,
    STRATEGIES,
    AliasTransition,
    Deployment,
    DeploymentStatus,
)
from mlops_desktop.storage.database import Database
from mlops_desktop.storage.orm import SqlProject, utc_now
from mlops_desktop.storage.orm_registry import (
    SqlDeployment,
    SqlModelVersion,
    SqlRegisteredModel,
)
from mlops_desktop.storage.registry import (
    alias_version_row,
    check_alias,
    model_row,
    rollback_target,
    set_alias_in,
    transition_entity,
    version_row,
)

ACTIVE = DeploymentStatus.ACTIVE.value


def _entity(s: Session, row: SqlDeployment) -> Deployment:
    version = s.get(SqlModelVersion, row.model_version_id)
    assert version is not None
    model = s.get(SqlRegisteredModel, version.model_id)
    assert model is not None
    previous = s.get(SqlModelVersion, row.previous_version_id) if row.previous_version_id else None
    return Deployment(
        id=row.id,
        project_id=row.project_id,
        model_version_id=row.model_version_id,
        model_name=model.name,
        version=version.version,
        environment=row.environment,
        strategy=row.strategy,
        traffic_share=row.traffic_share,
        approver=row.approver,
        status=row.status,
        created_at=row.created_at,
        run_id=row.run_id,
        previous_version=previous.version if previous else None,
    )


def _active(
    s: Session, project_id: int, environment: str, strategy: str | None = None
) -> list[SqlDeployment]:
    query = (
        select(SqlDeployment)
        .where(
            SqlDeployment.project_id == project_id,
            SqlDeployment.environment == environment,
            SqlDeployment.status == ACTIVE,
        )
        .order_by(SqlDeployment.id.desc())
    )
    if strategy is not None:
        query = query.where(SqlDeployment.strategy == strategy)
    return list(s.scalars(query))


def _lock_project(s: Session, project_id: int) -> None:
    """Serialise deployment changes of one project (PostgreSQL row lock; SQLite writes are
    serialised already), so two deploys cannot both become the environment's primary."""
    s.execute(select(SqlProject.id).where(SqlProject.id == project_id).with_for_update())


def _end(rows: list[SqlDeployment], status: str, now: datetime | None = None) -> None:
    now = now or utc_now()
    for row in rows:
        row.status = status
        row.updated_at = now


class DeploymentStore:
    """Deployments of a project's model versions to its environments."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def deploy(
        self,
        project_id: int,
        version_id: int,
        environment: str,
        strategy: str = "direct",
        traffic_share: float = 1.0,
        *,
        approver: str = "",
        actor: str = "user",
        run_id: int | None = None,
    ) -> Deployment:
        """Record a deployment of ``version_id`` to ``environment`` (one transaction)."""
        environment = environment.strip()
        if not environment:
            raise ConflictError("a deployment needs an environment")
        if strategy not in STRATEGIES:
            raise ConflictError(
                f"unknown deployment strategy '{strategy}' (use {', '.join(STRATEGIES)})"
            )
        if not 0.0 <= traffic_share <= 1.0:
            raise ConflictError(f"traffic share must be between 0 and 1, got {traffic_share}")
        now = utc_now()
        with self.db.write() as s:
            _lock_project(s, project_id)
            version = s.get(SqlModelVersion, version_id)
            if version is None:
                raise NotFoundError(f"no model version with id {version_id}")
            model = s.get(SqlRegisteredModel, version.model_id)
            assert model is not None
            if model.project_id != project_id:
                raise ConflictError(f"{model.name} v{version.version} belongs to another project")
            primary = next(iter(_active(s, project_id, environment, "direct")), None)
            if primary is None:
                # A canary or shadow needs a primary to run beside: with none serving the
                # environment, the version becomes its primary.
                strategy = "direct"
            # The rows a deployment supersedes end at its own creation time: undo() finds them.
            if strategy == "direct":
                _end(_active(s, project_id, environment), DeploymentStatus.SUPERSEDED.value, now)
                traffic_share = 1.0
            else:
                _end(
                    _active(s, project_id, environment, strategy),
                    DeploymentStatus.SUPERSEDED.value,
                    now,
                )
            row = _add_row(
                s,
                project_id,
                version.id,
                environment,
                strategy,
                float(traffic_share),
                approver,
                primary,
                run_id,
                now,
            )
            if strategy == "direct" and environment in ALIASES:
                set_alias_in(
                    s,
                    model,
                    version,
                    environment,
                    actor=actor,
                    reason=f"deployed to {environment}",
                    run_id=run_id,
                    now=now,
                )
            return _entity(s, row)

    def promote_canary(
        self,
        project_id: int,
        environment: str,
        *,
        actor: str,
        reason: str = "",
        run_id: int | None = None,
    ) -> Deployment:
        """Make the environment's canary its primary, in one transaction: the canary and the
        old primary end (superseded), the canary's version serves all traffic and the alias
        named after the environment moves to it."""
        now = utc_now()
        with self.db.write() as s:
            _lock_project(s, project_id)
            canary = next(iter(_active(s, project_id, environment, "canary")), None)
            if canary is None:
                raise ConflictError(f"no canary serves '{environment}'")
            primary = next(iter(_active(s, project_id, environment, "direct")), None)
            version = s.get(SqlModelVersion, canary.model_version_id)
            assert version is not None
            model = s.get(SqlRegisteredModel, version.model_id)
            assert model is not None
            _end(_active(s, project_id, environment), DeploymentStatus.SUPERSEDED.value, now)
            row = _add_row(
                s, project_id, version.id, environment, "direct", 1.0, actor, primary, run_id, now
            )
            if environment in ALIASES:
                set_alias_in(
                    s,
                    model,
                    version,
                    environment,
                    actor=actor,
                    reason=reason or f"canary v{version.version} promoted to primary",
                    run_id=run_id,
                    now=now,
                )
            return _entity(s, row)

    def promote_alias(
        self,
        project_id: int,
        model_name: str,
        version: int,
        alias: str,
        *,
        actor: str,
        reason: str = "",
        run_id: int | None = None,
    ) -> AliasTransition:
        """Point ``alias`` at ``version``, in one transaction. When the alias names an
        environment whose primary deployment serves this model, the deployment follows."""
        alias = check_alias(alias)
        now = utc_now()
        with self.db.write() as s:
            _lock_project(s, project_id)
            model = model_row(s, project_id, model_name)
            target = version_row(s, model, version)
            current = alias_version_row(s, model.id, alias)
            transition = set_alias_in(
                s, model, target, alias, actor=actor, reason=reason, run_id=run_id, now=now
            )
            if current is not None and current.id != target.id:
                _follow_alias(
                    s,
                    project_id,
                    alias,
                    current,
                    target,
                    actor,
                    run_id,
                    now,
                    DeploymentStatus.SUPERSEDED.value,
                )
            return transition_entity(transition, model.name)

    def rollback_alias(
        self,
        project_id: int,
        model_name: str,
        alias: str,
        *,
        actor: str,
        reason: str = "",
        run_id: int | None = None,
    ) -> AliasTransition:
        """Point ``alias`` back at the version that held it before, in one transaction.

        When the alias names an environment whose primary deployment serves this model, the
        deployment follows: it is marked rolled back and the earlier version is deployed.
        """
        alias = check_alias(alias)
        now = utc_now()
        with self.db.write() as s:
            _lock_project(s, project_id)
            model = model_row(s, project_id, model_name)
            current = alias_version_row(s, model.id, alias)
            if current is None:
                raise ConflictError(f"no version of '{model.name}' holds the alias '{alias}'")
            previous = rollback_target(s, model, alias)
            if previous is None:
                raise ConflictError(
                    f"'{alias}' of '{model.name}' has no earlier version to roll back to "
                    f"(v{current.version} is the first to hold it)"
                )
            target = version_row(s, model, previous)
            transition = set_alias_in(
                s,
                model,
                target,
                alias,
                actor=actor,
                kind="rollback",
                reason=reason or f"rolled back from v{current.version}",
                run_id=run_id,
                now=now,
            )
            _follow_alias(s, project_id, alias, current, target, actor, run_id, now)
            return transition_entity(transition, model.name)

    def undo(
        self, deployment_id: int, *, actor: str, reason: str, run_id: int | None = None
    ) -> bool:
        """Take back a deployment that is still active, in one transaction: it ends as rolled
        back, the deployments it superseded serve again and the alias named after its
        environment returns to the version that held it before. False when it no longer serves
        (something later replaced it: nothing to take back) or, with ``run_id``, was not made
        by that run."""
        with self.db.write() as s:
            row = s.get(SqlDeployment, deployment_id)
            if row is None or row.status != ACTIVE or (run_id is not None and row.run_id != run_id):
                return False
            _lock_project(s, row.project_id)
            now = utc_now()
            superseded = s.scalars(
                select(SqlDeployment).where(  # ended by this deployment's own transaction
                    SqlDeployment.project_id == row.project_id,
                    SqlDeployment.environment == row.environment,
                    SqlDeployment.status == DeploymentStatus.SUPERSEDED.value,
                    SqlDeployment.updated_at == row.created_at,
                    SqlDeployment.id < row.id,
                )
            ).all()
            for earlier in superseded:
                earlier.status, earlier.updated_at = ACTIVE, now
            _end([row], DeploymentStatus.ROLLED_BACK.value, now)
            if row.strategy == "direct" and row.environment in ALIASES:
                version = s.get(SqlModelVersion, row.model_version_id)
                assert version is not None
                model = s.get(SqlRegisteredModel, version.model_id)
                assert model is not None
                if alias_version_row(s, model.id, row.environment) is version:
                    earlier_version = rollback_target(s, model, row.environment)
                    previous = version_row(s, model, earlier_version) if earlier_version else None
                    set_alias_in(
                        s,
                        model,
                        previous,
                        row.environment,
                        actor=actor,
                        kind="rollback",
                        reason=reason,
                        run_id=run_id,
                        now=now,
                    )
            return True

    # ---------------------------------------------------------------- reading
    def list(
        self, project_id: int, environment: str | None = None, limit: int | None = None
    ) -> list[Deployment]:
        """Deployments of a project, newest first."""
        with self.db.read() as s:
            query = (
                select(SqlDeployment)
                .where(SqlDeployment.project_id == project_id)
                .order_by(SqlDeployment.id.desc())
            )
            if environment is not None:
                query = query.where(SqlDeployment.environment == environment)
            if limit is not None:
                query = query.limit(limit)
            return [_entity(s, r) for r in s.scalars(query)]

    def active(self, project_id: int, environment: str) -> builtins.list[Deployment]:
        """What serves ``environment`` now: its primary first, then canary and shadow."""
        with self.db.read() as s:
            rows = _active(s, project_id, environment)
            rows.sort(key=lambda r: (r.strategy != "direct", -r.id))
            return [_entity(s, r) for r in rows]

    def active_at(
        self, project_id: int, at: datetime, environment: str | None = None
    ) -> builtins.list[Deployment]:
        """What served (``environment``, or every environment) at ``at``: deployments made by
        then and not ended by then, each environment's primary first."""
        with self.db.read() as s:
            query = select(SqlDeployment).where(
                SqlDeployment.project_id == project_id,
                SqlDeployment.created_at <= at,
                or_(SqlDeployment.status == ACTIVE, SqlDeployment.updated_at > at),
            )
            if environment is not None:
                query = query.where(SqlDeployment.environment == environment)
            rows = list(s.scalars(query))
            rows.sort(key=lambda r: (r.environment, r.strategy != "direct", -r.id))
            return [_entity(s, r) for r in rows]

    def get(self, deployment_id: int) -> Deployment:
        with self.db.read() as s:
            row = s.get(SqlDeployment, deployment_id)
            if row is None:
                raise NotFoundError(f"no deployment with id {deployment_id}")
            return _entity(s, row)


def _follow_alias(
    s: Session,
    project_id: int,
    environment: str,
    current: SqlModelVersion,
    target: SqlModelVersion,
    actor: str,
    run_id: int | None,
    now: datetime,
    status: str = DeploymentStatus.ROLLED_BACK.value,
) -> None:
    """Move the environment's primary deployment from ``current`` to ``target`` when it is
    serving ``current`` (an alias named after an environment tracks what serves there), at
    the alias move's own time ``now``: at no moment do both versions serve."""
    primary = next(iter(_active(s, project_id, environment, "direct")), None)
    if primary is None or primary.model_version_id != current.id:
        return
    _end([primary], status, now)
    s.add(
        SqlDeployment(
            project_id=project_id,
            model_version_id=target.id,
            environment=environment,
            strategy="direct",
            traffic_share=1.0,
            approver=actor,
            status=ACTIVE,
            previous_version_id=current.id,
            run_id=run_id,
            created_at=now,
            updated_at=now,
        )
    )
    s.flush()


def _add_row(
    s: Session,
    project_id: int,
    version_id: int,
    environment: str,
    strategy: str,
    share: float,
    approver: str,
    primary: SqlDeployment | None,
    run_id: int | None,
    now: datetime,
) -> SqlDeployment:
    """Add an active deployment row (the primary it replaces noted) and flush it for its id."""
    row = SqlDeployment(
        project_id=project_id,
        model_version_id=version_id,
        environment=environment,
        strategy=strategy,
        traffic_share=share,
        approver=approver,
        status=ACTIVE,
        previous_version_id=primary.model_version_id if primary else None,
        run_id=run_id,
        created_at=now,
        updated_at=now,
    )
    s.add(row)
    s.flush()
    return row
