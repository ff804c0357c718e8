"""RegistryService: register, promote, roll back (one action), deploy, approve; every change
is one transaction, so a failure half-way leaves the previous state."""

from __future__ import annotations

import pytest

from mlops_desktop.app.registry import RegistryService, RunOperations, current_user
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.core.errors import ConflictError, NotFoundError
from mlops_desktop.core.operate_entities import OperateBackend
from mlops_desktop.storage import registry as registry_module


@pytest.fixture
def service(workspace_url):
    ws = Workspace.open(workspace_url)
    ws.projects.create("p")
    yield RegistryService(ws)
    ws.close()


def snapshot(service):
    return (service.summary("p"), service.active_deployments("p", "production"))


def test_register_promote_rollback_in_one_action(service):
    for accuracy in (0.8, 0.9, 0.95):
        service.register("p", "clf", metrics={"accuracy": accuracy})
    service.deploy("p", "clf", 1, "production")
    service.promote("p", "clf", 2, "production", reason="better")
    moved = service.promote("p", "clf", 3, "production", actor="lead")
    assert (moved.from_version, moved.to_version, moved.actor) == (2, 3, "lead")
    assert [d.version for d in service.active_deployments("p", "production")] == [3]
    back = service.rollback("p", "clf", "production", reason="latency regression")
    assert (back.from_version, back.to_version, back.actor) == (3, 2, current_user())
    assert [d.version for d in service.active_deployments("p", "production")] == [2]
    assert service.list_models("p")[0].aliases == {"production": 2}
    statuses = [(d.version, d.status) for d in service.deployments("p")]
    assert statuses == [(2, "active"), (3, "rolled_back"), (2, "superseded"), (1, "superseded")]
    summary = service.summary("p")
    assert [h["to_version"] for h in summary["models"][0]["history"]] == [1, 2, 3, 2]


def test_failure_half_way_leaves_previous_state(service, monkeypatch):
    for _ in range(2):
        service.register("p", "clf")
    service.deploy("p", "clf", 1, "production")
    before = snapshot(service)
    real = registry_module.set_alias_in

    def fail_after_moving(*args, **kwargs):
        real(*args, **kwargs)  # the alias moved and its history row is written ...
        raise OSError("the disk went away")  # ... then the transaction breaks

    monkeypatch.setattr("mlops_desktop.storage.deployments.set_alias_in", fail_after_moving)
    with pytest.raises(OSError):
        service.promote("p", "clf", 2, "production")
    with pytest.raises(OSError):
        service.deploy("p", "clf", 2, "production")
    assert snapshot(service) == before
    monkeypatch.setattr(registry_module, "set_alias_in", fail_after_moving)
    with pytest.raises(OSError):
        service.register("p", "clf", alias="candidate")
    assert [v.version for v in service.versions("p", "clf")] == [2, 1]  # no v3 half-registered


def test_bad_requests_are_refused_with_clear_messages(service):
    service.register("p", "clf")
    service.promote("p", "clf", 1, "staging")
    with pytest.raises(ConflictError, match="no earlier version"):
        service.rollback("p", "clf", "staging")
    with pytest.raises(NotFoundError, match="no registered model 'x'"):
        service.versions("p", "x")
    with pytest.raises(NotFoundError):
        service.list_models("no such project")
    with pytest.raises(ConflictError, match="needs a name"):
        service.register("p", "  ")


def test_approve_and_run_backend(service):
    service.register("p", "clf")
    approval = service.approve("p", "clf", 1, True, approver="ann", comment="ok")
    assert approval.decision == "approved"
    assert service.version("p", "clf", 1).approver == "ann"
    assert isinstance(RunOperations(service.workspace), OperateBackend)
