"""The data behind the plots, read from a real workspace after real pipeline runs: it must
equal what scikit-learn and numpy compute from the same predictions and values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mlops_desktop.app import plot_data as P
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.operations import add_stage, connect, set_param
from mlops_desktop.core.registry import default_registry


def build(nodes, links, name="main") -> Pipeline:
    pipeline = Pipeline(name, default_registry())
    for node_id, stage_type, params in nodes:
        pipeline.apply(add_stage(pipeline, stage_type, params=params, node_id=node_id))
    for link in links:
        pipeline.apply(connect(*link))
    return pipeline


def classification(C: float, seed: int, dataset: str = "breast_cancer") -> Pipeline:
    return build(
        [
            ("load", "load_data", {"dataset": dataset}),
            ("split", "split", {"seed": seed}),
            ("fe", "feature_engineering", {}),
            ("train", "train", {"estimator": "logistic_regression", "C": C}),
            ("eval", "evaluate", {"importance_repeats": 2}),
        ],
        [
            ("load", "dataset", "split", "dataset"),
            ("split", "split", "fe", "split"),
            ("fe", "split", "train", "split"),
            ("fe", "split", "eval", "split"),
            ("train", "model", "eval", "model"),
        ],
    )


def regression() -> Pipeline:
    return build(
        [
            ("load", "load_data", {"dataset": "diabetes"}),
            ("split", "split", {"stratify": False}),
            ("train", "train", {"estimator": "ridge"}),
            ("eval", "evaluate", {"permutation_importance": False}),
        ],
        [
            ("load", "dataset", "split", "dataset"),
            ("split", "split", "train", "split"),
            ("split", "split", "eval", "split"),
            ("train", "model", "eval", "model"),
        ],
        name="regression",
    )


def tuning_pipeline() -> Pipeline:
    return build(
        [
            ("load", "load_data", {"dataset": "iris"}),
            ("split", "split", {}),
            (
                "tune",
                "tune",
                {
                    "estimator": "logistic_regression",
                    "grid": '{"C": [0.01, 0.1, 1.0, 10.0]}',
                    "cv": 3,
                },
            ),
        ],
        [("load", "dataset", "split", "dataset"), ("split", "split", "tune", "split")],
        name="tuning",
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A workspace with four classification runs (two C values x two seeds), a regression
    run and a tuning run."""
    from mlops_desktop.app.projects import ProjectService
    from mlops_desktop.app.runs import RunService
    from mlops_desktop.app.workspace import Workspace

    ws = Workspace.open(str(tmp_path_factory.mktemp("plots") / "workspace.db"))
    ProjectService(ws).create_project("plots")
    proj = ws.projects.get("plots")
    service = RunService(ws, workers=2)
    runs = []
    for C in (0.01, 1.0):
        for seed in (1, 2):
            runs.append(service.run("plots", "main", document=classification(C, seed)))
    from mlops_desktop.core import serialization

    ws.pipelines.create(proj.id, "regression", serialization.to_dict(regression()))
    ws.pipelines.create(proj.id, "tuning", serialization.to_dict(tuning_pipeline()))
    reg = service.run("plots", "regression")
    tune = service.run("plots", "tuning")
    yield {"ws": ws, "service": service, "runs": runs, "reg": reg, "tune": tune, "project": proj}
    ws.close()


def test_runs_succeeded(world):
    assert [str(r.status) for r in world["runs"]] == ["succeeded"] * 4
    assert str(world["reg"].status) == "succeeded"
    assert str(world["tune"].status) == "succeeded"


def test_confusion_matrix_and_roc_equal_sklearn_on_the_stored_predictions(world):
    from sklearn.metrics import average_precision_score, confusion_matrix, roc_auc_score, roc_curve

    ws, run = world["ws"], world["runs"][0]
    diag = P.diagnostics(ws, run.id)
    frame = world["service"].outputs(run.id, "eval")["predictions"].frame
    classes = sorted(frame["y_true"].unique())
    expected = confusion_matrix(frame["y_true"], frame["y_pred"], labels=classes)
    assert diag.task == "classification"
    np.testing.assert_array_equal(diag.confusion, expected)
    assert diag.labels == [str(c) for c in classes]
    # the curves are the positive class's: the rarer one (malignant, 0) unless Train names one
    pos = classes[0]
    assert diag.positive == str(pos)
    proba = frame[f"proba_{pos}"]
    auc = roc_auc_score(frame["y_true"] == pos, proba)
    assert diag.roc["positive"].area == pytest.approx(auc, abs=1e-12)
    # The stored curve points trace the same curve: their area is the AUC (points thinned).
    fpr, tpr, _ = roc_curve(frame["y_true"] == pos, proba)
    assert P.trapezoid_area(diag.roc["positive"].x, diag.roc["positive"].y) == pytest.approx(
        auc, abs=0.01
    )
    assert diag.roc["positive"].x[0] == fpr[0] and diag.roc["positive"].y[-1] == tpr[-1]
    assert diag.scalars["accuracy"] == pytest.approx((frame["y_true"] == frame["y_pred"]).mean())
    assert "baseline_accuracy" in diag.scalars
    assert set(diag.pr) == {"positive"}
    positive = frame["y_true"] == pos
    assert diag.pr["positive"].area == pytest.approx(
        average_precision_score(positive, proba), abs=1e-12
    )


