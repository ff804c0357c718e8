"""A reference schema kept and enforced: the first run stores it; a rewritten CSV (a column
x1000, an unseen category, numbers turned into text) is stopped by Validate data, so the
model is neither retrained nor registered; re-baselining is explicit and recorded."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlops_desktop.app.registry import RegistryService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.cli import main
from mlops_desktop.core import serialization
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.operations import add_stage, connect
from mlops_desktop.core.registry import default_registry


def penguins(n: int = 150) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    species = rng.choice(["Adelie", "Gentoo"], n)
    return pd.DataFrame(
        {
            "island": rng.choice(["Biscoe", "Dream"], n),
            "bill_depth_mm": np.where(species == "Gentoo", 15.0, 18.5) + rng.normal(0, 0.8, n),
            "body_mass_g": np.where(species == "Gentoo", 5000, 3700) + rng.normal(0, 300, n),
            "species": species,
        }
    )


def lifecycle(csv) -> Pipeline:
    p = Pipeline("main", default_registry())
    for node_id, stage_type, params in [
        ("load", "load_data", {"source": "file", "path": str(csv), "target": "species"}),
        ("check", "validate_data", {"schema_source": "reference"}),
        ("split", "split", {}),
        ("train", "train", {"n_estimators": 10}),
        ("register", "register_model", {"model_name": "penguins"}),
    ]:
        p.apply(add_stage(p, stage_type, params=params, node_id=node_id))
    for link in [
        ("load", "dataset", "check", "dataset"),
        ("check", "dataset", "split", "dataset"),
        ("split", "split", "train", "split"),
        ("train", "model", "register", "model"),
    ]:
        p.apply(connect(*link))
    return p


def test_rewritten_csv_is_stopped_by_the_stored_reference(tmp_path, capsys):
    csv, ws_path = tmp_path / "penguins.csv", str(tmp_path / "w.db")
    frame = penguins()
    frame.to_csv(csv, index=False)
    with Workspace.open(ws_path) as ws:
        project = ws.projects.create("penguins")
        ws.pipelines.create(project.id, "main", serialization.to_dict(lifecycle(csv)))
    assert main(["--workspace", ws_path, "run", "penguins", "--quiet"]) == 0
    # the same rows again pass against the stored reference
    assert main(["--workspace", ws_path, "run", "penguins", "--quiet", "--force"]) == 0
    bad = frame.copy()
    bad["body_mass_g"] = bad["body_mass_g"] * 1000
    bad.loc[0, "island"] = "Torgersen"
    bad["bill_depth_mm"] = bad["bill_depth_mm"].round(1).astype(str) + "mm"
    bad.to_csv(csv, index=False)
    capsys.readouterr()
    assert main(["--workspace", ws_path, "run", "penguins", "--quiet"]) == 1
    with Workspace.open(ws_path) as ws:
        run = ws.runs.get(3)
        check = next(s for s in run.stages if s.node_id == "check")
        assert check.status.value == "failed"
        log = check.log + check.error
        assert "body_mass_g' has values far outside the reference range" in log
        assert "island' has unseen categories: Torgersen" in log
        assert "bill_depth_mm' held numbers and now holds text" in log
        assert ws.metrics.latest(3)["schema_violations"] == 3.0
        assert ws.metrics.latest(3)["schema_reference"] == 1.0
        assert not any(s.node_id == "train" and s.status.value == "succeeded" for s in run.stages)
        assert len(RegistryService(ws).versions("penguins", "penguins")) == 2
    # re-baselining is explicit: afterwards the new data becomes the reference
    assert main(["--workspace", ws_path, "schema", "penguins", "--rebaseline"]) == 0
    assert "re-baselined penguins" in capsys.readouterr().out
    assert main(["--workspace", ws_path, "run", "penguins", "--quiet"]) == 0


def test_an_unchanged_rerun_checks_the_reference_again_and_counts_as_data_validation(
    tmp_path,
) -> None:
    """A cached check checked nothing: with schema_source=reference the second run of the
    same data runs Validate data against the stored reference, and that is the evidence the
    data-validation criteria read (the first run only stored it)."""
    from mlops_desktop.app.assessment import AssessmentService

    csv, ws_path = tmp_path / "penguins.csv", str(tmp_path / "w.db")
    penguins().to_csv(csv, index=False)
    with Workspace.open(ws_path) as ws:
        project = ws.projects.create("penguins")
        ws.pipelines.create(project.id, "main", serialization.to_dict(lifecycle(csv)))
    assert main(["--workspace", ws_path, "run", "penguins", "--quiet"]) == 0
    with Workspace.open(ws_path) as ws:
        score = AssessmentService(ws).assess("penguins", save=False)
        assert score.models["google"].result("gcp.l1.data_validation").status == "not_met"
    assert main(["--workspace", ws_path, "run", "penguins", "--quiet"]) == 0
    with Workspace.open(ws_path) as ws:
        runs = ws.runs.list(ws.projects.get("penguins").id, with_stages=True)
        latest = max(runs, key=lambda r: r.id)
        check = next(s for s in latest.stages if s.node_id == "check")
        assert check.status == "succeeded"  # ran, not served from the cache
        assert ws.metrics.latest_many([latest.id])[latest.id]["schema_reference"] == 1.0
        score = AssessmentService(ws).assess("penguins", save=False)
        assert score.models["google"].result("gcp.l1.data_validation").status == "met"
