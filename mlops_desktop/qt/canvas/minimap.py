"""Minimap: a small overview of the whole pipeline in a corner of the view.

The overview is rendered into a pixmap only after the scene settles (debounced), so it costs
nothing while the user drags. The current viewport is outlined; click or drag to move there.
It never hides a stage or a note: it moves to a free corner of the view, and when every
corner has one under it, it steps aside (hidden) until a corner is free again. View →
Minimap turns it off and on (:meth:`Minimap.set_wanted`).
"""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QPixmap
from PySide6.QtWidgets import QGraphicsView, QWidget

from mlops_desktop.qt.canvas import theme as T
from mlops_desktop.qt.canvas.node_item import NodeItem
from mlops_desktop.qt.canvas.note_item import NoteItem
from mlops_desktop.qt.canvas.scene import PipelineScene

SIZE = (200, 130)
MARGIN = 12
QUICK_MS = 250  # from a change to the render, when the scene was quiet
BUSY_MS = 1000  # between two renders while the scene keeps changing


class Minimap(QWidget):
    """An overview drawn over the bottom-right corner of a :class:`QGraphicsView`."""

    def __init__(self, view: QGraphicsView) -> None:
        super().__init__(view)
        self.view = view
        self._pixmap: QPixmap | None = None
        self._source = QRectF()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(QUICK_MS)
        self._timer.timeout.connect(self.refresh)
        self._rendered = QElapsedTimer()  # since the last render
        self.wanted = True  # View → Minimap
        self.crowded = False  # every corner has a stage or a note under it
        self.resize(*SIZE)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Overview: click or drag to move the view")
        scene = view.scene()
        scene.changed.connect(self._on_scene_changed)
        view.horizontalScrollBar().valueChanged.connect(self.reposition)
        view.verticalScrollBar().valueChanged.connect(self.reposition)
        zoom_changed = getattr(view, "zoom_changed", None)
        if zoom_changed is not None:
            zoom_changed.connect(self.reposition)
        view.viewport().installEventFilter(self)
        self.reposition()
        self.hide()  # shown by the first refresh, once there is something to show

    def eventFilter(self, obj, event) -> bool:  # noqa: ANN001
        if event.type() == event.Type.Resize:
            self.reposition()
        return False

    def set_wanted(self, on: bool) -> None:
        """Show the minimap (when a corner is free) or keep it off."""
        self.wanted = on
        if on:
            self.refresh()
        else:
            self._show(False)

    def _show(self, shown: bool) -> None:
        if shown != self.isVisible():
            self.setVisible(shown)
            self.view.viewport().update()  # the lens legend takes the room it leaves, or not

    def reposition(self, *_args: object) -> None:
        """Sit in the first corner with no stage or note under it (bottom right first); when
        every corner has one, step aside until one is free again."""
        vp = self.view.viewport()
        right, bottom = vp.width() - self.width() - MARGIN, vp.height() - self.height() - MARGIN
        corners = [(right, bottom), (right, MARGIN), (MARGIN, MARGIN), (MARGIN, bottom)]
        free = next((c for c in corners if not self._under(*c)), None)
        self.crowded = free is None
        if free is not None:
            before = self.pos()
            self.move(*free)
            if self.pos() != before:  # the lens legend keeps clear of the minimap: re-place it
                self.view.viewport().update()
        self._show(self.wanted and free is not None and self._pixmap is not None)
        self.update()

    def _under(self, x: int, y: int) -> set[type]:
        """The kinds of content (stages, notes) the minimap would hide at ``(x, y)``."""
        area = self.view.mapToScene(x, y, self.width(), self.height()).boundingRect()
        items = self.view.scene().items(area, Qt.ItemSelectionMode.IntersectsItemShape)
        kinds: set[type] = set()
        for item in items:
            if isinstance(item, NodeItem):
                kinds.add(NodeItem)
            elif isinstance(item, NoteItem) and item.text_area().intersects(area):
                kinds.add(NoteItem)
        return kinds

    def _on_scene_changed(self, _regions: object = None) -> None:
        self.schedule()

    def schedule(self) -> None:
        """Re-render soon (once, however many changes arrive meanwhile), and at most once
        a second while changes keep coming: a run changes its stages' badges many times a
        second, and each render paints the whole scene on the GUI thread."""
        if self._timer.isActive():
            return
        since = self._rendered.elapsed() if self._rendered.isValid() else BUSY_MS
        self._timer.start(max(QUICK_MS, BUSY_MS - since))

    def refresh(self) -> None:
        """Re-render the overview of the scene."""
        self._rendered.start()
        scene = self.view.scene()
        rect = (
            scene.content_rect() if isinstance(scene, PipelineScene) else scene.itemsBoundingRect()
        )
        if rect.isEmpty() or not self.wanted:
            self._pixmap = None
            self._show(False)
            return
        rect = rect.adjusted(-60, -60, 60, 60)
        self._source = rect
        dpr = self.devicePixelRatioF()
        pm = QPixmap(int(self.width() * dpr), int(self.height() * dpr))
        pm.setDevicePixelRatio(dpr)
        pm.fill(QColor(255, 255, 255, 0))
        painter = QPainter(pm)
        target = self._target_rect(rect)
        scene.render(painter, target, rect, Qt.AspectRatioMode.KeepAspectRatio)
        painter.end()
        self._pixmap = pm
        self.reposition()

    def _target_rect(self, source: QRectF) -> QRectF:
        w, h = self.width() - 8.0, self.height() - 8.0
        scale = min(w / max(source.width(), 1.0), h / max(source.height(), 1.0))
        tw, th = source.width() * scale, source.height() * scale
        return QRectF(4 + (w - tw) / 2, 4 + (h - th) / 2, tw, th)

    def _scene_to_map(self, p: QPointF) -> QPointF:
        t = self._target_rect(self._source)
        s = self._source
        return QPointF(
            t.left() + (p.x() - s.left()) * t.width() / s.width(),
            t.top() + (p.y() - s.top()) * t.height() / s.height(),
        )

    def _map_to_scene(self, p: QPointF) -> QPointF:
        t = self._target_rect(self._source)
        s = self._source
        return QPointF(
            s.left() + (p.x() - t.left()) * s.width() / t.width(),
            s.top() + (p.y() - t.top()) * s.height() / t.height(),
        )

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(T.OVERLAY_BORDER, 1))
        painter.setBrush(T.OVERLAY_FILL)
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 8, 8)
        if self._pixmap is None or self._source.isEmpty():
            return
        painter.drawPixmap(0, 0, self._pixmap)
        visible = self.view.mapToScene(self.view.viewport().rect()).boundingRect()
        tl, br = self._scene_to_map(visible.topLeft()), self._scene_to_map(visible.bottomRight())
        frame = QRectF(tl, br).intersected(QRectF(self.rect()).adjusted(1, 1, -1, -1))
        accent = T.SELECTION
        painter.setPen(QPen(accent, 1.5))
        accent = QColor(accent)
        accent.setAlpha(24)
        painter.setBrush(accent)
        painter.drawRect(frame)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._center_on(event.position())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._center_on(event.position())

    def _center_on(self, pos: QPointF) -> None:
        if not self._source.isEmpty():
            self.view.centerOn(self._map_to_scene(pos))
            self.update()
