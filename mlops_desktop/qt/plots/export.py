"""Export plots: PNG and SVG through pyqtgraph's exporters, CSV from the numbers behind the
plot, and offscreen rendering to PNG bytes for reports (``render_png``)."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyqtgraph as pg
import pyqtgraph.exporters as pg_exporters
from PySide6 import QtCore, QtGui, QtWidgets

from mlops_desktop.core.errors import FormatError
from mlops_desktop.qt import colors
from mlops_desktop.qt.plots._common import PlotPanel, apply_plot_theme

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_svg_patched = False


def _patch_svg_exporter() -> None:
    """Recent Qt versions end closed paths with a ``Z`` command, which pyqtgraph's SVG
    exporter (0.13-0.14, pyqtgraph issue #3485) cannot parse. Take the ``Z`` out before its
    coordinate pass and put it back afterwards."""
    global _svg_patched
    if _svg_patched:
        return
    module: Any = sys.modules[pg_exporters.SVGExporter.__module__]  # pyqtgraph internals
    original = module.correctCoordinates

    def paths(node: Any) -> list[Any]:
        found = []
        for child in getattr(node, "childNodes", []):
            if getattr(child, "tagName", "") == "path":
                found.append(child)
            found.extend(paths(child))
        return found

    def correct_coordinates(node: Any, defs: Any, item: Any, options: Any) -> Any:
        closed = []
        for path in paths(node):
            d = path.getAttribute("d")
            tokens = d.split()
            if any(t in ("Z", "z") for t in tokens):
                path.setAttribute("d", " ".join(t for t in tokens if t not in ("Z", "z")))
                closed.append(path)
        result = original(node, defs, item, options)
        for path in closed:
            path.setAttribute("d", path.getAttribute("d").rstrip() + " Z")
        return result

    module.correctCoordinates = correct_coordinates
    _svg_patched = True


def _prepare(target: Any) -> None:
    """Bring a plot up to date before exporting it: layouts settled and auto-ranges applied
    (pyqtgraph defers both to the next paint, which a never-shown panel has not had)."""
    QtWidgets.QApplication.sendPostedEvents()
    items = target.plot_items() if isinstance(target, PlotPanel) else [target]
    for item in items:
        view = getattr(item, "vb", None)
        if view is not None:
            view.prepareForPaint()


def _scene_source(target: Any) -> Any:
    """What pyqtgraph's exporters take: a PlotItem stays, a panel gives its whole layout."""
    _prepare(target)
    if isinstance(target, PlotPanel):
        return target.layout_widget.ci  # every plot of the panel and a legend row above it
    if isinstance(target, pg.GraphicsView):
        return target.scene()
    return target


def _restyle(target: Any) -> None:
    if isinstance(target, PlotPanel):
        target.apply_theme()
    elif isinstance(target, pg.GraphicsView):
        apply_plot_theme(target)
    elif isinstance(target, pg.PlotItem):
        apply_plot_theme(None, [target])


@contextmanager
def _light(target: Any) -> Iterator[None]:
    """Draw ``target`` in the light scheme (files and reports look the same in any theme)."""
    if not colors.is_dark():
        yield
        return
    try:
        with colors.forced_light():
            _restyle(target)
            yield
    finally:
        _restyle(target)


def _image_bytes(image: QtGui.QImage) -> bytes:
    buffer = QtCore.QBuffer()
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]  # takes a str format
    data = bytes(buffer.data().data())
    buffer.close()
    return data


def render_png(target: Any, width: int = 800, height: int = 500) -> bytes:
    """Render a plot offscreen to PNG bytes of exactly ``width`` x ``height`` pixels.

    ``target``: a plot panel (its plots only, without the tool row), any QWidget (drawn at
    that size), or a pyqtgraph PlotItem / GraphicsItem (drawn by pyqtgraph's ImageExporter)."""
    if width <= 0 or height <= 0:
        raise ValueError("image size must be positive")
    with _light(target):
        return _render_png(target, width, height)


def _render_png(target: Any, width: int, height: int) -> bytes:
    if isinstance(target, PlotPanel):
        # Only the plots: tool buttons and hover readouts mean nothing in a report.
        extras = _panel_extras(target)
        hidden = [w.isHidden() for w in extras]
        margins = target.tools.contentsMargins()
        for w in extras:
            w.hide()
        target.tools.setContentsMargins(0, 0, 0, 0)
        try:
            return _grab_png(target, width, height)
        finally:
            target.tools.setContentsMargins(margins)
            for w, was_hidden in zip(extras, hidden, strict=True):
                w.setHidden(was_hidden)
    if isinstance(target, QtWidgets.QWidget):
        return _grab_png(target, width, height)
    _prepare(target)
    exporter = pg_exporters.ImageExporter(target)
    exporter.parameters()["width"] = width
    exporter.params.param("height").setValue(height, blockSignal=exporter.heightChanged)
    image = exporter.export(toBytes=True)
    return _image_bytes(image)


def _panel_extras(panel: PlotPanel) -> list[QtWidgets.QWidget]:
    """The widgets of a panel other than its plots (tool row, readouts)."""
    out = []
    for layout in (panel.tools, panel.box):
        for i in range(layout.count()):
            item = layout.itemAt(i)
            widget = item.widget() if item is not None else None
            if widget is not None and widget is not panel.layout_widget:
                out.append(widget)
    return out


def _grab_png(target: QtWidgets.QWidget, width: int, height: int) -> bytes:
    old = target.size()
    target.resize(width, height)
    layout = target.layout()
    if layout is not None:
        layout.activate()
    QtWidgets.QApplication.sendPostedEvents()
    pixmap = target.grab(QtCore.QRect(0, 0, width, height))
    target.resize(old)
    return _image_bytes(pixmap.toImage())


def export_png(target: Any, path: str | Path, width: int | None = None) -> Path:
    """Write the plot (or every plot of a panel) as a PNG file."""
    path = Path(path)
    with _light(target):
        exporter = pg_exporters.ImageExporter(_scene_source(target))
        exporter.parameters()["background"] = colors.role("plot_background")
        if width:
            exporter.parameters()["width"] = int(width)
        exporter.export(str(path))
    return path


def export_svg(target: Any, path: str | Path) -> Path:
    """Write the plot (or every plot of a panel) as an SVG file."""
    path = Path(path)
    _patch_svg_exporter()
    with _light(target):
        exporter = pg_exporters.SVGExporter(_scene_source(target))
        exporter.parameters()["background"] = colors.role("plot_background")
        path.write_bytes(exporter.export(toBytes=True))
    return path


def csv_text(panel: PlotPanel) -> str:
    """The numbers behind a panel's plot as CSV text (header row first)."""
    headers, rows = panel.data_table()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue()


def export_csv(panel: PlotPanel, path: str | Path) -> Path:
    """Write the numbers behind a panel's plot as a CSV file."""
    path = Path(path)
    path.write_text(csv_text(panel), encoding="utf-8")
    return path


def export(panel: PlotPanel, path: str | Path) -> Path:
    """Export by file suffix: .png, .svg or .csv."""
    suffix = Path(path).suffix.lower()
    if suffix == ".png":
        return export_png(panel, path)
    if suffix == ".svg":
        return export_svg(panel, path)
    if suffix == ".csv":
        return export_csv(panel, path)
    raise FormatError(f"cannot export a plot as '{suffix or path}': use .png, .svg or .csv")
