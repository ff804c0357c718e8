"""The maturity data files: the reference's ids, complete fields, rules that parse."""

from __future__ import annotations

import pytest

from mlops_desktop.core.maturity import models, rules
from mlops_desktop.core.resources import load_json


def test_vendor_models_have_the_reference_levels() -> None:
    assert [lv.level for lv in models.load_model("google").levels] == [0, 1, 2]
    assert [lv.level for lv in models.load_model("azure").levels] == [0, 1, 2, 3, 4]
    aws = models.load_model("aws")
    assert [(lv.level, lv.name) for lv in aws.levels] == [
        (1, "Initial"),
        (2, "Repeatable"),
        (3, "Reliable"),
        (4, "Scalable"),
    ]


def test_criteria_ids_match_the_reference() -> None:
    google = {c.id for c in models.load_model("google").criteria}
    assert len(google) == 28
    assert {
        "gcp.l0.manual_steps",
        "gcp.l1.ct_in_prod",
        "gcp.l1.manual_pipeline_release",
        "gcp.l2.monitoring_stage",
        "gcp.l2.manual_analysis",
    } <= google
    azure = {c.id for c in models.load_model("azure").criteria}
    assert {
        "azure.l0.hl.lifecycle_hard",
        "azure.l4.tech.policy_promotion",
        "azure.people.data_scientists",
        "azure.integration.releases",
    } <= azure
    raw = load_json("maturity", "azure.json")
    assert len(raw["criteria"]) == 29 and len(raw["matrix"]) == 15
    aws = [c.id for c in models.load_model("aws").criteria]
    assert (
        len(aws) == 15
        and aws[0] == "aws.init.experiment_env"
        and aws[-1] == "aws.scale.time_to_value"
    )
    google_checks = {c.id for c in models.load_model("google").checks}
    assert (
        "gcp.stage.ct.data_validation_gate" in google_checks
        and "gcp.cap.model_registry" in google_checks
    )


def test_every_criterion_has_what_the_assessment_needs() -> None:
    for c in models.all_criteria():
        assert c.id and c.text and c.detect in ("AUTO", "PARTIAL", "ASK", "INFO"), c.key
        if c.model != "crosswalk":
            assert c.url.startswith("https://"), c.key
        if c.detect == "INFO":
            continue
        assert c.check and c.action, c.key
        assert c.polarity in ("+", "-"), c.key
        for atom in rules.atoms_of(c.check):
            assert atom.partition(":")[0] in rules.SIGNALS, (c.key, atom)
        if c.detect in ("ASK", "PARTIAL"):
            assert c.question, c.key


def test_polarity_and_optional_items_follow_the_reference() -> None:
    google = {c.id: c for c in models.load_model("google").criteria}
    assert google["gcp.l0.no_ci"].polarity == "-" and google["gcp.l0.no_ci"].level == 0
    assert google["gcp.l1.feature_store"].optional and not google["gcp.l1.feature_store"].scored
    assert google["gcp.l2.manual_analysis"].detect == "INFO"
    azure = {c.key: c for c in models.load_model("azure").criteria}
    assert azure["azure.l2.tech.feature_store"].optional  # Azure-product item
    assert not azure["azure.l4.tech.drift_retrain_trigger"].optional  # only its wording is Azure's
    assert azure["azure.people.software_engineers@L4"].level == 4


def test_ml_test_score_has_28_tests_in_four_sections() -> None:
    mlts = models.load_mlts()
    assert len(mlts.tests) == 28
    for section in ("Data", "Model", "Infrastructure", "Monitoring"):
        assert [t.id.rsplit(".", 1)[1] for t in mlts.tests if t.section == section] == list(
            "1234567"
        )
    assert mlts.manual_points == 0.5 and mlts.automated_points == 1.0


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (0, "mlts.band.0"),
        (0.5, "mlts.band.1"),
        (1, "mlts.band.1"),
        (1.5, "mlts.band.2"),
        (2, "mlts.band.2"),
        (3, "mlts.band.3"),
        (3.5, "mlts.band.4"),
        (5, "mlts.band.4"),
        (5.5, "mlts.band.5"),
        (7, "mlts.band.5"),
    ],
)
def test_bands_have_the_papers_bounds(score: float, band: str) -> None:
    assert models.load_mlts().band(score).id == band


def test_crosswalk_and_questionnaire() -> None:
    cw = models.load_crosswalk()
    assert len(cw.capabilities) == 21 and cw.capabilities[0].id == "x.code_vcs"
    assert cw.vendor_ranges["google"][1] == (2, 4)
    q = models.load_questionnaire()
    ids = [x.id for x in q.questions]
    assert ids[:2] == ["q.handoff", "q.collab_ds_de"] and "q.manual_test_docs" in ids
    asked = {c.question for c in models.all_criteria() if c.detect == "ASK"}
    assert asked <= set(ids), asked - set(ids)


def test_bad_rules_are_refused_with_a_clear_message() -> None:
    with pytest.raises(rules.RuleError, match="unexpected"):
        rules.parse("node:train & | node:evaluate")
    with pytest.raises(rules.RuleError, match="unbalanced|ends too early"):
        rules.parse("(node:train")
    assert rules.parse("!a & (b | c)") == (
        "and",
        ("not", ("atom", "a")),
        ("or", ("atom", "b"), ("atom", "c")),
    )


def test_every_judged_criterion_says_what_behaviour_meets_it() -> None:
    from mlops_desktop.core.maturity.models import all_criteria

    for c in all_criteria():
        if c.check:
            assert c.behaviour, f"{c.key} does not say what observed behaviour meets it"
