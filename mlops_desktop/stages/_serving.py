"""The serving side of the operate stages: simulate traffic, serve, online experiment,
monitor. Imported through :mod:`mlops_desktop.stages.operate` (the stages' ``impl`` path)."""

from __future__ import annotations

import time
from typing import Any

from mlops_desktop.core.execution import (
    CLASSIFICATION,
    REGRESSION,
    DatasetValue,
    MetricsValue,
    PredictionsValue,
    SplitValue,
    StageContext,
)
from mlops_desktop.core.operate_entities import DeploymentValue, ModelVersionValue
from mlops_desktop.stages._operate_common import (
    align,
    as_frame,
    backend,
    labels_of,
    model_of,
    optional_backend,
    timed_predict,
)

PRED, TRUE, LATENCY, VERSION, SHADOW = (
    "y_pred",
    "y_true",
    "latency_ms",
    "model_version",
    "shadow_pred",
)


# ------------------------------------------------------------------------------ traffic
def simulate_traffic(
    ctx: StageContext, inputs: dict[str, Any], params: dict[str, Any]
) -> dict[str, Any]:
    import numpy as np
    import pandas as pd

    from mlops_desktop.stages._simulate import DriftError, apply_drift, sample_rows

    split: SplitValue = inputs["split"]
    registry = optional_backend(ctx)
    if registry is not None:
        index = registry.next_counter(ctx.run_id, f"simulate_traffic:{ctx.node_id}")
    else:
        index = 0
        ctx.log("no workspace counter: every run draws batch 0")
    amount = params["drift_per_batch"] * index
    rng = np.random.default_rng([params["seed"], index])
    X_all = as_frame(split.X_test, split.feature_names)
    y_all = pd.Series(np.asarray(split.y_test), name=split.target or "target")
    try:
        rows = sample_rows(len(X_all), params["batch_size"], rng)
        X = X_all.iloc[rows].reset_index(drop=True)
        y = y_all.iloc[rows].reset_index(drop=True)
        columns = [c.strip() for c in params["columns"].split(",") if c.strip()]
        X, y = apply_drift(
            X,
            y,
            params["drift"],
            amount,
            columns=columns,
            task=split.task,
            reference=as_frame(split.X_train, split.feature_names),
            rng=rng,
        )
    except DriftError as exc:
        ctx.fail(str(exc))
    target = split.target or "target"
    frame = X.copy()
    frame[target] = np.asarray(y)
    digest = str(pd.util.hash_pandas_object(frame, index=False).sum())
    ctx.log_metric("traffic_batch", index)
    ctx.log_metric("drift_amount", amount)
    ctx.log(
        f"batch {index}: {len(frame):,} rows from the held-out part, drift "
        f"'{params['drift']}' of {amount:g}"
    )
    value = DatasetValue(
        frame,
        target,
        split.task,
        f"traffic batch {index}",
        digest,
        {str(c): str(t) for c, t in frame.dtypes.items()},
    )
    return {"dataset": value}


