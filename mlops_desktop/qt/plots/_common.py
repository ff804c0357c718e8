"""What every plot shares: colours that follow the light or dark theme, a colour-blind-safe
palette, and ``PlotPanel``, the base of each plot widget (a toolbar row, the pyqtgraph view,
export actions, and the table of numbers behind the plot for CSV export).

Plots take their background, axis, title and legend colours from
:mod:`mlops_desktop.qt.colors` and restyle themselves when the application palette changes
(:func:`apply_plot_theme`); exports for files and reports are drawn in the light scheme."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from mlops_desktop.qt import colors

# Tableau 10: distinct on white, readable for the common colour-vision deficiencies.
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
FOREGROUND = "#333333"  # the light scheme's text colour (dark text on pale heatmap cells)
BACKGROUND = "w"
GRID_ALPHA = 0.15

pg.setConfigOptions(background=BACKGROUND, foreground=FOREGROUND, useNumba=False)


def foreground() -> QtGui.QColor:
    """Text and marker outlines on the plot background, in the current scheme."""
    return colors.role("plot_foreground")


def apply_plot_theme(view: pg.GraphicsView | None, items: Sequence[Any] = ()) -> None:
    """Give a pyqtgraph view and its plots and legends the current scheme's colours.

    ``items``: extra plots or legends that are not direct items of a layout ``view``."""
    if view is not None:
        view.setBackground(colors.role("plot_background"))
    found = list(items)
    layout = getattr(view, "ci", None)
    if layout is not None:
        found += list(layout.items)
    fg, axis_pen = colors.role("plot_foreground"), colors.role("plot_axis")
    for item in found:
        if isinstance(item, pg.PlotItem):
            for name in ("left", "bottom", "right", "top"):
                axis = item.getAxis(name)
                axis.setPen(axis_pen)
                axis.setTextPen(fg)
            title = item.titleLabel
            if title.text:
                title.setText(title.text, color=fg)
            legend = item.legend
            if legend is not None:
                _style_legend(legend)
        elif isinstance(item, pg.LegendItem):
            _style_legend(item)


def _style_legend(legend: pg.LegendItem) -> None:
    fg = colors.role("plot_foreground")
    legend.setLabelTextColor(fg)
    for _sample, label in legend.items:  # existing labels keep their colour until re-set
        label.setText(label.text, color=fg)
    if legend.opts["brush"].style() != QtCore.Qt.BrushStyle.NoBrush:  # a boxed legend
        legend.setBrush(pg.mkBrush(colors.role("legend_fill")))
        legend.setPen(pg.mkPen(colors.role("legend_border")))


def colour(index: int, alpha: int = 255) -> QtGui.QColor:
    c = QtGui.QColor(PALETTE[index % len(PALETTE)])
    c.setAlpha(alpha)
    return c


def pen(index: int, width: float = 1.5, alpha: int = 255, style: Any = None) -> QtGui.QPen:
    p = pg.mkPen(colour(index, alpha), width=width)
    p.setCosmetic(True)
    if style is not None:
        p.setStyle(style)
    return p


def style_plot(plot: pg.PlotItem, title: str = "", x: str = "", y: str = "") -> pg.PlotItem:
    """Axis labels, a faint grid and a title in the house style."""
    if title:
        plot.setTitle(title, size="10pt", color=foreground())
    if x:
        plot.setLabel("bottom", x)
    if y:
        plot.setLabel("left", y)
    plot.showGrid(x=True, y=True, alpha=GRID_ALPHA)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(colors.role("plot_axis"))
        axis.setTextPen(foreground())
        axis.setStyle(maxTickLevel=1)  # major and minor ticks only: fewer grid lines to draw
        no_si_prefix(axis)
    return plot


def no_si_prefix(axis: pg.AxisItem) -> None:
    """Plain numbers on an axis: no "(x0.001)" scaling. (pyqtgraph's enableAutoSIPrefix(False)
    can leave a stale scale behind, so reset the scale too.)"""
    axis.enableAutoSIPrefix(False)
    axis.autoSIPrefixScale = 1.0
    axis.labelUnitPrefix = ""
    axis.picture = None
    axis.update()


def add_legend(plot: pg.PlotItem, corner: str = "top-right") -> pg.LegendItem:
    """A legend on a translucent white box, anchored in a corner (draggable by the user)."""
    offsets = {
        "top-right": (-8, 8),
        "top-left": (8, 8),
        "bottom-right": (-8, -8),
        "bottom-left": (8, -8),
    }
    legend = plot.addLegend(
        offset=offsets[corner],
        brush=pg.mkBrush(colors.role("legend_fill")),
        pen=pg.mkPen(colors.role("legend_border")),
        labelTextColor=foreground(),
        labelTextSize="8pt",
    )
    return legend


def set_category_ticks(
    axis: pg.AxisItem, positions: Iterable[float], labels: Sequence[str], max_chars: int = 28
) -> None:
    """Label an axis with category names at fixed positions, widening a vertical axis so
    every name fits (long names are shortened with an ellipsis)."""
    names = [n if len(n) <= max_chars else n[: max_chars - 1] + "…" for n in map(str, labels)]
    axis.setTicks([[(float(p), n) for p, n in zip(positions, names, strict=True)]])
    if axis.orientation in ("left", "right"):
        metrics = QtGui.QFontMetrics(axis.style.get("tickFont") or QtGui.QFont())
        widest = max((metrics.horizontalAdvance(n) for n in names), default=0)
        axis.setWidth(widest + 16)


def widen_flat_range(plot: pg.PlotItem, values: Any) -> None:
    """Give the y axis a readable span when every value is the same: pyqtgraph would zoom
    into floating-point noise and label the ticks with fifteen digits."""
    import numpy as np

    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return
    low, high = float(finite.min()), float(finite.max())
    if high - low > 1e-9 * max(1.0, abs(high)):
        plot.enableAutoRange(axis="y")
        return
    half = max(abs(high) * 0.05, 0.05)
    plot.setYRange(low - half, high + half, padding=0)


def legend_above(layout: pg.GraphicsLayout, row: int = 0, col: int = 0) -> pg.LegendItem:
    """A legend in its own row above a plot, so it never covers the data."""
    legend = pg.LegendItem(
        labelTextColor=foreground(), labelTextSize="8pt", horSpacing=18, verSpacing=-4
    )
    layout.addItem(legend, row=row, col=col)
    return legend


def fmt(value: Any, digits: int = 4) -> str:
    """A number for a label or table cell: 4 significant digits, blank for missing."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:.{digits}g}"
    return str(value)


