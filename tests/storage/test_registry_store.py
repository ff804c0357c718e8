"""Registry, deployment and trigger stores on a real migrated SQLite workspace database."""

from __future__ import annotations

import threading

import pytest

from mlops_desktop.app.workspace import Workspace
from mlops_desktop.core.errors import ConflictError, NotFoundError
from mlops_desktop.storage import deployments as deployments_module
from mlops_desktop.storage.deployments import DeploymentStore
from mlops_desktop.storage.pipelines import PipelineStore
from mlops_desktop.storage.projects import ProjectStore
from mlops_desktop.storage.registry import RegistryStore
from mlops_desktop.storage.runs import RunStore
from mlops_desktop.storage.triggers import TriggerStore


@pytest.fixture
def db(backend_url):
    """The database of a fresh workspace: SQLite, and PostgreSQL when configured."""
    ws = Workspace.open(backend_url)
    yield ws.db
    ws.close()


@pytest.fixture
def ctx(db):
    project = ProjectStore(db).create("p")
    pipelines = PipelineStore(db)
    info = pipelines.create(project.id, "train", {"nodes": []})
    version = pipelines.latest(info.id)
    run = RunStore(db).create(project.id, info.id, version.id, trigger="manual")
    return project, info, version, run


def _register(store, project_id, alias=None, **kw):
    return store.register(
        project_id,
        "clf",
        params={"C": 1.0},
        metrics={"accuracy": 0.9},
        dataset_hashes={"load": "abc"},
        artifact_digest="d" * 64,
        task="classification",
        feature_names=["a", "b"],
        alias=alias,
        **kw,
    )


def test_versions_number_per_model_and_keep_lineage(db, ctx):
    project, info, version, run = ctx
    store = RegistryStore(db)
    v1 = _register(store, project.id, run_id=run.id, pipeline_version_id=version.id)
    v2 = _register(store, project.id, alias="candidate")
    other = store.register(project.id, "other")
    assert (v1.version, v2.version, other.version) == (1, 2, 1)
    assert v1.run_id == run.id and v1.pipeline_version_id == version.id
    assert v1.dataset_hashes == {"load": "abc"} and v1.metrics == {"accuracy": 0.9}
    assert v1.feature_names == ("a", "b")
    assert v2.aliases == ("candidate",)
    assert [v.version for v in store.versions(project.id, "clf")] == [2, 1]
    model = store.model(project.id, "clf")
    assert model.latest_version == 2 and model.aliases == {"candidate": 2}
    assert [m.name for m in store.models(project.id)] == ["clf", "other"]
    assert store.versions_of_run(run.id)[0].id == v1.id


def test_concurrent_registrations_get_distinct_versions(db, ctx):
    project = ctx[0]
    store = RegistryStore(db)
    results, errors = [], []

    def work():
        try:
            for _ in range(5):
                results.append(store.register(project.id, "clf").version)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(results) == list(range(1, 16))


def test_alias_history_is_append_only_and_rollback_walks_back(db, ctx):
    project = ctx[0]
    store, deploys = RegistryStore(db), DeploymentStore(db)
    for _ in range(3):
        _register(store, project.id)
    for version in (1, 2, 3):
        store.set_alias(
            project.id, "clf", version, "production", actor="ann", reason=f"go {version}"
        )
    back = deploys.rollback_alias(project.id, "clf", "production", actor="bob")
    assert (back.from_version, back.to_version, back.actor) == (3, 2, "bob")
    back = deploys.rollback_alias(project.id, "clf", "production", actor="bob")
    assert (back.from_version, back.to_version) == (2, 1)
    with pytest.raises(ConflictError, match="no earlier version"):
        deploys.rollback_alias(project.id, "clf", "production", actor="bob")
    history = store.history(project.id, "clf", "production")
    assert [(h.from_version, h.to_version) for h in history] == [
        (None, 1),
        (1, 2),
        (2, 3),
        (3, 2),
        (2, 1),
    ]
    assert store.version_by_alias(project.id, "clf", "production").version == 1


def test_set_alias_errors(db, ctx):
    project = ctx[0]
    store = RegistryStore(db)
    _register(store, project.id)
    with pytest.raises(NotFoundError, match="no version 7"):
        store.set_alias(project.id, "clf", 7, "staging", actor="a")
    with pytest.raises(NotFoundError, match="no registered model 'nope'"):
        store.set_alias(project.id, "nope", 1, "staging", actor="a")
    with pytest.raises(ConflictError, match="not a valid alias"):
        store.set_alias(project.id, "clf", 1, "bad alias!", actor="a")


def test_direct_deploy_supersedes_and_moves_alias(db, ctx):
    project = ctx[0]
    store, deploys = RegistryStore(db), DeploymentStore(db)
    v1, v2 = _register(store, project.id), _register(store, project.id)
    d1 = deploys.deploy(project.id, v1.id, "production", approver="ann")
    canary = deploys.deploy(project.id, v2.id, "production", "canary", 0.2, approver="auto")
    assert canary.previous_version == 1 and canary.traffic_share == 0.2
    active = deploys.active(project.id, "production")
    assert [(d.version, d.strategy) for d in active] == [(1, "direct"), (2, "canary")]
    assert store.version_by_alias(project.id, "clf", "production").version == 1
    d2 = deploys.deploy(project.id, v2.id, "production", approver="ann")
    assert [(d.version, d.strategy) for d in deploys.active(project.id, "production")] == [
        (2, "direct")
    ]
    assert {d.id: d.status for d in deploys.list(project.id)} == {
        d2.id: "active",
        canary.id: "superseded",
        d1.id: "superseded",
    }
    assert store.version_by_alias(project.id, "clf", "production").version == 2
    # rolling back the alias brings the deployment back too
    deploys.rollback_alias(project.id, "clf", "production", actor="bob", reason="bad latency")
    active = deploys.active(project.id, "production")
    assert [(d.version, d.approver) for d in active] == [(1, "bob")]
    assert deploys.get(d2.id).status == "rolled_back"


