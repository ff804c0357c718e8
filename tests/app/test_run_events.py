"""Run events through the real path: a stage's ``ctx.log_metric`` calls reach the store in a
few bulk writes, whether the run starts from the command line or from RunService."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from mlops_desktop.app.runs import RunService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.cli import main
from mlops_desktop.core import serialization
from mlops_desktop.core.entities import RunStatus
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.operations import add_stage
from mlops_desktop.core.registry import default_registry

POINTS = 10_000
CODE = f"""
def curve(ctx):
    for i in range({POINTS}):
        ctx.log_metric("loss", 1.0 / (i + 1))
    return {{"final_loss": 1.0 / {POINTS}}}
"""


class MetricWrites:
    """Counts the write transactions that touch a metric table, on every SQLAlchemy engine
    of the process (so the CLI's own workspace is counted too)."""

    def __init__(self) -> None:
        self.transactions: set[tuple[int, int]] = set()
        self._serial: dict[int, int] = {}
        self._lock = threading.Lock()

    def _begin(self, conn: object) -> None:
        with self._lock:
            self._serial[id(conn)] = self._serial.get(id(conn), 0) + 1

    def _execute(self, conn, cursor, statement: str, *args: object) -> None:
        head = statement.lstrip().upper()
        if head.startswith(("INSERT", "UPDATE", "DELETE")) and " METRIC" in head:
            with self._lock:
                self.transactions.add((id(conn), self._serial.get(id(conn), 0)))

    def __enter__(self) -> MetricWrites:
        event.listen(Engine, "begin", self._begin)
        event.listen(Engine, "before_cursor_execute", self._execute)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(Engine, "begin", self._begin)
        event.remove(Engine, "before_cursor_execute", self._execute)


@pytest.fixture
def ws_path(tmp_path) -> Iterator[str]:
    code = tmp_path / "curve.py"
    code.write_text(CODE, "utf-8")
    path = str(tmp_path / "ws.db")
    ws = Workspace.open(path)
    pipeline = Pipeline("main", default_registry())
    pipeline.apply(
        add_stage(
            pipeline,
            "python_function",
            params={"file": str(code), "function": "curve"},
            node_id="fn",
        )
    )
    proj = ws.projects.create("points")
    ws.pipelines.create(proj.id, "main", serialization.to_dict(pipeline))
    ws.close()
    yield path


def _loss(path: str) -> int:
    ws = Workspace.open(path)
    try:
        run = ws.runs.list(ws.projects.get("points").id)[0]
        steps, values, _ = ws.metrics.history(run.id, "loss")
        assert run.status is RunStatus.SUCCEEDED
        assert steps[-1] == POINTS - 1 and values[0] == 1.0
        return len(values)
    finally:
        ws.close()


def test_ten_thousand_log_metric_calls_from_the_cli_are_a_few_writes(ws_path) -> None:
    with MetricWrites() as writes:
        assert main(["--workspace", ws_path, "run", "points", "--trust", "--quiet"]) == 0
    assert _loss(ws_path) == POINTS
    # Two full buffers, a timed flush or two, the stage's end, the compaction at the end.
    assert 1 <= len(writes.transactions) <= 8, len(writes.transactions)


def test_ten_thousand_log_metric_calls_through_run_service_are_a_few_writes(ws_path) -> None:
    from mlops_desktop.app.trust import trust

    ws = Workspace.open(ws_path)
    try:
        service = RunService(ws)
        proj = ws.projects.get("points")
        graph = serialization.from_dict(
            ws.pipelines.latest(service.pipeline_info(proj.id, None).id).document,
            service.registry,
        )
        trust(ws, graph)
        with MetricWrites() as writes:
            run = service.run("points")
        assert run.status is RunStatus.SUCCEEDED
        # Served from the cache: the replayed series is one bulk write, not 10,000.
        with MetricWrites() as cached:
            again = service.run("points")
        assert ws.metrics.history(again.id, "loss")[1].size == POINTS
    finally:
        ws.close()
    assert 1 <= len(writes.transactions) <= 8, len(writes.transactions)
    assert 1 <= len(cached.transactions) <= 3, len(cached.transactions)
