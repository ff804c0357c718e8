"""Plot widgets: the numbers they draw equal scikit-learn's and numpy's, exports give valid
files, and live points are drawn at most about ten times a second."""

from __future__ import annotations

import csv
import io
import time
import xml.dom.minidom

import numpy as np
import pytest

from mlops_desktop.app import plot_data as P

pytest.importorskip("pytestqt")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def binary_fit():
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    data = load_breast_cancer()
    X_tr, X_te, y_tr, y_te = train_test_split(
        data.data, data.target, random_state=0, stratify=data.target
    )
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.05)).fit(X_tr, y_tr)
    return y_te, model.predict(X_te), model.predict_proba(X_te), list(data.target_names)


@pytest.fixture(scope="module")
def iris_fit():
    from sklearn.datasets import load_iris
    from sklearn.model_selection import train_test_split
    from sklearn.tree import DecisionTreeClassifier

    data = load_iris()
    X_tr, X_te, y_tr, y_te = train_test_split(data.data, data.target, random_state=3)
    model = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X_tr, y_tr)
    return y_te, model.predict(X_te), model.predict_proba(X_te)


def test_confusion_matrix_cells_equal_sklearn(qtbot, iris_fit):
    from sklearn.metrics import confusion_matrix

    from mlops_desktop.qt.plots.diagnostics import ConfusionMatrixPlot

    y, pred, proba = iris_fit
    diag = P.diagnostics_from_predictions(y, pred, proba, labels=[0, 1, 2])
    panel = ConfusionMatrixPlot()
    qtbot.addWidget(panel)
    panel.set_matrix(diag.confusion, ["setosa", "versicolor", "virginica"])
    expected = confusion_matrix(y, pred)
    np.testing.assert_array_equal(panel.matrix, expected)
    # The image shows each row's share; the cell texts show the counts.
    shares = expected / expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(panel.shares, shares)
    block = panel.image.image.shape[0] // 3
    np.testing.assert_allclose(panel.image.image[::block, ::block].T, shares)
    texts = [t.textItem.toPlainText() for t in panel._texts]
    assert texts == [str(v) for v in expected.ravel()]
    headers, rows = panel.data_table()
    assert headers[1:] == ["setosa", "versicolor", "virginica"]
    assert [r[1:] for r in rows] == expected.tolist()
    panel.normalize_check.setChecked(True)
    assert panel._texts[0].textItem.toPlainText().endswith("%")


def test_roc_and_pr_areas_equal_sklearn_and_appear_in_legend(qtbot, binary_fit):
    from sklearn.metrics import average_precision_score, roc_auc_score

    from mlops_desktop.qt.plots.diagnostics import CurvePlot

    y, pred, proba, _ = binary_fit
    diag = P.diagnostics_from_predictions(y, pred, proba, labels=[0, 1])
    auc = roc_auc_score(y, proba[:, 1])
    assert diag.roc["positive"].area == pytest.approx(auc)
    assert diag.pr["positive"].area == pytest.approx(average_precision_score(y, proba[:, 1]))
    roc = CurvePlot("roc")
    qtbot.addWidget(roc)
    roc.set_curves(diag.roc)
    labels = [label.text for _, label in roc.legend.items]
    assert f"AUC = {auc:.3f}" in labels[0]
    headers, rows = roc.data_table()
    assert headers == ["class", "fpr", "tpr", "area"] and len(rows) == diag.roc["positive"].x.size
    pr = CurvePlot("pr")
    qtbot.addWidget(pr)
    pr.set_curves(diag.pr, baseline=float(np.mean(y)))
    assert any("AP = " in label.text for _, label in pr.legend.items)


def test_multiclass_curves_one_per_class(qtbot, iris_fit):
    from sklearn.metrics import roc_auc_score

    from mlops_desktop.qt.plots.diagnostics import DiagnosticsView

    y, pred, proba = iris_fit
    diag = P.diagnostics_from_predictions(y, pred, proba, labels=[0, 1, 2])
    assert set(diag.roc) == {"0", "1", "2"}
    for i in range(3):
        assert diag.roc[str(i)].area == pytest.approx(roc_auc_score(y == i, proba[:, i]))
    view = DiagnosticsView()
    qtbot.addWidget(view)
    view.set_diagnostics(diag)
    assert [type(p).__name__ for p in view.panels()] == [
        "ConfusionMatrixPlot",
        "CurvePlot",
        "CurvePlot",
    ]
    assert "accuracy" in view.summary.text()


