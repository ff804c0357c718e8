"""The Trends plots' legend stays compact: in columns across the width, never more than a
quarter of a short plot's height; what does not fit is counted, markers named first."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from mlops_desktop.app import plot_data as P

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC).timestamp()
FEATURES = [
    "mean radius", "mean texture", "mean perimeter", "fractal dimension error",
    "worst concave points", "compactness error", "mean concavity", "perimeter error",
    "radius error", "worst area", "mean area", "concavity error",
]  # fmt: skip
EVENTS = [
    P.TimelineEvent(NOW + 3600.0, "m v1", "model_version"),
    P.TimelineEvent(NOW + 3700.0, "m v1 → production", "deployment"),
    P.TimelineEvent(NOW + 7200.0, "accuracy fell", "alert", 2),
    P.TimelineEvent(NOW + 7300.0, "v2 to production", "promotion", 3),
]


def _drift() -> P.DriftTrend:
    times = NOW + np.arange(5) * 3600.0
    features = {
        name: (times, np.linspace(0.05, 0.5 - i * 0.03, 5)) for i, name in enumerate(FEATURES)
    }
    return P.DriftTrend("psi", features, 0.2, events=EVENTS)


@pytest.mark.parametrize("size", [(680, 234), (680, 320), (1300, 260), (900, 600)])
def test_the_drift_legend_takes_at_most_a_quarter_of_the_plot(qtbot, size) -> None:
    from mlops_desktop.qt.plots.trends import LEGEND_SHARE, DriftPlot

    plot = DriftPlot()
    qtbot.addWidget(plot)
    plot.resize(*size)
    plot.show()
    plot.set_drift(_drift())
    qtbot.wait(20)
    # The room the legend's row takes above the plot, its margins included.
    height = plot.plot_item.pos().y()
    assert height <= LEGEND_SHARE * plot.layout_widget.height() + 1, (height, size)
    names = [label.text for _, label in plot.legend.items]
    # The markers and event kinds are named first; the lines drawn follow as room allows.
    assert names[:2] == ["monitor alert", "promotion to production"], names
    drawn = min(len(FEATURES), plot.MAX_FEATURES)
    if plot.legend_hidden:
        assert names[-1] == f"+ {plot.legend_hidden} more"
        assert len(names) - 1 + plot.legend_hidden == drawn + 4
    else:
        assert len(names) == drawn + 4
    # The data area keeps the most of the rest (the title and the axes take theirs).
    assert plot.plot_item.vb.height() >= 0.35 * plot.layout_widget.height()


def test_a_taller_plot_names_more_and_a_short_one_follows_a_resize(qtbot) -> None:
    from mlops_desktop.qt.plots.trends import DriftPlot

    plot = DriftPlot()
    qtbot.addWidget(plot)
    plot.resize(700, 600)
    plot.show()
    plot.set_drift(_drift())
    qtbot.wait(20)
    tall = plot.legend_hidden
    plot.resize(700, 240)
    qtbot.wait(20)
    assert plot.legend_hidden > tall
    assert plot.plot_item.pos().y() <= 0.25 * plot.layout_widget.height() + 1
