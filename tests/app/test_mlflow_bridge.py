"""Runs to and from a real MLflow SQLite tracking store."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from mlops_desktop.app.assessment import AssessmentService
from mlops_desktop.app.mlflow_bridge import (
    IMPORT_PIPELINE,
    TRIGGER,
    export_runs,
    import_runs,
    mlflow_key,
)
from mlops_desktop.app.runs import RunService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.core import serialization
from mlops_desktop.core.entities import RunStatus
from mlops_desktop.core.errors import NotFoundError
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.operations import add_stage, connect
from mlops_desktop.core.registry import default_registry

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")


def pipeline(n_estimators: int, seed: int) -> Pipeline:
    p = Pipeline("main", default_registry())
    stages = [
        ("load", "load_data", {"dataset": "breast_cancer"}),
        ("split", "split", {"seed": seed}),
        ("train", "train", {"estimator": "random_forest", "n_estimators": n_estimators}),
        ("eval", "evaluate", {"importance_repeats": 1}),
    ]
    for node_id, kind, params in stages:
        p.apply(add_stage(p, kind, params=params, node_id=node_id))
    for link in [
        ("load", "dataset", "split", "dataset"),
        ("split", "split", "train", "split"),
        ("split", "split", "eval", "split"),
        ("train", "model", "eval", "model"),
    ]:
        p.apply(connect(*link))
    return p


@pytest.fixture
def ws(tmp_path):
    workspace = Workspace.open(str(tmp_path / "ws.db"))
    yield workspace
    workspace.close()


@pytest.fixture(scope="module")
def empty_store(tmp_path_factory) -> Path:
    """An MLflow SQLite store with its tables made once (MLflow's migrations take seconds)."""
    path = tmp_path_factory.mktemp("mlflow") / "empty.db"
    client(f"sqlite:///{path}").search_experiments()
    return path


@pytest.fixture
def uri(tmp_path, empty_store) -> str:
    shutil.copyfile(empty_store, tmp_path / "mlflow.db")
    return f"sqlite:///{tmp_path / 'mlflow.db'}"


def client(uri):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from mlflow.tracking import MlflowClient
    return MlflowClient(tracking_uri=uri)


@pytest.fixture
def two_runs(ws):
    proj = ws.projects.create("cancer")
    info = ws.pipelines.create(proj.id, "main", serialization.to_dict(pipeline(8, 1)))
    service = RunService(ws)
    first = service.run("cancer", executor="sync")
    service.run("cancer", executor="sync", document=pipeline(12, 2), trigger="schedule")
    assert first.status is RunStatus.SUCCEEDED
    return service, info, service.list_runs("cancer")[::-1]


def test_export_logs_params_metric_steps_tags_and_the_skops_model(ws, uri, tmp_path, two_runs):
    service, _, runs = two_runs
    result = export_runs(ws, "cancer", uri, artifact_location=str(tmp_path / "artifacts"))
    assert len(result.copied) == 2 and result.skipped == 0
    c = client(uri)
    exp = c.get_experiment_by_name("cancer")
    found = {r.data.tags["mlops_desktop.run_id"]: r for r in c.search_runs([exp.experiment_id])}
    assert set(found) == {str(r.id) for r in runs}
    second = found[str(runs[1].id)]
    tags = second.data.tags
    assert tags["mlops_desktop.trigger"] == "schedule"
    assert tags["mlops_desktop.environment"] == "dev"
    assert tags["mlops_desktop.status"] == "succeeded"
    assert tags["mlops_desktop.pipeline_version"] == "2"
    assert second.data.params["Train.n_estimators"] == "12"
    assert second.info.status == "FINISHED"
    assert second.data.metrics["accuracy"] == pytest.approx(
        ws.metrics.latest(runs[1].id)["accuracy"]
    )
    steps, values, _ = ws.metrics.history(runs[1].id, "roc/fpr")
    history = c.get_metric_history(second.info.run_id, "roc/fpr")
    assert [m.step for m in history] == steps.tolist() and len(history) > 10
    np.testing.assert_allclose([m.value for m in history], values)

    # the model: a skops file that loads and predicts like the app's own model
    import skops.io as sio

    from mlops_desktop.engine.serialize import TRUSTED_TYPES

    [listed] = c.list_artifacts(second.info.run_id, "model")
    assert listed.path == "model/Train" and listed.is_dir
    local = tmp_path / "artifacts" / second.info.run_id / "artifacts" / "model" / "Train"
    assert (local / "model.json").is_file()
    skops_file = local / "model.skops"
    untrusted = sio.get_untrusted_types(file=skops_file)
    assert set(untrusted) <= set(TRUSTED_TYPES)
    est = sio.load(skops_file, trusted=untrusted)
    app_model = service.outputs(runs[1].id, "train")["model"].estimator
    X = service.outputs(runs[1].id, "split")["split"].X_test
    np.testing.assert_array_equal(est.predict_proba(X), app_model.predict_proba(X))

    again = export_runs(ws, "cancer", uri)
    assert again.copied == [] and again.skipped == 2


def test_import_brings_params_metric_histories_and_tags_once(ws, uri):
    c = client(uri)
    exp_id = c.create_experiment("notebook experiments")
    run = c.create_run(exp_id, run_name="lr sweep", tags={"team": "fraud"})
    rid = run.info.run_id
    from mlflow.entities import Metric, Param

    c.log_batch(
        rid,
        metrics=[Metric("loss", 1.0 / (s + 1), 1_700_000_000_000 + s, s) for s in range(50)]
        + [Metric("accuracy", 0.93, 1_700_000_000_100, 0)],
        params=[Param("lr", "0.01"), Param("model", "xgboost")],
    )
    c.set_terminated(rid, "FINISHED")
    other = c.create_experiment("elsewhere")
    c.set_terminated(c.create_run(other).info.run_id, "FAILED")

    ws.projects.create("fraud")
    result = import_runs(ws, "fraud", uri, experiment="notebook experiments")
    assert len(result.copied) == 1
    [local] = ws.runs.list(ws.projects.get("fraud").id)
    assert local.trigger == TRIGGER and local.status is RunStatus.SUCCEEDED
    assert local.params["MLflow params"] == {"lr": "0.01", "model": "xgboost"}
    assert local.params["MLflow tags"] == {"team": "fraud"}
    assert local.params["MLflow run"]["run_id"] == rid
    steps, values, stamps = ws.metrics.history(local.id, "loss")
    assert steps.tolist() == list(range(50))
    np.testing.assert_allclose(values, [1.0 / (s + 1) for s in range(50)])
    assert stamps[0] == pytest.approx(1_700_000_000.0)
    assert ws.metrics.latest(local.id)["accuracy"] == pytest.approx(0.93)
    assert ws.pipelines.get(local.project_id, IMPORT_PIPELINE).id == local.pipeline_id

    again = import_runs(ws, "fraud", uri, experiment="notebook experiments")
    assert again.copied == [] and again.skipped == 1
    everything = import_runs(ws, "fraud", uri)  # every experiment: only the new one comes
    assert len(everything.copied) == 1 and everything.skipped == 1
    statuses = sorted(r.status.value for r in ws.runs.list(local.project_id))
    assert statuses == ["failed", "succeeded"]
    with pytest.raises(NotFoundError, match="no MLflow experiment named 'nope'"):
        import_runs(ws, "fraud", uri, experiment="nope")


def test_imported_runs_count_as_experiment_tracking_evidence(ws, uri):
    c = client(uri)
    exp_id = c.create_experiment("tracked")
    for seed in range(2):
        rid = c.create_run(exp_id).info.run_id
        c.log_metric(rid, "auc", 0.8 + seed / 100)
        c.log_param(rid, "seed", seed)
        c.set_terminated(rid, "FINISHED")
    ws.projects.create("team")

    def tracked() -> bool:
        score = AssessmentService(ws).assess("team", save=False).models["azure"]
        crit = next(
            r for r in score.results if r.criterion.id == "azure.l2.tech.central_training_tracking"
        )
        return crit.satisfied

    assert not tracked()
    import_runs(ws, "team", uri, experiment="tracked")
    assert tracked()
    # ...but they are no evidence of automated triggers or of the app's orchestration
    from mlops_desktop.core.maturity.rules_base import Evaluator, sig_run_trigger
    from mlops_desktop.core.maturity.rules_behaviour import sig_run_executor

    evaluator = Evaluator(AssessmentService(ws).facts("team"))
    assert len(evaluator.ok_runs()) == 2
    assert sig_run_trigger(evaluator, "nonmanual").value is False
    assert sig_run_executor(evaluator, "").value is False


def test_a_round_trip_keeps_renamed_metric_names(ws, uri, tmp_path, two_runs):
    export_runs(ws, "cancer", uri, artifact_location=str(tmp_path / "a"))
    with Workspace.open(str(tmp_path / "other.db")) as other:
        other.projects.create("copy")
        result = import_runs(other, "copy", uri, experiment="cancer")
        assert len(result.copied) == 2
        runs = other.runs.list(other.projects.get("copy").id)
        keys = set(other.metrics.keys(runs[0].id))
        original = set(ws.metrics.keys(two_runs[2][0].id))
        assert keys == original  # "importance/mean radius" etc. came back unchanged
    # a run exported from this workspace is not imported back into it
    ws.projects.create("same")
    assert import_runs(ws, "same", uri, experiment="cancer").skipped == 2


def test_metric_keys_are_made_acceptable_to_mlflow():
    assert mlflow_key("importance/sepal length (cm)") == "importance/sepal length _cm_"
    assert mlflow_key("a//b/../c") == "a/b/_/c"
    assert mlflow_key("/x") == "x" and mlflow_key("") == "_"


def test_artifacts_of_a_sqlite_store_go_beside_its_file(tmp_path):
    from mlops_desktop.app.mlflow_bridge import default_artifact_location

    db = tmp_path / "store" / "mlflow.db"
    assert default_artifact_location(f"sqlite:///{db}") == (db.parent / "mlruns").as_uri()
    assert default_artifact_location("http://127.0.0.1:5000") is None
    assert default_artifact_location("sqlite:///:memory:") is None
