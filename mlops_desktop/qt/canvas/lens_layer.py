"""LensLayer: a vendor's lifecycle phases drawn as labelled bands behind the nodes.

Which phase a stage belongs to comes from :func:`mlops_desktop.core.lifecycle.place`; each
band encloses the nodes of one phase, labelled with the vendor's own phase name and number.
Nothing here changes the document: a lens is a way of looking at the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from mlops_desktop.core.lifecycle import LensPlacement
from mlops_desktop.qt.canvas import theme as T

PAD = 18.0
LABEL_H = 26.0


@dataclass
class Band:
    phase_id: str
    label: str
    colour: QColor
    rect: QRectF
    node_ids: list[str]


class LensLayer(QGraphicsItem):
    """Bands for the phases of one lifecycle; empty (and invisible) when no lens is set."""

    def __init__(self) -> None:
        super().__init__()
        self.bands: list[Band] = []
        self.placement: LensPlacement | None = None
        self._rect = QRectF()
        self.setZValue(-20)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    def set_bands(self, placement: LensPlacement | None, node_rects: dict[str, QRectF]) -> None:
        """Rebuild the bands from a placement and the current scene rectangles of the nodes."""
        self.prepareGeometryChange()
        self.placement = placement
        self.bands = []
        if placement is not None:
            for phase in placement.lifecycle.phases:
                nodes = [n.id for n in placement.by_phase.get(phase.id, []) if n.id in node_rects]
                if not nodes:
                    continue
                rect = QRectF(node_rects[nodes[0]])
                for nid in nodes[1:]:
                    rect = rect.united(node_rects[nid])
                rect = rect.adjusted(-PAD, -PAD - LABEL_H, PAD, PAD)
                colour = QColor(T.PHASE_COLOURS[phase.order % len(T.PHASE_COLOURS)])
                self.bands.append(
                    Band(phase.id, f"{phase.order + 1}. {phase.name}", colour, rect, nodes)
                )
        rect = QRectF()
        for band in self.bands:
            rect = rect.united(band.rect)
        self._rect = rect.adjusted(-2, -2, 2, 2)
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        fm = QFontMetricsF(T.label_font())
        for band in self.bands:
            fill = QColor(band.colour)
            fill.setAlpha(28)
            edge = QColor(band.colour)
            edge.setAlpha(150)
            painter.setBrush(fill)
            painter.setPen(QPen(edge, 1.4, Qt.PenStyle.DashLine))
            painter.drawRoundedRect(band.rect, 14, 14)
            # Keep the label readable when zoomed out by scaling it up (within reason).
            scale = 1.0 if lod >= 0.6 else min(4.0, 0.6 / max(lod, 0.05))
            painter.save()
            painter.translate(band.rect.topLeft() + QPointF(12, 6))
            painter.scale(scale, scale)
            text = fm.elidedText(
                band.label,
                Qt.TextElideMode.ElideRight,
                max(320.0, (band.rect.width() - 24) / scale),
            )
            pill = QRectF(0, 0, fm.horizontalAdvance(text) + 16, fm.height() + 6)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(band.colour)
            painter.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2)
            painter.setFont(T.label_font())
            painter.setPen(QColor("white"))
            painter.drawText(pill, int(Qt.AlignmentFlag.AlignCenter), text)
            painter.restore()