class PlotPanel(QtWidgets.QWidget):
    """Base of the plot widgets: a tool row above a pyqtgraph graphics view.

    Subclasses fill ``self.tools`` (a QHBoxLayout) with their controls, put their plots in
    ``self.layout_widget`` (a GraphicsLayoutWidget) and implement :meth:`data_table`."""

    export_name = "plot"

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.layout_widget = pg.GraphicsLayoutWidget()
        self.layout_widget.setBackground(colors.role("plot_background"))
        self.layout_widget.ci.setContentsMargins(6, 6, 10, 6)
        self.tools = QtWidgets.QHBoxLayout()
        self.tools.setContentsMargins(4, 2, 4, 2)
        self.tools.setSpacing(8)
        self._export_button = self._make_export_button()
        self.box = box = QtWidgets.QVBoxLayout(self)  # the panel's layout: tools, plots, extras
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addLayout(self.tools)
        box.addWidget(self.layout_widget, 1)

    # ------------------------------------------------------------------ subclass API
    def plot_items(self) -> list[pg.PlotItem]:
        """The plots in this panel (exported one by one when needed)."""
        return [i for i in self.layout_widget.ci.items if isinstance(i, pg.PlotItem)]

    def data_table(self) -> tuple[list[str], Sequence[Sequence[Any]]]:
        """Column headers and rows of the numbers drawn (what CSV export writes)."""
        raise NotImplementedError

    def apply_theme(self) -> None:
        """Restyle the plots for the current scheme (the palette changed, or an export)."""
        apply_plot_theme(self.layout_widget)

    def changeEvent(self, event: QtCore.QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if colors.scheme_changed_for(self, event):
            self.apply_theme()

    def finish_tools(self) -> None:
        """Push the export button to the right end of the tool row."""
        self.tools.addStretch(1)
        self.tools.addWidget(self._export_button)

    # ------------------------------------------------------------------ export
    def _make_export_button(self) -> QtWidgets.QToolButton:
        button = QtWidgets.QToolButton()
        button.setText("Export")
        button.setToolTip("Save this plot as PNG, SVG or CSV")
        button.setPopupMode(QtWidgets.QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QtWidgets.QMenu(button)
        for label, suffix in (("PNG image…", "png"), ("SVG drawing…", "svg"), ("CSV data…", "csv")):
            action = menu.addAction(label)
            action.triggered.connect(lambda _=False, s=suffix: self._on_export_triggered(s))
        button.setMenu(menu)
        return button

    def _on_export_triggered(self, suffix: str) -> None:
        from mlops_desktop.qt.plots import export

        filters = {"png": "PNG image (*.png)", "svg": "SVG drawing (*.svg)", "csv": "CSV (*.csv)"}
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self, "Export plot", f"{self.export_name}.{suffix}", filters[suffix]
        )
        if not path:
            return
        try:
            export.export(self, path)
        except OSError as exc:
            QtWidgets.QMessageBox.warning(self, "Export failed", f"Could not write {path}: {exc}")


def monospace_label(text: str = "") -> QtWidgets.QLabel:
    """A one-line readout label (hover values) that does not reflow the layout."""
    label = QtWidgets.QLabel(text)
    label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setStyleSheet("padding: 2px 6px;")  # the palette's text colour, light or dark
    label.setMinimumHeight(20)
    return label
