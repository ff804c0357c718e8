"""The notes of the bundled templates show their whole text (none runs out of its box)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFontMetricsF

from mlops_desktop.qt.canvas import theme as T

TEMPLATES = sorted((Path(__file__).resolve().parents[2] / "resources" / "templates").glob("*.json"))


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.stem)
def test_every_note_holds_its_text(qtbot, path: Path) -> None:
    metrics = QFontMetricsF(T.label_font())
    flags = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap)
    for note in json.loads(path.read_text(encoding="utf-8")).get("notes", []):
        width, height = note.get("width", 240.0), note.get("height", 120.0)
        # NoteItem draws its text inside 12 px side margins and 8 px top and bottom ones.
        needed = metrics.boundingRect(QRectF(0, 0, width - 24, 100000), flags, note["text"])
        assert needed.height() <= height - 16, (note["id"], needed.height(), height)
