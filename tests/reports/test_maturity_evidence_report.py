"""The report's maturity section carries the repository evidence (file and line) and the
repository change a gap asks for."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mlops_desktop.cli import main


def test_report_lists_repository_evidence_and_the_repository_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "team"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text(
        "on: [push]\njobs:\n  t:\n    runs-on: x\n    steps:\n      - run: pytest -q\n"
    )
    (repo / "tests").mkdir()
    (repo / "tests" / "test_a.py").write_text("def test_a():\n    assert True\n")
    subprocess.run(["git", "-C", str(repo), "init", "-q"], check=True)
    ws = ["--workspace", str(tmp_path / "ws.db")]
    assert main([*ws, "project", "create", "demo", "--template", "google"]) == 0
    assert main([*ws, "evidence", "repo", "demo", str(repo)]) == 0
    out = tmp_path / "demo.html"
    assert main([*ws, "report", "demo", "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert ".github/workflows/ci.yml:6" in text
    assert "In the repository: add" in text
