"""Evidence rules that read what the project did, not what its pipelines or settings claim.

Part of :mod:`.rules` (which registers these functions in its ``SIGNALS`` table). Each
signal names the recorded behaviour it counts; a stage's presence, a parameter, a metric
key's spelling or a pipeline's ``meta.environment`` never meets one alone:

- a stage *ran* when its run recorded it as succeeded (a stage served from the cache did
  not run, so a cached run is not a re-run);
- a run is *in production* (or staging, test) when a deployment to that environment came
  from it or from a model version a run of the same pipeline registered;
- a *release* is a distinct model content (artifact digest) reaching the environment;
- CI evidence is a passing suite, imported in the last 180 days, on a commit a run recorded;
- the model *beats its baseline* when every metric the Evaluate stage logged beside its
  ``baseline_`` twin is better than the twin.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from functools import cache

from mlops_desktop.core.maturity.facts import (
    CiResultFacts,
    DeploymentFacts,
    RunFacts,
    StageFacts,
    norm_env,
)
from mlops_desktop.core.maturity.rules_base import (
    Evaluator,
    EvidenceRef,
    Outcome,
    RuleError,
    _all_or_any,
    _kinds_label,
    _no,
    _ok,
    _ok_runs,
    _split_alts,
    _trigger_match,
    ci_ref,
    deploy_ref,
    run_ref,
    version_ref,
)

CI_MAX_AGE = timedelta(days=180)
TRAINING_KINDS = {"train", "tune"}
# metrics that measure time or machine load: they differ between identical re-runs
_VOLATILE_WORDS = ("second", "time", "latency", "duration", "throughput", "_ms", "memory", "cpu")
LOWER_IS_BETTER = ("rmse", "mae", "mse", "log_loss", "brier", "error")


# ----------------------------------------------------------------------------- helpers
def stage_kinds(ev: Evaluator) -> dict[str, str]:
    """Stage type -> kind, from the registry the pipelines were read with."""
    cached = getattr(ev, "_type_kinds", None)
    if cached is None:
        cached = {}
        for pf in ev.facts.pipelines:
            for spec in pf.pipeline.registry:
                cached[spec.id] = spec.kind
        ev._type_kinds = cached  # type: ignore[attr-defined]
    return cached


def _stage_index(ev: Evaluator) -> dict[int, frozenset[tuple[str, str]]]:
    """Run id -> the (kind or type, status) pairs of its stages, built once per evaluation
    (the rules ask this for every run many times). Runs of one pipeline with equal stage
    records share one set: a long history holds a few different ones."""
    index: dict[int, frozenset[tuple[str, str]]] | None = ev.__dict__.get("_stage_index")
    if index is None:
        types = stage_kinds(ev)
        shared: dict[tuple[str, tuple[StageFacts, ...]], frozenset[tuple[str, str]]] = {}
        index = {}
        for r in ev.facts.runs:
            key = (r.pipeline_name, r.stages)
            found = shared.get(key)
            if found is None:
                pairs: set[tuple[str, str]] = set()
                # an external step's kind is its node's (an imported cloud step recorded by
                # an execution of the cloud pipeline), not its stage type's ("external")
                node_kinds = ev._kinds.get(r.pipeline_name, {})
                for st in r.stages:
                    pairs.add((st.stage_type, st.status))
                    kind = types.get(st.stage_type)
                    if kind == "external":
                        kind = node_kinds.get(st.node_id, "")
                    if kind:
                        pairs.add((kind, st.status))
                found = shared[key] = frozenset(pairs)
            index[r.id] = found
        ev._stage_index = index  # type: ignore[attr-defined]
    return index


def ran_ids(ev: Evaluator, kinds: Iterable[str], status: str = "succeeded") -> frozenset[int]:
    """The ids of the runs in which a stage of one of ``kinds`` ended with ``status``,
    found once per evaluation for each question (from the few distinct stage sets)."""
    asked: dict[tuple[frozenset[str], str], frozenset[int]] = ev.__dict__.setdefault("_ran_ids", {})
    key = (frozenset(kinds), status)
    ids = asked.get(key)
    if ids is None:
        wanted = {(k, status) for k in key[0]}
        verdicts: dict[frozenset[tuple[str, str]], bool] = {}
        found = []
        for run_id, pairs in _stage_index(ev).items():
            ok = verdicts.get(pairs)
            if ok is None:
                ok = verdicts[pairs] = not wanted.isdisjoint(pairs)
            if ok:
                found.append(run_id)
        ids = asked[key] = frozenset(found)
    return ids


def ran_kind(ev: Evaluator, run: RunFacts, kinds: set[str], status: str = "succeeded") -> bool:
    """Whether a stage of one of ``kinds`` ran in ``run`` (not served from the cache)."""
    index = ev.__dict__.get("_stage_index")
    pairs = (index if index is not None else _stage_index(ev)).get(run.id)
    if pairs:
        for k in kinds:
            if (k, status) in pairs:
                return True
    return False


def trained(ev: Evaluator, run: RunFacts) -> bool:
    """The run fitted a model itself (a training stage succeeded; cached ones did not fit)."""
    return ran_kind(ev, run, TRAINING_KINDS)


def _prod_backing(ev: Evaluator) -> dict[str, set[str]]:
    """Pipeline name -> environments its runs really reached (deployment records).

    A deployment backs an environment for a pipeline only when the run that made it (or
    registered its model) ran in that environment: a development run that deploys to
    production shows the model reached production, not that the pipeline runs there."""
    out = getattr(ev, "_env_backing", None)
    if out is not None:
        return out
    out = {}
    version_run: dict[tuple[str, int | None], RunFacts] = {}
    for mv in ev.facts.model_versions:
        run = ev.facts.run(mv.run_id) if mv.run_id else None
        if run is not None:
            version_run[(mv.name, mv.version)] = run
    for d in ev.facts.deployments:
        if d.status == "failed":
            continue
        run = ev.facts.run(d.run_id) if d.run_id else None
        sources = [run, version_run.get((d.model_name, d.model_version))]
        for source in sources:
            if source is not None and source.env == d.env:
                out.setdefault(source.pipeline_name, set()).add(d.env)
    ev._env_backing = out  # type: ignore[attr-defined]
    return out


def env_of(ev: Evaluator, run: RunFacts) -> str:
    """The run's environment if deployment records back it; otherwise ``dev``.

    A pipeline's own ``meta.environment`` is a claim: a run counts as a production run
    only when its pipeline's models reached production."""
    env = run.env
    if env == "dev":
        return env
    return env if env in _prod_backing(ev).get(run.pipeline_name, set()) else "dev"


