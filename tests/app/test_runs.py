"""RunService on a real SQLite workspace: records, caching, metrics, outputs and previews."""

from __future__ import annotations

import threading
import time

import pytest

from mlops_desktop.app.previews import preview
from mlops_desktop.app.runs import RunService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.core import serialization
from mlops_desktop.core.entities import RunStatus, StageStatus
from mlops_desktop.core.errors import GraphError, NotFoundError
from mlops_desktop.core.execution import NullListener
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.operations import SetParams, add_stage, connect
from mlops_desktop.core.registry import default_registry


def build(nodes, links, name="main") -> Pipeline:
    pipeline = Pipeline(name, default_registry())
    for node_id, stage_type, params in nodes:
        pipeline.apply(add_stage(pipeline, stage_type, params=params, node_id=node_id))
    for link in links:
        pipeline.apply(connect(*link))
    return pipeline


def iris_pipeline(load_params=None) -> Pipeline:
    return build(
        [
            ("load", "load_data", load_params or {"dataset": "iris"}),
            ("check", "validate_data", {}),
            ("split", "split", {}),
            ("fe", "feature_engineering", {}),
            ("train", "train", {"estimator": "random_forest", "n_estimators": 10}),
            ("eval", "evaluate", {"importance_repeats": 2}),
        ],
        [
            ("load", "dataset", "check", "dataset"),
            ("check", "dataset", "split", "dataset"),
            ("split", "split", "fe", "split"),
            ("fe", "split", "train", "split"),
            ("fe", "split", "eval", "split"),
            ("train", "model", "eval", "model"),
        ],
    )


@pytest.fixture
def ws(tmp_path):
    workspace = Workspace.open(str(tmp_path / "ws.db"))
    yield workspace
    workspace.close()


def project(ws, pipeline: Pipeline, name="demo"):
    proj = ws.projects.create(name)
    ws.pipelines.create(proj.id, "main", serialization.to_dict(pipeline))
    return proj


class Events(NullListener):
    def __init__(self):
        self.lock = threading.Lock()
        self.seen: list[tuple] = []

    def stage_started(self, run_id, node_id):
        with self.lock:
            self.seen.append(("started", node_id))

    def stage_finished(self, run_id, node_id, stage_run):
        with self.lock:
            self.seen.append(("finished", node_id, stage_run.status.value))

    def metric_logged(self, run_id, node_id, key, step, value):
        with self.lock:
            self.seen.append(("metric", key))

    def run_finished(self, run_id, status, message):
        with self.lock:
            self.seen.append(("run", status.value))


def test_run_records_everything_and_second_run_is_all_cached(ws):
    project(ws, iris_pipeline())
    service = RunService(ws, workers=2)
    events = Events()
    run = service.run("demo", listener=events)
    assert run.status is RunStatus.SUCCEEDED, run.message
    assert [s.status for s in run.stages] == [StageStatus.SUCCEEDED] * 6
    assert run.executor == "threads" and run.app_version and run.started_at and run.finished_at
    assert run.params["Train"]["n_estimators"] == 10
    assert (
        run.input_hashes["Load data"]
        == next(s for s in run.stages if s.node_id == "load").outputs["dataset"]
    )
    assert ("run", "succeeded") in events.seen and ("metric", "accuracy") in events.seen
    latest = ws.metrics.latest(run.id)
    assert latest["accuracy"] > 0.8 and "baseline_accuracy" in latest
    steps, values, _ = ws.metrics.history(run.id, "confusion_matrix")
    assert len(values) == 9 and values.sum() == 38  # iris test part

    again = service.run("demo")
    assert again.status is RunStatus.SUCCEEDED
    assert {s.status for s in again.stages} == {StageStatus.CACHED}
    assert [s.outputs for s in again.stages] == [s.outputs for s in run.stages]
    assert (
        ws.metrics.latest(again.id)["accuracy"] == latest["accuracy"]
    )  # cached runs keep their numbers
    assert len(ws.metrics.history(again.id, "confusion_matrix")[1]) == 9
    assert [r.id for r in service.list_runs("demo")] == [again.id, run.id]
    forced = service.run("demo", force=True)
    assert {s.status for s in forced.stages} == {StageStatus.SUCCEEDED}


def test_outputs_and_previews(ws):
    project(ws, iris_pipeline())
    service = RunService(ws, workers=1)
    run = service.run("demo")
    data = preview(service.outputs(run.id, "load")["dataset"])
    assert data["kind"] == "table" and data["shape"] == [150, 5] and len(data["rows"]) == 50
    assert data["columns"][-1] == "target" and data["rows"][0][0] == 5.1
    profile = preview(service.outputs(run.id, "check")["profile"])
    assert profile["kind"] == "profile" and profile["profile"]["sepal length (cm)"]["max"] == 7.9
    metrics = preview(service.outputs(run.id, "eval")["metrics"])
    assert metrics["kind"] == "metrics" and metrics["metrics"]["accuracy"] > 0.8
    split = preview(service.outputs(run.id, "split")["split"])
    assert split["kind"] == "split" and split["parts"] == {"train": 112, "test": 38}
    model = preview(service.outputs(run.id, "train")["model"])
    assert model["title"] == "RandomForestClassifier" and model["params"]["n_estimators"] == 10
    with pytest.raises(NotFoundError):
        service.outputs(run.id, "nope")


