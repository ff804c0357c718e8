"""Run comparison defaults: a parameter that varies, categorical axes named, and per-run
charts for metrics of one value per run."""

from __future__ import annotations

import numpy as np
import pytest

from mlops_desktop.app import plot_data as P

pytest.importorskip("pytestqt")


def drawn_tick_labels(axis) -> list[str]:  # noqa: ANN001 - a pyqtgraph AxisItem
    """The tick texts the axis really draws (pyqtgraph drops those that cross its ends)."""
    from PySide6 import QtGui

    image = QtGui.QImage(8, 8, QtGui.QImage.Format.Format_ARGB32)
    painter = QtGui.QPainter(image)
    try:
        _axis_spec, _tick_specs, text_specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [text for _rect, _flags, text in text_specs]


def estimator_comparison() -> P.RunComparison:
    return P.RunComparison(
        [1, 2],
        ["#1", "#2"],
        {"accuracy": np.array([0.958, 0.986]), "f1": np.array([0.967, 0.989])},
        {
            "Deploy.environment": ["production", "production"],
            "Train.C": [None, 0.5],  # only logistic regression has C
            "Train.estimator": ["random_forest", "logistic_regression"],
            "Train.seed": [0, 0],
        },
        np.array([1.7e9, 1.7e9 + 60]),
    )


def test_parameters_tab_defaults_to_a_parameter_every_run_sets_differently(qtbot):
    from mlops_desktop.qt.plots.compare import GroupPlot, ParamPlot, default_param

    comp = estimator_comparison()
    assert default_param(comp) == "Train.estimator"
    plot = ParamPlot()
    qtbot.addWidget(plot)
    plot.resize(900, 500)
    plot.show()
    qtbot.waitExposed(plot)
    plot.set_comparison(comp, "accuracy")
    assert plot.param_combo.currentText() == "Train.estimator"
    headers, rows = plot.data_table()
    assert headers == ["run_id", "Train.estimator", "accuracy"]
    assert [r[1] for r in rows] == ["random_forest", "logistic_regression"]
    # Both category names are really drawn under the axis (the first one sat on the axis end
    # and was dropped by pyqtgraph).
    labels = drawn_tick_labels(plot.plot_item.getAxis("bottom"))
    assert "random_forest" in labels and "logistic_regression" in labels
    groups = GroupPlot()
    qtbot.addWidget(groups)
    groups.set_comparison(comp, "accuracy")
    assert groups.param_combo.currentText() == "Train.estimator"
    # every run a grey dot, all in one item, beside its group's mean marker
    import pyqtgraph as pg

    scatters = [i for i in groups.plot_item.items if isinstance(i, pg.ScatterPlotItem)]
    assert len(scatters) == 2
    assert sorted(len(s.data) for s in scatters) == [len(groups.stats.labels), len(comp.run_ids)]


def test_parameter_choice_is_kept_only_while_it_still_varies(qtbot):
    from mlops_desktop.qt.plots.compare import ParamPlot

    plot = ParamPlot()
    qtbot.addWidget(plot)
    same = P.RunComparison(
        [1, 2],
        ["#1", "#2"],
        {"accuracy": np.array([0.9, 0.9])},
        {"A.x": [1, 1], "Train.estimator": ["svm", "svm"]},
        np.array([0.0, 1.0]),
    )
    plot.set_comparison(same)
    assert plot.param_combo.currentText() == "A.x"  # nothing varies: the first one
    plot.set_comparison(estimator_comparison())
    assert plot.param_combo.currentText() == "Train.estimator"


def test_series_tab_shows_one_value_per_run_and_lines_for_real_series(qtbot):
    from mlops_desktop.qt.plots.compare import RunComparisonView

    comp = estimator_comparison()
    logged = {
        (1, "accuracy"): [0.958],
        (2, "accuracy"): [0.986],
        (1, "loss"): list(np.linspace(1.0, 0.2, 30)),
        (2, "loss"): list(np.linspace(0.9, 0.1, 40)),
    }

    def loader(rid: int, key: str) -> P.Series:
        values = logged.get((rid, key), [])
        return P.make_series(
            rid, key, np.arange(len(values)), values, 1.7e9 + np.arange(len(values))
        )

    view = RunComparisonView()
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    qtbot.waitExposed(view)
    view.set_comparison(comp, ["accuracy", "loss"], loader)
    view.tabs.setCurrentIndex(1)
    assert view.series_key.currentText() == "accuracy"
    # One value per run: a marker per run, the runs named on the x axis, not an empty plot.
    assert view.series_stack.currentWidget() is view.run_values
    headers, rows = view.run_values.data_table()
    assert headers == ["run_id", "accuracy"] and rows == [(1, 0.958), (2, 0.986)]
    assert drawn_tick_labels(view.run_values.plot_item.getAxis("bottom")) == ["#1", "#2"]
    lo, hi = view.run_values.plot_item.viewRange()[1]
    assert lo < 0.958 and hi > 0.986
    assert view.run_values.tools.indexOf(view.series_key) >= 0  # the picker goes along
    # A real series: overlaid lines, one per run.
    view.series_key.setCurrentText("loss")
    assert view.series_stack.currentWidget() is view.series
    assert view.series.tools.indexOf(view.series_key) >= 0
    assert [s.run_id for s in view.series.series()] == [1, 2]
    assert view.series.line_data(2, "loss")[1].size == 40
    view.series_key.setCurrentText("accuracy")
    assert view.series_stack.currentWidget() is view.run_values
    assert not view.series.series()


def test_runs_at_the_same_spot_share_one_label(qtbot):
    from mlops_desktop.qt.plots.compare import ParamPlot

    same = P.RunComparison(
        [1, 2],
        ["#1", "#2"],
        {"accuracy": np.array([0.958, 0.958])},
        {"Deploy.environment": ["production", "production"]},
        np.array([0.0, 1.0]),
    )
    plot = ParamPlot()
    qtbot.addWidget(plot)
    plot.set_comparison(same, "accuracy")
    assert plot.point_labels == ["#1, #2"]
    assert "no parameter differs" in plot.plot_item.titleLabel.text
