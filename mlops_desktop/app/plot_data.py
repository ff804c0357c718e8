"""The data behind every plot, fetched from a workspace and shaped as plain arrays (no Qt).

The GUI's plot widgets and the report builder both call these functions, so a plot on screen
and the same plot in a report are drawn from identical numbers. Everything here returns
frozen dataclasses of numpy arrays, lists and dicts.

Metric key conventions read here (written by the evaluate, tune and monitor stages):

* classification scalars ``accuracy``, ``precision``, ``recall``, ``f1``, ``roc_auc``,
  ``log_loss`` and ``baseline_accuracy``; regression ``rmse``, ``mae``, ``r2``;
* ``confusion_matrix``: the matrix flattened row-major (rows = true class, columns =
  predicted class), one point per cell with ``step`` = flat index;
* ``roc/fpr`` + ``roc/tpr`` and ``pr/recall`` + ``pr/precision``: curve points, ``step`` =
  point index (per class for multi-class: ``roc/<class>/fpr`` ...); ``roc/area``,
  ``pr/area`` (average precision) and ``roc/<class>/area``: the exact areas under the full
  curves (the stored points are thinned);
* ``calibration/predicted`` + ``calibration/observed``: the reliability curve of the
  positive class (one point per non-empty probability bin) and ``brier_score``;
* ``residuals/predicted`` + ``residuals/residual``: per test row;
* ``importance/<feature>``: permutation importance (mean), ``importance_std/<feature>``;
* ``cv_score`` (``cv_score_std``): one point per tuning candidate, ``step`` = candidate
  index, and ``param/<name>`` with the candidate's numeric parameter value at that step;
* ``psi/<feature>``: the monitor's population stability index per feature.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from mlops_desktop.core.errors import NotFoundError

if TYPE_CHECKING:
    from mlops_desktop.app.workspace import Workspace
    from mlops_desktop.core.entities import Run

XAxis = Literal["step", "relative", "time"]
X_AXES: tuple[XAxis, ...] = ("step", "relative", "time")
X_AXIS_TITLES: dict[str, str] = {"step": "Step", "relative": "Time since start (s)", "time": "Time"}

# Metrics shown first wherever runs are listed or compared (higher or lower is better).
KEY_METRICS = ("accuracy", "f1", "roc_auc", "r2", "rmse", "mae", "cv_best_score")
NOT_SERIES = (
    "confusion_matrix",
    "roc/",
    "pr/",
    "calibration/",
    "residuals/",
    "param/",
    "importance",
    "cv_score",
)
SKIP_IN_TABLES = (
    "confusion_matrix",
    "roc/",
    "pr/",
    "calibration/",
    "residuals/",
    "param/",
    "cv_score",
    "importance",
)


# --------------------------------------------------------------------------- series


@dataclass(frozen=True)
class Series:
    """One metric of one run: its points in step order."""

    run_id: int
    key: str
    steps: np.ndarray
    values: np.ndarray
    timestamps: np.ndarray

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def x(self, axis: XAxis = "step") -> np.ndarray:
        """The x coordinates for ``axis``: steps, seconds since the first point, or epoch s."""
        if axis == "step":
            return self.steps.astype(np.float64, copy=False)
        if axis == "relative":
            if len(self) == 0:
                return self.timestamps.astype(np.float64)
            return self.timestamps.astype(np.float64) - float(self.timestamps[0])
        if axis == "time":
            return self.timestamps.astype(np.float64, copy=False)
        raise ValueError(f"unknown x axis '{axis}' (choose step, relative or time)")


def is_series_key(key: str) -> bool:
    """Whether a metric is drawn as a line over steps (not a curve, matrix, importance or
    tuning candidate, which have their own plots)."""
    return not key.startswith(NOT_SERIES)


def make_series(
    run_id: int, key: str, steps: Any, values: Any, timestamps: Any | None = None
) -> Series:
    """A :class:`Series` from array-likes, sorted by step when it is not already."""
    v = np.asarray(values, dtype=np.float64)
    s = np.asarray(steps) if steps is not None else np.arange(v.shape[0])
    t = np.asarray(timestamps, dtype=np.float64) if timestamps is not None else np.zeros_like(v)
    if s.shape != v.shape or t.shape != v.shape:
        raise ValueError(f"metric '{key}': steps, values and timestamps differ in length")
    if s.shape[0] > 1 and bool(np.any(np.diff(s) < 0)):
        order = np.argsort(s, kind="stable")
        s, v, t = s[order], v[order], t[order]
    return Series(run_id, key, s, v, t)


def series(ws: Workspace, run_id: int, key: str) -> Series:
    """The history of metric ``key`` of run ``run_id``."""
    steps, values, timestamps = ws.metrics.history(run_id, key)
    return make_series(run_id, key, steps, values, timestamps)


@dataclass(frozen=True)
class RunMetrics:
    """What a run's Metrics tab shows: the run, its latest values and its series."""

    run: Run
    latest: dict[str, float]
    series: dict[str, Series]  # by key, in the order the run logged them
    has_tuning: bool  # a Tune stage logged candidates


