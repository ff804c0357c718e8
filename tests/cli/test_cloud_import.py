"""``mlops-desktop pipeline import FILE`` with Azure ML, Kubeflow/Vertex and SageMaker files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mlops_desktop.app.projects import ProjectService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.cli import main
from mlops_desktop.core.lifecycle import place
from mlops_desktop.core.validation import errors

FIXTURES = Path(__file__).parents[1] / "fixtures" / "cloud"


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def ws(tmp_path: Path, capsys) -> list[str]:
    args = ["--workspace", str(tmp_path / "w.db")]
    assert run_cli(capsys, *args, "project", "create", "demo")[0] == 0
    return args


def load(wsarg: list[str], name: str):
    with Workspace.open(wsarg[1]) as w:
        return ProjectService(w).load_pipeline("demo", name)[1]


def by_title(pipeline, title: str):
    return next(n for n in pipeline.nodes.values() if n.title == title)


def upstream_titles(pipeline, title: str) -> set[str]:
    node = by_title(pipeline, title)
    return {pipeline.nodes[lk.source].title for lk in pipeline.incoming(node.id)}


@pytest.mark.parametrize(
    ("fixture", "name", "steps", "links"),
    [
        ("sagemaker/linear.json", "linear", 3, 2),
        ("sagemaker/abalone.json", "abalone", 8, 11),
        ("sagemaker/checks.json", "checks", 6, 4),
        ("kfp/linear.yaml", "tabular-train", 3, 2),
        ("kfp/branching.json", "two-trainers", 4, 4),
        ("kfp/nested.yaml", "nested-vertex", 10, 9),
        ("azureml/pipeline.yml", "nyc-taxi-regression", 8, 9),
        ("azureml/nested.yml", "nested-components", 5, 4),
    ],
)
def test_each_shape_imports_as_a_valid_pipeline_of_external_stages(
    capsys, ws, fixture: str, name: str, steps: int, links: int
) -> None:
    code, out, err = run_cli(capsys, *ws, "pipeline", "import", "demo", str(FIXTURES / fixture))
    assert code == 0, err
    assert f"imported pipeline '{name}'" in out
    pipeline = load(ws, name)
    assert len(pipeline.nodes) == steps and len(pipeline.links) == links
    assert {n.type for n in pipeline.nodes.values()} == {"external"}
    assert errors(pipeline) == []  # several links into one "after" input are allowed
    assert pipeline.meta["external"]["source"] == Path(fixture).name


def test_sagemaker_links_condition_branches_and_metric_gate(capsys, ws) -> None:
    run_cli(capsys, *ws, "pipeline", "import", "demo", str(FIXTURES / "sagemaker/abalone.json"))
    p = load(ws, "abalone")
    # data dependencies from Get references, control from the condition
    assert upstream_titles(p, "AbaloneEval") == {"AbaloneProcess", "AbaloneTrain"}
    assert upstream_titles(p, "AbaloneRegisterModel") == {"AbaloneMSECond", "AbaloneTrain"}
    register = by_title(p, "AbaloneRegisterModel").params
    assert register["branch"].startswith("if AbaloneMSECond holds")
    assert "regression_metrics.mse.value" in register["branch"]
    assert by_title(p, "AbaloneMSEFail").params["branch"] == "else of AbaloneMSECond"
    cond = by_title(p, "AbaloneMSECond").params
    assert cond["kind"] == "model_validate"
    assert "gates AbaloneRegisterModel" in cond["placement_reason"]
    gate = p.meta["external"]["gates"][0]
    assert gate["metric_gate"] is True and gate["where"] == "Steps[3]"
    assert p.meta["external"]["caching"] == ["AbaloneProcess"]
    assert p.meta["external"]["parameters"]["MseThreshold"] == "Float = 6.0"
    # the condition's branch is drawn as a backdrop naming the condition
    assert any("AbaloneMSECond" in note.text for note in p.notes.values())


def test_kfp_nested_dags_become_groups_with_their_dependencies(capsys, ws) -> None:
    run_cli(capsys, *ws, "pipeline", "import", "demo", str(FIXTURES / "kfp/nested.yaml"))
    p = load(ws, "nested-vertex")
    # a group's first step waits for what the group waited for...
    assert upstream_titles(p, "preprocess") == {"validate-data"}
    # ...and what waited for the group waits for its last steps
    assert upstream_titles(p, "train") == {"preprocess"}
    assert upstream_titles(p, "notify") == {"batch-predict", "import-baseline"}
    deploy = by_title(p, "deploy-endpoint").params
    assert deploy["group"] == "exit-handler-1/condition-2"
    assert deploy["branch"].startswith("when inputs.parameter_values")
    assert deploy["image"].startswith("gcr.io/ml-pipeline/google-cloud-pipeline-components")
    texts = " | ".join(n.text for n in p.notes.values())
    for label in (
        "exit handler: exit-handler-1",
        "condition: condition-2",
        "loop: for-loop-3",
        "sub-pipeline: features",
    ):
        assert label in texts
    gate = p.meta["external"]["gates"][0]
    assert gate["metric_gate"] is True and "upload-model" in gate["gated"]


def test_azure_components_files_bindings_and_if_else(capsys, ws) -> None:
    run_cli(capsys, *ws, "pipeline", "import", "demo", str(FIXTURES / "azureml/pipeline.yml"))
    p = load(ws, "nyc-taxi-regression")
    train = by_title(p, "train_job").params
    assert train["component"] == "train_linear_regression_model"  # read from ./components/train.yml
    assert "python train.py" in train["command"]
    assert "learning_rate: ${{parent.inputs.learning_rate}}" in train["inputs"]
    assert upstream_titles(p, "score_job") == {"train_job", "transform_job"}
    assert by_title(p, "register_job").params["branch"].startswith("if true of gate")
    assert by_title(p, "alert_job").params["branch"].startswith("if false of gate")
    assert by_title(p, "gate").params["kind"] == "model_validate"


def test_azure_schedule_file_records_the_schedule(capsys, ws) -> None:
    code, out, err = run_cli(
        capsys,
        *ws,
        "pipeline",
        "import",
        "demo",
        str(FIXTURES / "azureml/schedule.yml"),
        "--name",
        "nightly",
    )
    assert code == 0, err
    schedules = load(ws, "nightly").meta["external"]["schedules"]
    assert schedules == [
        {
            "type": "schedule",
            "name": "nightly_taxi_schedule",
            "trigger": "recurrence",
            "every": "1 day",
            "expression": "",
            "where": "trigger",
        }
    ]


def test_lifecycle_lenses_place_imported_steps_with_reasons(capsys, ws) -> None:
    run_cli(capsys, *ws, "pipeline", "import", "demo", str(FIXTURES / "sagemaker/abalone.json"))
    p = load(ws, "abalone")
    aws = place(p, "aws")
    titles = {phase: {n.title for n in nodes} for phase, nodes in aws.by_phase.items()}
    assert "AbaloneTrain" in titles["aws.stage.model_development"]
    assert "AbaloneProcess" in titles["aws.stage.data_processing"]
    assert "AbaloneTransform" in titles["aws.stage.deployment"]
    assert {n.title for n in aws.unplaced} == {"AbaloneMSEFail"}
    google = place(p, "google")
    assert not any(n.title == "AbaloneTrain" for n in google.unplaced)
    assert by_title(p, "AbaloneTrain").params["placement_reason"] == (
        "a SageMaker Training step trains a model"
    )


def test_reimport_makes_a_new_version_keeps_corrections_and_diffs(
    capsys, ws, tmp_path: Path
) -> None:
    src = tmp_path / "abalone.json"
    shutil.copy(FIXTURES / "sagemaker/abalone.json", src)
    assert run_cli(capsys, *ws, "pipeline", "import", "demo", str(src))[0] == 0
    # the same file again: nothing new to save
    code, out, _ = run_cli(capsys, *ws, "pipeline", "import", "demo", str(src))
    assert code == 0 and "unchanged" in out
    # the user corrects a placement (as the inspector does: a new saved version)
    with Workspace.open(ws[1]) as w:
        service = ProjectService(w)
        info, p = service.load_pipeline("demo", "abalone")
        from mlops_desktop.core.operations import SetParams

        node = by_title(p, "AbaloneTransform")
        p.apply(SetParams(node.id, {**node.params, "kind": "evaluate"}))
        service.save_pipeline(info.id, p, "placement corrected")
    # a new version of the file: one step removed, one added, one changed
    doc = json.loads(src.read_text())
    doc["Steps"] = [s for s in doc["Steps"] if s["Name"] != "AbaloneEval"]
    doc["Steps"][1]["Arguments"]["HyperParameters"]["max_depth"] = "7"
    doc["Steps"][2]["Arguments"]["Conditions"][0]["LeftValue"] = 1.0
    doc["Steps"].insert(0, {"Name": "AbaloneIngest", "Type": "Processing", "Arguments": {}})
    src.write_text(json.dumps(doc))
    code, out, err = run_cli(capsys, *ws, "pipeline", "import", "demo", str(src))
    assert code == 0, err
    assert "re-imported as version 3 of pipeline 'abalone'" in out
    p = load(ws, "abalone")
    transform = by_title(p, "AbaloneTransform").params
    assert transform["kind"] == "evaluate" and transform["placement_reason"].startswith(
        "set by hand"
    )
    code, out, _ = run_cli(capsys, *ws, "pipeline", "diff", "demo", "--pipeline", "abalone")
    assert code == 0
    assert "+ AbaloneIngest" in out and "- AbaloneEval" in out
    assert "~ AbaloneTrain: inputs" in out, out
    code, out, _ = run_cli(capsys, *ws, "pipeline", "versions", "demo", "--pipeline", "abalone")
    assert "re-imported from abalone.json" in out and "placement corrected" in out


def test_a_pipeline_of_another_origin_is_not_overwritten(capsys, ws) -> None:
    run_cli(capsys, *ws, "pipeline", "import", "demo", str(FIXTURES / "azureml/pipeline.yml"))
    code, _, err = run_cli(
        capsys, *ws, "pipeline", "import", "demo", str(FIXTURES / "azureml/schedule.yml")
    )
    assert code == 1 and "not imported from this file" in err


def test_native_json_import_still_works(capsys, ws, tmp_path: Path) -> None:
    assert run_cli(capsys, *ws, "project", "create", "src", "--template", "aws")[0] == 0
    out_file = tmp_path / "native.json"
    assert run_cli(capsys, *ws, "pipeline", "export", "src", "-o", str(out_file))[0] == 0
    code, out, err = run_cli(
        capsys, *ws, "pipeline", "import", "demo", str(out_file), "--name", "native"
    )
    assert code == 0, err and "imported pipeline 'native'" in out


def test_assessment_runs_on_an_imported_pipeline(capsys, ws) -> None:
    run_cli(capsys, *ws, "pipeline", "import", "demo", str(FIXTURES / "sagemaker/abalone.json"))
    code, out, err = run_cli(capsys, *ws, "assess", "demo", "--json")
    assert code == 0, err
    assert json.loads(out)


def test_running_an_external_step_executes_nothing(capsys, ws) -> None:
    run_cli(capsys, *ws, "pipeline", "import", "demo", str(FIXTURES / "sagemaker/linear.json"))
    code, out, err = run_cli(capsys, *ws, "run", "demo", "--pipeline", "linear")
    assert code != 0
    assert "runs in its cloud" in out + err


def test_a_definition_in_the_attached_repository_records_its_path_there(
    capsys, ws, tmp_path: Path
) -> None:
    import subprocess

    repo = tmp_path / "repo"
    (repo / "pipelines").mkdir(parents=True)
    subprocess.run(["git", "-C", str(repo), "init", "-q"], check=True)
    inside = repo / "pipelines" / "abalone.json"
    shutil.copy(FIXTURES / "sagemaker/abalone.json", inside)
    outside = tmp_path / "linear.json"
    shutil.copy(FIXTURES / "sagemaker/linear.json", outside)
    assert run_cli(capsys, *ws, "evidence", "repo", "demo", str(repo))[0] == 0
    assert run_cli(capsys, *ws, "pipeline", "import", "demo", str(inside))[0] == 0
    assert run_cli(capsys, *ws, "pipeline", "import", "demo", str(outside))[0] == 0
    assert load(ws, "abalone").meta["external"]["repo_path"] == "pipelines/abalone.json"
    assert "repo_path" not in load(ws, "linear").meta["external"]
