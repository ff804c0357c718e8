"""Train, tune, evaluate and the model gate on real bundled datasets."""

from __future__ import annotations

import pytest

from mlops_desktop.core.execution import StageFailed
from mlops_desktop.stages.model import RuleError, evaluate_rules, parse_rules, tokenize
from mlops_desktop.stages.specs_model import CLASSIFIERS, REGRESSORS


def prepared(stage, dataset: str):
    ds = stage.run("load_data", dataset=dataset)["dataset"]
    split = stage.run("split", {"dataset": ds})["split"]
    return stage.run("feature_engineering", {"split": split})["split"]


@pytest.fixture(scope="module")
def iris_split():
    from stage_helpers import Harness

    return prepared(Harness(), "iris")


@pytest.fixture(scope="module")
def diabetes_split():
    from stage_helpers import Harness

    return prepared(Harness(), "diabetes")


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_every_classifier_trains(stage, iris_split, name):
    model = stage.run("train", {"split": iris_split}, estimator=name, n_estimators=10, max_iter=30)[
        "model"
    ]
    assert model.task == "classification" and model.classes == [0, 1, 2]
    assert model.estimator.score(iris_split.X_test, iris_split.y_test) > 0.8
    assert stage.metric("fit_seconds")[0] > 0


@pytest.mark.parametrize("name", REGRESSORS)
def test_every_regressor_trains(stage, diabetes_split, name):
    model = stage.run(
        "train", {"split": diabetes_split}, estimator=name, n_estimators=10, max_iter=30
    )["model"]
    assert model.task == "regression"
    assert model.estimator.score(diabetes_split.X_test, diabetes_split.y_test) > 0.2


def test_tree_ensembles_report_progress(stage, iris_split):
    stage.run("train", {"split": iris_split}, estimator="random_forest", n_estimators=40)
    fractions = [e[1] for e in stage.sink.events if e[0] == "progress"]
    assert fractions[0] == 2 / 40 and fractions[-1] == 1.0 and fractions == sorted(fractions)


def test_wrong_estimator_fails_clearly_and_text_columns_get_default_preprocessing(
    stage, iris_split
):
    with pytest.raises(
        StageFailed, match="'ridge' is a regressor but the target 'target' has classes"
    ):
        stage.run("train", {"split": iris_split}, estimator="ridge")
    import pandas as pd

    from mlops_desktop.core.execution import DatasetValue

    frame = pd.DataFrame({"colour": ["red", "blue"] * 20, "target": [0, 1] * 20})
    split = stage.run("split", {"dataset": DatasetValue(frame, "target", "classification")})[
        "split"
    ]
    model = stage.run("train", {"split": split}, estimator="logistic_regression")["model"]
    assert model.feature_names == ["colour"]
    assert list(model.estimator.predict(pd.DataFrame({"colour": ["red", "blue"]}))) == [0, 1]


def test_tune_logs_every_candidate(stage, iris_split):
    out = stage.run(
        "tune",
        {"split": iris_split},
        estimator="k_neighbors",
        grid='{"n_neighbors": [1, 3, 5, 7]}',
        cv=3,
    )
    assert len(stage.metric("cv_score")) == 4 and len(stage.metric("cv_score_std")) == 4
    assert stage.metric("param/n_neighbors") == [1.0, 3.0, 5.0, 7.0]
    results = out["results"]
    assert results.values["cv_best_score"] == max(stage.metric("cv_score"))
    assert (
        out["model"].estimator.named_steps["model"].n_neighbors
        == results.details["best_params"]["n_neighbors"]
    )
    rnd = stage.run(
        "tune",
        {"split": iris_split},
        estimator="k_neighbors",
        search="random",
        grid='{"n_neighbors": [1, 3, 5, 7]}',
        n_iter=50,
    )
    assert len(rnd["results"].details["candidates"]) == 4  # capped at the grid size


@pytest.mark.parametrize(
    "grid,message",
    [
        ("{oops", "not valid JSON"),
        ('{"nope": [1]}', "'nope' is not a parameter"),
        ('{"n_neighbors": 3}', "must be a non-empty list"),
    ],
)
def test_tune_bad_grid(stage, iris_split, grid, message):
    with pytest.raises(StageFailed, match=message):
        stage.run("tune", {"split": iris_split}, estimator="k_neighbors", grid=grid)


def test_evaluate_classification(stage):
    split = prepared(stage, "breast_cancer")
    model = stage.run("train", {"split": split}, estimator="logistic_regression")["model"]
    out = stage.run(
        "evaluate",
        {"model": model, "split": split},
        importance_repeats=2,
        slice_column="mean radius",
    )
    m = out["metrics"]
    for key in ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss"):
        assert key in m.values and f"baseline_{key}" in m.values
    assert m["accuracy"] > 0.9 > m["baseline_accuracy"]
    assert sum(map(sum, m.details["confusion_matrix"])) == len(split.y_test)
    assert len(m.details["roc_curve"]["fpr"]) <= 200 and m.details["pr_curve"]["recall"]
    assert len(m.details["slices"]) == 4 and sum(
        s["rows"] for s in m.details["slices"].values()
    ) == len(split.y_test)
    assert len(m.details["importance"]) == 30
    assert len(stage.metric("confusion_matrix")) == 4 and stage.metric("roc/fpr")
    assert out["predictions"].frame.shape[0] == len(split.y_test)
    assert {"y_true", "y_pred", "proba_0", "proba_1"} <= set(out["predictions"].frame.columns)


