"""The Run panel's room in the window: the height it opens at and the height the user chose.

A run opens the Run panel under the canvas at a share of the window's height that leaves the
canvas most of it, yet tall enough for its header, its tabs and a plot that can be read. A
height the user drags the panel to is remembered (QSettings) and used the next time instead.
The panel's content fills the panel; it scrolls only below its minimum size.
"""

from __future__ import annotations

import functools

from PySide6.QtCore import QEvent, QObject, QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QMainWindow,
    QScrollArea,
    QStyle,
    QTabWidget,
    QWidget,
)

RUN_SHARE = 0.30  # the share of the window's height the panel opens at, at most...
RUN_MIN_HEIGHT = 234  # ...but never less: header, tabs and a plot about 180 px tall
USER_HEIGHT_KEY = "layout/run_panel_height"
CANVAS_KEEPS = 0.3  # a remembered height never leaves the canvas less than this share


def open_height(window_height: int, user_height: int | None = None) -> int:
    """The height the Run panel opens at in a window ``window_height`` tall."""
    if user_height is not None and user_height > 0:
        return max(min(user_height, int(window_height * (1 - CANVAS_KEEPS))), 120)
    return max(int(window_height * RUN_SHARE), RUN_MIN_HEIGHT)


class FillScrollArea(QScrollArea):
    """A scroll area whose widget always fills it, scrolling only when the area is smaller
    than the widget's minimum size.

    A plain resizable scroll area gives a widget whose layout wraps text (a height for its
    width) its preferred height, which for a panel of plots is far taller than the panel: the
    plot's axis ends up below the fold.

    With ``tabs`` (a tab widget in ``widget``), only the page shown counts towards the
    minimum height: a tall page that is not shown never makes the shown one scroll."""

    def __init__(self, widget: QWidget, tabs: QTabWidget | None = None) -> None:
        super().__init__()
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidgetResizable(False)
        self.setWidget(widget)
        self._tabs = tabs
        widget.installEventFilter(self)
        if tabs is not None:
            tabs.currentChanged.connect(self._fit)

    def least_size(self) -> QSize:
        """The size the widget is never made smaller than (with the page shown)."""
        widget = self.widget()
        if widget is None:
            return QSize()
        least = widget.minimumSizeHint().expandedTo(widget.minimumSize())
        tabs, page = self._tabs, self._tabs.currentWidget() if self._tabs else None
        if tabs is not None and page is not None:
            frame = tabs.style().pixelMetric(QStyle.PixelMetric.PM_DefaultFrameWidth)
            shown = tabs.tabBar().sizeHint().height() + page.minimumSizeHint().height()
            spare = tabs.minimumSizeHint().height() - shown - 2 * frame
            least.setHeight(least.height() - max(spare, 0))
        return least

    def _fit(self) -> None:
        widget = self.widget()
        if widget is None:
            return
        size = self.viewport().size().expandedTo(self.least_size())
        if size != widget.size():
            widget.resize(size)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if obj is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self._fit()  # its minimum size may have changed
        return super().eventFilter(obj, event)


class RunPanelHeight(QObject):
    """Sizes the Run panel when a run opens it, and remembers a height dragged by hand.

    The window's separators are dragged with the mouse on the window itself: a press and a
    release there between which the docked panel changed height is the user's choice."""

    def __init__(self, window: QMainWindow, settings: QSettings) -> None:
        super().__init__(window)
        self._window = window
        self._settings = settings
        self.dock: QDockWidget | None = None
        self._pressed_at: int | None = None
        window.installEventFilter(self)

    def user_height(self) -> int | None:
        value = self._settings.value(USER_HEIGHT_KEY)
        try:
            return int(str(value)) if value is not None else None
        except ValueError:
            return None

    def forget(self) -> None:
        """Open at the default height again (View → Reset layout)."""
        self._settings.remove(USER_HEIGHT_KEY)

    def _docked(self) -> bool:
        dock = self.dock
        return dock is not None and dock.isVisible() and not dock.isFloating()

    def open(self) -> None:
        """Give the docked panel its opening height (the user's when there is one)."""
        if not self._docked():
            return
        assert self.dock is not None
        height = open_height(self._window.height(), self.user_height())
        self._window.resizeDocks([self.dock], [height], Qt.Orientation.Vertical)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if obj is self._window and self.dock is not None:
            kind = event.type()
            if kind == QEvent.Type.MouseButtonPress and self._docked():
                self._pressed_at = self.dock.height()
            elif kind == QEvent.Type.MouseButtonRelease and self._pressed_at is not None:
                # The window applies the separator's last move from its event loop.
                QTimer.singleShot(0, functools.partial(self._remember, self._pressed_at))
                self._pressed_at = None
        return False

    def _remember(self, pressed_at: int) -> None:
        dock = self.dock
        if dock is not None and self._docked() and dock.height() != pressed_at:
            self._settings.setValue(USER_HEIGHT_KEY, dock.height())
