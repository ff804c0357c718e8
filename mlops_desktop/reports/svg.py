"""Small SVG drawings made without Qt, so an HTML report has pictures even with no GUI
toolkit: the maturity radar. Every label is escaped; the SVG loads nothing."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from xml.sax.saxutils import escape

RADAR_SIZE = 600
ACCENT = "#2457a6"
INK = "#1f2933"
GRID = "#c9d0d6"


def _wrap(label: str, width: int = 18) -> list[str]:
    words, lines, line = label.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        lines.append(line)
    return lines[:3] or [""]


LINE = 17  # px between label lines (15 px font)
CHAR = 8.6  # average width of a 15 px DejaVu Sans character


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _place_label(
    lines: list[str],
    i: int,
    point: Callable[[int, float], tuple[float, float]],
    cx: float,
    cy: float,
    placed: list[tuple[float, float, float, float]],
) -> tuple[tuple[float, float, float, float], float, str, float]:
    """Where a label goes: just outside its axis, pushed further out until it clears the
    labels already placed. Returns its box, x, text anchor and first baseline."""
    w = max(len(line) for line in lines) * CHAR
    h = len(lines) * LINE
    for step in range(12):
        lx, ly = point(i, 1.12 + 0.06 * step)
        anchor = "middle" if abs(lx - cx) < 8 else ("start" if lx > cx else "end")
        left = lx - w / 2 if anchor == "middle" else (lx if anchor == "start" else lx - w)
        top = ly - h / 2 + (h / 2 if ly > cy + 8 else 0) - (h / 2 if ly < cy - 8 else 0)
        box = (left - 3, top - 3, left + w + 3, top + h + 3)
        if not any(_overlaps(box, other) for other in placed):
            break
    return box, lx, anchor, top + LINE - 4


def radar_svg(values: Sequence[tuple[str, float]], size: int = RADAR_SIZE) -> str:
    """A radar (spider) chart of ``(label, value in 0..1)`` pairs, one axis each."""
    n = len(values)
    if n < 3:
        raise ValueError("a radar needs at least three axes")
    width, height = size + 380, size + 160
    cx, cy, r = width / 2, height / 2, size * 0.32

    def point(i: int, v: float) -> tuple[float, float]:
        a = -math.pi / 2 + 2 * math.pi * i / n
        return cx + r * v * math.cos(a), cy + r * v * math.sin(a)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, sans-serif" font-size="15">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    for ring in (0.25, 0.5, 0.75, 1.0):
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, ring) for i in range(n)))
        parts.append(f'<polygon points="{pts}" fill="none" stroke="{GRID}" stroke-width="1"/>')
    placed: list[tuple[float, float, float, float]] = []
    for i, (label, _) in enumerate(values):
        x, y = point(i, 1.0)
        parts.append(
            f'<line x1="{cx:.1f}" y1="{cy:.1f}" x2="{x:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
        )
        lines = _wrap(label)
        box, lx, anchor, top = _place_label(lines, i, point, cx, cy, placed)
        placed.append(box)
        for k, line in enumerate(lines):
            parts.append(
                f'<text x="{lx:.1f}" y="{top + k * LINE:.1f}" text-anchor="{anchor}" '
                f'fill="{INK}">{escape(line)}</text>'
            )
    pts = " ".join(
        f"{x:.1f},{y:.1f}"
        for x, y in (point(i, max(0.0, min(1.0, v))) for i, (_, v) in enumerate(values))
    )
    parts.append(
        f'<polygon points="{pts}" fill="{ACCENT}" fill-opacity="0.25" stroke="{ACCENT}" '
        'stroke-width="2.5"/>'
    )
    for i, (_, v) in enumerate(values):
        x, y = point(i, max(0.0, min(1.0, v)))
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{ACCENT}"/>')
    parts.append(
        f'<text x="12" y="{height - 14}" fill="#67707a" font-size="12">'
        "Outer ring: held · middle ring: suggested, to confirm · centre: missing</text>"
    )
    parts.append("</svg>")
    return "\n".join(parts)
