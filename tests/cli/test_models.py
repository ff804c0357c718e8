"""The ``models``, ``trigger``, ``triggers`` and ``scheduler`` commands on a real workspace."""

from __future__ import annotations

import json

import pytest

from mlops_desktop.app.registry import RegistryService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.cli import main
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.operations import add_stage, connect
from mlops_desktop.core.registry import default_registry
from mlops_desktop.core.serialization import to_dict


@pytest.fixture
def wsfile(workspace_url):
    with Workspace.open(workspace_url) as ws:
        project = ws.projects.create("p")
        pipeline = Pipeline("small", default_registry())
        pipeline.apply(add_stage(pipeline, "load_data", params={"dataset": "iris"}, node_id="load"))
        pipeline.apply(add_stage(pipeline, "split", node_id="split"))
        pipeline.apply(connect("load", "dataset", "split", "dataset"))
        ws.pipelines.create(project.id, "small", to_dict(pipeline))
        registry = RegistryService(ws)
        for accuracy in (0.9, 0.95):
            registry.register("p", "clf", metrics={"accuracy": accuracy}, task="classification")
        registry.deploy("p", "clf", 1, "production", approver="ann")
    return workspace_url


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_models_list_table_and_json(wsfile, capsys):
    code, out, _ = run(capsys, "--workspace", wsfile, "models", "p")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == [
        "MODEL",
        "VERSION",
        "ALIASES",
        "APPROVAL",
        "RUN",
        "METRIC",
        "REGISTERED",
    ]
    assert lines[2].split()[:2] == ["clf", "2"] and "accuracy 0.95" in lines[2]
    assert "production" in lines[3]
    assert any(line.split()[:4] == ["production", "clf", "1", "direct"] for line in lines)
    code, out, _ = run(capsys, "--workspace", wsfile, "models", "p", "--json")
    doc = json.loads(out)
    assert doc["models"][0]["aliases"] == {"production": 1}
    assert [v["version"] for v in doc["models"][0]["versions"]] == [2, 1]
    assert doc["deployments"][0]["approver"] == "ann"


def test_promote_and_rollback(wsfile, capsys):
    code, out, _ = run(
        capsys,
        "--workspace",
        wsfile,
        "models",
        "promote",
        "p",
        "clf",
        "2",
        "production",
        "--reason",
        "better",
    )
    assert code == 0 and "'production' v1 -> v2" in out
    code, out, _ = run(
        capsys, "--workspace", wsfile, "models", "rollback", "p", "clf", "production"
    )
    assert code == 0 and "'production' v2 -> v1" in out
    with Workspace.open(wsfile) as ws:
        registry = RegistryService(ws)
        history = registry.history("p", "clf", "production")
        assert [(h.from_version, h.to_version) for h in history] == [(None, 1), (1, 2), (2, 1)]
        assert history[1].reason == "better"
        active = registry.active_deployments("p", "production")
        assert [d.version for d in active] == [1]  # the deployment followed the alias


