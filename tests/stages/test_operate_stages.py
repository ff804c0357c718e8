"""The operate stages run for real through RunService on a workspace: register, package,
model tests, approve, deploy, simulate traffic, serve (with its local endpoint), online
experiment and monitor."""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.error
import urllib.request
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from mlops_desktop.app.registry import RegistryService
from mlops_desktop.app.runs import RunService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.core.entities import RunStatus, StageStatus
from mlops_desktop.core.execution import NullListener
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.operate_entities import ApprovalDecision
from mlops_desktop.core.operations import add_stage, connect
from mlops_desktop.core.registry import default_registry
from mlops_desktop.core.serialization import to_dict
from mlops_desktop.storage.triggers import TriggerStore

TRAIN = [
    ("load", "load_data", {"dataset": "iris"}),
    ("split", "split", {"test_size": 0.4}),
    ("fe", "feature_engineering", {}),
    ("train", "train", {"estimator": "logistic_regression"}),
    ("eval", "evaluate", {"permutation_importance": False}),
    ("reg", "register_model", {"model_name": "iris-clf"}),
]
TRAIN_LINKS = [
    ("load", "dataset", "split", "dataset"),
    ("split", "split", "fe", "split"),
    ("fe", "split", "train", "split"),
    ("train", "model", "eval", "model"),
    ("fe", "split", "eval", "split"),
    ("train", "model", "reg", "model"),
    ("eval", "metrics", "reg", "metrics"),
]


def document(extra=(), links=(), params=None) -> dict:
    pipeline = Pipeline("ops", default_registry())
    for node_id, stage_type, stage_params in [*TRAIN, *extra]:
        merged = {**stage_params, **(params or {}).get(node_id, {})}
        pipeline.apply(add_stage(pipeline, stage_type, params=merged, node_id=node_id))
    for src, sport, dst, dport in [*TRAIN_LINKS, *links]:
        pipeline.apply(connect(src, sport, dst, dport))
    return to_dict(pipeline)


@pytest.fixture
def ws(workspace_url):
    workspace = Workspace.open(workspace_url)
    workspace.projects.create("p")
    yield workspace
    workspace.close()


def run(ws, doc, services=None, name="ops", listener=None):
    project = ws.projects.get("p")
    names = [i.name for i in ws.pipelines.list(project.id)]
    if name in names:
        ws.pipelines.save(ws.pipelines.get(project.id, name).id, doc)
    else:
        ws.pipelines.create(project.id, name, doc)
    return RunService(ws, services=services).run("p", name, listener=listener)


def stage(run_, node_id):
    return next(s for s in run_.stages if s.node_id == node_id)


GATED = [
    ("tests", "model_tests", {"load_rows": 200, "max_latency_ms": 1000.0}),
    ("pkg", "package", {"intended_use": "Teaching", "limitations": "Three species only"}),
    ("approve", "approve", {"headless_policy": "approve_if_checks_pass"}),
    ("deploy", "deploy", {"environment": "staging"}),
]
GATED_LINKS = [
    ("reg", "model_version", "tests", "model_version"),
    ("fe", "split", "tests", "split"),
    ("tests", "model_version", "pkg", "model_version"),
    ("pkg", "model_version", "approve", "model_version"),
    ("approve", "model_version", "deploy", "model_version"),
]


