"""Hostile cloud pipeline files: refused with the place named, nothing imported, nothing run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlops_desktop.app.projects import ProjectService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.cli import main
from mlops_desktop.core.cloud.model import MAX_FILE_BYTES

HOSTILE = Path(__file__).parents[1] / "fixtures" / "cloud" / "hostile"


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def ws(tmp_path: Path, capsys) -> list[str]:
    args = ["--workspace", str(tmp_path / "w.db")]
    assert run_cli(capsys, *args, "project", "create", "demo")[0] == 0
    return args


def refused(capsys, ws: list[str], path: Path) -> str:
    code, out, err = run_cli(capsys, *ws, "pipeline", "import", "demo", str(path))
    assert code == 1 and out == ""
    assert err.count("\n") == 1  # one clear line, no traceback
    with Workspace.open(ws[1]) as w:
        assert [p.name for p in ProjectService(w).list_pipelines("demo")] == ["main"]
    return err


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("python_tag.yml", "at line 5, column 16: invalid YAML: could not determine a constructor"),
        ("cycle.json", "at Steps[0]: the steps depend on each other in a cycle: A → B → C → A"),
        ("unknown_type.json", "at Steps[1].Type: unknown step type 'QuantumStep'"),
        ("malformed_get.json", "S3Uri.Get: a Get reference must be a text"),
        (
            "missing_component.yml",
            "at jobs.prep.component: the component file "
            "'./components/does_not_exist.yml' does not exist",
        ),
        ("malformed_binding.yml", "at jobs.train.inputs.data: malformed binding"),
        ("unknown_job.yml", "names an unknown job 'preprocess'"),
        (
            "self_including.yml",
            "at jobs.again.component: the component './self_including.yml' includes itself",
        ),
        ("kfp_cycle.yaml", "at root.dag.tasks.first: the tasks depend on each other in a cycle"),
        (
            "kfp_unknown_component.yaml",
            "at root.dag.tasks.train.componentRef.name: unknown component 'comp-train'",
        ),
        ("not_a_pipeline.yml", "not a pipeline definition this app reads"),
    ],
)
def test_hostile_file_is_refused_naming_the_place(capsys, ws, name: str, expected: str) -> None:
    err = refused(capsys, ws, HOSTILE / name)
    assert str(HOSTILE / name) in err and expected in err


def test_yaml_tag_is_never_executed(capsys, ws, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    bad = tmp_path / "tag.yml"
    bad.write_text(
        "type: pipeline\njobs:\n  a:\n    component: !!python/object/apply:os.system "
        f'["touch {marker}"]\n'
    )
    refused(capsys, ws, bad)
    assert not marker.exists()


def test_oversized_file_is_refused_before_reading(capsys, ws, tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)
    err = refused(capsys, ws, big)
    assert "definitions over 4 MiB are refused" in err


def test_deep_nesting_is_refused(capsys, ws, tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    inner: object = "x"
    for _ in range(200):
        inner = {"a": inner}
    deep.write_text(json.dumps({"Version": "2020-12-01", "Steps": [], "Metadata": inner}))
    err = refused(capsys, ws, deep)
    assert "nested deeper than 48 levels" in err and "Metadata.a.a" in err
    very = tmp_path / "very.yaml"
    very.write_text("[" * 100_000 + "]" * 100_000)
    assert "nested" in refused(capsys, ws, very)


def test_alias_bomb_is_refused(capsys, ws, tmp_path: Path) -> None:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    lines.append("type: pipeline\njobs: {}")
    bomb = tmp_path / "bomb.yml"
    bomb.write_text("\n".join(lines) + "\n")
    assert "elements" in refused(capsys, ws, bomb)


def test_absolute_component_path_is_refused(capsys, ws, tmp_path: Path) -> None:
    f = tmp_path / "abs.yml"
    f.write_text("type: pipeline\njobs:\n  a:\n    type: command\n    component: /etc/passwd.yml\n")
    assert "only paths relative to the pipeline file are read" in refused(capsys, ws, f)