def test_deploy_failure_half_way_leaves_previous_state(db, ctx, monkeypatch):
    project = ctx[0]
    store, deploys = RegistryStore(db), DeploymentStore(db)
    v1, v2 = _register(store, project.id), _register(store, project.id)
    deploys.deploy(project.id, v1.id, "production")
    deploys.deploy(project.id, v2.id, "production")
    before = (deploys.list(project.id), store.history(project.id))

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(deployments_module, "set_alias_in", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        deploys.deploy(project.id, v1.id, "production")
    with pytest.raises(RuntimeError, match="disk full"):
        deploys.rollback_alias(project.id, "clf", "production", actor="x")
    assert (deploys.list(project.id), store.history(project.id)) == before
    assert [d.version for d in deploys.active(project.id, "production")] == [2]
    assert store.version_by_alias(project.id, "clf", "production").version == 2


def test_deploy_refuses_bad_input(db, ctx):
    project = ctx[0]
    store, deploys = RegistryStore(db), DeploymentStore(db)
    v1 = _register(store, project.id)
    with pytest.raises(ConflictError, match="unknown deployment strategy"):
        deploys.deploy(project.id, v1.id, "production", "blue")
    with pytest.raises(ConflictError, match="traffic share"):
        deploys.deploy(project.id, v1.id, "production", "canary", 1.5)
    with pytest.raises(NotFoundError):
        deploys.deploy(project.id, 999, "production")
    assert deploys.list(project.id) == []


def test_approvals_recorded_with_latest_on_version(db, ctx):
    project, _, _, run = ctx
    store = RegistryStore(db)
    v1 = _register(store, project.id)
    store.record_approval(v1.id, False, "ann", "not yet", run_id=run.id)
    a2 = store.record_approval(v1.id, True, "bob", "ok")
    v = store.version(project.id, "clf", 1)
    assert (v.approval, v.approver) == ("approved", "bob")
    listed = store.approvals(project.id)
    assert [a.decision for a, _ in listed] == ["rejected", "approved"]
    assert store.approvals(project.id, after_id=a2.id) == []


def test_trigger_store_events_alerts_counters_and_claims(db, ctx):
    project, info, _, run = ctx
    store = TriggerStore(db)
    trig = store.add(project.id, info.id, "schedule", {"cron": "* * * * *"})
    assert trig.pipeline_name == "train" and trig.enabled
    store.update(trig.id, enabled=False, state={"last": "x"})
    assert store.list(project.id, enabled_only=True) == []
    assert store.get(trig.id).state == {"last": "x"}
    started = store.record_event(
        project.id, info.id, "schedule", "started", trigger_id=trig.id, run_id=run.id
    )
    queued = store.record_event(project.id, info.id, "data_arrival", "queued")
    store.record_event(project.id, info.id, "schedule", "coalesced", coalesced_into=queued.id)
    assert [e.id for e in store.pending(info.id)] == [queued.id]
    store.set_event_run(queued.id, run.id)
    assert store.pending() == []
    assert store.event_of_run(run.id).id == started.id
    assert [e.outcome for e in store.events(project.id)] == ["coalesced", "queued", "started"]
    alert = store.record_alert(
        project.id,
        "drift",
        "3 of 4 features drifted",
        pipeline_id=info.id,
        run_id=run.id,
        node_id="monitor",
        details={"share": 0.75},
    )
    assert store.alerts(project.id)[0].details == {"share": 0.75}
    assert store.alerts(project.id, after_id=alert.id) == []
    assert [store.next_counter(project.id, "k") for _ in range(3)] == [0, 1, 2]
    assert store.claim(info.id) and not store.claim(info.id)
    store.release(info.id)
    assert store.claim(info.id)
    store.release(info.id)
    assert not store.claimed(info.id)
    store.delete(trig.id)
    assert store.list() == []


def test_claim_of_a_dead_process_is_taken_over(db, ctx):
    from mlops_desktop.storage.owner import Owner, hostname

    info = ctx[1]
    store = TriggerStore(db)
    assert store.claim(info.id, Owner(hostname(), 2**22 + 12345, "gone"))
    assert store.claim(info.id)
    store.release(info.id)


def test_counters_and_claims_hold_under_concurrency(db, ctx):
    project, info = ctx[0], ctx[1]
    store = TriggerStore(db)
    values, wins, errors = [], [], []

    def count():
        try:
            for _ in range(10):
                values.append(store.next_counter(project.id, "batch"))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    def grab():
        try:
            wins.append(store.claim(info.id))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=f) for f in (count, count, count, grab, grab, grab)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(values) == list(range(30))
    assert wins.count(True) == 1


def test_concurrent_direct_deploys_leave_one_primary(db, ctx):
    project = ctx[0]
    store, deploys = RegistryStore(db), DeploymentStore(db)
    versions = [_register(store, project.id) for _ in range(4)]
    errors = []

    def deploy(version_id):
        try:
            deploys.deploy(project.id, version_id, "production")
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=deploy, args=(v.id,)) for v in versions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    active = deploys.active(project.id, "production")
    assert len(active) == 1
    assert store.version_by_alias(project.id, "clf", "production").version == active[0].version
