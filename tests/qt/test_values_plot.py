"""The final-values plot redrawn for another run: one bar and one visible label per value,
nothing left over from the run shown before (its items are reused, not made again)."""

from __future__ import annotations

import math

from mlops_desktop.qt.plots.values import MetricValuesPlot


def _shown_labels(plot: MetricValuesPlot) -> list[str]:
    import pyqtgraph as pg

    items = plot.plot_item.vb.addedItems
    return [i.textItem.toPlainText() for i in items if isinstance(i, pg.TextItem) and i.isVisible()]


def test_values_redrawn_for_fewer_and_more_metrics(qtbot) -> None:
    plot = MetricValuesPlot()
    qtbot.addWidget(plot)
    plot.set_values([("a", 0.5), ("b", -0.25), ("c", 1.0), ("d", 2.0), ("e", 3.0)], "Final")
    assert len(_shown_labels(plot)) == 5
    bars = plot._bars
    plot.set_values([("accuracy", 0.91), ("f1", float("nan"))])
    assert sorted(_shown_labels(plot)) == ["0.91", "missing"]
    assert plot.data_table()[1][0] == ("accuracy", 0.91)
    assert math.isnan(plot.data_table()[1][1][1])
    assert plot._bars is bars and len(bars.opts["width"]) == 2
    plot.set_values([])
    assert _shown_labels(plot) == [] and not bars.isVisible()
    plot.set_values([("x", 1.0), ("y", 2.0), ("z", 4.0)])
    assert sorted(_shown_labels(plot)) == ["1", "2", "4"] and bars.isVisible()


def test_values_all_zero_get_an_axis_from_zero_to_one(qtbot) -> None:
    """A live run's first counts are often all 0: the axis reads 0 to 1, not 0 to 0.15."""
    plot = MetricValuesPlot()
    qtbot.addWidget(plot)
    plot.set_values([("schema_violations", 0.0), ("drift_amount", 0.0)])
    lo, hi = plot.plot_item.viewRange()[0]
    assert lo < 0 < 1 < hi < 1.3
