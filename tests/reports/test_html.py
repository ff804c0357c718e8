"""The HTML report: content from real data, escaping of hostile names, nothing loaded from the
network, and sections left out (with a note) when a capability has no data."""

from __future__ import annotations

import html
from html.parser import HTMLParser

import pytest
from sample_report import make_report

from mlops_desktop.reports.html import (
    CSP,
    ReportError,
    fmt_duration,
    fmt_number,
    render_html,
    render_qt_html,
    safe_url,
    write_html,
)
from mlops_desktop.reports.model import ProjectSummary, ReportData

HOSTILE_PROJECT = "<script>alert(1)</script>"
HOSTILE_STAGE = '<img src=x onerror="alert(2)">'


class Dom(HTMLParser):
    """Every start tag with its attributes, and the visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.style = ""
        self._in_style = False

    def handle_starttag(self, tag, attrs):  # noqa: ANN001
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):  # noqa: ANN001
        self._in_style = False

    def handle_data(self, data):  # noqa: ANN001
        if self._in_style:
            self.style += data
        else:
            self.text.append(data)

    @property
    def visible(self) -> str:
        return " ".join(" ".join(self.text).split())


def parse(text: str) -> Dom:
    dom = Dom()
    dom.feed(text)
    dom.close()
    return dom


def test_report_shows_project_stages_metrics_and_levels():
    data, metrics = make_report()
    dom = parse(render_html(data))
    text = dom.visible
    assert "Churn model" in text
    for title in ("Load data", "Validate data", "Split", "Train", "Evaluate", "Model gate"):
        assert title in text
    # Real scikit-learn scores of the latest run, as the report formats them.
    assert f"{metrics['accuracy']:.4g}" in text
    assert f"{metrics['roc_auc']:.4g}" in text
    assert "logistic_regression" in text  # a stage parameter
    for level in ("Level 1", "Level 2", "Repeatable"):
        assert level in text
    assert "Add a Monitor stage after Serve" in text  # the gap list
    headings = [t for t, _ in dom.tags if t == "h2"]
    assert len(headings) == len(data.sections())


def test_hostile_names_are_text_not_markup():
    data, _ = make_report(
        project=HOSTILE_PROJECT, stage_title=HOSTILE_STAGE, description="<b>x</b>"
    )
    page = render_html(data)
    dom = parse(page)
    tags = [t for t, _ in dom.tags]
    assert "script" not in tags
    for tag, attrs in dom.tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        if tag == "img":
            assert (attrs.get("src") or "").startswith("data:image/")
    assert HOSTILE_PROJECT in dom.visible
    assert HOSTILE_STAGE in dom.visible
    assert "<b>x</b>" in dom.visible
    assert html.escape(HOSTILE_PROJECT) in page


def test_nothing_is_loaded_from_the_network():
    data, _ = make_report()
    page = render_html(data)
    dom = parse(page)
    loading = {"img": "src", "script": "src", "link": "href", "iframe": "src", "source": "src"}
    for tag, attrs in dom.tags:
        if tag in loading and attrs.get(loading[tag]):
            assert attrs[loading[tag]].startswith("data:"), (tag, attrs)
    assert not [t for t, _ in dom.tags if t in ("script", "link", "iframe", "object", "embed")]
    assert "@import" not in dom.style and "url(" not in dom.style
    csp = [
        a for t, a in dom.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"
    ]
    assert csp and csp[0]["content"] == CSP and "default-src 'none'" in CSP
    # Sources are plain links (followed only when clicked); a javascript: URL is not a link.
    hrefs = [a.get("href") for t, a in dom.tags if t == "a"]
    assert any(h and h.startswith("https://cloud.google.com/") for h in hrefs)
    assert not any(h and h.lower().startswith("javascript:") for h in hrefs)
    assert "javascript:alert(1)" in dom.visible


def test_images_are_embedded():
    data, _ = make_report()
    dom = parse(render_html(data))
    images = [a["src"] for t, a in dom.tags if t == "img"]
    assert len(images) == len(data.figures()) == 3
    assert all(src.startswith("data:image/png;base64,") for src in images)


def test_print_css_for_paper():
    page = render_html(make_report()[0])
    assert "@media print" in page and "size: A4" in page


def test_missing_capabilities_leave_sections_out_with_a_note():
    data = ReportData(project=ProjectSummary(name="Bare"))
    data.omit("Runs", "the project has not been run yet")
    dom = parse(render_html(data))
    text = dom.visible
    assert "Bare" in text
    assert "Not in this report" in text and "the project has not been run yet" in text
    assert [a.get("id") for t, a in dom.tags if t == "h2"] == ["summary"]
    assert "Latest run" not in text and "Maturity assessment" not in text


def test_qt_flavour_names_images_and_page_numbers():
    data, _ = make_report()
    names = {}

    def name(fig):  # noqa: ANN001, ANN202
        return names.setdefault(id(fig), f"img-{len(names)}")

    page = render_qt_html(data, image_name=name, content_width=600, toc_pages={"pipeline": 7})
    dom = parse(page)
    imgs = [a for t, a in dom.tags if t == "img"]
    assert [a["src"] for a in imgs] == ["img-0", "img-1", "img-2"]
    assert all(int(a["width"]) <= 600 for a in imgs)
    toc_rows = [c for c in page.split('class="toc-page"')[1:]]
    assert any(">7<" in row[:40] for row in toc_rows)
    assert "data:" not in page


def test_write_html_is_atomic_and_checks_the_folder(tmp_path):
    data, _ = make_report(figures=False)
    out = write_html(data, tmp_path / "r.html")
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]
    with pytest.raises(ReportError, match="does not exist"):
        write_html(data, tmp_path / "missing" / "r.html")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.98245614, "0.9825"),
        (3, "3"),
        (2.0, "2"),
        (1234567.0, "1,234,567"),
        (0.0001234, "1.234e-04"),
        (None, "—"),
        (float("nan"), "—"),
    ],
)
def test_numbers(value, text):
    assert fmt_number(value) == text


def test_durations_and_links():
    assert fmt_duration(0.151) == "151 ms"
    assert fmt_duration(12.5) == "12.5 s"
    assert fmt_duration(125) == "2 min 05 s"
    assert fmt_duration(3 * 3600 + 120) == "3 h 02 min"
    assert safe_url("https://example.org/a?b=1") == "https://example.org/a?b=1"
    for bad in ("javascript:alert(1)", "data:text/html,x", "file:///etc/passwd", "//x", ""):
        assert safe_url(bad) == ""
