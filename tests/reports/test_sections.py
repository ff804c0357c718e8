"""Report sections from core objects: stage parameters, lens phases, runs side by side,
log excerpts, and the maturity section from a real assessment of a lifecycle template."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from sample_report import make_pipeline, make_run

from mlops_desktop.core.entities import StageRun, StageStatus
from mlops_desktop.core.graph import Node
from mlops_desktop.core.registry import default_registry
from mlops_desktop.reports.sections import (
    log_excerpt,
    pipeline_section,
    run_comparison,
    run_summary,
    stage_params,
)
from mlops_desktop.reports.svg import radar_svg


def test_stage_parameters_set_ones_first_hidden_ones_out():
    spec = default_registry().get("load_data")
    rows = dict(stage_params(Node("n", "load_data", "Load", {"dataset": "wine"}), spec))
    assert rows["dataset"] == "wine"
    assert "path" not in rows and "query" not in rows  # only shown for other sources
    train = default_registry().get("train")
    rows = stage_params(Node("t", "train", "Train", {"estimator": "ridge", "alpha": 3.0}), train)
    assert rows[:2] == [("estimator", "ridge"), ("alpha", "3.0")]
    assert len(rows) <= 8 and rows[-1][0] == "…"


def test_pipeline_section_in_execution_order_with_lens_phases():
    section = pipeline_section(make_pipeline(), "google", version=3)
    titles = [s.title for s in section.stages]
    assert titles.index("Load data") < titles.index("Split") < titles.index("Train")
    assert titles.index("Train") < titles.index("Evaluate") < titles.index("Model gate")
    assert section.lens_title.startswith("Google")
    assert all(s.phase for s in section.stages)
    assert ("Load data", "Validate data") in section.links
    assert section.source.startswith("https://")
    aws = pipeline_section(make_pipeline(), "aws")
    assert {s.phase for s in aws.stages} != {s.phase for s in section.stages}
    plain = pipeline_section(make_pipeline())
    assert plain.lens_title == "" and all(s.phase == "" for s in plain.stages)


def test_runs_side_by_side_newest_first_on_headline_metrics():
    runs = [make_run(i, hours=i) for i in range(1, 21)]
    metrics = {r.id: {"accuracy": r.id / 100, "f1": 0.5, "zeta": 1.0, "roc/fpr": 0.3} for r in runs}
    table = run_comparison(runs, metrics, limit=5, max_metrics=2)
    assert [r.id for r in table.runs] == [20, 19, 18, 17, 16]
    assert table.metric_keys == ["accuracy", "f1"]
    assert table.hidden_metrics == 1  # zeta; curve points are not table metrics
    assert table.total_runs == 20
    assert table.runs[0].metrics["accuracy"] == pytest.approx(0.20)


def test_failed_stage_shows_its_error_or_the_end_of_its_log():
    run = make_run(1)
    log = "\n".join(f"line {i}" for i in range(500)) + "\nValueError: bad column"
    failed = StageRun("x", "train", "Train", StageStatus.FAILED, log=log)
    summary = run_summary(run.__class__(**{**_fields(run), "stages": (failed,)}))
    assert summary.stages[0].log_excerpt.endswith("ValueError: bad column")
    assert len(summary.stages[0].log_excerpt) <= 330
    with_error = StageRun("x", "train", "Train", StageStatus.FAILED, log=log, error="bad column")
    summary = run_summary(run.__class__(**{**_fields(run), "stages": (with_error,)}))
    assert summary.stages[0].error == "bad column" and summary.stages[0].log_excerpt == ""
    assert log_excerpt("short") == "short"


def _fields(run):  # noqa: ANN001, ANN202
    return {name: getattr(run, name) for name in run.__dataclass_fields__}


def test_radar_svg_is_valid_and_escapes_labels():
    svg = radar_svg([("<script>x</script>", 1.0), ("b & c", 0.5), ("d", 0.0)])
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    texts = " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
    assert "<script>x</script>" in texts
    assert not [e for e in root.iter() if e.tag.endswith("script")]
    with pytest.raises(ValueError):
        radar_svg([("a", 1.0), ("b", 1.0)])


def test_maturity_section_from_a_real_assessment():
    from mlops_desktop.app.templates import load_template
    from mlops_desktop.core.maturity import ProjectFacts, assess
    from mlops_desktop.core.maturity.facts import PipelineFacts
    from mlops_desktop.reports.maturity import maturity_section

    pipelines = load_template("google", default_registry())
    assessment = assess(ProjectFacts("p", tuple(PipelineFacts(p.name, p) for p in pipelines)))
    section = maturity_section(assessment)
    ids = [lvl.model_id for lvl in section.levels]
    assert ids == ["google", "azure", "aws", "mlts"]
    google = section.levels[0]
    assert google.level == assessment.models["google"].level
    assert google.level_label.startswith("Level")
    assert google.explanation
    from mlops_desktop.core.maturity.gaps import gaps

    expected = gaps(assessment)
    assert len(section.gaps) == sum(
        len(expected[m].items) for m in ("google", "azure", "aws", "mlts")
    )
    assert section.gaps and all(g.title and g.action for g in section.gaps)
    google_gaps = [g for g in section.gaps if g.model_id == "google"]
    assert {g.target_level for g in google_gaps} == {"Level 1"}
    statuses = {c.status for c in section.criteria}
    assert statuses <= {"met", "not met", "unknown", "suggested"}
    # a template that never ran meets nothing by the presence of its stages
    assert not [c for c in section.criteria if c.status == "met"]
    assert len(section.crosswalk) == len(assessment.crosswalk.capabilities)
    assert section.radar is not None and section.radar.svg
    assert section.sources and all(s.url.startswith("http") for s in section.sources)
    assert len({s.url for s in section.sources}) == len(section.sources)


def test_canvas_notes_are_listed_top_to_bottom():
    from mlops_desktop.core.graph import Note, Pipeline

    p = Pipeline("with notes")
    p.load_items(
        [],
        [],
        [
            Note("b", "Second: <b>monitor</b>", y=300.0),
            Note("a", "Use case: churn", y=10.0),
            Note("c", "   "),
        ],
    )
    assert pipeline_section(p).notes == ["Use case: churn", "Second: <b>monitor</b>"]