def _claimed(ev: Evaluator, runs: Iterable[RunFacts], envs: set[str]) -> list[RunFacts]:
    return [r for r in runs if r.env in envs and env_of(ev, r) != r.env]


def _claim_note(claims: list[RunFacts]) -> str:
    if not claims:
        return ""
    envs = sorted({c.environment for c in claims})
    return (
        f"; {len(claims)} run(s) say '{'/'.join(envs)}' in their settings, but no deployment "
        "from that pipeline reached it"
    )


# ----------------------------------------------------------------------------- run signals
def sig_run_stage(ev: Evaluator, arg: str) -> Outcome:
    """A stage of this kind ran (succeeded, not cached) in some run."""
    kinds = set(arg.split("/"))
    ids = ran_ids(ev, kinds)
    runs = [r for r in ev.facts.runs if r.id in ids] if ids else []
    if not runs:
        return _no(f"no run in which a {_kinds_label(sorted(kinds))} stage ran (not from cache)")
    return _ok_runs(runs)


def sig_run_env(ev: Evaluator, arg: str) -> Outcome:
    envs = _split_alts(arg)
    runs = [r for r in ev.ok_runs() if env_of(ev, r) in envs]
    if not runs:
        note = _claim_note(_claimed(ev, ev.ok_runs(), envs))
        return _no(f"no successful run in {' or '.join(sorted(envs))}{note}")
    return _ok_runs(runs)


def sig_run_where(ev: Evaluator, arg: str) -> Outcome:
    conds = dict(part.split("=", 1) for part in arg.split(","))
    envs = _split_alts(conds["env"]) if "env" in conds else None
    runs, claims = [], []
    for r in ev.ok_runs():
        if "trigger" in conds and not _trigger_match(r.trigger, conds["trigger"]):
            continue
        if envs is not None and env_of(ev, r) not in envs:
            if r.env in envs:
                claims.append(r)
            continue
        runs.append(r)
    if not runs:
        desc = ", ".join(f"{k} {v.replace('/', ' or ')}" for k, v in conds.items())
        return _no(f"no successful run with {desc}{_claim_note(claims)}")
    return _ok_runs(runs)