def test_multiclass_roc_areas_are_exact_per_class(tmp_path):
    """Per-class areas come from the full curves, not from the thinned stored points: a
    noisy three-class problem with 2,000 test rows has ROC curves of far more than 200 points."""
    import pandas as pd
    from sklearn.datasets import make_classification
    from sklearn.metrics import roc_auc_score

    from mlops_desktop.app.projects import ProjectService
    from mlops_desktop.app.runs import RunService
    from mlops_desktop.app.workspace import Workspace

    X, y = make_classification(
        8000, n_features=6, n_informative=4, n_classes=3, flip_y=0.3, random_state=0
    )
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)]).assign(target=y)
    frame.to_csv(tmp_path / "noisy.csv", index=False)
    document = classification(1.0, 3)
    for node, name, value in [
        ("load", "source", "file"),
        ("load", "path", str(tmp_path / "noisy.csv")),
        ("eval", "permutation_importance", False),
    ]:
        document.apply(set_param(document, node, name, value))
    with Workspace.open(str(tmp_path / "w.db")) as ws:
        ProjectService(ws).create_project("noisy")
        service = RunService(ws)
        run = service.run("noisy", "main", document=document)
        diag = P.diagnostics(ws, run.id)
        predictions = service.outputs(run.id, "eval")["predictions"].frame
    assert len(predictions) >= 2000
    for cls in (0, 1, 2):
        curve = diag.roc[str(cls)]
        assert curve.x.size == 200  # thinned
        exact = roc_auc_score(predictions["y_true"] == cls, predictions[f"proba_{cls}"])
        assert curve.area == pytest.approx(exact, abs=1e-12)
        assert P.trapezoid_area(curve.x, curve.y) != pytest.approx(exact, abs=1e-12)


def test_permutation_importance_sorted_with_std(world):
    diag = P.diagnostics(world["ws"], world["runs"][0].id)
    assert len(diag.importance_names) == 30
    assert np.all(np.diff(diag.importance_mean) <= 0)
    assert np.all(diag.importance_std >= 0)
    latest = world["ws"].metrics.latest(world["runs"][0].id)
    top = diag.importance_names[0]
    assert diag.importance_mean[0] == latest[f"importance/{top}"]


def test_regression_residuals_equal_true_minus_predicted(world):
    ws, run = world["ws"], world["reg"]
    diag = P.diagnostics(ws, run.id)
    frame = world["service"].outputs(run.id, "eval")["predictions"].frame
    assert diag.task == "regression" and diag.confusion is None
    np.testing.assert_allclose(diag.predicted, frame["y_pred"].to_numpy())
    np.testing.assert_allclose(diag.residuals, (frame["y_true"] - frame["y_pred"]).to_numpy())
    rmse = float(np.sqrt(np.mean(diag.residuals**2)))
    assert diag.scalars["rmse"] == pytest.approx(rmse)


def test_tuning_scores_per_candidate(world):
    ws, run = world["ws"], world["tune"]
    tuning = P.tuning(ws, run.id)
    results = world["service"].outputs(run.id, "tune")["results"]
    candidates = results.details["candidates"]
    np.testing.assert_allclose(tuning.scores, [c["mean_score"] for c in candidates])
    np.testing.assert_allclose(tuning.score_std, [c["std_score"] for c in candidates])
    np.testing.assert_allclose(tuning.params["C"], [c["params"]["C"] for c in candidates])
    best = min(range(len(candidates)), key=lambda i: candidates[i]["rank"])
    assert tuning.best_index == best
    assert tuning.scores[best] == pytest.approx(results.values["cv_best_score"])


