"""Exported scripts reproduce the positive class, the decision threshold chosen on the
validation part, the calibration and the training on the validation rows with plain
scikit-learn: run in a fresh interpreter, they print the app's numbers (to 1e-6, in
practice identical), the threshold included."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_codegen import build, run_in_app, run_script

from mlops_desktop.app.workspace import Workspace

TOLERANCE = 1e-6


@pytest.fixture
def ws(tmp_path):
    workspace = Workspace.open(str(tmp_path / "ws.db"))
    yield workspace
    workspace.close()


def churn_csv(path, n: int = 500, weights: bool = False) -> None:
    """A rare 'churn' class, a text column, missing values (and row weights)."""
    rng = np.random.default_rng(4)
    tenure, plan = rng.normal(size=n), rng.choice(["basic", "plus", "pro"], n)
    usage = np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n))
    signal = -1.2 * tenure + 0.9 * (plan == "basic") + 0.4 * np.nan_to_num(usage)
    churn = np.where(signal + rng.normal(size=n) > 1.0, "churn", "stay")
    frame = pd.DataFrame({"tenure": tenure, "plan": plan, "usage": usage, "churned": churn})
    if weights:
        frame["w"] = rng.uniform(0.3, 3.0, n)
    frame.to_csv(path, index=False)


def pipeline(csv, train: dict, weights: bool = False):
    load = {"source": "file", "path": str(csv), "target": "churned"}
    if weights:
        load["roles"] = "w=weight"
    return build(
        [
            ("load", "load_data", load),
            ("split", "split", {"validation_size": 0.2}),
            ("train", "train", train),
            ("eval", "evaluate", {"permutation_importance": False}),
        ],
        [
            ("load", "dataset", "split", "dataset"),
            ("split", "split", "train", "split"),
            ("split", "split", "eval", "split"),
            ("train", "model", "eval", "model"),
        ],
    )


CASES = {
    "max-f1-calibrated-forest": (
        {
            "estimator": "random_forest",
            "n_estimators": 20,
            "threshold": "max_f1",
            "calibration": "sigmoid",
            "calibration_folds": 3,
        },
        False,
    ),
    "min-precision-named-positive": (
        {
            "estimator": "logistic_regression",
            "threshold": "min_precision",
            "threshold_target": 0.9,
            "positive_class": "stay",
        },
        False,
    ),
    "isotonic-on-training-plus-validation-weighted": (
        {"estimator": "logistic_regression", "calibration": "isotonic"},
        True,
    ),
    "svc-decision-threshold": (
        {"estimator": "svc", "threshold": "min_recall", "threshold_target": 0.85},
        False,
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_script_reproduces_threshold_and_calibration(ws, tmp_path, case):
    train, weights = CASES[case]
    csv = tmp_path / "churn.csv"
    churn_csv(csv, weights=weights)
    document = pipeline(csv, train, weights)
    service, run = run_in_app(ws, document)
    expected = dict(service.outputs(run.id, "eval")["metrics"].values)
    logged = ws.metrics.latest(run.id)
    results, out = run_script(tmp_path, document)
    assert set(expected) <= set(results["Evaluate"])
    for key, value in expected.items():
        assert results["Evaluate"][key] == pytest.approx(value, abs=TOLERANCE), key
    if train.get("threshold", "none") != "none":
        assert results["Train"]["decision_threshold"] == pytest.approx(
            logged["decision_threshold"], abs=TOLERANCE
        )
        assert "decision threshold" in out
    else:
        assert "decision_threshold" not in logged
    if train.get("calibration", "none") != "none":
        assert "brier_score" in expected


def test_tune_searches_over_the_training_and_validation_rows(ws, tmp_path):
    """Tune's own folds validate, so a carved-out validation part joins the rows it searches
    on (nothing is wasted); the script does the same and prints the same numbers."""
    from sklearn.base import clone

    csv = tmp_path / "churn.csv"
    churn_csv(csv, weights=True)
    tune = {"estimator": "logistic_regression", "grid": '{"C": [0.1, 1.0]}', "cv": 3}
    document = build(
        [
            (
                "load",
                "load_data",
                {"source": "file", "path": str(csv), "target": "churned", "roles": "w=weight"},
            ),
            ("split", "split", {"validation_size": 0.2}),
            ("tune", "tune", tune),
            ("eval", "evaluate", {"permutation_importance": False}),
        ],
        [
            ("load", "dataset", "split", "dataset"),
            ("split", "split", "tune", "split"),
            ("split", "split", "eval", "split"),
            ("tune", "model", "eval", "model"),
        ],
    )
    service, run = run_in_app(ws, document)
    split = service.outputs(run.id, "split")["split"]
    model = service.outputs(run.id, "tune")["model"].estimator
    log = next(s.log for s in ws.runs.get(run.id).stages if s.node_id == "tune")
    assert "the validation part (100 rows) joins the training part" in log
    rows = pd.concat([split.X_train, split.X_val])
    labels = pd.concat([pd.Series(split.y_train), pd.Series(split.y_val)])
    weights = np.concatenate([split.w_train.to_numpy(float), split.w_val.to_numpy(float)])
    refit = clone(model).fit(rows, labels, model__sample_weight=weights)
    assert np.allclose(refit.predict_proba(split.X_test), model.predict_proba(split.X_test))
    expected = dict(service.outputs(run.id, "eval")["metrics"].values)
    results, _ = run_script(tmp_path, document)
    for key, value in expected.items():
        assert results["Evaluate"][key] == pytest.approx(value, abs=TOLERANCE), key
    tuned = service.outputs(run.id, "tune")["results"].values["cv_best_score"]
    assert results["Tune"]["cv_best_score"] == pytest.approx(tuned, abs=TOLERANCE)
