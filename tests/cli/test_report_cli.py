"""``mlops-desktop report``: HTML and PDF from the command line, headless (no display, no
QT_QPA_PLATFORM set), clear errors for bad requests."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mlops_desktop.cli import main


def _sample():
    path = Path(__file__).parents[1] / "reports" / "sample_report.py"
    spec = importlib.util.spec_from_file_location("sample_report", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("sample_report", module)
    spec.loader.exec_module(module)
    return module


PROJECT = "Tumours <b>v2</b>"


@pytest.fixture(scope="module")
def ws_path(tmp_path_factory) -> str:  # noqa: ANN001
    path = str(tmp_path_factory.mktemp("cli") / "w.db")
    _sample().workspace_with_runs(path, project=PROJECT, runs=2).close()
    return path


def headless(*args: str) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    return subprocess.run(
        [sys.executable, "-m", "mlops_desktop", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_pdf_without_a_display(ws_path, tmp_path):
    out = tmp_path / "report.pdf"
    done = headless("--workspace", ws_path, "report", PROJECT, "-o", str(out), "--lens", "azure")
    assert done.returncode == 0, done.stderr
    assert f"wrote {out}" in done.stdout
    assert done.stderr == ""
    text = subprocess.run(
        ["pdftotext", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert PROJECT in text
    assert "Evaluate" in text and "accuracy" in text
    assert "lifecycle lens: Azure" in text  # the chosen lens
    images = subprocess.run(
        ["pdfimages", "-list", str(out)], capture_output=True, text=True, check=True
    ).stdout
    assert len(images.strip().splitlines()) - 2 >= 3  # pipeline, confusion matrix, ROC...


def test_html_without_a_display(ws_path, tmp_path):
    out = tmp_path / "report.html"
    done = headless("--workspace", ws_path, "report", PROJECT, "-o", str(out))
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    assert "Tumours &lt;b&gt;v2&lt;/b&gt;" in page and "<b>v2</b>" not in page
    assert page.count('src="data:image/png;base64,') >= 3
    assert "http://" not in page.split("<body>")[0]


def test_bad_requests_exit_1_with_one_line(ws_path, tmp_path, capsys):
    cases = [
        (["report", PROJECT, "-o", str(tmp_path / "r.docx")], "name the file .html or .pdf"),
        (["report", "nope", "-o", str(tmp_path / "r.pdf")], "no project 'nope'"),
        (["report", PROJECT, "--run", "999", "-o", str(tmp_path / "r.pdf")], "has no run #999"),
        (["report", PROJECT, "-o", str(tmp_path / "missing" / "r.pdf")], "does not exist"),
    ]
    for args, message in cases:
        assert main(["--workspace", ws_path, *args]) == 1
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
    assert list(tmp_path.iterdir()) == []


def test_report_is_written_in_process(ws_path, tmp_path, capsys, qapp):  # noqa: ANN001
    out = tmp_path / "r.pdf"
    assert main(["--workspace", ws_path, "report", PROJECT, "-o", str(out), "--quiet"]) == 0
    assert out.read_bytes()[:5] == b"%PDF-"
    assert capsys.readouterr().out == ""
