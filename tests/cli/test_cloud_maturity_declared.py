"""Maturity from an imported cloud definition: what it declares is shown, what ran counts.

A user imports a SageMaker or Azure ML definition and runs ``assess --json``. Every step,
gate, check, schedule, parameter set and cache setting the definition declares is listed
with its criterion as evidence of kind ``declared`` (file and place), while the criterion
stays unmet; once ``evidence executions`` records an execution that ran it, the criterion
is met and cites the run. The gap list of a project whose only pipeline is imported points
at the change to the definition, never at a stage to insert here (it would run nowhere).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cloud_executions import cli, imported, record


@pytest.fixture
def ws(tmp_path: Path, capsys) -> list[str]:
    args = ["--workspace", str(tmp_path / "w.db")]
    assert cli(capsys, *args, "project", "create", "demo")[0] == 0
    return args


def assessed(capsys, ws: list[str]) -> dict[str, Any]:
    code, out, err = cli(capsys, *ws, "assess", "demo", "--json", "--no-save")
    assert code == 0, err
    return json.loads(out)


def criteria(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}

    def walk(o: Any) -> None:
        if isinstance(o, dict):
            if isinstance(o.get("id"), str) and o.get("status") is not None and "evidence" in o:
                found.setdefault(o["id"], o)
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    walk(data)
    return found


def declared(c: dict[str, Any]) -> list[str]:
    return [e["label"] for e in c["evidence"] if e["kind"] == "declared"]


def test_what_a_definition_declares_is_shown_with_its_place_but_meets_nothing(capsys, ws) -> None:
    imported(capsys, ws, "sagemaker/abalone.json")
    c = criteria(assessed(capsys, ws))
    gate = c["mlts.infra.4"]
    assert gate["status"] == "not_met"
    assert (
        "abalone.json Steps[3]: AbaloneMSECond (declared Model gate; no recorded execution ran it)"
    ) in declared(gate)
    assert {e["ref"] for e in gate["evidence"] if e["kind"] == "declared"} == {
        "abalone.json:Steps[3]"
    }
    training = c["gcp.cap.model_training"]
    assert training["status"] == "not_met"
    assert declared(training) == [
        "abalone.json Steps[1]: AbaloneTrain (declared Train; no recorded execution ran it)"
    ]
    # parameters and caching are declarations too: shown, never counted
    params = c["gcp.cap.experimentation"]
    assert params["status"] == "not_met"
    assert any(
        t.startswith("abalone.json Parameters: 4 pipeline parameter(s) InputData,")
        for t in declared(params)
    )
    cache = c["mlts.infra.1"]
    assert cache["status"] == "not_met"
    assert any(
        "may reuse cached results (declared; a cache hit is not a re-run)" in t
        for t in declared(cache)
    )
    # the threshold gate is declared for model validation, with why it cannot meet it
    mv = c["gcp.l1.model_validation"]
    assert mv["status"] == "not_met"
    assert any(
        "a threshold, not a comparison with the model in production" in t for t in declared(mv)
    )

    record(capsys, ws, "abalone", "abalone-passed.json")
    after = criteria(assessed(capsys, ws))
    for key in ("mlts.infra.4", "gcp.cap.model_training"):
        assert after[key]["status"] == "met"
        assert declared(after[key]) == []  # what ran is cited as run and definition
        kinds = {e["kind"] for e in after[key]["evidence"]}
        assert {"run", "definition"} <= kinds
    assert after["gcp.cap.experimentation"]["status"] == "not_met"  # still only declared


def test_a_declared_data_check_is_shown_until_an_execution_checked_the_data(capsys, ws) -> None:
    imported(capsys, ws, "sagemaker/checks.json")
    c = criteria(assessed(capsys, ws))["gcp.l1.data_validation"]
    assert c["status"] == "not_met"
    assert any(
        t.startswith("checks.json Steps[0]: DataQualityCheck (declared") for t in declared(c)
    )
    record(capsys, ws, "checks", "checks-baseline.json")
    met = criteria(assessed(capsys, ws))["gcp.l1.data_validation"]
    assert met["status"] == "met" and declared(met) == []


def test_a_declared_schedule_is_shown_until_a_job_it_started_is_recorded(capsys, ws) -> None:
    imported(capsys, ws, "azureml/schedule.yml")
    c = criteria(assessed(capsys, ws))
    scheduler = c["aws.loop.scheduler"]
    assert scheduler["status"] == "not_met"
    assert declared(scheduler) == [
        "schedule.yml trigger: schedule 1 day (declared; no recorded execution was started by it)"
    ]
    # steps read from the job file the schedule creates are named by that file and place
    assert declared(c["gcp.l2.model_registry"]) == [
        "schedule.yml pipeline.yml: jobs.register_job: register_job (declared Register model; "
        "no recorded execution ran it)"
    ]
    record(capsys, ws, "nyc-taxi-regression", "azureml-scheduled-reused.json")
    after = criteria(assessed(capsys, ws))
    assert after["aws.loop.scheduler"]["status"] == "met"
    assert declared(after["aws.loop.scheduler"]) == []


def test_gaps_of_an_imported_only_project_point_at_the_definition(capsys, ws) -> None:
    imported(capsys, ws, "sagemaker/abalone.json")
    data = assessed(capsys, ws)
    assert data["definitions"] == [
        {
            "pipeline": "abalone",
            "source": "abalone.json",
            "vendor": "aws",
            "format": "Amazon SageMaker pipeline definition",
            "kinds": data["definitions"][0]["kinds"],
            "schedules": "0",
        }
    ]
    assert "train" in data["definitions"][0]["kinds"].split(",")
    items = {g["id"]: g for m in data["gaps"].values() for g in m["items"]}
    assert not [g["id"] for g in items.values() if g["fix"]]  # no stage to insert here
    validation = items["gcp.l1.data_validation"]
    assert validation["definition_change"].startswith(
        "In abalone.json (Amazon SageMaker pipeline definition): add a data validation step "
        "before training (a QualityCheck step (DATA_QUALITY) against a stored baseline); "
        "then record its executions"
    )
    # it declares training and evaluation already: only an execution is missing
    assert items["gcp.l1.rapid_experiment"]["action"].startswith(
        "abalone.json (Amazon SageMaker pipeline definition) declares data preparation, "
        "training and evaluation steps, but that counts once an execution shows it ran"
    )
    # its gate compares with a threshold: the change is to compare with production
    assert (
        "make the condition compare the candidate with the model in production"
        in (items["gcp.l1.model_validation"]["action"])
    )
    code, out, _ = cli(capsys, *ws, "assess", "demo", "--no-save")
    assert code == 0 and "[pipeline fix" not in out
    assert "In abalone.json (Amazon SageMaker pipeline definition): add a schedule" in out


def test_no_fix_edits_the_empty_pipeline_beside_an_imported_one(capsys, ws) -> None:
    from mlops_desktop.app.assessment import AssessmentService
    from mlops_desktop.app.workspace import Workspace

    imported(capsys, ws, "azureml/pipeline.yml")
    with Workspace.open(ws[1]) as w:
        service = AssessmentService(w)
        for fix in ("add_schedule_trigger", "add_training_chain", "add_monitor"):
            assert service.fix_for("demo", fix) is None
            assert service.apply_fix("demo", fix) is None
        pipelines = dict(service.pipelines("demo"))
    assert not pipelines["main"].nodes and not pipelines["main"].meta.get("triggers")


def test_a_native_pipeline_beside_an_imported_one_keeps_its_fixes(capsys, tmp_path) -> None:
    ws = ["--workspace", str(tmp_path / "w.db")]
    assert cli(capsys, *ws, "project", "create", "demo", "--template", "google")[0] == 0
    imported(capsys, ws, "sagemaker/abalone.json")
    data = assessed(capsys, ws)
    fixes = {g["fix"] for m in data["gaps"].values() for g in m["items"]} - {""}
    assert fixes  # the app's own pipeline can still take a stage
    assert not any(g["definition_change"] for m in data["gaps"].values() for g in m["items"])
