"""ML Test Score arithmetic and bands, the crosswalk level, and self-explaining scores."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.maturity import assess
from mlops_desktop.core.maturity.facts import (
    Answer,
    CiResultFacts,
    PipelineFacts,
    ProjectFacts,
    RunFacts,
    StageFacts,
)
from mlops_desktop.core.operations import Compound, add_stage, connect

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def validating_pipeline() -> Pipeline:
    p = Pipeline("train")
    ops = [
        add_stage(p, "load_data", node_id="load"),
        add_stage(p, "validate_data", node_id="validate"),
        add_stage(p, "split", node_id="split"),
        add_stage(p, "tune", node_id="tune"),
    ]
    p.apply(Compound(tuple(ops)))
    p.apply(
        Compound(
            (
                connect("load", "dataset", "validate", "dataset"),
                connect("validate", "dataset", "split", "dataset"),
                connect("split", "split", "tune", "split"),
            )
        )
    )
    return p


def run(rid: int, p: Pipeline, *, ran: bool = True) -> RunFacts:
    stages = tuple(StageFacts(n, p.nodes[n].type, "succeeded") for n in p.nodes) if ran else ()
    return RunFacts(
        rid,
        "train",
        "succeeded",
        "manual",
        "dev",
        pipeline_version_id=1,
        executor="threads",
        started_at=NOW - timedelta(days=rid),
        duration_s=3.0,
        stages=stages,
        commit="abc",
        # the Validate data stage checked the rows against a stored reference schema
        metrics={"schema_reference": 1.0, "schema_violations": 0.0} if ran else {},
    )


def answer(qid: str, value: str = "yes", doc: str = "") -> tuple[str, Answer]:
    return qid, Answer(qid, value, doc, NOW)


def test_ml_test_score_sums_sections_and_takes_the_minimum() -> None:
    p = validating_pipeline()
    ci = tuple(
        CiResultFacts(
            i,
            "features",
            4,
            kind="unit",
            commit="abc",
            imported_at=NOW,
            cases=("test_feature_scaling",),
        )
        for i in (1, 2)
    )
    answers = dict(
        [
            answer("q.feature_cost", doc="https://wiki/feature-cost"),  # data.3 manual: 0.5
            answer("q.meta_rules"),  # data.4 yes but no document: 0
            answer("q.privacy", "no", "https://wiki/privacy"),  # data.5 no: 0
            answer(
                "q.manual_test_docs:mlts.model.4", doc="https://wiki/staleness"
            ),  # model.4 manual: 0.5
            answer("q.debuggable", doc="https://wiki/debug"),  # infra.5 manual: 0.5
            answer("q.dep_notify", doc="https://wiki/deps"),  # mon.1 manual: 0.5
            answer("q.manual_test_docs:mlts.mon.3", doc="https://wiki/skew"),  # mon.3 manual: 0.5
        ]
    )
    facts = ProjectFacts(
        "p",
        (PipelineFacts("train", p, 1, 1, NOW),),
        runs=(run(1, p), run(2, p)),
        ci_results=ci,
        answers=answers,
        now=NOW,
    )
    m = assess(facts).mlts
    points = {t.test.id: t.points for t in m.tests}
    # automated: schema check and tuning ran twice; feature unit tests imported twice
    assert (
        points["mlts.data.1"] == 1.0
        and points["mlts.model.3"] == 1.0
        and points["mlts.data.7"] == 1.0
    )
    assert (
        points["mlts.data.3"] == 0.5
        and points["mlts.data.4"] == 0.0
        and points["mlts.data.5"] == 0.0
    )
    # model.1 (every run records its commit) adds its point to Model
    assert m.sections == {"Data": 2.5, "Model": 2.5, "Infrastructure": 0.5, "Monitoring": 1.0}
    assert m.final == 0.5 and m.band.id == "mlts.band.1"
    assert any("lowest section (Infrastructure)" in r for r in m.reasons)
    meta = next(t for t in m.tests if t.test.id == "mlts.data.4")
    assert "no document" in meta.reason


def test_an_automated_test_needs_repeated_runs() -> None:
    p = validating_pipeline()
    once = ProjectFacts("p", (PipelineFacts("train", p, 1, 1, NOW),), runs=(run(1, p),), now=NOW)
    data1 = next(t for t in assess(once).mlts.tests if t.test.id == "mlts.data.1")
    assert data1.points == 0.0 and "2 needed" in data1.reason
    twice = replace(once, runs=(run(1, p), run(2, p, ran=False), run(3, p)))
    data1 = next(t for t in assess(twice).mlts.tests if t.test.id == "mlts.data.1")
    assert data1.points == 1.0 and data1.mode == "automated" and "2 runs" in data1.reason


def test_every_section_at_seven_gives_the_top_band() -> None:
    answers = dict(
        answer(f"q.manual_test_docs:mlts.{s}.{i}", doc="https://wiki/x")
        for s in ("data", "model", "infra", "mon")
        for i in range(1, 8)
    )
    m = assess(ProjectFacts("p", answers=answers, now=NOW)).mlts
    assert m.sections == {"Data": 3.5, "Model": 3.5, "Infrastructure": 3.5, "Monitoring": 3.5}
    assert m.final == 3.5 and m.band.id == "mlts.band.4"


def test_crosswalk_level_and_every_score_explains_itself() -> None:
    p = validating_pipeline()
    ci = (CiResultFacts(1, "unit", 3, kind="unit", commit="abc", imported_at=NOW),)
    runs = tuple(replace(run(i, p), commit="abc", metrics={"accuracy": 0.9}) for i in (1, 2))
    a = assess(
        ProjectFacts(
            "p", (PipelineFacts("train", p, 1, 1, NOW),), runs=runs, ci_results=ci, now=NOW
        )
    )
    assert a.crosswalk.level == 1  # code in VCS + unit tests in CI; no training chain with Evaluate
    assert any(
        "Normalized level 2 not reached" in r and "x.training_pipeline" in r
        for r in a.crosswalk.reasons
    )
    assert a.crosswalk.value("x.code_vcs") == 1.0 and a.crosswalk.value("x.model_registry") == 0.0
    for score in a.models.values():
        assert (
            score.reasons
            and score.normalized_range[0] <= score.normalized <= score.normalized_range[1]
        )
    d = a.to_dict()
    assert d["models"]["google"]["criteria"][0]["id"] == "gcp.l0.manual_steps"
    assert d["mlts"]["band"] == "mlts.band.0"
