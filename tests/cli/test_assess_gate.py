"""``assess --fail-below`` as a CI gate (exit status, the missing criteria), ``--format junit``
(a JUnit report a CI system shows), ``assess --repo PATH`` for a repository alone, and
``evidence repo`` listing what the repository shows."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mlops_desktop.cli import main

WORKFLOW = """\
on:
  push: {}
  schedule:
    - cron: "0 3 * * 1"
jobs:
  t:
    runs-on: ubuntu-latest
    steps:
      - run: python -m pytest
      - run: python src/train.py
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "team"
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "ci.yml").write_text(WORKFLOW)
    (root / "src").mkdir()
    (root / "src" / "train.py").write_text(
        "import mlflow\n\ndef main(m, X, y):\n    m.fit(X, y)\n    mlflow.log_metric('a', 1)\n"
    )
    (root / "tests").mkdir()
    (root / "tests" / "test_train.py").write_text("def test_a():\n    assert True\n")
    return root


def test_the_bar_passes_and_fails_with_the_missing_criteria(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["assess", "--repo", str(repo), "--fail-below", "aws=initial,google=0"]) == 0
    capsys.readouterr()
    code = main(["assess", "--repo", str(repo), "--fail-below", "google=1,aws=repeatable,mlts=3"])
    assert code == 3
    err = capsys.readouterr().err
    assert "google: 0 is below the bar 1" in err and "gcp.l1.data_validation" in err
    assert "aws: 1 is below the bar 2" in err and "aws.rep.model_registry" in err
    assert "mlts: 0 is below the bar 3" in err
    assert err.rstrip().endswith("below the maturity bar google=1,aws=repeatable,mlts=3")


def test_a_bad_bar_is_one_clear_error(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for bar, message in (
        ("google", "'google' is not model=level"),
        ("gcp=1", "unknown model 'gcp'"),
        ("aws=expert", "aws has no level 'expert' (levels: initial, repeatable"),
        ("mlts=high", "the ML Test Score bar is a number"),
    ):
        assert main(["assess", "--repo", str(repo), "--fail-below", bar]) == 1
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1


def test_junit_lists_every_criterion_and_fails_those_below_the_bar(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "maturity.xml"
    args = ["assess", "--repo", str(repo), "--fail-below", "azure=2", "--format", "junit"]
    assert main([*args, "--output", str(out)]) == 3
    root = ET.fromstring(out.read_text(encoding="utf-8"))
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {"maturity.google", "maturity.azure", "maturity.aws", "maturity.mlts"}
    azure = suites["maturity.azure"]
    cases = {c.get("name"): c for c in azure.iter("testcase")}
    assert cases["azure.l1.tech.app_tests"].find("failure") is None  # met by CI running tests
    failed = cases["azure.l2.tech.model_mgmt"].find("failure")
    assert failed is not None and "looked for:" in failed.text and "none found" in failed.text
    assert cases["azure.l4.tech.policy_promotion"].find("skipped") is not None  # above the bar
    assert int(azure.get("failures")) == sum(
        1 for c in cases.values() if c.find("failure") is not None
    )
    props = {p.get("name"): p.get("value") for p in azure.iter("property")}
    assert props == {"level": "0", "bar": "2"}
    # without a bar every unmet criterion is skipped, none failed, and the exit status is 0
    assert main(["assess", "--repo", str(repo), "--format", "junit"]) == 0
    plain = ET.fromstring(capsys.readouterr().out)
    assert all(s.get("failures") == "0" for s in plain.iter("testsuite"))


def test_repo_alone_as_json_lists_findings_with_file_and_line(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["assess", "--repo", str(repo), "--model", "all", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["project"] == "team" and data["facts"]["repo_findings"] >= 5
    azure = {c["key"]: c for c in data["models"]["azure"]["criteria"]}
    ev = azure["azure.l1.tech.app_tests"]["evidence"][0]
    assert ev["kind"] == "file" and ev["ref"] == ".github/workflows/ci.yml:9"
    assert azure["azure.l1.tech.app_tests"]["behaviour"]
    assert main(["assess", "--repo", str(repo), "--json", "--fail-below", "azure=3"]) == 3
    bar = json.loads(capsys.readouterr().out)["bar"]
    assert not bar["passed"] and bar["below"][0]["model"] == "azure"
    assert main(["assess"]) == 1
    assert "name a PROJECT, or a repository with --repo PATH" in capsys.readouterr().err


def test_evidence_repo_attaches_and_lists_findings_and_assess_uses_them(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = ["--workspace", str(tmp_path / "ws.db")]
    assert main([*ws, "project", "create", "demo", "--template", "google"]) == 0
    subprocess.run(["git", "-C", str(repo), "init", "-q"], check=True)
    capsys.readouterr()
    assert main([*ws, "evidence", "repo", "demo", str(repo)]) == 0
    out = capsys.readouterr().out
    assert "scanned 3 files" in out
    assert "ci.tests" in out and ".github/workflows/ci.yml:9" in out
    assert "tests/test_train.py:1" in out
    assert main([*ws, "assess", "demo", "--model", "google", "--json", "--no-save"]) == 0
    google = {
        c["key"]: c for c in json.loads(capsys.readouterr().out)["models"]["google"]["criteria"]
    }
    assert google["gcp.l0.no_ci"]["status"] == "met"
    assert google["gcp.l0.no_ci"]["evidence"][0]["ref"] == ".github/workflows/ci.yml:9"
    # the project's own gate works the same way
    assert main([*ws, "assess", "demo", "--no-save", "--fail-below", "google=1"]) == 3


def test_the_gap_points_at_the_repository_change(repo: Path, capsys) -> None:
    (repo / "tests" / "test_train.py").unlink()
    assert main(["assess", "--repo", str(repo), "--model", "azure"]) == 0
    out = capsys.readouterr().out
    assert "azure.l1.tech.app_tests" in out
    assert "In the repository: add a CI job that runs the test suite" in out
