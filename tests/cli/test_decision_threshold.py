"""Positive class and decision threshold, run from the CLI on a raw CSV (a text column,
missing values, a rare positive class): the threshold is chosen on the validation rows only
(changing only the test rows leaves it as it was; changing only the validation rows moves
it), it equals plain scikit-learn's choice, the test metrics are computed with it, and the
packaged model, loaded with skops alone, predicts with it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn import metrics as m

from mlops_desktop.app.runs import RunService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.cli import main
from mlops_desktop.core import serialization
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.operations import add_stage, connect
from mlops_desktop.core.registry import default_registry


def churn_csv(path: Path, n: int = 600) -> pd.DataFrame:
    """About a quarter 'churn' rows (the rarer class); 'plan' is text, 'usage' has gaps."""
    rng = np.random.default_rng(11)
    tenure, plan = rng.normal(size=n), rng.choice(["basic", "plus", "pro"], n)
    usage = np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n))
    signal = -1.3 * tenure + 0.8 * (plan == "basic") + 0.5 * np.nan_to_num(usage)
    churn = np.where(signal + rng.normal(scale=1.0, size=n) > 1.0, "churn", "stay")
    frame = pd.DataFrame({"tenure": tenure, "plan": plan, "usage": usage, "churned": churn})
    frame.to_csv(path, index=False)
    return frame


def run(
    folder: Path,
    csv: Path,
    train: dict,
    validation_size: float = 0.2,
    package=False,
    roles: str = "",
    evaluate: dict | None = None,
):
    """Load data, Split, Train, Evaluate (+ Register, Package) run by the CLI; returns
    (exit code, workspace path)."""
    folder.mkdir(parents=True, exist_ok=True)
    ws_path = str(folder / "w.db")
    p = Pipeline("main", default_registry())
    nodes = [
        (
            "load",
            "load_data",
            {"source": "file", "path": str(csv), "target": "churned", "roles": roles},
        ),
        ("split", "split", {"test_size": 0.25, "validation_size": validation_size}),
        ("train", "train", {"estimator": "logistic_regression", **train}),
        ("eval", "evaluate", {"permutation_importance": False, **(evaluate or {})}),
    ]
    links = [
        ("load", "dataset", "split", "dataset"),
        ("split", "split", "train", "split"),
        ("split", "split", "eval", "split"),
        ("train", "model", "eval", "model"),
    ]
    if package:
        nodes += [
            ("register", "register_model", {"model_name": "churn"}),
            ("package", "package", {"output_folder": str(folder / "package")}),
        ]
        links += [
            ("train", "model", "register", "model"),
            ("eval", "metrics", "register", "metrics"),
            ("register", "model_version", "package", "model_version"),
        ]
    for node_id, stage_type, params in nodes:
        p.apply(add_stage(p, stage_type, params=params, node_id=node_id))
    for link in links:
        p.apply(connect(*link))
    with Workspace.open(ws_path) as ws:
        project = ws.projects.create("churn")
        ws.pipelines.create(project.id, "main", serialization.to_dict(p))
    return main(["--workspace", ws_path, "run", "churn", "--quiet"]), ws_path


def outputs(ws_path: str) -> dict:
    with Workspace.open(ws_path) as ws:
        service = RunService(ws)
        return {
            "split": service.outputs(1, "split")["split"],
            "model": service.outputs(1, "train")["model"],
            "metrics": service.outputs(1, "eval")["metrics"],
            "predictions": service.outputs(1, "eval")["predictions"].frame,
            "logged": ws.metrics.latest(1),
            "log": "\n".join(s.log for s in ws.runs.get(1).stages),
            "stages": {s.node_id: s for s in ws.runs.get(1).stages},
        }


MAX_F1 = {"threshold": "max_f1"}


def test_the_threshold_never_looks_at_the_test_rows(tmp_path):
    csv = tmp_path / "churn.csv"
    frame = churn_csv(csv)
    assert run(tmp_path / "a", csv, MAX_F1)[0] == 0
    first = outputs(str(tmp_path / "a" / "w.db"))
    split = first["split"]
    assert len(split.X_val) == 120 and len(split.X_test) == 150

    # the test rows' features change (their labels and which rows are tested do not)
    rng = np.random.default_rng(0)
    changed = frame.copy()
    changed.loc[split.X_test.index, "tenure"] = rng.normal(size=len(split.X_test))
    changed.to_csv(tmp_path / "test_changed.csv", index=False)
    assert run(tmp_path / "b", tmp_path / "test_changed.csv", MAX_F1)[0] == 0
    second = outputs(str(tmp_path / "b" / "w.db"))
    assert list(second["split"].X_test.index) == list(split.X_test.index)
    assert second["logged"]["decision_threshold"] == first["logged"]["decision_threshold"]
    assert second["logged"]["roc_auc"] != first["logged"]["roc_auc"]  # the test part changed

    # the validation rows' features change: the threshold moves
    changed = frame.copy()
    changed.loc[split.X_val.index, "tenure"] = rng.normal(size=len(split.X_val))
    changed.to_csv(tmp_path / "val_changed.csv", index=False)
    assert run(tmp_path / "c", tmp_path / "val_changed.csv", MAX_F1)[0] == 0
    third = outputs(str(tmp_path / "c" / "w.db"))
    assert third["logged"]["decision_threshold"] != first["logged"]["decision_threshold"]


def test_the_packaged_model_and_the_test_metrics_use_the_chosen_threshold(tmp_path):
    csv = tmp_path / "churn.csv"
    churn_csv(csv)
    train = {"threshold": "min_recall", "threshold_target": 0.9}
    code, ws_path = run(tmp_path, csv, train, package=True)
    assert code == 0
    out = outputs(ws_path)
    split, logged, pipeline = out["split"], out["logged"], out["model"].estimator
    threshold = logged["decision_threshold"]

    # plain scikit-learn picks the same threshold from the validation rows' probabilities
    classes = list(pipeline.classes_)
    assert classes == ["churn", "stay"]
    inner = pipeline.named_steps["model"].estimator_  # the fitted logistic regression
    fitted = pipeline.named_steps["preprocess"]
    val_proba = inner.predict_proba(fitted.transform(split.X_val))[:, 0]
    precision, recall, thresholds = m.precision_recall_curve(split.y_val == "churn", val_proba)
    assert threshold == thresholds[np.flatnonzero(recall[:-1] >= 0.9)[-1]]
    assert 0.0 < threshold < 0.5

    # the test predictions apply it: 'churn' when its probability reaches the threshold
    proba = inner.predict_proba(fitted.transform(split.X_test))[:, 0]
    expected = np.where(proba >= threshold, "churn", "stay")
    argmax = np.where(proba >= 0.5, "churn", "stay")
    assert (expected != argmax).sum() >= 5  # the threshold changes predictions
    assert out["predictions"]["y_pred"].tolist() == expected.tolist()
    y = np.asarray(split.y_test)
    assert logged["recall"] == pytest.approx(m.recall_score(y, expected, pos_label="churn"))
    assert logged["precision"] == pytest.approx(m.precision_score(y, expected, pos_label="churn"))
    assert logged["accuracy"] == pytest.approx(np.mean(expected == y))

    # the registered and packaged model carries it: skops alone loads and applies it
    data = (tmp_path / "package" / "churn-v1" / "model.skops").read_bytes()
    packaged = sio.loads(data, trusted=sio.get_untrusted_types(data=data))
    assert packaged.predict(split.X_test).tolist() == expected.tolist()
    assert "decision threshold" in out["log"] and "the test part is not used" in out["log"]


def test_positive_class_defaults_to_the_rarer_class_and_can_be_named(tmp_path, capsys):
    csv = tmp_path / "churn.csv"
    churn_csv(csv)
    assert run(tmp_path / "rare", csv, {}, validation_size=0.0)[0] == 0
    named = {"positive_class": "stay"}
    assert run(tmp_path / "named", csv, named, validation_size=0.0)[0] == 0
    rare, stay = outputs(str(tmp_path / "rare" / "w.db")), outputs(str(tmp_path / "named" / "w.db"))
    y = np.asarray(rare["split"].y_test)
    for out, positive in ((rare, "churn"), (stay, "stay")):
        pred = out["predictions"]["y_pred"].to_numpy()
        proba = out["predictions"][f"proba_{positive}"].to_numpy()
        values = out["metrics"].values
        assert out["metrics"].details["positive_class"] == positive
        assert values["recall"] == pytest.approx(m.recall_score(y, pred, pos_label=positive))
        assert values["f1"] == pytest.approx(m.f1_score(y, pred, pos_label=positive))
        assert values["pr_auc"] == pytest.approx(m.average_precision_score(y == positive, proba))
        assert f"positive class '{positive}'" in out["log"]
        assert out["model"].params["positive_class"] == positive
    # the same model and predictions, reported for the other class
    assert rare["logged"]["accuracy"] == stay["logged"]["accuracy"]
    assert rare["logged"]["recall"] != stay["logged"]["recall"]
    capsys.readouterr()
    assert main(["--workspace", str(tmp_path / "named" / "w.db"), "runs", "churn", "--json"]) == 0
    assert "recall" in json.loads(capsys.readouterr().out)[0]["metrics"]


def test_without_a_threshold_the_validation_rows_are_trained_on(tmp_path):
    from sklearn.base import clone

    csv = tmp_path / "churn.csv"
    churn_csv(csv)
    assert run(tmp_path, csv, {})[0] == 0
    out = outputs(str(tmp_path / "w.db"))
    split, pipeline = out["split"], out["model"].estimator
    assert "the validation part (120 rows) joins the training part" in out["log"]
    rows = pd.concat([split.X_train, split.X_val])
    labels = pd.concat([pd.Series(split.y_train), pd.Series(split.y_val)])
    both = clone(pipeline).fit(rows, labels).predict_proba(split.X_test)
    train_only = clone(pipeline).fit(split.X_train, split.y_train).predict_proba(split.X_test)
    assert np.allclose(pipeline.predict_proba(split.X_test), both)
    assert not np.allclose(pipeline.predict_proba(split.X_test), train_only)


def test_a_threshold_chosen_on_validation_rows_needs_a_validation_part(tmp_path):
    csv = tmp_path / "churn.csv"
    churn_csv(csv)
    code, ws_path = run(tmp_path, csv, MAX_F1, validation_size=0.0)
    assert code != 0
    stage = outputs_stage(ws_path, "train")
    assert stage.status == "failed"
    assert "set Split's validation_size above 0" in stage.error


def test_an_unknown_positive_class_is_refused_by_name(tmp_path):
    csv = tmp_path / "churn.csv"
    churn_csv(csv)
    code, ws_path = run(tmp_path, csv, {"positive_class": "gone"})
    assert code != 0
    stage = outputs_stage(ws_path, "train")
    assert "the positive class 'gone' is not one of the classes churn, stay" in stage.error


def outputs_stage(ws_path: str, node_id: str):
    with Workspace.open(ws_path) as ws:
        return next(s for s in ws.runs.get(1).stages if s.node_id == node_id)


def test_cross_validation_of_a_weighted_thresholded_model_keeps_the_threshold(tmp_path):
    """Evaluate's folds refit the model with the fold's row weights and predict with the
    threshold chosen on the validation part (scikit-learn's FixedThresholdClassifier takes
    no weights itself): the fold scores are plain scikit-learn's."""
    from sklearn.base import clone
    from sklearn.model_selection import FixedThresholdClassifier, StratifiedKFold

    csv = tmp_path / "churn.csv"
    frame = churn_csv(csv)
    frame["w"] = np.random.default_rng(5).uniform(0.2, 3.0, len(frame))
    frame.to_csv(csv, index=False)
    code, ws_path = run(tmp_path, csv, MAX_F1, roles="w=weight", evaluate={"cv_folds": 4})
    assert code == 0
    out = outputs(ws_path)
    split, pipeline = out["split"], out["model"].estimator
    step = pipeline.named_steps["model"]
    scores = []
    X, y, w = split.X_train, np.asarray(split.y_train), split.w_train.to_numpy(dtype=float)
    for fit, held in StratifiedKFold(4, shuffle=True, random_state=0).split(X, y):
        fold = clone(pipeline)
        fold.steps[-1] = ("model", clone(step.estimator))
        fold.fit(X.iloc[fit], y[fit], model__sample_weight=w[fit])
        fixed = FixedThresholdClassifier(
            fold.named_steps["model"], threshold=step.threshold, pos_label="churn"
        )
        fixed.estimator_ = fold.named_steps["model"]
        fold.steps[-1] = ("model", fixed)
        scores.append(np.mean(fold.predict(X.iloc[held]) == y[held]))
    assert out["logged"]["cv_accuracy_mean"] == pytest.approx(np.mean(scores), abs=1e-12)