def sig_run_ct(ev: Evaluator, arg: str) -> Outcome:
    env = norm_env(arg or "prod")
    evidence: list[EvidenceRef] = []
    for r in ev.ok_runs():
        if env_of(ev, r) == env and _trigger_match(r.trigger, "nonmanual") and trained(ev, r):
            made = [version_ref(mv) for mv in ev.versions_by_run.get(r.id, [])]
            if made:
                evidence += [run_ref(r), *made]
    if not evidence:
        note = _claim_note(_claimed(ev, ev.ok_runs(), {env}))
        return _no(
            f"no run in {env} started by a trigger that trained and registered a new model "
            f"version{note}"
        )
    return _ok(evidence)


def sig_run_symmetry(ev: Evaluator, arg: str) -> Outcome:
    need = int(arg or 2)
    by_version: dict[object, list[RunFacts]] = {}
    for r in ev.ok_runs():
        if r.pipeline_version_id is not None:
            by_version.setdefault((r.pipeline_name, r.pipeline_version_id), []).append(r)
    for runs in by_version.values():
        envs = {env_of(ev, r) for r in runs}
        if len(envs) >= need:
            picks = [next(r for r in runs if env_of(ev, r) == e) for e in sorted(envs)]
            return _ok_runs(picks)
    return _no(
        f"no pipeline version has runs in {need} environments backed by deployments"
        + _claim_note(_claimed(ev, ev.ok_runs(), {"test", "staging", "prod"}))
    )


def sig_run_params(ev: Evaluator, arg: str) -> Outcome:
    """Training runs that recorded the parameters they trained with."""
    runs = [r for r in ev.finished_runs() if trained(ev, r)]
    return _all_or_any(
        ev,
        arg or "any",
        runs,
        lambda r: any(isinstance(v, dict) and v for v in r.params.values()),
        "the parameters of the model they trained",
    )


def _complete(ev: Evaluator, r: RunFacts) -> bool:
    return (
        r.pipeline_version_id is not None
        and r.started_at is not None
        and r.duration_s is not None
        and bool(r.executor)
        and bool(r.stages)
        and bool(r.params)
        and bool(r.input_hashes)
        and (bool(r.metrics) or not trained(ev, r))
    )


def sig_run_metadata(ev: Evaluator, arg: str) -> Outcome:
    runs = [r for r in ev.ok_runs() if trained(ev, r)]
    return _all_or_any(
        ev,
        arg or "all",
        runs,
        lambda r: _complete(ev, r),
        "complete metadata (pipeline version, times, executor, stages, parameters, dataset "
        "hashes, metrics) for a run that trained",
    )


def sig_run_executor(ev: Evaluator, arg: str) -> Outcome:
    if arg == "dask":
        runs = [r for r in ev.ok_runs() if "dask" in r.executor or "distributed" in r.executor]
        return _ok_runs(runs) if runs else _no("no run on a managed cluster (Dask)")
    # An orchestrator starts the pipeline itself: a run started by a trigger (the scheduler),
    # not a person pressing Run, that executed its stages as recorded steps.
    runs = [
        r
        for r in ev.ok_runs()
        if _trigger_match(r.trigger, "nonmanual") and len(r.stages) >= 2 and trained(ev, r)
    ]
    if runs:
        return _ok_runs(runs)
    return _no("no training run started and executed by the orchestrator (a trigger), only by hand")


@cache
def _comparable(key: str) -> bool:
    low = key.lower()
    return "/" not in key and not any(w in low for w in _VOLATILE_WORDS)


def sig_run_reproducible(ev: Evaluator, arg: str) -> Outcome:
    groups: dict[tuple[object, ...], list[tuple[RunFacts, dict[str, float]]]] = {}
    for r in ev.ok_runs():
        if r.input_hashes and r.pipeline_version_id is not None and r.metrics and trained(ev, r):
            key = (r.pipeline_version_id, r.commit, tuple(sorted(r.input_hashes.items())))
            # each run's comparable metrics once (a group's runs are compared pairwise)
            quality = {k: v for k, v in r.metrics.items() if _comparable(k)}
            groups.setdefault(key, []).append((r, quality))
    for runs in groups.values():
        for i, (a, qa) in enumerate(runs):
            for b, qb in runs[i + 1 :]:
                common = qa.keys() & qb.keys()
                if common and all(
                    abs(qa[k] - qb[k]) <= 1e-9 * max(1.0, abs(qa[k])) for k in common
                ):
                    return _ok([run_ref(a), run_ref(b)])
    return _no(
        "no two runs that each trained (not from cache) the same pipeline version on the same "
        "commit and data with identical quality metrics"
    )


