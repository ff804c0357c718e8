"""The report of the first-run sample project as a manager reads it: a summary of at most
two pages, the whole report at most eight, no word broken inside a table cell, no sentence
repeated on every row, dates instead of edit counts, and a file others may read."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess

import pytest

from mlops_desktop.cli import main
from mlops_desktop.qt.window.session import SAMPLE_DESCRIPTION

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
SAMPLE = "Sample: breast cancer"


def _text(path, layout: bool = True) -> str:
    args = ["pdftotext", *(["-layout"] if layout else []), str(path), "-"]
    text = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return text.replace("ﬁ", "fi").replace("ﬂ", "fl").replace("ﬀ", "ff")


@pytest.fixture(scope="module")
def sample_pdf(tmp_path_factory, qapp):  # noqa: ANN001
    folder = tmp_path_factory.mktemp("sample")
    ws = ["--workspace", str(folder / "ws.db")]
    create = [*ws, "project", "create", SAMPLE, "--template", "google"]
    assert main([*create, "--description", SAMPLE_DESCRIPTION]) == 0
    assert main([*ws, "run", SAMPLE]) == 0
    old = os.umask(0o022)
    try:
        assert main([*ws, "report", SAMPLE, "-o", str(folder / "report.pdf"), "--quiet"]) == 0
        assert main([*ws, "report", SAMPLE, "-o", str(folder / "report.html"), "--quiet"]) == 0
    finally:
        os.umask(old)
    return folder


def test_summary_first_then_appendices_within_eight_pages(sample_pdf) -> None:
    pages = _text(sample_pdf / "report.pdf").split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) <= 8
    appendix = next(i for i, p in enumerate(pages) if "Appendices" in p)
    assert appendix <= 2  # the summary takes at most two pages
    summary = "\n".join(pages[:appendix])
    for heading in ("What the pipeline does", "Latest results and trend", "Maturity", "Risks"):
        assert heading in summary
    assert "most valuable next steps" in summary
    assert len(re.findall(r"^\s*\d\. ", summary, flags=re.M)) == 3
    # The last page is not a lone line.
    assert len([ln for ln in pages[-1].splitlines() if ln.strip()]) >= 8


def test_no_word_is_broken_and_no_sentence_repeats(sample_pdf) -> None:
    flowing = _text(sample_pdf / "report.pdf", layout=False)
    words = set(re.findall(r"[A-Za-z]{3,}", flowing))
    for long_word in ("Infrastructure", "Monitoring", "deployment", "Repeatable", "experiment"):
        if long_word.lower() in flowing.lower():
            assert any(w.lower() == long_word.lower() for w in words), long_word
    # A fragment ending a cell line and its rest starting the next would be two non-words.
    assert "Infrastructu\n" not in flowing and "Infrastructu " not in flowing
    lines = [ln.strip() for ln in _text(sample_pdf / "report.pdf").splitlines()]
    long_lines = [ln for ln in lines if len(ln) > 60]
    repeated = {ln for ln in long_lines if long_lines.count(ln) > 2}
    assert not repeated, repeated


def test_dates_a_reader_understands_and_ordinary_permissions(sample_pdf) -> None:
    text = _text(sample_pdf / "report.pdf")
    assert "Pipeline last edited" in text
    assert not re.search(r"version \d+", text.split("Appendices")[0])
    assert "Created" not in text.split("Contents")[0]
    for name in ("report.pdf", "report.html"):
        mode = stat.S_IMODE((sample_pdf / name).stat().st_mode)
        assert mode == 0o644, oct(mode)
