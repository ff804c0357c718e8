"""Each lifecycle template, alone and after the operate loop has run, gets the levels that
follow from the rules; removing the monitor -> retrain link lowers the level."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from mlops_desktop.core.maturity import assess
from mlops_desktop.core.maturity.facts import (
    AlertFacts,
    Answer,
    CiResultFacts,
    DeploymentFacts,
    ModelVersionFacts,
    PipelineFacts,
    ProjectFacts,
    RunFacts,
    StageFacts,
)
from mlops_desktop.core.maturity.gaps import fix_operation, gaps
from mlops_desktop.core.operations import SetMeta
from mlops_desktop.core.resources import load_json
from mlops_desktop.core.serialization import from_dict

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def template(name: str) -> list:
    doc = load_json("templates", f"{name}.json")
    return [from_dict(d) for d in (doc.get("pipelines") or [doc])]


def pipelines_facts(pipelines: list) -> tuple[PipelineFacts, ...]:
    return tuple(
        PipelineFacts(p.name, p, id=i + 1, version_id=100 + i, saved_at=NOW - timedelta(days=60))
        for i, p in enumerate(pipelines)
    )


def loop_history(pf: PipelineFacts, *, prod_runs: int = 3, commit: str = "", staging: bool = False):
    """What the operate loop leaves behind: a dev run, then triggered production runs that
    check their data against the stored reference, train on new data, pass a gate against
    the champion, register and deploy a distinct version each; monitoring alerts."""
    stages = tuple(StageFacts(n.id, n.type, "succeeded", 0.5) for n in pf.pipeline.nodes.values())
    runs, versions, deploys = [], [], []
    base = dict(
        pipeline_name=pf.name,
        status="succeeded",
        pipeline_id=pf.id,
        pipeline_version_id=pf.version_id,
        commit=commit,
        executor="threads",
        metrics={
            "accuracy": 0.95,
            "baseline_accuracy": 0.6,
            "schema_reference": 1.0,
            "schema_violations": 0.0,
            "gate_champion_version": 1.0,
        },
        duration_s=12.0,
        stages=stages,
        params={"Train": {"estimator": "random_forest", "n_estimators": 100}},
    )
    runs.append(
        RunFacts(
            id=1,
            trigger="manual",
            environment="dev",
            started_at=NOW - timedelta(days=40),
            input_hashes={"load": "data-0"},
            **base,
        )
    )
    for i in range(prod_runs):
        rid = 2 + i
        at = NOW - timedelta(days=30 - 7 * i)
        trigger = "schedule" if i == 0 else "monitor_alert"
        runs.append(
            RunFacts(
                id=rid,
                trigger=trigger,
                environment="production",
                started_at=at,
                input_hashes={"load": f"data-{rid}"},  # new rows each time
                **base,
            )
        )
        versions.append(
            ModelVersionFacts(
                "model",
                i + 1,
                run_id=rid,
                created_at=at,
                metrics={"accuracy": 0.95},
                digest=f"sha-{i + 1}",
            )
        )
        if staging:
            deploys.append(
                DeploymentFacts(
                    100 + 2 * i,
                    "staging",
                    "direct",
                    "alice",
                    at,
                    "model",
                    i + 1,
                    rid,
                    digest=f"sha-{i + 1}",
                )
            )
            deploys.append(
                DeploymentFacts(
                    101 + 2 * i,
                    "production",
                    "direct",
                    "alice",
                    at + timedelta(hours=1),
                    "model",
                    i + 1,
                    rid,
                    digest=f"sha-{i + 1}",
                )
            )
        else:
            deploys.append(
                DeploymentFacts(
                    100 + i,
                    "production",
                    "direct",
                    "",
                    at,
                    "model",
                    i + 1,
                    rid,
                    digest=f"sha-{i + 1}",
                )
            )
    alerts = (
        AlertFacts(
            1, "drift", "PSI 0.31 > 0.2 on mean radius", "monitor", 3, NOW - timedelta(days=24)
        ),
    )
    return tuple(runs), tuple(versions), tuple(deploys), alerts


CI_UNIT = CiResultFacts(
    1,
    "tests.test_features",
    12,
    kind="unit",
    imported_at=NOW - timedelta(days=3),
    cases=("test_feature_scaling", "test_model_fit"),
    commit="c0ffee",
)


def facts_for(name: str, *, history: bool, ci: bool = False, **kw) -> ProjectFacts:
    pfs = pipelines_facts(template(name))
    extra = {}
    if history:
        runs, versions, deploys, alerts = loop_history(
            pfs[0], commit=kw.pop("commit", "c0ffee"), staging=kw.pop("staging", False)
        )
        extra = dict(runs=runs, model_versions=versions, deployments=deploys, alerts=alerts)
    return ProjectFacts(name, pfs, ci_results=(CI_UNIT,) if ci else (), now=NOW, **extra, **kw)


def levels(facts: ProjectFacts) -> dict[str, int]:
    a = assess(facts)
    return {m: s.level for m, s in a.models.items()}


@pytest.mark.parametrize("name", ["blank", "google", "aws", "azure"])
def test_each_template_alone_is_at_the_bottom(name: str) -> None:
    a = assess(facts_for(name, history=False))
    assert {m: s.level for m, s in a.models.items()} == {"google": 0, "azure": 0, "aws": 1}
    google = a.models["google"]
    assert google.result("gcp.l0.manual_steps").status == "not_met"  # still true: no triggered run
    assert a.mlts.final == 0 and a.mlts.band.id == "mlts.band.0"


def test_google_template_after_the_loop_reaches_google_level_1() -> None:
    a = assess(facts_for("google", history=True, ci=True))
    google = a.models["google"]
    assert google.level == 1, google.reasons
    assert google.result("gcp.l1.ct_in_prod").status == "met"
    ev = google.result("gcp.l1.ct_in_prod").evidence
    assert {e.kind for e in ev} == {"run", "model_version"}
    assert google.result("gcp.l1.exp_op_symmetry").status == "suggested"  # PARTIAL
    assert google.result("gcp.l1.data_validation").evidence[0].ref == "validate"
    # level 2 not reached: no pipeline CI started by a commit
    assert google.result("gcp.l2.pipeline_ci").status == "not_met"
    assert any("Level 2" in r and "not reached" in r for r in google.reasons)
    # the monitor loop is seen as a loop
    assert google.result("gcp.l2.monitoring_stage").status == "met"


def test_without_ci_results_google_is_capped_at_level_0_and_says_why() -> None:
    google = assess(facts_for("google", history=True, ci=False)).models["google"]
    assert google.level == 0
    assert any("gcp.l0.no_ci still true" in r for r in google.reasons)


def test_removing_the_monitor_to_retrain_link_lowers_the_level_and_the_gap_names_it() -> None:
    facts = facts_for("google", history=True, ci=True)
    pipeline = facts.pipelines[0].pipeline
    inverse = pipeline.apply(SetMeta("triggers", None))
    lowered = replace(facts, pipelines=pipelines_facts([pipeline]))
    a = assess(lowered)
    assert a.models["google"].level == 0
    assert a.models["google"].result("gcp.l1.pipeline_triggers").status == "not_met"
    report = gaps(a)["google"]
    gap = next(g for g in report.items if g.id == "gcp.l1.pipeline_triggers")
    assert gap.fix == "wire_monitor_retrain" and "Monitor" in gap.action
    # the gap's edit puts the link back, as one undoable step
    op = fix_operation(gap.fix, pipeline)
    undo = pipeline.apply(op)
    assert pipeline.meta["triggers"] == [{"type": "monitor_alert", "source_node": "monitor"}]
    assert assess(replace(facts, pipelines=pipelines_facts([pipeline]))).models["google"].level == 1
    pipeline.apply(undo)
    assert "triggers" not in pipeline.meta
    pipeline.apply(inverse)


def test_aws_template_reaches_reliable_with_staging_approval_and_an_answer() -> None:
    facts = facts_for("aws", history=True, ci=True, staging=True, repo="/src/team")
    assert levels(facts)["aws"] == 1  # Repeatable needs an answer the app cannot see
    a = assess(facts)
    assert a.models["aws"].result("aws.rep.ds_mle_collab").status == "unknown"
    assert any(g.kind == "answer" and g.id == "aws.rep.ds_mle_collab" for g in gaps(a)["aws"].items)
    answered = replace(facts, answers={"q.ds_mle": Answer("q.ds_mle", "yes", "", NOW)})
    assert levels(answered)["aws"] == 2  # staging before prod exists, but only two environments
    dev = DeploymentFacts(99, "dev", "direct", "alice", NOW - timedelta(days=50), "model", 1, 2)
    three_envs = replace(answered, deployments=(*answered.deployments, dev))
    aws = assess(three_envs).models["aws"]
    assert aws.level == 3, aws.reasons
    assert aws.result("aws.rel.manual_approval").evidence[0].kind == "run"  # the Approve stage ran


def test_azure_template_levels_follow_ci_commits_and_answers() -> None:
    assert levels(facts_for("azure", history=True))["azure"] == 0  # no CI, no commits
    with_ci = facts_for("azure", history=True, ci=True)
    assert levels(with_ci)["azure"] == 1
    answers = {q: Answer(q, "yes", "", NOW) for q in ("q.collab_ds_de", "q.compute_managed")}
    a = assess(replace(with_ci, answers=answers))
    assert a.models["azure"].level == 2, a.models["azure"].reasons
    assert a.models["azure"].result("azure.create.compute@L2").status == "suggested"
    # the normalized scale keeps Microsoft levels as they are
    assert a.models["azure"].normalized == 2


def test_a_partial_suggestion_can_be_overruled_by_an_answer() -> None:
    facts = facts_for("google", history=True, ci=True)
    no = {"confirm:gcp.l1.exp_op_symmetry": Answer("confirm:gcp.l1.exp_op_symmetry", "no", "", NOW)}
    google = assess(replace(facts, answers=no)).models["google"]
    assert google.result("gcp.l1.exp_op_symmetry").status == "not_met"
    assert google.result("gcp.l1.exp_op_symmetry").confirmed
    assert google.level == 0