def test_regression_diagnostics_and_importance(qtbot):
    from sklearn.datasets import load_diabetes
    from sklearn.inspection import permutation_importance
    from sklearn.linear_model import Ridge
    from sklearn.metrics import mean_squared_error

    from mlops_desktop.qt.plots.diagnostics import DiagnosticsView

    data = load_diabetes()
    model = Ridge(alpha=0.5).fit(data.data[:300], data.target[:300])
    X, y = data.data[300:], data.target[300:]
    pred = model.predict(X)
    diag = P.diagnostics_from_predictions(y, pred, task="regression")
    assert diag.scalars["rmse"] == pytest.approx(np.sqrt(mean_squared_error(y, pred)))
    imp = permutation_importance(model, X, y, n_repeats=3, random_state=0)
    diag = P.Diagnostics(
        task="regression",
        scalars=diag.scalars,
        predicted=diag.predicted,
        residuals=diag.residuals,
        importance_names=list(data.feature_names),
        importance_mean=imp.importances_mean,
        importance_std=imp.importances_std,
    )
    view = DiagnosticsView()
    qtbot.addWidget(view)
    view.set_diagnostics(diag)
    np.testing.assert_allclose(view.residuals.residuals, y - pred)
    order = np.argsort(-imp.importances_mean)
    assert view.importance.names == [data.feature_names[i] for i in order[:10]]
    np.testing.assert_allclose(view.importance.mean, imp.importances_mean[order[:10]])


def test_empty_diagnostics_says_what_to_add(qtbot):
    from mlops_desktop.qt.plots.diagnostics import DiagnosticsView

    view = DiagnosticsView()
    qtbot.addWidget(view)
    assert view.panels() == []
    assert "Evaluate stage" in view.summary.text()


def _series(n: int, key: str = "loss", run_id: int = 1) -> P.Series:
    rng = np.random.default_rng(0)
    steps = np.arange(n)
    values = np.exp(-steps / (n / 5)) + rng.normal(0, 0.02, n) + 0.05
    return P.make_series(run_id, key, steps, values, 1.7e9 + steps * 0.5)


def test_metric_plot_smoothing_axes_and_readout(qtbot):
    from mlops_desktop.qt.plots.series import MetricPlotWidget

    w = MetricPlotWidget()
    qtbot.addWidget(w)
    s = _series(1000)
    w.set_series([s, _series(500, "val_loss")])
    x, y = w.line_data(1, "loss")
    np.testing.assert_array_equal(x, s.steps)
    np.testing.assert_array_equal(y, s.values)
    w.smooth_slider.setValue(60)
    assert w.smoothing == pytest.approx(0.6)
    np.testing.assert_allclose(w.line_data(1, "loss")[1], P.ema(s.values, 0.6))
    w.x_combo.setCurrentIndex(1)  # relative time
    assert w.x_axis == "relative"
    np.testing.assert_allclose(w.line_data(1, "loss")[0], s.timestamps - s.timestamps[0])
    w.set_x_axis("time")
    assert w._bottom_axis.date_mode
    w.log_check.setChecked(True)
    assert w.plot_item.ctrl.logYCheck.isChecked()
    w.set_x_axis("step")
    text = w.readout_at(250.2)
    assert "loss: " in text and "(step 250)" in text and "val_loss" in text
    assert [label.text for _, label in w.legend.items] == ["loss", "val_loss"]
    with pytest.raises(ValueError):
        w.set_smoothing(1.0)


def test_many_series_keep_the_legend_short(qtbot):
    from mlops_desktop.qt.plots.series import MAX_LEGEND, MetricPlotWidget

    w = MetricPlotWidget()
    qtbot.addWidget(w)
    w.set_series([_series(50, "loss", run_id=i) for i in range(MAX_LEGEND + 8)])
    labels = [label.text for _, label in w.legend.items]
    assert len(labels) == MAX_LEGEND + 1
    assert labels[0] == "#0 loss" and labels[-1] == "… and 8 more"
    assert w.readout_at(10.0).endswith("… 8 more")


