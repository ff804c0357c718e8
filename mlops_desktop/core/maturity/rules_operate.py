"""Evidence rules over the operate side: registry, lineage, deployments, monitoring, CI
results, the attached repository, questionnaire answers and the workspace's projects.

Part of :mod:`.rules` (which registers these functions in its ``SIGNALS`` table).
"""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from mlops_desktop.core.maturity.rules_base import (
    AUTO_APPROVERS,
    Evaluator,
    EvidenceRef,
    Outcome,
    RuleError,
    _no,
    _ok,
    _split_alts,
    _unknown,
    deploy_ref,
    run_ref,
    version_ref,
)
from mlops_desktop.core.maturity.rules_behaviour import env_of

if TYPE_CHECKING:
    from mlops_desktop.core.maturity.facts import DeploymentFacts, ModelVersionFacts, RunFacts
    from mlops_desktop.core.specs import StageSpec


# ----------------------------------------------------------------------------- registry
def sig_model_version(ev: Evaluator, arg: str) -> Outcome:
    versions = list(ev.facts.model_versions)
    if not ev.facts.registry_known:
        runs = [r for r in ev.ok_runs() if r.ran_kind({"register_model"})]
        if arg in ("", "metrics"):
            return _ok(map(run_ref, runs)) if runs else _no("no model version registered")
        return _unknown("the workspace has no model registry to read")
    if arg == "":
        return _ok(map(version_ref, versions)) if versions else _no("no model version registered")
    if arg == "metrics":
        good = [
            mv
            for mv in versions
            if mv.metrics or (mv.run_id and (ev.facts.run(mv.run_id) or _NoRun).metrics)
        ]
        return _ok(map(version_ref, good)) if good else _no("no registered version carries metrics")
    if arg == "prod":
        good = [
            mv
            for mv in versions
            if mv.run_id and (r := ev.facts.run(mv.run_id)) and env_of(ev, r) == "prod"
        ]
        return (
            _ok(map(version_ref, good))
            if good
            else _no("no version registered by a production run")
        )
    if arg.isdigit():
        need = int(arg)
        # versions with one content (artifact digest) are one model: nothing to roll back to
        by_name: dict[str, dict[str | int, ModelVersionFacts]] = {}
        for mv in versions:
            by_name.setdefault(mv.name, {}).setdefault(mv.digest or mv.version, mv)
        for vs in by_name.values():
            if len(vs) >= need:
                return _ok(map(version_ref, vs.values()))
        return _no(
            f"no model has {need} registered versions of different content to roll back between"
        )
    raise RuleError(f"unknown model.version argument '{arg}'")


class _NoRun:
    metrics: dict[str, float] = {}
    input_hashes: dict[str, str] = {}
    pipeline_version_id = None


def _traced(ev: Evaluator, mv: ModelVersionFacts) -> bool:
    run = ev.facts.run(mv.run_id) if mv.run_id else None
    return bool(run and run.input_hashes and run.pipeline_version_id is not None)


def sig_lineage(ev: Evaluator, arg: str) -> Outcome:
    if arg == "model":
        good = [mv for mv in ev.facts.model_versions if _traced(ev, mv)]
        if good:
            out = []
            for mv in good:
                run = ev.facts.run(mv.run_id) if mv.run_id is not None else None
                if run is not None:  # a traced version names its run
                    out += [version_ref(mv), run_ref(run)]
            return _ok(out)
        return _no("no registered version traces back to a run with its dataset hashes")
    if arg == "deploy":
        by_key = {(mv.name, mv.version): mv for mv in ev.facts.model_versions}
        out = []
        for d in ev.facts.deployments:
            number = d.model_version
            version = by_key.get((d.model_name, number)) if number is not None else None
            if version is not None and _traced(ev, version):
                out += [deploy_ref(d), version_ref(version)]
        return (
            _ok(out)
            if out
            else _no("no deployment traces back through its model version to a run and data")
        )
    raise RuleError(f"unknown lineage '{arg}'")


# ----------------------------------------------------------------------------- deployments
def _deploys(ev: Evaluator) -> list[DeploymentFacts]:
    return [d for d in ev.facts.deployments if d.status != "failed"]


def sig_deploy_any(ev: Evaluator, arg: str) -> Outcome:
    ds = _deploys(ev)
    return _ok(map(deploy_ref, ds)) if ds else _no("no deployment recorded")


def sig_deploy_env(ev: Evaluator, arg: str) -> Outcome:
    envs = _split_alts(arg)
    ds = [d for d in _deploys(ev) if d.env in envs]
    return _ok(map(deploy_ref, ds)) if ds else _no(f"no deployment to {' or '.join(sorted(envs))}")


