"""What an imported cloud pipeline declares counts only once its executions did it.

Through the CLI a user types: ``pipeline import`` a SageMaker or Vertex AI definition,
``evidence executions`` the execution records the cloud printed, ``assess --json``. A
declared gate, check or schedule leaves its criterion unmet (and the assessment says what
the definition declares and that no execution did it); an execution that evaluated the gate,
checked the data against a stored baseline, or was started by a schedule meets it; a cached
or skipped step, a check that skipped the baseline, or a re-imported record do not.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlops_desktop.cli import main

FIXTURES = Path(__file__).parents[1] / "fixtures" / "cloud"
EXECUTIONS = FIXTURES / "executions"


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def ws(tmp_path: Path, capsys) -> list[str]:
    args = ["--workspace", str(tmp_path / "w.db")]
    assert cli(capsys, *args, "project", "create", "demo")[0] == 0
    return args


def imported(capsys, ws: list[str], fixture: str) -> None:
    code, _out, err = cli(capsys, *ws, "pipeline", "import", "demo", str(FIXTURES / fixture))
    assert code == 0, err


def record(capsys, ws: list[str], pipeline: str, name: str) -> str:
    code, out, err = cli(
        capsys,
        *ws,
        "evidence",
        "executions",
        "demo",
        str(EXECUTIONS / name),
        "--pipeline",
        pipeline,
    )
    assert code == 0, err
    return out


def criteria(capsys, ws: list[str]) -> dict[str, dict[str, Any]]:
    code, out, err = cli(capsys, *ws, "assess", "demo", "--json", "--no-save")
    assert code == 0, err
    found: dict[str, dict[str, Any]] = {}

    def walk(o: Any) -> None:
        if isinstance(o, dict):
            if isinstance(o.get("id"), str) and "status" in o and o["status"] is not None:
                found.setdefault(o["id"], o)
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    walk(json.loads(out))
    return found


def labels(c: dict[str, Any]) -> list[str]:
    return [f"{e['kind']}: {e['label']}" for e in c.get("evidence", [])]


def test_a_declared_gate_is_not_met_until_an_execution_evaluated_it(capsys, ws) -> None:
    imported(capsys, ws, "sagemaker/abalone.json")
    before = criteria(capsys, ws)
    assert before["mlts.infra.4"]["status"] == "not_met"
    why = " ".join(before["mlts.infra.4"]["missing"])
    assert "abalone.json declares Model gate AbaloneMSECond (Steps[3])" in why
    assert "no execution of it is recorded" in why
    assert before["gcp.cap.model_training"]["status"] == "not_met"

    # an execution whose steps came from the cache and whose gate never ran: still unmet
    out = record(capsys, ws, "abalone", "abalone-cached.json")
    assert "recorded 1 execution(s) of 'abalone' as runs #1" in out
    cached = criteria(capsys, ws)
    assert cached["mlts.infra.4"]["status"] == "not_met"
    assert "none of its 1 recorded execution(s) ran it" in " ".join(
        cached["mlts.infra.4"]["missing"]
    )
    assert cached["gcp.cap.model_training"]["status"] == "not_met"  # training was a cache hit

    # an execution that trained and evaluated the gate: met, citing the run and the definition
    record(capsys, ws, "abalone", "abalone-passed.json")
    after = criteria(capsys, ws)
    infra4 = after["mlts.infra.4"]
    assert infra4["status"] == "met"
    assert any(t.startswith("run: run #2 of abalone") for t in labels(infra4))
    assert "definition: abalone.json Steps[3]: AbaloneMSECond (ran in a recorded execution)" in (
        labels(infra4)
    )
    assert after["gcp.cap.model_training"]["status"] == "met"
    assert after["aws.loop.performance_feedback"]["status"] in ("met", "suggested")
    # a threshold is not the champion: Google's model validation stays unmet, and says why
    mv = after["gcp.l1.model_validation"]
    assert mv["status"] == "not_met"
    assert "compares with a threshold, not with the model in production" in " ".join(mv["missing"])


def test_the_same_execution_recorded_twice_is_one_run(capsys, ws) -> None:
    imported(capsys, ws, "sagemaker/abalone.json")
    record(capsys, ws, "abalone", "abalone-passed.json")
    out = record(capsys, ws, "abalone", "abalone-passed.json")
    assert "recorded 0 execution(s)" in out and "1 already recorded" in out
    code, out, _ = cli(capsys, *ws, "runs", "demo", "--json")
    assert code == 0 and len(json.loads(out)) == 1


def test_a_data_check_counts_only_against_a_stored_baseline(capsys, ws) -> None:
    imported(capsys, ws, "sagemaker/checks.json")
    declared = criteria(capsys, ws)["gcp.l1.data_validation"]
    assert declared["status"] == "not_met"
    why = " ".join(declared["missing"])
    assert "checks.json declares Validate data" in why and "DataQualityCheck (Steps[0])" in why

    record(capsys, ws, "checks", "checks-skipcheck.json")  # ran, but skipped the baseline
    assert criteria(capsys, ws)["gcp.l1.data_validation"]["status"] == "not_met"

    record(capsys, ws, "checks", "checks-baseline.json")  # compared with the stored baseline
    met = criteria(capsys, ws)
    assert met["gcp.l1.data_validation"]["status"] == "met"
    assert met["mlts.data.1"]["status"] == "met"


def test_a_check_that_stopped_an_execution_is_enforcement(capsys, ws) -> None:
    imported(capsys, ws, "sagemaker/checks.json")
    record(capsys, ws, "checks", "checks-violation.json")
    c = criteria(capsys, ws)["gcp.l1.data_validation"]
    assert c["status"] == "met"
    assert any("failed" in t for t in labels(c))


def test_vertex_jobs_started_by_a_schedule_are_scheduled_runs(capsys, ws) -> None:
    imported(capsys, ws, "kfp/linear.yaml")
    assert criteria(capsys, ws)["aws.loop.scheduler"]["status"] == "not_met"
    out = record(capsys, ws, "tabular-train", "vertex-scheduled.json")
    assert "recorded 2 execution(s)" in out and "not in the imported definition" not in out
    c = criteria(capsys, ws)
    assert c["aws.loop.scheduler"]["status"] == "met"
    training = labels(c["gcp.cap.model_training"])
    assert c["gcp.cap.model_training"]["status"] == "met"  # the first job trained
    # the second job's steps were all cache hits: it trained nothing
    assert any(t.startswith("run: run #1 ") for t in training)
    assert not any(t.startswith("run: run #2 ") for t in training)


def test_a_declared_schedule_is_configured_but_not_a_firing(capsys, ws) -> None:
    imported(capsys, ws, "azureml/schedule.yml")
    c = criteria(capsys, ws)
    triggers = c["gcp.l1.pipeline_triggers"]
    assert triggers["status"] == "not_met"
    why = " ".join(triggers["missing"])
    assert "schedule.yml" in why and "no recorded execution was started by it" in why
    assert c["aws.loop.scheduler"]["status"] == "not_met"


@pytest.mark.parametrize(
    ("pipeline_fixture", "pipeline", "records", "message"),
    [
        ("sagemaker/abalone.json", "abalone", "checks-baseline.json", "none of its steps"),
        ("kfp/linear.yaml", "tabular-train", "abalone-passed.json", "SageMaker executions"),
        (
            None,
            "Continuous training and serving",
            "abalone-passed.json",
            "was not imported from a cloud definition",
        ),
    ],
)
def test_records_of_another_pipeline_are_refused_and_nothing_is_recorded(
    capsys, ws, pipeline_fixture, pipeline, records, message
) -> None:
    project = "demo"
    if pipeline_fixture:
        imported(capsys, ws, pipeline_fixture)
    else:  # a pipeline made in the app: its runs are made here
        project = "native"
        assert cli(capsys, *ws, "project", "create", project, "--template", "google")[0] == 0
    code, out, err = cli(
        capsys,
        *ws,
        "evidence",
        "executions",
        project,
        str(EXECUTIONS / records),
        "--pipeline",
        pipeline,
    )
    assert code != 0 and message in err, err
    code, out, _ = cli(capsys, *ws, "runs", project, "--json")
    assert code == 0 and json.loads(out) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '{"PipelineExecutionSteps": [{"StepName": "AbaloneTrain", "StepStatus": "Exploded"}]}',
            "PipelineExecutionSteps[0].StepStatus: unknown step status 'Exploded'",
        ),
        (
            '{"PipelineExecutionSteps": [{"StepName": "AbaloneTrain", "StepStatus": "Succeeded", '
            '"StartTime": "yesterday"}]}',
            "PipelineExecutionSteps[0].StartTime: 'yesterday' is not a time",
        ),
        ('{"Steps": []}', "not an execution record this app reads"),
        ("[" * 200 + "]" * 200, "nested deeper"),
    ],
)
def test_malformed_records_are_refused_naming_the_place(
    capsys, ws, tmp_path: Path, content: str, message: str
) -> None:
    imported(capsys, ws, "sagemaker/abalone.json")
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    code, _out, err = cli(
        capsys, *ws, "evidence", "executions", "demo", str(bad), "--pipeline", "abalone"
    )
    assert code != 0 and message in err, err


def test_a_gap_fix_never_edits_an_imported_pipeline(capsys, ws) -> None:
    """Its stages run in the cloud: a Model gate added here would run nowhere."""
    from mlops_desktop.app.assessment import AssessmentService
    from mlops_desktop.app.workspace import Workspace

    imported(capsys, ws, "sagemaker/checks.json")  # has Tune, no gate: add_model_gate fits it
    with Workspace.open(ws[1]) as w:
        service = AssessmentService(w)
        assert service.fix_for("demo", "add_model_gate") is None
        assert service.apply_fix("demo", "add_model_gate") is None
        pipeline = dict(service.pipelines("demo"))["checks"]
    assert not any(n.type == "model_gate" for n in pipeline.nodes.values())


def test_a_vertex_condition_group_records_whether_the_gate_held(capsys, ws) -> None:
    imported(capsys, ws, "kfp/nested.yaml")
    out = record(capsys, ws, "nested-vertex", "vertex-gated.json")
    assert "recorded 2 execution(s)" in out and "not in the imported definition" not in out
    code, out, err = cli(capsys, *ws, "runs", "demo", "--json")
    assert code == 0, err
    gate = {r["id"]: r["metrics"].get("gate_passed") for r in json.loads(out)}
    assert gate == {1: 0.0, 2: 1.0}  # not triggered: the gate held back registration
    runs = {r["id"]: {s["title"]: s["status"] for s in r["stages"]} for r in json.loads(out)}
    assert runs[1]["upload-model"] == "skipped" and runs[2]["upload-model"] == "succeeded"
    why = " ".join(criteria(capsys, ws)["gcp.l1.model_validation"]["missing"])
    assert (
        "the gate exit-handler-1/condition-2 checks" in why and "an execution evaluated it" in why
    )
