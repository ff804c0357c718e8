"""The AWS, Google and Azure lifecycle templates: valid, laid out, covering their lifecycle."""

from __future__ import annotations

import pytest

from mlops_desktop.core.lifecycle import LENS_ORDER, lifecycle, place
from mlops_desktop.core.resources import list_resources, load_json
from mlops_desktop.core.serialization import from_dict
from mlops_desktop.core.validation import validate

VENDOR_TEMPLATES = ("aws", "google", "azure")


def _load(name: str):
    doc = load_json("templates", f"{name}.json")
    return doc, from_dict(doc)


def test_vendor_templates_are_shipped() -> None:
    assert set(VENDOR_TEMPLATES) <= set(list_resources("templates"))


@pytest.mark.parametrize("name", VENDOR_TEMPLATES)
def test_template_loads_and_validates_without_problems(name: str) -> None:
    doc, pipeline = _load(name)
    assert doc["title"] and doc["description"]
    assert validate(pipeline) == []
    assert len(pipeline.nodes) >= 10


@pytest.mark.parametrize("name", VENDOR_TEMPLATES)
def test_template_is_laid_out_without_overlapping_nodes(name: str) -> None:
    _, pipeline = _load(name)
    spots = [(round(n.x), round(n.y)) for n in pipeline.nodes.values()]
    assert len(set(spots)) == len(spots)
    # Laid out left to right: every link goes rightwards.
    for link in pipeline.links.values():
        assert pipeline.node(link.source).x < pipeline.node(link.target).x


@pytest.mark.parametrize("name", VENDOR_TEMPLATES)
@pytest.mark.parametrize("lens", LENS_ORDER)
def test_each_lens_places_every_node_in_a_band_or_the_unplaced_list(name: str, lens: str) -> None:
    _, pipeline = _load(name)
    placement = place(pipeline, lens)
    placed = [n.id for nodes in placement.by_phase.values() for n in nodes]
    unplaced = [n.id for n in placement.unplaced]
    assert sorted(placed + unplaced) == sorted(pipeline.nodes)
    assert not set(placed) & set(unplaced)


@pytest.mark.parametrize("name", VENDOR_TEMPLATES)
def test_template_covers_its_own_vendor_lifecycle(name: str) -> None:
    _, pipeline = _load(name)
    placement = place(pipeline, name)
    assert placement.unplaced == []
    empty = [p.name for p in lifecycle(name).phases if not placement.by_phase[p.id]]
    # Phases without a stage are those no stage can implement: framing (AWS) and the
    # pipeline's own CI/CD and the cross-cutting management (Google).
    allowed = {
        "aws": {"Business goal identification", "ML problem framing"},
        "google": {"ML development", "Training operationalization", "Data and model management"},
        "azure": set(),
    }[name]
    assert set(empty) <= allowed


def test_google_template_chain_and_monitor_retrain_trigger() -> None:
    _, pipeline = _load("google")
    types = {n.type: n.id for n in pipeline.nodes.values()}
    chain = [
        "load_data",
        "validate_data",
        "split",
        "feature_engineering",
        "train",
        "evaluate",
        "model_gate",
        "register_model",
        "deploy",
    ]
    for before, after in zip(chain, chain[1:], strict=False):
        assert types[after] in pipeline.downstream(types[before]), (before, after)
    assert types["serve"] in pipeline.downstream(types["simulate_traffic"])
    assert types["monitor"] in pipeline.downstream(types["serve"])
    # Serve follows what production serves (not this run's deployment): a refused
    # challenger does not stop the serving and monitoring of the champion.
    assert types["serve"] not in pipeline.downstream(types["model_gate"])
    assert pipeline.nodes[types["serve"]].params["environment"] == "production"
    triggers = pipeline.meta["triggers"]
    [retrain] = [t for t in triggers if t["type"] == "monitor_alert"]
    assert retrain["source_node"] == types["monitor"] and retrain["cooldown_s"] > 0
    # The loop closes in the template: Train, Evaluate and the gate take the split through
    # Production feedback (the labelled rows Serve scored earlier), and the rows come back
    # from this template's Serve stage; Monitor still compares with the training reference.
    feedback = types["production_feedback"]
    assert pipeline.nodes[feedback].params["serve_node"] == types["serve"]
    for stage in ("train", "evaluate", "model_gate"):
        [link] = [
            lk
            for lk in pipeline.links.values()
            if lk.target == types[stage] and lk.target_port == "split"
        ]
        assert link.source == feedback, stage
    [reference] = [lk for lk in pipeline.links.values() if lk.target_port == "reference"]
    assert reference.source == types["feature_engineering"]


@pytest.mark.parametrize("name", ("aws", "azure"))
def test_aws_and_azure_templates_retrain_on_monitor_alert(name: str) -> None:
    _, pipeline = _load(name)
    monitors = [n.id for n in pipeline.nodes_of_kind("monitor")]
    assert monitors
    assert pipeline.meta["triggers"][0] == {"type": "monitor_alert", "source_node": monitors[0]}


def test_templates_use_distinct_bundled_datasets() -> None:
    datasets = set()
    for name in VENDOR_TEMPLATES:
        _, pipeline = _load(name)
        (load,) = [n for n in pipeline.nodes.values() if n.type == "load_data"]
        assert load.params["source"] == "sklearn"
        datasets.add(load.params["dataset"])
    assert len(datasets) == 3