def sig_deploy_strategy(ev: Evaluator, arg: str) -> Outcome:
    wanted = set(arg.split("/"))
    ds = [d for d in _deploys(ev) if d.strategy in wanted]
    if ds:
        return _ok(map(deploy_ref, ds))
    planned = [
        n
        for n in ev.nodes_of({"deploy"})
        if n[0].pipeline.nodes[n[1]].params.get("strategy") in wanted
    ]
    if planned:
        return _no(
            f"a Deploy stage uses {'/'.join(sorted(wanted))} but has not deployed yet",
            [ev.node_ref(pf, n) for pf, n in planned],
        )
    return _no(f"no {' or '.join(sorted(wanted))} deployment")


def is_auto_approver(d: DeploymentFacts) -> bool:
    who = (d.approver or "").strip().lower()
    if not who:
        return d.run_id is not None  # released by a pipeline run without a human gate
    return who.startswith(AUTO_APPROVERS)


def sig_deploy_approver(ev: Evaluator, arg: str) -> Outcome:
    auto = arg == "auto"
    ds = [d for d in _deploys(ev) if is_auto_approver(d) == auto]
    if ds:
        return _ok(map(deploy_ref, ds))
    return _no(
        "no deployment released automatically by policy"
        if auto
        else "no deployment approved by a person"
    )


def sig_deploy_sequence(ev: Evaluator, arg: str) -> Outcome:
    order = [_split_alts(a) for a in arg.split(">")]
    by_version: dict[tuple[str, int | None], list[DeploymentFacts]] = {}
    for d in sorted(
        _deploys(ev), key=lambda d: (d.created_at is None, d.created_at or ev.facts.now, d.id)
    ):
        by_version.setdefault((d.model_name, d.model_version), []).append(d)
    for ds in by_version.values():
        chain, i = [], 0
        for d in ds:
            if i < len(order) and d.env in order[i]:
                chain.append(d)
                i += 1
        if i == len(order):
            return _ok(map(deploy_ref, chain))
    return _no("no model version deployed to " + " then ".join("/".join(sorted(o)) for o in order))


def sig_deploy_envs(ev: Evaluator, arg: str) -> Outcome:
    need = int(arg or 3)
    envs: dict[str, DeploymentFacts] = {}
    for d in _deploys(ev):
        envs.setdefault(d.env, d)
    if len(envs) < need:
        return _no(
            f"deployments reach {len(envs)} environments ({', '.join(sorted(envs)) or 'none'}); {need} needed",
            map(deploy_ref, envs.values()),
        )
    return _ok(map(deploy_ref, envs.values()))


def sig_deploy_same_version(ev: Evaluator, arg: str) -> Outcome:
    need = int(arg or 2)
    by_version: dict[tuple[str, int | None], dict[str, DeploymentFacts]] = {}
    for d in _deploys(ev):
        by_version.setdefault((d.model_name, d.model_version), {}).setdefault(d.env, d)
    for envs in by_version.values():
        if len(envs) >= need:
            return _ok(map(deploy_ref, envs.values()))
    return _no(f"no model version deployed in {need} environments")


def sig_deploy_by_pipeline(ev: Evaluator, arg: str) -> Outcome:
    ds = [d for d in _deploys(ev) if d.run_id is not None]
    return _ok(map(deploy_ref, ds)) if ds else _no("no deployment made by a pipeline run")


def sig_deploy_lead_time(ev: Evaluator, arg: str) -> Outcome:
    limit = timedelta(days=int(arg or 60))
    first_seen: dict[str, datetime] = {}
    for r in ev.facts.runs:
        if (
            r.commit
            and r.started_at
            and (r.commit not in first_seen or r.started_at < first_seen[r.commit])
        ):
            first_seen[r.commit] = r.started_at
    leads, refs = [], []
    for d in _deploys(ev):
        run = ev.facts.run(d.run_id) if d.run_id else None
        if d.env == "prod" and run and run.commit in first_seen and d.created_at:
            leads.append(d.created_at - first_seen[run.commit])
            refs.append(deploy_ref(d))
    if not leads:
        return _no("no production deployment traced to a commit, so lead time is unknown")
    median = statistics.median(lead.total_seconds() for lead in leads)
    if median > limit.total_seconds():
        return _no(f"median lead time from commit to production is {median / 86400:.0f} days", refs)
    return _ok(refs)


