"""PipelineView: the zoomable, pannable view of a pipeline scene.

Wheel zooms around the cursor; the middle button, or the left button with Space held, pans;
F fits the pipeline. Stages dropped from the palette (our MIME type) are reported with their
scene position through ``stage_dropped``. A light grid is drawn behind the items, and the
active lens's legend (phases and the stages with no phase) in front of them.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QLineF, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFontMetricsF,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPen,
    QWheelEvent,
)
from PySide6.QtWidgets import QGraphicsView, QWidget

from mlops_desktop.qt import colors
from mlops_desktop.qt.canvas import theme as T
from mlops_desktop.qt.canvas.minimap import Minimap
from mlops_desktop.qt.canvas.node_item import NodeItem
from mlops_desktop.qt.canvas.note_item import NoteItem
from mlops_desktop.qt.canvas.scene import PipelineScene

STAGE_MIME = "application/x-mlops-desktop-stage"
MIN_ZOOM = 0.03
MAX_ZOOM = 3.0
# F never zooms out below this: titles and port names stay legible (the minimap shows the rest).
READABLE_ZOOM = 0.7


class PipelineView(QGraphicsView):
    """A QGraphicsView tuned for a node editor."""

    stage_dropped = Signal(str, QPointF)  # stage type id, scene position
    zoom_changed = Signal(float)
    theme_applied = Signal()  # repainted for a new palette (the minimap re-renders)

    def __init__(self, scene: PipelineScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self._pan_from: QPointF | None = None
        self._space = False
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setOptimizationFlags(QGraphicsView.OptimizationFlag.DontSavePainterState)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSceneRect(QRectF(-100_000, -100_000, 200_000, 200_000))
        self.setAcceptDrops(True)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setBackgroundBrush(T.BACKGROUND)
        self._painted_empty = self._scene_is_empty()
        scene.changed.connect(self._on_scene_changed)
        self.rubberBandChanged.connect(self._on_rubber_band)

    @property
    def pipeline_scene(self) -> PipelineScene:
        scene = self.scene()
        assert isinstance(scene, PipelineScene)
        return scene

    # ------------------------------------------------------------------ zoom
    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, factor: float, anchor: QPointF | None = None) -> None:
        """Zoom to ``factor`` (1.0 = 100 %), keeping the scene point under ``anchor`` fixed.

        ``anchor`` is a viewport position (default: the centre). The anchoring is done here
        rather than by Qt's AnchorUnderMouse, which uses the last mouse-move position.
        """
        factor = max(MIN_ZOOM, min(MAX_ZOOM, factor))
        ratio = factor / self.zoom()
        if math.isclose(ratio, 1.0):
            return
        point = (anchor or QPointF(self.viewport().rect().center())).toPoint()
        fixed = self.mapToScene(point)
        self.scale(ratio, ratio)
        drift = self.mapFromScene(fixed) - point
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + drift.x())
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + drift.y())
        self.zoom_changed.emit(self.zoom())

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom() * 1.25)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom() / 1.25)

    def fit(self) -> None:
        """Show the whole pipeline (at most at 100 %); when that would make the titles too
        small to read, show its start at a readable zoom instead."""
        rect = self.pipeline_scene.content_rect()
        if rect.isEmpty():
            self.resetTransform()
            self.centerOn(0, 0)
            self.zoom_changed.emit(1.0)
            return
        rect = rect.adjusted(-40, -40, 40, 40)
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom() > 1.0:
            self.resetTransform()
            self.centerOn(rect.center())
        elif self.zoom() < READABLE_ZOOM:
            self._show_start(rect)
        self.zoom_changed.emit(self.zoom())

    def _show_start(self, rect: QRectF) -> None:
        """Show the left end of ``rect`` at a readable zoom chosen so that no stage is cut
        in half by the right edge of the view."""
        width, height = self.viewport().width(), self.viewport().height()
        spans = [it.sceneBoundingRect() for it in self.pipeline_scene.node_items.values()]

        def cuts(zoom: float) -> bool:
            edge = rect.left() + width / zoom
            return any(r.left() < edge < r.right() for r in spans)

        steps = [READABLE_ZOOM - 0.01 * k for k in range(0, 11)]
        steps += [READABLE_ZOOM + 0.01 * k for k in range(1, 16)]
        zoom = next((z for z in steps if not cuts(z)), READABLE_ZOOM)
        self.resetTransform()
        self.scale(zoom, zoom)
        y = (
            rect.center().y()
            if rect.height() * zoom <= height
            else rect.top() + height / (2 * zoom)
        )
        self.centerOn(rect.left() + width / (2 * zoom), y)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            super().wheelEvent(event)
            return
        delta = event.angleDelta().y() or event.angleDelta().x()
        if delta:
            self.set_zoom(self.zoom() * math.pow(1.0015, delta), anchor=event.position())
        event.accept()

    def _on_rubber_band(self, band: QRect, from_scene: QPointF, to_scene: QPointF) -> None:
        """Links follow the rubber band as nodes do (Qt selects only the nodes and notes)."""
        if band.isNull():
            self.pipeline_scene.band_select_links(None)
            return
        self.pipeline_scene.band_select_links(QRectF(from_scene, to_scene).normalized())

    # ------------------------------------------------------------------- pan
    def _panning_press(self, event: QMouseEvent) -> bool:
        return event.button() == Qt.MouseButton.MiddleButton or (
            self._space and event.button() == Qt.MouseButton.LeftButton
        )

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self._panning_press(event):
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.horizontalScrollBar().setValue(
                self.horizontalScrollBar().value() - round(delta.x())
            )
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - round(delta.y()))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().setCursor(
                Qt.CursorShape.OpenHandCursor if self._space else Qt.CursorShape.ArrowCursor
            )
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        if event.key() == Qt.Key.Key_Escape:
            self.pipeline_scene.cancel_gesture()
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().setCursor(Qt.CursorShape.ArrowCursor)
            event.accept()
            return
        super().keyReleaseEvent(event)

    # ------------------------------------------------------------ drag/drop
    def _accepts(self, event: QDragEnterEvent | QDragMoveEvent | QDropEvent) -> bool:
        return event.mimeData().hasFormat(STAGE_MIME)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._accepts(event):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._accepts(event):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        if not self._accepts(event):
            super().dropEvent(event)
            return
        stage = bytes(event.mimeData().data(STAGE_MIME).data()).decode("utf-8").strip()
        pos = self.mapToScene(event.position().toPoint())
        event.acceptProposedAction()
        if stage:
            self.stage_dropped.emit(stage, QPointF(pos))

    # ------------------------------------------------------------ painting
    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        """Follow a new application palette (light or dark theme) at once."""
        super().changeEvent(event)
        if colors.scheme_changed_for(self, event):
            self.apply_theme()

    def apply_theme(self) -> None:
        """Repaint in the current scheme (background, grid, nodes, notes, minimap)."""
        colors.refresh()
        self.setBackgroundBrush(T.BACKGROUND)
        self.viewport().update()
        self.scene().update()
        self.theme_applied.emit()

    def drawBackground(self, painter: QPainter, rect: QRectF | QRect) -> None:
        painter.fillRect(rect, T.BACKGROUND)
        zoom = self.zoom()
        step = 20.0
        while step * zoom < 9:  # keep minor lines at least ~9 px apart on screen
            step *= 5
        major = step * 5
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        for spacing, colour in ((step, T.GRID_MINOR), (major, T.GRID_MAJOR)):
            left = math.floor(rect.left() / spacing) * spacing
            top = math.floor(rect.top() / spacing) * spacing
            lines = [
                QLineF(x, rect.top(), x, rect.bottom())
                for x in _frange(left, rect.right(), spacing)
            ]
            lines += [
                QLineF(rect.left(), y, rect.right(), y)
                for y in _frange(top, rect.bottom(), spacing)
            ]
            painter.setPen(QPen(colour, 0))
            painter.drawLines(lines)

    def _scene_is_empty(self) -> bool:
        scene = self.pipeline_scene
        return not scene.node_items and not scene.note_items

    def _on_scene_changed(self, _rects: object) -> None:
        """Repaint the whole viewport when the scene becomes empty or stops being empty: the
        hint is drawn across the viewport, while Qt repaints only the changed items' areas
        (which left pieces of the hint behind the first stage dropped)."""
        empty = self._scene_is_empty()
        if empty != self._painted_empty:
            self._painted_empty = empty
            self.viewport().update()

    def drawForeground(self, painter: QPainter, rect: QRectF | QRect) -> None:
        scene = self.pipeline_scene
        if not scene.node_items and not scene.note_items:
            self._draw_empty_hint(painter)
            return
        if scene.lens_id is None or scene.lens_layer.placement is None:
            return
        placement = scene.lens_layer.placement
        lines = self.lens_legend_lines()
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        fm = QFontMetricsF(T.small_font())
        height = len(lines) * (fm.height() + 3) + 14
        wanted = max(fm.horizontalAdvance(s) for s in lines) + 24
        box, faded = self.legend_box(wanted, height)
        width = box.width()
        if faded:
            painter.setOpacity(0.3)
        painter.setPen(QPen(T.OVERLAY_BORDER, 1))
        painter.setBrush(T.OVERLAY_FILL)
        painter.drawRoundedRect(box, 8, 8)
        painter.setFont(T.small_font())
        y = box.top() + 7
        for i, line in enumerate(lines):
            painter.setPen(_legend_colour(i, lines[i], bool(placement.unplaced)))
            text = fm.elidedText(line, Qt.TextElideMode.ElideRight, width - 24)
            painter.drawText(
                QRectF(box.left() + 12, y, width - 24, fm.height()),
                int(Qt.AlignmentFlag.AlignLeft),
                text,
            )
            y += fm.height() + 3
        painter.restore()

    def legend_box(self, wanted: float, height: float) -> tuple[QRectF, bool]:
        """Where the lens legend goes (viewport coordinates) and whether it must fade.

        Bottom left first, then top left (at the top it would hide the first row of stages
        and the band labels, where a pipeline usually starts); never under the minimap (it
        sits beside it, narrower); never over a stage or a note: when every place has one, it
        fades."""
        vp = self.viewport()
        minimap = next((w for w in self.children() if isinstance(w, Minimap)), None)
        mini = None
        if minimap is not None and minimap.isVisible():  # the minimap is the view's child
            mini = QRectF(minimap.geometry()).translated(-vp.x(), -vp.y())
        boxes: list[QRectF] = []
        for top in (vp.height() - height - 12, 12.0):
            segments = [(12.0, vp.width() - 12.0)]
            if mini is not None and mini.top() < top + height and mini.bottom() > top:
                segments = [(12.0, mini.left() - 12), (mini.right() + 12, vp.width() - 12.0)]
            for left, right in segments:
                if right - left >= min(wanted, 200):
                    boxes.append(QRectF(left, top, min(wanted, right - left), height))
        clear = next((b for b in boxes if not self._covers_stage(b)), None)
        if clear is not None:
            return clear, False
        return (boxes[0] if boxes else QRectF(12, vp.height() - height - 12, wanted, height)), True

    def lens_legend_lines(self) -> list[str]:
        """The lens legend: the lifecycle, which stages have no phase, which phases no stage."""
        placement = self.pipeline_scene.lens_layer.placement
        if self.pipeline_scene.lens_id is None or placement is None:
            return []
        lines = [placement.lifecycle.title]
        vendor = placement.lifecycle.vendor
        if placement.unplaced:
            names = ", ".join(n.title for n in placement.unplaced[:8])
            more = len(placement.unplaced) - 8
            lines.append(f"No {vendor} phase: {names}" + (f" and {more} more" if more > 0 else ""))
        else:
            article = "an" if vendor[:1].upper() in "AEIOU" else "a"
            lines.append(f"Every stage has {article} {vendor} phase")
        empty = [p.name for p in placement.lifecycle.phases if not placement.by_phase.get(p.id)]
        if empty:
            lines.append("Phases with no stage: " + ", ".join(empty))
        return lines

    def _covers_stage(self, box: QRectF) -> bool:
        """Whether a stage or a note lies under ``box`` (viewport coordinates)."""
        area = self.mapToScene(box.toAlignedRect()).boundingRect()
        return any(
            isinstance(it, NodeItem)
            or (isinstance(it, NoteItem) and it.text_area().intersects(QRectF(area)))
            for it in self.pipeline_scene.items(area)
        )

    def _draw_empty_hint(self, painter: QPainter) -> None:
        painter.save()
        painter.resetTransform()
        vp = QRectF(self.viewport().rect())
        painter.setFont(T.label_font())
        painter.setPen(T.MUTED_TEXT)
        painter.drawText(
            vp.adjusted(0, -20, 0, -20),
            int(Qt.AlignmentFlag.AlignCenter),
            "Drag stages here from the palette, or press Tab to add one",
        )
        painter.setFont(T.small_font())
        painter.setPen(T.FAINT_TEXT)
        painter.drawText(
            vp.adjusted(0, 24, 0, 24),
            int(Qt.AlignmentFlag.AlignCenter),
            "Connect an output port to an input port by dragging  ·  wheel zooms  ·  middle button pans",
        )
        painter.restore()


def _legend_colour(index: int, line: str, unplaced: bool) -> QColor:
    if index == 0:
        return colors.role("text")
    if line.startswith("Phases with no stage"):
        return colors.role("muted_text")
    return colors.role("warn_text" if unplaced else "ok_text")


def _frange(start: float, stop: float, step: float) -> list[float]:
    count = int((stop - start) / step) + 2
    return [start + i * step for i in range(min(count, 2000))]
