"""Render a :class:`ReportData` to HTML with the Jinja2 templates in resources/report_templates.

Two flavours come from the same template:

- :func:`render_html`: one self-contained file for browsers, images embedded as ``data:``
  URIs, print CSS for paper, and a Content-Security-Policy that forbids loading anything
  (links to sources stay plain links that are only followed when clicked);
- :func:`render_qt_html`: the simpler HTML that Qt's rich-text engine understands, used by
  :mod:`mlops_desktop.qt.reports.pdf`; images are referred to by names that the caller registers
  as document resources, and the contents list can carry page numbers.

Autoescaping is on: every string from the data model is user text and ends up escaped.
"""

from __future__ import annotations

import base64
import math
import os
import tempfile
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2

from mlops_desktop.core.errors import MlopsError
from mlops_desktop.core.resources import resource_path
from mlops_desktop.reports.model import Figure, ReportData

TEMPLATE_FOLDER = "report_templates"
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; form-action 'none'"
# Prefer these metrics when a table has room for only a few.
HEADLINE_METRICS = (
    "accuracy",
    "f1",
    "roc_auc",
    "precision",
    "recall",
    "log_loss",
    "rmse",
    "mae",
    "r2",
    "baseline_accuracy",
)


MAX_METRICS = 16  # metrics in the latest run's table (all are in the Runs panel)
MAX_GAPS = 4  # gaps listed per maturity model (the Maturity panel lists them all)


class ReportError(MlopsError):
    """The report could not be written (bad file name, unwritable folder...)."""


# ------------------------------------------------------------------------------ filters
def fmt_number(value: Any) -> str:
    """A metric value for people: 4 significant digits, integers as integers."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(v):
        return "—"
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    if v.is_integer() and abs(v) < 1e15:
        return f"{int(v):,}"
    if abs(v) >= 1e5 or abs(v) < 1e-3:
        return f"{v:.3e}"
    return f"{v:.4g}"


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    s = float(seconds)
    if s < 1:
        return f"{s * 1000:.0f} ms"
    if s < 60:
        return f"{s:.1f} s"
    if s < 3600:
        m, sec = divmod(int(round(s)), 60)
        return f"{m} min {sec:02d} s"
    h, rest = divmod(int(round(s)), 3600)
    return f"{h} h {rest // 60:02d} min"


def fmt_datetime(value: datetime | None) -> str:
    if value is None:
        return "—"
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M UTC")


def fmt_datetime_short(value: datetime | None) -> str:
    """A date and time for narrow table cells (UTC, no suffix)."""
    if value is None:
        return "—"
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M")


def safe_url(url: str | None) -> str:
    """``url`` if it is an http(s) link, else "" (no javascript:, data: or file: links)."""
    if not url:
        return ""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else ""


def status_class(status: str | None) -> str:
    s = (status or "").lower()
    if s in ("succeeded", "met", "cached", "passed", "active", "production", "ok", "success"):
        return "ok"
    if s in ("kept_out", "kept out"):  # a gate kept a weaker model out: the safeguard worked
        return "ok"
    if s in ("failed", "not met", "interrupted", "error", "rejected"):
        return "bad"
    if s in ("suggested", "running", "queued", "waiting", "cancelled", "skipped", "partial"):
        return "warn"
    return "muted"


def headline_keys(keys: list[str] | set[str], limit: int) -> list[str]:
    """Up to ``limit`` metric names, the usual headline metrics first, then alphabetical."""
    keys = list(dict.fromkeys(keys))
    first = [k for k in HEADLINE_METRICS if k in keys]
    rest = sorted(k for k in keys if k not in first)
    return (first + rest)[:limit]


def data_uri(fig: Figure) -> str:
    if fig.png:
        return "data:image/png;base64," + base64.b64encode(fig.png).decode("ascii")
    if fig.svg:
        return "data:image/svg+xml;base64," + base64.b64encode(fig.svg.encode("utf-8")).decode(
            "ascii"
        )
    return ""


# ---------------------------------------------------------------------------- templates
def _load_template(name: str) -> tuple[str, str, Callable[[], bool]] | None:
    node = resource_path(TEMPLATE_FOLDER, name)
    try:
        text = node.read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return None
    return text, f"{TEMPLATE_FOLDER}/{name}", lambda: True


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_load_template),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        num=fmt_number,
        dur=fmt_duration,
        dt=fmt_datetime,
        dts=fmt_datetime_short,
        safe_url=safe_url,
        status_class=status_class,
    )
    env.globals.update(headline_keys=headline_keys)
    return env


def _context(data: ReportData) -> dict[str, Any]:
    from mlops_desktop.reports.summary import manager_summary

    run = data.latest_run
    headline = [k for k in HEADLINE_METRICS if run is not None and k in run.metrics][:4]
    return {
        "summary": manager_summary(data, headline),
        "MAX_METRICS": MAX_METRICS,
        "MAX_GAPS": MAX_GAPS,
        "SUMMARY_SAID": ("Serving now", "Runs succeeded"),  # said in the summary's sentences
        "data": data,
        "sections": data.sections(),
        "generated": fmt_datetime(data.generated_at or datetime.now(UTC)),
        "headline": headline,
        "plots": [f for f in data.plots if f.has_image],
    }


def render_html(data: ReportData) -> str:
    """The self-contained HTML report (images inline, no external resource)."""
    css = resource_path(TEMPLATE_FOLDER, "report.css").read_text(encoding="utf-8")
    return (
        environment()
        .get_template("report.html.j2")
        .render(
            _context(data),
            qt=False,
            css=css,
            csp=CSP,
            img_src=data_uri,
            img_width=None,
            toc_pages={},
        )
    )


def render_qt_html(
    data: ReportData,
    *,
    image_name: Callable[[Figure], str],
    content_width: int,
    toc_pages: Mapping[str, int] | None = None,
) -> str:
    """HTML for Qt's rich-text engine.

    ``image_name(fig)`` gives the resource name the caller registered for a figure;
    ``content_width`` is the text width in the document's pixels, so images are scaled to
    fit; ``toc_pages`` maps section anchors to page numbers for the contents list.
    """
    css = resource_path(TEMPLATE_FOLDER, "report_qt.css").read_text(encoding="utf-8")

    def img_width(fig: Figure, share: float = 1.0) -> int:
        w, _ = fig.pixel_size()
        limit = int(content_width * share)
        return min(w, limit) if w else limit

    return (
        environment()
        .get_template("report.html.j2")
        .render(
            _context(data),
            qt=True,
            css=css,
            csp=CSP,
            img_src=image_name,
            img_width=img_width,
            toc_pages=dict(toc_pages or {}),
        )
    )


def ordinary_file_mode() -> int:
    """The mode a plain ``open()`` would give a new file under the process's umask."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file, so no half-written report remains."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise ReportError(f"cannot write {target}: folder {folder} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise ReportError(f"cannot write {target}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, ordinary_file_mode())  # mkstemp makes it private (0600)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ReportError(f"cannot write {target}: {exc.strerror or exc}") from None
    return target


def write_html(data: ReportData, path: str | os.PathLike[str]) -> Path:
    """Render and write the HTML report atomically; returns the path written."""
    return write_text_atomic(path, render_html(data))
