"""Reading the stage a failure asks for, and where it goes on the pipeline."""

from __future__ import annotations

from mlops_desktop.app.stage_fixes import fix_for_stage, parse_remedy
from mlops_desktop.core.graph import Link, Node, Pipeline
from mlops_desktop.core.operations import AddLink, AddNode

TRAIN_FAILURE = (
    "one-hot encoding the text column 'review' (2,944 values) would make 12,000 rows × "
    "2,945 features (270 MB): add a Feature engineering stage before this one with one_hot "
    "off (one number per text column), or give 'review' the role ignore in Load data"
)


def _pipeline() -> Pipeline:
    p = Pipeline("p")
    for node in (
        Node("load", "load_data", "Load", {}, 0, 0),
        Node("split", "split", "Split", {}, 250, 0),
        Node("train", "train", "Fit model", {}, 500, 0),
        Node("eval", "evaluate", "Evaluate", {}, 750, 0),
    ):
        p.apply(AddNode(node))
    for link in (
        Link("l1", "load", "dataset", "split", "dataset"),
        Link("l2", "split", "split", "train", "split"),
        Link("l3", "train", "model", "eval", "model"),
        Link("l4", "split", "split", "eval", "split"),
    ):
        p.apply(AddLink(link))
    return p


def test_the_phrase_names_a_stage_and_its_settings() -> None:
    remedy = parse_remedy(TRAIN_FAILURE)
    assert remedy is not None
    assert (remedy.title, remedy.params) == ("Feature engineering", {"one_hot": False})
    plain = parse_remedy("the data drifts: add a Validate data stage.")
    assert plain is not None and (plain.title, plain.params) == ("Validate data", {})
    assert parse_remedy("training failed: could not convert 'a' to float") is None
    assert parse_remedy("set Split's validation_size above 0") is None


def test_the_fix_goes_on_the_link_feeding_the_failed_stage() -> None:
    p = _pipeline()
    fix = fix_for_stage(p, "train", TRAIN_FAILURE)
    assert fix is not None
    assert (fix.stage_type, fix.params, fix.link_id) == (
        "feature_engineering",
        {"one_hot": False},
        "l2",
    )
    assert fix.label == "Insert Feature engineering before Fit model"  # the node's own title


def test_no_fix_for_unknown_stages_or_links_that_cannot_take_it() -> None:
    p = _pipeline()
    assert fix_for_stage(p, "train", "add a Crystal ball stage before this one") is None
    # Feature engineering takes a split: the link into Split carries a dataset.
    assert fix_for_stage(p, "split", "add a Feature engineering stage before this one") is None
    assert fix_for_stage(p, "gone", TRAIN_FAILURE) is None
    # A setting the stage does not have is dropped; the stage is still offered.
    odd = fix_for_stage(p, "train", "add a Feature engineering stage with colour blue")
    assert odd is not None and odd.params == {}