def _baseline_pairs(run: RunFacts) -> list[tuple[str, float, float]]:
    out = []
    for key, value in run.metrics.items():
        if key.startswith("baseline_") and key[len("baseline_") :] in run.metrics:
            name = key[len("baseline_") :]
            out.append((name, run.metrics[name], value))
    return out


def _better(name: str, model: float, baseline: float) -> bool:
    if any(w in name.lower() for w in LOWER_IS_BETTER):
        return model < baseline
    return model > baseline


def _beats(run: RunFacts) -> tuple[bool, str]:
    pairs = _baseline_pairs(run)
    if not pairs:
        return False, f"run #{run.id} has no metric beside its baseline_ twin"
    worse = [f"{n} {m:.4g} vs baseline {b:.4g}" for n, m, b in pairs if not _better(n, m, b)]
    if worse:
        return False, f"run #{run.id} does not beat its baseline: " + "; ".join(worse[:3])
    return True, ""


def _evaluated(ev: Evaluator) -> list[RunFacts]:
    runs = [r for r in ev.ok_runs() if ran_kind(ev, r, {"evaluate"})]
    return sorted(runs, key=lambda r: (r.started_at is None, r.started_at), reverse=True)


def sig_run_baseline(ev: Evaluator, arg: str) -> Outcome:
    """The latest evaluated run's model beats the dummy baseline on every metric pair."""
    runs = _evaluated(ev)
    if not runs:
        return _no("no run in which an Evaluate stage compared the model with a baseline")
    ok, why = _beats(runs[0])
    return _ok_runs([runs[0]]) if ok else _no(why, [run_ref(runs[0])])


def sig_run_importance(ev: Evaluator, arg: str) -> Outcome:
    """The latest evaluated run measured every feature's importance, each one helps, and
    the model beats its baseline."""
    runs = [r for r in _evaluated(ev) if any(k.startswith("importance/") for k in r.metrics)]
    if not runs:
        return _no("no evaluated run measured permutation importance")
    run = runs[0]
    ok, why = _beats(run)
    if not ok:
        return _no(why, [run_ref(run)])
    useless = [
        k.split("/", 1)[1] for k, v in run.metrics.items() if k.startswith("importance/") and v <= 0
    ]
    if useless:
        return _no(
            f"run #{run.id}: features that do not help the model: {', '.join(sorted(useless)[:5])}",
            [run_ref(run)],
        )
    return _ok_runs([run])


def _evaluated_with(ev: Evaluator, prefixes: tuple[str, ...], what: str) -> Outcome:
    runs = [r for r in _evaluated(ev) if any(k.startswith(prefixes) for k in r.metrics)]
    if runs:
        return _ok_runs(runs)
    return _no(f"no run whose Evaluate stage ran logged {what} ({', '.join(prefixes)}...)")


def sig_run_slices(ev: Evaluator, arg: str) -> Outcome:
    return _evaluated_with(ev, ("slice/",), "per-slice metrics")


def sig_run_fairness(ev: Evaluator, arg: str) -> Outcome:
    return _evaluated_with(ev, ("fairness/",), "fairness metrics")


# ----------------------------------------------------------------------------- gates
def sig_data_enforced(ev: Evaluator, arg: str) -> Outcome:
    """A data check against a stored reference stopped a run, or ran set to stop one."""
    stopped, armed = [], []
    for r in ev.facts.runs:
        failed_check = ran_kind(ev, r, {"data_validate"}, "failed")
        if failed_check and r.metrics.get("schema_violations", 0) > 0:
            stopped.append(r)
        elif ran_kind(ev, r, {"data_validate"}) and r.metrics.get("schema_reference") == 1.0:
            armed.append(r)
    if stopped or armed:
        return _ok(run_ref(r) for r in [*stopped, *armed])
    return _no(
        "no run checked its data against a stored reference schema (schema_reference) "
        "or was stopped by a violation"
    )