def test_compare_and_group_by_parameter_equal_numpy(world):
    ws, runs = world["ws"], world["runs"]
    comp = P.compare(ws, [r.id for r in runs])
    latest = ws.metrics.latest_many([r.id for r in runs])
    np.testing.assert_array_equal(
        comp.metrics["accuracy"], [latest[r.id]["accuracy"] for r in runs]
    )
    assert comp.metric_keys()[0] == "accuracy"  # key metrics first
    assert not any(k.startswith(("roc/", "confusion", "importance")) for k in comp.metric_keys())
    c_param = next(n for n in comp.params if n.endswith(".C") and "Train" in n)
    assert set(P.varying_params(comp)) >= {c_param}
    stats = P.group_stats(comp, c_param, "accuracy")
    acc = comp.metrics["accuracy"]
    for label, mean, std, members in zip(
        stats.labels, stats.mean, stats.std, stats.members, strict=True
    ):
        idx = [comp.run_ids.index(m) for m in members]
        assert len(idx) == 2
        assert mean == pytest.approx(np.mean(acc[idx]))
        assert std == pytest.approx(np.std(acc[idx]))
        assert float(label) in (0.01, 1.0)
    headers, rows = comp.table()
    assert headers == ["metric", *[f"#{r.id}" for r in runs]]


def test_trend_across_runs_in_time_order(world):
    ws, runs = world["ws"], world["runs"]
    event = P.TimelineEvent(runs[1].started_at.timestamp(), "model v1", "model_version")
    trend = P.trends(ws, "plots", "main", "accuracy", events=[event])
    assert list(trend.run_ids) == [r.id for r in runs]
    assert np.all(np.diff(trend.times) >= 0)
    latest = ws.metrics.latest_many([r.id for r in runs])
    np.testing.assert_array_equal(trend.values, [latest[r.id]["accuracy"] for r in runs])
    assert trend.events == [event]
    # Other pipelines' runs are not mixed in.
    assert world["reg"].id not in trend.run_ids


def test_series_round_trip_sorted_and_ema(world):
    ws, run = world["ws"], world["runs"][0]
    rng = np.random.default_rng(0)
    steps = rng.permutation(5000)
    values = np.sin(steps / 300.0) + rng.normal(0, 0.1, steps.size)
    ws.metrics.log_arrays(run.id, "loss", values, steps=steps)
    s = P.series(ws, run.id, "loss")
    order = np.argsort(steps)
    np.testing.assert_array_equal(s.steps, steps[order])
    np.testing.assert_allclose(s.values, values[order])
    assert s.x("relative")[0] == 0.0
    # Debiased EMA equals the straightforward loop.
    w, last, out = 0.8, 0.0, []
    for i, v in enumerate(s.values[:200]):
        last = last * w + (1 - w) * v
        out.append(last / (1 - w ** (i + 1)))
    np.testing.assert_allclose(P.ema(s.values, w)[:200], out, rtol=1e-9)


def test_drift_over_runs_with_threshold_from_monitor_params(world):
    from mlops_desktop.core.entities import MetricPoint
    from mlops_desktop.stages._drift import numeric_psi

    ws, runs = world["ws"], world["runs"]
    rng = np.random.default_rng(1)
    reference = rng.normal(size=2000)
    expected = []
    for i, run in enumerate(runs):  # serving data shifts a little more each run
        psi = numeric_psi(reference, rng.normal(loc=0.3 * i, size=2000))
        expected.append(psi)
        ws.metrics.log_batch(
            run.id, [MetricPoint("psi/age", psi, 0, 0.0), MetricPoint("psi/bmi", 0.01, 0, 0.0)]
        )
    drift = P.drift(ws, "plots", "main", threshold=0.2)
    np.testing.assert_allclose(drift.features["age"][1], expected)
    assert drift.threshold == 0.2
    assert drift.over_threshold() == (["age"] if expected[-1] > 0.2 else [])
    doc = {"nodes": [{"type": "monitor", "params": {"psi_threshold": 0.35}}]}
    assert P.monitor_threshold(doc) == 0.35
    assert P.monitor_threshold({"nodes": []}) is None


def test_runs_table_rows(world):
    rows = P.runs_table(world["ws"], "plots")
    assert len(rows) == 6
    assert rows[0]["id"] > rows[-1]["id"]  # newest first
    assert all(r["status"] == "succeeded" and r["duration_s"] >= 0 for r in rows)
    keys = P.table_metric_keys(r["metrics"] for r in rows)
    assert keys[0] == "accuracy" and len(keys) <= 4
    assert not any("/" in k for k in keys)


def test_compare_needs_runs(world):
    from mlops_desktop.core.errors import NotFoundError

    with pytest.raises(NotFoundError):
        P.compare(world["ws"], [])


def test_param_axis_categories():
    x, cats = P.param_axis([4, None, 2, 4.0])
    assert cats == ["2", "4", "none"]
    np.testing.assert_array_equal(x, [1, 2, 0, 1])
    x, cats = P.param_axis([0.1, 1, 10])
    assert cats is None and list(x) == [0.1, 1.0, 10.0]
    assert math.isnan(P.ema(np.array([math.nan]), 0.5)[0])
