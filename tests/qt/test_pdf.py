"""The PDF report made by Qt: text that pdftotext reads back (project, stages, metrics,
levels, hostile names as text), A4 pages with numbered footers, a contents list whose page
numbers are right, embedded images, and pages that pdftoppm renders."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mlops_desktop.qt.reports.pdf import ReportDocument, write_pdf
from mlops_desktop.reports.html import ReportError

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")


def _sample():
    path = Path(__file__).parents[1] / "reports" / "sample_report.py"
    spec = importlib.util.spec_from_file_location("sample_report", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("sample_report", module)
    spec.loader.exec_module(module)
    return module


sample = _sample()


def pdf_pages(path: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def pdfinfo(path: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return {
        k.strip(): v.strip()
        for k, v in (line.split(":", 1) for line in out.splitlines() if ":" in line)
    }


@pytest.fixture(scope="module")
def report_pdf(tmp_path_factory, qapp):  # noqa: ANN001
    data, metrics = sample.make_report()
    path = write_pdf(data, tmp_path_factory.mktemp("pdf") / "report.pdf")
    return data, metrics, path


def test_pdf_text_has_project_stages_metrics_and_levels(report_pdf):
    data, metrics, path = report_pdf
    text = " ".join(" ".join(pdf_pages(path)).split())
    assert "Churn model" in text
    for title in ("Load data", "Validate data", "Split", "Train", "Evaluate", "Model gate"):
        assert title in text
    assert f"{metrics['accuracy']:.4g}" in text and f"{metrics['f1']:.4g}" in text
    for level in ("Level 1", "Level 2", "Repeatable", "ML Test Score"):
        assert level in text


def test_a4_pages_with_numbered_footers(report_pdf):
    _, _, path = report_pdf
    info = pdfinfo(path)
    assert "A4" in info["Page size"]
    pages = pdf_pages(path)
    assert int(info["Pages"]) == len(pages) >= 3
    for n, page in enumerate(pages, start=1):
        assert f"Page {n} of {len(pages)}" in page
    assert info.get("Creator") == "MLOps Desktop"


def test_contents_page_numbers_point_at_the_sections(report_pdf):
    data, _, path = report_pdf
    pages = pdf_pages(path)
    contents = pages[0][pages[0].index("Contents") :]
    for _, heading in data.sections():
        m = re.search(rf"^\s*{re.escape(heading)}\s+(\d+)\s*$", contents, re.M)
        assert m, f"{heading} missing from the contents"
        page = int(m.group(1))
        lines = [ln.strip() for ln in pages[page - 1].splitlines()]
        assert heading in lines, f"{heading} is not on page {page}"


def test_images_are_embedded_and_pages_render(report_pdf, tmp_path):
    data, _, path = report_pdf
    listing = subprocess.run(
        ["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert len(listing.strip().splitlines()) - 2 >= len(data.figures())
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(path), str(tmp_path / "p")], check=True)
    pngs = sorted(tmp_path.glob("p-*.png"))
    assert len(pngs) == int(pdfinfo(path)["Pages"])
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)


def test_hostile_names_are_text_in_the_pdf(tmp_path, qapp):  # noqa: ANN001
    hostile = "<script>alert(1)</script>"
    stage = "<img src=x onerror=alert(2)>"
    data, _ = sample.make_report(project=hostile, stage_title=stage, description="<b>bold?</b>")
    path = write_pdf(data, tmp_path / "h.pdf")
    text = " ".join(pdf_pages(path))
    assert hostile in text
    assert stage in text
    assert "<b>bold?</b>" in text
    assert pdfinfo(path)["Title"].endswith(hostile)


def test_headings_are_not_left_alone_at_a_page_foot(report_pdf):
    data, _, path = report_pdf
    headings = {h for _, h in data.sections()} | {"Metrics", "Stages and parameters", "Sources"}
    for page in pdf_pages(path):
        body = [ln.strip() for ln in page.splitlines() if ln.strip() and "Page " not in ln]
        assert body[-1] not in headings, f"page ends with the heading {body[-1]!r}"


def test_sections_without_data_are_left_out(tmp_path, qapp):  # noqa: ANN001
    from mlops_desktop.reports.model import ProjectSummary, ReportData

    data = ReportData(project=ProjectSummary(name="Empty project"))
    data.omit("Runs", "the project has not been run yet")
    doc = ReportDocument(data)
    assert doc.page_count == 1
    text = doc.plain_text()
    assert "Empty project" in text and "the project has not been run yet" in text
    assert "Latest run" not in text


def test_unwritable_target_is_a_clear_error(tmp_path, qapp):  # noqa: ANN001
    data, _ = sample.make_report(figures=False)
    with pytest.raises(ReportError, match="does not exist"):
        write_pdf(data, tmp_path / "nope" / "r.pdf")
    assert list(tmp_path.iterdir()) == []


def test_links_in_the_pdf_are_only_the_sources(report_pdf):
    data, _, path = report_pdf
    links = set(re.findall(rb"/URI *\(([^)]*)\)", path.read_bytes()))
    sources = {s.url.encode() for s in data.maturity.sources if s.url.startswith("https://")}
    assert links and links <= sources | {data.pipeline.source.encode()}
    assert not [u for u in links if not u.startswith(b"https://")]  # no javascript: link


def test_fonts_are_embedded_with_unicode_maps(report_pdf):
    _, _, path = report_pdf
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in out.splitlines()[2:] if line.strip()]
    assert rows
    for row in rows:  # columns from the right: object id (2), uni, sub, emb
        assert row[-5] == "yes" and row[-3] == "yes", row
