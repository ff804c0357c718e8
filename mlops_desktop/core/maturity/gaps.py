"""The gap to the next level in each model: what is missing, and what to do about it.

Each gap item names a criterion that is not met (or a − criterion that still holds) with a
concrete action. Where the action is a pipeline change, :func:`fix_operation` builds it as
one :class:`~mlops_desktop.core.operations.Compound` edit (one undo step) for a pipeline:
add a Monitor stage, wire its alert to retraining, put a Model gate before Register, add
Validate data before training, add a Deploy or Approve stage, set a canary strategy...
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from mlops_desktop.core.graph import Node, Pipeline
from mlops_desktop.core.maturity.scoring import (
    NOT_MET,
    SUGGESTED,
    UNKNOWN,
    Assessment,
    CriterionResult,
    ModelScore,
)
from mlops_desktop.core.operations import (
    Compound,
    Operation,
    RemoveLink,
    SetMeta,
    add_stage,
    connect,
    set_param,
)
from mlops_desktop.core.ports import PortType


@dataclass(frozen=True, slots=True)
class Gap:
    model: str
    key: str  # criterion key
    id: str
    level: int | None
    kind: str  # missing | cap | confirm | answer
    text: str
    action: str
    fix: str = ""
    question: str = ""
    missing: tuple[str, ...] = ()
    url: str = ""
    looked_for: str = ""  # the observed behaviour that would meet the criterion
    repo_change: str = ""  # what to add to the repository instead, when that also meets it
    definition_change: str = ""  # the change to an imported cloud definition, instead of a fix

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "id": self.id,
            "key": self.key,
            "level": self.level,
            "kind": self.kind,
            "text": self.text,
            "action": self.action,
            "fix": self.fix,
            "question": self.question,
            "missing": list(self.missing),
            "url": self.url,
            "looked_for": self.looked_for,
            "repo_change": self.repo_change,
            "definition_change": self.definition_change,
        }


@dataclass(frozen=True, slots=True)
class GapReport:
    model: str
    current: float
    target: float | None
    target_name: str
    items: tuple[Gap, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "current": self.current,
            "target": self.target,
            "target_name": self.target_name,
            "items": [g.to_dict() for g in self.items],
        }


def _gap(model: str, r: CriterionResult, kind: str) -> Gap:
    c = r.criterion
    action = c.action
    if kind == "answer":
        action = f"Answer question {c.question or c.id} in the questionnaire"
    elif kind == "confirm":
        action = f"Confirm the suggestion ({c.question}), or: {c.action}"
    return Gap(
        model,
        c.key,
        c.id,
        c.level,
        kind,
        c.text,
        action,
        c.fix if kind in ("missing", "cap") else "",
        c.question,
        r.missing,
        c.url,
        c.behaviour,
        repo_change(c.check),
    )


def repo_change(check: str) -> str:
    """The repository change that meets (or clears) a criterion, when its rule reads the
    repository: "In the repository: a CI job that runs the test suite, or ..."."""
    from mlops_desktop.core.evidence.findings import FINDING_KINDS
    from mlops_desktop.core.maturity.rules import atoms_of

    kinds: list[str] = []
    for atom in atoms_of(check) if check else []:
        name, _, arg = atom.partition(":")
        if name == "repo.find":
            kinds += [k for k in arg.split("/") if k not in kinds]
    if not kinds:
        return ""
    return "In the repository: add " + ", or ".join(FINDING_KINDS[k] for k in kinds)


def _kind_of(r: CriterionResult) -> str:
    if r.criterion.polarity == "-":
        return "cap"
    if r.status == UNKNOWN:
        return "answer"
    if r.status == SUGGESTED:
        return "confirm"
    return "missing"


def model_gaps(score: ModelScore) -> GapReport:
    target = score.next_level
    items: list[Gap] = []
    for r in score.results:
        c = r.criterion
        if not c.scored:
            continue
        if (
            target is not None
            and c.polarity == "+"
            and (c.level or 0) <= target
            and r.status in (NOT_MET, UNKNOWN)
        ):
            items.append(_gap(score.model.id, r, _kind_of(r)))
        elif (
            c.polarity == "-"
            and r.status == NOT_MET
            and (target is None or (c.level or 0) < target)
        ):
            items.append(_gap(score.model.id, r, "cap"))
    # suggestions that the current level rests on: confirm them
    for r in score.results:
        if r.status == SUGGESTED and r.criterion.scored and (r.criterion.level or 0) <= score.level:
            items.append(_gap(score.model.id, r, "confirm"))
    name = score.model.level_info(target).name if target is not None else "top level reached"
    return GapReport(score.model.id, score.level, target, name, tuple(items))


def mlts_gaps(assessment: Assessment) -> GapReport:
    m = assessment.mlts
    weakest = [s for s, v in m.sections.items() if v == m.final]
    items = []
    for t in m.tests:
        if t.test.section in weakest and t.points < 1.0:
            kind = "answer" if t.test.detect == "ASK" else "missing"
            gap = _gap("mlts", t.result, kind if t.result.status != SUGGESTED else "confirm")
            items.append(
                Gap(
                    gap.model,
                    gap.key,
                    gap.id,
                    None,
                    gap.kind,
                    gap.text,
                    f"{t.test.action} ({t.reason})",
                    t.test.fix if kind == "missing" else "",
                    gap.question,
                    gap.missing,
                    gap.url,
                )
            )
    target = min(m.final + 1, 7.0)
    return GapReport(
        "mlts", m.final, target, f"raise {', '.join(weakest)} (the lowest section)", tuple(items)
    )


def crosswalk_gaps(assessment: Assessment) -> GapReport:
    cw = assessment.crosswalk
    target = cw.level + 1 if cw.level < 4 else None
    items = []
    if target is not None:
        for cap, r in cw.capabilities:
            if (
                cap.normalized_level is not None
                and cap.normalized_level <= target
                and not r.satisfied
            ):
                items.append(_gap("crosswalk", r, _kind_of(r)))
    return GapReport(
        "crosswalk",
        cw.level,
        target,
        f"normalized level {target}" if target else "top level reached",
        tuple(items),
    )


def gaps(assessment: Assessment) -> dict[str, GapReport]:
    out = {m: model_gaps(s) for m, s in assessment.models.items()}
    out["mlts"] = mlts_gaps(assessment)
    out["crosswalk"] = crosswalk_gaps(assessment)
    if assessment.definitions and not assessment.native_stages:
        out = {m: _in_definitions(r, assessment.definitions) for m, r in out.items()}
    return out


# what a pipeline fix adds, said for a cloud definition: (generic, {vendor: how}, the step
# kinds it adds; "schedule" for a schedule)
DEFINITION_CHANGES: dict[str, tuple[str, dict[str, str], tuple[str, ...]]] = {
    "add_validate_data": (
        "a data validation step before training",
        {
            "aws": "a QualityCheck step (DATA_QUALITY) against a stored baseline",
            "google": "a TFDV or Great Expectations component",
            "azure": "a validation command job",
        },
        ("data_validate",),
    ),
    "add_model_gate": (
        "a condition step that gates registration on an evaluation metric",
        {"aws": "a ConditionStep", "google": "a dsl.If condition", "azure": "an if_else node"},
        ("model_validate",),
    ),
    "add_register": (
        "a model registration step",
        {
            "aws": "a RegisterModel step",
            "google": "a ModelUploadOp component",
            "azure": "a job that registers the model",
        },
        ("register",),
    ),
    "add_deploy": ("a deployment step after the gate", {}, ("deploy",)),
    "canary_deploy": ("a deployment that sends a share of the traffic to the new model", {}, ()),
    "add_approve": (
        "a manual approval before deployment",
        {"aws": "ModelApprovalStatus PendingManualApproval on RegisterModel"},
        ("approve",),
    ),
    "add_model_tests": ("a step that tests the model before it is deployed", {}, ()),
    "add_monitor": (
        "monitoring of the deployed model",
        {
            "aws": "SageMaker Model Monitor",
            "google": "Vertex AI Model Monitoring",
            "azure": "Azure ML model monitoring",
        },
        ("monitor",),
    ),
    "wire_monitor_retrain": ("a monitoring alert that starts this pipeline", {}, ()),
    "add_schedule_trigger": (
        "a schedule that runs the pipeline",
        {
            "aws": "an EventBridge schedule",
            "google": "a Vertex AI pipeline schedule",
            "azure": "a schedule YAML with create_job",
        },
        ("schedule",),
    ),
    "add_training_chain": (
        "data preparation, training and evaluation steps",
        {},
        ("train", "evaluate"),
    ),
    "add_tune": (
        "a hyperparameter tuning step",
        {"aws": "a TuningStep", "google": "a hyperparameter tuning job", "azure": "a sweep job"},
        ("tune",),
    ),
    "add_package": ("a step that packages the model with its serving image", {}, ("package",)),
    "add_serve": ("a step that serves the model from an endpoint", {}, ("serve",)),
}
THRESHOLD_GATE = "not with the model in production"  # the note rules_cloud gives such a gate
RECORD = "record its executions (evidence executions PROJECT FILE --pipeline {})"


def definition_change(fix: str, definitions: Sequence[dict[str, str]]) -> str:
    """The change to the imported definitions that stands for pipeline fix ``fix``: "In
    abalone.json (Amazon SageMaker pipeline definition): add a condition step that gates
    registration on an evaluation metric (a ConditionStep); then record its executions
    (...)", or, when a definition already declares what the fix adds, that only a recorded
    execution that ran it is missing."""
    if fix not in DEFINITION_CHANGES or not definitions:
        return ""
    what, how, kinds = DEFINITION_CHANGES[fix]
    for d in definitions:
        declared = set(d.get("kinds", "").split(","))
        if int(d.get("schedules") or 0):
            declared.add("schedule")
        if kinds and set(kinds) <= declared:
            return (
                f"{d['source']} ({d['format']}) declares {what}, but that counts once an "
                f"execution shows it ran: {RECORD.format(d['pipeline'])}"
            )
    d = definitions[0]
    example = how.get(d.get("vendor", ""), "")
    where = ", ".join(f"{x['source']} ({x['format']})" for x in definitions[:3])
    return (
        f"In {where}: add {what}"
        + (f" ({example})" if example else "")
        + f"; then {RECORD.format(d['pipeline'])}"
    )


def _in_definitions(report: GapReport, definitions: Sequence[dict[str, str]]) -> GapReport:
    """A project whose pipelines are imported cloud definitions: nothing here runs them, so
    a stage added here would run nowhere. A gap with a pipeline fix points at the change to
    the definition instead."""
    items = []
    for g in report.items:
        change = definition_change(g.fix, definitions)
        if g.fix == "add_model_gate" and any(THRESHOLD_GATE in m for m in g.missing):
            d = definitions[0]
            change = (
                f"In {d['source']} ({d['format']}): make the condition compare the candidate "
                "with the model in production (its registered metrics), not only with a "
                f"threshold; then {RECORD.format(d['pipeline'])}"
            )
        if change:
            g = replace(g, action=change, fix="", definition_change=change)
        elif g.fix:
            g = replace(g, fix="")
        items.append(g)
    return replace(report, items=tuple(items))


# ============================================================================= pipeline fixes
class _Plan:
    """Applies operations to a private copy so later steps see earlier ones; the collected
    operations become one Compound for the real pipeline."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.work = pipeline.copy()
        self.ops: list[Operation] = []

    def do(self, op: Operation) -> Operation:
        self.work.apply(op)
        self.ops.append(op)
        return op

    def kind(self, node_id: str) -> str:
        node = self.work.nodes[node_id]
        spec = self.work.registry.find(node.type)
        return spec.kind_for(node.params) if spec else ""

    def of_kind(self, *kinds: str) -> list[Node]:
        return [n for n in self.work.nodes.values() if self.kind(n.id) in kinds]

    def first(self, *kinds: str) -> Node | None:
        """The first node (in execution order) of any of ``kinds``."""
        order = self.work.execution_order()
        found = [n for n in order if self.kind(n) in kinds]
        return self.work.nodes[found[0]] if found else None

    def last(self, *kinds: str) -> Node | None:
        order = self.work.execution_order()
        found = [n for n in order if self.kind(n) in kinds]
        return self.work.nodes[found[-1]] if found else None

    def out_port(self, node: Node, type_: PortType) -> str | None:
        spec = self.work.registry.get(node.type)
        return next((p.name for p in spec.outputs if p.type == type_), None)

    def add(
        self, stage_type: str, near: Node | None, dx: float = 0.0, dy: float = 140.0, **params: Any
    ) -> Node:
        x, y = (near.x + dx, near.y + dy) if near is not None else (0.0, 0.0)
        op = add_stage(self.work, stage_type, x, y, params=params or None)
        self.do(op)
        return op.node

    def link(self, src: Node, src_port: str, dst: Node, dst_port: str) -> None:
        self.do(connect(src.id, src_port, dst.id, dst_port))

    def insert_after(
        self, upstream: Node, port: str, stage_type: str, in_port: str, out_port: str, **params: Any
    ) -> Node:
        """Put a new stage on every link leaving ``upstream.port``."""
        leaving = [lk for lk in self.work.outgoing(upstream.id) if lk.source_port == port]
        for lk in leaving:
            self.do(RemoveLink(lk.id))
        new = self.add(stage_type, upstream, dx=40.0, dy=70.0, **params)
        self.link(upstream, port, new, in_port)
        for lk in leaving:
            self.link(new, out_port, self.work.nodes[lk.target], lk.target_port)
        return new

    def compound(self, label: str) -> Compound | None:
        return Compound(tuple(self.ops), label=label) if self.ops else None


