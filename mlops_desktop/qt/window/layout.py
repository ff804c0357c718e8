"""The main window's side panels and where its docks go: first-run sizes and Reset layout."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QWidget

# Bottom panels made on first use, after the default layout was recorded.
LATE_BOTTOM_DOCKS = ("run_view_dock", "compare_dock")


def apply_default_sizes(
    window: QMainWindow,
    left: tuple[QDockWidget, QDockWidget],
    right: tuple[QDockWidget, QDockWidget],
) -> None:
    """Sensible first-run sizes: narrow side panels and most of the window for the canvas.

    ``left`` is (projects, palette), ``right`` (inspector, history)."""
    horizontal, vertical = Qt.Orientation.Horizontal, Qt.Orientation.Vertical
    height = max(window.height(), 600)
    # Wide enough for a template pipeline's name; the palette gets more height than the
    # (usually short) project list.
    side = 250 if window.width() >= 1400 else 230
    window.resizeDocks([left[0], right[0]], [side, side + 30], horizontal)
    window.resizeDocks(list(left), [int(height * 0.22), int(height * 0.53)], vertical)
    # The inspector needs the room; the undo history is a short list.
    window.resizeDocks(list(right), [int(height * 0.6), int(height * 0.12)], vertical)


def reset_docks(window: QMainWindow, default_state: QByteArray, messages: QDockWidget) -> None:
    """Dock every panel back in its place (floating ones too) and close the bottom ones."""
    bottom = Qt.DockWidgetArea.BottomDockWidgetArea
    docks = [d for d in window.findChildren(QDockWidget) if d.parent() is window]
    for dock in docks:
        dock.setFloating(False)
    window.restoreState(default_state)
    for dock in docks:  # panels made after the default layout (Run, Compare runs...)
        if window.dockWidgetArea(dock) != bottom and dock.objectName() in LATE_BOTTOM_DOCKS:
            window.addDockWidget(bottom, dock)
        if window.dockWidgetArea(dock) == bottom:
            if dock is not messages:
                window.tabifyDockWidget(messages, dock)
            dock.hide()
        else:
            dock.show()


def make_palette() -> QWidget:
    """The stage palette (a note when its module cannot be loaded)."""
    try:
        from mlops_desktop.qt.palette import StagePalette
    except ImportError:
        return QLabel("The stage palette is not available.")
    return StagePalette()


def make_inspector() -> QWidget:
    """The stage inspector (a note when its module cannot be loaded)."""
    try:
        from mlops_desktop.qt.inspector.panel import NodeInspector
    except ImportError:
        return QLabel("The inspector is not available.")
    return NodeInspector()


def title_bar_beside(window: QMainWindow, dock: QDockWidget) -> None:
    """Docked under the canvas, the panel's title bar runs down its left side: a bottom panel
    is wide and short, and the height a title row would take is the plot's. Floating or at a
    side, the title is on top again."""

    def place(*_args: object) -> None:
        bottom = window.dockWidgetArea(dock) == Qt.DockWidgetArea.BottomDockWidgetArea
        beside = bottom and not dock.isFloating()
        feature = QDockWidget.DockWidgetFeature.DockWidgetVerticalTitleBar
        if bool(dock.features() & feature) != beside:
            dock.setFeatures(dock.features() | feature if beside else dock.features() & ~feature)

    dock.dockLocationChanged.connect(place)
    dock.topLevelChanged.connect(place)
    place()
