"""The calibration (reliability) curve of a run's Evaluate stage, drawn in the diagnostics
view: the points are scikit-learn's calibration_curve of the stored test predictions for the
positive class, the legend carries the Brier score, and the summary names the positive
class and the decision threshold."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss

from mlops_desktop.app import plot_data as P
from mlops_desktop.app.runs import RunService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.core import serialization
from mlops_desktop.core.entities import RunStatus
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.operations import add_stage, connect
from mlops_desktop.core.registry import default_registry


def evaluated_run(tmp_path):
    rng = np.random.default_rng(2)
    n = 500
    x, z = rng.normal(size=n), rng.normal(size=n)
    label = np.where(1.5 * x + z + rng.normal(size=n) > 1.2, "fraud", "ok")
    pd.DataFrame({"x": x, "z": z, "label": label}).to_csv(tmp_path / "d.csv", index=False)
    p = Pipeline("main", default_registry())
    train = {"estimator": "random_forest", "n_estimators": 20, "threshold": "max_f1"}
    train |= {"calibration": "isotonic", "calibration_folds": 3}
    for node_id, stage_type, params in [
        (
            "load",
            "load_data",
            {"source": "file", "path": str(tmp_path / "d.csv"), "target": "label"},
        ),
        ("split", "split", {"validation_size": 0.2}),
        ("train", "train", train),
        ("eval", "evaluate", {"permutation_importance": False}),
    ]:
        p.apply(add_stage(p, stage_type, params=params, node_id=node_id))
    for link in [
        ("load", "dataset", "split", "dataset"),
        ("split", "split", "train", "split"),
        ("split", "split", "eval", "split"),
        ("train", "model", "eval", "model"),
    ]:
        p.apply(connect(*link))
    ws = Workspace.open(str(tmp_path / "w.db"))
    project = ws.projects.create("cal")
    ws.pipelines.create(project.id, "main", serialization.to_dict(p))
    service = RunService(ws)
    run = service.run("cal", executor="sync")
    assert run.status is RunStatus.SUCCEEDED, run.message
    return ws, service, run


def test_calibration_curve_of_a_run_is_drawn_beside_roc_and_pr(qtbot, tmp_path):
    from mlops_desktop.qt.plots.diagnostics import DiagnosticsView

    ws, service, run = evaluated_run(tmp_path)
    try:
        diag = P.diagnostics(ws, run.id)
        frame = service.outputs(run.id, "eval")["predictions"].frame
    finally:
        ws.close()
    assert diag.positive == "fraud"  # the rarer class
    is_pos = frame["y_true"] == "fraud"
    observed, predicted = calibration_curve(is_pos, frame["proba_fraud"], n_bins=10)
    assert diag.calibration is not None
    np.testing.assert_allclose(diag.calibration.x, predicted, atol=1e-12)
    np.testing.assert_allclose(diag.calibration.y, observed, atol=1e-12)
    assert diag.calibration.area == pytest.approx(brier_score_loss(is_pos, frame["proba_fraud"]))

    view = DiagnosticsView()
    qtbot.addWidget(view)
    view.set_diagnostics(diag)
    names = [type(p).__name__ for p in view.panels()]
    assert names == ["ConfusionMatrixPlot", "CurvePlot", "CurvePlot", "CalibrationPlot"]
    headers, rows = view.calibration.data_table()
    assert headers == ["mean_predicted", "observed", "brier"]
    assert [r[0] for r in rows] == pytest.approx(list(predicted))
    legend = [label.text for _, label in view.calibration.legend.items]
    assert any("Brier = " in text for text in legend)
    summary = view.summary.text()
    assert "positive class <b>fraud</b>" in summary and "threshold" in summary
    # a model without probabilities (or regression) draws no calibration panel
    view.set_diagnostics(P.Diagnostics(task="classification", scalars={"accuracy": 0.5}))
    assert "CalibrationPlot" not in [type(p).__name__ for p in view.panels()]


def test_run_comparison_ranks_a_lower_brier_score_best():
    from mlops_desktop.qt.plots.compare import lower_is_better

    assert lower_is_better("brier_score") and lower_is_better("baseline_brier_score")
    assert not lower_is_better("pr_auc")