def _model_source(plan: _Plan) -> tuple[Node, str] | None:
    gate = plan.last("model_validate")
    if gate is not None:
        return gate, "model"
    trainer = plan.last("train", "tune")
    return (trainer, "model") if trainer is not None else None


def _split_source(plan: _Plan) -> tuple[Node, str] | None:
    trainer = plan.first("train", "tune")
    if trainer is not None:
        feeding = [lk for lk in plan.work.incoming(trainer.id) if lk.target_port == "split"]
        if feeding:
            return plan.work.nodes[feeding[0].source], feeding[0].source_port
    node = plan.last("feature_eng", "data_transform")
    return (node, "split") if node is not None else None


def _version_tail(plan: _Plan) -> Node | None:
    """The last stage that hands on a model version (register, package, tests, approve)."""
    order = plan.work.execution_order()
    for node_id in reversed(order):
        node = plan.work.nodes[node_id]
        if plan.kind(node_id) in ("register", "package", "test_load", "approve"):
            return node
    return None


def fix_validate_data(plan: _Plan) -> None:
    if plan.of_kind("data_validate"):
        trainer = plan.first("train", "tune")
        validate = plan.first("data_validate")
        if (
            trainer is not None
            and validate is not None
            and trainer.id in plan.work.downstream(validate.id)
        ):
            return
    ingest = plan.first("data_ingest")
    if ingest is None:
        return
    plan.insert_after(ingest, "dataset", "validate_data", "dataset", "dataset")