def test_register_test_package_approve_deploy(ws, tmp_path):
    doc = document(GATED, GATED_LINKS, {"pkg": {"output_folder": str(tmp_path)}})
    result = run(ws, doc)
    assert result.status is RunStatus.SUCCEEDED, result.message
    registry = RegistryService(ws)
    [version] = registry.versions("p", "iris-clf")
    assert version.run_id == result.id and version.pipeline_version_id == result.pipeline_version_id
    assert (
        version.metrics["accuracy"] > 0.8 and version.params["estimator"] == "logistic_regression"
    )
    assert version.feature_names and version.dataset_hashes["training"]
    assert (version.approval, version.approver) == ("approved", "auto")
    assert set(version.aliases) == {"candidate", "staging"}
    [deployment] = registry.deployments("p")
    assert (deployment.environment, deployment.strategy, deployment.approver) == (
        "staging",
        "direct",
        "auto",
    )
    # the package: folder and zip with the model, a card and exact versions
    folder = tmp_path / "iris-clf-v1"
    card = (folder / "MODEL_CARD.md").read_text()
    assert (
        "# Model card: iris-clf v1" in card and "Teaching" in card and "Three species only" in card
    )
    assert re.search(r"\| accuracy \| 0\.9", card) and "petal length (cm)" in card
    requirements = (folder / "requirements.txt").read_text()
    assert f"scikit-learn=={metadata.version('scikit-learn')}" in requirements
    manifest = json.loads((folder / "manifest.json").read_text())
    assert set(manifest["files"]) == {
        "model.skops",
        "MODEL_CARD.md",
        "requirements.txt",
        "environment.json",
    }
    with zipfile.ZipFile(tmp_path / "iris-clf-v1.zip") as zf:
        assert "iris-clf-v1/model.skops" in zf.namelist()
    import skops.io as sio

    from mlops_desktop.engine.serialize import load_estimator

    model = load_estimator((folder / "model.skops").read_bytes())
    outputs = RunService(ws).outputs(result.id, "fe")
    X = outputs["split"].X_test
    trained = RunService(ws).outputs(result.id, "train")["model"].estimator
    assert (model.predict(X) == trained.predict(X)).all()
    assert sio.get_untrusted_types(file=folder / "model.skops") is not None
    # model tests: their report and metrics
    report = RunService(ws).outputs(result.id, "tests")["report"]
    assert report.values["passed"] == 1.0 and report.values["throughput_rows_per_s"] > 0
    assert report.values["deterministic"] == 1.0 and report.values["column_order_invariant"] == 1.0
    assert "test_latency_ms_p50" in ws.metrics.keys(result.id)


def test_model_tests_fail_the_run_and_headless_reject_skips_deploy(ws):
    doc = document(GATED, GATED_LINKS, {"tests": {"max_latency_ms": 1e-9}})
    result = run(ws, doc)
    assert result.status is RunStatus.FAILED
    assert "median one-row latency" in stage(result, "tests").error
    assert stage(result, "deploy").status is StageStatus.SKIPPED
    doc = document(GATED, GATED_LINKS, {"approve": {"headless_policy": "reject"}})
    result = run(ws, doc)
    assert stage(result, "approve").status is StageStatus.SUCCEEDED
    assert stage(result, "deploy").status is StageStatus.SKIPPED
    assert result.status is RunStatus.KEPT_OUT  # a rejection is a decision, not an error
    assert result.message.startswith("kept out: ") and "rejected by auto" in result.message
    version = RegistryService(ws).versions("p", "iris-clf")[0]
    assert (version.approval, version.approver) == ("rejected", "auto")
    assert RegistryService(ws).deployments("p") == []


class Person:
    """The approvals service as the GUI provides it: answers on another thread."""

    def __init__(self, approve: bool) -> None:
        self.approve = approve
        self.requests = []

    def request(self, request, check_cancelled):
        self.requests.append(request)
        answer = []
        worker = threading.Thread(
            target=lambda: answer.append(
                ApprovalDecision(
                    self.approve, "dana", "looks fine" if self.approve else "too risky"
                )
            )
        )
        worker.start()
        worker.join()
        check_cancelled()
        return answer[0]


def test_approval_by_a_person_is_recorded(ws):
    person = Person(approve=False)
    result = run(ws, document(GATED, GATED_LINKS), services={"approvals": person})
    assert (
        person.requests[0].version.label == "iris-clf v1"
        and "Model tests passed" in person.requests[0].summary
    )
    assert stage(result, "deploy").status is StageStatus.SKIPPED
    assert "rejected by dana (too risky)" in result.message
    person.approve = True
    result = run(ws, document(GATED, GATED_LINKS), services={"approvals": person})
    assert result.status is RunStatus.SUCCEEDED
    assert RegistryService(ws).deployments("p")[0].approver == "dana"


