"""The continuous-training loop of the Google template as the registry's history tells it,
through the command line only: ``models at PROJECT TIME`` says what served production at a
moment, which run (and its trigger) deployed it, and who or what moved the alias and why;
promoting the canary and rolling back are one command each and land in that history."""

from __future__ import annotations

import json

import pytest

from mlops_desktop.app.registry import RegistryService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.cli import main

MODEL = "breast-cancer-classifier"


def _cli(capsys, url, *argv):
    code = main(["--workspace", url, *argv])
    out = capsys.readouterr()
    return code, out.out + out.err


def _at(capsys, url, when) -> tuple[str, list[dict]]:
    code, text = _cli(capsys, url, "models", "at", "ct", when.isoformat())
    assert code == 0, text
    code, out = _cli(capsys, url, "models", "at", "ct", when.isoformat(), "--json")
    assert code == 0, out
    return text, json.loads(out)["serving"]


def _other_project_runs(url, count: int) -> None:
    """Finished runs of another project first, so that run ids and numbers differ."""
    from mlops_desktop.app.triggers import utc_now
    from mlops_desktop.core.entities import Run, RunStatus

    with Workspace.open(url) as ws:
        proj = ws.projects.create("other")
        info = ws.pipelines.create(proj.id, "p", {"name": "p", "nodes": [], "links": []})
        version = ws.pipelines.latest(info.id)
        now, done = utc_now(), RunStatus.SUCCEEDED
        row = Run(0, proj.id, info.id, version.id, done, "manual", "dev", now, now, now)
        ws.runs.add_finished([row] * count, [])


@pytest.mark.slow
def test_models_at_answers_what_served_production_through_the_loop(workspace_url, capsys):
    url = workspace_url
    _other_project_runs(url, 5)
    assert _cli(capsys, url, "project", "create", "ct", "--template", "google")[0] == 0
    assert _cli(capsys, url, "run", "ct")[0] == 0  # v1 becomes production's primary
    assert _cli(capsys, url, "run", "ct")[0] == 0  # kept out; v1 serves drifted traffic
    code, out = _cli(capsys, url, "scheduler", "--once")  # the alert retrains: run #3
    assert code == 0 and "monitor_alert" in out and "started run #3" in out
    with Workspace.open(url) as ws:
        registry = RegistryService(ws)
        deployed = {d.version: d for d in registry.deployments("ct", "production")}
    v1_at, v2_at = deployed[1].created_at, deployed[2].created_at

    # The listing says who answers how much now: the canary a fifth, the primary the rest.
    code, out = _cli(capsys, url, "models", "ct")
    versions = [ln.split() for ln in out.splitlines()[2:4]]
    assert [(row[1], row[-5]) for row in versions] == [("2", "#3"), ("1", "#1")]  # by number
    assert "registered by run #3" in out
    active = [ln.split() for ln in out.split("ENVIRONMENT")[1].splitlines()[2:] if ln.strip()]
    assert [(row[2], row[3], row[4]) for row in active] == [
        ("2", "canary", "20%"),
        ("1", "direct", "80%"),
    ]

    text, served = _at(capsys, url, v1_at)
    assert [(s["version"], s["strategy"], s["run_number"]) for s in served] == [(1, "direct", 1)]
    assert f"production: {MODEL} v1 (direct) since" in text
    assert "deployed by run #1 (manual)" in text

    # After the retraining: v2 serves a fifth of production beside v1, put there by run #3,
    # which the monitor alert started.
    text, served = _at(capsys, url, v2_at)
    assert sorted((s["version"], s["strategy"], s["traffic_share"]) for s in served) == [
        (1, "direct", 1.0),
        (2, "canary", 0.2),
    ]
    assert f"production: {MODEL} v2 (canary, 20% of traffic)" in text
    assert "deployed by run #3 (monitor_alert)" in text

    # One command each: promote the canary, then roll back; both are in the history.
    code, out = _cli(
        capsys, url, "models", "promote-canary", "ct", "production", "--reason", "no worse"
    )
    assert code == 0 and f"{MODEL} v2 now serves all of production (was v1" in out
    code, out = _cli(
        capsys, url, "models", "rollback", "ct", MODEL, "production", "--reason", "complaints"
    )
    assert code == 0 and "'production' v2 -> v1" in out
    with Workspace.open(url) as ws:
        history = RegistryService(ws).history("ct", MODEL, "production")
    promoted, rolled = history[-2:]
    assert (promoted.from_version, promoted.to_version, promoted.reason) == (1, 2, "no worse")
    assert (rolled.from_version, rolled.to_version, rolled.kind) == (2, 1, "rollback")

    text, served = _at(capsys, url, promoted.created_at)
    assert [(s["version"], s["strategy"], s["alias_reason"]) for s in served] == [
        (2, "direct", "no worse")
    ]
    assert f"by {promoted.actor}: no worse" in text
    text, served = _at(capsys, url, rolled.created_at)
    assert [(s["version"], s["alias_by"]) for s in served] == [(1, rolled.actor)]
    assert "complaints" in text

    # The same question through --at, and a clear message for a time that is not one.
    code, out = _cli(capsys, url, "models", "ct", "--at", v1_at.isoformat())
    assert code == 0 and "deployed by run #1 (manual)" in out
    for argv, message in (
        (("ct", "yesterday"), "TIME must look like 2026-12-05T15:06, got 'yesterday'"),
        (("ct",), "models at needs PROJECT TIME"),
    ):
        with pytest.raises(SystemExit) as exc:
            main(["--workspace", url, "models", "at", *argv])
        assert exc.value.code == 2 and message in capsys.readouterr().err
