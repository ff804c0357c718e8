"""Taking back a failed run's side effects on a full disk: when the first write of the
take-back fails, the room the run kept aside is given back and the take-back finishes what
it had not done, naming every change in the run's message."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_run_side_effects import _doc

from mlops_desktop.app.registry import RegistryService, RunOperations
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.cli import main
from mlops_desktop.core.errors import WorkspaceError
from mlops_desktop.storage.deployments import DeploymentStore

FULL = "the disk holding the workspace is full: nothing was saved"


@pytest.fixture
def canary(workspace_url, capsys) -> str:
    """v1 of 'clf' serves production; the pipeline now deploys a 20% canary of v2, and
    v1's model file is gone, so Deploy fails after recording the canary."""
    with Workspace.open(workspace_url) as ws:
        project = ws.projects.create("p")
        ws.pipelines.create(project.id, "train", _doc("direct"))
    assert main(["--workspace", workspace_url, "run", "p", "--quiet"]) == 0
    with Workspace.open(workspace_url) as ws:
        info = ws.pipelines.get(ws.projects.get("p").id, "train")
        ws.pipelines.save(info.id, _doc("canary"), "canary")
        v1 = RegistryService(ws).version("p", "clf", 1)
        ws.artifacts.path(v1.artifact_digest).unlink()
    capsys.readouterr()
    return workspace_url


def test_a_take_back_that_meets_a_full_disk_uses_the_reserve(canary, monkeypatch) -> None:
    real = DeploymentStore.undo
    calls: list[int] = []

    def undo(self, deployment_id, **kwargs):
        calls.append(deployment_id)
        reserve = Path(canary).with_suffix(".artifacts") / ".reserve"
        if reserve.exists():  # the disk is full until the reserve is given back
            raise WorkspaceError(FULL)
        return real(self, deployment_id, **kwargs)

    monkeypatch.setattr(DeploymentStore, "undo", undo)
    assert main(["--workspace", canary, "run", "p", "--force", "--quiet"]) == 1
    assert len(calls) == 2  # refused once, done after the reserve was given back
    with Workspace.open(canary) as ws:
        registry = RegistryService(ws)
        run = ws.runs.get(ws.runs.list(ws.projects.get("p").id)[0].id)
        assert "taken back: deployment of clf v2 to production rolled back" in run.message
        assert "could not take back" not in run.message
        serving = [(d.version, d.strategy) for d in registry.active_deployments("p", "production")]
        assert serving == [(1, "direct")]


def test_an_undo_that_fails_half_way_keeps_the_rest_for_the_next_try(canary) -> None:
    """Two changes noted; the first write of the take-back fails: the second call finishes
    it and names both changes."""
    with Workspace.open(canary) as ws:
        ops = RunOperations(ws).for_stage("deploy")
        run = ws.runs.list(ws.projects.get("p").id)[0]
        v1 = RegistryService(ws).version("p", "clf", 1)
        ops.deploy(run.id, v1.id, "staging", "direct", 1.0, "auto")
        ops.deploy(run.id, v1.id, "qa", "direct", 1.0, "auto")
        real = ops.deployments.undo
        failures = [WorkspaceError(FULL)]

        def undo(deployment_id, **kwargs):
            if failures and "staging" in ops.deployments.get(deployment_id).environment:
                raise failures.pop()
            return real(deployment_id, **kwargs)

        ops.deployments.undo = undo  # type: ignore[method-assign]
        with pytest.raises(WorkspaceError):
            ops.undo(run.id, ["deploy"])
        assert ops.undo(run.id, ["deploy"]) == [
            "deployment of clf v1 to qa rolled back",
            "deployment of clf v1 to staging rolled back",
        ]
        assert ops.undo(run.id, ["deploy"]) == []  # nothing left twice
        registry = RegistryService(ws)
        assert registry.active_deployments("p", "staging") == []
        assert registry.active_deployments("p", "qa") == []
