"""How a classifier decides: its positive class, its decision threshold and its calibration.

Train reads its parameters into a :class:`DecisionPlan`; the rows it fits on follow from it
(:func:`fit_rows`): a threshold chosen on the validation part keeps those rows out of the
fit, otherwise they join the training rows, so a carved-out validation part is never
wasted. :func:`decide_threshold` picks the threshold on the validation rows only (never the
test part) and puts it into the model pipeline itself, as scikit-learn's
FixedThresholdClassifier, so the registered and packaged model predicts with it. The
computations are the portable ones (:mod:`.portable_model`) an exported script runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlops_desktop.core.execution import CLASSIFICATION, ModelValue, SplitValue, StageContext
from mlops_desktop.stages.portable_model import (
    choose_threshold,
    class_scores,
    model_positive_class,
    positive_class,
    predict_with_scores,
    with_threshold,
)

# threshold methods that look at the validation part
ON_VALIDATION = ("max_f1", "min_recall", "min_precision")
METHOD_TEXT = {
    "fixed": "set by hand",
    "max_f1": "highest F1",
    "min_recall": "recall at least {target:g}",
    "min_precision": "precision at least {target:g}",
}


@dataclass
class DecisionPlan:
    """What Train was asked for: the positive class (None unless binary), the threshold
    method and its target, and the calibration."""

    positive: Any = None
    method: str = "none"
    target: float = 0.5
    calibration: str = "none"
    calibration_folds: int = 5
    threshold: float | None = None  # set once chosen

    @property
    def holds_out_validation(self) -> bool:
        return self.method in ON_VALIDATION


def plan_decision(ctx: StageContext, data: SplitValue, params: dict[str, Any]) -> DecisionPlan:
    """Train's decision parameters, checked against the data (fails with one sentence)."""
    import numpy as np
    import pandas as pd

    method = str(params.get("threshold", "none"))
    calibration = str(params.get("calibration", "none"))
    wanted = str(params.get("positive_class", "") or "").strip()
    plan = DecisionPlan(
        method=method,
        target=float(params.get("threshold_target", 0.5)),
        calibration=calibration,
        calibration_folds=int(params.get("calibration_folds", 5)),
    )
    asked = [n for n, v in (("threshold", method), ("calibration", calibration)) if v != "none"]
    if data.task != CLASSIFICATION:
        if asked or wanted:
            ctx.fail(
                f"{', '.join(asked + (['positive_class'] if wanted else []))} "
                "applies to classifiers; this target is continuous"
            )
        return plan
    labels = [data.y_train] + ([data.y_val] if data.y_val is not None else [])
    classes = np.unique(np.asarray(pd.concat([pd.Series(np.asarray(v)) for v in labels])))
    try:
        plan.positive = positive_class(classes, data.y_train, wanted)
    except ValueError as exc:
        ctx.fail(str(exc))
    if method != "none" and plan.positive is None:
        ctx.fail(f"a decision threshold needs two classes; the target has {len(classes)}")
    if method in ("min_recall", "min_precision") and not 0.0 < plan.target <= 1.0:
        ctx.fail(f"threshold_target must be in (0, 1] for {method}, not {plan.target:g}")
    if plan.holds_out_validation and (data.X_val is None or len(data.X_val) == 0):
        ctx.fail(
            f"threshold '{method}' is chosen on the validation part, and this split has none: "
            "set Split's validation_size above 0"
        )
    return plan


def fit_rows(ctx: StageContext, data: SplitValue, hold_out: bool) -> tuple[Any, Any, Any]:
    """``(X, y, weights)`` the model is fitted on: the training part, plus the validation
    part unless it is held out (for choosing the threshold)."""
    import pandas as pd

    if data.X_val is None or len(data.X_val) == 0 or hold_out:
        return data.X_train, data.y_train, data.w_train
    X = pd.concat([data.X_train, data.X_val])
    y = pd.concat([pd.Series(data.y_train), pd.Series(data.y_val)])
    w = None
    if data.w_train is not None:
        w = pd.concat([pd.Series(data.w_train), pd.Series(data.w_val)])
    ctx.log(
        f"the validation part ({len(data.X_val):,} rows) joins the training part: "
        "nothing here holds it out"
    )
    return X, y, w


