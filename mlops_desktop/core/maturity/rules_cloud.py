"""What an imported cloud pipeline's definition declares, and whether executions back it.

Part of :mod:`.rules`. An imported pipeline (``pipeline.meta["external"]``, see
:mod:`mlops_desktop.core.cloud.convert`) declares steps, condition gates and schedules; a
declaration is a claim. These helpers let the signals

- credit a declared step only through a recorded execution that ran it (a stage record of
  a run of that pipeline, see :mod:`mlops_desktop.app.cloud_runs`), citing the place in the
  definition beside the run;
- say, when a criterion stays unmet, what the definition declares and that no execution of
  it did the thing ("declares the gate AbaloneMSECond (Steps[3]); no recorded execution
  evaluated it");
- count a declared schedule as a configured trigger (a configuration, like ``meta.triggers``)
  while runs started by it stay what the run signals need.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from mlops_desktop.core.graph import Node
from mlops_desktop.core.maturity.facts import PipelineFacts, RunFacts
from mlops_desktop.core.maturity.rules_base import (
    Evaluator,
    EvidenceRef,
    Outcome,
    _kinds_label,
    _ok,
)

RECORD_HINT = "record its executions: evidence executions PROJECT FILE --pipeline NAME"
DECLARED = "declared"  # evidence kind: what a definition declares, not yet shown to run
MAX_DECLARED = 6
PARAMETERS_AT = {
    "sagemaker": "Parameters",
    "kfp": "root.inputDefinitions.parameters",
    "azureml": "inputs",
}


def external(pf: PipelineFacts) -> Mapping[str, Any] | None:
    facts = pf.pipeline.meta.get("external")
    return facts if isinstance(facts, Mapping) else None


def place_ref(pf: PipelineFacts, kind: str, where: str, text: str) -> EvidenceRef:
    """Evidence at a place in an imported definition: ``<file>:<where>``, labelled
    ``<file> <where>: <text>``."""
    source = str((external(pf) or {}).get("source") or pf.name)
    return EvidenceRef(kind, f"{source}:{where}", f"{source} {where}: {text}", pf.name, pf.saved_at)


def _location(node: Node) -> str:
    """Where a step sits in its definition (e.g. ``Steps[3]``)."""
    return str(node.params.get("location") or "")


def definition_ref(pf: PipelineFacts, node_id: str, what: str = "") -> EvidenceRef:
    """The place in the imported definition where a step is declared."""
    node = pf.pipeline.nodes[node_id]
    text = node.title + (f" ({what})" if what else "")
    return place_ref(pf, "definition", _location(node), text)


def _ran_nodes(ev: Evaluator, runs: Iterable[RunFacts], kinds: set[str]) -> set[tuple[str, str]]:
    # only imported pipelines' steps are asked about: skip the history of the others
    imported = {pf.name for pf in ev.facts.pipelines if external(pf) is not None}
    out = set()
    for r in runs:
        if r.pipeline_name not in imported:
            continue
        for st in r.stages:
            if st.status == "succeeded":
                out.add((r.pipeline_name, st.node_id))
    return {
        (p, n)
        for p, n in out
        if ev._kinds.get(p, {}).get(n) in kinds  # noqa: SLF001 - the evaluator's node kinds
    }


def run_refs_with_definition(
    ev: Evaluator, runs: list[RunFacts], kinds: set[str]
) -> list[EvidenceRef]:
    """The declared steps of these kinds that ran in ``runs`` (executions of imported
    pipelines), as references to their place in the definition."""
    ran = _ran_nodes(ev, runs, kinds)
    refs = []
    for pf in ev.facts.pipelines:
        if external(pf) is None:
            continue
        for node_id in pf.pipeline.nodes:
            if (pf.name, node_id) in ran:
                refs.append(definition_ref(pf, node_id, "ran in a recorded execution"))
    return refs


def declared_refs(
    ev: Evaluator, kinds: set[str], ran: Iterable[RunFacts] = ()
) -> list[EvidenceRef]:
    """Declared steps of these kinds that no run of their pipeline ran, as evidence of kind
    ``declared`` (shown with the criterion, never meeting it): file and place of each."""
    done = _ran_nodes(ev, ran, kinds)
    refs = []
    for pf in ev.facts.pipelines:
        if external(pf) is None:
            continue
        for n, k in ev._kinds.get(pf.name, {}).items():  # noqa: SLF001
            if k in kinds and (pf.name, n) not in done:
                node = pf.pipeline.nodes[n]
                text = f"{node.title} (declared {_kinds_label([k])}; no recorded execution ran it)"
                refs.append(place_ref(pf, DECLARED, _location(node), text))
    return refs


def _declaring(out: Outcome, refs: list[EvidenceRef]) -> Outcome:
    """An unmet outcome that also shows what the definitions declare (at most a few)."""
    have = {e.ref for e in out.evidence}  # a place already cited is not repeated
    new = tuple(r for r in refs if r.ref not in have)[:MAX_DECLARED]
    return Outcome(out.value, out.evidence + new, out.missing) if new else out


def declared_note(ev: Evaluator, kinds: set[str], ran: Iterable[RunFacts] = ()) -> str:
    """'; <source> declares X (where) but no recorded execution ran it' for declared steps
    of these kinds that no run of their pipeline ran ("" when there are none)."""
    done = _ran_nodes(ev, ran, kinds)
    parts = []
    for pf in ev.facts.pipelines:
        facts = external(pf)
        if facts is None:
            continue
        names = [
            f"{pf.pipeline.nodes[n].title} ({pf.pipeline.nodes[n].params.get('location', '')})"
            for n, k in ev._kinds.get(pf.name, {}).items()  # noqa: SLF001
            if k in kinds and (pf.name, n) not in done
        ]
        if names:
            executions = sum(1 for r in ev.facts.runs if r.pipeline_name == pf.name)
            what = (
                f"none of its {executions} recorded execution(s) ran it"
                if executions
                else f"no execution of it is recorded ({RECORD_HINT})"
            )
            parts.append(
                f"{facts.get('source', pf.name)} declares {_kinds_label(sorted(kinds))} "
                f"{', '.join(names[:3])}, but {what}"
            )
    return "".join(f"; {p}" for p in parts)


def with_declared(
    fn: Callable[[Evaluator, str], Outcome], kinds: set[str]
) -> Callable[[Evaluator, str], Outcome]:
    """``fn``, whose unmet note also says which declared steps of ``kinds`` never ran."""

    def sig(ev: Evaluator, arg: str) -> Outcome:
        out = fn(ev, arg)
        if out.value is not False:
            return out
        note = declared_note(ev, kinds, ev.facts.runs)
        if not note:
            return out
        missing = (out.missing[0] + note, *out.missing[1:]) if out.missing else (note[2:],)
        return _declaring(
            Outcome(out.value, out.evidence, missing), declared_refs(ev, kinds, ev.facts.runs)
        )

    return sig


def cloud_gates_note(ev: Evaluator) -> str:
    """Metric gates of imported definitions that executions evaluated: they compare a
    metric with a threshold, which is not a comparison with the current champion."""
    parts = []
    for pf in ev.facts.pipelines:
        facts = external(pf)
        if facts is None:
            continue
        evaluated = any(
            r.pipeline_name == pf.name and "gate_passed" in r.metrics for r in ev.facts.runs
        )
        for gate in facts.get("gates") or []:
            if not isinstance(gate, Mapping) or not gate.get("metric_gate"):
                continue
            how = "an execution evaluated it" if evaluated else "no recorded execution evaluated it"
            parts.append(
                f"{facts.get('source', pf.name)} {gate.get('where', '')}: the gate "
                f"{gate.get('step', '')} checks {gate.get('condition', '')} ({how}); it "
                "compares with a threshold, not with the model in production"
            )
    return "".join(f"; {p}" for p in parts[:3])


def declared_schedules(ev: Evaluator) -> list[EvidenceRef]:
    """Schedules declared in imported definitions (configured, not yet firings)."""
    refs = []
    for pf in ev.facts.pipelines:
        facts = external(pf)
        for sched in (facts or {}).get("schedules") or []:
            if not isinstance(sched, Mapping):
                continue
            when = sched.get("expression") or sched.get("every") or sched.get("trigger") or ""
            where = str(sched.get("where") or "")
            refs.append(place_ref(pf, "definition", where, f"schedule {when}".rstrip()))
    return refs


def with_declared_schedules(
    fn: Callable[[Evaluator, str], Outcome],
) -> Callable[[Evaluator, str], Outcome]:
    """``trigger:``: a schedule declared in an imported definition is a configured one."""

    def sig(ev: Evaluator, arg: str) -> Outcome:
        out = fn(ev, arg)
        wanted = set(arg.split("/")) if arg != "nonmanual" else {"schedule"}
        if out.value is True or "schedule" not in wanted:
            return out
        refs = declared_schedules(ev)
        return _ok(refs) if refs else out

    return sig


def with_schedule_note(
    fn: Callable[[Evaluator, str], Outcome],
) -> Callable[[Evaluator, str], Outcome]:
    """``run.trigger:``: a declared schedule that no recorded execution shows firing."""

    def sig(ev: Evaluator, arg: str) -> Outcome:
        out = fn(ev, arg)
        if out.value is not False or not ({"schedule", "nonmanual"} & set(arg.split("/"))):
            return out
        refs = declared_schedules(ev)
        if not refs:
            return out
        note = f"; {refs[0].label} is declared, but no recorded execution was started by it" + (
            f" (and {len(refs) - 1} more)" if len(refs) > 1 else ""
        )
        declared = [
            EvidenceRef(
                DECLARED,
                r.ref,
                f"{r.label} (declared; no recorded execution was started by it)",
                r.pipeline,
                r.at,
            )
            for r in refs
        ]
        return _declaring(
            Outcome(out.value, out.evidence, (out.missing[0] + note, *out.missing[1:])), declared
        )

    return sig


def sig_run_stage(ev: Evaluator, arg: str) -> Outcome:
    """``run.stage:`` with the definition's side: a declared step that ran cites its place
    in the definition; one that never ran is named in the unmet note."""
    from mlops_desktop.core.maturity.rules_behaviour import ran_kind
    from mlops_desktop.core.maturity.rules_behaviour import sig_run_stage as base

    kinds = set(arg.split("/"))
    out = base(ev, arg)
    if out.value is True and any(external(pf) is not None for pf in ev.facts.pipelines):
        runs = [r for r in ev.facts.runs if ran_kind(ev, r, kinds)]
        refs = run_refs_with_definition(ev, runs, kinds)
        return Outcome(True, out.evidence + tuple(refs[:4])) if refs else out
    return with_declared(lambda _e, _a: out, kinds)(ev, arg)


def sig_gate_champion(ev: Evaluator, arg: str) -> Outcome:
    """``gate.champion:``: a cloud metric gate that executions evaluated is said to be a
    threshold, not a comparison with the champion."""
    from mlops_desktop.core.maturity.rules_behaviour import sig_gate_champion as base

    out = base(ev, arg)
    note = cloud_gates_note(ev) if out.value is False else ""
    if not note:
        return out
    return _declaring(
        Outcome(out.value, out.evidence, (out.missing[0] + note, *out.missing[1:])),
        _gate_refs(ev),
    )


def _gate_refs(ev: Evaluator) -> list[EvidenceRef]:
    refs = []
    for pf in ev.facts.pipelines:
        facts = external(pf)
        for gate in (facts or {}).get("gates") or []:
            if isinstance(gate, Mapping) and gate.get("metric_gate"):
                text = (
                    f"{gate.get('step', '')} gates {gate.get('gated', '')} on "
                    f"{gate.get('condition', '')} (declared; a threshold, not a comparison "
                    "with the model in production)"
                )
                refs.append(place_ref(pf, DECLARED, str(gate.get("where") or ""), text))
    return refs


def with_declared_parameters(
    fn: Callable[[Evaluator, str], Outcome],
) -> Callable[[Evaluator, str], Outcome]:
    """``run.params:``: the parameters a definition declares are shown, not counted: a
    cloud's execution record here does not carry the values a run used."""

    def sig(ev: Evaluator, arg: str) -> Outcome:
        out = fn(ev, arg)
        if out.value is not False:
            return out
        refs = []
        for pf in ev.facts.pipelines:
            facts = external(pf)
            params = (facts or {}).get("parameters") or {}
            if not params:
                continue
            where = PARAMETERS_AT.get(str((facts or {}).get("format")), "parameters")
            names = ", ".join(sorted(str(k) for k in params)[:6])
            text = (
                f"{len(params)} pipeline parameter(s) {names} (declared; the values an "
                "execution used stay in the cloud)"
            )
            refs.append(place_ref(pf, DECLARED, where, text))
        return _declaring(out, refs)

    return sig


