"""Grouped and time-ordered cross-validation, run from the CLI.

Rows of the same patient look alike and share their label: folds that put a patient on
both sides score the memory of that patient, not a model that works on new patients. The
app's GroupKFold number equals plain scikit-learn's cross_val_score with GroupKFold and is
far below plain KFold's; time-ordered folds equal TimeSeriesSplit on the rows in time order
(a fold never trains on later rows); Tune searches with the same folds.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    StratifiedKFold,
    TimeSeriesSplit,
    cross_val_score,
)

from mlops_desktop.app.runs import RunService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.cli import main
from mlops_desktop.core import serialization
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.operations import add_stage, connect
from mlops_desktop.core.registry import default_registry


def patients_csv(path, patients: int = 40, visits: int = 8) -> None:
    """Every patient has a signature (two numbers) that each visit repeats with a little
    noise and a label of its own drawn at random: nothing generalises across patients."""
    rng = np.random.default_rng(11)
    sig = rng.normal(size=(patients, 2))
    label = rng.choice(["ill", "well"], patients)
    rows = []
    day = 0
    for _visit in range(visits):
        for p in range(patients):
            day += 1
            a, b = sig[p] + rng.normal(scale=0.05, size=2)
            rows.append({"patient": f"p{p}", "day": day, "a": a, "b": b, "y": label[p]})
    pd.DataFrame(rows).sample(frac=1.0, random_state=3).to_csv(path, index=False)


def trend_csv(path, n: int = 200) -> None:
    rng = np.random.default_rng(4)
    t = rng.permutation(n)
    x = rng.normal(size=n)
    y = 0.05 * t + 2 * x + rng.normal(scale=0.5, size=n)
    pd.DataFrame({"t": t, "x": x, "level": t * 0.01, "y": y}).to_csv(path, index=False)


def build(tmp_path, csv, load: dict, split: dict, train: tuple[str, dict], evaluate: dict, ws="w"):
    ws_path = str(tmp_path / f"{ws}.db")
    p = Pipeline("main", default_registry())
    for node_id, stage_type, params in [
        ("load", "load_data", {"source": "file", "path": str(csv), **load}),
        ("split", "split", split),
        ("train", train[0], train[1]),
        ("eval", "evaluate", {"permutation_importance": False, "seed": 7, **evaluate}),
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
    return main(["--workspace", ws_path, "run", "cv", "--quiet"]), ws_path


def listed_metrics(ws_path, capsys) -> dict:
    capsys.readouterr()
    assert main(["--workspace", ws_path, "runs", "cv", "--json"]) == 0
    return json.loads(capsys.readouterr().out)[0]["metrics"]


def test_grouped_folds_show_the_leak_plain_folds_hide(tmp_path, capsys):
    csv = tmp_path / "patients.csv"
    patients_csv(csv)
    load = {"target": "y", "roles": "patient=group, day=ignore"}
    train = ("train", {"estimator": "random_forest", "n_estimators": 25})
    code, ws_path = build(
        tmp_path, csv, load, {"test_size": 0.25}, train, {"cv_folds": 5, "cv_strategy": "group"}
    )
    assert code == 0
    grouped = listed_metrics(ws_path, capsys)
    with Workspace.open(ws_path) as ws:
        service = RunService(ws)
        split = service.outputs(1, "split")["split"]
        pipeline = service.outputs(1, "train")["model"].estimator
        details = service.outputs(1, "eval")["metrics"].details["cv"]
        log = "\n".join(s.log for s in ws.runs.get(1).stages if s.node_id == "eval")
    # the group column is not a feature, and the split kept every patient on one side
    assert "patient" not in split.X_train.columns and split.g_train is not None
    assert not set(split.g_train) & set(pd.read_csv(csv).loc[split.X_test.index, "patient"])
    assert details["splitter"] == "GroupKFold" and details["strategy"] == "group"
    assert "grouped folds" in log
    plain_group = cross_val_score(
        clone(pipeline), split.X_train, split.y_train, groups=split.g_train, cv=GroupKFold(5)
    )
    assert grouped["cv_accuracy_mean"] == pytest.approx(plain_group.mean(), abs=1e-9)
    assert grouped["cv_accuracy_std"] == pytest.approx(plain_group.std(ddof=1), abs=1e-9)
    # every fold held out whole patients
    for fit_idx, score_idx in GroupKFold(5).split(split.X_train, split.y_train, split.g_train):
        assert not set(split.g_train.iloc[fit_idx]) & set(split.g_train.iloc[score_idx])

    # the same pipeline with plain shuffled k folds: the memory of each patient scores high
    code, ws_path = build(
        tmp_path,
        csv,
        load,
        {"test_size": 0.25},
        train,
        {"cv_folds": 5, "cv_strategy": "kfold"},
        "k",
    )
    assert code == 0
    kfold = listed_metrics(ws_path, capsys)
    assert kfold["cv_accuracy_mean"] > 0.9
    assert grouped["cv_accuracy_mean"] < 0.75
    assert kfold["cv_accuracy_mean"] - grouped["cv_accuracy_mean"] > 0.25
    plain_kfold = cross_val_score(
        clone(pipeline),
        split.X_train,
        split.y_train,
        cv=StratifiedKFold(5, shuffle=True, random_state=7),
    )
    assert kfold["cv_accuracy_mean"] == pytest.approx(plain_kfold.mean(), abs=1e-9)


def test_auto_folds_follow_the_group_role_and_fewer_groups_than_folds_fail(tmp_path):
    csv = tmp_path / "patients.csv"
    patients_csv(csv, patients=6, visits=10)
    load = {"target": "y", "roles": "patient=group"}
    train = ("train", {"estimator": "logistic_regression"})
    code, ws_path = build(
        tmp_path, csv, load, {"test_size": 0.34}, train, {"cv_folds": 5, "cv_strategy": "auto"}
    )
    assert code != 0
    with Workspace.open(ws_path) as ws:
        stage = next(s for s in ws.runs.get(1).stages if s.node_id == "eval")
    assert stage.status == "failed"
    assert "grouped folds need at least 5 groups in the training part" in stage.error


def test_group_folds_without_a_group_column_fail_with_a_clear_message(tmp_path):
    csv = tmp_path / "patients.csv"
    patients_csv(csv, patients=12, visits=4)
    train = ("train", {"estimator": "logistic_regression"})
    code, ws_path = build(
        tmp_path, csv, {"target": "y"}, {}, train, {"cv_folds": 3, "cv_strategy": "group"}
    )
    assert code != 0
    with Workspace.open(ws_path) as ws:
        stage = next(s for s in ws.runs.get(1).stages if s.node_id == "eval")
    assert "need a column with the role group" in stage.error


def test_time_ordered_folds_never_train_on_later_rows(tmp_path, capsys):
    csv = tmp_path / "trend.csv"
    trend_csv(csv)
    load = {"target": "y", "roles": "t=time"}
    train = ("train", {"estimator": "ridge"})
    code, ws_path = build(
        tmp_path, csv, load, {"test_size": 0.2}, train, {"cv_folds": 4, "cv_strategy": "auto"}
    )
    assert code == 0
    logged = listed_metrics(ws_path, capsys)
    with Workspace.open(ws_path) as ws:
        service = RunService(ws)
        split = service.outputs(1, "split")["split"]
        pipeline = service.outputs(1, "train")["model"].estimator
        details = service.outputs(1, "eval")["metrics"].details["cv"]
    assert details["splitter"] == "TimeSeriesSplit" and details["strategy"] == "time"
    order = np.argsort(split.t_train.to_numpy(), kind="stable")
    X, y, t = split.X_train.iloc[order], split.y_train.iloc[order], split.t_train.iloc[order]
    for fit_idx, score_idx in TimeSeriesSplit(4).split(X):
        assert t.iloc[fit_idx].max() < t.iloc[score_idx].min()
    plain = cross_val_score(clone(pipeline), X, y, cv=TimeSeriesSplit(4), scoring="r2")
    assert logged["cv_r2_mean"] == pytest.approx(plain.mean(), abs=1e-9)
    assert details["metrics"]["r2"]["scores"] == pytest.approx(plain, abs=1e-9)


def test_tune_searches_with_grouped_folds(tmp_path, capsys):
    csv = tmp_path / "patients.csv"
    patients_csv(csv)
    load = {"target": "y", "roles": "patient=group, day=ignore"}
    grid = '{"n_neighbors": [1, 5, 15]}'
    tune = ("tune", {"estimator": "k_neighbors", "grid": grid, "cv": 4, "cv_strategy": "auto"})
    code, ws_path = build(tmp_path, csv, load, {"test_size": 0.25}, tune, {})
    assert code == 0
    with Workspace.open(ws_path) as ws:
        service = RunService(ws)
        split = service.outputs(1, "split")["split"]
        results = service.outputs(1, "train")["results"]
        model = service.outputs(1, "train")["model"].estimator
    assert results.details["strategy"] == "group"
    plain = GridSearchCV(clone(model), {"model__n_neighbors": [1, 5, 15]}, cv=GroupKFold(4)).fit(
        split.X_train, split.y_train, groups=split.g_train
    )
    assert results.values["cv_best_score"] == pytest.approx(plain.best_score_, abs=1e-9)
    assert results.values["cv_best_score"] < 0.75  # new patients: near chance
