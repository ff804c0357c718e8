"""Task override and log-target regression, run from the CLI.

A target of whole numbers 1..10 looks like classes; task=regression makes it a number to
predict. A target that cannot fit the chosen task stops Load data with the reason. A skewed
price trained on log1p(price) predicts back in the price's own units: the app's metrics are
those of the predictions in pounds, the packaged model gives the very same predictions in a
fresh environment that holds only scikit-learn, skops and pandas.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_raw_row_model import SCORE, fresh_python  # noqa: E402

from mlops_desktop.app.runs import RunService  # noqa: E402
from mlops_desktop.app.workspace import Workspace  # noqa: E402
from mlops_desktop.cli import main  # noqa: E402
from mlops_desktop.core import serialization  # noqa: E402
from mlops_desktop.core.graph import Pipeline  # noqa: E402
from mlops_desktop.core.operations import add_stage, connect  # noqa: E402
from mlops_desktop.core.registry import default_registry  # noqa: E402


def ratings_csv(path: Path, n: int = 300) -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=n)
    rating = np.clip(np.round(5.5 + 2 * x + rng.normal(scale=0.7, size=n)), 1, 10).astype(int)
    pd.DataFrame({"x": x, "shop": rng.choice(["a", "b"], n), "rating": rating}).to_csv(
        path, index=False
    )


def prices_csv(path: Path, n: int = 300) -> None:
    rng = np.random.default_rng(8)
    size = rng.uniform(20, 200, n)
    area = rng.choice(["north", "south", "centre"], n)
    log_price = 9 + 0.012 * size + 0.6 * (area == "centre") + rng.normal(scale=0.25, size=n)
    frame = pd.DataFrame({"size": size.round(1), "area": area, "price": np.exp(log_price).round(2)})
    frame.to_csv(path, index=False)


def run(tmp_path, csv, load: dict, train: dict, folder: Path | None = None, ws: str = "w"):
    ws_path = str(tmp_path / f"{ws}.db")
    p = Pipeline("main", default_registry())
    nodes = [
        ("load", "load_data", {"source": "file", "path": str(csv), **load}),
        ("split", "split", {"test_size": 0.25}),
        ("train", "train", train),
        ("eval", "evaluate", {"permutation_importance": False}),
    ]
    links = [
        ("load", "dataset", "split", "dataset"),
        ("split", "split", "train", "split"),
        ("split", "split", "eval", "split"),
        ("train", "model", "eval", "model"),
    ]
    if folder is not None:
        nodes += [
            ("register", "register_model", {"model_name": "price"}),
            ("package", "package", {"output_folder": str(folder)}),
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
    with Workspace.open(ws_path) as w:
        project = w.projects.create("shop")
        w.pipelines.create(project.id, "main", serialization.to_dict(p))
    return main(["--workspace", ws_path, "run", "shop", "--quiet"]), ws_path


def stage(ws_path: str, node_id: str):
    with Workspace.open(ws_path) as ws:
        return next(s for s in ws.runs.get(1).stages if s.node_id == node_id)


def test_whole_number_ratings_can_be_regressed_when_the_task_is_chosen(tmp_path):
    csv = tmp_path / "ratings.csv"
    ratings_csv(csv)
    ridge = {"estimator": "ridge"}
    code, ws_path = run(tmp_path, csv, {"target": "rating"}, ridge, ws="auto")
    assert code != 0  # inferred: ten whole numbers are classes, and ridge is no classifier
    assert "is a regressor but the target 'rating' has classes" in stage(ws_path, "train").error

    code, ws_path = run(tmp_path, csv, {"target": "rating", "task": "regression"}, ridge)
    assert code == 0
    assert "task regression as chosen (the target alone looks like classification)" in (
        stage(ws_path, "load").log
    )
    with Workspace.open(ws_path) as ws:
        service = RunService(ws)
        split = service.outputs(1, "split")["split"]
        metrics = service.outputs(1, "eval")["metrics"].values
        model = service.outputs(1, "train")["model"]
    assert split.task == model.task == "regression"
    y_pred = model.estimator.predict(split.X_test)
    assert len(np.unique(y_pred)) > 20  # numbers, not ten classes
    rmse = np.sqrt(np.mean((split.y_test.to_numpy(dtype=float) - y_pred) ** 2))
    assert metrics["rmse"] == pytest.approx(rmse, abs=1e-9) and metrics["r2"] > 0.7


@pytest.mark.parametrize(
    ("target", "task", "message"),
    [
        ("price", "classification", "task=classification needs classes, but 'price' holds "),
        ("area", "regression", "task=regression needs a numeric target, but 'area' holds values"),
    ],
)
def test_a_target_that_cannot_fit_the_chosen_task_stops_load_data(tmp_path, target, task, message):
    csv = tmp_path / "prices.csv"
    prices_csv(csv)
    train = {"estimator": "random_forest", "n_estimators": 5}
    code, ws_path = run(tmp_path, csv, {"target": target, "task": task}, train)
    assert code != 0
    load = stage(ws_path, "load")
    assert load.status == "failed" and message in load.error


def test_log_target_predicts_in_the_target_units_and_the_package_agrees(tmp_path, capsys):
    csv, folder = tmp_path / "prices.csv", tmp_path / "package"
    prices_csv(csv)
    load = {"target": "price"}
    train = {"estimator": "ridge", "alpha": 0.1, "target_transform": "log1p"}
    code, ws_path = run(tmp_path, csv, load, train, folder)
    assert code == 0
    with Workspace.open(ws_path) as ws:
        service = RunService(ws)
        split = service.outputs(1, "split")["split"]
        model = service.outputs(1, "train")["model"]
        metrics = service.outputs(1, "eval")["metrics"].values
        in_app = service.outputs(1, "eval")["predictions"].frame["y_pred"]
        log = stage(ws_path, "train").log
    assert "fitting on log1p of the target" in log
    fitted = model.estimator.named_steps["model"]
    assert type(fitted).__name__ == "TransformedTargetRegressor"
    # the inner ridge predicts log prices; the model answers in pounds
    inner = fitted.regressor_.predict(
        model.estimator.named_steps["preprocess"].transform(split.X_test)
    )
    assert np.allclose(np.expm1(inner), in_app.to_numpy())
    assert in_app.min() > 1000  # pounds, not log pounds (log1p of a price is below 15)
    y = split.y_test.to_numpy(dtype=float)
    assert metrics["rmse"] == pytest.approx(
        np.sqrt(np.mean((y - in_app.to_numpy()) ** 2)), abs=1e-6
    )
    assert metrics["mae"] == pytest.approx(np.mean(np.abs(y - in_app.to_numpy())), abs=1e-6)

    # the same ridge on the raw price fits worse on this multiplicative price
    plain = {"estimator": "ridge", "alpha": 0.1}
    code, plain_ws = run(tmp_path, csv, load, plain, ws="plain")
    assert code == 0
    with Workspace.open(plain_ws) as ws:
        plain_metrics = RunService(ws).outputs(1, "eval")["metrics"].values
    assert metrics["mae"] < plain_metrics["mae"]

    # the packaged model scores raw rows to the very same pounds without the app
    work = tmp_path / "score"
    work.mkdir()
    raw = pd.read_csv(csv).loc[split.X_test.index].drop(columns=["price"])
    raw.to_csv(work / "rows.csv", index=False)
    (work / "model.skops").write_bytes((folder / "price-v1" / "model.skops").read_bytes())
    (work / "score.py").write_text(SCORE)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    done = subprocess.run(
        [str(fresh_python(tmp_path)), "score.py"],
        capture_output=True,
        text=True,
        cwd=work,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout) == [str(v) for v in in_app.to_numpy()]


def test_log_target_refuses_negative_targets_and_classes(tmp_path):
    csv = tmp_path / "ratings.csv"
    ratings_csv(csv)
    frame = pd.read_csv(csv)
    frame["change"] = frame["x"] * 3.3  # a regression target with negative values
    frame.to_csv(csv, index=False)
    train = {"estimator": "ridge", "target_transform": "log1p"}
    code, ws_path = run(tmp_path, csv, {"target": "change", "roles": "rating=ignore"}, train)
    assert code != 0
    assert (
        "log1p needs a target of 0 or more; 'change' goes down to" in stage(ws_path, "train").error
    )
    forest = {"estimator": "random_forest", "target_transform": "log1p", "n_estimators": 5}
    code, ws_path = run(tmp_path, csv, {"target": "rating"}, forest, ws="cls")
    assert code != 0
    assert "is for regression, but the target 'rating' has classes" in stage(ws_path, "train").error