# ------------------------------------------------------------------------------ serve
def serve(ctx: StageContext, inputs: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    import numpy as np

    dep: DeploymentValue | None = inputs.get("deployment")
    if dep is None:
        dep = _serving_now(ctx, params["environment"].strip() or "production")
    if dep is None:
        return {"predictions": _nothing_served(ctx, inputs["dataset"], params["environment"])}
    X, y = labels_of(inputs["dataset"])
    names = list(dep.model.feature_names)
    try:
        X = align(as_frame(X, names), names)
    except KeyError as exc:
        ctx.fail(f"cannot serve: {exc.args[0]}")
    frame = X.reset_index(drop=True).copy()
    if y is not None:
        frame[TRUE] = np.asarray(y)
    _score(frame, X, dep)
    ctx.check_cancelled()
    log_digest = ctx.log_artifact("inference_log.jsonl", _inference_log(frame, dep), "jsonl")
    n = len(frame)
    mean_latency = float(frame[LATENCY].mean()) if n else 0.0
    ctx.log_metric("served_rows", n)
    ctx.log_metric("serve_latency_ms", mean_latency)
    ctx.log_metric("serve_version", float(dep.primary_version or dep.version))
    if dep.primary is not None and n:
        share = float((frame[VERSION] == dep.version).mean()) if dep.strategy == "canary" else 0.0
        ctx.log_metric(f"serve_{dep.strategy}_version", dep.version)
        ctx.log_metric("serve_primary_version", float(dep.primary_version or 0))
        if dep.strategy == "canary":
            ctx.log_metric("serve_canary_share", share)
            ctx.log(
                f"canary v{dep.version} answered {share:.1%} of the rows (asked "
                f"{dep.traffic_share:.0%}); primary v{dep.primary_version} the rest"
            )
        else:
            agree = float((frame[SHADOW] == frame[PRED]).mean())
            ctx.log_metric("serve_shadow_agreement", agree)
            ctx.log(
                f"shadow v{dep.version} scored every row beside primary "
                f"v{dep.primary_version}, whose answers were served; they agree on {agree:.1%}"
            )
    ctx.log(
        f"scored {n:,} rows with {dep.model_name} v{dep.version} ({dep.strategy} in "
        f"{dep.environment}); mean latency {mean_latency:.4f} ms per row; inference log "
        f"{log_digest[:12]}"
    )
    if params.get("canary_decision_rows", 0) > 0 and inputs.get("deployment") is None:
        _judge_canary(ctx, params["environment"].strip() or "production", params)
    if params["http_endpoint"]:
        _run_endpoint(ctx, dep, params)
    return {"predictions": PredictionsValue(frame, dep.model.task)}


DECISIONS = {"promoted": 1.0, "rolled back": -1.0, "waiting": 0.0}


def _judge_canary(ctx: StageContext, environment: str, params: dict[str, Any]) -> None:
    """After serving: promote or roll back the environment's canary on the labelled rows
    earlier runs served (the app decides and records the deployment event)."""
    verdict = backend(ctx).judge_canary(ctx.run_id, environment, params["canary_decision_rows"])
    if verdict is None:
        return
    ctx.log_metric("canary_decision", DECISIONS[verdict["decision"]])
    ctx.log_metric("canary_rows_judged", float(verdict["canary_rows"]))
    if "canary_error" in verdict:
        ctx.log_metric("canary_error", verdict["canary_error"])
        ctx.log_metric("canary_primary_error", verdict["primary_error"])
    ctx.log(verdict["reason"])


def _serving_now(ctx: StageContext, environment: str) -> DeploymentValue | None:
    """What served ``environment`` when the run started: its primary and, beside it, the
    newest canary or shadow (None when nothing served there)."""
    registry = backend(ctx)
    active = registry.serving(ctx.run_id, environment)
    primary = next((d for d in active if d.strategy == "direct"), None)
    beside = next((d for d in active if d.strategy != "direct"), None)
    if primary is None:
        return None

    def loaded(dep: Any) -> Any:
        version = registry.version_by_id(dep.model_version_id)
        return model_of(version, registry.load_estimator(version))

    main = beside or primary
    return DeploymentValue(
        main.id,
        environment,
        main.strategy,
        float(main.traffic_share),
        main.model_name,
        main.version,
        loaded(main),
        loaded(primary) if beside is not None else None,
        primary.version if beside is not None else None,
    )


def _nothing_served(ctx: StageContext, dataset: DatasetValue, environment: str) -> Any:
    import pandas as pd

    ctx.log(f"no model served '{environment}' when this run started: no rows scored")
    ctx.log_metric("served_rows", 0)
    columns = [c for c in dataset.frame.columns if c != dataset.target]
    frame = pd.DataFrame(columns=[*columns, PRED, VERSION, LATENCY])
    return PredictionsValue(frame, dataset.task)


def _score(frame: Any, X: Any, dep: DeploymentValue) -> None:
    """Fill the prediction, version and latency columns of ``frame`` (row order of X)."""
    import numpy as np

    n = len(X)
    if n == 0:
        for col in (PRED, VERSION, LATENCY):
            frame[col] = []
        return
    if dep.strategy == "canary" and dep.primary is not None:
        rng = np.random.default_rng(dep.deployment_id)
        to_new = rng.random(n) < dep.traffic_share
    else:
        to_new = np.ones(n, dtype=bool)
    pred = np.empty(n, dtype=object)
    latency = np.zeros(n)
    version = np.full(n, dep.version)
    answering = dep.primary if dep.strategy == "shadow" and dep.primary is not None else dep.model
    groups = [
        (to_new, answering, dep.version if answering is dep.model else dep.primary_version),
        (~to_new, dep.primary, dep.primary_version),
    ]
    for mask, model, number in groups:
        if model is None or not mask.any():
            continue
        values, seconds = timed_predict(model.estimator, X.iloc[np.flatnonzero(mask)])
        pred[mask] = list(values)
        latency[mask] = seconds * 1000.0 / int(mask.sum())
        version[mask] = number
    frame[PRED] = _typed(pred)
    frame[VERSION] = version
    frame[LATENCY] = latency
    if dep.strategy == "shadow" and dep.primary is not None:
        values, _ = timed_predict(dep.model.estimator, X)
        frame[SHADOW] = np.asarray(values)


def _typed(values: Any) -> Any:
    """An object array of predictions as a numeric array when every value is numeric."""
    import numpy as np

    try:
        return np.asarray(values.tolist())
    except (TypeError, ValueError):
        return values


def _inference_log(frame: Any, dep: DeploymentValue) -> bytes:
    """One JSON line per scored row: time, environment, model, version, answer, latency."""
    import pandas as pd

    if len(frame) == 0:
        return b""
    log = pd.DataFrame(
        {
            "row": range(len(frame)),
            "time": time.time(),
            "environment": dep.environment,
            "model": dep.model_name,
            "version": frame[VERSION].astype(int).to_numpy(),
            "prediction": frame[PRED].to_numpy(),
            "latency_ms": frame[LATENCY].round(6).to_numpy(),
        }
    )
    return log.to_json(orient="records", lines=True).encode("utf-8")


def _run_endpoint(ctx: StageContext, dep: DeploymentValue, params: dict[str, Any]) -> None:
    from mlops_desktop.stages._endpoint import Endpoint

    names = list(dep.model.feature_names)

    def predict(rows: Any) -> list[Any]:
        import pandas as pd

        if not isinstance(rows, list) or not rows:
            raise ValueError("'rows' must be a non-empty list")
        if isinstance(rows[0], dict):
            frame = align(pd.DataFrame(rows), names)
        else:
            frame = pd.DataFrame(rows, columns=names)
        return [v.item() if hasattr(v, "item") else v for v in dep.model.estimator.predict(frame)]

    info = {"model": dep.model_name, "version": dep.version, "environment": dep.environment}
    try:
        endpoint = Endpoint(params["port"], predict, info, ctx.log)
    except OSError as exc:
        ctx.fail(f"cannot open the endpoint on 127.0.0.1:{params['port']}: {exc.strerror or exc}")
    with endpoint:
        ctx.log(f"endpoint open at {endpoint.url}/predict (closes when this stage ends)")
        deadline = time.monotonic() + params["endpoint_seconds"]
        while time.monotonic() < deadline:
            ctx.check_cancelled()
            time.sleep(0.1)
    ctx.log("endpoint closed")


# ------------------------------------------------------------------------------ experiment
def online_experiment(
    ctx: StageContext, inputs: dict[str, Any], params: dict[str, Any]
) -> dict[str, Any]:
    import numpy as np

    from mlops_desktop.stages._experiment import compare_groups

    value: ModelVersionValue = inputs["model_version"]
    registry = backend(ctx)
    X, y = labels_of(inputs["dataset"])
    if y is None:
        ctx.fail("an online experiment needs labelled data (a target column) to compare versions")
    baseline = registry.version_by_alias(ctx.run_id, value.model_name, params["baseline_alias"])
    if baseline is None or baseline.id == value.model_version_id:
        note = (
            f"no other version of {value.model_name} holds '{params['baseline_alias']}'; "
            "nothing to compare yet"
        )
        ctx.log(note)
        return {"metrics": MetricsValue({"compared": 0.0}, {"note": note})}
    names = list(value.model.feature_names)
    X = align(as_frame(X, names), names)
    base_model = model_of(baseline, registry.load_estimator(baseline))
    rng = np.random.default_rng(params["seed"])
    to_new = rng.random(len(X)) < params["share"]
    if to_new.all() or not to_new.any():
        ctx.fail("the split left one group empty: use more rows or a share nearer 0.5")
    task = value.model.task or (CLASSIFICATION if value.model.classes else REGRESSION)
    y = np.asarray(y)
    per_row = {}
    for label, mask, model in (("a", ~to_new, base_model), ("b", to_new, value.model)):
        pred = model.estimator.predict(X.iloc[np.flatnonzero(mask)])
        truth = y[mask]
        per_row[label] = (
            (pred == truth).astype(float)
            if task == CLASSIFICATION
            else -np.abs(pred.astype(float) - truth.astype(float))
        )
    result = compare_groups(per_row["a"], per_row["b"], rng=rng)
    metric = "accuracy" if task == CLASSIFICATION else "negative_mae"
    values = {
        "compared": 1.0,
        f"{metric}_a": result.mean_a,
        f"{metric}_b": result.mean_b,
        "difference": result.difference,
        "ci_low": result.ci_low,
        "ci_high": result.ci_high,
        "bootstrap_ci_low": result.boot_low,
        "bootstrap_ci_high": result.boot_high,
        "p_value": result.p_value,
        "n_a": float(result.n_a),
        "n_b": float(result.n_b),
    }
    for key, number in values.items():
        ctx.log_metric(f"experiment_{key}", number)
    ctx.log(
        f"{params['design']}: v{baseline.version} (A, n={result.n_a}) {metric} "
        f"{result.mean_a:.4f} vs v{value.version} (B, n={result.n_b}) {result.mean_b:.4f}; "
        f"difference {result.difference:+.4f}, 95% CI [{result.ci_low:+.4f}, "
        f"{result.ci_high:+.4f}]: {result.verdict}"
    )
    details = {
        "design": params["design"],
        "metric": metric,
        "baseline_version": baseline.version,
        "candidate_version": value.version,
        "verdict": result.verdict,
    }
    return {"metrics": MetricsValue(values, details)}


# ------------------------------------------------------------------------------ monitor
def _reference_run(
    ctx: StageContext, frame: Any, key: str, what: str
) -> tuple[int, float, str] | None:
    """(run id, value of ``key``, label) of the first run of this pipeline that logged
    ``key`` while serving the version most of ``frame``'s rows came from (the reference
    run); None, after saying so, when this run is that reference (or nothing is known)."""
    registry = optional_backend(ctx)
    if registry is None or VERSION not in frame.columns or not len(frame):
        return None
    version = float(frame[VERSION].mode().iloc[0])
    found = registry.reference_metric(ctx.run_id, key, {"serve_version": version})
    if found is None:
        ctx.log(f"{what}: this run is the reference for v{version:g}")
        return None
    run_id, reference, label = found
    return int(run_id), float(reference), str(label)


def _latency_against_reference(ctx: StageContext, report: Any, frame: Any, ratio: float) -> None:
    """Compare the latency per row with the first run of this pipeline that served the same
    version (the reference run); a rise of ``ratio`` times or more is a latency alert."""
    if ratio <= 0:
        return
    found = _reference_run(ctx, frame, "serve_latency_ms", "latency")
    if found is None:
        return
    run_id, reference, label = found
    current = report.values["latency_ms_mean"]
    rise = current / reference if reference > 0 else 0.0
    report.values["latency_reference_ms"] = reference
    report.values["latency_ratio"] = rise
    report.details["latency"] = {"reference_run": run_id, "reference_ms": reference, "ratio": rise}
    ctx.log(
        f"latency {current:.4f} ms per row vs {reference:.4f} ms in reference run {label} "
        f"(x{rise:.1f})"
    )
    if rise >= ratio:
        report.add_reason(
            "latency",
            f"latency per row rose x{rise:.1f} against run {label} "
            f"({reference:.4f} -> {current:.4f} ms)",
        )


def _accuracy_against_reference(ctx: StageContext, report: Any, frame: Any, drop: float) -> None:
    """Performance decay: compare the labelled accuracy of the served rows with the first run
    of this pipeline that served the same version with labels (the reference run); a fall of
    ``drop`` or more is a quality alert."""
    current = report.values.get("accuracy")
    if drop <= 0 or current is None:
        return
    found = _reference_run(ctx, frame, "monitor/accuracy", "labelled accuracy")
    if found is None:
        return
    run_id, reference, label = found
    fall = reference - current
    report.values["accuracy_reference"] = reference
    report.values["accuracy_drop"] = fall
    report.details["accuracy"] = {"reference_run": run_id, "reference": reference, "drop": fall}
    ctx.log(
        f"labelled accuracy {current:.3f} vs {reference:.3f} in reference run {label} "
        f"({-fall:+.3f})"
    )
    if fall >= drop:
        report.add_reason(
            "quality",
            f"labelled accuracy fell {fall:.3f} against run {label} "
            f"({reference:.3f} -> {current:.3f})",
        )


def monitor(ctx: StageContext, inputs: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    from mlops_desktop.stages._monitoring import assess

    reference: SplitValue = inputs["reference"]
    frame = inputs["predictions"].frame
    if len(frame) == 0:
        ctx.log("no rows were served: nothing to monitor")
        empty = {"raised": False, "reasons": [], "alert_id": None}
        return {"report": MetricsValue({"rows": 0.0}, {}), "alert": empty}
    ref = as_frame(reference.X_train, reference.feature_names)
    features = [c for c in ref.columns if c in set(frame.columns)]
    if not features:
        ctx.fail(
            "the predictions carry no feature columns to compare with the reference: "
            "connect the predictions of a Serve stage"
        )
    if PRED not in frame.columns:
        ctx.fail("the predictions have no 'y_pred' column")
    report = assess(ref[features], frame, reference.y_train, reference.task, params)
    _latency_against_reference(ctx, report, frame, params["max_latency_ratio"])
    _accuracy_against_reference(ctx, report, frame, params["max_accuracy_drop"])
    for item in report.features:
        ctx.log_metric(f"psi/{item.feature}", item.psi)
        ctx.log_metric(f"p_value/{item.feature}", item.p_value)
    for item in [f for f in report.features if f.drifted][:20]:
        ctx.log(
            f"{item.feature}: PSI {item.psi:.3f} ({item.bins} bins), "
            f"{'KS' if item.test == 'ks' else 'chi-square'} p = {item.p_value:.3g}"
        )
    for key, number in report.values.items():
        ctx.log_metric(f"monitor/{key}", number)  # apart from the model's own test metrics
    ctx.log(report.summary)
    alert: dict[str, Any] = {
        "raised": bool(report.reasons),
        "reasons": report.reasons,
        "alert_id": None,
    }
    if report.reasons:
        registry = optional_backend(ctx)
        message = "; ".join(report.reasons)
        if registry is not None:
            stored = registry.record_alert(
                ctx.run_id,
                ctx.node_id,
                report.kind,
                message,
                {**report.values, "drifted": report.drifted},
            )
            alert["alert_id"] = stored.id
        ctx.log(f"ALERT ({report.kind}): {message}")
    return {"report": MetricsValue(report.values, report.details), "alert": alert}
