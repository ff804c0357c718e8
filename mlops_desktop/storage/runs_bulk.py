"""Bulk reads and writes of the run history: whole batches of runs in one statement each.

Listing thousands of runs through ORM objects costs milliseconds per run; these functions
read plain columns (:func:`run_from_row`, :func:`stages_of`) and write finished runs with their
stage records and metric series in one transaction per batch (:func:`insert_finished`, used
by imports), so the cost per run stays a few tens of microseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np
from sqlalchemy import Connection, Select, Table, insert, null, select, update

from mlops_desktop.core.entities import Run, RunStatus, StageRun, StageStatus
from mlops_desktop.core.errors import NotFoundError
from mlops_desktop.storage._util import driver_rows
from mlops_desktop.storage.orm import (
    SqlProject,
    SqlRun,
    SqlStageRun,
    json_object_from_driver,
    utc_from_driver,
)

_RUNS = cast(Table, SqlRun.__table__)
_STAGES = cast(Table, SqlStageRun.__table__)
# (run index in the batch, key, node id, steps, values, timestamps)
SeriesRow = tuple[int, str, str, np.ndarray, np.ndarray, np.ndarray]

RUN_COLUMNS = (
    SqlRun.id,
    SqlRun.project_id,
    SqlRun.pipeline_id,
    SqlRun.pipeline_version_id,
    SqlRun.status,
    SqlRun.trigger,
    SqlRun.environment,
    SqlRun.created_at,
    SqlRun.started_at,
    SqlRun.finished_at,
    SqlRun.params,
    SqlRun.input_hashes,
    SqlRun.app_version,
    SqlRun.executor,
    SqlRun.commit,
    SqlRun.message,
    SqlRun.number,
)
# The same without the JSON columns (parameters, input hashes): for listings that skip them.
LEAN_RUN_COLUMNS = tuple(
    null().label(c.key) if c.key in ("params", "input_hashes") else c for c in RUN_COLUMNS
)
STAGE_COLUMNS = (
    SqlStageRun.run_id,
    SqlStageRun.node_id,
    SqlStageRun.stage_type,
    SqlStageRun.title,
    SqlStageRun.status,
    SqlStageRun.started_at,
    SqlStageRun.finished_at,
    SqlStageRun.duration_s,
    SqlStageRun.log,
    SqlStageRun.error,
    SqlStageRun.cache_key,
    SqlStageRun.outputs,
)


def run_from_row(row: Any, stages: tuple[StageRun, ...] = ()) -> Run:
    """A :class:`Run` from a row of :data:`RUN_COLUMNS` as the driver gives it
    (:func:`~mlops_desktop.storage._util.driver_rows`): dates and JSON decoded here."""
    return Run(
        id=row[0],
        project_id=row[1],
        pipeline_id=row[2],
        pipeline_version_id=row[3],
        status=RunStatus(row[4]),
        trigger=row[5],
        environment=row[6],
        created_at=utc_from_driver(row[7]),  # type: ignore[arg-type]  # never NULL
        started_at=utc_from_driver(row[8]),
        finished_at=utc_from_driver(row[9]),
        params=json_object_from_driver(row[10]),
        input_hashes=json_object_from_driver(row[11]),
        app_version=row[12],
        executor=row[13],
        commit=row[14],
        message=row[15],
        stages=stages,
        number=row[16],
    )


def stage_from_row(row: Any) -> StageRun:
    """A :class:`StageRun` from a row of :data:`STAGE_COLUMNS` (run id first)."""
    return StageRun(
        node_id=row[1],
        stage_type=row[2],
        title=row[3],
        status=StageStatus(row[4]),
        started_at=row[5],
        finished_at=row[6],
        duration_s=row[7],
        log=row[8],
        error=row[9],
        cache_key=row[10],
        outputs=dict(row[11] or {}),
    )


def stages_of(conn: Connection, run_ids: Sequence[int]) -> dict[int, tuple[StageRun, ...]]:
    """The stage records of these runs in one query per 5,000 runs (in record order)."""
    out: dict[int, list[StageRun]] = {}
    ids = list(run_ids)
    for lo in range(0, len(ids), 5000):
        query = (
            select(*STAGE_COLUMNS)
            .where(SqlStageRun.run_id.in_(ids[lo : lo + 5000]))
            .order_by(SqlStageRun.run_id, SqlStageRun.id)
        )
        for row in conn.execute(query).all():
            out.setdefault(row[0], []).append(stage_from_row(row))
    return {k: tuple(v) for k, v in out.items()}


SUMMARY_FIELDS = ("node_id", "stage_type", "title", "status", "duration_s", "error")
# stage_runs columns the driver returns as the Python values the app wants (no dates, JSON)
PLAIN_STAGE_FIELDS = frozenset((*SUMMARY_FIELDS, "id", "run_id", "log", "cache_key"))
# which runs a read is about: their ids, or a SELECT of them (see :func:`run_ids_query`)
RunScope = Sequence[int] | Select[Any]


def run_ids_query(
    project_id: int, pipeline_id: int | None = None, limit: int | None = None
) -> Select[Any]:
    """The ids of a project's runs (of one pipeline), the newest ``limit`` of them as
    ``RunStore.list`` picks them: to read what belongs to them in one query."""
    query = select(SqlRun.id).where(SqlRun.project_id == project_id)
    if pipeline_id is not None:
        query = query.where(SqlRun.pipeline_id == pipeline_id)
    if limit is not None:
        query = query.order_by(SqlRun.created_at.desc(), SqlRun.id.desc()).limit(limit)
    return query


def stage_rows(
    conn: Connection, run_ids: RunScope, fields: Sequence[str]
) -> dict[int, list[tuple[Any, ...]]]:
    """Per run: the ``fields`` (stage_runs column names) of each of its stages as a tuple,
    in record order (nothing decoded that is not asked for). One query for a SELECT of run
    ids, one per 5,000 runs for a list of them."""
    out: dict[int, list[tuple[Any, ...]]] = {}
    c = SqlStageRun
    columns = [getattr(c, f) for f in fields]
    if isinstance(run_ids, Select):
        scopes = [c.run_id.in_(run_ids.scalar_subquery())]
    else:
        ids = list(run_ids)
        scopes = [c.run_id.in_(ids[lo : lo + 5000]) for lo in range(0, len(ids), 5000)]
    plain = PLAIN_STAGE_FIELDS.issuperset(fields)
    for scope in scopes:
        # run by run, each in record order: read in the order of ix_stage_runs_run_id
        query = select(c.run_id, *columns).where(scope).order_by(c.run_id, c.id)
        rows = driver_rows(conn, query) if plain else conn.execute(query).all()
        for row in rows:
            got = out.get(row[0])
            if got is None:
                got = out[row[0]] = []
            got.append(tuple(row[1:]))
    return out


def stage_summaries(conn: Connection, run_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Node id, stage type, title, status, duration and error of every stage of these runs
    (no logs, outputs or times to decode), in record order."""
    return {
        run_id: [dict(zip(SUMMARY_FIELDS, row, strict=True)) for row in rows]
        for run_id, rows in stage_rows(conn, run_ids, SUMMARY_FIELDS).items()
    }


