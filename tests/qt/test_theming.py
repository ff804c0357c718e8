"""Light and dark themes: the canvas and the plots follow a theme switch both ways, and
images exported for files and reports stay light whatever the theme."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication

from mlops_desktop.app.templates import load_template
from mlops_desktop.qt import colors
from mlops_desktop.qt.theme import ThemeManager


def lightness(colour: QColor) -> int:
    return colour.lightness()


def switch(qtbot, theme: ThemeManager, mode: str, done) -> None:  # noqa: ANN001
    """Switch the theme; widgets hear of the new palette from the event loop."""
    theme.set_mode(mode)
    qtbot.waitUntil(done, timeout=3000)


@pytest.fixture
def theme(qapp: QApplication):
    """A ThemeManager on the test application; the palette and style are restored after."""
    palette, style = qapp.palette(), qapp.style().name()
    manager = ThemeManager(qapp, "light")
    yield manager
    manager.set_mode("light")
    manager.setParent(None)
    manager.deleteLater()
    qapp.setPalette(palette)
    qapp.setStyle(style)
    colors.refresh()


@pytest.fixture
def editor(qtbot, theme):
    from mlops_desktop.qt.document.editor import PipelineEditor

    pipeline = load_template("google")[0]
    ed = PipelineEditor(pipeline)
    qtbot.addWidget(ed)
    ed.resize(900, 600)
    ed.show()
    qtbot.waitExposed(ed)
    ed.set_lens("google")
    return ed


def test_canvas_background_and_nodes_follow_the_theme_both_ways(qtbot, theme, editor) -> None:
    from mlops_desktop.qt.canvas import theme as T

    view = editor.view
    assert lightness(view.backgroundBrush().color()) > 200
    assert lightness(T.NODE_FILL) > 200 and lightness(T.TITLE_TEXT) < 80
    with qtbot.waitSignal(theme.theme_changed):
        switch(qtbot, theme, "dark", lambda: lightness(view.backgroundBrush().color()) < 50)
    assert theme.is_dark and colors.is_dark()
    assert lightness(T.NODE_FILL) < 70 and lightness(T.TITLE_TEXT) > 200
    # What the view paints, not only what it holds: a background corner of the viewport.
    image = view.viewport().grab().toImage()
    assert lightness(image.pixelColor(2, image.height() - 2)) < 60
    with qtbot.waitSignal(theme.theme_changed):
        switch(qtbot, theme, "light", lambda: lightness(view.backgroundBrush().color()) > 200)
    image = view.viewport().grab().toImage()
    assert lightness(image.pixelColor(2, image.height() - 2)) > 200


def test_plot_background_and_axes_follow_the_theme_both_ways(qtbot, theme) -> None:
    from mlops_desktop.qt.plots.series import MetricPlotWidget

    panel = MetricPlotWidget()
    qtbot.addWidget(panel)
    panel.show()
    axis = panel.plot_items()[0].getAxis("left")
    assert lightness(panel.layout_widget.backgroundBrush().color()) > 240
    assert lightness(axis.textPen().color()) < 80
    background = panel.layout_widget.backgroundBrush
    switch(qtbot, theme, "dark", lambda: lightness(background().color()) < 50)
    assert lightness(axis.textPen().color()) > 180
    switch(qtbot, theme, "light", lambda: lightness(background().color()) > 240)
    assert lightness(axis.textPen().color()) < 80


def test_a_panel_made_in_the_dark_theme_is_dark_from_the_start(qtbot, theme) -> None:
    from mlops_desktop.qt.plots.diagnostics import ConfusionMatrixPlot

    theme.set_mode("dark")
    panel = ConfusionMatrixPlot()
    qtbot.addWidget(panel)
    assert lightness(panel.layout_widget.backgroundBrush().color()) < 50


def _png_corner(data: bytes) -> QColor:
    image = QImage.fromData(data, "PNG")
    assert not image.isNull()
    return image.pixelColor(1, 1)


def test_exports_stay_light_in_the_dark_theme(qtbot, theme, editor, tmp_path) -> None:
    from mlops_desktop.qt.canvas import export
    from mlops_desktop.qt.plots import export as plot_export
    from mlops_desktop.qt.plots.series import MetricPlotWidget

    theme.set_mode("dark")
    scene = editor.scene
    image = export.render_image(scene, scale=1.0)
    assert lightness(image.pixelColor(1, 1)) > 240
    # The nodes are drawn in the light scheme too: no dark node body anywhere.
    dark_pixels = sum(
        1
        for x in range(0, image.width(), 7)
        for y in range(0, image.height(), 7)
        if lightness(image.pixelColor(x, y)) < 60
    )
    # (titles and ports are dark; dark node bodies would cover about a tenth of the image)
    assert dark_pixels < 0.03 * (image.width() // 7) * (image.height() // 7)
    export.export_svg(scene, tmp_path / "canvas.svg")
    svg = (tmp_path / "canvas.svg").read_text()
    assert "#1b1d22" not in svg and "#2a2e35" not in svg  # dark canvas and node fills
    assert colors.is_dark()  # exporting did not switch the theme

    panel = MetricPlotWidget()
    qtbot.addWidget(panel)
    panel.resize(500, 300)
    assert lightness(panel.layout_widget.backgroundBrush().color()) < 50
    png = plot_export.render_png(panel, 400, 250)
    assert lightness(_png_corner(png)) > 240
    plot_export.export_png(panel, tmp_path / "plot.png")
    assert lightness(_png_corner((tmp_path / "plot.png").read_bytes())) > 240
    # ...and the panel on screen is dark again afterwards.
    assert lightness(panel.layout_widget.backgroundBrush().color()) < 50


def test_report_figures_are_light_in_the_dark_theme(qtbot, theme) -> None:
    from mlops_desktop.qt.reports.figures import render_images
    from mlops_desktop.reports.model import Figure, PipelineSection, ProjectSummary, ReportData

    theme.set_mode("dark")
    pipeline = load_template("aws")[0]
    picture = Figure(caption="Pipeline", kind="pipeline", data=(pipeline, "aws"))
    data = ReportData(project=ProjectSummary(name="demo"))
    data.pipeline = PipelineSection(name=pipeline.name, picture=picture)
    assert render_images(data) == []
    assert picture.png is not None
    assert lightness(_png_corner(picture.png)) > 240
    assert colors.is_dark()


def test_status_colours_of_the_triggers_and_models_panels_follow_the_theme(qtbot, theme) -> None:
    """Coloured outcome and deployment cells are recoloured live on a theme switch."""
    from datetime import UTC, datetime

    from mlops_desktop.core.operate_entities import Deployment, TriggerEvent
    from mlops_desktop.qt.operate.models_panel import ModelsPanel
    from mlops_desktop.qt.operate.triggers_panel import TriggersPanel

    now = datetime.now(UTC)
    triggers = TriggersPanel()
    qtbot.addWidget(triggers)
    triggers._events = [TriggerEvent(1, 1, 1, "schedule", "failed", now, detail={"error": "x"})]
    triggers._show()
    models = ModelsPanel()
    qtbot.addWidget(models)
    deployment = Deployment(
        id=1,
        project_id=1,
        model_version_id=1,
        model_name="m",
        version=1,
        environment="production",
        strategy="direct",
        traffic_share=1.0,
        approver="dana",
        status="active",
        created_at=now,
    )
    models._show_deployments([deployment])
    status_col = [
        models.deployments.horizontalHeaderItem(c).text()
        for c in range(models.deployments.columnCount())
    ].index("Status")

    def cells() -> tuple[int, int]:
        return (
            triggers.events.item(0, 3).foreground().color().lightness(),
            models.deployments.item(0, status_col).foreground().color().lightness(),
        )

    light = cells()
    switch(qtbot, theme, "dark", lambda: cells()[0] > light[0] and cells()[1] > light[1])
    switch(qtbot, theme, "light", lambda: cells() == light)