def test_evaluate_regression_and_multiclass(stage, diabetes_split, iris_split):
    model = stage.run("train", {"split": diabetes_split}, estimator="ridge")["model"]
    m = stage.run(
        "evaluate", {"model": model, "split": diabetes_split}, permutation_importance=False
    )["metrics"]
    assert {"rmse", "mae", "r2", "baseline_rmse", "baseline_r2"} <= set(m.values)
    assert m["rmse"] < m["baseline_rmse"] and abs(m["baseline_r2"]) < 0.1
    assert len(m.details["residuals"]["residual"]) == len(diabetes_split.y_test)
    svc = stage.run("train", {"split": iris_split}, estimator="svc")["model"]
    m = stage.run("evaluate", {"model": svc, "split": iris_split}, permutation_importance=False)[
        "metrics"
    ]
    assert "accuracy" in m.values and "log_loss" not in m.values  # SVC gives no probabilities


def test_rule_parser_without_eval():
    tree = parse_rules("accuracy >= 0.9 and accuracy > baseline_accuracy or f1 == 1")
    ok, lines = evaluate_rules(tree, {"accuracy": 0.95, "baseline_accuracy": 0.6, "f1": 0.2})
    assert ok and lines[0].startswith("✓ accuracy >= 0.9")
    ok, _ = evaluate_rules(
        parse_rules("(accuracy > 0.99 or f1 > 0.1) and rmse < 1e-3"),
        {"accuracy": 0.5, "f1": 0.2, "rmse": 0.0001},
    )
    assert ok
    assert tokenize("a<=-1.5e2") == [("name", "a"), ("op", "<="), ("num", "-1.5e2")]
    for bad in (
        "__import__('os').system('x')",
        "accuracy >=",
        "accuracy 0.9",
        "(a > 1",
        "a > 1 and",
        "",
    ):
        with pytest.raises(RuleError):
            parse_rules(bad)
    with pytest.raises(RuleError, match="unknown metric 'acc'"):
        evaluate_rules(parse_rules("acc > 1"), {"accuracy": 1.0})


def test_model_gate_stage(stage, iris_split):
    from mlops_desktop.core.execution import MetricsValue

    model = object()
    out = stage.run(
        "model_gate",
        {"model": model, "metrics": MetricsValue({"accuracy": 0.95, "baseline_accuracy": 0.3})},
        rules="accuracy >= 0.9 and accuracy > baseline_accuracy",
    )
    assert (
        out["model"] is model
        and out["metrics"].details["gate"]["passed"]
        and not stage.ctx.skip_reason
    )
    stage.run(
        "model_gate",
        {"model": model, "metrics": MetricsValue({"accuracy": 0.85})},
        rules="accuracy >= 0.9",
    )
    assert stage.ctx.skip_reason == "model gate not passed: accuracy >= 0.9 (0.85 >= 0.9)"
    with pytest.raises(StageFailed, match="gate rule: unknown metric 'f2'"):
        stage.run(
            "model_gate", {"model": model, "metrics": MetricsValue({"f1": 1.0})}, rules="f2 > 0"
        )


def test_balanced_class_weights_find_more_of_a_rare_class(stage):
    import numpy as np
    import pandas as pd

    from mlops_desktop.core.execution import DatasetValue

    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 2))
    y = np.where(x[:, 0] + 0.8 * rng.normal(size=600) > 1.6, "rare", "common")
    frame = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "target": y})
    split = stage.run("split", {"dataset": DatasetValue(frame, "target", "classification")})
    recall = {}
    for weights in ("none", "balanced"):
        model = stage.run("train", split, estimator="logistic_regression", class_weight=weights)[
            "model"
        ]
        metrics = stage.run(
            "evaluate", {"model": model, "split": split["split"]}, permutation_importance=False
        )["metrics"]
        recall[weights] = metrics.values["balanced_accuracy"]
    assert recall["balanced"] > recall["none"] + 0.05


def test_a_one_hot_too_big_to_hold_names_the_stage_that_fixes_it(stage, monkeypatch):
    """Without Feature engineering, text is one-hot encoded into a dense matrix: past
    MAX_ONE_HOT_BYTES Train and Tune stop before allocating it and say which stage to add
    (app.stage_fixes reads that phrase); Feature engineering with one_hot on refuses the same
    matrix and says to turn it off; with one_hot off it trains."""
    import pandas as pd

    from mlops_desktop.app.stage_fixes import parse_remedy
    from mlops_desktop.core.execution import DatasetValue
    from mlops_desktop.stages import _limits

    monkeypatch.setattr(_limits, "MAX_ONE_HOT_BYTES", 200_000)
    frame = pd.DataFrame(
        {"city": [f"c{i % 200}" for i in range(800)], "n": range(800), "target": [0, 1] * 400}
    )
    data = DatasetValue(frame, "target", "classification")
    split = stage.run("split", {"dataset": data})["split"]
    for kind, extra in (("train", {}), ("tune", {"grid": '{"C": [1.0]}'})):
        with pytest.raises(StageFailed) as failed:
            stage.run(kind, {"split": split}, estimator="logistic_regression", **extra)
        message = str(failed.value)
        assert "one-hot encoding the text column 'city' (" in message
        assert "values) would make 600 rows × " in message
        remedy = parse_remedy(message)
        assert remedy is not None
        assert (remedy.title, remedy.params) == ("Feature engineering", {"one_hot": False})
    with pytest.raises(StageFailed, match="would make 600 rows .*: set one_hot off"):
        stage.run("feature_engineering", {"split": split}, one_hot=True)
    encoded = stage.run("feature_engineering", {"split": split}, one_hot=False)["split"]
    model = stage.run("train", {"split": encoded}, estimator="logistic_regression")["model"]
    assert model.feature_names == ["city", "n"]
