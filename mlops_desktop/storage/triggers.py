"""The trigger store: pipeline triggers, the history of their firings, monitoring alerts,
per-project counters, and the claims that keep one pipeline from running twice at once.

A claim is a row keyed by pipeline id: inserting it succeeds for exactly one process. A claim
left by a process that has died (same host) is taken over; the app and the headless scheduler
therefore never run the same pipeline concurrently, even from two processes.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mlops_desktop.core.errors import ConflictError, NotFoundError
from mlops_desktop.core.operate_entities import MonitorAlert, Trigger, TriggerEvent, TriggerOutcome
from mlops_desktop.storage.database import Database
from mlops_desktop.storage.orm import SqlPipeline, utc_now
from mlops_desktop.storage.orm_registry import (
    SqlMonitorAlert,
    SqlOperateCounter,
    SqlPipelineClaim,
    SqlTrigger,
    SqlTriggerEvent,
)
from mlops_desktop.storage.owner import Owner, current_owner, hostname, is_alive


def _trigger(s: Session, row: SqlTrigger, names: Mapping[int, str] | None = None) -> Trigger:
    """The entity of ``row``; ``names`` (pipeline id -> name) saves a lookup per row."""
    if names is not None:
        name = names.get(row.pipeline_id, "")
    else:
        pipeline = s.get(SqlPipeline, row.pipeline_id)
        name = pipeline.name if pipeline else ""
    return Trigger(
        id=row.id,
        project_id=row.project_id,
        pipeline_id=row.pipeline_id,
        pipeline_name=name,
        type=row.type,
        config=dict(row.config or {}),
        enabled=bool(row.enabled),
        created_at=row.created_at,
        state=dict(row.state or {}),
    )


def _event(row: SqlTriggerEvent) -> TriggerEvent:
    return TriggerEvent(
        id=row.id,
        project_id=row.project_id,
        pipeline_id=row.pipeline_id,
        type=row.type,
        outcome=row.outcome,
        fired_at=row.fired_at,
        trigger_id=row.trigger_id,
        run_id=row.run_id,
        coalesced_into=row.coalesced_into,
        detail=dict(row.detail or {}),
        handled_at=row.handled_at,
    )


def _alert(row: SqlMonitorAlert) -> MonitorAlert:
    return MonitorAlert(
        id=row.id,
        project_id=row.project_id,
        pipeline_id=row.pipeline_id,
        run_id=row.run_id,
        node_id=row.node_id,
        kind=row.kind,
        message=row.message,
        details=dict(row.details or {}),
        created_at=row.created_at,
    )


class TriggerStore:
    """Triggers, trigger events, alerts, counters and pipeline claims of the workspace."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # ---------------------------------------------------------------- triggers
    def add(
        self,
        project_id: int,
        pipeline_id: int,
        type_: str,
        config: Mapping[str, Any] | None = None,
        *,
        enabled: bool = True,
        state: Mapping[str, Any] | None = None,
    ) -> Trigger:
        now = utc_now()
        with self.db.write() as s:
            if s.get(SqlPipeline, pipeline_id) is None:
                raise NotFoundError(f"no pipeline with id {pipeline_id}")
            row = SqlTrigger(
                project_id=project_id,
                pipeline_id=pipeline_id,
                type=type_,
                config=dict(config or {}),
                state=dict(state or {}),
                enabled=enabled,
                created_at=now,
                updated_at=now,
            )
            s.add(row)
            s.flush()
            return _trigger(s, row)

    def list(
        self,
        project_id: int | None = None,
        pipeline_id: int | None = None,
        enabled_only: bool = False,
    ) -> list[Trigger]:
        with self.db.read() as s:
            query = select(SqlTrigger).order_by(SqlTrigger.id)
            if project_id is not None:
                query = query.where(SqlTrigger.project_id == project_id)
            if pipeline_id is not None:
                query = query.where(SqlTrigger.pipeline_id == pipeline_id)
            if enabled_only:
                query = query.where(SqlTrigger.enabled.is_(True))
            rows = list(s.scalars(query))
            ids = {r.pipeline_id for r in rows}
            names: dict[int, str] = {}
            if ids:  # one query for the names, not one per trigger (thousands per pass)
                found = s.execute(
                    select(SqlPipeline.id, SqlPipeline.name).where(SqlPipeline.id.in_(ids))
                )
                names = {int(i): str(n) for i, n in found}
            return [_trigger(s, r, names) for r in rows]

    def get(self, trigger_id: int) -> Trigger:
        with self.db.read() as s:
            return _trigger(s, self._row(s, trigger_id))

    def update(
        self,
        trigger_id: int,
        *,
        config: Mapping[str, Any] | None = None,
        enabled: bool | None = None,
        state: Mapping[str, Any] | None = None,
    ) -> Trigger:
        with self.db.write() as s:
            row = self._row(s, trigger_id)
            if config is not None:
                row.config = dict(config)
            if enabled is not None:
                row.enabled = enabled
            if state is not None:
                row.state = dict(state)
            row.updated_at = utc_now()
            s.flush()
            return _trigger(s, row)

    def advance(
        self, trigger_id: int, expected: Mapping[str, Any], state: Mapping[str, Any]
    ) -> bool:
        """Set a trigger's state (its cursor) only if it is still ``expected``: a
        compare-and-set in one write transaction (SQLite's write lock, a row lock on
        PostgreSQL). False when another process moved the cursor first."""
        with self.db.write() as s:
            query = select(SqlTrigger).where(SqlTrigger.id == trigger_id).with_for_update()
            row = s.scalars(query).first()
            if row is None or dict(row.state or {}) != dict(expected):
                return False
            row.state = dict(state)
            row.updated_at = utc_now()
            return True

    def delete(self, trigger_id: int) -> None:
        with self.db.write() as s:
            s.delete(self._row(s, trigger_id))

    @staticmethod
    def _row(s: Session, trigger_id: int) -> SqlTrigger:
        row = s.get(SqlTrigger, trigger_id)
        if row is None:
            raise NotFoundError(f"no trigger with id {trigger_id}")
        return row

    # ---------------------------------------------------------------- events
    def record_event(
        self,
        project_id: int,
        pipeline_id: int,
        type_: str,
        outcome: str,
        *,
        trigger_id: int | None = None,
        run_id: int | None = None,
        coalesced_into: int | None = None,
        detail: Mapping[str, Any] | None = None,
        fired_at: datetime | None = None,
    ) -> TriggerEvent:
        with self.db.write() as s:
            row = SqlTriggerEvent(
                project_id=project_id,
                pipeline_id=pipeline_id,
                trigger_id=trigger_id,
                type=type_,
                outcome=outcome,
                run_id=run_id,
                coalesced_into=coalesced_into,
                detail=dict(detail or {}),
                fired_at=fired_at or utc_now(),
                handled_at=utc_now() if outcome != TriggerOutcome.QUEUED else None,
            )
            s.add(row)
            s.flush()
            return _event(row)

    def set_event_run(
        self, event_id: int, run_id: int | None, outcome: str | None = None
    ) -> TriggerEvent:
        """Link an event to the run it started (and close it if it was queued)."""
        with self.db.write() as s:
            row = s.get(SqlTriggerEvent, event_id)
            if row is None:
                raise NotFoundError(f"no trigger event with id {event_id}")
            row.run_id = run_id
            if outcome is not None:
                row.outcome = outcome
            if row.handled_at is None:
                row.handled_at = utc_now()
            s.flush()
            return _event(row)

    def event(self, event_id: int) -> TriggerEvent:
        with self.db.read() as s:
            row = s.get(SqlTriggerEvent, event_id)
            if row is None:
                raise NotFoundError(f"no trigger event with id {event_id}")
            return _event(row)

    def annotate(self, event_id: int, detail: Mapping[str, Any]) -> TriggerEvent:
        """Add keys to an event's detail (e.g. why its run could not start)."""
        with self.db.write() as s:
            row = s.get(SqlTriggerEvent, event_id)
            if row is None:
                raise NotFoundError(f"no trigger event with id {event_id}")
            row.detail = {**(row.detail or {}), **detail}
            s.flush()
            return _event(row)

    def pending(self, pipeline_id: int | None = None) -> builtins.list[TriggerEvent]:
        """Queued events still waiting for their run, oldest first."""
        with self.db.read() as s:
            query = (
                select(SqlTriggerEvent)
                .where(
                    SqlTriggerEvent.outcome == TriggerOutcome.QUEUED.value,
                    SqlTriggerEvent.handled_at.is_(None),
                )
                .order_by(SqlTriggerEvent.id)
            )
            if pipeline_id is not None:
                query = query.where(SqlTriggerEvent.pipeline_id == pipeline_id)
            return [_event(r) for r in s.scalars(query)]

    def events(
        self, project_id: int, pipeline_id: int | None = None, limit: int | None = None
    ) -> builtins.list[TriggerEvent]:
        """Trigger events of a project, newest first."""
        with self.db.read() as s:
            query = (
                select(SqlTriggerEvent)
                .where(SqlTriggerEvent.project_id == project_id)
                .order_by(SqlTriggerEvent.id.desc())
            )
            if pipeline_id is not None:
                query = query.where(SqlTriggerEvent.pipeline_id == pipeline_id)
            if limit is not None:
                query = query.limit(limit)
            return [_event(r) for r in s.scalars(query)]

    def event_of_run(self, run_id: int) -> TriggerEvent | None:
        with self.db.read() as s:
            row = s.scalars(
                select(SqlTriggerEvent)
                .where(
                    SqlTriggerEvent.run_id == run_id,
                    SqlTriggerEvent.outcome.in_(
                        [TriggerOutcome.STARTED.value, TriggerOutcome.QUEUED.value]
                    ),
                )
                .order_by(SqlTriggerEvent.id)
            ).first()
            return _event(row) if row else None

    # ---------------------------------------------------------------- alerts
    def record_alert(
        self,
        project_id: int,
        kind: str,
        message: str,
        *,
        pipeline_id: int | None = None,
        run_id: int | None = None,
        node_id: str = "",
        details: Mapping[str, Any] | None = None,
    ) -> MonitorAlert:
        with self.db.write() as s:
            row = SqlMonitorAlert(
                project_id=project_id,
                pipeline_id=pipeline_id,
                run_id=run_id,
                node_id=node_id,
                kind=kind,
                message=message,
                details=dict(details or {}),
                created_at=utc_now(),
            )
            s.add(row)
            s.flush()
            return _alert(row)

    def alerts(
        self, project_id: int, after_id: int = 0, limit: int | None = None
    ) -> builtins.list[MonitorAlert]:
        """Alerts of a project with an id above ``after_id``, oldest first."""
        with self.db.read() as s:
            query = (
                select(SqlMonitorAlert)
                .where(SqlMonitorAlert.project_id == project_id, SqlMonitorAlert.id > after_id)
                .order_by(SqlMonitorAlert.id)
            )
            if limit is not None:
                query = query.limit(limit)
            return [_alert(r) for r in s.scalars(query)]

    def last_alert_id(self, project_id: int) -> int:
        alerts = self.alerts_newest(project_id, 1)
        return alerts[0].id if alerts else 0

    def alerts_newest(self, project_id: int, limit: int = 50) -> builtins.list[MonitorAlert]:
        with self.db.read() as s:
            rows = s.scalars(
                select(SqlMonitorAlert)
                .where(SqlMonitorAlert.project_id == project_id)
                .order_by(SqlMonitorAlert.id.desc())
                .limit(limit)
            )
            return [_alert(r) for r in rows]

    # ---------------------------------------------------------------- counters
    def next_counter(self, project_id: int, key: str) -> int:
        """Return the counter's value (0 the first time) and add one, atomically."""
        for _ in range(5):
            try:
                return self._next_counter_once(project_id, key)
            except IntegrityError:  # another process created the counter first
                continue
        raise ConflictError(f"the counter '{key}' kept changing; try again")

    def _next_counter_once(self, project_id: int, key: str) -> int:
        with self.db.write() as s:
            row = s.scalars(
                select(SqlOperateCounter)
                .where(SqlOperateCounter.project_id == project_id, SqlOperateCounter.key == key)
                .with_for_update()
            ).first()
            if row is None:
                s.add(
                    SqlOperateCounter(project_id=project_id, key=key, value=1, updated_at=utc_now())
                )
                s.flush()
                return 0
            value = row.value
            s.execute(
                update(SqlOperateCounter)
                .where(SqlOperateCounter.project_id == project_id, SqlOperateCounter.key == key)
                .values(value=value + 1, updated_at=utc_now())
            )
            return value

    # ---------------------------------------------------------------- claims
    def claim(self, pipeline_id: int, owner: Owner | None = None) -> bool:
        """Take the pipeline for a run. False when another live owner holds it."""
        owner = owner or current_owner()
        try:
            with self.db.write() as s:
                row = s.get(SqlPipelineClaim, pipeline_id)
                if row is not None:
                    holder = Owner(row.owner_host, row.owner_pid, row.owner_token)
                    if holder.host != hostname() or is_alive(holder):
                        return False
                    s.delete(row)  # left by a process that died
                    s.flush()
                s.add(
                    SqlPipelineClaim(
                        pipeline_id=pipeline_id,
                        owner_host=owner.host,
                        owner_pid=owner.pid,
                        owner_token=owner.token,
                        claimed_at=utc_now(),
                    )
                )
        except IntegrityError:  # another process claimed it between our read and write
            return False
        return True

    def release(self, pipeline_id: int, owner: Owner | None = None) -> None:
        owner = owner or current_owner()
        with self.db.write() as s:
            row = s.get(SqlPipelineClaim, pipeline_id)
            if row is not None and (row.owner_host, row.owner_pid) == (owner.host, owner.pid):
                s.delete(row)

    def claimed(self, pipeline_id: int) -> bool:
        with self.db.read() as s:
            return s.get(SqlPipelineClaim, pipeline_id) is not None
