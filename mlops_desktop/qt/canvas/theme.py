"""Colours, fonts and sizes shared by the canvas items (one place to tune the look)."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QColor, QFont

from mlops_desktop.core.entities import StageStatus

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

BACKGROUND = QColor("#f7f8fa")
GRID_MINOR = QColor("#eff1f4")
GRID_MAJOR = QColor("#dfe2e8")
NODE_FILL = QColor("#ffffff")
NODE_BORDER = QColor("#cfd4dc")
NODE_SHADOW = QColor(16, 24, 40, 30)
SELECTION = QColor("#2563eb")
TITLE_TEXT = QColor("#1f2430")
PORT_TEXT = QColor("#5b6270")
LINK_SELECTED = QColor("#2563eb")
HIGHLIGHT = QColor("#22c55e")
ERROR = QColor("#dc2626")

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
