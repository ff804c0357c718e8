"""Trusting user code per workspace: nothing runs until trusted, edits need trust again."""

from __future__ import annotations

import json

import pytest

from mlops_desktop.app.projects import ProjectService
from mlops_desktop.app.runs import RunService
from mlops_desktop.app.trust import (
    CodeTrust,
    UntrustedCodeError,
    revoke,
    trust,
    untrusted_code,
)
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.cli import main
from mlops_desktop.core import serialization
from mlops_desktop.core.entities import RunStatus, StageStatus
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.operations import add_stage, connect
from mlops_desktop.core.registry import default_registry

USER_CODE = """
import pathlib
pathlib.Path({marker!r}).write_text("imported")

import pandas as pd

def keep_long_petals(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["petal length (cm)"] > {limit}].reset_index(drop=True)
"""


@pytest.fixture
def ws(tmp_path):
    workspace = Workspace.open(str(tmp_path / "ws.db"))
    yield workspace
    workspace.close()


@pytest.fixture
def code(tmp_path):
    path = tmp_path / "elsewhere" / "clip.py"
    path.parent.mkdir()
    path.write_text(USER_CODE.format(marker=str(tmp_path / "ran.txt"), limit=2.0), "utf-8")
    return path


def pipeline_with(code) -> Pipeline:
    p = Pipeline("main", default_registry())
    p.apply(add_stage(p, "load_data", params={"dataset": "iris"}, node_id="load"))
    p.apply(
        add_stage(
            p,
            "python_function",
            params={"file": str(code), "function": "keep_long_petals"},
            node_id="fn",
        )
    )
    p.apply(connect("load", "dataset", "fn", "input"))
    return p


def make_project(ws, code, name="shared"):
    proj = ws.projects.create(name)
    ws.pipelines.create(proj.id, "main", serialization.to_dict(pipeline_with(code)))
    return proj


def test_untrusted_code_is_refused_before_anything_runs(ws, code, tmp_path):
    proj = make_project(ws, code)
    with pytest.raises(UntrustedCodeError, match="keep_long_petals\\(\\) from .*clip.py"):
        RunService(ws).run("shared", executor="sync")
    assert not (tmp_path / "ran.txt").exists()
    assert ws.runs.list(proj.id) == []  # no run row half-written


def test_trusted_once_runs_and_is_remembered_until_the_file_changes(ws, code, tmp_path):
    make_project(ws, code)
    _, graph = ProjectService(ws).load_pipeline("shared")
    [reason] = untrusted_code(ws, graph)
    assert "clip.py" in reason and "sha256" in reason
    assert trust(ws, graph) == [reason]
    assert untrusted_code(ws, graph) == [] and trust(ws, graph) == []

    service = RunService(ws)
    run = service.run("shared", executor="sync")
    assert run.status is RunStatus.SUCCEEDED, run.message
    assert len(service.outputs(run.id, "fn")["output"].frame) == 100
    again = service.run("shared", executor="sync")
    assert {s.node_id: s.status for s in again.stages}["fn"] is StageStatus.CACHED

    code.write_text(USER_CODE.format(marker=str(tmp_path / "ran.txt"), limit=5.0), "utf-8")
    assert len(untrusted_code(ws, graph)) == 1
    with pytest.raises(UntrustedCodeError):
        service.run("shared", executor="sync")
    trust(ws, graph)
    third = service.run("shared", executor="sync")
    assert {s.node_id: s.status for s in third.stages}["fn"] is StageStatus.SUCCEEDED
    assert len(service.outputs(third.id, "fn")["output"].frame) < 100  # the new code ran


def test_trust_belongs_to_the_workspace(tmp_path, code):
    first = tmp_path / "a.db"
    with Workspace.open(str(first)) as ws:
        make_project(ws, code)
        trust(ws, ProjectService(ws).load_pipeline("shared")[1])
    with Workspace.open(str(first)) as ws:
        assert untrusted_code(ws, ProjectService(ws).load_pipeline("shared")[1]) == []
        assert revoke(ws, str(code)) == 1
        assert len(untrusted_code(ws, ProjectService(ws).load_pipeline("shared")[1])) == 1
    with Workspace.open(str(tmp_path / "b.db")) as other:
        make_project(other, code)
        assert len(untrusted_code(other, ProjectService(other).load_pipeline("shared")[1])) == 1


def test_opening_importing_and_exporting_a_project_runs_none_of_its_code(ws, code, tmp_path):
    doc_file = tmp_path / "from_elsewhere.json"
    doc_file.write_text(json.dumps(serialization.to_dict(pipeline_with(code))), "utf-8")
    service = ProjectService(ws)
    service.create_project("mine")
    service.import_pipeline("mine", doc_file, "theirs")
    _, graph = service.load_pipeline("mine", "theirs")
    untrusted_code(ws, graph)
    service.export_pipeline("mine", "theirs", tmp_path / "out.py", "python")
    service.export_pipeline("mine", "theirs", tmp_path / "out.json", "json")
    assert not (tmp_path / "ran.txt").exists()


def test_the_stage_refuses_a_file_changed_after_the_run_was_allowed(ws, code, tmp_path):
    make_project(ws, code)
    graph = ProjectService(ws).load_pipeline("shared")[1]
    trust(ws, graph)
    check = CodeTrust(ws)
    from mlops_desktop.stages.custom import code_digest

    assert check("file", str(code), code_digest(str(code)))
    code.write_text("def keep_long_petals(f):\n    return f\n", "utf-8")
    assert not check("file", str(code), code_digest(str(code)))


def test_modules_are_trusted_by_name(ws):
    p = Pipeline("main", default_registry())
    p.apply(add_stage(p, "python_function", params={"module": "json", "function": "dumps"}))
    assert untrusted_code(ws, p) == ["'Python function' runs dumps() from module json"]
    trust(ws, p)
    assert untrusted_code(ws, p) == []


def test_headless_run_needs_trust(capsys, tmp_path, code):
    db = str(tmp_path / "cli.db")
    with Workspace.open(db) as ws:
        make_project(ws, code)
    assert main(["--workspace", db, "run", "shared", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "not trusted in this workspace" in err and "--trust" in err
    assert not (tmp_path / "ran.txt").exists()
    assert main(["--workspace", db, "run", "shared", "--quiet", "--trust"]) == 0
    assert "trusted:" in capsys.readouterr().err
    assert (tmp_path / "ran.txt").exists()
    assert main(["--workspace", db, "run", "shared", "--quiet"]) == 0  # remembered
