"""``mlops-desktop pipeline export|import|validate``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mlops_desktop.cli import main


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def wsarg(tmp_path: Path, capsys) -> list[str]:
    args = ["--workspace", str(tmp_path / "w.db")]
    assert run_cli(capsys, *args, "project", "create", "cloud", "--template", "google")[0] == 0
    assert run_cli(capsys, *args, "project", "create", "empty")[0] == 0
    return args


def test_export_import_round_trip(capsys, wsarg, tmp_path: Path) -> None:
    out_file = tmp_path / "cloud.json"
    code, out, _ = run_cli(capsys, *wsarg, "pipeline", "export", "cloud", "-o", str(out_file))
    assert code == 0 and str(out_file) in out
    doc = json.loads(out_file.read_text(encoding="utf-8"))
    assert doc["format"] == "mlops-desktop/pipeline" and len(doc["nodes"]) >= 10
    code, out, _ = run_cli(
        capsys, *wsarg, "pipeline", "import", "empty", str(out_file), "--name", "copy"
    )
    assert code == 0 and "'copy'" in out
    again = tmp_path / "again.json"
    code, _, _ = run_cli(
        capsys, *wsarg, "pipeline", "export", "empty", "--pipeline", "copy", "-o", str(again)
    )
    assert code == 0
    copied = json.loads(again.read_text(encoding="utf-8"))
    assert copied["nodes"] == doc["nodes"] and copied["links"] == doc["links"]
    assert copied["name"] == "copy"


def test_export_errors(capsys, wsarg, tmp_path: Path) -> None:
    code, _, err = run_cli(
        capsys,
        *wsarg,
        "pipeline",
        "export",
        "cloud",
        "--pipeline",
        "nope",
        "-o",
        str(tmp_path / "x.json"),
    )
    assert code == 1 and "no pipeline named 'nope'" in err
    code, _, err = run_cli(
        capsys, *wsarg, "pipeline", "export", "ghost", "-o", str(tmp_path / "x.json")
    )
    assert code == 1 and "no project 'ghost'" in err
    assert not (tmp_path / "x.json").exists()
    with pytest.raises(SystemExit) as exc:  # json and python only
        main([*wsarg, "pipeline", "export", "cloud", "-o", "x.yaml", "--as", "yaml"])
    assert exc.value.code == 2


def test_import_errors(capsys, wsarg, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something-else"}', encoding="utf-8")
    code, _, err = run_cli(capsys, *wsarg, "pipeline", "import", "empty", str(bad))
    assert code == 1 and "not a pipeline document" in err and err.count("\n") == 1
    code, _, err = run_cli(capsys, *wsarg, "pipeline", "import", "empty", str(tmp_path / "no.json"))
    assert code == 1 and "file not found" in err


def _doc_with_problems() -> dict:
    return {
        "format": "mlops-desktop/pipeline",
        "format_version": 2,
        "name": "broken",
        "nodes": [
            {"id": "s", "type": "split", "title": "Split", "params": {}, "x": 0, "y": 0},
            {"id": "u", "type": "no_such_stage", "title": "Mystery", "params": {}, "x": 1, "y": 0},
        ],
        "links": [],
    }


def test_validate_reports_every_problem(capsys, tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(_doc_with_problems()), encoding="utf-8")
    code, _, err = run_cli(capsys, "pipeline", "validate", str(path))
    assert code == 1
    assert "unknown stage type 'no_such_stage'" in err
    assert "required input 'dataset' is not connected" in err
    assert "2 error(s)" in err


def test_validate_a_good_file_and_a_non_json_file(capsys, wsarg, tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    run_cli(capsys, *wsarg, "pipeline", "export", "cloud", "-o", str(good))
    code, out, _ = run_cli(capsys, "pipeline", "validate", str(good))
    assert code == 0 and "OK" in out
    junk = tmp_path / "junk.json"
    junk.write_text("[1, 2", encoding="utf-8")
    code, _, err = run_cli(capsys, "pipeline", "validate", str(junk))
    assert code == 1 and "not valid JSON" in err


def test_real_command_validate_exit_code(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(_doc_with_problems()), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mlops_desktop", "pipeline", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "unknown stage type" in result.stderr and "Traceback" not in result.stderr


def test_a_group_without_its_sub_command_is_a_usage_error(capsys):
    from mlops_desktop.cli import main

    assert main(["evidence"]) == 2
    assert "usage:" in capsys.readouterr().out