def test_bad_input_fails_one_stage_with_a_clear_message_and_nothing_else_breaks(ws, tmp_path):
    missing = tmp_path / "nowhere.csv"
    project(ws, iris_pipeline({"source": "file", "path": str(missing)}))
    service = RunService(ws)
    run = service.run("demo")
    assert run.status is RunStatus.FAILED
    load = next(s for s in run.stages if s.node_id == "load")
    assert load.status is StageStatus.FAILED and load.error == f"file not found: {missing}"
    assert all(s.status is StageStatus.SKIPPED for s in run.stages if s.node_id != "load")
    assert run.message.startswith("'Load data' failed: file not found")
    # the file appears: the same pipeline now runs (the failure was not cached)
    missing.write_text("a,b,target\n" + "\n".join(f"{i},{i % 3},{i % 2}" for i in range(40)))
    assert service.run("demo").status is RunStatus.SUCCEEDED
    assert ws.projects.get("demo").name == "demo"


def test_edited_document_is_saved_as_a_version_and_partial_runs(ws):
    project(ws, iris_pipeline())
    service = RunService(ws)
    first = service.run("demo", nodes=["Split"])  # by title
    assert {s.node_id for s in first.stages} == {"load", "check", "split"}
    edited = iris_pipeline()
    edited.apply(SetParams("train", {"n_estimators": 5}))
    run = service.run("demo", document=edited, from_node="train")
    assert run.pipeline_version_id != first.pipeline_version_id
    assert {s.node_id: s.status.value for s in run.stages}["train"] == "succeeded"
    assert {s.node_id: s.status.value for s in run.stages}["fe"] in ("succeeded", "cached")
    with pytest.raises(GraphError, match="no stage with id or title 'Nope'"):
        service.run("demo", nodes=["Nope"])


def test_start_and_cancel_a_background_run(ws):
    project(
        ws,
        build(
            [
                ("load", "load_data", {"dataset": "digits"}),
                ("split", "split", {}),
                ("train", "train", {"estimator": "random_forest", "n_estimators": 3000}),
            ],
            [("load", "dataset", "split", "dataset"), ("split", "split", "train", "split")],
        ),
    )
    service = RunService(ws, workers=2)
    events = Events()
    handle = service.start("demo", listener=events)
    deadline = time.monotonic() + 30
    while ("started", "train") not in events.seen and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    live = {st.node_id: st.status for st in ws.runs.get(handle.run_id).stages}
    assert (
        live["train"] is StageStatus.RUNNING
        and ws.runs.get(handle.run_id).status is RunStatus.RUNNING
    )
    asked = time.monotonic()
    handle.cancel()
    run = handle.wait(10)
    assert time.monotonic() - asked < 1.5
    assert run.status is RunStatus.CANCELLED
    assert {s.node_id: s.status for s in run.stages}["train"] is StageStatus.CANCELLED
    assert ws.runs.get(run.id).status is RunStatus.CANCELLED


def test_many_metric_points_are_written_in_bulk(ws):
    from mlops_desktop.app.runs import RecordingListener

    proj = project(ws, iris_pipeline())
    info = ws.pipelines.list(proj.id)[0]
    run = ws.runs.create(proj.id, info.id, ws.pipelines.latest(info.id).id)
    recorder = RecordingListener(ws)
    started = time.perf_counter()
    for i in range(20_000):
        recorder.metric_logged(run.id, "n", "loss", i, 1.0 / (i + 1))
    recorder.flush(run.id)
    took = time.perf_counter() - started
    steps, values, _ = ws.metrics.history(run.id, "loss")
    assert len(values) == 20_000 and steps[-1] == 19_999
    assert took < 2.0, f"20k points took {took:.2f} s: not batched?"


class Broken(NullListener):
    def stage_finished(self, run_id, node_id, stage_run):
        raise RuntimeError("the GUI went away")

    def metric_logged(self, run_id, node_id, key, step, value):
        raise RuntimeError("the GUI went away")


def test_a_broken_extra_listener_does_not_break_the_run(ws, caplog):
    project(ws, iris_pipeline())
    run = RunService(ws).run("demo", listener=Broken())
    assert run.status is RunStatus.SUCCEEDED
    assert "run listener failed on stage_finished" in caplog.text
