"""A canary decided on what production taught: the Google template's Serve stage, asked to
judge the canary after 30 labelled rows, promotes the retrained v2 once it answered that
many rows of drifted traffic with no worse an error rate than v1, and the promotion is a
deployment event in the history with both error rates as its reason."""

from __future__ import annotations

import pytest

from mlops_desktop.app.projects import ProjectService
from mlops_desktop.app.registry import RegistryService
from mlops_desktop.app.runs import RunService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.core.operations import set_param


@pytest.fixture
def ws(workspace_url):
    workspace = Workspace.open(workspace_url)
    yield workspace
    workspace.close()


@pytest.mark.slow
def test_the_canary_is_promoted_after_n_labelled_rows_without_a_worse_error(ws):
    service = ProjectService(ws)
    service.create_project("ct", template="google")
    info, pipeline = service.load_pipeline("ct")
    pipeline.apply(set_param(pipeline, "serve", "canary_decision_rows", 30))
    service.save_pipeline(info.id, pipeline, "judge the canary after 30 labelled rows")
    runs, registry = RunService(ws), RegistryService(ws)
    runs.run("ct")  # v1: production's primary
    runs.run("ct")  # the same model is kept out; v1 serves drifted batch 1
    third = runs.run("ct")  # learns from batch 1's labels: v2 goes out as a 20% canary
    canary = [d for d in registry.active_deployments("ct", "production") if d.version == 2]
    assert [(d.strategy, d.traffic_share) for d in canary] == [("canary", 0.2)]
    assert "canary_decision" not in ws.metrics.latest(third.id)  # deployed after Serve began

    # Serving only (as "run selected stages" does): the canary answers its share of the next
    # batch, but those rows have no labels yet, so nothing is decided.
    fourth = runs.run("ct", nodes=["serve"])
    metrics = ws.metrics.latest(fourth.id)
    assert metrics["canary_decision"] == 0.0 and metrics["canary_rows_judged"] == 0
    assert 0.1 < metrics["serve_canary_share"] < 0.3

    # One run later the labels of run 4 have arrived: the canary answered at least 30 of them
    # and erred no more often than v1 on its rows, so it becomes the primary.
    fifth = runs.run("ct", nodes=["serve"])
    metrics = ws.metrics.latest(fifth.id)
    assert metrics["canary_rows_judged"] >= 30
    assert metrics["canary_decision"] == 1.0
    assert metrics["canary_error"] <= metrics["canary_primary_error"]
    [primary] = registry.active_deployments("ct", "production")
    assert (primary.version, primary.strategy, primary.run_id) == (2, "direct", fifth.id)
    moved = registry.history("ct", "breast-cancer-classifier", "production")[-1]
    assert (moved.from_version, moved.to_version, moved.actor) == (1, 2, f"run:{fifth.id}")
    assert moved.reason.startswith("canary v2 promoted: error ")
    assert f"vs primary v1 {metrics['canary_primary_error']:.3f}" in moved.reason


@pytest.mark.slow
def test_a_canary_that_errs_more_is_rolled_back(ws):
    service = ProjectService(ws)
    service.create_project("ct", template="google")
    runs, registry = RunService(ws), RegistryService(ws)
    runs.run("ct")  # v1: production's primary
    info, pipeline = service.load_pipeline("ct")
    pipeline.apply(set_param(pipeline, "serve", "canary_decision_rows", 30))
    pipeline.apply(set_param(pipeline, "train", "n_estimators", 1))
    pipeline.apply(set_param(pipeline, "train", "max_depth", 1))
    pipeline.apply(set_param(pipeline, "gate", "rules", "accuracy >= 0.5"))  # lets a stump by
    service.save_pipeline(info.id, pipeline, "a forest of one stump, a lax gate")
    runs.run("ct")  # v2, one stump, goes out as a 20% canary beside v1
    assert {(d.version, d.strategy) for d in registry.active_deployments("ct", "production")} == {
        (1, "direct"),
        (2, "canary"),
    }
    runs.run("ct", nodes=["serve"])  # the canary answers its share; no labels yet
    last = runs.run("ct", nodes=["serve"])  # those labels arrived: judged
    metrics = ws.metrics.latest(last.id)
    assert metrics["canary_rows_judged"] >= 30
    assert metrics["canary_decision"] == -1.0
    assert metrics["canary_error"] > metrics["canary_primary_error"]
    # The canary deployment ended as rolled back; v1 serves all traffic and keeps the alias.
    [primary] = registry.active_deployments("ct", "production")
    assert (primary.version, primary.strategy) == (1, "direct")
    [canary] = [d for d in registry.deployments("ct", "production") if d.version == 2]
    assert canary.status == "rolled_back"
    assert registry.list_models("ct")[0].aliases["production"] == 1
    log = next(s.log for s in last.stages if s.node_id == "serve")
    assert "canary v2 rolled back: error " in log
