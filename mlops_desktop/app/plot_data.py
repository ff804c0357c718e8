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
  point index (per class for multi-class: ``roc/<class>/fpr`` ...);
* ``residuals/predicted`` + ``residuals/residual``: per test row;
* ``importance/<feature>``: permutation importance (mean), ``importance_std/<feature>``;
* ``cv_score`` (``cv_score_std``): one point per tuning candidate, ``step`` = candidate
  index, and ``param/<name>`` with the candidate's numeric parameter value at that step;
* ``psi/<feature>``: the monitor's population stability index per feature.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
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
SKIP_IN_TABLES = ("confusion_matrix", "roc/", "pr/", "residuals/", "param/", "cv_score")


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


def run_row(run: Run, metrics: Mapping[str, float]) -> dict[str, Any]:
    """One row of the runs table: id, status, trigger, started, duration and metrics."""
    return {
        "id": run.id,
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
            if not key.startswith(SKIP_IN_TABLES) and "/" not in key:
                counts[key] = counts.get(key, 0) + 1
    known = [k for k in KEY_METRICS if k in counts]
    rest = sorted((k for k in counts if k not in known), key=lambda k: (-counts[k], k))
    return (known + rest)[:limit]


def runs_table(
    ws: Workspace, project: str | int, pipeline: str | None = None
) -> list[dict[str, Any]]:
    """Rows for the runs history of a project (newest first)."""
    proj = ws.projects.get(project)
    pipeline_id = ws.pipelines.get(proj.id, pipeline).id if pipeline else None
    runs = ws.runs.list(proj.id, pipeline_id)
    latest = ws.metrics.latest_many([r.id for r in runs]) if runs else {}
    return [run_row(r, latest.get(r.id, {})) for r in runs]


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
    runs = [ws.runs.get(rid) for rid in run_ids]
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
    kind: str  # "model_version" | "deployment" | anything else


@dataclass(frozen=True)
class Trend:
    """The last value of one metric in every run of a pipeline, in time order."""

    key: str
    run_ids: np.ndarray
    times: np.ndarray  # epoch seconds of each run's start
    values: np.ndarray
    statuses: list[str]
    events: list[TimelineEvent] = field(default_factory=list)


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
        threshold = 0.2
        if runs:
            doc = ws.pipelines.version(runs[0].pipeline_version_id).document
            threshold = monitor_threshold(doc) or threshold
    return build_drift(runs, latest, threshold, statistic, events)


# --------------------------------------------------------------------------- diagnostics


@dataclass(frozen=True)
class Curve:
    """A curve such as ROC (x = false positive rate, y = true positive rate) with its area."""

    x: np.ndarray
    y: np.ndarray
    area: float


@dataclass(frozen=True)
class Diagnostics:
    """What the evaluate stage found about a model on the test part."""

    task: str  # "classification", "regression" or "" when nothing was logged
    scalars: dict[str, float] = field(default_factory=dict)
    confusion: np.ndarray | None = None  # rows = true class, columns = predicted class
    labels: list[str] = field(default_factory=list)
    roc: dict[str, Curve] = field(default_factory=dict)  # class (or "positive") -> curve
    pr: dict[str, Curve] = field(default_factory=dict)  # x = recall, y = precision
    predicted: np.ndarray | None = None  # regression: prediction per test row
    residuals: np.ndarray | None = None  # regression: true - predicted
    importance_names: list[str] = field(default_factory=list)
    importance_mean: np.ndarray | None = None
    importance_std: np.ndarray | None = None

    @property
    def empty(self) -> bool:
        return (
            not (self.scalars or self.roc or self.residuals is not None) and self.confusion is None
        )


def trapezoid_area(x: np.ndarray, y: np.ndarray) -> float:
    """Area under a curve given by points (ROC AUC from its points)."""
    if x.size < 2:
        return math.nan
    order = np.argsort(x, kind="stable")
    trapezoid = getattr(np, "trapezoid", None) or np.trapz  # numpy < 2 lacks trapezoid
    return float(trapezoid(y[order], x[order]))


def _pr_area(recall: np.ndarray, precision: np.ndarray) -> float:
    """Average precision from PR points (step-wise sum, as scikit-learn computes it)."""
    if recall.size < 2:
        return math.nan
    order = np.argsort(recall, kind="stable")
    r, p = recall[order], precision[order]
    return float(np.sum(np.diff(r) * p[1:]))


def _curves(
    history: Mapping[str, tuple[np.ndarray, np.ndarray]],
    prefix: str,
    xk: str,
    yk: str,
    area_key: str,
    scalars: Mapping[str, float],
    area_fn: Any,
) -> dict[str, Curve]:
    out: dict[str, Curve] = {}
    for key in history:
        if not (key.startswith(prefix) and key.endswith(f"/{xk}")):
            continue
        stem = key[: -len(xk) - 1]
        ykey = f"{stem}/{yk}"
        if ykey not in history:
            continue
        name = stem[len(prefix) :].strip("/") or "positive"
        x, y = history[key][1], history[ykey][1]
        n = min(x.size, y.size)
        area = scalars.get(area_key, math.nan) if name == "positive" else math.nan
        if not math.isfinite(area):
            area = area_fn(x[:n], y[:n])
        out[name] = Curve(x[:n], y[:n], float(area))
    return out


def build_diagnostics(
    scalars: Mapping[str, float],
    history: Mapping[str, tuple[np.ndarray, np.ndarray]],
    labels: Sequence[str] | None = None,
) -> Diagnostics:
    """Shape logged metrics (scalars: last values; history: key -> (steps, values) of the
    array-valued keys) into :class:`Diagnostics`, following the key conventions above."""
    confusion = None
    if "confusion_matrix" in history:
        steps, values = history["confusion_matrix"]
        n = int(round(math.sqrt(values.size)))
        if n * n == values.size and n > 0:
            flat = np.zeros(n * n)
            flat[steps.astype(np.int64)] = values
            confusion = flat.reshape(n, n)
    roc = _curves(history, "roc", "fpr", "tpr", "roc_auc", scalars, trapezoid_area)
    pr = _curves(history, "pr", "recall", "precision", "average_precision", scalars, _pr_area)
    predicted = residuals = None
    if "residuals/predicted" in history and "residuals/residual" in history:
        predicted = history["residuals/predicted"][1]
        residuals = history["residuals/residual"][1]
    imp = {k.split("/", 1)[1]: v for k, v in scalars.items() if k.startswith("importance/")}
    imp_std = {k.split("/", 1)[1]: v for k, v in scalars.items() if k.startswith("importance_std/")}
    names = sorted(imp, key=lambda f: -imp[f])
    is_clf = confusion is not None or bool(roc) or "accuracy" in scalars
    is_reg = residuals is not None or "rmse" in scalars or "r2" in scalars
    n_cls = confusion.shape[0] if confusion is not None else 0
    return Diagnostics(
        task="classification" if is_clf else "regression" if is_reg else "",
        scalars={k: float(v) for k, v in scalars.items() if "/" not in k},
        confusion=confusion,
        labels=list(labels) if labels else [str(i) for i in range(n_cls)],
        roc=roc,
        pr=pr,
        predicted=predicted,
        residuals=residuals,
        importance_names=names,
        importance_mean=np.array([imp[f] for f in names]) if names else None,
        importance_std=np.array([imp_std.get(f, 0.0) for f in names]) if names else None,
    )


ARRAY_KEYS = ("confusion_matrix", "roc/", "pr/", "residuals/")


def diagnostics(ws: Workspace, run_id: int) -> Diagnostics:
    """Model diagnostics of a run, from the metrics its evaluate stage logged (class names
    from the evaluate stage's stored metrics output, when it is still there)."""
    scalars = ws.metrics.latest(run_id)
    history = {}
    for key in ws.metrics.keys(run_id):
        if key.startswith(ARRAY_KEYS):
            steps, values, _ = ws.metrics.history(run_id, key)
            history[key] = (np.asarray(steps), np.asarray(values, dtype=np.float64))
    diag = build_diagnostics(scalars, history)
    if diag.confusion is not None:
        labels = class_labels(ws, run_id)
        if len(labels) == diag.confusion.shape[0]:
            diag = replace(diag, labels=labels)
    return diag


def class_labels(ws: Workspace, run_id: int) -> list[str]:
    """The class names the evaluate stage of a run recorded (empty when unknown)."""
    from mlops_desktop.core.errors import MlopsError
    from mlops_desktop.engine import serialize

    run = ws.runs.get(run_id)
    for stage in run.stages:
        digest = stage.outputs.get("metrics") if stage.stage_type == "evaluate" else None
        if not digest:
            continue
        try:
            value = serialize.loads(ws.artifacts.read_bytes(digest))
        except (MlopsError, OSError, ValueError, KeyError):
            continue
        classes = getattr(value, "details", {}).get("classes")
        if isinstance(classes, list):
            return [str(c) for c in classes]
    return []


def diagnostics_from_predictions(
    y_true: Any,
    y_pred: Any,
    scores: Any | None = None,
    labels: Sequence[Any] | None = None,
    task: str = "classification",
) -> Diagnostics:
    """Diagnostics computed here with scikit-learn from test labels and predictions
    (``scores``: class probabilities, one column per label, for ROC and PR curves)."""
    from sklearn import metrics as skm

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if task == "regression":
        resid = y_true.astype(np.float64) - y_pred.astype(np.float64)
        return Diagnostics(
            task="regression",
            scalars={
                "rmse": float(np.sqrt(np.mean(resid**2))),
                "mae": float(np.mean(np.abs(resid))),
                "r2": float(skm.r2_score(y_true, y_pred)),
            },
            predicted=y_pred.astype(np.float64),
            residuals=resid,
        )
    classes = list(labels) if labels is not None else sorted(set(y_true) | set(y_pred))
    scalars = {"accuracy": float(skm.accuracy_score(y_true, y_pred))}
    roc: dict[str, Curve] = {}
    pr: dict[str, Curve] = {}
    if scores is not None:
        proba = np.asarray(scores, dtype=np.float64)
        pairs = (
            [(str(classes[1]), 1)]
            if len(classes) == 2
            else [(str(c), i) for i, c in enumerate(classes)]
        )
        for name, col in pairs:
            positive = (y_true == classes[col]).astype(int)
            fpr, tpr, _ = skm.roc_curve(positive, proba[:, col])
            prec, rec, _ = skm.precision_recall_curve(positive, proba[:, col])
            key = "positive" if len(classes) == 2 else name
            roc[key] = Curve(fpr, tpr, float(skm.auc(fpr, tpr)))
            pr[key] = Curve(rec, prec, float(skm.average_precision_score(positive, proba[:, col])))
        if len(classes) == 2:
            scalars["roc_auc"] = roc["positive"].area
    return Diagnostics(
        task="classification",
        scalars=scalars,
        confusion=skm.confusion_matrix(y_true, y_pred, labels=classes).astype(np.float64),
        labels=[str(c) for c in classes],
        roc=roc,
        pr=pr,
    )


# --------------------------------------------------------------------------- tuning


@dataclass(frozen=True)
class Tuning:
    """A hyperparameter search: the cross-validated score of each candidate."""

    candidates: np.ndarray  # candidate index
    scores: np.ndarray
    score_std: np.ndarray | None
    params: dict[str, np.ndarray]  # parameter -> value per candidate (NaN when not numeric)

    @property
    def best_index(self) -> int:
        if self.scores.size == 0 or not np.isfinite(self.scores).any():
            return -1
        return int(np.nanargmax(self.scores))


def build_tuning(history: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> Tuning:
    """Shape ``cv_score``, ``cv_score_std`` and ``param/<name>`` histories into :class:`Tuning`."""
    if "cv_score" not in history:
        return Tuning(np.array([]), np.array([]), None, {})
    steps, scores = history["cv_score"]
    idx = steps.astype(np.int64)

    def aligned(key: str) -> np.ndarray:
        out = np.full(idx.size, math.nan)
        s, v = history[key]
        where = {int(c): i for i, c in enumerate(idx)}
        for st, val in zip(s.astype(np.int64), v, strict=True):
            if int(st) in where:
                out[where[int(st)]] = val
        return out

    std = aligned("cv_score_std") if "cv_score_std" in history else None
    params = {k.split("/", 1)[1]: aligned(k) for k in sorted(history) if k.startswith("param/")}
    return Tuning(idx, scores.astype(np.float64), std, params)


def tuning(ws: Workspace, run_id: int) -> Tuning:
    """The tuning candidates a run's tune stage logged."""
    history = {}
    for key in ws.metrics.keys(run_id):
        if key in ("cv_score", "cv_score_std") or key.startswith("param/"):
            steps, values, _ = ws.metrics.history(run_id, key)
            history[key] = (np.asarray(steps), np.asarray(values, dtype=np.float64))
    return build_tuning(history)