def fix_model_gate(plan: _Plan) -> None:
    evaluate = plan.last("evaluate")
    trainer = plan.last("train", "tune")
    if evaluate is None or trainer is None or plan.of_kind("model_validate"):
        return
    register = plan.first("register")
    reg_links = [lk for lk in plan.work.incoming(register.id)] if register else []
    for lk in reg_links:
        plan.do(RemoveLink(lk.id))
    gate = plan.add("model_gate", evaluate, dx=60.0)
    plan.link(trainer, "model", gate, "model")
    plan.link(evaluate, "metrics", gate, "metrics")
    if register is not None:
        plan.link(gate, "model", register, "model")
        plan.link(gate, "metrics", register, "metrics")


def fix_register(plan: _Plan) -> None:
    if plan.of_kind("register"):
        return
    source = _model_source(plan)
    if source is None:
        return
    node, port = source
    reg = plan.add("register_model", node)
    plan.link(node, port, reg, "model")
    metrics_from = node if plan.kind(node.id) == "model_validate" else plan.last("evaluate")
    if metrics_from is not None:
        plan.link(metrics_from, "metrics", reg, "metrics")


def fix_deploy(plan: _Plan, **params: Any) -> None:
    if plan.of_kind("deploy"):
        for node in plan.of_kind("deploy"):
            for name, value in params.items():
                plan.do(set_param(plan.work, node.id, name, value))
        return
    if not plan.of_kind("register"):
        fix_model_gate(plan)
        fix_register(plan)
    tail = _version_tail(plan)
    if tail is None:
        return
    deploy = plan.add("deploy", tail, **params)
    plan.link(tail, "model_version", deploy, "model_version")


