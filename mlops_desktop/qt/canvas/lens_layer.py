"""LensLayer: a vendor's lifecycle phases drawn as labelled bands behind the nodes.

Which phase a stage belongs to comes from :func:`mlops_desktop.core.lifecycle.place`; each
band encloses the nodes of one phase, labelled with the vendor's own phase name and number.
A band whose label would fall on a note's label (the backdrop of an imported group names its
group and condition there) reaches up, so its label sits above the note's.
Nothing here changes the document: a lens is a way of looking at the pipeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from mlops_desktop.core.lifecycle import LensPlacement
from mlops_desktop.qt import colors
from mlops_desktop.qt.canvas import theme as T

PAD = 18.0
LABEL_H = 26.0
GAP = 110.0  # nodes closer than this share a band
MAX_SCALE = 4.0  # how much a band's label is scaled up at most when zoomed out


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

    def set_bands(
        self,
        placement: LensPlacement | None,
        node_rects: dict[str, QRectF],
        labels: Sequence[QRectF] = (),
    ) -> None:
        """Rebuild the bands from a placement and the current scene rectangles of the nodes
        (``labels``: scene rectangles of other labels the bands' labels must not cover)."""
        self.prepareGeometryChange()
        self.placement = placement
        self.bands = []
        if placement is not None:
            for phase in placement.lifecycle.phases:
                nodes = [n.id for n in placement.by_phase.get(phase.id, []) if n.id in node_rects]
                colour = QColor(T.PHASE_COLOURS[phase.order % len(T.PHASE_COLOURS)])
                label = f"{phase.order + 1}. {phase.name}"
                # One band per cluster of neighbouring nodes, so a phase whose stages sit in
                # two places of the layout does not swallow the stages between them.
                for cluster in _clusters(nodes, node_rects):
                    rect = QRectF(node_rects[cluster[0]])
                    for nid in cluster[1:]:
                        rect = rect.united(node_rects[nid])
                    rect = rect.adjusted(-PAD, -PAD - LABEL_H, PAD, PAD)
                    rect.setTop(_clear_of(rect, label, labels))
                    self.bands.append(Band(phase.id, label, colour, rect, cluster))
        rect = QRectF()
        for band in self.bands:
            rect = rect.united(band.rect)
        grow = (MAX_SCALE - 1) * (QFontMetricsF(T.label_font()).height() + 6)
        self._rect = rect.adjusted(-2, -2 - grow, 2, 2)  # room for labels scaled up
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect

    def phase_ids(self) -> list[str]:
        return list(dict.fromkeys(b.phase_id for b in self.bands))

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        fm = QFontMetricsF(T.label_font())
        for band in self.bands:
            fill = QColor(band.colour)
            fill.setAlpha(40 if colors.is_dark() else 28)
            edge = QColor(band.colour)
            edge.setAlpha(150)
            painter.setBrush(fill)
            painter.setPen(QPen(edge, 1.4, Qt.PenStyle.DashLine))
            painter.drawRoundedRect(band.rect, 14, 14)
            # Keep the label readable when zoomed out by scaling it up (within reason).
            scale = 1.0 if lod >= 0.6 else min(MAX_SCALE, 0.6 / max(lod, 0.05))
            painter.save()
            # A label scaled up grows upwards (out of the band), never over the band's content,
            # and is cut to the band's width, never over the next band's label.
            height = fm.height() + 6
            painter.translate(band.rect.topLeft() + QPointF(12, 6 + height - height * scale))
            painter.scale(scale, scale)
            text = fm.elidedText(
                band.label, Qt.TextElideMode.ElideRight, _label_room(band.rect) / scale
            )
            pill = QRectF(0, 0, fm.horizontalAdvance(text) + 16, height)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(band.colour)
            painter.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2)
            painter.setFont(T.label_font())
            painter.setPen(QColor("white"))
            painter.drawText(pill, int(Qt.AlignmentFlag.AlignCenter), text)
            painter.restore()


def pill_rect(band_rect: QRectF, label: str) -> QRectF:
    """Where a band's label is drawn at zoom 1, in scene coordinates."""
    fm = QFontMetricsF(T.label_font())
    text = fm.elidedText(label, Qt.TextElideMode.ElideRight, _label_room(band_rect))
    return QRectF(
        band_rect.left() + 12, band_rect.top() + 6, fm.horizontalAdvance(text) + 16, fm.height() + 6
    )


def _label_room(band_rect: QRectF) -> float:
    """How wide a band's label may be (in scene units at zoom 1)."""
    return max(90.0, band_rect.width() - 40)


def _clear_of(rect: QRectF, label: str, others: Sequence[QRectF]) -> float:
    """The top a band needs for its label to cover none of ``others``."""
    top = rect.top()
    for _ in range(8):  # stacked labels: climb over each in turn
        pill = pill_rect(QRectF(rect.left(), top, rect.width(), rect.height()), label)
        hits = [o for o in others if o.intersects(pill)]
        if not hits:
            break
        top = min(o.top() for o in hits) - pill.height() - 10
    return top


def _clusters(node_ids: list[str], rects: dict[str, QRectF]) -> list[list[str]]:
    """Groups of nodes whose rectangles lie within ``GAP`` of each other (transitively)."""
    parent = {n: n for n in node_ids}

    def root(n: str) -> str:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    grown = {n: rects[n].adjusted(-GAP / 2, -GAP / 2, GAP / 2, GAP / 2) for n in node_ids}
    ordered = sorted(node_ids, key=lambda n: rects[n].left())
    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            if grown[b].left() > grown[a].right():
                break
            if grown[a].intersects(grown[b]):
                parent[root(a)] = root(b)
    groups: dict[str, list[str]] = {}
    for n in node_ids:
        groups.setdefault(root(n), []).append(n)
    return list(groups.values())
