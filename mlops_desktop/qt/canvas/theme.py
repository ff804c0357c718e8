"""Colours, fonts and sizes shared by the canvas items (one place to tune the look)."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QColor, QFont

from mlops_desktop.core.entities import StageStatus
from mlops_desktop.qt import colors

NODE_WIDTH = 188.0
HEADER_HEIGHT = 36.0
PORT_ROW = 20.0
PORT_TOP_PAD = 6.0
PORT_BOTTOM_PAD = 8.0
PORT_RADIUS = 5.0
CORNER = 8.0
ICON_SIZE = 20.0

# Below this zoom level nodes and links are drawn as plain shapes (level of detail).
LOD_SIMPLE = 0.22
LOD_NO_TEXT = 0.6  # below: an enlarged title only
LOD_PORT_TEXT = 0.5  # port names

# Colours that differ between the light and dark theme are looked up in
# mlops_desktop.qt.colors each time they are read (``T.BACKGROUND``...), so the canvas
# follows the application palette and exports can force the light scheme.
_ROLES = {
    "BACKGROUND": "canvas_background",
    "GRID_MINOR": "grid_minor",
    "GRID_MAJOR": "grid_major",
    "NODE_FILL": "node_fill",
    "NODE_BORDER": "node_border",
    "NODE_SHADOW": "node_shadow",
    "HEADER_DIVIDER": "header_divider",
    "SELECTION": "accent",
    "TITLE_TEXT": "title_text",
    "PORT_TEXT": "port_text",
    "PORT_RING": "port_ring",
    "LINK_SELECTED": "accent",
    "NOTE_TEXT": "note_text",
    "OVERLAY_FILL": "overlay_fill",
    "OVERLAY_BORDER": "overlay_border",
    "MUTED_TEXT": "muted_text",
    "FAINT_TEXT": "faint_text",
}
HIGHLIGHT = QColor("#22c55e")
ERROR = QColor("#dc2626")


def __getattr__(name: str) -> QColor:
    role = _ROLES.get(name)
    if role is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return colors.scheme()[role]


STATE_COLOURS: dict[StageStatus, QColor] = {
    StageStatus.IDLE: QColor("#b8bec9"),
    StageStatus.QUEUED: QColor("#94a3b8"),
    StageStatus.RUNNING: QColor("#2563eb"),
    StageStatus.SUCCEEDED: QColor("#16a34a"),
    StageStatus.FAILED: QColor("#dc2626"),
    StageStatus.CACHED: QColor("#7c3aed"),
    StageStatus.SKIPPED: QColor("#9ca3af"),
    StageStatus.CANCELLED: QColor("#6b7280"),
    StageStatus.WAITING: QColor("#d97706"),
}

# Phase band colours for lenses, in phase order (soft, distinct, readable under nodes).
PHASE_COLOURS = (
    "#3b82f6",
    "#10b981",
    "#f59e0b",
    "#ef4444",
    "#8b5cf6",
    "#06b6d4",
    "#84cc16",
    "#ec4899",
    "#64748b",
)


@cache
def title_font() -> QFont:
    f = QFont()
    f.setPointSizeF(10.5)
    f.setWeight(QFont.Weight.DemiBold)
    return f


@cache
def port_font() -> QFont:
    f = QFont()
    f.setPointSizeF(9.0)
    return f


@cache
def label_font() -> QFont:
    f = QFont()
    f.setPointSizeF(11.0)
    f.setWeight(QFont.Weight.DemiBold)
    return f


@cache
def small_font() -> QFont:
    f = QFont()
    f.setPointSizeF(9.0)
    return f
