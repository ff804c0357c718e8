"""Workspace.open: where a workspace lives, its artifact folder, and closing it."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_desktop.app.workspace import Workspace, default_location, location_url
from mlops_desktop.core.errors import WorkspaceError


def test_default_location_is_in_the_user_data_folder(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MLOPS_DESKTOP_WORKSPACE", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    expected = tmp_path / "data" / "mlops-desktop" / "workspace.db"
    assert Path(default_location()) == expected
    with Workspace.open() as ws:
        assert ws.path == expected
        assert ws.artifacts_dir == expected.with_name("workspace.artifacts")
    assert expected.is_file()


def test_environment_variable_chooses_the_workspace(monkeypatch, tmp_path: Path) -> None:
    target = tmp_path / "team.db"
    monkeypatch.setenv("MLOPS_DESKTOP_WORKSPACE", str(target))
    with Workspace.open() as ws:
        ws.projects.create("shared")
    with Workspace.open(target) as ws:
        assert [p.name for p in ws.projects.list()] == ["shared"]


def test_sqlite_url_and_path_open_the_same_workspace(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    with Workspace.open(f"sqlite:///{path}") as ws:
        ws.projects.create("p")
        assert ws.url.startswith("sqlite:///")
    with Workspace.open(path) as ws:
        assert [p.name for p in ws.projects.list()] == ["p"]


def test_in_memory_workspace_cleans_its_artifacts(tmp_path: Path) -> None:
    ws = Workspace.open("sqlite://")
    ws.projects.create("p")
    digest = ws.artifacts.put_bytes(b"x")
    folder = ws.artifacts_dir
    assert ws.path is None and ws.artifacts.exists(digest)
    ws.close()
    ws.close()  # closing twice is harmless
    assert ws.closed and not folder.exists()


def test_artifact_folder_can_be_configured(monkeypatch, tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    with Workspace.open(path, artifacts_dir=tmp_path / "explicit") as ws:
        assert ws.artifacts_dir == tmp_path / "explicit"
        ws.settings.set("artifacts_dir", str(tmp_path / "from-setting"))
    with Workspace.open(path) as ws:
        assert ws.artifacts_dir == tmp_path / "from-setting"
    monkeypatch.setenv("MLOPS_DESKTOP_ARTIFACTS", str(tmp_path / "from-env"))
    with Workspace.open(path) as ws:
        assert ws.artifacts_dir == tmp_path / "from-env"
        digest = ws.artifacts.put_bytes(b"data", ".bin")
        assert ws.artifacts.path(digest).parent.parent == tmp_path / "from-env"


def test_location_url_rules(tmp_path: Path) -> None:
    assert location_url(tmp_path / "a.db").database == str(tmp_path / "a.db")
    assert location_url("postgresql+psycopg://u:p@h/db").get_backend_name() == "postgresql"
    with pytest.raises(WorkspaceError):
        location_url("  ")


def test_context_manager_closes(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "w.db") as ws:
        assert not ws.closed
        assert "w.db" in repr(ws)
    assert ws.closed
