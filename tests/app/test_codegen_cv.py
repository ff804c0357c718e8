"""The exported script does what the app does: grouped folds (no patient on both sides),
time-ordered folds and Tune's folds, a chosen task and a log target give the app's numbers
to 1e-9."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "cli"))  # the CSV makers

import pytest  # noqa: E402
from test_codegen import assert_close, build, run_in_app, run_script  # noqa: E402
from test_group_time_cv import patients_csv, trend_csv  # noqa: E402
from test_task_and_log_target import prices_csv, ratings_csv  # noqa: E402

from mlops_desktop.app.codegen import export_python  # noqa: E402
from mlops_desktop.app.workspace import Workspace  # noqa: E402


@pytest.fixture
def ws(tmp_path):
    workspace = Workspace.open(str(tmp_path / "ws.db"))
    yield workspace
    workspace.close()


def _pipeline(load: dict, model: tuple[str, dict], evaluate: dict):
    return build(
        [
            ("load", "load_data", load),
            ("split", "split", {"test_size": 0.25}),
            ("train", *model),
            ("eval", "evaluate", {"permutation_importance": False, "seed": 3, **evaluate}),
        ],
        [
            ("load", "dataset", "split", "dataset"),
            ("split", "split", "train", "split"),
            ("split", "split", "eval", "split"),
            ("train", "model", "eval", "model"),
        ],
    )


def test_grouped_folds_in_the_script_equal_the_app(ws, tmp_path):
    csv = tmp_path / "patients.csv"
    patients_csv(csv, patients=24, visits=5)
    load = {"source": "file", "path": str(csv), "target": "y", "roles": "patient=group, day=ignore"}
    grid = '{"n_neighbors": [1, 7]}'
    tune = ("tune", {"estimator": "k_neighbors", "grid": grid, "cv": 3})
    pipeline = _pipeline(load, tune, {"cv_folds": 4})
    service, run = run_in_app(ws, pipeline)
    metrics = service.outputs(run.id, "eval")["metrics"]
    assert metrics.details["cv"]["splitter"] == "GroupKFold"
    assert "cv_accuracy_mean" in metrics.values
    text = export_python(pipeline)
    assert "GroupKFold" in text and "groups=" in text
    results, out = run_script(tmp_path, pipeline)
    assert_close(metrics.values, results["Evaluate"])
    assert_close(service.outputs(run.id, "train")["results"].values, results["Tune"])
    assert "GroupKFold folds" in out


def test_time_ordered_folds_in_the_script_equal_the_app(ws, tmp_path):
    csv = tmp_path / "trend.csv"
    trend_csv(csv, n=160)
    load = {"source": "file", "path": str(csv), "target": "y", "roles": "t=time"}
    pipeline = _pipeline(load, ("train", {"estimator": "ridge"}), {"cv_folds": 4})
    service, run = run_in_app(ws, pipeline)
    metrics = service.outputs(run.id, "eval")["metrics"]
    assert metrics.details["cv"]["splitter"] == "TimeSeriesSplit"
    results, out = run_script(tmp_path, pipeline)
    assert_close(metrics.values, results["Evaluate"])
    assert "cv_r2_mean" in results["Evaluate"]
    assert "TimeSeriesSplit folds" in out


def test_log_target_in_the_script_equals_the_app(ws, tmp_path):
    csv = tmp_path / "prices.csv"
    prices_csv(csv)
    load = {"source": "file", "path": str(csv), "target": "price"}
    train = ("train", {"estimator": "ridge", "alpha": 0.1, "target_transform": "log1p"})
    pipeline = _pipeline(load, train, {"cv_folds": 3})
    service, run = run_in_app(ws, pipeline)
    metrics = service.outputs(run.id, "eval")["metrics"].values
    assert "log_target(" in export_python(pipeline)
    results, _ = run_script(tmp_path, pipeline)
    assert_close(metrics, results["Evaluate"])


def test_a_chosen_task_in_the_script_equals_the_app(ws, tmp_path):
    ratings = tmp_path / "ratings.csv"
    ratings_csv(ratings)
    load = {"source": "file", "path": str(ratings), "target": "rating", "task": "regression"}
    pipeline = _pipeline(load, ("train", {"estimator": "ridge"}), {})
    service, run = run_in_app(ws, pipeline)
    metrics = service.outputs(run.id, "eval")["metrics"].values
    assert "rmse" in metrics
    results, _ = run_script(tmp_path, pipeline)
    assert_close(metrics, results["Evaluate"])


def test_tune_on_a_log_target_in_the_script_equals_the_app(ws, tmp_path):
    csv = tmp_path / "prices.csv"
    prices_csv(csv)
    load = {"source": "file", "path": str(csv), "target": "price"}
    grid = '{"alpha": [0.01, 1.0, 100.0]}'
    tune = ("tune", {"estimator": "ridge", "grid": grid, "target_transform": "log1p"})
    pipeline = _pipeline(load, tune, {})
    service, run = run_in_app(ws, pipeline)
    results = service.outputs(run.id, "train")["results"]
    model = service.outputs(run.id, "train")["model"].estimator
    assert type(model.named_steps["model"]).__name__ == "TransformedTargetRegressor"
    assert set(results.details["best_params"]) == {"alpha"}
    assert service.outputs(run.id, "eval")["metrics"].values["mae"] > 0
    out, _ = run_script(tmp_path, pipeline)
    assert_close(results.values, out["Tune"])
    assert_close(service.outputs(run.id, "eval")["metrics"].values, out["Evaluate"])
