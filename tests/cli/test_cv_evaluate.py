"""Evaluate's k-fold cross-validation, run from the CLI: a clone of the whole fitted model
pipeline refitted on folds of the training part only gives the same fold scores as plain
scikit-learn's cross_val_score on those rows; the holdout metrics stay as they were; off
(cv_folds=0) logs no cv metric."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.base import clone
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score

from mlops_desktop.app.runs import RunService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.cli import main
from mlops_desktop.core import serialization
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.operations import add_stage, connect
from mlops_desktop.core.registry import default_registry


def raw_csv(path, task: str, n: int = 240) -> None:
    """Raw rows: a text column and missing values, so the preprocessing is refitted per fold."""
    rng = np.random.default_rng(5)
    x, colour = rng.normal(size=n), rng.choice(["red", "green", "blue"], n)
    noisy = np.where(rng.random(n) < 0.15, np.nan, rng.normal(size=n))
    signal = 1.5 * x + (colour == "red") + rng.normal(scale=0.8, size=n)
    y = np.where(signal > 0.3, "yes", "no") if task == "classification" else signal * 10
    frame = pd.DataFrame({"x": x, "colour": colour, "noisy": noisy, "y": y})
    frame.to_csv(path, index=False)


def run(tmp_path, task: str, estimator: str, cv_folds: int, seed: int = 7, n: int = 240, w=False):
    csv, ws_path = tmp_path / f"{task}.csv", str(tmp_path / "w.db")
    raw_csv(csv, task, n)
    load = {"source": "file", "path": str(csv), "target": "y"}
    if w:  # a column with the role weight weighs the training rows
        frame = pd.read_csv(csv)
        frame["w"] = np.random.default_rng(1).uniform(0.2, 3.0, len(frame))
        frame.to_csv(csv, index=False)
        load["roles"] = "w=weight"
    p = Pipeline("main", default_registry())
    evaluate = {"permutation_importance": False, "cv_folds": cv_folds, "seed": seed}
    for node_id, stage_type, params in [
        ("load", "load_data", load),
        ("split", "split", {"test_size": 0.25}),
        ("train", "train", {"estimator": estimator, "n_estimators": 15}),
        ("eval", "evaluate", evaluate),
    ]:
        p.apply(add_stage(p, stage_type, params=params, node_id=node_id))
    for link in [
        ("load", "dataset", "split", "dataset"),
        ("split", "split", "train", "split"),
        ("split", "split", "eval", "split"),
        ("train", "model", "eval", "model"),
    ]:
        p.apply(connect(*link))
    with Workspace.open(ws_path) as ws:
        project = ws.projects.create("cv")
        ws.pipelines.create(project.id, "main", serialization.to_dict(p))
    code = main(["--workspace", ws_path, "run", "cv", "--quiet"])
    return code, ws_path


def listed_metrics(ws_path, capsys) -> dict:
    capsys.readouterr()
    assert main(["--workspace", ws_path, "runs", "cv", "--json"]) == 0
    return json.loads(capsys.readouterr().out)[0]["metrics"]


@pytest.mark.parametrize(
    ("task", "estimator", "metric", "splitter", "scoring", "sign"),
    [
        ("classification", "random_forest", "accuracy", StratifiedKFold, None, 1),
        ("regression", "ridge", "rmse", KFold, "neg_root_mean_squared_error", -1),
    ],
)
def test_cv_scores_are_plain_sklearn_cross_val_on_the_training_part(
    tmp_path, capsys, task, estimator, metric, splitter, scoring, sign
):
    code, ws_path = run(tmp_path, task, estimator, cv_folds=5)
    assert code == 0
    logged = listed_metrics(ws_path, capsys)
    with Workspace.open(ws_path) as ws:
        service = RunService(ws)
        split = service.outputs(1, "split")["split"]
        pipeline = service.outputs(1, "train")["model"].estimator
        result = service.outputs(1, "eval")["metrics"]
    cv = splitter(5, shuffle=True, random_state=7)
    plain = sign * cross_val_score(
        clone(pipeline), split.X_train, split.y_train, cv=cv, scoring=scoring
    )
    assert logged[f"cv_{metric}_mean"] == pytest.approx(plain.mean(), abs=1e-9)
    assert logged[f"cv_{metric}_std"] == pytest.approx(plain.std(ddof=1), abs=1e-9)
    half = stats.t.ppf(0.975, 4) * plain.std(ddof=1) / np.sqrt(5)
    assert logged[f"cv_{metric}_ci95_low"] == pytest.approx(plain.mean() - half, abs=1e-9)
    assert logged[f"cv_{metric}_ci95_high"] == pytest.approx(plain.mean() + half, abs=1e-9)
    assert result.details["cv"]["metrics"][metric]["scores"] == pytest.approx(plain, abs=1e-9)
    assert result.details["cv"]["splitter"] == splitter.__name__
    # the folds saw the training rows only: the same scores on training + test rows differ
    X_all = pd.concat([split.X_train, split.X_test])
    y_all = pd.concat([pd.Series(split.y_train), pd.Series(split.y_test)])
    leaky = sign * cross_val_score(clone(pipeline), X_all, y_all, cv=cv, scoring=scoring)
    assert not np.allclose(leaky, plain)
    # the holdout metrics are the test-part scores, as without cross-validation
    y_pred = pipeline.predict(split.X_test)
    if task == "classification":
        assert logged["accuracy"] == pytest.approx(np.mean(y_pred == np.asarray(split.y_test)))
    else:
        rmse = np.sqrt(np.mean((np.asarray(split.y_test, dtype=float) - y_pred) ** 2))
        assert logged["rmse"] == pytest.approx(rmse)


def test_weighted_rows_weigh_every_fold_fit(tmp_path, capsys):
    code, ws_path = run(tmp_path, "classification", "logistic_regression", cv_folds=4, w=True)
    assert code == 0
    logged = listed_metrics(ws_path, capsys)
    with Workspace.open(ws_path) as ws:
        service = RunService(ws)
        split = service.outputs(1, "split")["split"]
        pipeline = service.outputs(1, "train")["model"].estimator
    assert split.w_train is not None and "w" not in split.X_train.columns
    cv = StratifiedKFold(4, shuffle=True, random_state=7)
    weights = {"model__sample_weight": split.w_train.to_numpy(dtype=float)}
    plain = cross_val_score(clone(pipeline), split.X_train, split.y_train, cv=cv, params=weights)
    unweighted = cross_val_score(clone(pipeline), split.X_train, split.y_train, cv=cv)
    assert not np.allclose(plain, unweighted)
    assert logged["cv_accuracy_mean"] == pytest.approx(plain.mean(), abs=1e-9)
    assert logged["cv_accuracy_std"] == pytest.approx(plain.std(ddof=1), abs=1e-9)


def test_cv_off_logs_no_cv_metric(tmp_path, capsys):
    code, ws_path = run(tmp_path, "classification", "logistic_regression", cv_folds=0)
    assert code == 0
    logged = listed_metrics(ws_path, capsys)
    assert "accuracy" in logged
    assert not [k for k in logged if k.startswith("cv_")]
    with Workspace.open(ws_path) as ws:
        assert "cv" not in RunService(ws).outputs(1, "eval")["metrics"].details


def test_too_many_folds_for_the_rarest_class_fails_with_a_clear_message(tmp_path):
    # 30 training rows in two classes: the rarer has at most 15 rows, fewer than 20 folds
    code, ws_path = run(tmp_path, "classification", "logistic_regression", cv_folds=20, n=40)
    assert code != 0
    with Workspace.open(ws_path) as ws:
        stage = next(s for s in ws.runs.get(1).stages if s.node_id == "eval")
    assert stage.status == "failed"
    assert "cv_folds=20 needs at least 20 training rows of every class" in stage.error