def test_million_points_use_downsampling_and_clip_to_view(qtbot):
    from mlops_desktop.qt.plots.series import MetricPlotWidget

    w = MetricPlotWidget()
    qtbot.addWidget(w)
    w.resize(800, 400)
    s = _series(1_000_000)
    start = time.perf_counter()
    w.set_series([s])
    w.grab()
    elapsed = time.perf_counter() - start
    curve = w._lines[(1, "loss")].raw
    assert curve.opts["autoDownsample"] and curve.opts["clipToView"]
    # Far fewer points are drawn than there are in the series.
    drawn = curve.getData()[0]
    assert drawn.size < 20_000
    assert elapsed < 2.0  # generous for a shared CI machine; the benchmark measures it


def test_live_points_are_throttled(qtbot):
    from mlops_desktop.qt.plots.series import MetricPlotWidget

    w = MetricPlotWidget(live_interval_ms=100)
    qtbot.addWidget(w)
    start = time.perf_counter()
    n = 0
    while time.perf_counter() - start < 0.6:
        w.append_points(7, "loss", [n], [1.0 / (n + 1)])
        n += 1
        if n % 50 == 0:
            qtbot.wait(5)  # let the event loop run, as in the app
    qtbot.waitUntil(lambda: not w._pending, timeout=1000)
    elapsed = time.perf_counter() - start
    assert n > 500
    assert 1 <= w.redraw_count <= elapsed / 0.1 + 2
    x, y = w.line_data(7, "loss")
    assert x.size == n and y[-1] == pytest.approx(1.0 / n)


def test_live_points_of_many_new_metrics_rebuild_the_legend_once(qtbot, monkeypatch):
    """A run's first points of 30 metrics arrive between two ticks: one legend rebuild
    draws them all (a rebuild per new line stalled the window for a second and more)."""
    from mlops_desktop.qt.plots.series import MAX_LEGEND, MetricPlotWidget

    w = MetricPlotWidget(live_interval_ms=100)
    qtbot.addWidget(w)
    rebuilds = []
    original = w._rebuild_legend
    monkeypatch.setattr(w, "_rebuild_legend", lambda: (rebuilds.append(1), original())[1])
    for i in range(30):
        w.append_points(7, f"m{i}", [0], [float(i)])
    w.flush()
    assert len(rebuilds) == 1 and len(w.legend.items) == MAX_LEGEND + 1
    w.append_points(7, "m0", [1], [2.0])  # more points of a line it has: no rebuild
    w.flush()
    assert len(rebuilds) == 1
    x, y = w.line_data(7, "m0")
    assert x.tolist() == [0, 1] and y.tolist() == [0.0, 2.0]


def test_exports_write_valid_png_svg_csv(qtbot, tmp_path, iris_fit):
    from PySide6 import QtGui

    from mlops_desktop.core.errors import FormatError
    from mlops_desktop.qt.plots import export
    from mlops_desktop.qt.plots.diagnostics import ConfusionMatrixPlot
    from mlops_desktop.qt.plots.series import MetricPlotWidget

    w = MetricPlotWidget()
    qtbot.addWidget(w)
    w.resize(640, 400)
    w.set_series([_series(300), _series(200, "val_loss")])
    png = export.export(w, tmp_path / "m.png")
    assert png.read_bytes()[:8] == PNG_SIGNATURE
    svg = export.export(w, tmp_path / "m.svg")
    # The never-shown plot was auto-ranged to its data before export, not left at 0..1.
    x_lo, x_hi = w.plot_item.viewRange()[0]
    assert x_lo <= 0 and x_hi >= 299
    doc = xml.dom.minidom.parse(str(svg))
    assert doc.documentElement.tagName == "svg"
    assert doc.getElementsByTagName("path")
    rows = list(csv.reader(io.StringIO(export.export(w, tmp_path / "m.csv").read_text())))
    assert rows[0] == ["series", "run_id", "key", "step", "timestamp", "value", "smoothed"]
    assert len(rows) == 1 + 300 + 200
    with pytest.raises(FormatError):
        export.export(w, tmp_path / "m.jpg")

    cm = ConfusionMatrixPlot()
    qtbot.addWidget(cm)
    y, pred, _ = iris_fit
    cm.set_matrix(P.diagnostics_from_predictions(y, pred).confusion, ["a", "b", "c"])
    xml.dom.minidom.parse(str(export.export_svg(cm, tmp_path / "cm.svg")))
    data = export.render_png(cm, 500, 420)
    image = QtGui.QImage.fromData(data, "PNG")
    assert data[:8] == PNG_SIGNATURE and (image.width(), image.height()) == (500, 420)
    # Only the plot is drawn (white background to the very top: no tool row above it).
    assert image.pixelColor(250, 0).name() == "#ffffff"
    assert cm.normalize_check.isHidden() is False  # the panel itself is left as it was
    data = export.render_png(w.plot_item, 300, 200)
    image = QtGui.QImage.fromData(data, "PNG")
    assert (image.width(), image.height()) == (300, 200)


