"""The data behind the model plots: diagnostics of an evaluated model (confusion matrix, ROC
and precision-recall curves, calibration curve, residuals, permutation importance) and tuning
candidates.

Part of :mod:`mlops_desktop.app.plot_data` (which re-exports these names); see its docstring
for the metric keys read here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from mlops_desktop.app.workspace import Workspace


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
    # reliability curve of the positive class: x = mean predicted probability per bin,
    # y = observed share of positives, area = the Brier score (binary with probabilities)
    calibration: Curve | None = None
    positive: str | None = None  # the positive class of a binary classifier, when recorded
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
    # numpy < 2 names it trapz (numpy 2 removed that name)
    trapezoid: Callable[..., Any] = getattr(np, "trapezoid", None) or getattr(np, "trapz")  # noqa: B009
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
        # The exact area the stage computed from the full curve, when it logged one.
        area = scalars.get(f"{stem}/area", math.nan)
        if not math.isfinite(area) and name == "positive":
            area = scalars.get(area_key, math.nan)
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
    calibration = None
    if "calibration/predicted" in history and "calibration/observed" in history:
        x, y = history["calibration/predicted"][1], history["calibration/observed"][1]
        n = min(x.size, y.size)
        calibration = Curve(x[:n], y[:n], float(scalars.get("brier_score", math.nan)))
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
        calibration=calibration,
        predicted=predicted,
        residuals=residuals,
        importance_names=names,
        importance_mean=np.array([imp[f] for f in names]) if names else None,
        importance_std=np.array([imp_std.get(f, 0.0) for f in names]) if names else None,
    )


ARRAY_KEYS = ("confusion_matrix", "roc/", "pr/", "calibration/", "residuals/")


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
        details = evaluation_details(ws, run_id)
        labels = [str(c) for c in details.get("classes", [])]
        if len(labels) == diag.confusion.shape[0]:
            diag = replace(diag, labels=labels)
        if isinstance(details.get("positive_class"), str):
            diag = replace(diag, positive=details["positive_class"])
    return diag


def class_labels(ws: Workspace, run_id: int) -> list[str]:
    """The class names the evaluate stage of a run recorded (empty when unknown)."""
    return [str(c) for c in evaluation_details(ws, run_id).get("classes", [])]


def evaluation_details(ws: Workspace, run_id: int) -> dict[str, Any]:
    """The details (classes, positive class...) of the first evaluate stage's stored metrics
    output that has classes (empty when there is none)."""
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
        details = getattr(value, "details", {})
        if isinstance(details.get("classes"), list):
            return dict(details)
    return {}


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