def _insert_before_deploy(
    plan: _Plan, stage_type: str, extra: Callable[[Node], None] | None = None
) -> None:
    deploy = plan.first("deploy")
    if deploy is None:
        fix_deploy(plan)
        deploy = plan.first("deploy")
        if deploy is None:
            return
    feeding = [lk for lk in plan.work.incoming(deploy.id) if lk.target_port == "model_version"]
    if not feeding:
        return
    lk = feeding[0]
    plan.do(RemoveLink(lk.id))
    src = plan.work.nodes[lk.source]
    new = plan.add(stage_type, src, dx=40.0, dy=70.0)
    plan.link(src, lk.source_port, new, "model_version")
    if extra is not None:
        extra(new)
    plan.link(new, "model_version", deploy, "model_version")


def fix_approve(plan: _Plan) -> None:
    if not plan.of_kind("approve"):
        _insert_before_deploy(plan, "approve")


def fix_model_tests(plan: _Plan) -> None:
    if plan.of_kind("test_load", "test_integration", "test_unit"):
        return
    split = _split_source(plan)
    if split is None:
        return

    def feed(node: Node) -> None:
        plan.link(split[0], split[1], node, "split")

    _insert_before_deploy(plan, "model_tests", feed)


def fix_monitor(plan: _Plan) -> Node | None:
    existing = plan.last("monitor")
    if existing is not None:
        return existing
    split = _split_source(plan)
    predictions = plan.last("serve") or plan.last("evaluate")
    if split is None or predictions is None:
        return None
    monitor = plan.add("monitor", predictions, dx=60.0)
    plan.link(split[0], split[1], monitor, "reference")
    plan.link(predictions, "predictions", monitor, "predictions")
    return monitor


