"""RunStore: the run history, each run with its stage records and the process that owns it.

A run records the host, process id and process token of its owner. When a workspace opens,
:meth:`RunStore.mark_interrupted` turns runs that are still queued or running but whose
owner is gone into ``interrupted`` runs (and their unfinished stages into failed ones), so a
crash or a kill never leaves a run that looks alive. Runs owned by another host cannot be
checked directly: they are interrupted once their heartbeat is older than
``remote_stale_after``.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete as sql_delete
from sqlalchemy import null, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from mlops_desktop.core.entities import Run, RunStatus, StageRun, StageStatus
from mlops_desktop.core.errors import ConflictError, NotFoundError
from mlops_desktop.storage._util import driver_rows, rows_changed
from mlops_desktop.storage.database import Database
from mlops_desktop.storage.orm import (
    SqlPipelineVersion,
    SqlRun,
    SqlStageRun,
    utc_now,
)
from mlops_desktop.storage.orm_registry import SqlDeployment, SqlModelVersion
from mlops_desktop.storage.owner import Owner, current_owner, hostname, is_alive
from mlops_desktop.storage.runs_bulk import (
    LEAN_RUN_COLUMNS,
    RUN_COLUMNS,
    insert_finished,
    run_from_row,
    run_ids_query,
    stage_rows,
    stage_summaries,
    stages_of,
    take_run_numbers,
)

if TYPE_CHECKING:
    from mlops_desktop.storage.runs_bulk import SeriesRow

ACTIVE = (RunStatus.QUEUED.value, RunStatus.RUNNING.value)
UNFINISHED_STAGES = (
    StageStatus.IDLE.value,
    StageStatus.QUEUED.value,
    StageStatus.RUNNING.value,
    StageStatus.WAITING.value,
)


def to_stage(row: SqlStageRun) -> StageRun:
    return StageRun(
        node_id=row.node_id,
        stage_type=row.stage_type,
        title=row.title,
        status=StageStatus(row.status),
        started_at=row.started_at,
        finished_at=row.finished_at,
        duration_s=row.duration_s,
        log=row.log,
        error=row.error,
        cache_key=row.cache_key,
        outputs=dict(row.outputs or {}),
    )


def to_run(row: SqlRun, stages: tuple[StageRun, ...] = ()) -> Run:
    return Run(
        id=row.id,
        project_id=row.project_id,
        pipeline_id=row.pipeline_id,
        pipeline_version_id=row.pipeline_version_id,
        status=RunStatus(row.status),
        trigger=row.trigger,
        environment=row.environment,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        params=dict(row.params or {}),
        input_hashes=dict(row.input_hashes or {}),
        app_version=row.app_version,
        executor=row.executor,
        commit=row.commit,
        message=row.message,
        stages=stages,
        number=row.number,
    )


class RunStore:
    remote_stale_after = timedelta(hours=6)

    def __init__(self, db: Database) -> None:
        self._db = db

    def create(
        self,
        project_id: int,
        pipeline_id: int,
        pipeline_version_id: int,
        trigger: str = "manual",
        environment: str = "dev",
        params: dict[str, Any] | None = None,
        input_hashes: dict[str, str] | None = None,
        app_version: str = "",
        executor: str = "threads",
        commit: str = "",
    ) -> Run:
        """A queued run owned by this process."""
        owner = current_owner()
        now = utc_now()
        with self._db.write() as s:
            version = s.get(SqlPipelineVersion, pipeline_version_id)
            if version is None or version.pipeline_id != pipeline_id:
                raise NotFoundError(
                    f"pipeline #{pipeline_id} has no version with id {pipeline_version_id}"
                )
            number = take_run_numbers(s.connection(), project_id)
            row = SqlRun(
                project_id=project_id,
                number=number,
                pipeline_id=pipeline_id,
                pipeline_version_id=pipeline_version_id,
                status=RunStatus.QUEUED.value,
                trigger=trigger,
                environment=environment,
                created_at=now,
                heartbeat_at=now,
                params=dict(params or {}),
                input_hashes=dict(input_hashes or {}),
                app_version=app_version,
                executor=executor,
                commit=commit,
                message="",
                owner_host=owner.host,
                owner_pid=owner.pid,
                owner_token=owner.token,
            )
            s.add(row)
            s.flush()
            return to_run(row)

    def start(self, run_id: int) -> Run:
        with self._db.write() as s:
            row = self._row(s, run_id)
            row.status = RunStatus.RUNNING.value
            row.started_at = row.heartbeat_at = utc_now()
            return to_run(row)

    def finish(self, run_id: int, status: RunStatus, message: str = "") -> Run:
        status = RunStatus(status)
        if not status.finished:
            raise ValueError(f"finish() needs a final status, not {status.value}")
        with self._db.write() as s:
            row = self._row(s, run_id)
            now = utc_now()
            row.status = status.value
            row.message = message
            row.finished_at = row.heartbeat_at = now
            if row.started_at is None:
                row.started_at = now
            return to_run(row, self._stages(s, run_id))

    def update(
        self,
        run_id: int,
        *,
        params: dict[str, Any] | None = None,
        input_hashes: dict[str, str] | None = None,
        message: str | None = None,
    ) -> None:
        """Merge more parameters or input hashes into a run (known only once stages ran);
        ``message`` replaces its message (what a failed run took back)."""
        with self._db.write() as s:
            row = self._row(s, run_id)
            if message is not None:
                row.message = message
            if params:
                row.params = {**(row.params or {}), **params}
            if input_hashes:
                row.input_hashes = {**(row.input_hashes or {}), **input_hashes}
            row.heartbeat_at = utc_now()

    def heartbeat(self, run_id: int) -> None:
        """Tell other hosts this run is still alive (see ``remote_stale_after``)."""
        with self._db.write() as s:
            s.execute(sql_update(SqlRun).where(SqlRun.id == run_id).values(heartbeat_at=utc_now()))

    def save_stage(self, run_id: int, stage: StageRun) -> None:
        """Insert or replace the record of one stage of a run (keyed by node id)."""
        with self._db.write() as s:
            run = self._row(s, run_id)
            run.heartbeat_at = utc_now()
            row = s.scalar(
                select(SqlStageRun).where(
                    SqlStageRun.run_id == run_id, SqlStageRun.node_id == stage.node_id
                )
            )
            if row is None:
                row = SqlStageRun(run_id=run_id, node_id=stage.node_id)
                s.add(row)
            row.stage_type = stage.stage_type
            row.title = stage.title
            row.status = StageStatus(stage.status).value
            row.started_at = stage.started_at
            row.finished_at = stage.finished_at
            row.duration_s = stage.duration_s
            row.log = stage.log
            row.error = stage.error
            row.cache_key = stage.cache_key
            row.outputs = dict(stage.outputs)

    def numbers(self, project_id: int) -> dict[int, int]:
        """Run id -> the run's number in its project, for every run of the project."""
        query: Any = select(SqlRun.id, SqlRun.number).where(SqlRun.project_id == project_id)
        with self._db.read_connection() as conn:  # plain tuples: 10,000 runs in a few ms
            return {int(i): int(n) for i, n in driver_rows(conn, query)}

    def by_number(self, project_id: int, number: int) -> Run:
        """The run a project numbers ``number`` (``#number`` as the app shows it)."""
        query = select(SqlRun.id).where(SqlRun.project_id == project_id, SqlRun.number == number)
        with self._db.read_connection() as conn:
            run_id = conn.execute(query).scalar_one_or_none()
        if run_id is None:
            raise NotFoundError(f"no run #{number} in this project")
        return self.get(int(run_id))

    def get(self, run_id: int) -> Run:
        with self._db.read() as s:
            return to_run(self._row(s, run_id), self._stages(s, run_id))

    def many(self, run_ids: Sequence[int]) -> builtins.list[Run]:
        """These runs (with parameters, without stages), in the order given, in one query
        per 5,000; a run that does not exist raises :class:`NotFoundError`."""
        ids = [int(r) for r in run_ids]
        found: dict[int, Run] = {}
        with self._db.read_connection() as conn:
            for lo in range(0, len(ids), 5000):
                query = select(*RUN_COLUMNS).where(SqlRun.id.in_(ids[lo : lo + 5000]))
                found.update((row[0], run_from_row(row)) for row in driver_rows(conn, query))
        missing = [r for r in ids if r not in found]
        if missing:
            raise NotFoundError(f"no run #{missing[0]}")
        return [found[r] for r in ids]

    def list(
        self,
        project_id: int,
        pipeline_id: int | None = None,
        limit: int | None = None,
        *,
        with_stages: bool = False,
        with_params: bool = True,
        with_input_hashes: bool | None = None,
        trigger: str | None = None,
    ) -> list[Run]:
        """Runs of a project, newest first (stages only when ``with_stages``, all of them in
        one query; parameters and input hashes left empty unless ``with_params``, input
        hashes as ``with_input_hashes`` says when given; only runs started by ``trigger``
        when given). Plain column reads: no ORM object per run."""
        hashes = with_params if with_input_hashes is None else with_input_hashes
        columns: tuple[Any, ...]
        if with_params and hashes:
            columns = RUN_COLUMNS
        elif not with_params and not hashes:
            columns = LEAN_RUN_COLUMNS
        else:
            skip = "input_hashes" if with_params else "params"
            columns = tuple(null().label(c.key) if c.key == skip else c for c in RUN_COLUMNS)
        query = select(*columns).where(SqlRun.project_id == project_id)
        if pipeline_id is not None:
            query = query.where(SqlRun.pipeline_id == pipeline_id)
        if trigger is not None:
            query = query.where(SqlRun.trigger == trigger)
        query = query.order_by(SqlRun.created_at.desc(), SqlRun.id.desc()).limit(limit)
        with self._db.read_connection() as conn:
            rows = driver_rows(conn, query)
            stages = stages_of(conn, [r[0] for r in rows]) if with_stages else {}
        return [run_from_row(r, stages.get(r[0], ())) for r in rows]

    def table(
        self,
        project_id: int,
        pipeline_id: int | None = None,
        run_ids: Sequence[int] | None = None,
    ) -> builtins.list[dict[str, Any]]:
        """What a runs table shows of each run of a project (only ``run_ids`` when given),
        newest first, in one query: id, pipeline_id, status, trigger, environment,
        created_at, started_at, finished_at, message, number (no parameters, no stages)."""
        query = select(
            SqlRun.id,
            SqlRun.pipeline_id,
            SqlRun.status,
            SqlRun.trigger,
            SqlRun.environment,
            SqlRun.created_at,
            SqlRun.started_at,
            SqlRun.finished_at,
            SqlRun.message,
            SqlRun.number,
        ).where(SqlRun.project_id == project_id)
        if pipeline_id is not None:
            query = query.where(SqlRun.pipeline_id == pipeline_id)
        if run_ids is not None:
            query = query.where(SqlRun.id.in_(list(run_ids)))
        query = query.order_by(SqlRun.created_at.desc(), SqlRun.id.desc())
        with self._db.read_connection() as conn:
            rows = conn.execute(query).all()
        return [
            {
                "id": r[0],
                "pipeline_id": r[1],
                "status": r[2],
                "trigger": r[3],
                "environment": r[4],
                "created_at": r[5],
                "started_at": r[6],
                "finished_at": r[7],
                "message": r[8],
                "number": r[9],
            }
            for r in rows
        ]

    def stage_summaries(self, run_ids: Sequence[int]) -> dict[int, builtins.list[dict[str, Any]]]:
        """Per run: its stages' node_id, stage_type, title, status, duration_s and error, in
        one query (what listings show; no logs or outputs)."""
        with self._db.read_connection() as conn:
            return stage_summaries(conn, run_ids)

    def stage_rows(
        self, run_ids: Sequence[int], fields: Sequence[str]
    ) -> dict[int, builtins.list[tuple[Any, ...]]]:
        """Per run: the chosen ``fields`` of its stages as tuples, in one query (e.g.
        ``("node_id", "stage_type", "status", "duration_s")`` for the maturity facts)."""
        with self._db.read_connection() as conn:
            return stage_rows(conn, run_ids, fields)

    def stage_rows_in_project(
        self,
        project_id: int,
        fields: Sequence[str],
        pipeline_id: int | None = None,
        limit: int | None = None,
    ) -> dict[int, builtins.list[tuple[Any, ...]]]:
        """:meth:`stage_rows` for a project's runs (of one pipeline; the newest ``limit``,
        as :meth:`list` picks them) in one query, however many runs there are."""
        with self._db.read_connection() as conn:
            return stage_rows(conn, run_ids_query(project_id, pipeline_id, limit), fields)

    def add_finished(
        self, runs: builtins.list[Run], series: builtins.list[SeriesRow] | None = None
    ) -> builtins.list[int]:
        """Store finished runs (ids ignored) with their stage records and metric series in
        one transaction; the new ids in order. ``series`` rows are (index of the run in
        ``runs``, key, node id, steps, values, timestamps)."""
        from mlops_desktop.storage.metrics import insert_series

        owner = current_owner()
        with self._db.write_connection() as conn:
            ids = insert_finished(conn, runs, (owner.host, owner.pid, owner.token))
            if series:
                insert_series(conn, [(ids[i], k, n, st, v, ts) for i, k, n, st, v, ts in series])
        return ids

    def delete(self, project_id: int, run_ids: builtins.list[int]) -> int:
        """Delete finished runs of a project with their stages and metrics; the count.

        Refused (nothing deleted) for a run that is still queued or running, and for one
        that registered a model version or made a deployment: the registry's lineage points
        at it. Artifact files stay until a garbage collection finds nothing refers to them.
        """
        wanted = sorted(set(run_ids))
        if not wanted:
            return 0
        with self._db.write() as s:
            rows = list(
                s.scalars(
                    select(SqlRun).where(SqlRun.id.in_(wanted), SqlRun.project_id == project_id)
                )
            )
            missing = sorted(set(wanted) - {r.id for r in rows})
            if missing:
                raise NotFoundError(f"the project has no run #{missing[0]}")
            active = [r for r in rows if r.status in ACTIVE]
            if active:
                raise ConflictError(f"run #{active[0].id} is still {active[0].status}")
            versions = s.scalars(
                select(SqlModelVersion.run_id).where(SqlModelVersion.run_id.in_(wanted))
            ).all()
            deployed = s.scalars(
                select(SqlDeployment.run_id).where(SqlDeployment.run_id.in_(wanted))
            ).all()
            kept = sorted({r for r in (*versions, *deployed) if r is not None})
            if kept:
                raise ConflictError(
                    f"run #{kept[0]} registered or deployed a model: the registry's history "
                    "points at it, so it is kept"
                )
            result = s.execute(sql_delete(SqlRun).where(SqlRun.id.in_(wanted)))
            return rows_changed(result)

    def mark_interrupted(self) -> int:
        """Mark queued/running runs whose owner process is gone as interrupted; the count."""
        here = hostname()
        stale_before = utc_now() - self.remote_stale_after
        with self._db.read() as s:
            candidates = list(s.scalars(select(SqlRun).where(SqlRun.status.in_(ACTIVE))))
        dead: list[int] = []
        for row in candidates:
            if row.owner_host == here:
                gone = not is_alive(Owner(row.owner_host, row.owner_pid, row.owner_token))
            else:
                beat = row.heartbeat_at or row.started_at or row.created_at
                gone = beat < stale_before
            if gone:
                dead.append(row.id)
        if not dead:
            return 0
        return self._interrupt(dead)

    def _interrupt(self, run_ids: builtins.list[int]) -> int:
        now = utc_now()
        with self._db.write() as s:
            # Re-check the status inside the write lock: the owner may have just finished.
            result = s.execute(
                sql_update(SqlRun)
                .where(SqlRun.id.in_(run_ids), SqlRun.status.in_(ACTIVE))
                .values(
                    status=RunStatus.INTERRUPTED.value,
                    finished_at=now,
                    message="interrupted: the process running it stopped",
                )
                .execution_options(synchronize_session=False)
            )
            s.execute(
                sql_update(SqlStageRun)
                .where(
                    SqlStageRun.run_id.in_(run_ids),
                    SqlStageRun.status.in_(UNFINISHED_STAGES),
                )
                .values(
                    status=StageStatus.FAILED.value,
                    error="interrupted: the process running it stopped",
                    outputs={},
                    finished_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            return rows_changed(result)

    @staticmethod
    def _row(s: Session, run_id: int) -> SqlRun:
        row = s.get(SqlRun, run_id)
        if row is None:
            raise NotFoundError(f"no run #{run_id}")
        return row

    @staticmethod
    def _stages(s: Session, run_id: int) -> tuple[StageRun, ...]:
        query = select(SqlStageRun).where(SqlStageRun.run_id == run_id).order_by(SqlStageRun.id)
        return tuple(to_stage(r) for r in s.scalars(query))
