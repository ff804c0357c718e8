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
