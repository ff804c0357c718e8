"""An approval recorded by an Approve stage that then fails is taken back with the run's
other side effects: the version is no longer approved, so a later "latest approved" choice
or a deployment cannot lean on it. A rejection stands whatever follows."""

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


def _doc() -> dict:
    pipeline = Pipeline("train", default_registry())
    stages = [
        ("load", "load_data", {"dataset": "iris"}),
        ("split", "split", {}),
        ("train", "train", {"estimator": "random_forest", "n_estimators": 10}),
        ("reg", "register_model", {"model_name": "clf"}),
        ("approve", "approve", {"headless_policy": "approve"}),
        ("deploy", "deploy", {"environment": "production"}),
    ]
    for node_id, stage_type, params in stages:
        pipeline.apply(add_stage(pipeline, stage_type, params=params, node_id=node_id))
    for link in [
        ("load", "dataset", "split", "dataset"),
        ("split", "split", "train", "split"),
        ("train", "model", "reg", "model"),
        ("reg", "model_version", "approve", "model_version"),
        ("approve", "model_version", "deploy", "model_version"),
    ]:
        pipeline.apply(connect(*link))
    return to_dict(pipeline)


@pytest.fixture
def approved_once(workspace_url, capsys) -> str:
    """v1 of 'clf' registered, approved and deployed by a first run."""
    with Workspace.open(workspace_url) as ws:
        ws.pipelines.create(ws.projects.create("p").id, "train", _doc())
    assert main(["--workspace", workspace_url, "run", "p", "--quiet"]) == 0
    capsys.readouterr()
    return workspace_url


def test_undo_takes_back_an_approval_but_never_a_rejection(approved_once) -> None:
    with Workspace.open(approved_once) as ws:
        registry = RegistryService(ws)
        v1 = registry.version("p", "clf", 1)
        assert v1.approval == "approved"
        run = ws.runs.list(ws.projects.get("p").id)[0]
        ops = RunOperations(ws).for_stage("approve")
        ops.record_approval(run.id, v1.id, False, "bob", "not this one")
        ops.record_approval(run.id, v1.id, True, "carol", "")
        assert registry.version("p", "clf", 1).approver == "carol"
        assert ops.undo(run.id, ["approve"]) == ["approval of clf v1 taken back"]
        v1 = registry.version("p", "clf", 1)
        assert (v1.approval, v1.approver) == ("rejected", "bob")  # the rejection stands


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare")
def test_a_full_disk_takes_back_the_approval_and_deploys_nothing(approved_once) -> None:
    """The artifacts folder is a small file system that fills while Approve's outputs are
    written (after it recorded its approval of v2): the approval and v2 are taken back and
    Deploy never starts."""
    folder = Path(approved_once).with_suffix(".artifacts")
    with Workspace.open(approved_once) as ws:  # what the first run stored, stage by stage
        run = ws.runs.get(ws.runs.list(ws.projects.get("p").id)[0].id)
        size = {
            s.node_id: sum(ws.artifacts.path(d).stat().st_size for d in s.outputs.values())
            for s in run.stages
        }
        register_log = next(s.log for s in run.stages if s.node_id == "reg")
    model_file = int(
        register_log.split("model.skops (skops, ")[1].split(" bytes")[0].replace(",", "")
    )
    # Room for the data, split, model, Register's model file and outputs, and half of
    # Approve's outputs.
    room = sum(size[n] for n in ("load", "split", "train", "reg")) + model_file
    room += size["approve"] // 2
    command = (
        f'mount -t tmpfs -o size={room // 1024}k tmpfs "{folder}" && exec "{sys.executable}" '
        f'-m mlops_desktop --workspace "{approved_once}" run p --force --quiet'
    )
    result = subprocess.run(
        ["unshare", "-rm", "sh", "-c", command], capture_output=True, text=True, timeout=120
    )
    if "mount" in result.stderr or "unshare" in result.stderr:
        pytest.skip(f"cannot mount a small file system here: {result.stderr.strip()}")
    assert result.returncode == 1, result.stderr
    with Workspace.open(approved_once) as ws:
        registry = RegistryService(ws)
        run = ws.runs.get(ws.runs.list(ws.projects.get("p").id)[0].id)
        stages = {s.node_id: (s.status.value, s.error) for s in run.stages}
        assert stages["reg"][0] == "succeeded"
        assert stages["approve"][0] == "failed"
        assert "No space left on device" in stages["approve"][1]
        assert stages["deploy"][0] == "skipped"
        assert "approval of clf v2 taken back" in run.message
        # Register succeeded, so v2 stands, but no longer approved.
        v2 = registry.version("p", "clf", 2)
        assert v2.approval == ""
        approvals = [(a.decision, v.version) for a, v in ws.registry.approvals(run.project_id)]
        assert ("approved", 2) not in approvals and ("approved", 1) in approvals
        assert [(d.version, d.status) for d in registry.active_deployments("p", "production")] == [
            (1, "active")
        ]