def sig_gate_champion(ev: Evaluator, arg: str) -> Outcome:
    """A model gate compared the challenger with the champion (and recorded which)."""
    runs = [
        r
        for r in ev.facts.runs
        if ran_kind(ev, r, {"model_validate"}) and r.metrics.get("gate_champion_version", 0) > 0
    ]
    if runs:
        return _ok_runs(runs)
    return _no("no model gate run compared the challenger with the current champion")


def _served_share(ev: Evaluator, wanted: set[str]) -> list[RunFacts]:
    """Serve runs that answered only a share (canary) or scored beside the primary (shadow)."""
    out = []
    for r in ev.facts.runs:
        if not ran_kind(ev, r, {"serve"}):
            continue
        share = r.metrics.get("serve_canary_share", -1.0)
        if ("canary" in wanted and 0.0 < share < 1.0) or (
            "shadow" in wanted and "serve_shadow_agreement" in r.metrics
        ):
            out.append(r)
    return out


def sig_deploy_share(ev: Evaluator, arg: str) -> Outcome:
    """A canary/shadow deployment whose Serve runs answered only a share of the traffic
    (``serve_canary_share`` in (0, 1)) or scored beside the primary (shadow)."""
    wanted = set(arg.split("/")) if arg else {"canary", "shadow", "ab"}
    ds = [
        d
        for d in ev.facts.deployments
        if d.status != "failed" and d.strategy in wanted and 0.0 <= d.traffic_share < 1.0
    ]
    served = _served_share(ev, wanted)
    if ds and served:
        return _ok([*map(deploy_ref, ds), *map(run_ref, served)])
    full = [d for d in ev.facts.deployments if d.strategy in wanted]
    if ds:
        why = "no Serve run answered a share of the traffic for it (serve_canary_share)"
    elif full:
        why = "the ones recorded served all of the traffic"
    else:
        why = "none recorded"
    return _no(
        f"no {' or '.join(sorted(wanted))} deployment served a share of the traffic: {why}",
        map(deploy_ref, full),
    )


def sig_retrain_learned(ev: Evaluator, arg: str) -> Outcome:
    """A run started by a monitoring alert, after an alert, trained on new data and (when
    the registry is known) registered a model whose content differs from the previous one."""
    runs = sorted(
        ((r.started_at, r) for r in ev.facts.runs if r.started_at is not None),
        key=lambda p: p[0],
    )
    last_inputs: dict[str, dict[str, str]] = {}
    seen_digests: set[str] = set()
    why = "no run started by a monitoring alert trained a model"
    for started_at, r in runs:
        made = ev.versions_by_run.get(r.id, [])
        if trained(ev, r) and r.succeeded and r.trigger == "monitor_alert":
            prev = last_inputs.get(r.pipeline_name)
            alert = any(a.created_at and a.created_at <= started_at for a in ev.facts.alerts)
            new_data = bool(r.input_hashes) and dict(r.input_hashes) != prev
            new_model = not ev.facts.registry_known or any(
                mv.digest and mv.digest not in seen_digests for mv in made
            )
            if alert and new_data and new_model:
                return _ok([run_ref(r), *map(version_ref, made)])
            why = (
                f"run #{r.id} (monitor alert) "
                + ("followed no recorded alert" if not alert else "")
                + ("trained on the same data as before" if alert and not new_data else "")
                + (
                    "registered no model different from earlier ones"
                    if alert and new_data and not new_model
                    else ""
                )
            )
        if trained(ev, r) and r.input_hashes:
            last_inputs[r.pipeline_name] = dict(r.input_hashes)
        seen_digests.update(mv.digest for mv in made if mv.digest)
    return _no(why)


def sig_mon_latency(ev: Evaluator, arg: str) -> Outcome:
    """An enabled latency check on a monitor that ran, which alerted when latency crossed it."""
    limits = {
        (pf.name, n): float(pf.pipeline.nodes[n].params.get("max_latency_ms") or 0)
        for pf, n in ev.nodes_of({"monitor"})
    }
    enabled = {k: v for k, v in limits.items() if v > 0}
    if not enabled:
        return _no("no Monitor stage has a latency limit (max_latency_ms is 0: the check is off)")
    runs = [
        r
        for r in ev.facts.runs
        if r.pipeline_name in {p for p, _ in enabled}
        and ran_kind(ev, r, {"monitor"})
        and "latency_ms_mean" in r.metrics
    ]
    if not runs:
        return _no("the latency check has not measured any served predictions yet")
    limit = min(enabled.values())
    over = [r for r in runs if r.metrics["latency_ms_mean"] > limit]
    alerted = {a.run_id for a in ev.facts.alerts if a.kind == "latency"}
    silent = [r for r in over if r.id not in alerted]
    if silent:
        return _no(
            f"latency exceeded {limit:g} ms in {len(silent)} run(s) without a latency alert",
            map(run_ref, silent),
        )
    return _ok_runs(runs)