class Nobody:
    """The approvals service when nobody answers before the deadline."""

    def __init__(self) -> None:
        self.requests = []

    def request(self, request, check_cancelled):
        self.requests.append(request)
        return None


@pytest.mark.parametrize(
    ("policy", "deployed"), [("approve_if_checks_pass", True), ("reject", False)]
)
def test_an_unanswered_approval_follows_the_policy_after_its_timeout(ws, policy, deployed):
    nobody = Nobody()
    doc = document(
        GATED, GATED_LINKS, {"approve": {"headless_policy": policy, "timeout_minutes": 30}}
    )
    before = time.time()
    result = run(ws, doc, services={"approvals": nobody})
    (request,) = nobody.requests
    assert 29 * 60 < request.deadline - before < 31 * 60
    assert request.fallback == ("approve if the model tests passed" if deployed else "reject")
    version = RegistryService(ws).versions("p", "iris-clf")[0]
    assert version.approver == "auto"
    assert (version.approval == "approved") is deployed
    assert bool(RegistryService(ws).deployments("p")) is deployed
    assert "nobody answered within 30 min" in stage(result, "approve").log


SERVING = [
    ("deploy", "deploy", {"environment": "production", "strategy": "direct"}),
    ("traffic", "simulate_traffic", {"batch_size": 150, "drift": "shift", "drift_per_batch": 1.0}),
    ("serve", "serve", {}),
    ("monitor", "monitor", {"min_accuracy": 0.5}),
]
SERVING_LINKS = [
    ("reg", "model_version", "deploy", "model_version"),
    ("fe", "split", "traffic", "split"),
    ("deploy", "deployment", "serve", "deployment"),
    ("traffic", "dataset", "serve", "dataset"),
    ("fe", "split", "monitor", "reference"),
    ("serve", "predictions", "monitor", "predictions"),
]


def test_traffic_drifts_further_each_run_and_monitor_alerts(ws):
    doc = document(SERVING, SERVING_LINKS)
    first = run(ws, doc)
    assert first.status is RunStatus.SUCCEEDED, first.message
    batch0 = RunService(ws).outputs(first.id, "traffic")["dataset"]
    assert batch0.name == "traffic batch 0" and len(batch0.frame) == 150
    monitor0 = RunService(ws).outputs(first.id, "monitor")
    assert monitor0["alert"]["raised"] is False  # 60 held-out rows: 1 of 4 columns may wobble
    assert monitor0["report"].values["drift_share"] <= 0.25
    second = run(ws, doc)
    batch1 = RunService(ws).outputs(second.id, "traffic")["dataset"]
    assert batch1.name == "traffic batch 1"
    column = batch0.frame.columns[0]
    assert batch1.frame[column].mean() - batch0.frame[column].mean() > 0.5
    monitor1 = RunService(ws).outputs(second.id, "monitor")
    assert monitor1["alert"]["raised"] is True
    [alert] = TriggerStore(ws.db).alerts(ws.projects.get("p").id)
    assert alert.id == monitor1["alert"]["alert_id"] and alert.run_id == second.id
    assert alert.kind == "drift" and alert.node_id == "monitor"
    details = monitor1["report"].details["features"]
    assert all(f["drifted"] for f in details) and {f["test"] for f in details} == {"ks"}
    predictions = RunService(ws).outputs(second.id, "serve")["predictions"].frame
    assert {"y_pred", "y_true", "latency_ms", "model_version"} <= set(predictions.columns)
    keys = ws.metrics.keys(second.id)
    assert "psi/" + column in keys and "monitor/drift_share" in keys
    assert ws.metrics.latest(second.id)["accuracy"] > 0.8  # the model's test accuracy, not
    assert ws.metrics.latest(second.id)["monitor/accuracy"] < 0.8  # the drifted batch's