def test_models_errors(wsfile, capsys):
    code, _, err = run(capsys, "--workspace", wsfile, "models", "rollback", "p", "clf", "staging")
    assert code == 1 and "no version of 'clf' holds the alias 'staging'" in err
    code, _, err = run(
        capsys, "--workspace", wsfile, "models", "promote", "p", "clf", "9", "staging"
    )
    assert code == 1 and "has no version 9" in err and "Traceback" not in err
    code, _, err = run(capsys, "--workspace", wsfile, "models", "nope")
    assert code == 1 and "nope" in err
    with pytest.raises(SystemExit) as exc:
        main(["--workspace", wsfile, "models", "promote", "p", "clf"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit):
        main(["--workspace", wsfile, "models", "promote", "p", "clf", "two", "staging"])


def test_trigger_triggers_and_scheduler_once(wsfile, capsys, tmp_path):
    code, out, _ = run(capsys, "--workspace", wsfile, "trigger", "p", "small")
    assert code == 0 and "manual: started run #1" in out and "run #1 succeeded" in out
    with Workspace.open(wsfile) as ws:
        from mlops_desktop.app.triggers import TriggerService

        inbox = tmp_path / "inbox"
        inbox.mkdir()
        TriggerService(ws).add_trigger("p", "small", "data_arrival", {"folder": str(inbox)})
    (inbox / "new.csv").write_text("x\n1\n")
    code, out, _ = run(capsys, "--workspace", wsfile, "scheduler", "--once")
    assert code == 0 and "data_arrival small: started run #2" in out
    code, out, _ = run(capsys, "--workspace", wsfile, "triggers", "p", "--json")
    doc = json.loads(out)
    assert [t["type"] for t in doc["triggers"]] == ["data_arrival"]
    assert [(e["type"], e["outcome"], e["run_id"]) for e in doc["events"]] == [
        ("data_arrival", "started", 2),
        ("manual", "started", 1),
    ]
    code, out, _ = run(capsys, "--workspace", wsfile, "runs", "p", "--json")
    assert [r["trigger"] for r in json.loads(out)][:2] == ["data_arrival", "manual"]
    code, _, err = run(capsys, "--workspace", wsfile, "trigger", "p", "nope")
    assert code == 1 and "nope" in err


def test_triggers_add_disable_remove(wsfile, capsys):
    code, out, _ = run(
        capsys,
        "--workspace",
        wsfile,
        "triggers",
        "p",
        "--pipeline",
        "small",
        "--add",
        "schedule",
        "--config",
        '{"cron": "*/15 * * * *"}',
    )
    assert code == 0 and "added trigger #1: schedule on small (cron=*/15 * * * *)" in out
    args = ["--workspace", wsfile, "triggers", "p", "--update", "1"]
    code, out, _ = run(capsys, *args, "--config", '{"cron": "0 6 * * 1"}')
    assert code == 0 and "updated trigger #1: schedule on small (cron=0 6 * * 1)" in out
    code, _, err = run(capsys, *args, "--config", '{"cron": "whenever"}')
    assert code == 1 and "not a cron expression" in err
    code, _, err = run(capsys, "--workspace", wsfile, "triggers", "p", "--update", "7")
    assert code == 1 and "no trigger #7" in err
    code, out, _ = run(capsys, "--workspace", wsfile, "triggers", "p", "--disable", "1")
    assert code == 0 and "disabled trigger #1" in out
    code, out, _ = run(capsys, "--workspace", wsfile, "triggers", "p")
    assert (
        out.splitlines()[2].split()[:3] == ["1", "small", "schedule"]
        and "no" in out.splitlines()[2]
    )
    code, _, err = run(
        capsys,
        "--workspace",
        wsfile,
        "triggers",
        "p",
        "--pipeline",
        "small",
        "--add",
        "schedule",
        "--config",
        '{"cron": "sometimes"}',
    )
    assert code == 1 and "not a cron expression" in err
    code, _, err = run(capsys, "--workspace", wsfile, "triggers", "p", "--remove", "9")
    assert code == 1 and "no trigger #9" in err
    code, out, _ = run(capsys, "--workspace", wsfile, "triggers", "p", "--remove", "1")
    assert code == 0 and "removed trigger #1" in out


def test_models_json_is_strict_json_when_a_score_is_not_a_number(tmp_path, capsys):
    """A version scored NaN (scikit-learn's ROC AUC of a test part with one class) prints
    null: every ``--json`` is read by a strict parser, as jq and JavaScript read it."""
    path = str(tmp_path / "w.db")
    with Workspace.open(path) as ws:
        ws.projects.create("p")
        RegistryService(ws).register("p", "clf", metrics={"accuracy": 1.0, "roc_auc": float("nan")})
    code, out, _ = run(capsys, "--workspace", path, "models", "p", "--json")

    def refuse(name):
        raise ValueError(f"not JSON: {name}")

    doc = json.loads(out, parse_constant=refuse)
    assert code == 0 and doc["models"][0]["versions"][0]["metrics"] == {
        "accuracy": 1.0,
        "roc_auc": None,
    }
    assert out.startswith('{\n  "project": "p"')  # indented for reading
