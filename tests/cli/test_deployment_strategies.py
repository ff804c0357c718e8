"""Deployment strategies as they serve: a canary answers its share of the rows and the
primary the rest, a shadow scores beside the primary whose answers are served, and promoting
the canary or rolling back is one command that lands in the alias history."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pytest

from mlops_desktop.app.registry import RegistryService
from mlops_desktop.app.runs import RunService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.cli import main
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.operations import add_stage, connect
from mlops_desktop.core.registry import default_registry
from mlops_desktop.core.serialization import to_dict


def _doc(name, nodes, links):
    pipeline = Pipeline(name, default_registry())
    for node_id, stage_type, params in nodes:
        pipeline.apply(add_stage(pipeline, stage_type, params=params, node_id=node_id))
    for link in links:
        pipeline.apply(connect(*link))
    return to_dict(pipeline)


@pytest.fixture
def url(workspace_url):
    with Workspace.open(workspace_url) as ws:
        project = ws.projects.create("p")
        data = [("load", "load_data", {"dataset": "iris"}), ("split", "split", {})]
        ws.pipelines.create(
            project.id,
            "train",
            _doc(
                "train",
                [
                    *data,
                    ("train", "train", {"estimator": "logistic_regression"}),
                    ("reg", "register_model", {"model_name": "clf"}),
                ],
                [("load", "dataset", "split", "dataset"), ("split", "split", "train", "split")]
                + [("train", "model", "reg", "model")],
            ),
        )
        ws.pipelines.create(
            project.id,
            "serve",
            _doc(
                "serve",
                [
                    *data,
                    ("traffic", "simulate_traffic", {"batch_size": 1000, "drift": "none"}),
                    ("serve", "serve", {"environment": "production"}),
                    ("monitor", "monitor", {"min_accuracy": 0.0}),
                ],
                [("load", "dataset", "split", "dataset"), ("split", "split", "traffic", "split")]
                + [("traffic", "dataset", "serve", "dataset")]
                + [("split", "split", "monitor", "reference")]
                + [("serve", "predictions", "monitor", "predictions")],
            ),
        )
        runs = RunService(ws)
        runs.run("p", "train")
        runs.run("p", "train", force=True)
    return workspace_url


def _serve(url):
    with Workspace.open(url) as ws:
        run = RunService(ws).run("p", "serve")
        stage = next(s for s in run.stages if s.node_id == "serve")
        prefix = stage.log.split("artifact inference_log.jsonl")[1].split(": ")[1][:12]
        digest = next(d for d in ws.artifacts.digests() if d.startswith(prefix))
        log = [json.loads(line) for line in ws.artifacts.read_bytes(digest).splitlines()]
        return ws.metrics.latest(run.id), stage.log, log


def _cli(capsys, url, *argv):
    code = main(["--workspace", url, *argv])
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.mark.slow
def test_canary_serves_its_share_and_promotion_and_rollback_are_one_command(url, capsys):
    with Workspace.open(url) as ws:
        registry = RegistryService(ws)
        registry.deploy("p", "clf", 1, "production")
        registry.deploy("p", "clf", 2, "production", "canary", 0.2)
    metrics, text, log = _serve(url)
    versions = np.array([row["version"] for row in log])
    assert len(versions) == 1000
    share = float((versions == 2).mean())
    assert 0.15 <= share <= 0.25 and set(versions) == {1, 2}
    assert metrics["serve_canary_share"] == pytest.approx(share)
    assert "canary v2 answered" in text and "primary v1 the rest" in text

    before_promotion = datetime.now(UTC)
    code, out = _cli(capsys, url, "models", "promote-canary", "p", "production", "--reason", "ok")
    assert code == 0 and "clf v2 now serves all of production (was v1" in out
    after_promotion = datetime.now(UTC)
    _, _, log = _serve(url)
    assert {row["version"] for row in log} == {2}
    code, out = _cli(capsys, url, "models", "rollback", "p", "clf", "production")
    assert code == 0
    _, _, log = _serve(url)
    assert {row["version"] for row in log} == {1}
    with Workspace.open(url) as ws:
        history = RegistryService(ws).history("p", "clf", "production")
    assert [(h.from_version, h.to_version, h.reason) for h in history][-2:] == [
        (1, 2, "ok"),
        (2, 1, "rolled back from v2"),
    ]
    code, out = _cli(capsys, url, "models", "promote-canary", "p", "production")
    assert code != 0 and "no canary serves 'production'" in out

    # Point in time: what served production, who or what put it there and why.
    code, out = _cli(capsys, url, "models", "p", "--at", before_promotion.isoformat())
    assert code == 0
    assert "production: clf v1 (direct) since" in out
    assert "production: clf v2 (canary, 20% of traffic)" in out
    code, out = _cli(capsys, url, "models", "p", "--at", after_promotion.isoformat(), "--json")
    [served] = json.loads(out)["serving"]
    assert (served["version"], served["strategy"], served["alias_reason"]) == (2, "direct", "ok")
    code, out = _cli(capsys, url, "models", "p", "--at", "2000-01-01")
    assert code == 0 and "nothing served" in out


@pytest.mark.slow
def test_shadow_scores_beside_the_primary_whose_answers_are_served(url):
    with Workspace.open(url) as ws:
        registry = RegistryService(ws)
        registry.deploy("p", "clf", 1, "production")
        registry.deploy("p", "clf", 2, "production", "shadow")
    metrics, text, log = _serve(url)
    assert {row["version"] for row in log} == {1}
    assert metrics["serve_shadow_agreement"] == 1.0  # the same fit: they agree
    assert "shadow v2 scored every row beside primary v1" in text


@pytest.mark.slow
def test_a_tenfold_latency_rise_against_the_reference_run_alerts(url, monkeypatch):
    from mlops_desktop.stages import _serving
    from mlops_desktop.storage.triggers import TriggerStore

    with Workspace.open(url) as ws:
        RegistryService(ws).deploy("p", "clf", 1, "production")
    first, _, _ = _serve(url)  # the reference run for v1
    fast = _serving.timed_predict

    def slow(estimator, X):  # the same model behind a slower service: 1 ms more per row
        y, seconds = fast(estimator, X)
        return y, seconds + 0.001 * len(X) + 10 * seconds

    monkeypatch.setattr(_serving, "timed_predict", slow)
    second, _, _ = _serve(url)
    assert second["monitor/latency_ratio"] >= 10
    assert second["monitor/latency_reference_ms"] == pytest.approx(first["serve_latency_ms"])
    with Workspace.open(url) as ws:
        alerts = TriggerStore(ws.db).alerts(ws.projects.get("p").id)
    assert [a.kind for a in alerts] == ["latency"]
    assert "latency per row rose x" in alerts[0].message
    assert "against run #3 (" in alerts[0].message  # after the two training runs, #3 served v1