def run_metrics(ws: Workspace, run_id: int) -> RunMetrics:
    """Run ``run_id``, the latest value of each of its metrics and every series it logged."""
    run = ws.runs.get(run_id)
    logged = ws.metrics.keys(run_id)
    by_key = {key: series(ws, run_id, key) for key in logged if is_series_key(key)}
    return RunMetrics(run, ws.metrics.latest(run_id), by_key, "cv_score" in logged)


def ema(values: np.ndarray, weight: float) -> np.ndarray:
    """Debiased exponential moving average (TensorBoard's smoothing); ``weight`` in [0, 1).

    NaN points are ignored (the previous average carries over them)."""
    values = np.asarray(values, dtype=np.float64)
    if weight <= 0.0 or values.size == 0:
        return values.copy()
    if not 0.0 <= weight < 1.0:
        raise ValueError("smoothing weight must be in [0, 1)")
    from scipy.signal import lfilter

    finite = np.isfinite(values)
    x = np.where(finite, values, 0.0)
    a = 1.0 - weight
    num = lfilter([a], [1.0, -weight], x)
    # The debiasing denominator counts only the finite points seen so far.
    den = lfilter([a], [1.0, -weight], finite.astype(np.float64))
    with np.errstate(invalid="ignore", divide="ignore"):
        out: np.ndarray = num / den
    return out


# --------------------------------------------------------------------------- runs


def _epoch(moment: datetime | None) -> float:
    return moment.timestamp() if moment is not None else math.nan


def run_row(run: Run, metrics: Mapping[str, float], pipeline: str = "") -> dict[str, Any]:
    """One row of the runs table: id, status, trigger, started, duration, pipeline, metrics."""
    return {
        "id": run.id,
        "number": run.number,
        "pipeline": pipeline,
        "status": str(run.status),
        "trigger": run.trigger,
        "environment": run.environment,
        "started": run.started_at or run.created_at,
        "duration_s": run.duration_s,
        "metrics": dict(metrics),
    }


def table_metric_keys(metric_dicts: Iterable[Mapping[str, float]], limit: int = 4) -> list[str]:
    """The metric columns worth showing for these runs: known key metrics first, then the most
    common other scalar keys, at most ``limit``."""
    counts: dict[str, int] = {}
    for metrics in metric_dicts:
        for key in metrics:
            counts[key] = counts.get(key, 0) + 1
    return keys_by_count(counts, limit)


def keys_by_count(counts: Mapping[str, int], limit: int = 4) -> list[str]:
    """:func:`table_metric_keys` from how many runs logged each key."""
    counts = {k: n for k, n in counts.items() if not k.startswith(SKIP_IN_TABLES) and "/" not in k}
    known = [k for k in KEY_METRICS if k in counts]
    rest = sorted((k for k in counts if k not in known), key=lambda k: (-counts[k], k))
    return (known + rest)[:limit]


def runs_table(
    ws: Workspace, project: str | int, pipeline: str | None = None
) -> list[dict[str, Any]]:
    """Rows for the runs history of a project (newest first)."""
    return runs_table_rows(ws, project, pipeline)[0]


