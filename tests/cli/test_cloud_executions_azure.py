"""Azure ML job records count as executions of an imported Azure ML pipeline job.

What a user types: ``pipeline import`` an Azure ML pipeline job (here through its schedule),
``evidence executions`` the JSON ``az ml job show`` and ``az ml job list --parent-job-name``
printed (joined in one list), ``assess --json``. The fixtures follow the shapes the Azure ML
CLI v2 prints: a ``type: pipeline`` job with ``status`` and ``azureml.pipelines.stages``,
child jobs named after their step with ``StartTimeUtc``/``EndTimeUtc``,
``azureml.pipelinerunid`` and ``azureml.isreused``; a job a schedule triggered is named
``<schedule>-YYYYMMDDThhmmssZ``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cloud_executions import EXECUTIONS, FIXTURES, cli

PIPELINE = "nyc-taxi-regression"


@pytest.fixture
def ws(tmp_path: Path, capsys) -> list[str]:
    args = ["--workspace", str(tmp_path / "w.db")]
    assert cli(capsys, *args, "project", "create", "demo")[0] == 0
    code, _out, err = cli(
        capsys, *args, "pipeline", "import", "demo", str(FIXTURES / "azureml" / "schedule.yml")
    )
    assert code == 0, err
    return args


def record(capsys, ws: list[str], path: Path) -> tuple[int, str, str]:
    return cli(capsys, *ws, "evidence", "executions", "demo", str(path), "--pipeline", PIPELINE)


def criteria(capsys, ws: list[str]) -> dict[str, dict[str, Any]]:
    code, out, err = cli(capsys, *ws, "assess", "demo", "--json", "--no-save")
    assert code == 0, err
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

    walk(json.loads(out))
    return found


def runs(capsys, ws: list[str]) -> dict[int, dict[str, Any]]:
    code, out, err = cli(capsys, *ws, "runs", "demo", "--json")
    assert code == 0, err
    return {r["id"]: r for r in json.loads(out)}


def labels(c: dict[str, Any]) -> list[str]:
    return [f"{e['kind']}: {e['label']}" for e in c.get("evidence", [])]


def test_an_azure_run_that_trained_and_registered_meets_what_it_did(capsys, ws) -> None:
    before = criteria(capsys, ws)
    assert before["mlts.infra.4"]["status"] == "not_met"
    assert before["gcp.cap.model_training"]["status"] == "not_met"

    code, out, err = record(capsys, ws, EXECUTIONS / "azureml-passed.json")
    assert code == 0, err
    assert f"recorded 1 execution(s) of '{PIPELINE}' as runs #1" in out
    assert "not in the imported definition" not in out
    run = runs(capsys, ws)[1]
    assert run["status"] == "succeeded" and run["trigger"] == "manual"
    stages = {s["title"]: s["status"] for s in run["stages"]}
    assert stages["train_job"] == "succeeded" and stages["register_job"] == "succeeded"
    # the if_else node has no job: the true branch (register_job) ran, so its condition held
    assert stages["gate"] == "succeeded" and run["metrics"]["gate_passed"] == 1.0
    train = next(s for s in run["stages"] if s["title"] == "train_job")
    assert train["duration_s"] == pytest.approx(19 * 60 + 13)  # 02:11:02 to 02:30:15

    after = criteria(capsys, ws)
    assert after["mlts.infra.4"]["status"] == "met"
    assert any(
        t.startswith("run: run #1 of nyc-taxi-regression") for t in labels(after["mlts.infra.4"])
    )
    training = labels(after["gcp.cap.model_training"])
    assert after["gcp.cap.model_training"]["status"] == "met"
    assert any(t.startswith("definition: ") and "jobs.train_job" in t for t in training)
    # a threshold gate is not a comparison with the champion
    assert after["gcp.l1.model_validation"]["status"] == "not_met"

    # the same records again add nothing
    code, out, _ = record(capsys, ws, EXECUTIONS / "azureml-passed.json")
    assert code == 0 and "recorded 0 execution(s)" in out and "1 already recorded" in out


def test_a_scheduled_run_of_reused_steps_fired_the_schedule_but_trained_nothing(capsys, ws) -> None:
    assert criteria(capsys, ws)["aws.loop.scheduler"]["status"] == "not_met"
    code, _out, err = record(capsys, ws, EXECUTIONS / "azureml-scheduled-reused.json")
    assert code == 0, err
    run = runs(capsys, ws)[1]
    assert run["trigger"] == "schedule"
    stages = {s["title"]: s["status"] for s in run["stages"]}
    assert stages["train_job"] == "cached" and stages["eval_job"] == "cached"
    assert "register_job" not in stages and stages["alert_job"] == "succeeded"
    assert run["metrics"]["gate_passed"] == 0.0  # the gate held registration back
    c = criteria(capsys, ws)
    assert c["aws.loop.scheduler"]["status"] == "met"
    assert c["gcp.l1.pipeline_triggers"]["status"] == "met"
    # every step reused earlier outputs: no training and no registration happened
    assert c["gcp.cap.model_training"]["status"] == "not_met"
    assert c["gcp.l2.model_registry"]["status"] == "not_met"


def test_a_failed_run_is_recorded_failed_and_meets_nothing(capsys, ws) -> None:
    code, _out, err = record(capsys, ws, EXECUTIONS / "azureml-failed.json")
    assert code == 0, err
    run = runs(capsys, ws)[1]
    assert run["status"] == "failed"
    train = next(s for s in run["stages"] if s["title"] == "train_job")
    assert train["status"] == "failed" and "exited with status code 1" in train["error"]
    assert "gate_passed" not in run["metrics"]  # the condition was never evaluated
    c = criteria(capsys, ws)
    assert c["gcp.cap.model_training"]["status"] == "not_met"
    assert c["mlts.infra.4"]["status"] == "not_met"


def test_child_jobs_alone_are_one_execution(capsys, ws, tmp_path: Path) -> None:
    jobs = json.loads((EXECUTIONS / "azureml-passed.json").read_text())
    children = tmp_path / "children.json"
    children.write_text(json.dumps(jobs[1:]))  # only 'az ml job list --parent-job-name'
    code, out, err = record(capsys, ws, children)
    assert code == 0, err
    assert "recorded 1 execution(s)" in out
    run = runs(capsys, ws)[1]
    assert run["status"] == "succeeded" and len(run["stages"]) == 7


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda jobs: jobs[:1],
            "comes without its child jobs: add what 'az ml job list --parent-job-name "
            "coral_river_k2m7 -o json' prints",
        ),
        (
            lambda jobs: [*jobs[:3], {**jobs[3], "status": "Exploded"}],
            "[3].status: unknown job status 'Exploded'",
        ),
        (
            lambda jobs: [
                jobs[0],
                {**jobs[1], "properties": {**jobs[1]["properties"], "StartTimeUtc": "soon"}},
            ],
            "[1].properties.StartTimeUtc: 'soon' is not a time",
        ),
        (
            lambda jobs: [{**j, "display_name": "somebody_else"} for j in jobs[1:]],
            "none of its steps (somebody_else) is a step of the imported definition",
        ),
    ],
)
def test_malformed_azure_records_are_refused_naming_the_place(
    capsys, ws, tmp_path: Path, edit, message: str
) -> None:
    jobs = json.loads((EXECUTIONS / "azureml-passed.json").read_text())
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(edit(jobs)))
    code, _out, err = record(capsys, ws, bad)
    assert code != 0 and message in err, err
    assert runs(capsys, ws) == {}


def test_a_running_pipeline_job_is_not_recorded_yet(capsys, ws, tmp_path: Path) -> None:
    jobs = json.loads((EXECUTIONS / "azureml-passed.json").read_text())
    jobs[0]["status"] = "Running"
    jobs[-1]["status"] = "Running"
    path = tmp_path / "running.json"
    path.write_text(json.dumps(jobs))
    code, out, err = record(capsys, ws, path)
    assert code == 0, err
    assert "1 still running (not recorded)" in out and runs(capsys, ws) == {}


def test_azure_records_are_refused_for_a_sagemaker_pipeline(capsys, ws) -> None:
    code, _out, err = cli(
        capsys, *ws, "pipeline", "import", "demo", str(FIXTURES / "sagemaker" / "abalone.json")
    )
    assert code == 0, err
    code, _out, err = cli(
        capsys,
        *ws,
        "evidence",
        "executions",
        "demo",
        str(EXECUTIONS / "azureml-passed.json"),
        "--pipeline",
        "abalone",
    )
    assert code != 0 and "holds Azure ML executions, but 'abalone' is a SageMaker pipeline" in err


def test_child_jobs_that_never_started_ran_nothing(capsys, ws, tmp_path: Path) -> None:
    """A completed pipeline job whose training child job never started trained nothing."""
    jobs = json.loads((EXECUTIONS / "azureml-passed.json").read_text())
    for job in jobs[1:]:
        if job["display_name"] in ("train_job", "score_job", "eval_job", "register_job"):
            job["status"] = "NotStarted"
            job["properties"].pop("StartTimeUtc", None)
            job["properties"].pop("EndTimeUtc", None)
    path = tmp_path / "not-started.json"
    path.write_text(json.dumps(jobs))
    code, _out, err = record(capsys, ws, path)
    assert code == 0, err
    run = runs(capsys, ws)[1]
    stages = {s["title"]: s["status"] for s in run["stages"]}
    assert stages["train_job"] == "skipped" and "gate" not in stages
    c = criteria(capsys, ws)
    assert c["gcp.cap.model_training"]["status"] == "not_met"
    assert c["mlts.infra.4"]["status"] == "not_met"
