"""Taking back a failed run's registry changes, on SQLite and PostgreSQL: a deployment that
is undone ends rolled back and what it replaced serves again (with the alias); a withdrawn
version is gone, its aliases back on the earlier holder and its number handed out again."""

from __future__ import annotations

import pytest

from mlops_desktop.app.workspace import Workspace
from mlops_desktop.storage.deployments import DeploymentStore
from mlops_desktop.storage.projects import ProjectStore
from mlops_desktop.storage.registry import RegistryStore


@pytest.fixture
def stores(backend_url, tmp_path):
    ws = Workspace.open(backend_url, artifacts_dir=tmp_path / "a")
    project = ProjectStore(ws.db).create("p")
    yield project.id, RegistryStore(ws.db), DeploymentStore(ws.db)
    ws.close()


def _serving(deploys, project_id):
    return [(d.version, d.strategy) for d in deploys.active(project_id, "production")]


def test_undone_deployments_restore_what_served(stores) -> None:
    pid, registry, deploys = stores
    v1, v2, v3 = (registry.register(pid, "clf", artifact_digest="d" * 64) for _ in range(3))
    deploys.deploy(pid, v1.id, "production")
    canary = deploys.deploy(pid, v2.id, "production", "canary", 0.2)
    second = deploys.deploy(pid, v3.id, "production", "canary", 0.1)  # replaces the canary
    assert _serving(deploys, pid) == [(1, "direct"), (3, "canary")]
    assert deploys.undo(second.id, actor="app", reason="run failed") is True
    assert _serving(deploys, pid) == [(1, "direct"), (2, "canary")]  # the earlier canary
    assert deploys.get(second.id).status == "rolled_back"
    assert deploys.undo(second.id, actor="app", reason="again") is False  # nothing left to undo
    direct = deploys.deploy(pid, v3.id, "production")
    assert _serving(deploys, pid) == [(3, "direct")]
    assert registry.version_by_alias(pid, "clf", "production").version == 3
    assert deploys.undo(direct.id, actor="app", reason="run #9 failed") is True
    assert _serving(deploys, pid) == [(1, "direct"), (2, "canary")]
    assert registry.version_by_alias(pid, "clf", "production").version == 1
    last = registry.history(pid, "clf", "production")[-1]
    assert (last.kind, last.to_version, last.reason) == ("rollback", 1, "run #9 failed")
    assert deploys.get(canary.id).status == "active"


def test_a_withdrawn_version_is_gone_and_its_alias_returns(stores) -> None:
    pid, registry, _ = stores
    registry.register(pid, "clf", artifact_digest="d" * 64, alias="candidate")
    v2 = registry.register(pid, "clf", artifact_digest="e" * 64, alias="candidate")
    assert registry.withdraw(v2.id, actor="app", reason="run failed") == "clf v2"
    assert [v.version for v in registry.versions(pid, "clf")] == [1]
    assert registry.version_by_alias(pid, "clf", "candidate").version == 1
    again = registry.register(pid, "clf")
    assert again.version == 2  # the number is handed out again
    # Only what the failed run registered is withdrawn (SQLite may hand the id out again).
    assert registry.withdraw(again.id, actor="app", reason="again", run_id=999) == ""
    assert [v.version for v in registry.versions(pid, "clf")] == [2, 1]
    only = registry.register(pid, "solo", artifact_digest="f" * 64)
    assert registry.withdraw(only.id, actor="app", reason="run failed") == "solo v1"
    assert [m.name for m in registry.models(pid)] == ["clf"]  # no empty model left
