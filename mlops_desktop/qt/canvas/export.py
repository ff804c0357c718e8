"""Export the canvas as PNG or SVG (for reports and sharing), without selection or grid,
always in the light scheme whatever the application's theme."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtSvg import QSvgGenerator

from mlops_desktop.core.errors import MlopsError
from mlops_desktop.qt import colors
from mlops_desktop.qt.canvas.scene import PipelineScene

MARGIN = 30.0
BACKGROUND = QColor("#ffffff")


class _Unselected:
    """Clear the selection (and restore it) and paint light, so exports look like the document."""

    def __init__(self, scene: PipelineScene) -> None:
        self.scene = scene

    def __enter__(self) -> None:
        self.light = colors.forced_light()  # documents look the same in either theme
        self.light.__enter__()
        self.items = self.scene.selectedItems()
        self.scene.blockSignals(True)
        for item in self.items:
            item.setSelected(False)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for item in self.items:
            item.setSelected(True)
        self.scene.blockSignals(False)
        self.light.__exit__(exc_type, exc, tb)


def _source(scene: PipelineScene) -> QRectF:
    rect = scene.content_rect()
    if rect.isEmpty():
        rect = QRectF(0, 0, 200, 100)
    return rect.adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)


def render_image(scene: PipelineScene, scale: float = 2.0, max_side: int = 16000) -> QImage:
    """The whole pipeline as an image, ``scale`` pixels per scene unit (capped in size)."""
    source = _source(scene)
    scale = min(scale, max_side / max(source.width(), source.height()))
    size = QSize(max(1, round(source.width() * scale)), max(1, round(source.height() * scale)))
    image = QImage(size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(BACKGROUND)
    painter = QPainter(image)
    painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
    with _Unselected(scene):
        scene.render(
            painter,
            QRectF(0, 0, size.width(), size.height()),
            source,
            Qt.AspectRatioMode.KeepAspectRatio,
        )
    painter.end()
    return image


def export_png(scene: PipelineScene, path: str | Path, scale: float = 2.0) -> None:
    image = render_image(scene, scale)
    image.setDotsPerMeterX(round(3780 * scale))
    image.setDotsPerMeterY(round(3780 * scale))
    if not image.save(str(path), "PNG"):  # type: ignore[call-overload]  # takes a str format
        raise MlopsError(f"could not write the PNG file {path}")


def export_svg(scene: PipelineScene, path: str | Path, title: str = "Pipeline") -> None:
    source = _source(scene)
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(QSize(round(source.width()), round(source.height())))
    generator.setViewBox(QRectF(0, 0, source.width(), source.height()))
    generator.setTitle(title)
    generator.setDescription("Exported from MLOps Desktop")
    painter = QPainter()
    if not painter.begin(generator):
        raise MlopsError(f"could not write the SVG file {path}")
    painter.fillRect(QRectF(0, 0, source.width(), source.height()), BACKGROUND)
    with _Unselected(scene):
        scene.render(painter, QRectF(0, 0, source.width(), source.height()), source)
    painter.end()
    if not Path(path).exists():
        raise MlopsError(f"could not write the SVG file {path}")