def with_declared_caching(
    fn: Callable[[Evaluator, str], Outcome],
) -> Callable[[Evaluator, str], Outcome]:
    """``run.reproducible``: steps a definition lets reuse cached results are shown: a
    cache hit repeats nothing, so it is never evidence of reproducible training."""

    def sig(ev: Evaluator, arg: str) -> Outcome:
        out = fn(ev, arg)
        if out.value is not False:
            return out
        refs = []
        for pf in ev.facts.pipelines:
            facts = external(pf)
            cached = set((facts or {}).get("caching") or [])
            for node in pf.pipeline.nodes.values():
                if str(node.params.get("step_key")) in cached:
                    text = (
                        f"{node.title} may reuse cached results (declared; a cache hit is not "
                        "a re-run)"
                    )
                    refs.append(place_ref(pf, DECLARED, _location(node), text))
        return _declaring(out, refs)

    return sig


# runs recorded from a cloud's execution records
CLOUD_EXECUTORS = ("sagemaker", "vertex-ai", "azureml")


def app_runs_only(
    fn: Callable[[Evaluator, str], Outcome],
) -> Callable[[Evaluator, str], Outcome]:
    """``<signal>:all`` over the runs the app made: an execution recorded from a cloud says
    which steps ran, not the commit, parameters, dataset hashes or metrics it used (those
    stay in the cloud), so it is neither evidence for nor against "every run records X"."""

    def sig(ev: Evaluator, arg: str) -> Outcome:
        if arg != "all" or not any(r.executor in CLOUD_EXECUTORS for r in ev.facts.runs):
            return fn(ev, arg)
        sub = getattr(ev, "_app_runs_evaluator", None)
        if sub is None:
            own = tuple(r for r in ev.facts.runs if r.executor not in CLOUD_EXECUTORS)
            sub = type(ev)(replace(ev.facts, runs=own))
            ev._app_runs_evaluator = sub  # type: ignore[attr-defined]
        return fn(sub, arg)

    return sig
