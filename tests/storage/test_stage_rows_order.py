"""The stage records of many runs read back run by run, each run's in record order, from
the run index: no sort of all the records (a fifth of reading 120,000 of them), and the
same records whatever the node ids' alphabetical order, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from sqlalchemy import event

from mlops_desktop.app.workspace import Workspace
from mlops_desktop.core.entities import Run, RunStatus, StageRun, StageStatus

NODES = ("zeta", "alpha", "mid")  # record order is not alphabetical order


def _runs(ws: Workspace, n: int) -> tuple[int, list[int]]:
    project = ws.projects.create("p")
    pipeline = ws.pipelines.create(project.id, "pipe", {"nodes": [], "edges": []})
    version = ws.pipelines.latest(pipeline.id)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    runs = [
        Run(0, project.id, pipeline.id, version.id, RunStatus.SUCCEEDED, "manual", "dev",
            start + timedelta(minutes=i), start, start + timedelta(seconds=3),
            stages=tuple(
                StageRun(node, "train", node.title(), StageStatus.SUCCEEDED,
                         duration_s=i + k / 10)
                for k, node in enumerate(NODES)
            ))
        for i in range(n)
    ]  # fmt: skip
    return project.id, ws.runs.add_finished(runs)


def test_stage_records_come_back_in_record_order_per_run(ws: Workspace) -> None:
    project_id, ids = _runs(ws, 5)
    rows = ws.runs.stage_rows_in_project(project_id, ("node_id", "duration_s"))
    assert sorted(rows) == sorted(ids)
    for i, run_id in enumerate(ids):
        assert rows[run_id] == [(node, i + k / 10) for k, node in enumerate(NODES)]
    listed = ws.runs.list(project_id, with_stages=True)
    assert [r.id for r in listed] == list(reversed(ids))
    assert all([s.node_id for s in r.stages] == list(NODES) for r in listed)
    assert listed[0].started_at == datetime(2025, 1, 1, tzinfo=UTC)  # aware, UTC


def test_reading_a_projects_stage_records_sorts_nothing(tmp_path) -> None:
    path = tmp_path / "w.db"
    statements: list[tuple[str, tuple[object, ...]]] = []

    def record(_conn, _cursor, statement, parameters, *_args) -> None:
        if "FROM stage_runs" in statement:
            statements.append((statement, tuple(parameters)))

    with Workspace.open(path) as ws:
        project_id, _ = _runs(ws, 30)
        event.listen(ws.db.engine, "before_cursor_execute", record)
        ws.runs.stage_rows_in_project(project_id, ("node_id", "title", "status"))
        event.remove(ws.db.engine, "before_cursor_execute", record)
    assert len(statements) == 1
    statement, parameters = statements[0]
    with sqlite3.connect(path) as conn:
        plan = [row[-1] for row in conn.execute("EXPLAIN QUERY PLAN " + statement, parameters)]
    assert any("ix_stage_runs_run_id" in step for step in plan), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan
