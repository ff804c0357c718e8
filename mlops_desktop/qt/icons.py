"""Vector icons for stage categories and stage types, drawn with QPainter and cached.

Each icon is a white glyph on a rounded square of its category colour, so it reads at
16-24 px in the palette and inside canvas nodes. Unknown names get a generic glyph.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

CATEGORY_COLOURS: dict[str, str] = {
    "Data": "#2e86de",
    "Model": "#e67e22",
    "Operate": "#16a085",
    "Custom": "#8e44ad",
}
FALLBACK_COLOUR = "#607d8b"


def category_colour(category: str) -> QColor:
    return QColor(CATEGORY_COLOURS.get(category, FALLBACK_COLOUR))


# Glyphs are drawn in a 24 x 24 box centred in the icon.
Glyph = Callable[[QPainter], None]


def _data(p: QPainter) -> None:  # a database cylinder
    p.drawEllipse(QRectF(6, 4, 12, 4))
    p.drawLine(QPointF(6, 6), QPointF(6, 18))
    p.drawLine(QPointF(18, 6), QPointF(18, 18))
    p.drawArc(QRectF(6, 16, 12, 4), 180 * 16, 180 * 16)
    p.drawArc(QRectF(6, 10, 12, 4), 180 * 16, 180 * 16)


def _validate(p: QPainter) -> None:  # a shield with a tick
    path = QPainterPath(QPointF(12, 3))
    path.lineTo(19, 6)
    path.cubicTo(19, 13, 16, 18, 12, 21)
    path.cubicTo(8, 18, 5, 13, 5, 6)
    path.closeSubpath()
    p.drawPath(path)
    p.drawPolyline([QPointF(9, 12), QPointF(11.5, 14.5), QPointF(15.5, 9.5)])


def _split(p: QPainter) -> None:  # a fork
    p.drawLine(QPointF(4, 12), QPointF(10, 12))
    p.drawPolyline(
        [QPointF(20, 6), QPointF(14, 6), QPointF(10, 12), QPointF(14, 18), QPointF(20, 18)]
    )


def _features(p: QPainter) -> None:  # sliders
    for y, x in ((7, 9), (12, 15), (17, 7)):
        p.drawLine(QPointF(4, y), QPointF(20, y))
        p.drawEllipse(QPointF(x, y), 1.8, 1.8)


def _train(p: QPainter) -> None:  # a rising curve
    p.drawPolyline([QPointF(4, 20), QPointF(4, 4)])
    p.drawPolyline([QPointF(4, 20), QPointF(20, 20)])
    path = QPainterPath(QPointF(6, 17))
    path.cubicTo(10, 16, 12, 8, 19, 6)
    p.drawPath(path)


def _tune(p: QPainter) -> None:  # a dial
    p.drawArc(QRectF(4, 5, 16, 16), 0, 180 * 16)
    p.drawLine(QPointF(12, 13), QPointF(16.5, 8.5))
    p.drawLine(QPointF(4, 13), QPointF(20, 13))


def _evaluate(p: QPainter) -> None:  # bar chart
    for x, h in ((6, 6), (11, 11), (16, 15)):
        p.drawRect(QRectF(x - 1.5, 20 - h, 3, h))


def _gate(p: QPainter) -> None:  # a gate / barrier
    p.drawRect(QRectF(5, 6, 14, 13))
    p.drawLine(QPointF(12, 6), QPointF(12, 19))
    p.drawLine(QPointF(5, 12.5), QPointF(19, 12.5))


def _register(p: QPainter) -> None:  # a tag
    path = QPainterPath(QPointF(4, 4))
    path.lineTo(12, 4)
    path.lineTo(20, 12)
    path.lineTo(12, 20)
    path.lineTo(4, 12)
    path.closeSubpath()
    p.drawPath(path)
    p.drawEllipse(QPointF(8.5, 8.5), 1.5, 1.5)


def _package(p: QPainter) -> None:  # a box
    p.drawRect(QRectF(5, 8, 14, 12))
    p.drawPolyline([QPointF(5, 8), QPointF(8, 4), QPointF(16, 4), QPointF(19, 8)])
    p.drawLine(QPointF(12, 8), QPointF(12, 13))


def _test(p: QPainter) -> None:  # a flask
    path = QPainterPath(QPointF(10, 4))
    path.lineTo(10, 10)
    path.lineTo(5, 19)
    path.lineTo(19, 19)
    path.lineTo(14, 10)
    path.lineTo(14, 4)
    p.drawPath(path)
    p.drawLine(QPointF(8, 4), QPointF(16, 4))


def _approve(p: QPainter) -> None:  # a tick in a circle
    p.drawEllipse(QRectF(4, 4, 16, 16))
    p.drawPolyline([QPointF(8, 12), QPointF(11, 15), QPointF(16.5, 9)])


def _deploy(p: QPainter) -> None:  # a rocket-ish arrow up
    p.drawPolyline([QPointF(6, 11), QPointF(12, 4), QPointF(18, 11)])
    p.drawLine(QPointF(12, 4), QPointF(12, 17))
    p.drawLine(QPointF(6, 20), QPointF(18, 20))


def _traffic(p: QPainter) -> None:  # arrows to the right
    for y in (7, 12, 17):
        p.drawLine(QPointF(4, y), QPointF(18, y))
        p.drawPolyline([QPointF(15, y - 2.5), QPointF(18, y), QPointF(15, y + 2.5)])


def _serve(p: QPainter) -> None:  # a server
    p.drawRoundedRect(QRectF(4, 5, 16, 6), 1.5, 1.5)
    p.drawRoundedRect(QRectF(4, 13, 16, 6), 1.5, 1.5)
    p.drawPoint(QPointF(7, 8))
    p.drawPoint(QPointF(7, 16))


def _experiment(p: QPainter) -> None:  # A/B
    p.drawRoundedRect(QRectF(3, 6, 8, 12), 2, 2)
    p.drawRoundedRect(QRectF(13, 6, 8, 12), 2, 2)


def _monitor(p: QPainter) -> None:  # a pulse line
    p.drawPolyline(
        [
            QPointF(3, 13),
            QPointF(8, 13),
            QPointF(10, 7),
            QPointF(14, 18),
            QPointF(16, 13),
            QPointF(21, 13),
        ]
    )


def _python(p: QPainter) -> None:  # code brackets
    p.drawPolyline([QPointF(9, 6), QPointF(4, 12), QPointF(9, 18)])
    p.drawPolyline([QPointF(15, 6), QPointF(20, 12), QPointF(15, 18)])
    p.drawLine(QPointF(13.5, 5), QPointF(10.5, 19))


def _generic(p: QPainter) -> None:  # a cube outline
    p.drawRoundedRect(QRectF(5, 5, 14, 14), 3, 3)
    p.drawEllipse(QPointF(12, 12), 2.5, 2.5)


GLYPHS: dict[str, Glyph] = {
    "data": _data,
    "validate": _validate,
    "split": _split,
    "features": _features,
    "train": _train,
    "tune": _tune,
    "evaluate": _evaluate,
    "gate": _gate,
    "register": _register,
    "package": _package,
    "test": _test,
    "approve": _approve,
    "deploy": _deploy,
    "traffic": _traffic,
    "serve": _serve,
    "experiment": _experiment,
    "monitor": _monitor,
    "python": _python,
}
# Category icons (palette headers) reuse a stage glyph.
CATEGORY_GLYPHS = {"Data": "data", "Model": "train", "Operate": "deploy", "Custom": "python"}

_cache: dict[tuple[str, str, int, float], QPixmap] = {}


def paint_glyph(painter: QPainter, rect: QRectF, name: str, colour: QColor) -> None:
    """Draw icon ``name`` (a rounded square of ``colour`` with a white glyph) into ``rect``."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QBrush(colour))
    radius = rect.width() * 0.22
    painter.drawRoundedRect(rect, radius, radius)
    painter.translate(rect.topLeft())
    scale = rect.width() / 24.0
    painter.scale(scale, scale)
    # A slightly inset glyph keeps it clear of the rounded corners.
    painter.translate(12, 12)
    painter.scale(0.78, 0.78)
    painter.translate(-12, -12)
    pen = QPen(QColor("white"), 2.0)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    GLYPHS.get(name, _generic)(painter)
    painter.restore()


def icon_pixmap(name: str, colour: QColor | str, size: int = 24, dpr: float = 2.0) -> QPixmap:
    """A cached pixmap of icon ``name`` on ``colour``, ``size`` logical pixels wide."""
    c = QColor(colour)
    key = (name, c.name(), size, dpr)
    pm = _cache.get(key)
    if pm is None:
        px = max(1, round(size * dpr))
        pm = QPixmap(px, px)
        pm.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pm)
        paint_glyph(painter, QRectF(0, 0, px, px), name, c)
        painter.end()
        pm.setDevicePixelRatio(dpr)
        _cache[key] = pm
    return pm


def stage_icon(icon: str, category: str, size: int = 24) -> QIcon:
    """A QIcon for a stage spec (its ``icon`` name on its category colour)."""
    return QIcon(icon_pixmap(icon, category_colour(category), size))


def category_icon(category: str, size: int = 20) -> QIcon:
    return QIcon(icon_pixmap(CATEGORY_GLYPHS.get(category, ""), category_colour(category), size))


def write_svg(path: str, name: str, colour: QColor | str, size: int = 48) -> None:
    """Write icon ``name`` as an SVG file (how resources/icons/ is made from these glyphs)."""
    from PySide6.QtCore import QSize
    from PySide6.QtSvg import QSvgGenerator

    generator = QSvgGenerator()
    generator.setFileName(path)
    generator.setSize(QSize(size, size))
    generator.setViewBox(QRectF(0, 0, size, size))
    generator.setTitle(name)
    painter = QPainter(generator)
    paint_glyph(painter, QRectF(0, 0, size, size), name, QColor(colour))
    painter.end()
