"""The Maturity overview's charts on a real project: radar labels are the crosswalk's
capability titles and never overlap in a short panel, level bars of 0 stay visible, and the
history's time axis shows dates around a single assessment."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from PySide6 import QtGui  # noqa: E402

from mlops_desktop.app.assessment import AssessmentService  # noqa: E402
from mlops_desktop.app.projects import ProjectService  # noqa: E402
from mlops_desktop.app.workspace import Workspace  # noqa: E402
from mlops_desktop.qt.maturity.view import MaturityView  # noqa: E402

CROSSWALK = Path(__file__).resolve().parents[2] / "resources" / "maturity" / "crosswalk.json"


@pytest.fixture
def overview(qtbot, tmp_path: Path):
    ws = Workspace.open(str(tmp_path / "ws.db"))
    ProjectService(ws).create_project("demo", "google")
    view = MaturityView(AssessmentService(ws))
    qtbot.addWidget(view)
    view.resize(1000, 520)  # a short panel
    view.show()
    qtbot.waitExposed(view)
    with qtbot.waitSignal(view.assessed):
        view.set_project("demo")
    chart = view.overview_holder.layout().itemAt(0).widget()
    qtbot.waitExposed(chart)
    qtbot.wait(50)
    yield view, chart
    ws.close()


def drawn_tick_labels(axis) -> list[str]:  # noqa: ANN001 - a pyqtgraph AxisItem
    image = QtGui.QImage(8, 8, QtGui.QImage.Format.Format_ARGB32)
    painter = QtGui.QPainter(image)
    try:
        return [text for _r, _f, text in axis.generateDrawSpecs(painter)[2]]
    finally:
        painter.end()


def test_radar_labels_are_capability_titles_that_do_not_overlap(qtbot, overview) -> None:
    view, chart = overview
    titles = {c["id"]: c["capability"] for c in json.loads(CROSSWALK.read_text())["capabilities"]}
    caps = [cap for cap, _ in view.assessment.crosswalk.capabilities]
    labels = chart.radar_labels.labels
    assert len(labels) == len(caps) == len(titles)
    rects = []
    for (item, _angle, title), cap in zip(labels, caps, strict=True):
        assert title.lower() == titles[cap.id].lower() and title != cap.id.removeprefix("x.")
        assert item.isVisible(), title  # every capability keeps a label in this panel
        text = item.textItem.toPlainText()
        assert text == title or (text.endswith("…") and title.startswith(text[:-1]))
        assert item.toolTip() == title
        rect = item.mapRectToScene(item.boundingRect()).adjusted(3, 3, -3, -3)  # text margin
        rects.append((text, rect))
    overlaps = [
        (a, b) for i, (a, ra) in enumerate(rects) for b, rb in rects[i + 1 :] if ra.intersects(rb)
    ]
    assert not overlaps
    # A narrower panel re-places the labels, still without overlaps.
    before = list(chart.radar_labels.rects)
    view.resize(760, 480)
    qtbot.waitUntil(lambda: chart.radar_labels.rects != before, timeout=2000)
    placed = chart.radar_labels.rects
    assert all(not a.intersects(b) for i, a in enumerate(placed) for b in placed[i + 1 :])


def test_levels_of_zero_keep_a_visible_bar_and_history_shows_dates(overview) -> None:
    from mlops_desktop.qt.maturity.charts import DAY

    view, chart = overview
    levels = [view.assessment.models[m].normalized for m in ("google", "azure", "aws")]
    assert levels == [0, 0, 0] and view.assessment.crosswalk.level == 0
    for bar in chart.level_bars:
        assert bar.opts["height"][0] > 0
        assert bar.mapRectToScene(bar.boundingRect()).height() >= 3  # pixels on screen
    trend = chart.trend_plot
    (x0, x1), _ = trend.viewRange()
    assert x1 - x0 >= DAY  # not a fraction of a second around the one assessment
    ticks = drawn_tick_labels(trend.getAxis("bottom"))
    assert ticks and all(re.fullmatch(r"\d\d [A-Z][a-z]{2}", t) for t in ticks), ticks
    assert "1 assessment" in trend.getAxis("bottom").labelText
