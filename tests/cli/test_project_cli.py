"""``mlops-desktop project ...``: in-process for most cases, the real command for a few."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlops_desktop.cli import main


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def real(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlops_desktop", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def wsarg(tmp_path: Path) -> list[str]:
    return ["--workspace", str(tmp_path / "w.db")]


def test_create_list_json(capsys, wsarg) -> None:
    code, out, _ = run_cli(capsys, *wsarg, "project", "create", "demo", "--description", "hi")
    assert code == 0 and "created project 'demo'" in out
    assert run_cli(capsys, *wsarg, "project", "create", "cloud", "--template", "aws")[0] == 0
    code, out, _ = run_cli(capsys, *wsarg, "project", "list", "--json")
    data = json.loads(out)
    assert [(p["name"], p["template"], p["pipelines"]) for p in data] == [
        ("cloud", "aws", 1),
        ("demo", "blank", 1),
    ]
    assert data[1]["description"] == "hi" and data[1]["deleted"] is False
    code, out, _ = run_cli(capsys, *wsarg, "project", "list")
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["NAME", "TEMPLATE", "PIPELINES"]
    assert lines[2].startswith("cloud") and lines[3].startswith("demo")


def test_rename_delete_restore_purge(capsys, wsarg) -> None:
    run_cli(capsys, *wsarg, "project", "create", "a")
    assert run_cli(capsys, *wsarg, "project", "rename", "a", "b")[0] == 0
    assert run_cli(capsys, *wsarg, "project", "delete", "b")[0] == 0
    _, out, _ = run_cli(capsys, *wsarg, "project", "list", "--json")
    assert json.loads(out) == []
    _, out, _ = run_cli(capsys, *wsarg, "project", "list", "--deleted", "--json")
    assert [p["name"] for p in json.loads(out)] == ["b"]
    assert run_cli(capsys, *wsarg, "project", "restore", "b")[0] == 0
    code, out, _ = run_cli(capsys, *wsarg, "project", "purge", "b")
    assert code == 0 and "freed 0 bytes in 0 artifact file(s)" in out
    _, out, _ = run_cli(capsys, *wsarg, "project", "list", "--deleted", "--json")
    assert json.loads(out) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["project", "create", ""], "name cannot be empty"),
        (["project", "create", "x", "--template", "nope"], "no template named 'nope'"),
        (["project", "rename", "ghost", "y"], "no project 'ghost'"),
        (["project", "delete", "ghost"], "no project 'ghost'"),
        (["project", "restore", "ghost"], "no project 'ghost'"),
        (["project", "purge", "ghost"], "no project 'ghost'"),
    ],
)
def test_errors_are_one_line_and_exit_1(capsys, wsarg, args, message) -> None:
    code, out, err = run_cli(capsys, *wsarg, *args)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and message in err and err.startswith("mlops-desktop: error:")


def test_duplicate_name_is_refused(capsys, wsarg) -> None:
    run_cli(capsys, *wsarg, "project", "create", "a")
    code, _, err = run_cli(capsys, *wsarg, "project", "create", "a")
    assert code == 1 and "already exists" in err


def test_missing_action_is_a_usage_error(capsys, wsarg) -> None:
    with pytest.raises(SystemExit) as exc:
        main([*wsarg, "project"])
    assert exc.value.code == 2


def test_real_command_creates_and_lists_through_the_environment(tmp_path: Path) -> None:
    env = {"MLOPS_DESKTOP_WORKSPACE": str(tmp_path / "env.db")}
    created = real("project", "create", "from-env", env=env)
    assert created.returncode == 0, created.stderr
    listed = real("project", "list", "--json", env=env)
    assert listed.returncode == 0
    assert [p["name"] for p in json.loads(listed.stdout)] == ["from-env"]


@pytest.mark.parametrize("content", [os.urandom(2048), b""], ids=["random-bytes", "empty"])
def test_real_command_refuses_a_non_workspace_untouched(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "not-a-workspace.db"
    path.write_bytes(content)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    result = real("--workspace", str(path), "project", "list")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "not" in result.stderr and str(path) in result.stderr
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_a_command_collects_cycles_less_often_and_gives_the_thresholds_back(
    capsys, tmp_path, monkeypatch
) -> None:
    """A command reading a long history is not held up by full collections over its own
    objects; ``main`` called in a long process leaves the collector as it found it, also
    when the command fails."""
    import gc

    from mlops_desktop.cli import COMMAND_GC_THRESHOLD, cmd_project

    seen: list[tuple[int, int, int]] = []
    real_list = cmd_project._list

    def spy(args):  # noqa: ANN001, ANN202
        seen.append(gc.get_threshold())
        return real_list(args)

    monkeypatch.setattr(cmd_project, "_list", spy)
    before = gc.get_threshold()
    workspace = str(tmp_path / "w.db")
    assert run_cli(capsys, "--workspace", workspace, "project", "list")[0] == 0
    assert seen and seen[0][0] == COMMAND_GC_THRESHOLD and gc.get_threshold() == before
    code, _, err = run_cli(capsys, "--workspace", workspace, "project", "delete", "nope")
    assert code == 1 and "nope" in err and gc.get_threshold() == before


def test_a_command_that_reads_and_ends_runs_without_the_collector(
    capsys, tmp_path, monkeypatch
) -> None:
    """``runs`` reads a history, prints it and ends: the collector is off while it runs
    (its cycles are freed when it ends) and on again after, as it was."""
    import gc

    from mlops_desktop.cli import cmd_run

    seen: list[bool] = []
    real = cmd_run.cmd_runs

    def spy(args):  # noqa: ANN001, ANN202
        seen.append(gc.isenabled())
        return real(args)

    monkeypatch.setattr(cmd_run, "cmd_runs", spy)
    workspace = str(tmp_path / "w.db")
    assert run_cli(capsys, "--workspace", workspace, "project", "create", "p")[0] == 0
    assert gc.isenabled()
    assert run_cli(capsys, "--workspace", workspace, "runs", "p", "--json")[0] == 0
    assert seen == [False] and gc.isenabled()
    code, _, err = run_cli(capsys, "--workspace", workspace, "runs", "nope")
    assert code == 1 and "nope" in err and gc.isenabled()