# ----------------------------------------------------------------------------- monitoring
def _monitor_runs(ev: Evaluator) -> list[RunFacts]:
    monitor_types = {s.id for s in _registry_specs(ev) if s.kind == "monitor"} or {"monitor"}
    return [r for r in ev.facts.runs if r.ran_kind(monitor_types)]


def _registry_specs(ev: Evaluator) -> list[StageSpec]:
    if not ev.facts.pipelines:
        return []
    return list(ev.facts.pipelines[0].pipeline.registry)


def sig_mon_any(ev: Evaluator, arg: str) -> Outcome:
    runs = _monitor_runs(ev)
    alerts = [
        EvidenceRef("alert", str(a.id), f"{a.kind} alert: {a.message}"[:120], "", a.created_at)
        for a in ev.facts.alerts
    ]
    if not runs and not alerts:
        return _no("no monitoring output: no Monitor stage has run")
    return _ok([*map(run_ref, runs), *alerts])


def sig_mon_alert(ev: Evaluator, arg: str) -> Outcome:
    alerts = [
        EvidenceRef("alert", str(a.id), f"{a.kind} alert: {a.message}"[:120], "", a.created_at)
        for a in ev.facts.alerts
    ]
    return _ok(alerts) if alerts else _no("no monitoring alert recorded")


def sig_mon_quality(ev: Evaluator, arg: str) -> Outcome:
    nodes = [
        (pf, n)
        for pf, n in ev.nodes_of({"monitor"})
        if float(pf.pipeline.nodes[n].params.get("min_accuracy") or 0) > 0
    ]
    if not nodes:
        return _no("no Monitor stage checks labelled quality (min accuracy is 0)")
    ran = [r for r in ev.ok_runs() if any(r.ran(n) for _, n in nodes)]
    quality_alerts = [a for a in ev.facts.alerts if a.kind == "quality"]
    if not ran:
        return _no("the quality monitor has not run yet", [ev.node_ref(pf, n) for pf, n in nodes])
    return _ok(
        [
            *(ev.node_ref(pf, n) for pf, n in nodes),
            *map(run_ref, ran),
            *(EvidenceRef("alert", str(a.id), a.message, "", a.created_at) for a in quality_alerts),
        ]
    )


# ----------------------------------------------------------------------------- CI, repo, answers
def sig_repo(ev: Evaluator, arg: str) -> Outcome:
    if ev.facts.repo:
        return _ok([EvidenceRef("repo", ev.facts.repo, f"git repository {ev.facts.repo}")])
    return _no("no git repository attached to the project")


def sig_ask(ev: Evaluator, arg: str) -> Outcome:
    answer = ev.facts.answers.get(arg)
    if answer is None:
        return _unknown(f"question {arg} is not answered")
    ref = EvidenceRef(
        "answer",
        arg,
        f"answered {answer.value}" + (f" ({answer.document})" if answer.document else ""),
        "",
        answer.answered_at,
    )
    if answer.value == "yes":
        return Outcome(True, (ref,))
    return Outcome(False, (ref,), (f"question {arg} answered {answer.value}",))


# ----------------------------------------------------------------------------- workspace scale
def sig_projects(ev: Evaluator, arg: str) -> Outcome:
    what, _, n = arg.partition(":")
    projects = ev.facts.projects
    refs = [
        EvidenceRef("project", p.name, f"project {p.name} ({p.template})", "", p.created_at)
        for p in projects
    ]
    if what == "count":
        need = int(n or 5)
        return (
            _ok(refs)
            if len(projects) >= need
            else _no(f"{len(projects)} projects in the workspace; {need} needed")
        )
    if what == "templated":
        need = int(n or 2)
        good = [
            r for r, p in zip(refs, projects, strict=True) if p.template and p.template != "blank"
        ]
        return (
            _ok(good)
            if len(good) >= need
            else _no(f"{len(good)} projects created from a shared template; {need} needed")
        )
    if what == "time_to_value":
        reached = [  # (created, time to the first production deployment, name)
            (p.created_at, p.first_prod_deploy - p.created_at, p.name)
            for p in projects
            if p.created_at and p.first_prod_deploy
        ]
        reached.sort(key=lambda t: t[0])
        if len(reached) < 2:
            return _no("fewer than two projects reached production, so time to value has no trend")
        first, last = reached[0], reached[-1]
        if last[1] < first[1]:
            return _ok(r for r in refs if r.ref in (first[2], last[2]))
        return _no("time from project creation to first production deployment is not falling")
    raise RuleError(f"unknown projects signal '{arg}'")
