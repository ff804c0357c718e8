"""Run numbers count per project: a project's first run is #1 whatever other projects ran,
in the CLI's output, the runs listing, the report's run choice and the GUI's runs table; a
number is never handed out twice, even after the newest run is deleted."""

from __future__ import annotations

import json

from mlops_desktop.app.workspace import Workspace
from mlops_desktop.cli import main
from mlops_desktop.core import serialization
from tests.cli.test_run_cli import pipeline


def _workspace(tmp_path) -> str:
    path = str(tmp_path / "ws.db")
    with Workspace.open(path) as ws:
        for name in ("first", "second"):
            project = ws.projects.create(name)
            ws.pipelines.create(project.id, "main", serialization.to_dict(pipeline()))
    return path


def test_each_project_counts_its_own_runs(tmp_path, capsys) -> None:
    path = _workspace(tmp_path)
    for _ in range(3):
        assert main(["--workspace", path, "run", "first", "--force", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["--workspace", path, "run", "second"]) == 0
    out = capsys.readouterr().out
    assert "run #1 succeeded" in out  # the workspace's fourth run, the project's first
    assert main(["--workspace", path, "run", "second", "--force"]) == 0
    assert "run #2 succeeded" in capsys.readouterr().out

    assert main(["--workspace", path, "runs", "second", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert sorted(r["number"] for r in listed) == [1, 2]
    assert sorted(r["id"] for r in listed) == [4, 5]  # ids stay workspace-wide keys
    assert main(["--workspace", path, "runs", "second"]) == 0
    table = capsys.readouterr().out
    assert "#1" in table and "#2" in table and "#4" not in table


def test_report_run_option_takes_the_projects_number(tmp_path, capsys) -> None:
    path = _workspace(tmp_path)
    assert main(["--workspace", path, "run", "first", "--quiet"]) == 0
    assert main(["--workspace", path, "run", "second", "--quiet"]) == 0
    out = tmp_path / "r.html"
    assert main(["--workspace", path, "report", "second", "-o", str(out), "--run", "1"]) == 0
    html = out.read_text(encoding="utf-8")
    assert "#1" in html and "#2" not in html.split("Run</th>")[1][:200]
    assert main(["--workspace", path, "report", "second", "-o", str(out), "--run", "2"]) == 1
    assert "has no run #2" in capsys.readouterr().err


def test_a_number_is_never_given_twice(tmp_path) -> None:
    path = _workspace(tmp_path)
    for _ in range(2):
        assert main(["--workspace", path, "run", "first", "--force", "--quiet"]) == 0
    with Workspace.open(path) as ws:
        project = ws.projects.get("first")
        newest = ws.runs.by_number(project.id, 2)
        assert ws.runs.delete(project.id, [newest.id]) == 1
    assert main(["--workspace", path, "run", "first", "--force", "--quiet"]) == 0
    with Workspace.open(path) as ws:
        project = ws.projects.get("first")
        numbers = sorted(ws.runs.numbers(project.id).values())
    assert numbers == [1, 3]