def _add_trigger(plan: _Plan, trigger: dict[str, Any]) -> None:
    triggers = [dict(t) for t in plan.work.meta.get("triggers") or []]
    if any(all(t.get(k) == v for k, v in trigger.items()) for t in triggers):
        return
    plan.do(SetMeta("triggers", [*triggers, trigger], label="Add trigger"))


def fix_wire_monitor(plan: _Plan) -> None:
    monitor = fix_monitor(plan)
    if monitor is None or not plan.of_kind("train", "tune"):
        return
    triggers = plan.work.meta.get("triggers") or []
    if any(
        t.get("type") == "monitor_alert" and t.get("source_node") == monitor.id for t in triggers
    ):
        return
    _add_trigger(plan, {"type": "monitor_alert", "source_node": monitor.id})


def fix_training_chain(plan: _Plan) -> None:
    ingest = plan.first("data_ingest")
    trainer = plan.last("train", "tune")
    if trainer is None:
        if ingest is None:
            ingest = plan.add("load_data", None)
        split = plan.last("feature_eng", "data_transform")
        if split is None:
            split = plan.add("split", ingest)
            plan.link(ingest, "dataset", split, "dataset")
        trainer = plan.add("train", split)
        plan.link(split, "split", trainer, "split")
    if not plan.of_kind("evaluate"):
        source = _split_source(plan)
        evaluate = plan.add("evaluate", trainer)
        plan.link(trainer, "model", evaluate, "model")
        if source is not None:
            plan.link(source[0], source[1], evaluate, "split")


