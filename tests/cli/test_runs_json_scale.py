"""``runs --json`` over a long history: a fixed number of statements whatever the number of
runs, every stage record of every run, and the stored data unchanged by the bulk write."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import event
from sqlalchemy.engine import Engine

from mlops_desktop.app.projects import ProjectService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.cli import main
from mlops_desktop.core.entities import Run, RunStatus, StageRun, StageStatus


def _workspace(path, n: int) -> list[int]:
    with Workspace.open(path) as ws:
        project = ProjectService(ws).create_project("p", template="google")
        info = ws.pipelines.list(project.id)[0]
        version = ws.pipelines.latest(info.id)
        start = datetime(2025, 3, 1, tzinfo=UTC)
        runs, series = [], []
        for i in range(n):
            when = start + timedelta(hours=i)
            stages = tuple(
                StageRun(
                    f"n{k}",
                    "train",
                    f"Stage {k}",
                    StageStatus.SUCCEEDED if k else StageStatus.FAILED,
                    started_at=when,
                    finished_at=when + timedelta(seconds=k),
                    duration_s=float(k),
                    error="" if k else f"boom {i}",
                )
                for k in range(3)
            )
            runs.append(
                Run(0, project.id, info.id, version.id, RunStatus.SUCCEEDED, "schedule",
                    "dev", when, when, when + timedelta(seconds=5), stages=stages)
            )  # fmt: skip
            series.append((i, "accuracy", "n2", [0, 1], [0.5, i / 100], when.timestamp()))
        return ws.runs.add_finished(runs, series)


def _runs_json(capsys, path) -> tuple[list[dict], int]:
    statements = []

    def count(*_args) -> None:
        statements.append(1)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        capsys.readouterr()
        assert main(["--workspace", str(path), "runs", "p", "--json", "--limit", "1000"]) == 0
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    return json.loads(capsys.readouterr().out), len(statements)


def test_runs_json_reads_any_number_of_runs_in_the_same_statements(tmp_path, capsys) -> None:
    few, many = tmp_path / "few.db", tmp_path / "many.db"
    _workspace(few, 3)
    ids = _workspace(many, 60)
    listed_few, statements_few = _runs_json(capsys, few)
    listed, statements_many = _runs_json(capsys, many)
    assert len(listed_few) == 3 and len(listed) == 60
    assert statements_many == statements_few  # not two statements per run
    assert [r["id"] for r in listed] == list(reversed(ids))  # newest first
    newest = listed[0]
    assert newest["metrics"] == {"accuracy": 0.59}  # the value at the highest step
    assert newest["duration_s"] == 5.0 and newest["trigger"] == "schedule"
    assert [s["node_id"] for s in newest["stages"]] == ["n0", "n1", "n2"]
    assert newest["stages"][0] == {
        "node_id": "n0",
        "title": "Stage 0",
        "status": "failed",
        "duration_s": 0.0,
        "error": "boom 59",
    }
    # the bulk write stored what the one-by-one reads give back
    with Workspace.open(many) as ws:
        run = ws.runs.get(ids[-1])
        assert [s.title for s in run.stages] == ["Stage 0", "Stage 1", "Stage 2"]
        steps, values, _ = ws.metrics.history(ids[-1], "accuracy")
        assert steps.tolist() == [0, 1] and values.tolist() == [0.5, 0.59]


def test_runs_json_reads_values_and_stages_of_the_listed_runs_in_one_statement_each(
    tmp_path, capsys
) -> None:
    path = tmp_path / "w.db"
    ids = _workspace(path, 30)
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        capsys.readouterr()
        args = ["--workspace", str(path), "runs", "p", "--json", "--limit", "7"]
        assert main(args) == 0
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    listed = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in listed] == list(reversed(ids))[:7]
    assert all(r["metrics"] and len(r["stages"]) == 3 for r in listed)
    # one statement reads the latest values, one the stages, of the runs listed
    chunks = [s for s in statements if "FROM metric_chunks" in s]
    stages = [s for s in statements if "FROM stage_runs" in s]
    assert len(chunks) == 1 and len(stages) == 1


def test_runs_json_reads_and_writes_a_long_history_a_page_at_a_time(
    tmp_path, capsys, monkeypatch
) -> None:
    """Each page of runs has its values and stages read in one statement each, then is
    written: the statements grow with the pages, every run is listed once, newest first,
    with its own stages and values."""
    from mlops_desktop.cli import cmd_run

    monkeypatch.setattr(cmd_run, "JSON_PAGE", 4)
    path = tmp_path / "w.db"
    ids = _workspace(path, 10)
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        capsys.readouterr()
        assert main(["--workspace", str(path), "runs", "p", "--json"]) == 0
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    listed = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in listed] == list(reversed(ids))
    for n, run in enumerate(reversed(listed)):  # run n was built with these
        assert run["metrics"] == {"accuracy": n / 100}
        assert run["stages"][0]["error"] == f"boom {n}"
    assert sum("FROM stage_runs" in s for s in statements) == 3  # 10 runs, pages of 4
    assert sum("FROM metric_chunks" in s for s in statements) == 3


def test_runs_json_is_strict_json_when_a_value_is_not_a_number(tmp_path, capsys) -> None:
    """A latest value of NaN prints as null: the listing parses with a strict JSON parser
    (one that refuses NaN, as jq and JavaScript do), one run per line."""
    path = tmp_path / "w.db"
    _workspace(path, 2)
    with Workspace.open(path) as ws:
        run_id = ws.runs.list(ws.projects.get("p").id, limit=1)[0].id
        ws.metrics.log_arrays(run_id, "loss", np.array([0.4, np.nan]))  # the latest is NaN
    capsys.readouterr()
    assert main(["--workspace", str(path), "runs", "p", "--json"]) == 0
    out = capsys.readouterr().out

    def refuse(name: str) -> None:
        raise ValueError(f"not JSON: {name}")

    listed = json.loads(out, parse_constant=refuse)
    assert listed[0]["id"] == run_id and listed[0]["metrics"]["loss"] is None
    assert listed[0]["metrics"]["accuracy"] == 0.01
    assert listed[0]["started_at"] == "2025-03-01T01:00:00+00:00"  # ISO 8601, UTC offset
    lines = out.splitlines()
    assert lines[0] == "[" and lines[-1] == "]" and len(lines) == 4  # one run per line
