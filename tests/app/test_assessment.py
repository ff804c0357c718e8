"""AssessmentService on a real workspace: the Google template run for real through the
operate loop, CI evidence, a git repository, answers, stored history and pipeline fixes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mlops_desktop.app.assessment import AssessmentService, time_series
from mlops_desktop.app.projects import ProjectService
from mlops_desktop.app.runs import RunService
from mlops_desktop.app.triggers import TriggerService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.core.errors import FormatError, MlopsError, NotFoundError
from mlops_desktop.core.serialization import to_dict

JUNIT = """<?xml version="1.0" encoding="UTF-8"?>
<testsuites>
  <testsuite name="tests.test_features" tests="3" failures="0" errors="0" skipped="0" time="0.42">
    <properties><property name="commit" value="1a2b3c"/></properties>
    <testcase classname="tests.test_features" name="test_scaling" time="0.1"/>
    <testcase classname="tests.test_features" name="test_one_hot" time="0.1"/>
    <testcase classname="tests.test_model" name="test_fit_lowers_loss" time="0.2"/>
  </testsuite>
  <testsuite name="tests.integration.test_pipeline" tests="1" failures="1" errors="0" time="3.0">
    <testcase classname="tests.integration.test_pipeline" name="test_end_to_end" time="3.0">
      <failure message="boom">trace</failure>
    </testcase>
  </testsuite>
