"""Gaps name the missing criteria with actions; pipeline fixes are one undoable edit."""

from __future__ import annotations

import pytest

from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.maturity import ProjectFacts, assess
from mlops_desktop.core.maturity.facts import PipelineFacts
from mlops_desktop.core.maturity.gaps import FIXES, Gap, choose_pipeline, fix_operation, gaps
from mlops_desktop.core.operations import Compound, add_stage, connect
from mlops_desktop.core.validation import errors


def basic() -> Pipeline:
    """load > split > train > evaluate, train > register > deploy: no gate, no validation."""
    p = Pipeline("basic")
    ids = ["load", "split", "train", "evaluate", "register", "deploy"]
    types = ["load_data", "split", "train", "evaluate", "register_model", "deploy"]
    p.apply(
        Compound(
            tuple(
                add_stage(p, t, x=i * 200.0, node_id=n)
                for i, (n, t) in enumerate(zip(ids, types, strict=True))
            )
        )
    )
    p.apply(
        Compound(
            (
                connect("load", "dataset", "split", "dataset"),
                connect("split", "split", "train", "split"),
                connect("train", "model", "evaluate", "model"),
                connect("split", "split", "evaluate", "split"),
                connect("train", "model", "register", "model"),
                connect("evaluate", "metrics", "register", "metrics"),
                connect("register", "model_version", "deploy", "model_version"),
            )
        )
    )
    return p


def kinds_path(p: Pipeline, *types: str) -> bool:
    by_type = {n.type: n.id for n in p.nodes.values()}
    return all(
        by_type[b] in p.downstream(by_type[a]) for a, b in zip(types, types[1:], strict=False)
    )


def test_model_gate_goes_between_evaluate_and_register_and_undoes() -> None:
    p = basic()
    before = p.copy()
    op = fix_operation("add_model_gate", p)
    assert isinstance(op, Compound) and op.label == "Put a Model gate before Register"
    undo = p.apply(op)
    gate = next(n for n in p.nodes.values() if n.type == "model_gate")
    assert {(lk.source, lk.target_port) for lk in p.incoming(gate.id)} == {
        ("train", "model"),
        ("evaluate", "metrics"),
    }
    assert {lk.source for lk in p.incoming("register")} == {gate.id}
    assert not errors(p)
    p.apply(undo)
    assert p.same_content(before)


def test_validate_data_goes_before_training() -> None:
    p = basic()
    p.apply(fix_operation("add_validate_data", p))
    assert kinds_path(p, "load_data", "validate_data", "split", "train")
    assert not errors(p)
    assert fix_operation("add_validate_data", p) is None  # nothing left to do


def test_monitor_and_its_retraining_link() -> None:
    p = basic()
    p.apply(fix_operation("wire_monitor_retrain", p))
    monitor = next(n for n in p.nodes.values() if n.type == "monitor")
    assert p.meta["triggers"] == [{"type": "monitor_alert", "source_node": monitor.id}]
    assert {lk.target_port for lk in p.incoming(monitor.id)} == {"reference", "predictions"}
    assert not errors(p)


@pytest.mark.parametrize("fix", sorted(FIXES))
def test_every_fix_leaves_a_valid_pipeline_and_undoes_exactly(fix: str) -> None:
    p = basic()
    before = p.copy()
    op = fix_operation(fix, p)
    if op is None:
        assert fix in (
            "add_serve",
            "add_deploy",
            "add_register",
            "add_training_chain",
        )  # already there / no source
        return
    undo = p.apply(op)
    assert not errors(p), [e.message for e in errors(p)]
    p.apply(undo)
    assert p.same_content(before)


def test_approve_and_canary_before_deploy() -> None:
    p = basic()
    p.apply(fix_operation("add_approve", p))
    assert kinds_path(p, "register_model", "approve", "deploy")
    p.apply(fix_operation("canary_deploy", p))
    assert p.nodes["deploy"].params["strategy"] == "canary"


def test_gaps_list_missing_criteria_with_actions_and_fixes() -> None:
    p = basic()
    a = assess(ProjectFacts("p", (PipelineFacts("basic", p),)))
    report = gaps(a)["google"]
    assert report.current == 0 and report.target == 1
    by_id = {g.id: g for g in report.items}
    assert by_id["gcp.l1.data_validation"].fix == "add_validate_data"
    assert by_id["gcp.l1.model_validation"].fix == "add_model_gate"
    assert (
        by_id["gcp.l0.no_monitoring"].kind == "cap"
        and by_id["gcp.l0.no_monitoring"].fix == "add_monitor"
    )
    assert all(isinstance(g, Gap) and g.action for g in report.items)
    name, op = choose_pipeline("add_model_gate", [("basic", p)])
    assert name == "basic" and op is not None
    mlts = gaps(a)["mlts"]
    assert mlts.items and all(g.model == "mlts" for g in mlts.items)
