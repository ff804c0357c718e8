"""TriggerService: each trigger type fires at the right time, and one pipeline never runs
twice at once (firings queue or coalesce, and the history says which)."""

from __future__ import annotations

import os
import threading
import time
from datetime import timedelta

import pytest

from mlops_desktop.app.runs import RunService
from mlops_desktop.app.triggers import TriggerService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.core.entities import RunStatus
from mlops_desktop.core.errors import ConflictError, NotFoundError
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.operations import add_stage, connect
from mlops_desktop.core.registry import default_registry
from mlops_desktop.core.serialization import to_dict
from mlops_desktop.storage.owner import Owner, hostname
from mlops_desktop.storage.registry import RegistryStore
from mlops_desktop.storage.triggers import TriggerStore


def small_pipeline(meta: dict | None = None) -> dict:
    pipeline = Pipeline("small", default_registry())
    pipeline.apply(add_stage(pipeline, "load_data", params={"dataset": "iris"}, node_id="load"))
    pipeline.apply(add_stage(pipeline, "split", node_id="split"))
    pipeline.apply(connect("load", "dataset", "split", "dataset"))
    doc = to_dict(pipeline)
    doc["meta"] = meta or {}
    return doc


class CountingRunner:
    """Runs pipelines for real through RunService, slowly, counting overlapping runs."""

    def __init__(self, ws: Workspace, delay: float = 0.0) -> None:
        self.ws, self.delay = ws, delay
        self.active: dict[str, int] = {}
        self.most_at_once = 0
        self.calls: list[dict] = []
        self.lock = threading.Lock()

    def __call__(self, project, pipeline, **kwargs):
        with self.lock:
            self.active[pipeline] = self.active.get(pipeline, 0) + 1
            self.most_at_once = max(self.most_at_once, self.active[pipeline])
            self.calls.append({"pipeline": pipeline, **kwargs})
        try:
            time.sleep(self.delay)
            return RunService(self.ws).run(project, pipeline, **kwargs)
        finally:
            with self.lock:
                self.active[pipeline] -= 1


@pytest.fixture
def ws(workspace_url):
    workspace = Workspace.open(workspace_url)
    project = workspace.projects.create("p")
    workspace.pipelines.create(project.id, "train", small_pipeline())
    workspace.pipelines.create(project.id, "deploy", small_pipeline())
    yield workspace
    workspace.close()


def test_manual_fire_runs_and_records_trigger(ws):
    service = TriggerService(ws)
    event = service.fire("p", "train")
    run = ws.runs.get(event.run_id)
    assert (event.type, event.outcome) == ("manual", "started")
    assert run.trigger == "manual" and run.status is RunStatus.SUCCEEDED
    assert service.history("p")[0].id == event.id


def test_schedule_fires_once_per_due_tick(ws):
    service = TriggerService(ws)
    trig = service.add_trigger("p", "train", "schedule", {"cron": "*/5 * * * *"})
    start = trig.created_at.replace(second=0, microsecond=0)
    assert service.run_due(start + timedelta(seconds=1)) == []
    tick = start - timedelta(minutes=start.minute % 5) + timedelta(minutes=5)
    [event] = service.run_due(tick + timedelta(seconds=1))
    assert event.type == "schedule" and event.detail["missed"] == 0
    assert ws.runs.get(event.run_id).trigger == "schedule"
    assert service.run_due(tick + timedelta(seconds=2)) == []
    [late] = service.run_due(tick + timedelta(minutes=61))  # twelve ticks missed: fires once
    assert late.detail["missed"] == 11
    with pytest.raises(ConflictError, match="not a cron expression"):
        service.add_trigger("p", "train", "schedule", {"cron": "every day"})


def test_new_file_in_watched_folder_fires(ws, tmp_path):
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "old.csv").write_text("a\n1\n")
    service = TriggerService(ws)
    service.add_trigger("p", "train", "data_arrival", {"folder": str(folder), "pattern": "*.csv"})
    assert service.run_due() == []
    (folder / "notes.txt").write_text("ignored")
    assert service.run_due() == []
    (folder / "new.csv").write_text("a\n2\n")
    [event] = service.run_due()
    assert event.type == "data_arrival" and event.detail["files"] == ["new.csv"]
    assert ws.runs.get(event.run_id).trigger == "data_arrival"
    assert service.run_due() == []
    (folder / "new.csv").write_text("a\n2\n3\n")
    os.utime(folder / "new.csv", (time.time() + 5, time.time() + 5))
    assert [e.detail["files"] for e in service.run_due()] == [["new.csv"]]
    with pytest.raises(ConflictError, match="does not exist"):
        service.add_trigger("p", "train", "data_arrival", {"folder": str(tmp_path / "nope")})