def insert_finished(
    conn: Connection,
    runs: Sequence[Run],
    owner: tuple[str, int, str] = ("", 0, ""),
) -> list[int]:
    """Insert finished runs with their stage records; their new ids in the same order."""
    if not runs:
        return []
    host, pid, token = owner
    numbers = _take_run_numbers(conn, [r.project_id for r in runs])
    rows = [
        {
            "project_id": r.project_id,
            "pipeline_id": r.pipeline_id,
            "pipeline_version_id": r.pipeline_version_id,
            "status": RunStatus(r.status).value,
            "trigger": r.trigger,
            "environment": r.environment,
            "created_at": r.created_at,
            "started_at": r.started_at,
            "finished_at": r.finished_at,
            "heartbeat_at": r.finished_at or r.created_at,
            "params": dict(r.params),
            "input_hashes": dict(r.input_hashes),
            "app_version": r.app_version,
            "executor": r.executor,
            "commit": r.commit,
            "message": r.message,
            "owner_host": host,
            "owner_pid": pid,
            "owner_token": token,
            "number": number,
        }
        for r, number in zip(runs, numbers, strict=True)
    ]
    # Batched multi-row inserts; new ids grow in the order of the rows (SQLite's rowid and
    # PostgreSQL's sequence both hand them out row by row), so sorted they match ``runs``.
    result = conn.execute(insert(_RUNS).returning(_RUNS.c.id), rows)
    ids = sorted(int(i) for i in result.scalars())
    stage_rows = [
        {
            "run_id": run_id,
            "node_id": s.node_id,
            "stage_type": s.stage_type,
            "title": s.title,
            "status": StageStatus(s.status).value,
            "started_at": s.started_at,
            "finished_at": s.finished_at,
            "duration_s": s.duration_s,
            "log": s.log,
            "error": s.error,
            "cache_key": s.cache_key,
            "outputs": dict(s.outputs),
        }
        for run_id, r in zip(ids, runs, strict=True)
        for s in r.stages
    ]
    if stage_rows:
        conn.execute(insert(_STAGES), stage_rows)
    return ids


def _take_run_numbers(conn: Connection, project_ids: Sequence[int]) -> list[int]:
    """The next run numbers of these projects, one per entry in order; the projects' counters
    move on in the same transaction (the UPDATE locks the project row on PostgreSQL, so two
    writers never hand out the same number)."""
    wanted: dict[int, int] = {}
    for pid in project_ids:
        wanted[pid] = wanted.get(pid, 0) + 1
    first: dict[int, int] = {}
    for pid, count in wanted.items():
        first[pid] = take_run_numbers(conn, pid, count)
    out = []
    for pid in project_ids:
        out.append(first[pid])
        first[pid] += 1
    return out


def take_run_numbers(conn: Connection, project_id: int, count: int = 1) -> int:
    """Reserve ``count`` run numbers in a project; the first of them."""
    projects = cast(Table, SqlProject.__table__)
    conn.execute(
        update(projects)
        .where(projects.c.id == project_id)
        .values(last_run_number=projects.c.last_run_number + count)
    )
    last = conn.execute(
        select(projects.c.last_run_number).where(projects.c.id == project_id)
    ).scalar_one_or_none()
    if last is None:
        raise NotFoundError(f"no project with id {project_id}")
    return int(last) - count + 1
