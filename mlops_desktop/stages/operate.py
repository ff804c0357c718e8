"""The operate stages: register, package, test, approve and deploy a model (this module),
and simulate traffic, serve, run an online experiment and monitor (:mod:`._serving`).

They reach the workspace's registry through ``ctx.services["registry"]`` (an
:class:`~mlops_desktop.core.operate_entities.OperateBackend`) and the GUI's approval gate
through ``ctx.services["approvals"]``. None of them is ever served from the cache.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from mlops_desktop.core.execution import MetricsValue, ModelValue, ReportValue, StageContext
from mlops_desktop.core.operate_entities import (
    ApprovalDecision,
    ApprovalRequest,
    DeploymentValue,
    ModelVersionValue,
)
from mlops_desktop.stages._operate_common import (
    align,
    as_frame,
    backend,
    finite_metrics,
    model_of,
    never_cache,
)
from mlops_desktop.stages._serving import (  # noqa: F401 - stage implementations by path
    monitor,
    online_experiment,
    serve,
    simulate_traffic,
)

register_model_cache_token = package_cache_token = model_tests_cache_token = never_cache
approve_cache_token = deploy_cache_token = registered_model_cache_token = never_cache
simulate_traffic_cache_token = serve_cache_token = never_cache
online_experiment_cache_token = monitor_cache_token = never_cache


# ------------------------------------------------------------------------------ register
def register_model(
    ctx: StageContext, inputs: dict[str, Any], params: dict[str, Any]
) -> dict[str, Any]:
    import skops.io as sio

    model: ModelValue = inputs["model"]
    metrics: MetricsValue | None = inputs.get("metrics")
    registry = backend(ctx)
    name = params["model_name"].strip()
    if not name:
        ctx.fail("give the registered model a name")
    digest = ctx.log_artifact("model.skops", sio.dumps(model.estimator), "skops")
    alias = None if params["alias"] == "none" else params["alias"]
    version = registry.register_version(
        ctx.run_id,
        name,
        artifact_digest=digest,
        params={"estimator": model.estimator_name, **model.params},
        metrics=finite_metrics(metrics.values) if metrics is not None else {},
        dataset_hashes={"training": model.dataset_hash} if model.dataset_hash else {},
        task=model.task,
        feature_names=list(model.feature_names),
        alias=alias,
    )
    ctx.log_metric("model_version", version.version)
    ctx.log(f"registered {version.label}" + (f" as '{alias}'" if alias else ""))
    return {
        "model_version": ModelVersionValue(version.id, version.model_name, version.version, model)
    }


# ------------------------------------------------------------------------------ source
def registered_model(
    ctx: StageContext, inputs: dict[str, Any], params: dict[str, Any]
) -> dict[str, Any]:
    registry = backend(ctx)
    name, select = params["model_name"].strip(), params["select"]
    version = registry.select_version(ctx.run_id, name, select, params["alias"], params["version"])
    if version is None:
        wanted = {
            "latest_approved": "no approved version",
            "alias": f"no version holding '{params['alias']}'",
            "version": f"no version {params['version']}",
            "latest": "no version",
        }[select]
        ctx.fail(f"the registry has {wanted} of '{name}'")
    model = model_of(version, registry.load_estimator(version))
    ctx.log(
        f"took {version.label} from the registry ({select.replace('_', ' ')})"
        + (f"; approved by {version.approver}" if version.approval == "approved" else "")
    )
    ctx.log_metric("model_version", version.version)
    out = ModelVersionValue(
        version.id, version.model_name, version.version, model, version.approval, version.approver
    )
    return {"model_version": out}


# ------------------------------------------------------------------------------ package
def package(ctx: StageContext, inputs: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    import skops.io as sio

    from mlops_desktop.stages._package import (
        environment_spec,
        model_card,
        requirements_text,
        write_package,
    )

    value: ModelVersionValue = inputs["model_version"]
    registry = backend(ctx)
    version = registry.version_by_id(value.model_version_id)
    env = environment_spec()
    card = model_card(
        version,
        value.model,
        intended_use=params["intended_use"],
        limitations=params["limitations"],
        env=env,
        checks=_flat_checks(value.checks),
    )
    files = {
        "model.skops": sio.dumps(value.model.estimator),
        "MODEL_CARD.md": card.encode("utf-8"),
        "requirements.txt": requirements_text(env).encode("utf-8"),
        "environment.json": _json(
            {
                **env,
                "model": version.model_name,
                "version": version.version,
                "features": list(version.feature_names),
            }
        ),
    }
    target = params["output_folder"].strip() or registry.package_folder(
        ctx.run_id, version.model_name, version.version
    )
    folder = Path(target).expanduser()
    if params["output_folder"].strip():
        folder = folder / f"{_safe(version.model_name)}-v{version.version}"
    try:
        folder, zip_path, digests = write_package(folder, files)
    except OSError as exc:
        ctx.fail(f"cannot write the package to {folder}: {exc.strerror or exc}")
    zip_digest = ctx.log_artifact(zip_path.name, zip_path.read_bytes(), "zip")
    ctx.log(f"packaged {version.label} in {folder} and {zip_path.name}")
    report = {
        "folder": str(folder),
        "zip": str(zip_path),
        "zip_digest": zip_digest,
        "files": digests,
        "environment": env,
    }
    out = ModelVersionValue(
        value.model_version_id,
        value.model_name,
        value.version,
        value.model,
        value.approval,
        value.approver,
        {**value.checks, "package": {"zip_digest": zip_digest}},
    )
    return {"model_version": out, "package": ReportValue("package", report)}


def _json(doc: dict[str, Any]) -> bytes:
    import json

    return json.dumps(doc, indent=2, sort_keys=True).encode("utf-8")


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def _flat_checks(checks: dict[str, Any]) -> dict[str, Any]:
    tests = checks.get("tests") or {}
    return {k: v for k, v in tests.items() if not isinstance(v, dict | list)}


# ------------------------------------------------------------------------------ tests
def model_tests(
    ctx: StageContext, inputs: dict[str, Any], params: dict[str, Any]
) -> dict[str, Any]:
    import numpy as np

    value: ModelVersionValue = inputs["model_version"]
    est, names = value.model.estimator, list(value.model.feature_names)
    X = as_frame(inputs["split"].X_test, names)
    try:
        X = align(X, names)
    except KeyError as exc:
        ctx.fail(f"model tests: {exc.args[0]}")
    if len(X) == 0:
        ctx.fail("model tests need rows: the test part is empty")
    problems: list[str] = []
    pred = est.predict(X)
    numeric = np.asarray(pred).dtype.kind in "fc"
    finite = bool(np.all(np.isfinite(np.asarray(pred, float)))) if numeric else True
    if hasattr(est, "predict_proba"):
        finite = finite and bool(np.all(np.isfinite(est.predict_proba(X))))
    if not finite:
        problems.append("the model returns NaN or infinite values")
    deterministic = bool(np.array_equal(np.asarray(pred), np.asarray(est.predict(X))))
    if not deterministic:
        problems.append("two predictions of the same rows differ")
    rng = np.random.default_rng(params["seed"])
    shuffled = X[[names[i] for i in rng.permutation(len(names))]] if names else X
    invariant = bool(
        np.array_equal(np.asarray(pred), np.asarray(est.predict(align(shuffled, names))))
    )
    if not invariant:
        problems.append("predictions change with the column order")
    ctx.progress(0.4, "load test")
    load = _load_test(ctx, est, X, params["load_rows"], rng)
    if load["latency_ms_p50"] > params["max_latency_ms"] > 0:
        problems.append(
            f"median one-row latency {load['latency_ms_p50']:.2f} ms exceeds "
            f"{params['max_latency_ms']:g} ms"
        )
    values = {
        "no_nan_or_inf": float(finite),
        "deterministic": float(deterministic),
        "column_order_invariant": float(invariant),
        **load,
        "passed": float(not problems),
    }
    for key, number in values.items():
        ctx.log_metric(f"test_{key}", number)
    ctx.log(
        f"load test: {load['throughput_rows_per_s']:,.0f} rows/s in batch, one row "
        f"{load['latency_ms_p50']:.2f} ms (median), {load['latency_ms_p95']:.2f} ms (p95)"
    )
    for problem in problems:
        ctx.log(f"check failed: {problem}")
    if problems and params["fail_on_problem"]:
        ctx.fail("model tests failed: " + "; ".join(problems))
    checks = {"tests": {**values, "problems": problems}}
    out = ModelVersionValue(
        value.model_version_id,
        value.model_name,
        value.version,
        value.model,
        value.approval,
        value.approver,
        {**value.checks, **checks},
    )
    return {"model_version": out, "report": MetricsValue(values, {"problems": problems})}


def _load_test(ctx: StageContext, est: Any, X: Any, rows: int, rng: Any) -> dict[str, float]:
    batch = X.iloc[rng.integers(0, len(X), size=rows)]
    start = time.perf_counter()
    est.predict(batch)
    elapsed = max(time.perf_counter() - start, 1e-9)
    single: list[float] = []
    for i in range(min(rows, 100)):
        if i % 20 == 0:
            ctx.check_cancelled()
        row = batch.iloc[[i]]
        t0 = time.perf_counter()
        est.predict(row)
        single.append((time.perf_counter() - t0) * 1000.0)
    single.sort()
    return {
        "rows": float(rows),
        "throughput_rows_per_s": rows / elapsed,
        "latency_ms_p50": statistics.median(single),
        "latency_ms_p95": single[min(len(single) - 1, int(round(0.95 * (len(single) - 1))))],
    }


# ------------------------------------------------------------------------------ approve
def approve(ctx: StageContext, inputs: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    value: ModelVersionValue = inputs["model_version"]
    registry = backend(ctx)
    provider = ctx.services.get("approvals") if ctx.services else None
    policy = params["headless_policy"]
    decision = None
    if provider is not None:
        version = registry.version_by_id(value.model_version_id)
        minutes = float(params.get("timeout_minutes") or 0.0)
        deadline = time.time() + minutes * 60.0 if minutes > 0 else None
        ctx.progress(0.0, f"waiting for approval of {value.label}")
        ctx.log(
            f"waiting for a person to approve or reject {value.label}"
            + (f" (at most {minutes:g} min, then: {POLICY_WORDS[policy]})" if deadline else "")
        )
        request = ApprovalRequest(
            ctx.run_id, ctx.node_id, version, _summary(value), deadline, POLICY_WORDS[policy]
        )
        decision = provider.request(request, ctx.check_cancelled)
        if decision is None:
            ctx.log(f"nobody answered within {minutes:g} min: following the headless policy")
            decision = _policy(value, policy, why=f"no answer within {minutes:g} min")
    else:
        decision = _policy(value, policy)
    registry.record_approval(
        ctx.run_id, value.model_version_id, decision.approved, decision.approver, decision.comment
    )
    verdict = "approved" if decision.approved else "rejected"
    ctx.log(
        f"{value.label} {verdict} by {decision.approver}"
        + (f": {decision.comment}" if decision.comment else "")
    )
    ctx.log_metric("approved", float(decision.approved))
    if not decision.approved:
        ctx.skip_downstream(
            f"{value.label} was rejected by {decision.approver}"
            + (f" ({decision.comment})" if decision.comment else "")
        )
    out = ModelVersionValue(
        value.model_version_id,
        value.model_name,
        value.version,
        value.model,
        verdict,
        decision.approver,
        value.checks,
    )
    return {"model_version": out}


POLICY_WORDS = {
    "approve": "approve",
    "reject": "reject",
    "approve_if_checks_pass": "approve if the model tests passed",
}


def _policy(value: ModelVersionValue, policy: str, why: str = "") -> ApprovalDecision:
    """The decision of the headless policy; ``why`` says why no person decided."""
    lead = f"headless policy ({why})" if why else "headless policy"
    if policy == "approve":
        return ApprovalDecision(True, "auto", f"{lead}: approve")
    if policy == "approve_if_checks_pass":
        tests = value.checks.get("tests")
        if tests is None:
            return ApprovalDecision(False, "auto", f"{lead}: no model tests ran")
        passed = bool(tests.get("passed"))
        note = "model tests passed" if passed else "model tests failed"
        return ApprovalDecision(passed, "auto", f"{lead}: {note}")
    return ApprovalDecision(
        False, "auto", f"{lead}: reject" if why else f"{lead}: reject (nobody at the screen)"
    )


def _summary(value: ModelVersionValue) -> str:
    tests = value.checks.get("tests") or {}
    if not tests:
        return "No model tests ran before this gate."
    state = "passed" if tests.get("passed") else "failed"
    return (
        f"Model tests {state}; median latency {tests.get('latency_ms_p50', 0):.2f} ms, "
        f"{tests.get('throughput_rows_per_s', 0):,.0f} rows/s."
    )


# ------------------------------------------------------------------------------ deploy
def deploy(ctx: StageContext, inputs: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    value: ModelVersionValue = inputs["model_version"]
    registry = backend(ctx)
    if value.approval == "rejected":
        ctx.fail(f"{value.label} was rejected; it cannot be deployed")
    env, strategy = params["environment"], params["strategy"]
    share = 1.0 if strategy == "direct" else params["traffic_share"]
    approver = value.approver or "auto"
    deployment = registry.deploy(ctx.run_id, value.model_version_id, env, strategy, share, approver)
    if deployment.strategy != strategy:
        ctx.log(
            f"no version serves {env} yet: {value.label} becomes its primary "
            f"instead of a {strategy}"
        )
        strategy, share = deployment.strategy, deployment.traffic_share
    primary = primary_version = None
    if strategy != "direct":
        current = registry.active_deployment(ctx.run_id, env)
        if current is not None and current.model_version_id != value.model_version_id:
            version = registry.version_by_id(current.model_version_id)
            primary, primary_version = (
                model_of(version, registry.load_estimator(version)),
                version.version,
            )
    ctx.log_metric("deployed_version", value.version)
    where = f"{env} ({strategy}" + (f", {share:.0%} of traffic)" if strategy == "canary" else ")")
    ctx.log(
        f"deployed {value.label} to {where}; approver: {approver}"
        + (f"; v{primary_version} keeps serving the rest" if primary_version else "")
    )
    out = DeploymentValue(
        deployment.id,
        env,
        strategy,
        float(share),
        value.model_name,
        value.version,
        value.model,
        primary,
        primary_version,
    )
    return {"deployment": out}
