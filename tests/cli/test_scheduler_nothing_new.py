"""``scheduler --once`` on a project where nothing the pipeline learns from has changed: the
Google template whose labels arrive three runs late raises a drift alert, and the scheduler
starts no retraining, once or ten times; the firing is recorded, and listed by
``triggers``, as "no run: nothing new to learn from"."""

from __future__ import annotations

import json

import pytest

from mlops_desktop.app.projects import ProjectService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.cli import main
from mlops_desktop.core.operations import set_param


def _cli(capsys, url, *argv):
    code = main(["--workspace", url, *argv])
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.mark.slow
def test_ten_scheduler_passes_with_nothing_new_start_no_run(workspace_url, capsys):
    url = workspace_url
    assert _cli(capsys, url, "project", "create", "ct", "--template", "google")[0] == 0
    with Workspace.open(url) as ws:  # as the inspector edits Production feedback
        service = ProjectService(ws)
        info, pipeline = service.load_pipeline("ct")
        pipeline.apply(set_param(pipeline, "feedback", "label_delay_runs", 3))
        service.save_pipeline(info.id, pipeline, "labels arrive three runs later")
    assert _cli(capsys, url, "run", "ct")[0] == 0
    assert _cli(capsys, url, "run", "ct")[0] == 0  # v1 serves drifted traffic: an alert

    code, out = _cli(capsys, url, "scheduler", "--once")
    assert code == 0
    assert "monitor_alert Continuous training and serving: no run, nothing new to learn from" in (
        out
    )
    for _ in range(9):
        code, out = _cli(capsys, url, "scheduler", "--once")
        assert code == 0 and out == ""  # the alert was answered; nothing else is due

    code, out = _cli(capsys, url, "runs", "ct", "--json")
    assert [r["trigger"] for r in json.loads(out)] == ["manual", "manual"]
    code, out = _cli(capsys, url, "triggers", "ct")
    assert code == 0 and "no run: nothing new to learn from" in out
    code, out = _cli(capsys, url, "triggers", "ct", "--json")
    [event] = json.loads(out)["events"]
    assert (event["outcome"], event["run_id"]) == ("skipped", None)
    assert event["detail"]["reason"] == "nothing new to learn from"
    code, out = _cli(capsys, url, "models", "ct", "--json")
    [model] = json.loads(out)["models"]
    assert [v["version"] for v in model["versions"]] == [1]
