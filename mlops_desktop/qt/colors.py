"""Colour roles for everything the app paints itself (canvas, plots, charts, maps, banners).

Widgets with a QPalette get their colours from it; custom painting asks this module for a
named role instead of hard-coding a light colour. The scheme (light or dark) is derived from
the active application palette: :func:`refresh` re-reads it (the ThemeManager calls it
before announcing a theme change, and views call it on ``ApplicationPaletteChange``).

Report exports must look the same in either theme: inside ``with forced_light():`` every
role answers its light value, whatever the application palette says.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QColor, QGuiApplication, QPalette

_LIGHT: dict[str, str | tuple[int, int, int, int]] = {
    # canvas
    "canvas_background": "#f7f8fa",
    "grid_minor": "#eff1f4",
    "grid_major": "#dfe2e8",
    "node_fill": "#ffffff",
    "node_border": "#cfd4dc",
    "node_shadow": (16, 24, 40, 30),
    "header_divider": (0, 0, 0, 18),
    "title_text": "#1f2430",
    "port_text": "#5b6270",
    "port_ring": "#ffffff",
    "note_text": "#3b3423",
    "overlay_fill": (255, 255, 255, 235),
    "overlay_border": "#d5d9e0",
    "accent": "#2563eb",
    # text on the window or base colour
    "text": "#1f2430",
    "muted_text": "#6b7280",
    "faint_text": "#9ca3af",
    "ok_text": "#15803d",
    "warn_text": "#b45309",
    "error_text": "#dc2626",
    "link_text": "#1f5fbf",
    "loop": "#7c3aed",
    # plots
    "plot_background": "#ffffff",
    "plot_foreground": "#333333",
    "plot_axis": "#67707a",
    "plot_grid": "#cccccc",
    "legend_fill": (255, 255, 255, 215),
    "legend_border": "#bbbbbb",
    # banners and popups
    "banner_fill": "#eef4ff",
    "banner_border": "#bcd0f7",
    "popup_fill": "#ffffff",
    "popup_border": "#cfd4dc",
    "popup_selected": "#e0eaff",
}

_DARK: dict[str, str | tuple[int, int, int, int]] = {
    "canvas_background": "#1b1d22",
    "grid_minor": "#212429",
    "grid_major": "#2b2f36",
    "node_fill": "#2a2e35",
    "node_border": "#454b55",
    "node_shadow": (0, 0, 0, 110),
    "header_divider": (255, 255, 255, 22),
    "title_text": "#e6e8ec",
    "port_text": "#aab1bd",
    "port_ring": "#1b1d22",
    "note_text": "#f1ead2",
    "overlay_fill": (43, 47, 54, 240),
    "overlay_border": "#454b55",
    "accent": "#3b82f6",
    "text": "#e6e8ec",
    "muted_text": "#9aa1ad",
    "faint_text": "#727987",
    "ok_text": "#4ade80",
    "warn_text": "#fbbf24",
    "error_text": "#f87171",
    "link_text": "#7aa7ff",
    "loop": "#a78bfa",
    "plot_background": "#1a1c21",
    "plot_foreground": "#d0d4da",
    "plot_axis": "#8a919c",
    "plot_grid": "#4a505a",
    "legend_fill": (43, 47, 54, 225),
    "legend_border": "#4a505a",
    "banner_fill": "#1e2a40",
    "banner_border": "#2f4a7a",
    "popup_fill": "#2b2f36",
    "popup_border": "#454b55",
    "popup_selected": "#1e3a6e",
}


def _build(table: dict[str, str | tuple[int, int, int, int]]) -> dict[str, QColor]:
    return {k: QColor(*v) if isinstance(v, tuple) else QColor(v) for k, v in table.items()}


_SCHEMES: dict[bool, dict[str, QColor]] = {}
_state = {"dark": False, "known": False, "forced_light": 0}


def palette_is_dark(palette: QPalette | None = None) -> bool:
    """Whether ``palette`` (default: the application's) has a dark window colour."""
    if palette is None:
        if QGuiApplication.instance() is None:
            return False
        palette = QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def refresh() -> bool:
    """Re-read the application palette; returns whether the scheme is now dark."""
    _state["dark"] = palette_is_dark()
    _state["known"] = True
    return bool(_state["dark"])


def is_dark() -> bool:
    """Whether custom painting should use the dark scheme now (never inside forced_light)."""
    if _state["forced_light"]:
        return False
    if not _state["known"]:
        refresh()
    return bool(_state["dark"])


def scheme() -> dict[str, QColor]:
    """Every colour role of the current scheme (shared objects: copy before changing)."""
    dark = is_dark()
    if dark not in _SCHEMES:
        _SCHEMES[dark] = _build(_DARK if dark else _LIGHT)
    return _SCHEMES[dark]


def role(name: str) -> QColor:
    """A new QColor for the role ``name`` in the current scheme."""
    return QColor(scheme()[name])


def css(name: str) -> str:
    """The role as a CSS colour for style sheets and rich text (rgba when translucent)."""
    c = scheme()[name]
    if c.alpha() == 255:
        return c.name()
    return f"rgba({c.red()}, {c.green()}, {c.blue()}, {c.alpha()})"


def error_html(text: str) -> str:
    """``text`` as rich text in the scheme's error colour (escaped), for a label that says
    what could not be read where the user is looking."""
    return f"<span style='color:{css('error_text')}'>{html.escape(text)}</span>"


def readable(colour: str | QColor) -> QColor:
    """A status colour (chosen for light backgrounds) made readable on the current one:
    in the dark scheme, dark colours are lightened until they contrast with the base."""
    c = QColor(colour)
    if not is_dark():
        return c
    hue, sat, lightness, alpha = c.hslHueF(), c.hslSaturationF(), c.lightnessF(), c.alphaF()
    return QColor.fromHslF(hue, min(sat, 0.85), max(lightness, 0.68), alpha)


def tint(colour: str | QColor, light_alpha: int = 255, dark_alpha: int = 70) -> QColor:
    """A soft fill in ``colour``: a pale colour in light mode, a translucent one in dark."""
    c = QColor(colour)
    c.setAlpha(dark_alpha if is_dark() else light_alpha)
    return c


def scheme_changed_for(widget: QObject, event: QEvent) -> bool:
    """Whether ``event`` tells ``widget`` that the theme switched since it last drew.

    Qt sends widgets ``PaletteChange`` when the application palette changes (and
    ``ApplicationPaletteChange`` on some platforms); this answers True once per switch of
    scheme for each widget, so a redraw never repeats for the same theme."""
    if event.type() not in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
        return False
    dark = refresh()
    if widget.property("colors_dark") == dark:
        return False
    widget.setProperty("colors_dark", dark)
    return True


@contextmanager
def forced_light() -> Iterator[None]:
    """Every role answers its light value inside (report and file exports)."""
    _state["forced_light"] += 1
    try:
        yield
    finally:
        _state["forced_light"] -= 1
