"""``mlops-desktop pipeline local-copy``: an imported cloud pipeline → an editable, runnable
pipeline of built-in stages that records its origin."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from mlops_desktop.app.projects import ProjectService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.cli import main
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
        service = ProjectService(w)
        return service.load_pipeline("demo", name)[1], len(service.pipeline_versions("demo", name))


def links(pipeline) -> set[tuple[str, str]]:
    titles = {n.id: n.title for n in pipeline.nodes.values()}
    return {
        (titles[lk.source], f"{titles[lk.target]}.{lk.target_port}")
        for lk in pipeline.links.values()
    }


def test_sagemaker_copy_maps_steps_adds_what_runs_and_lists_what_it_could_not(capsys, ws) -> None:
    path = FIXTURES / "sagemaker/abalone.json"
    run_cli(capsys, *ws, "pipeline", "import", "demo", str(path))
    code, out, err = run_cli(capsys, *ws, "pipeline", "local-copy", "demo", "--pipeline", "abalone")
    assert code == 0, err
    assert "made pipeline 'abalone (local copy)'" in out
    assert "not mapped: AbaloneMSEFail" in out  # a Fail step has no built-in counterpart
    copy, _ = load(ws, "abalone (local copy)")
    assert not errors(copy)
    types = {n.title: n.type for n in copy.nodes.values()}
    assert "external" not in types.values()
    assert types["AbaloneTrain"] == "train"
    assert types["AbaloneEval"] == "evaluate"
    assert types["AbaloneMSECond"] == "model_gate"  # the metric condition is the gate
    assert types["AbaloneRegisterModel"] == "register_model"
    assert "AbaloneMSEFail" not in types
    # the cloud pipeline reads its data elsewhere: Load data and Split are added, and said so
    assert types["Load data"] == "load_data" and types["Split"] == "split"
    got = links(copy)
    assert {("AbaloneTrain", "AbaloneEval.model"), ("AbaloneEval", "AbaloneMSECond.metrics")} <= got
    assert ("AbaloneMSECond", "AbaloneRegisterModel.model") in got  # registers what passed
    origin = copy.meta["origin"]
    assert origin["type"] == "local_copy" and origin["pipeline"] == "abalone"
    assert origin["version"] == 1 and origin["vendor"] == "aws" and origin["format"] == "sagemaker"
    assert origin["file"] == "abalone.json"
    assert origin["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert origin["mapped"]["AbaloneTrain"] == "AbaloneTrain"
    assert set(origin["added"]) == {"Load data", "Split"}
    assert [u["step"] for u in origin["unmapped"]] == ["AbaloneMSEFail"]
    # the copy carries none of the definition's facts: its evidence comes from its runs
    assert "external" not in copy.meta
    note = next(iter(copy.notes.values())).text
    assert "Local copy of the imported pipeline 'abalone'" in note and "AbaloneMSEFail" in note
    # the imported pipeline is left as it was
    imported, versions = load(ws, "abalone")
    assert versions == 1 and {n.type for n in imported.nodes.values()} == {"external"}


def test_the_copy_of_a_vertex_pipeline_runs_here_on_a_sample_of_the_teams_data(
    capsys, ws, tmp_path: Path
) -> None:
    rows = ["size,rooms,churned"] + [f"{i % 17},{i % 5},{int(i % 17 > 8)}" for i in range(120)]
    sample = tmp_path / "sample.csv"
    sample.write_text("\n".join(rows) + "\n")
    run_cli(capsys, *ws, "pipeline", "import", "demo", str(FIXTURES / "kfp/linear.yaml"))
    args = ["pipeline", "local-copy", "demo", "--pipeline", "tabular-train", "--name", "try"]
    code, out, err = run_cli(capsys, *ws, *args, "--data", str(sample), "--target", "churned")
    assert code == 0, err
    copy, _ = load(ws, "try")
    assert links(copy) == {
        ("load-data", "Split.dataset"),
        ("Split", "train-model.split"),
        ("train-model", "evaluate-model.model"),
        ("Split", "evaluate-model.split"),
    }
    data = next(n for n in copy.nodes.values() if n.type == "load_data").params
    assert data["source"] == "file" and data["path"] == str(sample.resolve())
    assert data["target"] == "churned"
    code, out, err = run_cli(capsys, *ws, "run", "demo", "--pipeline", "try", "--quiet")
    assert code == 0, out + err
    code, out, err = run_cli(capsys, *ws, "runs", "demo", "--json")
    assert '"succeeded"' in out
    # a missing sample is refused naming it, and nothing is made
    code, _, err = run_cli(capsys, *ws, *args[:-1], "try-2", "--data", str(tmp_path / "nope.csv"))
    assert code != 0 and "nope.csv" in err
    with Workspace.open(ws[1]) as w:
        assert "try-2" not in {p.name for p in ProjectService(w).list_pipelines("demo")}


def test_second_copy_gets_a_new_name_and_a_taken_name_is_refused(capsys, ws) -> None:
    run_cli(capsys, *ws, "pipeline", "import", "demo", str(FIXTURES / "kfp/branching.json"))
    args = [*ws, "pipeline", "local-copy", "demo", "--pipeline", "two-trainers"]
    assert run_cli(capsys, *args)[0] == 0
    code, out, _ = run_cli(capsys, *args)
    assert code == 0 and "'two-trainers (local copy 2)'" in out
    copy, _ = load(ws, "two-trainers (local copy)")
    splits = [n for n in copy.nodes.values() if n.type == "split"]
    assert len(splits) == 1  # both trainers learn from the one added Split
    code, _, err = run_cli(capsys, *args, "--name", "two-trainers")
    assert code != 0 and "already has a pipeline named 'two-trainers'" in err


def test_a_native_pipeline_is_not_copied(capsys, ws) -> None:
    with Workspace.open(ws[1]) as w:
        ProjectService(w).create_pipeline("demo", "mine")
    code, _, err = run_cli(capsys, *ws, "pipeline", "local-copy", "demo", "--pipeline", "mine")
    assert code != 0 and "was not imported from a cloud definition" in err
