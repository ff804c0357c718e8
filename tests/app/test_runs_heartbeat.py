"""RunService keeps a long run's heartbeat fresh (for other hosts sharing the workspace)
and stops its heartbeat thread with the run."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from mlops_desktop.app.runs import Heartbeat, RunService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.core import serialization
from mlops_desktop.core.entities import RunStatus
from mlops_desktop.core.execution import NullListener
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.operations import add_stage, connect
from mlops_desktop.core.registry import default_registry
from mlops_desktop.storage.orm import SqlMetricChunk, SqlRun


def slow_pipeline() -> Pipeline:
    pipeline = Pipeline("main", default_registry())
    for node_id, stage_type, params in [
        ("load", "load_data", {"dataset": "digits"}),
        ("split", "split", {}),
        ("train", "train", {"estimator": "random_forest", "n_estimators": 3000}),
    ]:
        pipeline.apply(add_stage(pipeline, stage_type, params=params, node_id=node_id))
    pipeline.apply(connect("load", "dataset", "split", "dataset"))
    pipeline.apply(connect("split", "split", "train", "split"))
    return pipeline


def heartbeat_at(ws: Workspace, run_id: int):
    with ws.db.read() as s:
        return s.scalar(select(SqlRun.heartbeat_at).where(SqlRun.id == run_id))


def beating() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("mlops-heartbeat-")]


class Started(NullListener):
    def __init__(self) -> None:
        self.nodes: set[str] = set()

    def stage_started(self, run_id, node_id) -> None:
        self.nodes.add(node_id)


def test_a_long_stage_keeps_the_heartbeat_fresh_and_the_thread_ends_with_the_run(
    tmp_path,
) -> None:
    with Workspace.open(str(tmp_path / "ws.db")) as ws:
        project = ws.projects.create("demo")
        ws.pipelines.create(project.id, "main", serialization.to_dict(slow_pipeline()))
        service = RunService(ws, workers=2)
        service.heartbeat_seconds = 0.1
        started = Started()
        handle = service.start("demo", listener=started)
        deadline = time.monotonic() + 30
        while "train" not in started.nodes and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.15)
        first = heartbeat_at(ws, handle.run_id)
        time.sleep(0.5)  # inside one long training stage: no stage event touches the run
        second = heartbeat_at(ws, handle.run_id)
        assert beating() == [f"mlops-heartbeat-{handle.run_id}"]
        handle.cancel()
        run = handle.wait(10)
        assert run is not None and run.status is RunStatus.CANCELLED
        assert second > first
        assert beating() == []


def test_a_heartbeat_survives_failing_writes_and_stops_at_once(tmp_path, caplog) -> None:
    path = tmp_path / "ws.db"
    ws = Workspace.open(str(path))
    ws.close()
    for leftover in tmp_path.glob("ws.db*"):
        leftover.unlink()  # every write now fails: the database has no tables
    beat = Heartbeat(ws, 7, interval=0.02)
    beat.start()
    time.sleep(0.2)
    assert beat._thread.is_alive()
    assert caplog.text.count("could not record the heartbeat of run #7") >= 2  # kept trying
    started = time.monotonic()
    beat.stop()
    assert time.monotonic() - started < 0.5 and not beat._thread.is_alive()


def test_points_buffered_by_the_recorder_end_up_in_few_chunks(tmp_path) -> None:
    from mlops_desktop.app.runs import RecordingListener

    with Workspace.open(str(tmp_path / "ws.db")) as ws:
        project = ws.projects.create("demo")
        ws.pipelines.create(project.id, "main", serialization.to_dict(slow_pipeline()))
        info = ws.pipelines.list(project.id)[0]
        run = ws.runs.create(project.id, info.id, ws.pipelines.latest(info.id).id)
        recorder = RecordingListener(ws)
        recorder.run_started(run.id)
        for i in range(300):
            recorder.metric_logged(run.id, "train", "loss", i, 1.0 / (i + 1))
            if i % 10 == 9:
                recorder.flush(run.id)  # as the one-second timer does in a slow training
        recorder.run_finished(run.id, RunStatus.SUCCEEDED, "")
        with ws.db.read() as s:
            chunks = s.scalar(
                select(func.count())
                .select_from(SqlMetricChunk)
                .where(SqlMetricChunk.run_id == run.id)
            )
        assert chunks == 1
        steps, values, _ = ws.metrics.history(run.id, "loss")
        assert steps.tolist() == list(range(300)) and values[-1] == 1.0 / 300
        assert ws.runs.get(run.id).status is RunStatus.SUCCEEDED
