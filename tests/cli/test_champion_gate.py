"""Champion against challenger through ``mlops-desktop run``: the Google template's gate
scores the model serving production on the same test rows as the candidate, and a weaker
challenger stays out of production."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlops_desktop.app.projects import ProjectService
from mlops_desktop.app.registry import RegistryService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.cli import main
from mlops_desktop.core.operations import set_param

MODEL = "breast-cancer-classifier"


def _cli(capsys, url, *argv):
    code = main(["--workspace", url, *argv])
    out = capsys.readouterr()
    return code, out.out + out.err


def _serving(url):
    with Workspace.open(url) as ws:
        registry = RegistryService(ws)
        primary = [d for d in registry.active_deployments("ct", "production")]
        aliases = registry.list_models("ct")[0].aliases
        versions = [v.version for v in registry.versions("ct", MODEL)]
        return [(d.version, d.strategy) for d in primary], aliases, versions


def _weaken(url):
    """Edit the Train stage as the inspector does: three stumps instead of a forest."""
    with Workspace.open(url) as ws:
        service = ProjectService(ws)
        info, pipeline = service.load_pipeline("ct")
        pipeline.apply(set_param(pipeline, "train", "n_estimators", 3))
        pipeline.apply(set_param(pipeline, "train", "max_depth", 1))
        service.save_pipeline(info.id, pipeline, "weaker forest")


@pytest.mark.slow
def test_a_weaker_challenger_stays_out_of_production(workspace_url, capsys):
    code, _ = _cli(capsys, workspace_url, "project", "create", "ct", "--template", "google")
    assert code == 0
    # First run: nobody serves production, so the rule falls back to the baseline and the
    # canary asked for becomes production's primary (a canary needs something to run beside).
    code, out = _cli(capsys, workspace_url, "run", "ct")
    assert code == 0, out
    assert _serving(workspace_url) == ([(1, "direct")], {"production": 1, "candidate": 1}, [1])
    code, out = _cli(capsys, workspace_url, "runs", "ct", "--json")
    first = json.loads(out)[0]
    assert first["metrics"]["gate_champion_compared"] == 0.0

    _weaken(workspace_url)
    code, out = _cli(capsys, workspace_url, "run", "ct")
    # Not an error: the run ends "kept out", naming the champion that stays and the scores.
    assert code == 0, out
    assert "kept out" in out and "champion breast-cancer-classifier v1 stays (accuracy" in out
    assert "  skipped  Deploy (canary) (kept out: champion" not in out  # reason said once
    assert "  skipped  Deploy (canary) (champion breast-cancer-classifier v1 stays" in out
    # v2 was never registered; v1 still serves production alone.
    assert _serving(workspace_url) == ([(1, "direct")], {"production": 1, "candidate": 1}, [1])
    code, out = _cli(capsys, workspace_url, "runs", "ct", "--json")
    weak = json.loads(out)[0]["metrics"]
    assert weak["gate_passed"] == 0.0 and weak["gate_champion_compared"] == 1.0
    assert weak["gate_champion_version"] == 1.0
    # The champion was scored on the same rows: its accuracy equals the first run's.
    assert weak["gate_champion_accuracy"] == pytest.approx(first["metrics"]["accuracy"])
    assert weak["accuracy"] < weak["gate_champion_accuracy"]
    with Workspace.open(workspace_url) as ws:
        run = ws.runs.get(json.loads(out)[0]["id"])
        gate_log = next(s.log for s in run.stages if s.node_id == "gate")
    assert "champion breast-cancer-classifier v1 (production) on the same 143 test rows" in (
        gate_log
    )
    assert "✗ accuracy > champion_accuracy + 0.005" in gate_log
    # The report's summary says the latest run kept its model out, not that it failed.
    report = Path(workspace_url.removeprefix("sqlite:///")).parent / "ct.html"
    code, _ = _cli(capsys, workspace_url, "report", "ct", "-o", str(report))
    assert code == 0
    summary = report.read_text(encoding="utf-8").split('id="pipeline"')[0]
    assert "kept its model out of production: champion breast-cancer-classifier v1 stays" in (
        summary
    )
    assert "The latest run" in summary and "latest run failed" not in summary


def test_champion_rule_falls_back_to_the_baseline_and_says_so():
    from mlops_desktop.stages._champion import Champion, rule_values
    from mlops_desktop.stages.model import evaluate_rules, parse_rules

    tree = parse_rules("accuracy > champion_accuracy + 0.005 and accuracy>=champion_accuracy-1")
    values, notes = rule_values(
        {"accuracy": 0.9, "baseline_accuracy": 0.6},
        Champion(note="no model serves 'production' yet"),
        {"accuracy", "champion_accuracy"},
    )
    assert values["champion_accuracy"] == 0.6
    assert notes == [
        "no champion to compare with (no model serves 'production' yet): "
        "champion_accuracy falls back to baseline_accuracy"
    ]
    passed, lines = evaluate_rules(tree, values)
    assert passed and lines[0].startswith("✓ accuracy > champion_accuracy + 0.005  (0.9 > 0.605)")


def _edit(url, message, **params):
    """Edit stage parameters as the inspector does: {(node, param): value}."""
    with Workspace.open(url) as ws:
        service = ProjectService(ws)
        info, pipeline = service.load_pipeline("ct")
        for (node, name), value in params["values"].items():
            pipeline.apply(set_param(pipeline, node, name, value))
        service.save_pipeline(info.id, pipeline, message)


@pytest.mark.slow
def test_v3_in_production_then_a_weaker_v4_keeps_v3(workspace_url, capsys):
    """The case as it was seen: three versions reach production one after another, then a
    forest of three stumps is trained; the gate meets v3 on the same rows and keeps it."""
    url = workspace_url
    assert _cli(capsys, url, "project", "create", "ct", "--template", "google")[0] == 0
    champion_rule = "accuracy >= 0.9 and accuracy > champion_accuracy + 0.005"
    # Three forests of different sizes, each deployed directly past a plain threshold rule.
    for trees in (20, 40, 60):
        values = {
            ("gate", "rules"): "accuracy >= 0.9",
            ("deploy", "strategy"): "direct",
            ("train", "n_estimators"): trees,
        }
        _edit(url, f"{trees} trees", values=values)
        code, out = _cli(capsys, url, "run", "ct")
        assert code == 0 and "succeeded" in out, out
    primary, aliases, versions = _serving(url)
    assert primary == [(3, "direct")] and aliases["production"] == 3 and versions == [3, 2, 1]

    values = {
        ("gate", "rules"): champion_rule,
        ("train", "n_estimators"): 3,
        ("train", "max_depth"): 1,
    }
    _edit(url, "three stumps, the champion rule back", values=values)
    code, out = _cli(capsys, url, "run", "ct")
    assert code == 0, out
    assert "run #4 kept out in " in out
    assert ": champion breast-cancer-classifier v3 stays (accuracy" in out
    code, listing = _cli(capsys, url, "runs", "ct", "--json")
    weak = json.loads(listing)[0]["metrics"]
    assert (
        weak["gate_champion_version"] == 3.0 and weak["accuracy"] < weak["gate_champion_accuracy"]
    )
    primary, aliases, versions = _serving(url)
    assert primary == [(3, "direct")] and aliases["production"] == 3 and versions == [3, 2, 1]