def test_busy_pipeline_queues_then_coalesces_then_runs_once(ws):
    runner = CountingRunner(ws)
    service = TriggerService(ws, runner=runner)
    store = TriggerStore(ws.db)
    info = ws.pipelines.get(ws.projects.get("p").id, "train")
    other = Owner(hostname(), os.getppid(), "")  # a live process elsewhere holds the pipeline
    assert store.claim(info.id, other)
    queued = service.fire("p", "train")
    coalesced = service.fire("p", "train", "data_arrival", detail={"files": ["x.csv"]})
    assert (queued.outcome, queued.run_id) == ("queued", None)
    assert (coalesced.outcome, coalesced.coalesced_into) == ("coalesced", queued.id)
    assert service.run_due() == [] and runner.calls == []  # still busy
    store.release(info.id, other)
    service.run_due()
    assert len(runner.calls) == 1 and runner.calls[0]["trigger"] == "manual"
    done = store.event(queued.id)
    assert done.run_id is not None and done.handled_at is not None
    assert ws.runs.get(done.run_id).status is RunStatus.SUCCEEDED
    assert store.pending() == []


def test_two_firings_at_once_never_overlap(ws):
    runner = CountingRunner(ws, delay=0.4)
    service = TriggerService(ws, runner=runner)
    barrier = threading.Barrier(2)
    events = []

    def fire(kind):
        barrier.wait()
        events.append(service.fire("p", "train", kind))

    threads = [threading.Thread(target=fire, args=(k,)) for k in ("manual", "schedule")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert runner.most_at_once == 1
    outcomes = sorted(e.outcome for e in events)
    assert outcomes == ["queued", "started"]
    assert len(runner.calls) == 2  # the queued firing ran after the first run, not during
    runs = ws.runs.list(ws.projects.get("p").id)
    assert all(r.status is RunStatus.SUCCEEDED for r in runs) and len(runs) == 2
    first, second = sorted(runs, key=lambda r: r.id)
    assert first.finished_at <= second.started_at


def test_due_firings_of_one_pipeline_coalesce_into_one_run(ws, tmp_path):
    runner = CountingRunner(ws)
    service = TriggerService(ws, runner=runner)
    trig = service.add_trigger("p", "train", "schedule", {"cron": "* * * * *"})
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    service.add_trigger("p", "train", "data_arrival", {"folder": str(inbox)})
    (inbox / "batch.csv").write_text("x\n")
    events = service.run_due(trig.created_at + timedelta(minutes=2))
    assert len(runner.calls) == 1
    history = service.history("p")
    started = [e for e in history if e.outcome == "started"]
    joined = [e for e in history if e.outcome == "coalesced"]
    assert len(started) == 1 and len(joined) == 1 and len(events) == 1
    assert joined[0].coalesced_into == started[0].id and joined[0].run_id == started[0].run_id


def test_monitor_alert_of_another_pipeline_starts_training(ws):
    service = TriggerService(ws, runner=CountingRunner(ws))
    store = TriggerStore(ws.db)
    project = ws.projects.get("p")
    serving = ws.pipelines.get(project.id, "deploy")
    store.record_alert(project.id, "drift", "old alert", pipeline_id=serving.id)
    service.add_trigger("p", "train", "monitor_alert", {"source_pipeline": "deploy"})
    assert service.run_due() == []  # alerts are looked at from the trigger's creation on
    store.record_alert(
        project.id, "drift", "elsewhere", pipeline_id=ws.pipelines.get(project.id, "train").id
    )
    assert service.run_due() == []  # not from the watched pipeline
    alert = store.record_alert(
        project.id, "drift", "3 of 4 features drifted", pipeline_id=serving.id
    )
    [event] = service.run_due()
    assert event.type == "monitor_alert" and event.detail["alert_ids"] == [alert.id]
    run = ws.runs.get(event.run_id)
    assert (
        run.trigger == "monitor_alert" and ws.pipelines.get_by_id(run.pipeline_id).name == "train"
    )
    assert service.run_due() == []


def test_approved_version_starts_deployment_pipeline(ws):
    service = TriggerService(ws, runner=CountingRunner(ws))
    registry = RegistryStore(ws.db)
    project = ws.projects.get("p")
    service.add_trigger("p", "deploy", "registry_event", {"event": "approved", "model": "clf"})
    v1 = registry.register(project.id, "clf")
    assert service.run_due() == []  # registered, not approved yet
    registry.record_approval(v1.id, False, "ann", "not good enough")
    assert service.run_due() == []  # rejected
    registry.record_approval(registry.register(project.id, "other").id, True, "ann")
    assert service.run_due() == []  # another model
    registry.record_approval(v1.id, True, "bob", "ok")
    [event] = service.run_due()
    assert event.detail == {"versions": ["clf v1"], "approvers": ["bob"]}
    assert ws.runs.get(event.run_id).trigger == "registry_event"
    with pytest.raises(NotFoundError):
        service.add_trigger("p", "deploy", "registry_event", {"source_pipeline": "nope"})
    with pytest.raises(ConflictError, match="unknown trigger type"):
        service.add_trigger("p", "deploy", "webhook")


def test_triggers_follow_the_pipeline_document(ws):
    service = TriggerService(ws)
    project = ws.projects.get("p")
    info = ws.pipelines.get(project.id, "train")
    service.add_trigger("p", "train", "schedule", {"cron": "0 * * * *"})  # by hand: kept
    ws.pipelines.save(
        info.id,
        small_pipeline(
            {
                "triggers": [
                    {"type": "monitor_alert", "source_node": "monitor"},
                    {"type": "schedule", "cron": "*/10 * * * *"},
                ]
            }
        ),
    )
    types = sorted(
        (t.type, t.config.get("cron", "")) for t in service.sync_from_pipeline("p", "train")
    )
    assert types == [("monitor_alert", ""), ("schedule", "*/10 * * * *"), ("schedule", "0 * * * *")]
    assert len(service.sync_from_pipeline("p", "train")) == 3  # idempotent
    ws.pipelines.save(
        info.id, small_pipeline({"triggers": [{"type": "schedule", "cron": "*/10 * * * *"}]})
    )
    types = sorted(t.type for t in service.sync_from_pipeline("p", "train"))
    assert types == ["schedule", "schedule"]
    trig = service.list_triggers("p", "train")[0]
    assert not service.set_enabled(trig.id, False).enabled
    service.remove_trigger(trig.id)
    assert len(service.list_triggers("p")) == 1


def test_failed_start_is_recorded(ws):
    def broken(project, pipeline, **kwargs):
        raise NotFoundError("the project has no pipeline")

    event = TriggerService(ws, runner=broken).fire("p", "train")
    stored = TriggerStore(ws.db).event(event.id)
    assert stored.outcome == "failed" and "no pipeline" in stored.detail["error"]
    assert not TriggerStore(ws.db).claimed(ws.pipelines.get(ws.projects.get("p").id, "train").id)


def test_cooldown_holds_a_trigger_back_then_catches_up(ws):
    runner = CountingRunner(ws)
    service = TriggerService(ws, runner=runner)
    store = TriggerStore(ws.db)
    project = ws.projects.get("p")
    # retrain_unchanged: run even though the data and the pipeline stay the same here
    trig = service.add_trigger(
        "p", "train", "monitor_alert", {"cooldown_s": 600, "retrain_unchanged": True}
    )
    train_id = trig.pipeline_id
    store.record_alert(project.id, "drift", "first", pipeline_id=train_id)
    start = trig.created_at
    assert len(service.run_due(start + timedelta(seconds=1))) == 1
    second = store.record_alert(project.id, "drift", "second", pipeline_id=train_id)
    assert service.run_due(start + timedelta(seconds=60)) == []  # cooling down
    [late] = service.run_due(start + timedelta(seconds=700))
    assert late.detail["alert_ids"] == [second.id] and len(runner.calls) == 2
    assert runner.calls[0]["force"] is True  # a retraining recomputes, never from the cache
    assert runner.calls[0]["environment"] == "dev"