def fix_tune(plan: _Plan) -> None:
    if plan.of_kind("tune"):
        return
    trainer = plan.first("train")
    source = _split_source(plan)
    if trainer is None or source is None:
        return
    leaving = plan.work.outgoing(trainer.id)
    incoming = plan.work.incoming(trainer.id)
    for lk in [*leaving, *incoming]:
        plan.do(RemoveLink(lk.id))
    from mlops_desktop.core.operations import RemoveNode

    estimator = trainer.params.get("estimator", "random_forest")
    plan.do(RemoveNode(trainer.id))
    tune = plan.add("tune", trainer, dx=0.0, dy=0.0, estimator=estimator)
    plan.link(source[0], source[1], tune, "split")
    for lk in leaving:
        plan.link(tune, "model", plan.work.nodes[lk.target], lk.target_port)


def fix_package(plan: _Plan) -> None:
    if plan.of_kind("package"):
        return
    register = plan.first("register")
    if register is None:
        return
    plan.insert_after(register, "model_version", "package", "model_version", "model_version")


def fix_serve(plan: _Plan) -> None:
    if plan.of_kind("serve"):
        return
    deploy = plan.last("deploy")
    source = plan.last("traffic")
    if deploy is None or source is None:
        return
    serve = plan.add("serve", deploy)
    plan.link(deploy, "deployment", serve, "deployment")
    plan.link(source, "dataset", serve, "dataset")


FIXES: dict[str, tuple[str, Callable[[_Plan], Any]]] = {
    "add_validate_data": ("Add Validate data before training", fix_validate_data),
    "add_model_gate": ("Put a Model gate before Register", fix_model_gate),
    "add_register": ("Add Register model", fix_register),
    "add_deploy": ("Add Deploy after the gate", lambda p: fix_deploy(p)),
    "canary_deploy": ("Deploy as a canary", lambda p: fix_deploy(p, strategy="canary")),
    "add_approve": ("Add an Approve gate before Deploy", fix_approve),
    "add_model_tests": ("Add Model tests before Deploy", fix_model_tests),
    "add_monitor": ("Add a Monitor stage", fix_monitor),
    "wire_monitor_retrain": ("Wire the Monitor alert to retraining", fix_wire_monitor),
    "add_schedule_trigger": (
        "Retrain on a weekly schedule",
        lambda p: _add_trigger(p, {"type": "schedule", "cron": "0 3 * * 1"}),
    ),
    "add_training_chain": ("Add Split > Train > Evaluate", fix_training_chain),
    "add_tune": ("Replace Train by Tune", fix_tune),
    "add_package": ("Add a Package stage after Register", fix_package),
    "add_serve": ("Add Serve after Deploy", fix_serve),
}


def fix_label(fix: str) -> str:
    return FIXES[fix][0] if fix in FIXES else ""


def fix_operation(fix: str, pipeline: Pipeline) -> Compound | None:
    """The edit that applies ``fix`` to ``pipeline`` as one undoable step, or None when it
    does not apply (nothing to change, or the pipeline lacks what the fix builds on)."""
    if fix not in FIXES:
        return None
    label, build = FIXES[fix]
    plan = _Plan(pipeline)
    build(plan)
    return plan.compound(label)


def choose_pipeline(
    fix: str, pipelines: Sequence[tuple[str, Pipeline]]
) -> tuple[str, Compound] | None:
    """The first pipeline (training pipelines first) that ``fix`` applies to, with the edit.

    An imported cloud pipeline (``meta["external"]``) is never edited here: its stages run
    in its cloud, so the change belongs in its definition; nor is an empty pipeline beside
    one."""

    def trains(p: Pipeline) -> bool:
        return any(
            p.registry.find(n.type) is not None and p.registry.get(n.type).kind in ("train", "tune")
            for n in p.nodes.values()
        )

    native = [(n, p) for n, p in pipelines if not isinstance(p.meta.get("external"), dict)]
    if len(native) < len(pipelines):
        # beside an imported definition, an empty pipeline of the project is not where
        # the team's lifecycle runs: stages added to it would change nothing
        native = [(n, p) for n, p in native if p.nodes]
    ordered = sorted(native, key=lambda item: not trains(item[1]))
    for name, pipeline in ordered:
        op = fix_operation(fix, pipeline)
        if op is not None:
            return name, op
    return None


__all__ = ["FIXES", "Gap", "GapReport", "choose_pipeline", "fix_label", "fix_operation", "gaps"]
