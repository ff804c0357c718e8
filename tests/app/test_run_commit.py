"""Every run records the HEAD commit of the git repository attached to its project."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from mlops_desktop.app.assessment import AssessmentService
from mlops_desktop.app.projects import ProjectService
from mlops_desktop.app.runs import RunService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.core import operations as ops
from mlops_desktop.core.entities import RunStatus
from mlops_desktop.core.graph import Pipeline

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(repo, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
        "PATH": "/usr/bin:/bin",
    }
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env
    ).stdout.strip()


def test_runs_record_the_attached_repository_commit(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "train.py").write_text("print('train')\n")
    _git(repo, "add", "train.py")
    _git(repo, "commit", "-q", "-m", "first")
    head = _git(repo, "rev-parse", "HEAD")

    ws = Workspace.open(str(tmp_path / "ws.db"))
    try:
        ProjectService(ws).create_project("p")
        info, _ = ProjectService(ws).load_pipeline("p")
        graph = Pipeline("main")
        graph.apply(ops.add_stage(graph, "load_data", params={"dataset": "iris"}, node_id="load"))
        ProjectService(ws).save_pipeline(info.id, graph)
        service = RunService(ws)
        before = service.run("p", trigger="manual")
        assert before.status is RunStatus.SUCCEEDED and before.commit == ""
        AssessmentService(ws).attach_repo("p", repo)
        after = service.run("p", force=True)
        assert after.commit == head
        assert ws.runs.get(after.id).commit == head
    finally:
        ws.close()