</testsuites>
"""


@pytest.fixture(scope="module")
def looped(tmp_path_factory: pytest.TempPathFactory):
    """A Google-template project after a dev run and three triggered production runs."""
    folder = tmp_path_factory.mktemp("ws")
    ws = Workspace.open(str(folder / "workspace.db"))
    ProjectService(ws).create_project("churn", "google")
    RunService(ws).run("churn", environment="dev")
    triggers = TriggerService(ws)  # fires as the scheduler and the monitor alert do
    for trigger in ("schedule", "monitor_alert", "monitor_alert"):
        event = triggers.fire("churn", type_=trigger, environment="production")
        assert event.run_id is not None and ws.runs.get(event.run_id).status == "succeeded"
    report = folder / "junit.xml"
    report.write_text(JUNIT, encoding="utf-8")
    yield ws, report
    ws.close()


def test_facts_come_from_the_workspace(looped) -> None:
    ws, _ = looped
    facts = AssessmentService(ws).facts("churn")
    assert len(facts.runs) == 4 and {r.trigger for r in facts.runs} == {
        "manual",
        "schedule",
        "monitor_alert",
    }
    assert len(facts.model_versions) >= 3 and len(facts.deployments) >= 3
    assert facts.registry_known and facts.alerts
    assert facts.pipelines[0].pipeline.meta["triggers"][0]["type"] == "monitor_alert"
    assert all(r.stages for r in facts.runs)


def test_google_template_after_the_loop_with_ci_reaches_level_1_and_is_stored(looped) -> None:
    ws, report = looped
    svc = AssessmentService(ws)
    before = svc.assess("churn").models["google"]
    assert before.level == 0 and any("gcp.l0.no_ci" in r for r in before.reasons)
    suites = svc.import_junit("churn", report)
    assert [(s.suite, s.kind, s.tests, s.failures, s.commit) for s in suites] == [
        ("tests.test_features", "unit", 3, 0, "1a2b3c"),
        ("tests.integration.test_pipeline", "integration", 1, 1, "1a2b3c"),
    ]
    result = svc.assess("churn")
    google = result.models["google"]
    assert google.level == 1, google.reasons
    ct = google.result("gcp.l1.ct_in_prod")
    assert ct.status == "met" and any(e.kind == "model_version" for e in ct.evidence)
    assert ct.observed_at is not None
    history = svc.history("churn")
    assert [r.model for r in history[-5:]] == ["google", "azure", "aws", "mlts", "crosswalk"]
    series = time_series(svc.history("churn", "google"))
    assert [level for _, level in series["google"]][-2:] == [0.0, google.normalized]
    stored = history[-5].detail
    assert stored["level"] == 1 and stored["gaps"]["target"] == 2


def test_removing_the_monitor_link_lowers_google_and_the_fix_restores_it(looped) -> None:
    ws, report = looped
    svc = AssessmentService(ws)
    if not svc.facts("churn").ci_results:
        svc.import_junit("churn", report)
    ps = ProjectService(ws)
    info, pipeline = ps.load_pipeline("churn")
    doc = to_dict(pipeline)
    doc["meta"].pop("triggers")
    ws.pipelines.save(info.id, doc, "drop the monitor trigger")
    result = svc.assess("churn")
    assert result.models["google"].level == 0
    gap = next(g for g in svc.gaps(result)["google"].items if g.id == "gcp.l1.pipeline_triggers")
    assert gap.fix == "wire_monitor_retrain"
    name, version = svc.apply_fix("churn", gap.fix)
    assert version == ws.pipelines.latest(info.id).version
    assert ps.load_pipeline("churn")[1].meta["triggers"] == [
        {"type": "monitor_alert", "source_node": "monitor"}
    ]
    assert svc.assess("churn").models["google"].level == 1


def test_answers_are_stored_with_history_and_feed_the_scores(looped) -> None:
    ws, _ = looped
    svc = AssessmentService(ws)
    svc.answer("churn", "q.ds_mle", "no")
    svc.answer("churn", "q.ds_mle", "yes", "https://wiki.example/roles")
    assert svc.answers("churn")["q.ds_mle"].value == "yes"
    history = svc.answer_history("churn", "q.ds_mle")
    assert [a.value for a in history] == ["no", "yes"] and history[0].superseded_at is not None
    result = svc.assess("churn", save=False)
    assert result.models["aws"].result("aws.rep.ds_mle_collab").status == "met"
    with pytest.raises(NotFoundError, match="unknown question"):
        svc.answer("churn", "q.nope", "yes")
    with pytest.raises(MlopsError, match="one of yes, no, partial"):
        svc.answer("churn", "q.privacy", "maybe")
    items = svc.questionnaire("churn", result)
    groups = {i.group for i in items}
    assert {"Use case", "People and process", "ML Test Score", "Confirm suggestions"} <= groups
    confirm = next(i for i in items if i.id == "confirm:gcp.l1.exp_op_symmetry")
    assert confirm.suggested and "Evidence" in confirm.help
    svc.answer("churn", confirm.id, "yes")
    assert (
        svc.assess("churn", save=False).models["google"].result("gcp.l1.exp_op_symmetry").confirmed
    )


def test_a_git_repository_gives_every_run_its_commit(looped, tmp_path: Path) -> None:
    ws, _ = looped
    svc = AssessmentService(ws)
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    (repo / "train.py").write_text("print('hi')\n")
    subprocess.run([*git, "add", "train.py"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "first"], check=True)
    head = subprocess.run(
        [*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert svc.attach_repo("churn", repo / ".") == head
    assert svc.current_commit("churn") == head and svc.repo("churn") == str(repo.resolve())
    with pytest.raises(MlopsError, match="not inside a git repository"):
        svc.attach_repo("churn", tmp_path)
    svc.detach_repo("churn")
    assert svc.current_commit("churn") == ""


def test_junit_with_a_dtd_or_bad_xml_is_refused(looped, tmp_path: Path) -> None:
    ws, _ = looped
    svc = AssessmentService(ws)
    evil = tmp_path / "evil.xml"
    evil.write_text(
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><testsuite name="&a;" tests="1"/>'
    )
    with pytest.raises(FormatError, match="DTD or entities"):
        svc.import_junit("churn", evil)
    bad = tmp_path / "bad.xml"
    bad.write_text("<testsuite><testcase></testsuite>")
    with pytest.raises(FormatError, match="not well-formed"):
        svc.import_junit("churn", bad)
    other = tmp_path / "other.xml"
    other.write_text("<html/>")
    with pytest.raises(FormatError, match="not a JUnit report"):
        svc.import_junit("churn", other)
