"""Tuning without leakage: on pure noise, feature selection refitted inside every fold keeps
the cross-validated score near chance (selection fitted on all training rows first would
report about 0.7)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlops_desktop.app.runs import RunService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.cli import main
from mlops_desktop.core import serialization
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.operations import add_stage, connect
from mlops_desktop.core.registry import default_registry


def test_tuned_cv_score_on_pure_noise_stays_near_chance(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(200, 1000)), columns=[f"f{i}" for i in range(1000)])
    frame["y"] = rng.integers(0, 2, 200)
    csv, ws_path = tmp_path / "noise.csv", str(tmp_path / "w.db")
    frame.to_csv(csv, index=False)
    p = Pipeline("main", default_registry())
    for node_id, stage_type, params in [
        ("load", "load_data", {"source": "file", "path": str(csv), "target": "y"}),
        ("split", "split", {"test_size": 0.25}),
        ("fe", "feature_engineering", {"reduce": "select_k_best", "n_components": 10}),
        (
            "tune",
            "tune",
            {"estimator": "logistic_regression", "grid": '{"C": [0.1, 1.0, 10.0]}', "cv": 5},
        ),
    ]:
        p.apply(add_stage(p, stage_type, params=params, node_id=node_id))
    for link in [
        ("load", "dataset", "split", "dataset"),
        ("split", "split", "fe", "split"),
        ("fe", "split", "tune", "split"),
    ]:
        p.apply(connect(*link))
    with Workspace.open(ws_path) as ws:
        project = ws.projects.create("noise")
        ws.pipelines.create(project.id, "main", serialization.to_dict(p))
    assert main(["--workspace", ws_path, "run", "noise", "--quiet"]) == 0
    with Workspace.open(ws_path) as ws:
        results = RunService(ws).outputs(1, "tune")["results"]
        model = RunService(ws).outputs(1, "tune")["model"].estimator
    assert results.values["cv_best_score"] < 0.6
    # the selection is part of the tuned model: it takes the 1,000 raw columns
    assert model.named_steps["preprocess"].n_features_in_ == 1000
