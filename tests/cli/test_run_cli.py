"""``mlops-desktop run`` and ``runs``: progress lines, exit codes, recorded runs."""

from __future__ import annotations

import json

import pytest

from mlops_desktop.app.workspace import Workspace
from mlops_desktop.cli import main
from mlops_desktop.core import serialization
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.operations import add_stage, connect
from mlops_desktop.core.registry import default_registry


def pipeline(rules: str = "accuracy >= 0.5") -> Pipeline:
    p = Pipeline("main", default_registry())
    for node_id, stage_type, params in [
        ("load", "load_data", {"dataset": "iris"}),
        ("split", "split", {}),
        ("train", "train", {"estimator": "logistic_regression"}),
        ("eval", "evaluate", {"permutation_importance": False}),
        ("gate", "model_gate", {"rules": rules}),
    ]:
        p.apply(add_stage(p, stage_type, params=params, node_id=node_id))
    for link in [
        ("load", "dataset", "split", "dataset"),
        ("split", "split", "train", "split"),
        ("split", "split", "eval", "split"),
        ("train", "model", "eval", "model"),
        ("train", "model", "gate", "model"),
        ("eval", "metrics", "gate", "metrics"),
    ]:
        p.apply(connect(*link))
    return p


@pytest.fixture
def ws_path(tmp_path):
    path = str(tmp_path / "ws.db")
    with Workspace.open(path) as ws:
        good = ws.projects.create("good")
        ws.pipelines.create(good.id, "main", serialization.to_dict(pipeline()))
        bad = ws.projects.create("strict")
        ws.pipelines.create(bad.id, "main", serialization.to_dict(pipeline("accuracy > 0.999")))
    return path


def test_run_prints_progress_and_exits_zero_then_cached(ws_path, capsys):
    assert main(["--workspace", ws_path, "run", "good"]) == 0
    out = capsys.readouterr().out
    assert "ok       Load data (" in out and "ok       Model gate" in out
    assert "run #1 succeeded" in out and "5 stages, 0 from the cache" in out
    assert main(["--workspace", ws_path, "run", "good"]) == 0
    out = capsys.readouterr().out
    assert out.count("cached") >= 5 and "5 from the cache" in out
    assert (
        main(["--workspace", ws_path, "run", "good", "--force", "--node", "train", "--quiet"]) == 0
    )
    assert "run #3 succeeded" in capsys.readouterr().out


def test_refused_gate_exits_zero_and_says_the_model_was_kept_out(ws_path, capsys):
    assert main(["--workspace", ws_path, "run", "strict"]) == 0
    out = capsys.readouterr().out
    assert "run #1 kept out" in out and "model gate not passed: accuracy > 0.999" in out
    assert main(["--workspace", ws_path, "runs", "strict"]) == 0
    assert "kept out" in capsys.readouterr().out


def test_runs_lists_history_as_table_and_json(ws_path, capsys):
    main(["--workspace", ws_path, "run", "good", "--quiet"])
    main(["--workspace", ws_path, "run", "strict", "--quiet"])
    capsys.readouterr()
    assert main(["--workspace", ws_path, "runs", "good"]) == 0
    table = capsys.readouterr().out
    assert "succeeded" in table and "accuracy" in table and "manual" in table
    assert main(["--workspace", ws_path, "runs", "good", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["status"] == "succeeded" and rows[0]["metrics"]["accuracy"] > 0.5
    assert [s["title"] for s in rows[0]["stages"]][0] == "Load data"


def test_unknown_project_node_and_executor_errors(ws_path, capsys):
    assert main(["--workspace", ws_path, "run", "nope"]) == 1
    assert "error:" in capsys.readouterr().err
    assert main(["--workspace", ws_path, "run", "good", "--node", "missing"]) == 1
    assert "no stage with id or title 'missing'" in capsys.readouterr().err
    assert main(["--workspace", ws_path, "run", "good", "--executor", "dask"]) == 1
    assert "needs --scheduler" in capsys.readouterr().err


def test_run_on_a_dask_scheduler_by_address(ws_path, capsys):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        processes=False, n_workers=1, threads_per_worker=2, protocol="tcp", dashboard_address=None
    ) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://")
        code = main(
            ["--workspace", ws_path, "run", "good", "--executor", "dask", "--scheduler", address]
        )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "(5 stages, dask)" in out and "run #1 succeeded" in out
    with Workspace.open(ws_path) as ws:
        run = ws.runs.list(ws.projects.get("good").id)[0]
        assert run.executor == "dask" and ws.metrics.latest(run.id)["accuracy"] > 0.5


def test_the_google_template_on_a_dask_cluster_registers_its_model(tmp_path, capsys):
    """Training goes to the cluster; register (a side-effect stage) runs beside the workspace."""
    distributed = pytest.importorskip("distributed")
    ws = str(tmp_path / "w.db")
    assert main(["--workspace", ws, "project", "create", "demo", "--template", "google"]) == 0
    with distributed.LocalCluster(
        processes=False, n_workers=1, threads_per_worker=2, protocol="tcp", dashboard_address=None
    ) as cluster:
        args = ["--workspace", ws, "run", "demo", "--executor", "dask"]
        code = main([*args, "--scheduler", cluster.scheduler_address])
    out = capsys.readouterr().out
    assert code == 0, out
    assert main(["--workspace", ws, "models", "demo", "--json"]) == 0
    (model,) = json.loads(capsys.readouterr().out)["models"]
    assert [(v["version"], v["run_id"]) for v in model["versions"]] == [(1, 1)]
    assert model["versions"][0]["metrics"]["accuracy"] > 0.9


def test_runs_delete(ws_path, capsys):
    for _ in range(3):
        assert main(["--workspace", ws_path, "run", "good", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["--workspace", ws_path, "runs", "good", "--delete", "1", "3"]) == 0
    assert "deleted 2 run(s) of 'good'" in capsys.readouterr().out
    assert main(["--workspace", ws_path, "runs", "good", "--json"]) == 0
    assert [r["id"] for r in json.loads(capsys.readouterr().out)] == [2]
    assert main(["--workspace", ws_path, "runs", "good", "--delete", "7"]) == 1
    assert "no run #7" in capsys.readouterr().err
