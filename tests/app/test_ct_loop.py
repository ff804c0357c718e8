"""See the loop on one machine: the Google template, run with the traffic simulator, closes
the continuous-training loop. Drift raises an alert, the alert starts a retraining run, a new
model version is registered and deployed, and the history shows each step and its trigger."""

from __future__ import annotations

import pytest

from mlops_desktop.app.projects import ProjectService
from mlops_desktop.app.registry import RegistryService
from mlops_desktop.app.runs import RunService
from mlops_desktop.app.triggers import TriggerService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.core.entities import RunStatus, StageStatus
from mlops_desktop.storage.triggers import TriggerStore


@pytest.fixture
def ws(workspace_url):
    workspace = Workspace.open(workspace_url)
    yield workspace
    workspace.close()


@pytest.mark.slow
def test_google_template_closes_the_loop(ws):
    ProjectService(ws).create_project("ct", template="google")
    triggers, runs, registry = TriggerService(ws), RunService(ws), RegistryService(ws)
    alerts = TriggerStore(ws.db)
    project_id = ws.projects.get("ct").id

    # Two runs started as a person would (Run in the app, or ``mlops-desktop run``).
    # Batch 0 of the simulated traffic has no drift: no alert.
    first = runs.run("ct")
    assert first.status is RunStatus.SUCCEEDED and first.trigger == "manual"
    assert alerts.alerts(project_id) == []
    # Batch 1 is shifted by half a standard deviation: Monitor raises an alert.
    second = runs.run("ct")
    raised = alerts.alerts(project_id)
    assert len(raised) == 1 and raised[0].run_id == second.id and raised[0].kind == "drift"
    assert raised[0].node_id == "monitor" and raised[0].details["drift_share"] > 0.25

    # The template declares the loop (meta.triggers: a Monitor alert triggers the pipeline
    # again); the scheduler picks up the alert raised since the pipeline declared it, and the
    # alert starts a retraining run.
    [event] = triggers.run_due()
    declared = triggers.list_triggers("ct")
    assert [(t.type, t.config.get("source_node")) for t in declared] == [
        ("monitor_alert", "monitor")
    ]
    assert (event.type, event.outcome) == ("monitor_alert", "started")
    assert event.detail["alert_ids"] == [raised[0].id]
    assert event.detail["alert_runs"] == [second.id]
    retrain = ws.runs.get(event.run_id)
    assert retrain.trigger == "monitor_alert" and retrain.status is RunStatus.SUCCEEDED
    stages = {s.node_id: s for s in retrain.stages}
    assert stages["train"].status is StageStatus.SUCCEEDED  # retrained, not from the cache

    # A new model version is registered by that run and deployed.
    versions = registry.versions("ct", "breast-cancer-classifier")
    newest = versions[0]
    assert newest.version == 3 and newest.run_id == retrain.id
    assert newest.pipeline_version_id == retrain.pipeline_version_id
    assert newest.metrics["accuracy"] >= 0.9 and newest.dataset_hashes
    deployment = registry.deployments("ct")[0]
    assert (deployment.version, deployment.environment, deployment.run_id) == (
        3,
        "production",
        retrain.id,
    )
    assert deployment.strategy == "canary" and deployment.status == "active"
    assert [d.status for d in registry.deployments("ct")[1:]] == ["superseded", "superseded"]

    # The history shows each step with its trigger.
    assert [r.trigger for r in runs.list_runs("ct")] == ["monitor_alert", "manual", "manual"]
    history = registry.history("ct", "breast-cancer-classifier", "candidate")
    assert history[-1].to_version == 3 and history[-1].actor == "trigger:monitor_alert"
    assert history[-1].run_id == retrain.id
    assert [(e.type, e.run_id) for e in triggers.history("ct")] == [("monitor_alert", retrain.id)]
    # Drift keeps growing in the simulator: the retraining's monitor alerts again, for the
    # next pass of the scheduler.
    assert [a.run_id for a in alerts.alerts(project_id)] == [second.id, retrain.id]


def _doc(nodes, links, meta=None):
    from mlops_desktop.core.graph import Pipeline
    from mlops_desktop.core.operations import add_stage, connect
    from mlops_desktop.core.registry import default_registry
    from mlops_desktop.core.serialization import to_dict

    pipeline = Pipeline("p", default_registry())
    for node_id, stage_type, params in nodes:
        pipeline.apply(add_stage(pipeline, stage_type, params=params, node_id=node_id))
    for link in links:
        pipeline.apply(connect(*link))
    doc = to_dict(pipeline)
    doc["meta"] = meta or {}
    return doc


def test_an_approved_version_starts_the_deployment_pipeline(ws):
    training = _doc(
        [
            ("load", "load_data", {"dataset": "iris"}),
            ("split", "split", {}),
            ("train", "train", {"estimator": "logistic_regression"}),
            ("reg", "register_model", {"model_name": "iris"}),
            ("approve", "approve", {"headless_policy": "approve"}),
        ],
        [
            ("load", "dataset", "split", "dataset"),
            ("split", "split", "train", "split"),
            ("train", "model", "reg", "model"),
            ("reg", "model_version", "approve", "model_version"),
        ],
    )
    deployment = _doc(
        [
            ("take", "registered_model", {"model_name": "iris", "select": "latest_approved"}),
            ("deploy", "deploy", {"environment": "staging"}),
        ],
        [("take", "model_version", "deploy", "model_version")],
        {
            "environment": "staging",
            "triggers": [{"type": "registry_event", "event": "approved", "model": "iris"}],
        },
    )
    project = ws.projects.create("two")
    ws.pipelines.create(project.id, "train", training)
    ws.pipelines.create(project.id, "deploy", deployment)
    triggers, registry = TriggerService(ws), RegistryService(ws)
    early = RunService(ws).run("two", "deploy")
    assert early.status is RunStatus.FAILED
    assert "the registry has no approved version of 'iris'" in early.message

    first = triggers.fire("two", "train")
    assert ws.runs.get(first.run_id).status is RunStatus.SUCCEEDED
    [event] = triggers.run_due()
    assert (event.type, event.detail["versions"], event.detail["approvers"]) == (
        "registry_event",
        ["iris v1"],
        ["auto"],
    )
    run = ws.runs.get(event.run_id)
    assert (run.trigger, run.environment, run.status) == (
        "registry_event",
        "staging",
        RunStatus.SUCCEEDED,
    )
    [deployed] = registry.deployments("two")
    assert (deployed.version, deployed.environment, deployed.approver, deployed.run_id) == (
        1,
        "staging",
        "auto",
        run.id,
    )
    assert registry.list_models("two")[0].aliases["staging"] == 1
    assert triggers.run_due() == []  # nothing newly approved
