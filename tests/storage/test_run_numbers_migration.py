"""Migration 0007 numbers the runs a workspace already holds per project, in the order they
were created, and later runs go on from there; downgrading keeps every run."""

from __future__ import annotations

import sqlite3

from alembic import command

from mlops_desktop.app.workspace import Workspace
from mlops_desktop.storage import schema
from mlops_desktop.storage.database import make_engine

DOC = {"format": "mlops-desktop/pipeline", "format_version": 2, "name": "main", "nodes": []}


def _at(path, revision: str, up: bool = True) -> None:
    engine = make_engine(f"sqlite:///{path}")
    cfg = schema.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.upgrade if up else command.downgrade)(cfg, revision)
    engine.dispose()


def _new_run(ws: Workspace, name: str) -> int:
    try:
        project = ws.projects.get(name)
    except Exception:  # noqa: BLE001 - the project's first run
        project = ws.projects.create(name, pipelines=[("main", DOC)])
    info = ws.pipelines.list(project.id)[0]
    return ws.runs.create(project.id, info.id, ws.pipelines.latest(info.id).id).id


def test_old_runs_are_numbered_per_project_and_new_ones_follow(tmp_path) -> None:
    path = tmp_path / "w.db"
    with Workspace.open(path) as ws:
        ids = [_new_run(ws, name) for name in "aabab"]  # interleaved across the projects
    _at(path, "0006", up=False)  # a workspace from before run numbers
    con = sqlite3.connect(path)
    try:
        assert "number" not in {r[1] for r in con.execute("PRAGMA table_info(runs)")}
        assert con.execute("SELECT COUNT(*) FROM runs").fetchone() == (5,)
    finally:
        con.close()
    with Workspace.open(path) as ws:  # migrates to the head
        a, b = ws.projects.get("a"), ws.projects.get("b")
        assert ws.runs.numbers(a.id) == {ids[0]: 1, ids[1]: 2, ids[3]: 3}
        assert ws.runs.numbers(b.id) == {ids[2]: 1, ids[4]: 2}
        run = ws.runs.get(_new_run(ws, "b"))
        assert run.number == 3 and run.label == "#3"
