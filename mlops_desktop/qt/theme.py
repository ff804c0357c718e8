"""Light and dark application themes: follow the system by default, switchable in View.

The app always uses Qt's Fusion style with an explicit palette, so both themes look the same
on every platform. Widgets that paint themselves take their colours from
:mod:`mlops_desktop.qt.colors` (derived from the palette) and repaint on
``ApplicationPaletteChange`` or :attr:`ThemeManager.theme_changed`.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from mlops_desktop.qt import colors

MODES = ("system", "light", "dark")
MODE_LABELS = {"system": "Follow system", "light": "Light", "dark": "Dark"}

_LIGHT = {
    "window": "#f3f4f6",
    "window_text": "#1f2430",
    "base": "#ffffff",
    "alternate_base": "#f6f7f9",
    "text": "#1f2430",
    "button": "#f3f4f6",
    "button_text": "#1f2430",
    "highlight": "#2563eb",
    "highlighted_text": "#ffffff",
    "link": "#1d4ed8",
    "tooltip_base": "#ffffff",
    "tooltip_text": "#1f2430",
    "placeholder": "#8a909c",
    "mid": "#c9ced6",
    "dark": "#9aa1ad",
    "light": "#ffffff",
    "disabled_text": "#9aa1ad",
}
_DARK = {
    "window": "#22252b",
    "window_text": "#e6e8ec",
    "base": "#1a1c21",
    "alternate_base": "#25282e",
    "text": "#e6e8ec",
    "button": "#2b2f36",
    "button_text": "#e6e8ec",
    "highlight": "#3b82f6",
    "highlighted_text": "#ffffff",
    "link": "#7aa7ff",
    "tooltip_base": "#2b2f36",
    "tooltip_text": "#e6e8ec",
    "placeholder": "#7d8490",
    "mid": "#3a3f48",
    "dark": "#15171b",
    "light": "#3a3f48",
    "disabled_text": "#6b7280",
}


def build_palette(dark: bool) -> QPalette:
    """The full palette of the light or dark theme."""
    c = {k: QColor(v) for k, v in (_DARK if dark else _LIGHT).items()}
    pal = QPalette()
    role = QPalette.ColorRole
    pal.setColor(role.Window, c["window"])
    pal.setColor(role.WindowText, c["window_text"])
    pal.setColor(role.Base, c["base"])
    pal.setColor(role.AlternateBase, c["alternate_base"])
    pal.setColor(role.Text, c["text"])
    pal.setColor(role.Button, c["button"])
    pal.setColor(role.ButtonText, c["button_text"])
    pal.setColor(role.BrightText, QColor("#ff5555"))
    pal.setColor(role.Highlight, c["highlight"])
    pal.setColor(role.HighlightedText, c["highlighted_text"])
    pal.setColor(role.Link, c["link"])
    pal.setColor(role.LinkVisited, c["link"])
    pal.setColor(role.ToolTipBase, c["tooltip_base"])
    pal.setColor(role.ToolTipText, c["tooltip_text"])
    pal.setColor(role.PlaceholderText, c["placeholder"])
    pal.setColor(role.Mid, c["mid"])
    pal.setColor(role.Midlight, c["mid"].lighter(110))
    pal.setColor(role.Dark, c["dark"])
    pal.setColor(role.Light, c["light"])
    pal.setColor(role.Shadow, QColor(0, 0, 0, 90))
    disabled = QPalette.ColorGroup.Disabled
    for r in (role.WindowText, role.Text, role.ButtonText):
        pal.setColor(disabled, r, c["disabled_text"])
    return pal


def system_prefers_dark() -> bool:
    """Whether the desktop asks for a dark scheme (Qt >= 6.5 knows; otherwise light)."""
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


def _repolish_style_sheets(app: QApplication) -> None:
    """Widgets with a style sheet keep the palette they were polished with (a Qt quirk:
    their text would stay dark on a dark window); setting the sheet again re-resolves it.

    The wrappers ``allWidgets()`` hands out are not tied to their parents, so a garbage
    collection in the middle of the loop could delete a parent-less widget and leave its
    children's wrappers dangling: collection is paused and each wrapper checked first."""
    import gc

    from shiboken6 import isValid

    collecting = gc.isenabled()
    gc.disable()
    try:
        for widget in app.allWidgets():
            if not isValid(widget):
                continue
            sheet = widget.styleSheet()
            if sheet:
                widget.setStyleSheet("")
                widget.setStyleSheet(sheet)
    finally:
        if collecting:
            gc.enable()


class ThemeManager(QObject):
    """Applies the chosen theme to the application and re-applies it when the system's
    scheme changes while the mode is ``system``."""

    theme_changed = Signal(bool)  # True when the theme is now dark

    def __init__(self, app: QApplication, mode: str = "system") -> None:
        super().__init__(app)
        self._app = app
        self._mode = mode if mode in MODES else "system"
        self._dark = False
        if app.style().name().lower() != "fusion":  # a new style repolishes every widget
            app.setStyle("Fusion")
        app.styleHints().colorSchemeChanged.connect(self._on_system_scheme_changed)
        self._apply()

    @property
    def mode(self) -> str:
        return self._mode

    @property
    def is_dark(self) -> bool:
        return self._dark

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"theme must be one of {', '.join(MODES)}, not {mode!r}")
        self._mode = mode
        self._apply()

    def _on_system_scheme_changed(self, _scheme: Qt.ColorScheme) -> None:
        if self._mode == "system":
            self._apply()

    def _apply(self) -> None:
        dark = self._mode == "dark" or (self._mode == "system" and system_prefers_dark())
        self._app.setPalette(build_palette(dark))
        colors.refresh()
        _repolish_style_sheets(self._app)
        changed = dark != self._dark
        self._dark = dark
        if changed:
            self.theme_changed.emit(dark)
