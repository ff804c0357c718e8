"""See the loop on one machine: the Google template, run with the traffic simulator, closes
the continuous-training loop. Drift raises an alert, the alert starts a retraining run, a new
model version is registered and deployed, and the history shows each step and its trigger."""

from __future__ import annotations

import pytest

from mlops_desktop.app.projects import ProjectService
from mlops_desktop.app.registry import RegistryService, RunOperations
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
def test_google_template_closes_the_loop(ws, tmp_path):
    ProjectService(ws).create_project("ct", template="google")
    triggers, runs, registry = TriggerService(ws), RunService(ws), RegistryService(ws)
    alerts = TriggerStore(ws.db)
    project_id = ws.projects.get("ct").id

    # The first run (started as a person would) finds nothing serving production: its
    # model passes the gate against the baseline and becomes production's primary (a canary
    # needs a primary to run beside); Serve had nothing to serve when the run started.
    first = runs.run("ct")
    assert first.status is RunStatus.SUCCEEDED and first.trigger == "manual"
    assert alerts.alerts(project_id) == []
    [deployed] = registry.deployments("ct")
    assert (deployed.version, deployed.strategy, deployed.status) == (1, "direct", "active")
    assert registry.list_models("ct")[0].aliases["production"] == 1

    # The second run has no labelled production rows yet and trains the same model: the
    # gate compares it with the champion (v1) on the same test rows and keeps it out, while
    # Serve keeps serving v1 to batch 1 of the traffic (shifted by half a standard
    # deviation): Monitor raises an alert.
    second = runs.run("ct")
    stages = {s.node_id: s for s in second.stages}
    assert stages["register"].status is StageStatus.SKIPPED
    assert second.status is RunStatus.KEPT_OUT  # the gate's refusal is no error
    assert second.message.startswith("kept out: champion breast-cancer-classifier v1 stays")
    assert stages["serve"].status is StageStatus.SUCCEEDED
    raised = alerts.alerts(project_id)
    assert len(raised) == 1 and raised[0].run_id == second.id and raised[0].kind == "drift"
    assert raised[0].node_id == "monitor" and raised[0].details["drift_share"] > 0.25
    assert [v.version for v in registry.versions("ct", "breast-cancer-classifier")] == [1]

    # The template declares the loop (meta.triggers: a Monitor alert triggers the pipeline
    # again, at most once per cooldown). The scheduler picks up the alert; the rows run 2
    # served have their labels now, so the retraining learns from them (the template's
    # Production feedback stage) and registers a different model.
    [event] = triggers.run_due()
    declared = triggers.list_triggers("ct")
    assert [(t.type, t.config.get("source_node")) for t in declared] == [
        ("monitor_alert", "monitor")
    ]
    assert (event.type, event.outcome) == ("monitor_alert", "started")
    assert event.detail["alert_ids"] == [raised[0].id]
    retrain = ws.runs.get(event.run_id)
    assert retrain.status is RunStatus.SUCCEEDED, retrain.message
    assert ws.metrics.latest(retrain.id)["feedback_rows"] == 200
    versions = registry.versions("ct", "breast-cancer-classifier")
    assert [v.version for v in versions] == [2, 1]
    assert versions[0].artifact_digest != versions[1].artifact_digest
    # The retrain's own batch drifted further and alerted again, but the trigger is cooling
    # down: the loop cannot retrain back to back.
    assert len(alerts.alerts(project_id)) == 2
    assert triggers.run_due() == []
    assert len(runs.list_runs("ct")) == 3

    # v2 went out as a 20% canary beside v1; promoting it is one action in the history.
    canary = [d for d in registry.active_deployments("ct", "production") if d.version == 2]
    assert [(d.strategy, d.traffic_share) for d in canary] == [("canary", 0.2)]
    registry.promote_canary("ct", "production", reason="no worse on live traffic")

    # The report tells the loop's story in plain words, summary first.
    from mlops_desktop.app.reports import ReportService

    data = ReportService(ws).build("ct")
    story = " ".join(data.loop.story)
    assert "2 challengers met the production champion on the same test rows" in story
    assert "1 passed, 1 kept out (latest, run #2: champion breast-cancer-classifier v1" in story
    assert "Monitoring raised 2 alerts (2 drift); they started 1 retraining run" in story
    assert (
        "1 alert (run #3) has not started a retraining yet: a retraining waits 600 s after "
        "the last one, then looks again." in story
    )
    assert "Retraining learned from 200 labelled production rows." in story
    # v1 served batch 1 (0.5 sd) and batch 2 (1 sd): how often it answered right, in words.
    assert (
        "On the labelled rows production served, accuracy went 0.770 (run #2) → 0.415 (run #3)"
        in story
    )
    assert "Canary breast-cancer-classifier v2 (20% of production) was promoted to primary" in (
        story
    )
    whats = [(s.what, s.run_number) for s in data.loop.steps]
    assert ("kept out", 2) in whats and ("retraining", 3) in whats and ("promotion", None) in whats
    assert ("drift alert", 2) in whats and ("gate passed", 3) in whats
    assert ("loop", "Continuous-training loop") in data.sections()
    text = ReportService(ws).write_html(data, tmp_path / "r.html").read_text(encoding="utf-8")
    summary, _, rest = text.partition('id="loop"')
    assert "2 challengers met the production champion" in summary.split('id="pipeline"')[0]
    assert "was promoted to primary" in rest and "learned from 200 labelled production" in rest