def runs_table_rows(
    ws: Workspace, project: str | int, pipeline: str | None = None, run_ids: Any = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows of the runs table (newest first) and its metric columns, read lean: one column
    query for the runs, the metric columns chosen from how many runs logged each key
    (counted in SQL), and only those metrics' latest values read. ``run_ids``: only these runs."""
    proj = ws.projects.get(project)
    pipeline_id = ws.pipelines.get(proj.id, pipeline).id if pipeline else None
    records = ws.runs.table(proj.id, pipeline_id, run_ids)
    ids = [r["id"] for r in records]
    keys = keys_by_count(ws.metrics.key_counts(ids)) if ids else []
    latest = ws.metrics.latest_many(ids, keys) if keys else {}
    names = {info.id: info.name for info in ws.pipelines.list(proj.id)}
    rows = [
        record_row(r, latest.get(r["id"], {}), names.get(r["pipeline_id"], "")) for r in records
    ]
    return rows, keys


def record_row(
    record: Mapping[str, Any], metrics: Mapping[str, float], pipeline: str = ""
) -> dict[str, Any]:
    """:func:`run_row` from a record of :meth:`RunStore.table`."""
    started, finished = record["started_at"], record["finished_at"]
    return {
        "id": record["id"],
        "number": record.get("number", 0),
        "pipeline": pipeline,
        "status": str(record["status"]),
        "trigger": record["trigger"],
        "environment": record["environment"],
        "started": started or record["created_at"],
        "duration_s": (finished - started).total_seconds() if started and finished else None,
        "metrics": dict(metrics),
        "message": record["message"],
    }


# --------------------------------------------------------------------------- compare


@dataclass(frozen=True)
class RunComparison:
    """Several runs side by side: final metric values and parameters per run."""

    run_ids: list[int]
    labels: list[str]
    metrics: dict[str, np.ndarray]  # key -> value per run (NaN where a run lacks it)
    params: dict[str, list[Any]]  # name -> value per run (None where a run lacks it)
    started: np.ndarray  # epoch seconds per run

    def metric_keys(self) -> list[str]:
        return list(self.metrics)

    def table(self) -> tuple[list[str], list[list[Any]]]:
        """Metrics side by side: one row per metric, one column per run."""
        headers = ["metric", *self.labels]
        rows = [[key, *vals.tolist()] for key, vals in self.metrics.items()]
        return headers, rows


def _flatten_params(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in params.items():
        full = f"{prefix}{name}"
        if isinstance(value, Mapping):
            out.update(_flatten_params(value, f"{full}."))
        else:
            out[full] = value
    return out


def run_params(run: Run) -> dict[str, Any]:
    """A run's parameters flattened to ``node.param`` names (nested dicts joined by dots)."""
    return _flatten_params(run.params)


def build_comparison(
    runs: Sequence[Run],
    latest: Mapping[int, Mapping[str, float]],
    keys: Sequence[str] | None = None,
) -> RunComparison:
    """Shape runs and their latest metric values into a :class:`RunComparison`."""
    run_ids = [r.id for r in runs]
    if keys is None:
        seen: dict[str, None] = {}
        for rid in run_ids:
            for key in latest.get(rid, {}):
                if not key.startswith(SKIP_IN_TABLES):
                    seen.setdefault(key, None)
        known = [k for k in KEY_METRICS if k in seen]
        keys = known + sorted(k for k in seen if k not in known)
    metrics = {
        k: np.array([latest.get(rid, {}).get(k, math.nan) for rid in run_ids], dtype=np.float64)
        for k in keys
    }
    flat = [run_params(r) for r in runs]
    names = sorted({n for p in flat for n in p})
    params = {n: [p.get(n) for p in flat] for n in names}
    return RunComparison(
        run_ids=run_ids,
        labels=[f"#{rid}" for rid in run_ids],
        metrics=metrics,
        params=params,
        started=np.array([_epoch(r.started_at or r.created_at) for r in runs], dtype=np.float64),
    )


def compare(
    ws: Workspace, run_ids: Sequence[int], keys: Sequence[str] | None = None
) -> RunComparison:
    """Latest metrics and parameters of the given runs, in the order given."""
    if not run_ids:
        raise NotFoundError("choose at least one run to compare")
    runs = ws.runs.many(run_ids)  # one query, not one per run
    return build_comparison(runs, ws.metrics.latest_many(list(run_ids)), keys)


def varying_params(comparison: RunComparison) -> list[str]:
    """Parameters whose value differs between the compared runs (the interesting ones)."""
    out = []
    for name, values in comparison.params.items():
        if len({repr(v) for v in values}) > 1:
            out.append(name)
    return out


def param_axis(values: Sequence[Any]) -> tuple[np.ndarray, list[str] | None]:
    """Numeric positions for parameter values. All numbers: the numbers themselves.
    Otherwise categories (with their labels): numbers first in ascending order, then other
    values in first-seen order, then ``none`` (e.g. ``max_depth`` 2, 4, none)."""

    def is_number(v: Any) -> bool:
        return isinstance(v, int | float) and not isinstance(v, bool)

    if all(is_number(v) for v in values):
        return np.array([float(v) for v in values], dtype=np.float64), None
    numbers = sorted({float(v) for v in values if is_number(v)})
    labels = [fmt_number(n) for n in numbers]
    for v in values:
        text = "none" if v is None else fmt_number(v) if is_number(v) else str(v)
        if text not in labels and v is not None:
            labels.append(text)
    if any(v is None for v in values):
        labels.append("none")
    index = {label: i for i, label in enumerate(labels)}
    out = np.array(
        [index["none" if v is None else fmt_number(v) if is_number(v) else str(v)] for v in values],
        dtype=np.float64,
    )
    return out, labels


def fmt_number(value: Any) -> str:
    """A parameter value as a short label: ``4`` not ``4.0``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class GroupStats:
    """A metric grouped by a parameter's value: mean ± population std per group."""

    param: str
    metric: str
    labels: list[str]
    mean: np.ndarray
    std: np.ndarray
    count: np.ndarray
    members: list[list[int]]  # run ids per group


def group_stats(comparison: RunComparison, param: str, metric: str) -> GroupStats:
    """Group the compared runs by ``param`` and summarise ``metric`` (NaN values left out).

    ``std`` is numpy's default (population, ddof=0), so one run gives a std of 0."""
    if param not in comparison.params:
        raise NotFoundError(f"no parameter '{param}' in the compared runs")
    if metric not in comparison.metrics:
        raise NotFoundError(f"no metric '{metric}' in the compared runs")
    groups: dict[str, list[int]] = {}
    for i, v in enumerate(comparison.params[param]):
        groups.setdefault("none" if v is None else str(v), []).append(i)
    values = comparison.metrics[metric]
    labels, means, stds, counts, members = [], [], [], [], []
    for label, idx in groups.items():
        vals = values[idx]
        vals = vals[np.isfinite(vals)]
        labels.append(label)
        means.append(float(np.mean(vals)) if vals.size else math.nan)
        stds.append(float(np.std(vals)) if vals.size else math.nan)
        counts.append(int(vals.size))
        members.append([comparison.run_ids[i] for i in idx])
    return GroupStats(
        param, metric, labels, np.array(means), np.array(stds), np.array(counts), members
    )


# --------------------------------------------------------------------------- trends


@dataclass(frozen=True)
class TimelineEvent:
    """A moment to mark on a time axis: a model version registered, a deployment..."""

    time: float  # epoch seconds
    label: str
    kind: str  # "model_version" | "deployment" | one of LOOP_KINDS
    run_id: int | None = None  # the run the marker opens


# The continuous-training loop as it happened, one marker kind each: a monitor alert, a run
# started by a monitor_alert trigger, a version moved to production, an alias rolled back.
LOOP_KINDS = ("alert", "retrain", "promotion", "rollback")


@dataclass(frozen=True)
class Trend:
    """The last value of one metric in every run of a pipeline, in time order."""

    key: str
    run_ids: np.ndarray
    times: np.ndarray  # epoch seconds of each run's start
    values: np.ndarray
    statuses: list[str]
    events: list[TimelineEvent] = field(default_factory=list)


def timeline_events(ws: Workspace, project: str | int) -> list[TimelineEvent]:
    """Registered model versions and deployments of a project, oldest first."""
    from mlops_desktop.app.registry import RegistryService

    registry = RegistryService(ws)
    events = []
    for model in registry.list_models(project):
        for version in registry.versions(project, model.name):
            events.append(
                TimelineEvent(version.created_at.timestamp(), version.label, "model_version")
            )
    for dep in registry.deployments(project):
        label = f"{dep.model_name} v{dep.version} → {dep.environment}"
        events.append(TimelineEvent(dep.created_at.timestamp(), label, "deployment"))
    return sorted(events, key=lambda e: e.time)


def loop_events(
    ws: Workspace, project: str | int, runs: Sequence[Run] | None = None
) -> list[TimelineEvent]:
    """The continuous-training loop of a project, oldest first: monitor alerts (opening the
    run that raised them), retraining runs (started by a ``monitor_alert`` trigger),
    promotions to production and rollbacks (opening the run that made the move, else the run
    that trained the version). Four bulk reads: alerts, alias history, versions, runs."""
    from mlops_desktop.app.registry import RegistryService
    from mlops_desktop.storage.triggers import TriggerStore

    registry = RegistryService(ws)
    proj = ws.projects.get(project)
    events = [
        TimelineEvent(a.created_at.timestamp(), f"{a.kind} alert: {a.message}", "alert", a.run_id)
        for a in TriggerStore(ws.db).alerts(proj.id)
    ]
    retrains = (  # only those runs are read: a history of 10,000 runs has a few
        ws.runs.list(proj.id, None, with_params=False, trigger="monitor_alert")
        if runs is None
        else [r for r in runs if r.trigger == "monitor_alert"]
    )
    events += [
        TimelineEvent(
            _epoch(r.started_at or r.created_at),
            f"retraining run {r.label} ({r.status.label})",
            "retrain",
            r.id,
        )
        for r in retrains
    ]
    trained_by = {
        (m.name, v.version): v.run_id
        for m in registry.list_models(proj.id)
        for v in registry.versions(proj.id, m.name)
    }
    for t in registry.history(proj.id):
        rollback = t.kind == "rollback"
        if t.to_version is None or not (rollback or t.alias == "production"):
            continue
        run_id = t.run_id or trained_by.get((t.model_name, t.to_version))
        verb = f"{t.alias} rolled back to" if rollback else "promoted to production:"
        label = f"{t.model_name} {verb} v{t.to_version}"
        events.append(
            TimelineEvent(
                t.created_at.timestamp(), label, "rollback" if rollback else "promotion", run_id
            )
        )
    return sorted(events, key=lambda e: e.time)


def build_trend(
    key: str,
    runs: Sequence[Run],
    latest: Mapping[int, Mapping[str, float]],
    events: Sequence[TimelineEvent] = (),
) -> Trend:
    """Runs that logged ``key``, oldest first."""
    chosen = sorted(
        (r for r in runs if key in latest.get(r.id, {})),
        key=lambda r: _epoch(r.started_at or r.created_at),
    )
    return Trend(
        key=key,
        run_ids=np.array([r.id for r in chosen], dtype=np.int64),
        times=np.array([_epoch(r.started_at or r.created_at) for r in chosen], dtype=np.float64),
        values=np.array([latest[r.id][key] for r in chosen], dtype=np.float64),
        statuses=[str(r.status) for r in chosen],
        events=sorted(events, key=lambda e: e.time),
    )


def _pipeline_runs(ws: Workspace, project: str | int, pipeline: str | None) -> list[Run]:
    proj = ws.projects.get(project)
    pipeline_id = ws.pipelines.get(proj.id, pipeline).id if pipeline else None
    return list(ws.runs.list(proj.id, pipeline_id))


def trends(
    ws: Workspace,
    project: str | int,
    pipeline: str | None,
    key: str,
    events: Sequence[TimelineEvent] = (),
) -> Trend:
    """Metric ``key`` across all runs of a pipeline (or of the project when ``pipeline`` is
    None) over time, with optional model-version and deployment ``events``."""
    runs = _pipeline_runs(ws, project, pipeline)
    latest = ws.metrics.latest_many([r.id for r in runs]) if runs else {}
    return build_trend(key, runs, latest, events)


@dataclass(frozen=True)
class DriftTrend:
    """Per-feature drift (e.g. PSI) over time, and the alert threshold."""

    statistic: str
    features: dict[str, tuple[np.ndarray, np.ndarray]]  # feature -> (epoch times, values)
    threshold: float
    events: list[TimelineEvent] = field(default_factory=list)

    def over_threshold(self) -> list[str]:
        """Features whose latest value is above the threshold."""
        return [f for f, (_, v) in self.features.items() if v.size and v[-1] > self.threshold]


def build_drift(
    runs: Sequence[Run],
    latest: Mapping[int, Mapping[str, float]],
    threshold: float,
    statistic: str = "psi",
    events: Sequence[TimelineEvent] = (),
) -> DriftTrend:
    """Collect ``<statistic>/<feature>`` metrics of each run into per-feature time series."""
    prefix = f"{statistic}/"
    points: dict[str, list[tuple[float, float]]] = {}
    for run in runs:
        t = _epoch(run.started_at or run.created_at)
        for key, value in latest.get(run.id, {}).items():
            if key.startswith(prefix):
                points.setdefault(key[len(prefix) :], []).append((t, float(value)))
    features = {}
    for feat in sorted(points):
        pts = sorted(points[feat])
        features[feat] = (np.array([p[0] for p in pts]), np.array([p[1] for p in pts]))
    return DriftTrend(statistic, features, float(threshold), sorted(events, key=lambda e: e.time))


def monitor_threshold(document: Mapping[str, Any], param: str = "psi_threshold") -> float | None:
    """The alert threshold of the first monitor stage in a pipeline document, if any."""
    for node in document.get("nodes", []):
        if node.get("type") == "monitor":
            value = node.get("params", {}).get(param)
            if isinstance(value, int | float):
                return float(value)
            return 0.2  # the monitor stage's default
    return None


DEFAULT_DRIFT_THRESHOLD = 0.2  # the monitor stage's default psi_threshold


def drift_threshold(ws: Workspace, run: Run | None) -> float:
    """The drift alert threshold of ``run``'s pipeline version (its monitor stage's
    ``psi_threshold``), else the monitor stage's default."""
    if run is None:
        return DEFAULT_DRIFT_THRESHOLD
    doc = ws.pipelines.version(run.pipeline_version_id).document
    return monitor_threshold(doc) or DEFAULT_DRIFT_THRESHOLD


def drift(
    ws: Workspace,
    project: str | int,
    pipeline: str | None,
    statistic: str = "psi",
    threshold: float | None = None,
    events: Sequence[TimelineEvent] = (),
) -> DriftTrend:
    """Per-feature drift across the runs of a (monitoring) pipeline. The threshold defaults
    to the monitor stage's ``psi_threshold`` in the newest run's pipeline version."""
    runs = _pipeline_runs(ws, project, pipeline)
    latest = ws.metrics.latest_many([r.id for r in runs]) if runs else {}
    if threshold is None:
        threshold = drift_threshold(ws, runs[0] if runs else None)
    return build_drift(runs, latest, threshold, statistic, events)


# Diagnostics and tuning live in their own module; these names are part of this module's API.
from mlops_desktop.app.plot_diagnostics import (  # noqa: E402
    ARRAY_KEYS,
    Curve,
    Diagnostics,
    Tuning,
    build_diagnostics,
    build_tuning,
    class_labels,
    diagnostics,
    diagnostics_from_predictions,
    trapezoid_area,
    tuning,
)

__all__ = [
    "ARRAY_KEYS",
    "Curve",
    "Diagnostics",
    "DriftTrend",
    "GroupStats",
    "RunComparison",
    "Series",
    "TimelineEvent",
    "Trend",
    "LOOP_KINDS",
    "Tuning",
    "build_comparison",
    "build_diagnostics",
    "build_drift",
    "build_trend",
    "build_tuning",
    "class_labels",
    "compare",
    "diagnostics",
    "diagnostics_from_predictions",
    "drift",
    "ema",
    "group_stats",
    "is_series_key",
    "make_series",
    "monitor_threshold",
    "drift_threshold",
    "param_axis",
    "run_params",
    "run_row",
    "runs_table",
    "series",
    "table_metric_keys",
    "timeline_events",
    "trapezoid_area",
    "trends",
    "loop_events",
    "tuning",
    "varying_params",
]