# ----------------------------------------------------------------------------- releases, CI
def sig_deploy_rate(ev: Evaluator, arg: str) -> Outcome:
    """Distinct model contents released to ``env`` in the last 12 months (re-deploys of one
    content, or of one version, count once)."""
    env, _, n = arg.partition(":")
    need = int(n or 3)
    since = ev.facts.now - timedelta(days=365)
    releases: dict[object, DeploymentFacts] = {}
    for d in sorted(ev.facts.deployments, key=lambda d: d.id):
        if d.status == "failed" or d.env != norm_env(env) or not d.created_at:
            continue
        if d.created_at >= since:
            releases.setdefault(d.digest or (d.model_name, d.model_version), d)
    if len(releases) < need:
        return _no(
            f"{len(releases)} distinct model versions released to {env} in the last 12 months; "
            f"{need} needed (re-deploying the same content is not a release)",
            map(deploy_ref, releases.values()),
        )
    return _ok(map(deploy_ref, releases.values()))


def _ci_commits(ev: Evaluator) -> set[str]:
    commits = {r.commit for r in ev.facts.runs if r.commit}
    if ev.facts.repo_scan is not None and ev.facts.repo_scan.head:
        commits.add(ev.facts.repo_scan.head)
    return commits


def _ci_usable(ev: Evaluator, c: CiResultFacts) -> str:
    """Why a CI suite does not count ("" when it does)."""
    if not c.passed:
        return f"suite '{c.suite}' did not pass ({c.failures + c.errors} of {c.tests} failed)"
    if c.imported_at is not None and ev.facts.now - c.imported_at > CI_MAX_AGE:
        return f"suite '{c.suite}' is older than {CI_MAX_AGE.days} days"
    commits = _ci_commits(ev)
    if not c.commit or not any(
        c.commit.startswith(x[:12]) or x.startswith(c.commit) for x in commits
    ):
        return f"suite '{c.suite}' is not tied to a commit the pipeline ran"
    return ""


TOPIC_WORDS = {
    "feature": ("feature", "transform", "preprocess", "encod", "scal"),
    "model": ("model", "train", "estimator", "predict", "fit"),
}


def ci_signal(kind: str) -> Callable[[Evaluator, str], Outcome]:
    def sig(ev: Evaluator, arg: str) -> Outcome:
        results = [c for c in ev.facts.ci_results if kind == "any" or c.kind == kind]
        if arg:
            words = TOPIC_WORDS.get(arg, (arg,))
            results = [
                c
                for c in results
                if any(w in name.lower() for name in (c.suite, *c.cases) for w in words)
            ]
        good = [c for c in results if not _ci_usable(ev, c)]
        if good:
            return _ok(map(ci_ref, good))
        what = "CI test results" if kind == "any" else f"{kind} test results from CI"
        if arg:
            what += f" covering {arg} code"
        reasons = [_ci_usable(ev, c) for c in results][:3]
        return _no(
            f"no passing {what} on a commit the pipeline ran"
            + (": " + "; ".join(reasons) if reasons else " imported"),
            map(ci_ref, results),
        )

    return sig


# ----------------------------------------------------------------------------- repository
def sig_repo_find(ev: Evaluator, arg: str) -> Outcome:
    """Findings of these kinds in the attached repository's scan, with file and line."""
    from mlops_desktop.core.evidence.findings import FINDING_KINDS

    kinds = arg.split("/")
    for k in kinds:
        if k not in FINDING_KINDS:
            raise RuleError(f"unknown repository finding '{k}'")
    scan = ev.facts.repo_scan
    if scan is None:
        return _no("no repository scanned (attach one: evidence repo PROJECT PATH)")
    found = scan.of(*kinds)
    if not found:
        return _no(
            f"looked in {scan.files} files of {scan.root} for "
            + " or ".join(FINDING_KINDS[k] for k in kinds)
            + "; none found"
        )
    return _ok(EvidenceRef("file", f.where, f"{f.where}: {f.detail}", "", None) for f in found[:12])
