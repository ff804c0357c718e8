"""A run whose outputs cannot be stored keeps no side effect: a stage that changes the
registry starts only once its inputs are stored, and a registration or deployment whose
stage then fails (its outputs do not fit on a full disk, it fails after the change) is
taken back, with the run's message saying so."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mlops_desktop.app.registry import RegistryService, RunOperations
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.cli import main
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.operations import add_stage, connect
from mlops_desktop.core.registry import default_registry
from mlops_desktop.core.serialization import to_dict


def _doc(strategy: str) -> dict:
    pipeline = Pipeline("train", default_registry())
    stages = [
        ("load", "load_data", {"dataset": "iris"}),
        ("split", "split", {}),
        ("train", "train", {"estimator": "random_forest", "n_estimators": 10}),
        ("reg", "register_model", {"model_name": "clf"}),
        ("deploy", "deploy", {"environment": "production", "strategy": strategy}),
    ]
    for node_id, stage_type, params in stages:
        if stage_type == "deploy":
            params = {**params, "traffic_share": 0.2}
        pipeline.apply(add_stage(pipeline, stage_type, params=params, node_id=node_id))
    for link in [
        ("load", "dataset", "split", "dataset"),
        ("split", "split", "train", "split"),
        ("train", "model", "reg", "model"),
        ("reg", "model_version", "deploy", "model_version"),
    ]:
        pipeline.apply(connect(*link))
    return to_dict(pipeline)


@pytest.fixture
def served(workspace_url, capsys):
    """v1 of 'clf' serves production; the pipeline now deploys a 20% canary."""
    with Workspace.open(workspace_url) as ws:
        project = ws.projects.create("p")
        ws.pipelines.create(project.id, "train", _doc("direct"))
    assert main(["--workspace", workspace_url, "run", "p", "--quiet"]) == 0
    with Workspace.open(workspace_url) as ws:
        info = ws.pipelines.get(ws.projects.get("p").id, "train")
        ws.pipelines.save(info.id, _doc("canary"), "canary")
    capsys.readouterr()
    return workspace_url


def _state(url: str) -> dict:
    with Workspace.open(url) as ws:
        registry = RegistryService(ws)
        run = ws.runs.get(ws.runs.list(ws.projects.get("p").id)[0].id)
        return {
            "run": run,
            "stages": {s.node_id: (s.status.value, s.error) for s in run.stages},
            "versions": [v.version for v in registry.versions("p", "clf")],
            "serving": [
                (d.version, d.strategy, d.traffic_share)
                for d in registry.active_deployments("p", "production")
            ],
            "production": registry.store.version_by_alias(
                run.project_id, "clf", "production"
            ).version,
        }


def test_a_deploy_that_fails_after_deploying_takes_its_canary_back(served, capsys) -> None:
    """The canary is recorded, then the stage fails (the primary's model file is gone
    from the workspace, so the stage cannot score beside it): no canary stays."""
    with Workspace.open(served) as ws:
        v1 = RegistryService(ws).version("p", "clf", 1)
        ws.artifacts.path(v1.artifact_digest).unlink()
    assert main(["--workspace", served, "run", "p", "--force", "--quiet"]) == 1
    state = _state(served)
    assert state["stages"]["reg"][0] == "succeeded"
    assert state["stages"]["deploy"][0] == "failed"
    assert "model file of clf v1 is missing" in state["stages"]["deploy"][1]
    assert state["versions"] == [2, 1]  # the registration succeeded: it stands
    # No 20% canary of v2 is left beside v1 in production: v1 serves alone, as before.
    assert state["serving"] == [(1, "direct", 1.0)]
    assert state["production"] == 1
    assert "taken back: deployment of clf v2 to production rolled back" in state["run"].message
    assert "taken back" in capsys.readouterr().err
    with Workspace.open(served) as ws:
        rows = RegistryService(ws).deployments("p", "production")
    assert [(d.version, d.status) for d in rows] == [(2, "rolled_back"), (1, "active")]


def test_a_direct_deploy_taken_back_restores_the_primary_and_alias(served) -> None:
    """A direct deployment that is taken back makes the version it replaced serve again."""
    with Workspace.open(served) as ws:
        info = ws.pipelines.get(ws.projects.get("p").id, "train")
        ws.pipelines.save(info.id, _doc("direct"), "direct")
    assert main(["--workspace", served, "run", "p", "--force", "--quiet"]) == 0
    assert _state(served)["serving"] == [(2, "direct", 1.0)]
    with Workspace.open(served) as ws:
        ops = RunOperations(ws).for_stage("deploy")
        run = ws.runs.list(ws.projects.get("p").id)[0]
        v2 = RegistryService(ws).version("p", "clf", 2)
        ops.deploy(run.id, v2.id, "staging", "direct", 1.0, "auto")
        ops.deploy(
            run.id,
            RegistryService(ws).version("p", "clf", 1).id,
            "production",
            "direct",
            1.0,
            "auto",
        )
        assert ops.undo(run.id, ["deploy"]) == [
            "deployment of clf v1 to production rolled back",
            "deployment of clf v2 to staging rolled back",
        ]
    state = _state(served)
    assert state["serving"] == [(2, "direct", 1.0)] and state["production"] == 2
    with Workspace.open(served) as ws:
        assert RegistryService(ws).active_deployments("p", "staging") == []


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare")
def test_a_full_disk_withdraws_the_registration_and_deploys_nothing(served, tmp_path) -> None:
    """The artifacts folder is a small file system that fills while Register's outputs are
    written (after it registered v2): v2 is withdrawn and Deploy never starts."""
    folder = Path(served).with_suffix(".artifacts")
    with Workspace.open(served) as ws:  # what the first run stored, stage by stage
        run = ws.runs.get(ws.runs.list(ws.projects.get("p").id)[0].id)
        size = {
            s.node_id: sum(ws.artifacts.path(d).stat().st_size for d in s.outputs.values())
            for s in run.stages
        }
        register_log = next(s.log for s in run.stages if s.node_id == "reg")
    model_file = int(
        register_log.split("model.skops (skops, ")[1].split(" bytes")[0].replace(",", "")
    )
    # Room for the data, split and model, Register's model file and half its outputs.
    room = size["load"] + size["split"] + size["train"] + model_file + size["reg"] // 2
    command = (
        f'mount -t tmpfs -o size={room // 1024}k tmpfs "{folder}" && exec "{sys.executable}" '
        f'-m mlops_desktop --workspace "{served}" run p --force --quiet'
    )
    result = subprocess.run(
        ["unshare", "-rm", "sh", "-c", command], capture_output=True, text=True, timeout=120
    )
    if "mount" in result.stderr or "unshare" in result.stderr:
        pytest.skip(f"cannot mount a small file system here: {result.stderr.strip()}")
    assert result.returncode == 1, result.stderr
    state = _state(served)
    assert state["stages"]["train"][0] == "succeeded"
    assert state["stages"]["reg"][0] == "failed"
    assert "cannot store the outputs" in state["stages"]["reg"][1]
    assert "No space left on device" in state["stages"]["reg"][1]
    # Deploy never started on Register's unstored value: v2 was deployed nowhere.
    assert state["stages"]["deploy"][0] == "skipped"
    assert state["versions"] == [1]  # no half-registered v2
    assert state["serving"] == [(1, "direct", 1.0)]
    assert "taken back: clf v2 withdrawn from the registry" in state["run"].message
    # With room again, the next run registers v2 and deploys its canary.
    assert main(["--workspace", served, "run", "p", "--force", "--quiet"]) == 0
    state = _state(served)
    assert state["versions"] == [2, 1]
    assert state["serving"] == [(1, "direct", 1.0), (2, "canary", 0.2)]
