"""Bounded work on user-controlled loops: a Tune grid of millions of candidates is refused at
once with the count and the limit; permutation importance on wide data permutes a seeded
sample of the columns, with progress, and records that it sampled."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from mlops_desktop.app.runs import RunService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.cli import main
from mlops_desktop.core import serialization
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.operations import add_stage, connect
from mlops_desktop.core.registry import default_registry
from mlops_desktop.stages._limits import MAX_IMPORTANCE_COLUMNS


def _project(tmp_path, columns: int, last: tuple[str, str, dict]) -> str:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(300, columns)), columns=[f"f{i}" for i in range(columns)])
    frame["y"] = (frame["f0"] + frame["f1"] > 0).astype(int)
    csv, url = tmp_path / "wide.csv", str(tmp_path / "w.db")
    frame.to_csv(csv, index=False)
    p = Pipeline("main", default_registry())
    stages = [
        ("load", "load_data", {"source": "file", "path": str(csv), "target": "y"}),
        ("split", "split", {"test_size": 0.3}),
        last,
    ]
    for node_id, stage_type, params in stages:
        p.apply(add_stage(p, stage_type, params=params, node_id=node_id))
    p.apply(connect("load", "dataset", "split", "dataset"))
    p.apply(connect("split", "split", last[0], "split"))
    if last[1] == "evaluate":
        p.apply(add_stage(p, "train", params={"estimator": "logistic_regression"}, node_id="tr"))
        p.apply(connect("split", "split", "tr", "split"))
        p.apply(connect("tr", "model", last[0], "model"))
    with Workspace.open(url) as ws:
        project = ws.projects.create("wide")
        ws.pipelines.create(project.id, "main", serialization.to_dict(p))
    return url


def test_a_grid_of_millions_of_candidates_is_refused_with_the_count(tmp_path, capsys) -> None:
    values = list(range(1, 11))
    grid = {k: values for k in ("n_estimators", "max_depth", "min_samples_leaf")}
    grid |= {
        "min_samples_split": [v + 1 for v in values],
        "max_leaf_nodes": [v + 1 for v in values],
    }
    grid["max_features"] = [0.1 * v for v in values]
    grid["ccp_alpha"] = [0.0, 0.01, 0.02, 0.03]  # 10**6 * 4 = 4,000,000 candidates
    tune = ("tune", "tune", {"estimator": "random_forest", "grid": json.dumps(grid), "cv": 3})
    url = _project(tmp_path, 3, tune)
    assert main(["--workspace", url, "run", "wide", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "the grid has 4,000,000 candidates, more than the 1,000 one search may try" in err
    assert "Traceback" not in err
    # A random search over the same grid tries n_iter of them, within the limit.
    with Workspace.open(url) as ws:
        info = ws.pipelines.get(ws.projects.get("wide").id, "main")
        doc = ws.pipelines.latest(info.id).document
        node = next(n for n in doc["nodes"] if n["id"] == "tune")
        node["params"] |= {"search": "random", "n_iter": 3}
        ws.pipelines.save(info.id, doc, "random")
    assert main(["--workspace", url, "run", "wide", "--quiet"]) == 0
    with Workspace.open(url) as ws:
        run = ws.runs.list(ws.projects.get("wide").id)[0]
        assert RunService(ws).outputs(run.id, "tune")["results"].values["candidates"] == 3


def test_importance_on_wide_data_permutes_a_recorded_sample_of_columns(tmp_path) -> None:
    evaluate = ("eval", "evaluate", {"importance_repeats": 1})
    url = _project(tmp_path, 150, evaluate)
    assert main(["--workspace", url, "run", "wide", "--quiet"]) == 0
    with Workspace.open(url) as ws:
        run = ws.runs.get(ws.runs.list(ws.projects.get("wide").id)[0].id)
        details = RunService(ws).outputs(run.id, "eval")["metrics"].details
        log = next(s.log for s in run.stages if s.node_id == "eval")
    assert details["importance_sampled"]["columns"] == MAX_IMPORTANCE_COLUMNS
    assert details["importance_sampled"]["of"] == 150
    importance = details["importance"]
    assert len(importance) == MAX_IMPORTANCE_COLUMNS
    assert len({row["feature"] for row in importance}) == MAX_IMPORTANCE_COLUMNS
    assert f"permutation importance on {MAX_IMPORTANCE_COLUMNS} of 150 columns" in log
    # The sample is real importance: a column the label is made of, when sampled, tops it.
    sampled = {row["feature"] for row in importance}
    top = importance[0]["feature"]
    if {"f0", "f1"} & sampled:
        assert top in {"f0", "f1"}
    assert importance[0]["mean"] > 0.05
