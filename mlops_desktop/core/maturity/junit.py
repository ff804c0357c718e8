"""Read JUnit XML test reports from a team's CI into suite records (no network, no DTDs).

The XML is parsed with :mod:`xml.etree.ElementTree` only after refusing any document that
declares a DTD or entities, so a report cannot expand entities or reach outside the file.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from mlops_desktop.core.errors import FormatError

MAX_BYTES = 50 * 1024 * 1024
KINDS = ("unit", "integration", "load")
_INTEGRATION = re.compile(r"integration|e2e|end[_-]?to[_-]?end|system|pipeline", re.I)
_LOAD = re.compile(r"\bload|perf|benchmark|stress|latency|throughput", re.I)
COMMIT_PROPERTIES = (
    "commit",
    "git_commit",
    "git.commit",
    "sha",
    "revision",
    "ci_commit_sha",
    "github_sha",
)


def guess_kind(*names: str) -> str:
    text = " ".join(names)
    if _LOAD.search(text):
        return "load"
    if _INTEGRATION.search(text):
        return "integration"
    return "unit"


def _int(value: str | None, default: int = 0) -> int:
    try:
        return int(float(value)) if value not in (None, "") else default
    except ValueError:
        return default


def _float(value: str | None) -> float:
    try:
        return float(value) if value not in (None, "") else 0.0
    except ValueError:
        return 0.0


def _commit_of(element: ET.Element) -> str:
    for prop in element.iter("property"):
        if (prop.get("name") or "").strip().lower() in COMMIT_PROPERTIES:
            return (prop.get("value") or "").strip()[:100]
    return ""


def _suite(element: ET.Element, file_name: str, kind: str | None, commit: str) -> dict[str, Any]:
    cases = element.findall("testcase")
    name = element.get("name") or Path(file_name).stem
    counted = {
        "tests": len(cases),
        "failures": sum(1 for c in cases if c.find("failure") is not None),
        "errors": sum(1 for c in cases if c.find("error") is not None),
        "skipped": sum(1 for c in cases if c.find("skipped") is not None),
    }
    case_names = [f"{c.get('classname') or ''}.{c.get('name') or ''}".strip(".") for c in cases]
    return {
        "suite": name,
        "kind": kind or guess_kind(name, file_name, *case_names[:50]),
        "tests": _int(element.get("tests"), counted["tests"]),
        "failures": _int(element.get("failures"), counted["failures"]),
        "errors": _int(element.get("errors"), counted["errors"]),
        "skipped": _int(element.get("skipped") or element.get("disabled"), counted["skipped"]),
        "time_s": _float(element.get("time")),
        "commit": commit or _commit_of(element),
        "cases": case_names[:2000],
    }


def parse_junit_text(
    text: str, file_name: str = "report.xml", kind: str | None = None, commit: str = ""
) -> list[dict[str, Any]]:
    """The suites of a JUnit XML document. Raises :class:`FormatError` with a clear reason."""
    if kind is not None and kind not in KINDS:
        raise FormatError(f"a test kind is one of {', '.join(KINDS)}, not '{kind}'")
    head = text.upper()
    if "<!DOCTYPE" in head or "<!ENTITY" in head:
        raise FormatError(f"{file_name}: refused, the XML declares a DTD or entities")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise FormatError(f"{file_name} is not well-formed XML ({exc})") from None
    if root.tag == "testsuite":
        suites = [root]
    elif root.tag == "testsuites":
        suites = list(root.iter("testsuite"))
        suites = [s for s in suites if s.find("testsuite") is None]  # leaves of nested suites
    else:
        raise FormatError(f"{file_name} is not a JUnit report (root element <{root.tag}>)")
    if not suites:
        raise FormatError(f"{file_name} holds no test suite")
    top_commit = commit or _commit_of(root)
    return [_suite(s, file_name, kind, top_commit) for s in suites]


def parse_junit_file(
    path: str | Path, kind: str | None = None, commit: str = ""
) -> list[dict[str, Any]]:
    p = Path(path)
    if not p.is_file():
        raise FormatError(f"file not found: {p}")
    if p.stat().st_size > MAX_BYTES:
        raise FormatError(f"{p.name} is larger than {MAX_BYTES // (1024 * 1024)} MB")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise FormatError(f"{p.name} is not UTF-8 text") from None
    return parse_junit_text(text, p.name, kind, commit)
