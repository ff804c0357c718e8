"""Every picture the documentation shows exists, and the model pages show the screens they
describe."""

from __future__ import annotations

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"
IMAGE = re.compile(r"\]\((images/[^)\s]+\.png)\)")


def _referenced() -> set[str]:
    pages = [*DOCS.glob("*.md"), DOCS.parent / "README.md"]
    found: set[str] = set()
    for page in pages:
        text = page.read_text(encoding="utf-8")
        found |= {m.removeprefix("docs/") for m in IMAGE.findall(text)}
        found |= set(re.findall(r"\]\(docs/(images/[^)\s]+\.png)\)", text))
    return found


def test_every_referenced_picture_exists() -> None:
    missing = sorted(p for p in _referenced() if not (DOCS / p).is_file())
    assert not missing, missing


def test_the_model_pages_show_the_screens_they_describe() -> None:
    shown = _referenced()
    for picture in ("column-roles", "train-inspector", "calibration-diagnostics", "fix-offer"):
        assert f"images/{picture}.png" in shown, picture