def test_tuning_view_marks_best_candidate(qtbot):
    from sklearn.datasets import load_wine
    from sklearn.model_selection import GridSearchCV
    from sklearn.neighbors import KNeighborsClassifier

    from mlops_desktop.qt.plots.tuning import TuningView

    X, y = load_wine(return_X_y=True)
    search = GridSearchCV(KNeighborsClassifier(), {"n_neighbors": [1, 5, 15, 40]}, cv=3).fit(X, y)
    res = search.cv_results_
    steps = np.arange(len(res["mean_test_score"]))
    tuning = P.build_tuning(
        {
            "cv_score": (steps, res["mean_test_score"]),
            "cv_score_std": (steps, res["std_test_score"]),
            "param/n_neighbors": (steps, np.asarray(res["param_n_neighbors"], dtype=float)),
        }
    )
    assert tuning.best_index == search.best_index_
    view = TuningView()
    qtbot.addWidget(view)
    view.set_tuning(tuning)
    assert view.param_combo.currentText() == "n_neighbors"
    assert f"candidate {search.best_index_}" in view.best_label.text()
    headers, rows = view.data_table()
    assert headers == ["candidate", "score", "score_std", "n_neighbors"]
    assert [r[3] for r in rows] == [1.0, 5.0, 15.0, 40.0]


def test_every_panel_exports(qtbot, tmp_path, binary_fit):
    """PNG, SVG and CSV from each kind of plot panel (date axes, images, bars, two plots)."""
    from mlops_desktop.qt.plots import compare, diagnostics, export, trends, tuning

    y, pred, proba, names = binary_fit
    diag = P.diagnostics_from_predictions(y, pred, proba, labels=[0, 1])
    t0 = 1.7e9
    panels = []
    cm = diagnostics.ConfusionMatrixPlot()
    cm.set_matrix(diag.confusion, names)
    roc = diagnostics.CurvePlot("roc")
    roc.set_curves(diag.roc)
    res = diagnostics.ResidualPlot()
    res.set_residuals(proba[:, 1], y - proba[:, 1])
    imp = diagnostics.ImportancePlot()
    imp.set_importances(["a", "b"], np.array([0.2, 0.1]), np.array([0.01, 0.02]))
    tun = tuning.TuningView()
    tun.set_tuning(P.build_tuning({"cv_score": (np.arange(3), np.array([0.8, 0.9, 0.85]))}))
    events = [P.TimelineEvent(t0 + 50, "m v1", "model_version")]
    trend = trends.TrendPlot()
    trend.set_trend(
        P.Trend(
            "accuracy",
            np.array([1, 2]),
            np.array([t0, t0 + 100]),
            np.array([0.8, 0.9]),
            ["succeeded"] * 2,
            events,
        )
    )
    drift = trends.DriftPlot()
    drift.set_drift(
        P.DriftTrend("psi", {"x": (np.array([t0, t0 + 100]), np.array([0.1, 0.3]))}, 0.2, events)
    )
    comp = P.RunComparison(
        [1, 2, 3],
        ["#1", "#2", "#3"],
        {"accuracy": np.array([0.8, 0.9, 0.85])},
        {"C": [0.1, 1.0, 1.0]},
        np.array([t0, t0, t0]),
    )
    params = compare.ParamPlot()
    params.set_comparison(comp)
    groups = compare.GroupPlot()
    groups.set_comparison(comp)
    panels = [cm, roc, res, imp, tun, trend, drift, params, groups]
    for i, panel in enumerate(panels):
        qtbot.addWidget(panel)
        panel.resize(600, 400)
        assert export.export(panel, tmp_path / f"{i}.png").read_bytes()[:8] == PNG_SIGNATURE
        xml.dom.minidom.parse(str(export.export(panel, tmp_path / f"{i}.svg")))
        rows = list(csv.reader(io.StringIO(export.csv_text(panel))))
        assert len(rows) >= 2, type(panel).__name__