def decide_threshold(ctx: StageContext, pipe: Any, data: SplitValue, plan: DecisionPlan) -> Any:
    """The model pipeline predicting with the threshold ``plan`` asks for (unchanged when
    none): chosen from the validation rows' scores, never from the test part. Logs metric
    ``decision_threshold`` and the validation precision, recall and F1 at it."""
    import numpy as np
    from sklearn import metrics as m

    if plan.method == "none":
        return pipe
    if plan.method == "fixed":
        plan.threshold = plan.target
    else:
        scores = predict_with_scores(pipe, data.X_val, CLASSIFICATION)[1]
        if scores is None:
            ctx.fail("this estimator gives no scores to choose a threshold on")
        pos_scores = class_scores(scores, list(pipe.classes_), plan.positive)
        try:
            plan.threshold = choose_threshold(
                data.y_val, pos_scores, plan.positive, plan.method, plan.target
            )
        except ValueError as exc:
            ctx.fail(f"cannot choose a threshold: {exc}")
    pipe.steps[-1] = ("model", with_threshold(pipe.steps[-1][1], plan.threshold, plan.positive))
    ctx.log_metric("decision_threshold", plan.threshold)
    how = METHOD_TEXT[plan.method].format(target=plan.target)
    if plan.method == "fixed":
        ctx.log(f"decision threshold {plan.threshold:.4g} ({how}) for class '{plan.positive}'")
        return pipe
    is_pos = np.asarray(data.y_val) == plan.positive
    predicted = np.asarray(pipe.predict(data.X_val)) == plan.positive
    at = {
        "precision": m.precision_score(is_pos, predicted, zero_division=0),
        "recall": m.recall_score(is_pos, predicted, zero_division=0),
        "f1": m.f1_score(is_pos, predicted, zero_division=0),
    }
    for key, value in at.items():
        ctx.log_metric(f"validation_{key}", float(value))
    ctx.log(
        f"decision threshold {plan.threshold:.4g} for class '{plan.positive}' chosen on the "
        f"validation part ({len(data.X_val):,} rows, {how}; the test part is not used): "
        + ", ".join(f"{k} {v:.3f}" for k, v in at.items())
    )
    return pipe


def model_facts(plan: DecisionPlan) -> dict[str, Any]:
    """What the model records about its decisions (kept with a registered version)."""
    facts: dict[str, Any] = {}
    if plan.positive is not None:
        facts["positive_class"] = str(plan.positive)
    if plan.threshold is not None:
        facts["decision_threshold"] = float(plan.threshold)
        facts["threshold_method"] = plan.method
    if plan.calibration != "none":
        facts["calibration"] = plan.calibration
    return facts


def fitted_estimator(step: Any) -> Any:
    """The estimator inside a model step (without its threshold and calibration wrappers)."""
    for _ in range(3):
        inner = getattr(step, "estimator", None)
        if inner is None or not (hasattr(step, "threshold") or hasattr(step, "ensemble")):
            return step
        step = inner
    return step


def evaluation_positive(model: ModelValue, data: SplitValue) -> Any:
    """The positive class Evaluate reports for: the model's own (its threshold's, or the one
    Train recorded), else the rarer training class. None unless binary."""
    wanted = str(model.params.get("positive_class", "") or "")
    return model_positive_class(model.estimator, data.y_train, wanted)


def log_decision(ctx: StageContext, model: ModelValue, details: dict[str, Any]) -> None:
    """Say for which class Evaluate reports and with which threshold and calibration; the
    threshold and calibration go into the details too."""
    positive = details.get("positive_class")
    if positive is None:
        return
    final = model.estimator.steps[-1][1] if hasattr(model.estimator, "steps") else None
    threshold = getattr(final, "threshold", None)
    if isinstance(threshold, int | float):
        details["decision_threshold"] = float(threshold)
    calibration = model.params.get("calibration")
    if calibration:
        details["calibration"] = str(calibration)
    ctx.log(
        f"positive class '{positive}' (precision, recall, F1, ROC and PR curves are for it)"
        + (
            f", decision threshold {details['decision_threshold']:.4g}"
            if "decision_threshold" in details
            else ""
        )
        + (f", {calibration}-calibrated probabilities" if calibration else "")
    )
    curve = details.get("calibration_curve")
    if curve:
        ctx.log(
            f"Brier score {curve['brier']:.4f} (calibration curve over {len(curve['rows'])} bins)"
        )