def test_canary_splits_traffic_and_online_experiment_compares(ws):
    first = run(ws, document(SERVING, SERVING_LINKS, {"traffic": {"drift": "none"}}))
    assert first.status is RunStatus.SUCCEEDED
    canary = document(
        [*SERVING, ("exp", "online_experiment", {"share": 0.5, "baseline_alias": "production"})],
        [
            *SERVING_LINKS,
            ("reg", "model_version", "exp", "model_version"),
            ("traffic", "dataset", "exp", "dataset"),
        ],
        {
            "deploy": {"strategy": "canary", "traffic_share": 0.3},
            "traffic": {"drift": "none", "batch_size": 400},
            "train": {"estimator": "k_neighbors"},
        },
    )
    second = run(ws, canary)
    assert second.status is RunStatus.SUCCEEDED, second.message
    served = RunService(ws).outputs(second.id, "serve")["predictions"].frame
    share = (served["model_version"] == 2).mean()
    assert set(served["model_version"]) == {1, 2} and 0.2 < share < 0.4
    active = RegistryService(ws).active_deployments("p", "production")
    assert [(d.version, d.strategy) for d in active] == [(1, "direct"), (2, "canary")]
    exp = RunService(ws).outputs(second.id, "exp")["metrics"]
    v = exp.values
    assert v["compared"] == 1.0 and v["n_a"] + v["n_b"] == 400
    assert v["difference"] == pytest.approx(v["accuracy_b"] - v["accuracy_a"])
    assert v["ci_low"] <= v["difference"] <= v["ci_high"]
    assert exp.details["baseline_version"] == 1 and exp.details["candidate_version"] == 2


class EndpointUser(NullListener):
    """Calls the Serve stage's endpoint as soon as the stage says where it is."""

    def __init__(self) -> None:
        self.url = ""
        self.answers = []
        self.thread = None

    def stage_log(self, run_id, node_id, line):
        found = re.search(r"endpoint open at (\S+)/predict", line)
        if found:
            self.url = found.group(1)
            self.thread = threading.Thread(target=self._call)
            self.thread.start()

    def _call(self):
        rows = [
            {
                "petal length (cm)": 0.1,
                "petal width (cm)": 0.1,
                "sepal length (cm)": 0.0,
                "sepal width (cm)": 0.0,
            }
        ]
        body = json.dumps({"rows": rows}).encode()
        request = urllib.request.Request(
            self.url + "/predict", body, {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            self.answers.append(json.loads(response.read()))
        with urllib.request.urlopen(self.url + "/health", timeout=10) as response:
            self.answers.append(json.loads(response.read()))


def test_serve_endpoint_answers_on_localhost_and_closes(ws):
    user = EndpointUser()
    doc = document(
        SERVING, SERVING_LINKS, {"serve": {"http_endpoint": True, "port": 0, "endpoint_seconds": 3}}
    )
    result = run(ws, doc, listener=user)
    user.thread.join(10)
    assert result.status is RunStatus.SUCCEEDED
    assert user.url.startswith("http://127.0.0.1:")
    predict, health = user.answers
    assert len(predict["predictions"]) == 1 and predict["version"] == 1
    assert health["status"] == "ok" and health["model"] == "iris-clf"
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(user.url + "/health", timeout=2)


def test_operate_stages_are_never_cached_and_need_a_registry(ws):
    doc = document()
    first, second = run(ws, doc), run(ws, doc)
    assert stage(second, "train").status is StageStatus.CACHED
    assert stage(second, "reg").status is StageStatus.SUCCEEDED
    assert [v.version for v in RegistryService(ws).versions("p", "iris-clf")] == [2, 1]
    assert first.id != second.id
    from mlops_desktop.core.serialization import from_dict
    from mlops_desktop.engine.executors import SynchronousExecutor
    from mlops_desktop.engine.scheduler import Scheduler

    pipeline = from_dict(doc)
    info = ws.pipelines.get(ws.projects.get("p").id, "ops")
    row = ws.runs.create(info.project_id, info.id, ws.pipelines.latest(info.id).id)
    result = Scheduler(
        default_registry(), ws.artifacts, None, SynchronousExecutor(), NullListener()
    ).run(pipeline, row.id)
    assert "no model registry" in result.stages["reg"].error
    assert Path(ws.artifacts_dir).exists()
