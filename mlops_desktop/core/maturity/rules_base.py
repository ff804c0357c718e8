"""The evidence-rule framework (parser, three-valued evaluator, evidence records) and the
signals over the pipeline graph and the run history. See :mod:`.rules` for the language.

A criterion's ``check`` is a small expression over signals: ``&`` (and), ``|`` (or), ``!``
(not) and parentheses; inside a signal ``a/b`` means any of a or b and ``a>b`` a path in
the graph. Examples: ``edge:data_validate>train/tune``, ``!ci.any & !node:deploy``,
``loop:monitor>train & run.trigger:monitor_alert``. Values are three-valued (True, False,
None = unknown, e.g. an unanswered question). Every outcome carries its evidence (the
nodes, runs, model versions, deployments... that satisfy it), what is missing, and when
it was last observed.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, ClassVar, TypeAlias

from mlops_desktop.core.errors import MlopsError
from mlops_desktop.core.maturity.facts import (
    TRIGGER_TYPES,
    CiResultFacts,
    DeploymentFacts,
    ModelVersionFacts,
    PipelineFacts,
    ProjectFacts,
    RunFacts,
    norm_env,
)

MAX_EVIDENCE = 12
AUTO_APPROVERS = ("auto", "policy", "automatic", "system", "trigger", "gate")
KIND_TITLES = {
    "data_ingest": "Load data",
    "data_validate": "Validate data",
    "data_transform": "Split",
    "feature_eng": "Feature engineering",
    "feature_store": "Feature store",
    "train": "Train",
    "tune": "Tune",
    "evaluate": "Evaluate",
    "model_validate": "Model gate",
    "register": "Register model",
    "package": "Package",
    "approve": "Approve",
    "deploy": "Deploy",
    "serve": "Serve",
    "online_exp": "Online experiment",
    "monitor": "Monitor",
    "test_unit": "Unit tests",
    "test_integration": "Integration tests",
    "test_load": "Model tests",
}


class RuleError(MlopsError):
    """A check expression in the maturity data is malformed or names an unknown signal."""


@dataclass(frozen=True, slots=True)
class EvidenceRef:
    """A thing that shows (or disproves) a criterion: a link target for the GUI."""

    kind: str  # node | run | model_version | deployment | pipeline | trigger | ci | alert | answer | repo | project
    ref: str  # node id, run id, "name:version", deployment id...
    label: str
    pipeline: str = ""
    at: datetime | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "ref": self.ref,
            "label": self.label,
            "pipeline": self.pipeline,
            "at": self.at.isoformat() if self.at else None,
        }


@dataclass(frozen=True, slots=True)
class Outcome:
    value: bool | None
    evidence: tuple[EvidenceRef, ...] = ()
    missing: tuple[str, ...] = ()

    @property
    def observed_at(self) -> datetime | None:
        times = [e.at for e in self.evidence if e.at is not None]
        return max(times) if times else None


def _ok(evidence: Iterable[EvidenceRef]) -> Outcome:
    ev = tuple(evidence)
    # newest first, bounded: the GUI lists them and the report prints them
    ev = tuple(sorted(ev, key=lambda e: (e.at is None, -(e.at.timestamp() if e.at else 0))))[
        :MAX_EVIDENCE
    ]
    return Outcome(True, ev)


def _ok_runs(runs: Iterable[RunFacts]) -> Outcome:
    """Evidence from runs: only the newest are turned into references (there may be many)."""
    # the same as sorted(..., reverse=True)[:MAX_EVIDENCE], without sorting them all
    newest = heapq.nlargest(
        MAX_EVIDENCE, runs, key=lambda r: r.started_at.timestamp() if r.started_at else 0.0
    )
    return _ok(run_ref(r) for r in newest)


def _no(missing: str, evidence: Iterable[EvidenceRef] = ()) -> Outcome:
    return Outcome(False, tuple(evidence)[:MAX_EVIDENCE], (missing,))


def _unknown(missing: str) -> Outcome:
    return Outcome(None, (), (missing,))


def _kinds_label(kinds: Iterable[str]) -> str:
    return " or ".join(KIND_TITLES.get(k, k) for k in kinds)


# ----------------------------------------------------------------------------- parser
# A parsed check: ("atom", name), ("not", tree), ("and" | "or", tree, tree).
CheckTree: TypeAlias = tuple[Any, ...]
_TOKEN = re.compile(r"\s*(\(|\)|&|\||!|[^\s()&|!]+)")


def parse(expr: str) -> CheckTree:
    """Parse a check expression into a tree of ("and"|"or", a, b) / ("not", a) / ("atom", s)."""
    tokens = [m.group(1) for m in _TOKEN.finditer(expr)]
    if "".join(tokens).replace(" ", "") != expr.replace(" ", ""):
        raise RuleError(f"cannot read the check '{expr}'")
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise RuleError(f"the check '{expr}' ends too early")
        pos += 1
        return tokens[pos - 1]

    def parse_or() -> CheckTree:
        left = parse_and()
        while peek() == "|":
            take()
            left = ("or", left, parse_and())
        return left

    def parse_and() -> CheckTree:
        left = parse_not()
        while peek() == "&":
            take()
            left = ("and", left, parse_not())
        return left

    def parse_not() -> CheckTree:
        tok = take()
        if tok == "!":
            return ("not", parse_not())
        if tok == "(":
            inner = parse_or()
            if take() != ")":
                raise RuleError(f"unbalanced parentheses in '{expr}'")
            return inner
        if tok in (")", "&", "|"):
            raise RuleError(f"unexpected '{tok}' in '{expr}'")
        return ("atom", tok)

    tree = parse_or()
    if pos != len(tokens):
        raise RuleError(f"unexpected '{tokens[pos]}' in '{expr}'")
    return tree


@cache
def parse_cached(expr: str) -> CheckTree:
    return parse(expr)


# ----------------------------------------------------------------------------- evaluator
class Evaluator:
    """Evaluates check expressions against one :class:`ProjectFacts` (results are cached).

    ``signals`` names the signal functions; :class:`mlops_desktop.core.maturity.rules.Evaluator`
    carries the full table, so this module never imports the one that imports it.
    """

    signals: ClassVar[Mapping[str, Callable[[Evaluator, str], Outcome]]] = {}

    def __init__(self, facts: ProjectFacts) -> None:
        self.facts = facts
        self._atoms: dict[str, Outcome] = {}
        self._finished: list[RunFacts] | None = None
        self._ok: list[RunFacts] | None = None
        self._kinds: dict[str, dict[str, str]] = {}
        self.versions_by_run: dict[int, list[ModelVersionFacts]] = {}
        for mv in facts.model_versions:
            if mv.run_id is not None:
                self.versions_by_run.setdefault(mv.run_id, []).append(mv)
        for pf in facts.pipelines:
            kinds = {}
            for node in pf.pipeline.nodes.values():
                spec = pf.pipeline.registry.find(node.type)
                # an imported (external) step carries its lifecycle kind in its parameters
                kinds[node.id] = spec.kind_for(node.params) if spec is not None else ""
            self._kinds[pf.name] = kinds

    # ---- expression
    def evaluate(self, expr: str) -> Outcome:
        if not expr.strip():
            return _unknown("no rule")
        return self._eval(parse_cached(expr))

    def _eval(self, tree: CheckTree) -> Outcome:
        op = tree[0]
        if op == "atom":
            return self.atom(tree[1])
        if op == "not":
            inner = self._eval(tree[1])
            negated = None if inner.value is None else not inner.value
            if negated is False:  # the thing exists: show it, and say it must go
                return Outcome(False, inner.evidence, ("present: " + _describe(inner),))
            return Outcome(negated, inner.evidence, inner.missing)
        left, right = self._eval(tree[1]), self._eval(tree[2])
        if op == "and":
            if left.value is False or right.value is False:
                value: bool | None = False
            elif left.value is None or right.value is None:
                value = None
            else:
                value = True
            # when true, the notes of negated parts say why ("no CI results imported")
            missing = tuple(
                m for o in (left, right) if value is True or o.value is not True for m in o.missing
            )
            evidence = left.evidence + right.evidence
            return Outcome(value, evidence[: 2 * MAX_EVIDENCE], missing)
        # or
        if left.value is True or right.value is True:
            evidence = tuple(e for o in (left, right) if o.value is True for e in o.evidence)
            return Outcome(True, evidence)
        value = None if (left.value is None or right.value is None) else False
        return Outcome(
            value, left.evidence + right.evidence, (" or ".join(left.missing + right.missing),)
        )

    def atom(self, text: str) -> Outcome:
        if text not in self._atoms:
            name, _, arg = text.partition(":")
            fn = self.signals.get(name)
            if fn is None:
                raise RuleError(f"unknown signal '{name}' in a maturity rule")
            self._atoms[text] = fn(self, arg)
        return self._atoms[text]

    # ---- helpers for the signal functions
    def nodes_of(self, kinds: set[str]) -> list[tuple[PipelineFacts, str]]:
        out = []
        for pf in self.facts.pipelines:
            for node_id, kind in self._kinds[pf.name].items():
                if kind in kinds:
                    out.append((pf, node_id))
        return out

    def node_ref(self, pf: PipelineFacts, node_id: str) -> EvidenceRef:
        node = pf.pipeline.nodes[node_id]
        return EvidenceRef("node", node_id, f"{node.title} ({pf.name})", pf.name, pf.saved_at)

    def kind_of(self, pf: PipelineFacts, node_id: str) -> str:
        return self._kinds[pf.name].get(node_id, "")

    def finished_runs(self) -> list[RunFacts]:
        if self._finished is None:  # the facts do not change: filter the runs once
            self._finished = [r for r in self.facts.runs if r.status not in ("queued", "running")]
        return list(self._finished)

    def ok_runs(self) -> list[RunFacts]:
        if self._ok is None:
            self._ok = [r for r in self.facts.runs if r.succeeded]
        return list(self._ok)


def _describe(outcome: Outcome) -> str:
    labels = [e.label for e in outcome.evidence[:3]]
    more = len(outcome.evidence) - len(labels)
    return (
        ", ".join(labels) + (f" and {more} more" if more > 0 else "")
        if labels
        else "evidence found"
    )


def run_ref(run: RunFacts) -> EvidenceRef:
    return EvidenceRef(
        "run",
        str(run.id),
        f"run #{run.id} of {run.pipeline_name} ({run.trigger}, {run.environment}, {run.status})",
        run.pipeline_name,
        run.started_at,
    )


def version_ref(mv: ModelVersionFacts) -> EvidenceRef:
    return EvidenceRef("model_version", f"{mv.name}:{mv.version}", mv.label, "", mv.created_at)


def deploy_ref(d: DeploymentFacts) -> EvidenceRef:
    return EvidenceRef("deployment", str(d.id), d.label, "", d.created_at)


def ci_ref(c: CiResultFacts) -> EvidenceRef:
    return EvidenceRef(
        "ci",
        str(c.id),
        f"{c.kind} suite '{c.suite}': {c.tests} tests, {c.failures + c.errors} failed",
        "",
        c.imported_at,
    )


# ----------------------------------------------------------------------------- graph signals
def sig_node(ev: Evaluator, arg: str) -> Outcome:
    kinds = set(arg.split("/"))
    found = ev.nodes_of(kinds)
    if not found:
        return _no(f"no {_kinds_label(sorted(kinds))} stage in any pipeline")
    return _ok(ev.node_ref(pf, n) for pf, n in found)


def _chain(ev: Evaluator, pf: PipelineFacts, positions: list[set[str]]) -> list[str] | None:
    """One path of nodes whose kinds follow ``positions`` in order, or None."""
    kinds = ev._kinds[pf.name]
    paths = [[n] for n, k in kinds.items() if k in positions[0]]
    for wanted in positions[1:]:
        nxt = []
        for path in paths:
            reach = pf.pipeline.downstream(path[-1])
            nxt += [[*path, n] for n in sorted(reach) if kinds.get(n) in wanted]
        paths = nxt
        if not paths:
            return None
    return paths[0] if paths else None


def sig_edge(ev: Evaluator, arg: str) -> Outcome:
    positions = [set(p.split("/")) for p in arg.split(">")]
    if len(positions) < 2:
        raise RuleError(f"edge:{arg} needs at least two stage kinds")
    evidence: list[EvidenceRef] = []
    for pf in ev.facts.pipelines:
        chain = _chain(ev, pf, positions)
        if chain:
            evidence += [ev.node_ref(pf, n) for n in chain]
    label = " > ".join(_kinds_label(sorted(p)) for p in positions)
    if not evidence:
        return _no(f"no path {label} in any pipeline")
    return _ok(evidence)


def _trigger_source(
    ev: Evaluator, trig: Mapping[str, Any], owner: PipelineFacts
) -> tuple[PipelineFacts, str] | None:
    node_id = next(
        (str(trig[k]) for k in ("source_node", "node", "node_id", "monitor") if trig.get(k)), ""
    )
    pipe_name = next((str(trig[k]) for k in ("source_pipeline", "pipeline") if trig.get(k)), "")
    candidates = (
        [p for p in ev.facts.pipelines if p.name == pipe_name]
        if pipe_name
        else [owner, *ev.facts.pipelines]
    )
    for pf in candidates:
        if node_id:
            if node_id in pf.pipeline.nodes and ev.kind_of(pf, node_id) == "monitor":
                return pf, node_id
        else:
            monitors = [n for n, k in ev._kinds[pf.name].items() if k == "monitor"]
            if monitors:
                return pf, monitors[0]
    return None


def sig_loop(ev: Evaluator, arg: str) -> Outcome:
    if arg != "monitor>train":
        raise RuleError(f"unknown loop '{arg}' (only monitor>train)")
    evidence: list[EvidenceRef] = []
    dangling = ""
    for pf in ev.facts.pipelines:
        trainers = [n for n, k in ev._kinds[pf.name].items() if k in ("train", "tune")]
        if not trainers:
            continue
        for trig in pf.triggers:
            if trig.get("type") != "monitor_alert" or trig.get("enabled") is False:
                continue
            source = _trigger_source(ev, trig, pf)
            if source is None:
                dangling = f"the monitor-alert trigger of {pf.name} names no existing Monitor stage"
                continue
            spf, monitor = source
            evidence += [
                ev.node_ref(spf, monitor),
                EvidenceRef(
                    "trigger",
                    "monitor_alert",
                    f"monitor-alert trigger starts {pf.name}",
                    pf.name,
                    pf.saved_at,
                ),
                ev.node_ref(pf, trainers[0]),
            ]
    if not evidence:
        return _no(
            dangling or "no Monitor alert is wired to a training pipeline (monitor-alert trigger)"
        )
    return _ok(evidence)


def sig_trigger(ev: Evaluator, arg: str) -> Outcome:
    wanted = set(TRIGGER_TYPES) - {"manual"} if arg == "nonmanual" else set(arg.split("/"))
    evidence = [
        EvidenceRef(
            "trigger",
            str(t.get("type")),
            f"{t.get('type')} trigger on {pf.name}",
            pf.name,
            pf.saved_at,
        )
        for pf in ev.facts.pipelines
        for t in pf.triggers
        if t.get("type") in wanted and t.get("enabled", True) is not False
    ]
    if not evidence:
        what = "non-manual" if arg == "nonmanual" else " or ".join(sorted(wanted))
        return _no(f"no {what} trigger configured on any pipeline")
    return _ok(evidence)


def sig_node_registered(ev: Evaluator, arg: str) -> Outcome:
    nodes = [(pf, n) for pf in ev.facts.pipelines for n in pf.pipeline.nodes]
    if not nodes:
        return _no("the project has no pipeline stages")
    odd = [(pf, n) for pf, n in nodes if ev.kind_of(pf, n) in ("", "custom")]
    if odd:
        return _no(
            "stages that are not registered components: "
            + ", ".join(pf.pipeline.nodes[n].title for pf, n in odd[:5]),
            [ev.node_ref(pf, n) for pf, n in odd],
        )
    return _ok(ev.node_ref(pf, n) for pf, n in nodes[:MAX_EVIDENCE])


# ----------------------------------------------------------------------------- run signals
def _split_alts(value: str) -> set[str]:
    return {norm_env(v) if v else v for v in value.split("/")}


def _trigger_match(run_trigger: str, wanted: str) -> bool:
    if wanted == "nonmanual":  # runs copied in from MLflow show tracking, not automation
        return run_trigger not in ("", "manual", "mlflow_import")
    return run_trigger in wanted.split("/")


def sig_run_trigger(ev: Evaluator, arg: str) -> Outcome:
    runs = [r for r in ev.ok_runs() if _trigger_match(r.trigger, arg)]
    if not runs:
        what = (
            "a non-manual trigger" if arg == "nonmanual" else f"trigger {arg.replace('/', ' or ')}"
        )
        return _no(f"no successful run started by {what}")
    return _ok_runs(runs)


def _all_or_any(
    ev: Evaluator,
    arg: str,
    runs: list[RunFacts],
    pred: Callable[[RunFacts], bool],
    what: str,
) -> Outcome:
    if not runs:
        return _no(f"no runs to show {what}")
    good: list[RunFacts] = []
    bad: list[RunFacts] = []
    for r in runs:
        (good if pred(r) else bad).append(r)
    if arg == "all":
        if bad:
            refs = [run_ref(r) for r in bad[:MAX_EVIDENCE]]  # _no keeps no more
            return _no(f"{len(bad)} of {len(runs)} runs lack {what}", refs)
        return _ok_runs(good)
    if not good:
        return _no(f"no run records {what}")
    return _ok_runs(good)


def sig_run_commit(ev: Evaluator, arg: str) -> Outcome:
    return _all_or_any(
        ev, arg or "any", ev.finished_runs(), lambda r: bool(r.commit), "a source commit"
    )


TRAINING_TYPES = {"train", "tune"}


def _trains(ev: Evaluator, run: RunFacts) -> bool:
    """Whether the run trained a model itself (a training stage served from the cache
    logs no new metrics)."""
    if run.stages:
        return any(s.stage_type in TRAINING_TYPES and s.status == "succeeded" for s in run.stages)
    pf = ev.facts.pipeline(run.pipeline_name)
    return bool(pf and any(k in TRAINING_TYPES for k in ev._kinds[pf.name].values()))


def sig_run_metrics(ev: Evaluator, arg: str) -> Outcome:
    runs = [r for r in ev.ok_runs() if _trains(ev, r)] if arg == "all" else ev.ok_runs()
    return _all_or_any(ev, arg or "any", runs, lambda r: bool(r.metrics), "logged metrics")


def sig_run_inputs(ev: Evaluator, arg: str) -> Outcome:
    return _all_or_any(
        ev, arg or "any", ev.ok_runs(), lambda r: bool(r.input_hashes), "dataset hashes"
    )


def sig_run_duration(ev: Evaluator, arg: str) -> Outcome:
    need = int(arg or 2)
    runs = [r for r in ev.ok_runs() if r.duration_s is not None]
    if len(runs) < need:
        return _no(
            f"{len(runs)} runs with a recorded duration; {need} needed to see a trend",
            map(run_ref, runs),
        )
    return _ok_runs(runs)