@pytest.mark.slow
def test_an_alert_before_the_labels_arrive_has_nothing_new_to_learn_from(ws):
    from mlops_desktop.core.operations import set_param

    service = ProjectService(ws)
    service.create_project("ct", template="google")
    info, pipeline = service.load_pipeline("ct")
    pipeline.apply(set_param(pipeline, "feedback", "label_delay_runs", 3))
    service.save_pipeline(info.id, pipeline, "labels arrive three runs later")
    runs, registry = RunService(ws), RegistryService(ws)
    runs.run("ct")
    second = runs.run("ct")  # serves v1 to drifted traffic: an alert
    # Nothing the pipeline learns from has changed since run 2 (same pipeline version, same
    # data digest, and the served rows' labels have not arrived): a retraining would train
    # the same model again, so no run starts and the trigger says why.
    [event] = TriggerService(ws).run_due()
    assert (event.type, event.outcome, event.run_id) == ("monitor_alert", "skipped", None)
    assert event.detail["reason"] == "nothing new to learn from"
    assert event.detail["same_as_run"] == second.id
    assert len(runs.list_runs("ct")) == 2
    assert [v.version for v in registry.versions("ct", "breast-cancer-classifier")] == [1]
    assert registry.active_deployments("ct", "production")[0].version == 1


@pytest.mark.slow
def test_scheduler_ten_times_starts_no_run_after_the_first(workspace_url, capsys):
    from mlops_desktop.cli import main

    with Workspace.open(workspace_url) as ws:
        ProjectService(ws).create_project("ct", template="google")
        RunService(ws).run("ct")
        RunService(ws).run("ct")  # serves v1 to drifted traffic: an alert
    for _ in range(10):
        assert main(["--workspace", workspace_url, "scheduler", "--once"]) == 0
    with Workspace.open(workspace_url) as ws:
        # The first pass retrains on the labelled rows of run 2; the retrain alerts again,
        # but the nine passes after it fall within the trigger's cooldown.
        assert len(RunService(ws).list_runs("ct")) == 3
        events = TriggerService(ws).history("ct")
        assert [e.outcome for e in events] == ["started"]
        versions = RegistryService(ws).versions("ct", "breast-cancer-classifier")
        assert [v.version for v in versions] == [2, 1]
        assert len({v.artifact_digest for v in versions}) == 2


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


@pytest.mark.slow
def test_drift_alert_retrains_on_labelled_production_rows_and_recovers(ws):
    ProjectService(ws).create_project("ct", template="google")  # with Production feedback
    runs, registry = RunService(ws), RegistryService(ws)
    runs.run("ct")  # v1 becomes production's primary
    second = runs.run("ct")  # nothing labelled yet: the same model is refused; v1 serves
    assert "kept out: champion breast-cancer-classifier v1 stays" in second.message

    # The alert of run 2 starts a retraining: run 2's served rows have their labels now
    # (label delay: one run), which is something new to learn from.
    [event] = TriggerService(ws).run_due()
    assert event.outcome == "started"
    retrain = ws.runs.get(event.run_id)
    assert retrain.status is RunStatus.SUCCEEDED, retrain.message
    feedback = RunService(ws).outputs(retrain.id, "feedback")["dataset"]
    assert len(feedback.frame) == 200 and set(feedback.frame["served_run"]) == {second.id}
    assert set(feedback.frame["model_version"]) == {1}  # lineage: rows served by v1
    gate_log = next(s.log for s in retrain.stages if s.node_id == "gate")
    assert "champion breast-cancer-classifier v1 (production) on the same" in gate_log

    # v2 was trained on the training data plus the labelled production window; no duplicate.
    versions = registry.versions("ct", "breast-cancer-classifier")
    assert [v.version for v in versions] == [2, 1]
    assert versions[0].artifact_digest != versions[1].artifact_digest
    assert "feedback:" in versions[0].dataset_hashes["training"]

    # On the next, more drifted batch (served by run 3, never trained on), v2 recovers
    # much of what v1 lost: 0.415 -> 0.615 accuracy here (breast cancer, shift 1.0 sd).
    batch = RunService(ws).outputs(retrain.id, "traffic")["dataset"]
    X, y = batch.frame.drop(columns=[batch.target]), batch.frame[batch.target].to_numpy()
    operations = RunOperations(ws)
    accuracy = {
        v.version: float(
            (operations.load_estimator(v).predict(X[list(v.feature_names)]) == y).mean()
        )
        for v in versions
    }
    assert accuracy[2] > accuracy[1] + 0.1
