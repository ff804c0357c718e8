"""The assess, evidence and answer commands: text, JSON, stored history, clean errors."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from mlops_desktop.cli import main

JUNIT = (
    '<testsuite name="tests.test_features" tests="2" failures="0" time="0.1">'
    '<testcase classname="tests.test_features" name="test_scale"/>'
    '<testcase classname="tests.test_model" name="test_fit"/></testsuite>'
)


@pytest.fixture
def ws(tmp_path: Path) -> list[str]:
    base = ["--workspace", str(tmp_path / "ws.db")]
    assert main([*base, "project", "create", "demo", "--template", "google"]) == 0
    return base


def test_assess_prints_levels_reasons_and_gaps(
    ws: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main([*ws, "assess", "demo"]) == 0
    out = capsys.readouterr().out
    assert "Google Cloud MLOps levels: Level 0: Manual process" in out
    assert "gcp.l0.manual_steps" in out and "NOT MET" in out
    assert "Gap to Level 1: ML pipeline automation" in out
    assert "ML Test Score: 0 (mlts.band.0" in out and "Crosswalk: normalized level 0 of 4" in out
    assert "https://cloud.google.com/architecture/mlops-continuous-delivery" in out


def test_assess_json_for_one_model_and_history(
    ws: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main([*ws, "assess", "demo", "--model", "aws", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data["models"]) == ["aws"] and data["models"]["aws"]["level_name"] == "Initial"
    assert "mlts" not in data and data["gaps"]["aws"]["target_name"] == "Repeatable"
    assert main([*ws, "assess", "demo", "--model", "mlts", "--json", "--questions"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["mlts"]["final"] == 0 and any(q["id"] == "q.code_review" for q in data["questions"])
    assert main([*ws, "assess", "demo", "--history", "--model", "aws"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert (
        out[0].split() == ["time", "(UTC)", "model", "level", "normalized"] and len(out) == 4
    )  # two stored
    assert all(line.split()[2] == "aws" and line.split()[3] == "1" for line in out[2:])


def test_answer_and_evidence_change_the_assessment(
    ws: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*ws, "answer", "demo", "q.ds_mle", "yes", "--doc", "https://wiki/roles"]) == 0
    assert "q.ds_mle: yes (https://wiki/roles)" in capsys.readouterr().out
    report = tmp_path / "junit.xml"
    report.write_text(JUNIT, encoding="utf-8")
    assert main([*ws, "evidence", "import", "demo", str(report), "--commit", "abc123"]) == 0
    out = capsys.readouterr().out
    assert "tests.test_features" in out and "abc123" in out and "imported 1 suite" in out
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "-C", str(repo), "init", "-q"], check=True)
    assert main([*ws, "evidence", "repo", "demo", str(repo)]) == 0
    assert "has no commit yet" in capsys.readouterr().out
    assert main([*ws, "assess", "demo", "--model", "aws", "--json"]) == 0
    aws = {c["key"]: c for c in json.loads(capsys.readouterr().out)["models"]["aws"]["criteria"]}
    assert aws["aws.rep.ds_mle_collab"]["status"] == "met"
    assert main([*ws, "assess", "demo", "--model", "google", "--json"]) == 0
    google = {
        c["key"]: c for c in json.loads(capsys.readouterr().out)["models"]["google"]["criteria"]
    }
    # a passing suite on a commit no run recorded is not CI evidence: "no CI" still holds
    assert google["gcp.l0.no_ci"]["status"] == "not_met"
    assert "not tied to a commit the pipeline ran" in google["gcp.l0.no_ci"]["missing"][0]


def test_errors_are_one_clear_line(
    ws: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main([*ws, "assess", "nope"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("mlops-desktop: error:") and err.count("\n") == 1
    assert main([*ws, "answer", "demo", "q.unknown", "yes"]) == 1
    assert "unknown question 'q.unknown'" in capsys.readouterr().err
    evil = tmp_path / "evil.xml"
    evil.write_text('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><testsuite name="&e;"/>')
    assert main([*ws, "evidence", "import", "demo", str(evil)]) == 1
    assert "DTD or entities" in capsys.readouterr().err
    assert main([*ws, "evidence", "repo", "demo", str(tmp_path)]) == 1
    assert "not inside a git repository" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main([*ws, "answer", "demo", "q.privacy", "maybe"])
    assert exc.value.code == 2
