"""Drift is judged on the raw columns, through a real pipeline with feature engineering: a
model trained on a CSV with a text column and a 0/1 flag (one-hot encoded by Transform
features) serves production traffic, simulated or imported as a file, and Monitor flags a
new category of the text column and the flag's 0.1 -> 0.9 shift by their own names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops_desktop.app.runs import RunService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.core.entities import RunStatus
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.operations import add_stage, connect
from mlops_desktop.core.registry import default_registry
from mlops_desktop.core.serialization import to_dict
from mlops_desktop.storage.triggers import TriggerStore


def _frame(rows: int, flag_share: float, seed: int, colours=("red", "blue")) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    colour = rng.choice(list(colours), size=rows)
    return pd.DataFrame(
        {
            "x": x,
            "colour": colour,
            "flag": (rng.random(rows) < flag_share).astype(int),
            "target": np.where(x + (colour == "red") > 0.5, "yes", "no"),
        }
    )


TRAIN = [
    ("split", "split", {"test_size": 0.3}),
    ("fe", "feature_engineering", {"one_hot": True}),
    ("train", "train", {"estimator": "logistic_regression"}),
    ("reg", "register_model", {"model_name": "clf"}),
    ("deploy", "deploy", {"environment": "production"}),
]
LINKS = [
    ("load", "dataset", "split", "dataset"),
    ("split", "split", "fe", "split"),
    ("fe", "split", "train", "split"),
    ("train", "model", "reg", "model"),
    ("reg", "model_version", "deploy", "model_version"),
    ("serve", "predictions", "monitor", "predictions"),
    ("fe", "split", "monitor", "reference"),
]


def _pipeline(train_csv, traffic: list) -> dict:
    pipeline = Pipeline("raw", default_registry())
    load = {"source": "file", "path": str(train_csv), "target": "target"}
    nodes = [
        ("load", "load_data", load),
        *TRAIN,
        *traffic,
        ("serve", "serve", {"environment": "production"}),
        ("monitor", "monitor", {}),
    ]
    for node_id, stage_type, params in nodes:
        pipeline.apply(add_stage(pipeline, stage_type, params=params, node_id=node_id))
    return pipeline


def _run(ws, pipeline: Pipeline, links) -> tuple:
    for link in [*LINKS, *links]:
        pipeline.apply(connect(*link))
    project = ws.projects.get("p")
    names = [i.name for i in ws.pipelines.list(project.id)]
    if "raw" in names:
        ws.pipelines.save(ws.pipelines.get(project.id, "raw").id, to_dict(pipeline))
    else:
        ws.pipelines.create(project.id, "raw", to_dict(pipeline))
    run = RunService(ws).run("p", "raw")
    assert run.status is RunStatus.SUCCEEDED, run.message
    monitor = RunService(ws).outputs(run.id, "monitor")
    features = {f["feature"]: f for f in monitor["report"].details.get("features", [])}
    log = next(s.log for s in run.stages if s.node_id == "monitor")
    return run, monitor, features, log


@pytest.fixture
def ws(workspace_url):
    workspace = Workspace.open(workspace_url)
    workspace.projects.create("p")
    yield workspace
    workspace.close()


@pytest.mark.slow
def test_simulated_new_category_after_feature_engineering_is_flagged_on_its_column(ws, tmp_path):
    train_csv = tmp_path / "train.csv"
    _frame(600, 0.1, 0).to_csv(train_csv, index=False)
    traffic = [
        ("traffic", "simulate_traffic", {"drift": "new_category", "drift_per_batch": 0.5}),
    ]
    links = [("fe", "split", "traffic", "split"), ("traffic", "dataset", "serve", "dataset")]
    _run(ws, _pipeline(train_csv, traffic), links)  # batch 0, no drift; deploys v1
    run, monitor, features, log = _run(ws, _pipeline(train_csv, traffic), links)
    # Batch 1: half the rows of the text column take a category never seen in training.
    # The model (its one-hot encoder inside) still answers, and Monitor names the raw column,
    # not the encoded ones.
    assert set(features) == {"x", "colour", "flag"}
    colour = features["colour"]
    assert colour["new_categories"] == ["new-colour"] and colour["bins"] == "category"
    assert colour["new_category_share"] == pytest.approx(0.5, abs=0.01)
    assert colour["drifted"] and colour["test"] == "chi2"
    assert monitor["alert"]["raised"]
    assert (
        "categories never seen in training: colour (new-colour: 50% of rows)"
        in (monitor["alert"]["reasons"])
    )
    [alert] = TriggerStore(ws.db).alerts(ws.projects.get("p").id)
    assert alert.run_id == run.id and "colour (new-colour" in alert.message


@pytest.mark.slow
def test_imported_traffic_with_a_one_hot_shift_and_a_new_category_is_flagged(ws, tmp_path):
    train_csv, served_csv = tmp_path / "train.csv", tmp_path / "served.csv"
    _frame(600, 0.1, 0).to_csv(train_csv, index=False)
    # Production rows imported from a file: the 0/1 flag is set on 90% of them (10% in
    # training) and a fifth of them have a colour never seen.
    served = _frame(400, 0.9, 1, colours=("red", "blue", "blue", "blue", "green"))
    served.to_csv(served_csv, index=False)
    traffic = [("prod", "load_data", {"source": "file", "path": str(served_csv)})]
    links = [("prod", "dataset", "serve", "dataset")]
    _run(ws, _pipeline(train_csv, traffic), links)  # deploys v1; nothing served yet
    run, monitor, features, log = _run(ws, _pipeline(train_csv, traffic), links)
    flag = features["flag"]
    # Quantile edges of a 0/1 column collapse: it is binned by value, its PSI is large and the
    # chi-square p-value is shown beside it.
    assert flag["bins"] == "category" and flag["test"] == "chi2"
    assert flag["drifted"] and flag["psi"] > 2.0 and flag["p_value"] < 1e-50
    assert features["colour"]["new_categories"] == ["green"]
    assert 0.1 < features["colour"]["new_category_share"] < 0.3
    assert not features["x"]["drifted"]
    assert "flag: PSI" in log and "(category bins), chi-square p = " in log
    reasons = " | ".join(monitor["alert"]["reasons"])
    assert "features drifted (colour, flag)" in reasons or "features drifted (flag" in reasons
    assert "categories never seen in training: colour (green" in reasons
