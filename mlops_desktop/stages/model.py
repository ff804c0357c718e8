"""Model stages: train, tune, evaluate and the model gate (scikit-learn).

Long fits of tree ensembles grow their trees in chunks (``warm_start``), so they report
progress and stop within a chunk when the run is cancelled. Every stage uses
``ctx.threads`` for ``n_jobs``. The gate's rules are read by a small tokenizer and parser
(comparisons joined by ``and``/``or``); nothing is ever passed to ``eval``. Estimators,
searches and metrics come from :mod:`.portable_model`, whose source exported pipeline
scripts embed, so a script computes its metrics with the code the app runs.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
import warnings
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from mlops_desktop.core.execution import (
    CLASSIFICATION,
    REGRESSION,
    MetricsValue,
    ModelValue,
    PredictionsValue,
    SplitValue,
    StageContext,
)
from mlops_desktop.stages._limits import (
    MAX_IMPORTANCE_COLUMNS,
    check_search_size,
    one_hot_too_big,
    sampled_importance,
)
from mlops_desktop.stages.portable_data import default_preprocessor
from mlops_desktop.stages.portable_model import (
    baseline_metrics,
    calibrated,
    classification_details,
    cross_validated_metrics,
    cv_strategy,
    cv_values,
    feature_importance,
    log_target,
    make_estimator,
    make_search,
    model_pipeline,
    predict_with_scores,
    prediction_metrics,
    regression_details,
    search_folds,
    slice_metrics,
    time_ordered,
)
from mlops_desktop.stages.specs_model import CLASSIFIERS, REGRESSORS


@contextlib.contextmanager
def logged_warnings(ctx: StageContext) -> Iterator[None]:
    """Turn library warnings (convergence...) into log lines instead of noise or errors."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for text in dict.fromkeys(str(w.message).splitlines()[0] for w in caught):
        ctx.log(f"warning: {text}")


def _threads(n_jobs: int) -> Any:
    """joblib work in threads of this process (no process pool to start or leave behind)."""
    from joblib import parallel_config

    return parallel_config(backend="threading", n_jobs=n_jobs)


# ------------------------------------------------------------------------------ fitting
def _check_fit_input(ctx: StageContext, data: SplitValue, estimator_name: str) -> None:
    if data.task == CLASSIFICATION and estimator_name not in CLASSIFIERS:
        ctx.fail(
            f"'{estimator_name}' is a regressor but the target '{data.target}' has classes; "
            f"choose one of {', '.join(CLASSIFIERS)}"
        )
    if data.task == REGRESSION and estimator_name not in REGRESSORS:
        ctx.fail(
            f"'{estimator_name}' is a classifier but the target '{data.target}' is continuous; "
            f"choose one of {', '.join(REGRESSORS)}"
        )
    if data.X_train is None or len(data.X_train) == 0:
        ctx.fail("the training part has no rows")


def _check_one_hot_size(ctx: StageContext, data: SplitValue, X: Any) -> None:
    """Fail, naming the stage that fixes it, when the default preprocessing would one-hot
    encode ``X``'s text columns into a matrix too big to hold (no Feature engineering)."""
    if data.preprocessor is not None:
        return
    found = one_hot_too_big(X)
    if found is None:
        return
    what, column = found
    ctx.fail(
        f"{what}: add a Feature engineering stage before this one with one_hot off (one "
        f"number per text column), or give '{column}' the role ignore in Load data"
    )


def _preprocessor(data: SplitValue, estimator_name: str) -> Any:
    """A fresh copy of the split's preprocessing, or the default one when it has none."""
    from sklearn.base import clone

    if data.preprocessor is not None:
        return clone(data.preprocessor)
    return default_preprocessor(data.X_train, data.task, data.seed, estimator_name)


def _weights(ctx: StageContext, data: SplitValue, est: Any) -> dict[str, Any]:
    """``sample_weight`` for the fit when a column has the weight role."""
    from sklearn.utils.validation import has_fit_parameter

    if data.w_train is None:
        return {}
    if not has_fit_parameter(est, "sample_weight"):
        ctx.fail(f"{type(est).__name__} cannot use row weights: choose another estimator")
    return {"sample_weight": data.w_train.to_numpy(dtype=float)}


CHUNK_SECONDS = 0.4  # a growing ensemble checks for cancel at least this often
# Histogram gradient boosting re-bins the data and replays every earlier tree on each
# warm-start fit (about 50 ms for 15k x 20 rows here), so it grows in chunks only when the
# whole fit is expected to take longer than ONE_FIT_SECONDS, and then in longer chunks.
HGB_SECONDS_PER_CELL_ITERATION = 1.2e-8  # measured on this 2-core machine, 15k x 20 rows
ONE_FIT_SECONDS = 1.0
HGB_CHUNK_SECONDS = 0.8


def _fit(ctx: StageContext, est: Any, X: Any, y: Any, what: str, **fit_params: Any) -> Any:
    """Fit; ensembles grow in chunks sized to take about CHUNK_SECONDS each, so they report
    progress and notice a cancel quickly without many extra fit calls."""
    name = type(est).__name__
    grow = (
        "n_estimators"
        if hasattr(est, "n_estimators")
        else ("max_iter" if "HistGradient" in name else None)
    )
    total = int(est.get_params()[grow]) if grow else 0
    if grow == "max_iter":
        rows, cols = (tuple(getattr(X, "shape", ())) + (0, 0))[:2]
        if rows * cols * total * HGB_SECONDS_PER_CELL_ITERATION <= ONE_FIT_SECONDS:
            grow = None  # quick enough to fit in one go
    if grow is None:
        ctx.progress(0.1, f"fitting {what}")
        est.fit(X, y, **fit_params)
        return est
    target, chunk = CHUNK_SECONDS, max(ctx.threads, total // 20)
    if grow == "max_iter":
        target, chunk = HGB_CHUNK_SECONDS, max(ctx.threads, total // 10)
    est.set_params(warm_start=True)
    done = 0
    while done < total:
        ctx.check_cancelled()
        step = total - done if total - done < 1.5 * chunk else chunk  # no tiny last chunk
        started = time.perf_counter()
        est.set_params(**{grow: done + step})
        est.fit(X, y, **fit_params)
        done += step
        rate = step / max(time.perf_counter() - started, 1e-6)
        chunk = max(ctx.threads, int(rate * target))
        ctx.progress(done / total, f"{what}: {done}/{total}")
    est.set_params(warm_start=False)
    return est


# ------------------------------------------------------------------------------ train
def train(ctx: StageContext, inputs: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    from mlops_desktop.stages._decision import (
        decide_threshold,
        fit_rows,
        model_facts,
        plan_decision,
    )

    data: SplitValue = inputs["split"]
    name = params["estimator"]
    _check_fit_input(ctx, data, name)
    plan = plan_decision(ctx, data, params)
    X_fit, y_fit, w_fit = fit_rows(ctx, data, plan.holds_out_validation)
    est = make_estimator(name, params, ctx.threads)
    kind = type(est).__name__
    weights = _weights(ctx, replace(data, w_train=w_fit), est)
    est = _target_transform(ctx, data, est, params)
    _check_one_hot_size(ctx, data, X_fit)
    pre = _preprocessor(data, name)
    started = time.perf_counter()
    with logged_warnings(ctx):
        try:
            ctx.progress(0.05, "fitting the preprocessing")
            X = pre.fit_transform(X_fit, y_fit)
            if plan.calibration != "none":
                est = calibrated(est, plan.calibration, plan.calibration_folds)
                ctx.progress(0.1, f"fitting with {plan.calibration} calibration")
                est.fit(X, y_fit, **weights)
            else:
                _fit(ctx, est, X, y_fit, name.replace("_", " "), **weights)
        except ValueError as exc:
            ctx.fail(f"training failed: {str(exc).splitlines()[0]}")
    took = time.perf_counter() - started
    ctx.log_metric("fit_seconds", took)
    ctx.log(
        f"trained {kind} on {len(y_fit):,} rows x {X.shape[1]} features "
        f"(from {X_fit.shape[1]} columns) in {took:.2f} s"
        + (" with row weights" if weights else "")
        + (
            f", {plan.calibration} calibration over {plan.calibration_folds} folds inside "
            "those rows"
            if plan.calibration != "none"
            else ""
        )
    )
    pipe = model_pipeline(pre, est)
    pipe = decide_threshold(ctx, pipe, data, plan)
    value = _model_value(pipe, data, name)
    value.params.update(model_facts(plan))
    return {"model": value}


def _target_transform(ctx: StageContext, data: SplitValue, est: Any, params: dict[str, Any]) -> Any:
    """The regressor fitted on log1p(target) when Train's target_transform asks for it."""
    import numpy as np

    if params.get("target_transform", "none") == "none":
        return est
    if data.task != REGRESSION:
        ctx.fail(
            f"target_transform={params['target_transform']} is for regression, but the target "
            f"'{data.target}' has classes"
        )
    parts = [np.asarray(y, dtype=float) for y in (data.y_train, data.y_val) if y is not None]
    low = min(float(np.min(y)) for y in parts)
    if low < 0:
        ctx.fail(
            f"target_transform=log1p needs a target of 0 or more; '{data.target}' goes down "
            f"to {low:g}"
        )
    ctx.log(
        "fitting on log1p of the target; predictions come back through expm1, in the "
        "target's own units"
    )
    return log_target(est)


def _model_value(pipe: Any, data: SplitValue, name: str) -> ModelValue:
    from mlops_desktop.stages._decision import fitted_estimator

    est = fitted_estimator(pipe.named_steps["model"])
    classes = [c.item() if hasattr(c, "item") else c for c in getattr(pipe, "classes_", [])] or None
    params = {
        k: v
        for k, v in est.get_params().items()
        if isinstance(v, int | float | str | bool | type(None))
    }
    return ModelValue(
        pipe,
        data.task,
        list(data.feature_names),
        name,
        params,
        classes,
        data.target,
        data.dataset_hash,
    )


# ------------------------------------------------------------------------------ tune
def tune(ctx: StageContext, inputs: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    from sklearn.model_selection import ParameterGrid

    from mlops_desktop.stages._decision import fit_rows

    data: SplitValue = inputs["split"]
    name = params["estimator"]
    _check_fit_input(ctx, data, name)
    est = make_estimator(name, {"seed": params["seed"]}, 1)
    grid = _parse_grid(ctx, params["grid"], est)
    size = len(ParameterGrid(grid))
    scoring = params["scoring"] or None
    weights = {f"model__{k}": v for k, v in _weights(ctx, data, est).items()}
    est = _target_transform(ctx, data, est, params)
    try:
        kind = cv_strategy(params.get("cv_strategy", "auto"), data.g_train, data.t_train)
    except ValueError as exc:
        ctx.fail(f"tuning: {exc}")
    _check_folds(ctx, data, data.task, int(params["cv"]), kind)
    X, y = data.X_train, data.y_train
    if kind == "kfold":  # the search's own folds validate: the validation rows join them
        X, y, w_fit = fit_rows(ctx, data, hold_out=False)
        if w_fit is not None:
            weights = {"model__sample_weight": w_fit.to_numpy(dtype=float)}
    if kind == "time":  # TimeSeriesSplit reads the rows in time order
        X, y, w = time_ordered(data.t_train, X, y, weights.get("model__sample_weight"))
        weights = {"model__sample_weight": w} if w is not None else {}
    if kind == "group":
        weights["groups"] = data.g_train
    _check_one_hot_size(ctx, data, X)
    search = make_search(
        model_pipeline(_preprocessor(data, name), est),
        grid,
        params["search"],
        search_folds(int(params["cv"]), kind),
        scoring,
        params["n_iter"],
        params["seed"],
        n_jobs=ctx.threads,
    )
    tried = check_search_size(ctx, size, params["search"], params["n_iter"])
    ctx.progress(0.05, f"searching {tried} candidates")
    with logged_warnings(ctx), _threads(ctx.threads):
        try:
            search.fit(X, y, **weights)
        except ValueError as exc:
            ctx.fail(f"search failed: {str(exc).splitlines()[0]}")
    res = search.cv_results_
    candidates = []
    for i, cand in enumerate(_unprefixed(p) for p in res["params"]):
        mean, std = float(res["mean_test_score"][i]), float(res["std_test_score"][i])
        ctx.log_metric("cv_score", mean, step=i)
        ctx.log_metric("cv_score_std", std, step=i)
        for pname, pvalue in cand.items():
            if isinstance(pvalue, int | float) and not isinstance(pvalue, bool):
                ctx.log_metric(f"param/{pname}", float(pvalue), step=i)
        candidates.append(
            {
                "params": cand,
                "mean_score": mean,
                "std_score": std,
                "rank": int(res["rank_test_score"][i]),
            }
        )
        ctx.log(f"candidate {i}: {json.dumps(cand, default=str)} -> {mean:.4f} ± {std:.4f}")
    best = _unprefixed(search.best_params_)
    ctx.log(
        f"best: {json.dumps(best, default=str)} ({search.best_score_:.4f} over "
        f"{type(search.cv).__name__ if kind != 'kfold' else 'k'} folds; the preprocessing was "
        "refitted inside every fold)"
    )
    ctx.log_metric("cv_best_score", float(search.best_score_))
    metrics = MetricsValue(
        {"cv_best_score": float(search.best_score_), "candidates": float(len(candidates))},
        {
            "candidates": candidates,
            "best_params": best,
            "scoring": scoring or "default",
            "strategy": kind,
        },
    )
    return {"model": _model_value(search.best_estimator_, data, name), "results": metrics}


def _unprefixed(params: dict[str, Any]) -> dict[str, Any]:
    """Search parameters named as the estimator names them (without ``model__``, nor the
    ``regressor__`` of a log-target model)."""
    return {
        key.removeprefix("model__").removeprefix("regressor__"): value
        for key, value in params.items()
    }


def _parse_grid(ctx: StageContext, text: str, est: Any) -> dict[str, list[Any]]:
    try:
        grid = json.loads(text)
    except ValueError as exc:
        ctx.fail(f"the grid is not valid JSON: {exc}")
    if not isinstance(grid, dict) or not grid:
        ctx.fail('the grid must be a JSON object such as {"max_depth": [3, 5]}')
    valid = set(est.get_params())
    for key, values in grid.items():
        if key not in valid:
            ctx.fail(
                f"'{key}' is not a parameter of {type(est).__name__} (e.g. {', '.join(sorted(valid)[:8])})"
            )
        if not isinstance(values, list) or not values:
            ctx.fail(f"the grid entry '{key}' must be a non-empty list of values")
    return grid


# ------------------------------------------------------------------------------ evaluate
def evaluate(ctx: StageContext, inputs: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    import pandas as pd

    model: ModelValue = inputs["model"]
    data: SplitValue = inputs["split"]
    from mlops_desktop.stages._decision import evaluation_positive, log_decision

    est, X, y = model.estimator, data.X_test, data.y_test
    task = model.task or data.task
    positive = evaluation_positive(model, data) if task == CLASSIFICATION else None
    with logged_warnings(ctx):
        try:
            y_pred, scores = predict_with_scores(est, X, task)
        except ValueError as exc:
            ctx.fail(f"the model cannot score this data: {str(exc).splitlines()[0]}")
        values = prediction_metrics(y, y_pred, scores, est, task, positive)
        details = (
            classification_details(y, y_pred, scores, est, positive)
            if task == CLASSIFICATION
            else regression_details(y, y_pred)
        )
        log_decision(ctx, model, details)
        ctx.progress(0.4, "baseline")
        baseline = baseline_metrics(data.X_train, data.y_train, X, y, task, positive)
        values.update({f"baseline_{k}": v for k, v in baseline.items()})
        if params.get("cv_folds", 0):
            ctx.progress(0.5, "cross-validation on the training part")
            details["cv"] = _cross_validate(ctx, model, data, task, params)
            values.update(cv_values(details["cv"]))
        if params["slice_column"]:
            details["slices"] = _slices(ctx, data, y_pred, params["slice_column"], task)
        ctx.check_cancelled()
        if params["permutation_importance"]:
            ctx.progress(0.6, "permutation importance")
            with _threads(ctx.threads):
                if X.shape[1] > MAX_IMPORTANCE_COLUMNS:  # wide data: a sample of the columns
                    details["importance"], details["importance_sampled"] = sampled_importance(
                        ctx, est, X, y, params["importance_repeats"], params["seed"], (0.6, 0.3)
                    )
                else:
                    details["importance"] = feature_importance(
                        est, X, y, params["importance_repeats"], params["seed"], ctx.threads
                    )
    for key, value in values.items():
        ctx.log_metric(key, value)
    _log_detail_series(ctx, details)
    ctx.log(
        ", ".join(
            f"{k} {v:.4f}" for k, v in values.items() if not k.startswith(("baseline_", "cv_"))
        )
    )
    frame = pd.DataFrame({"y_true": pd.Series(y).to_numpy(), "y_pred": y_pred})
    if scores is not None and scores[0] == "proba":
        for i, cls in enumerate(getattr(est, "classes_", [])):
            frame[f"proba_{cls}"] = scores[1][:, i]
    return {"metrics": MetricsValue(values, details), "predictions": PredictionsValue(frame, task)}


def _cross_validate(
    ctx: StageContext, model: ModelValue, data: SplitValue, task: str, params: dict[str, Any]
) -> dict[str, Any]:
    """k-fold scores of a clone of the whole pipeline refitted on the training part only:
    stratified/plain, grouped by the group column or time-ordered by the time column."""
    folds = int(params["cv_folds"])
    if folds < 2:
        ctx.fail(f"cv_folds must be 0 (off) or at least 2, not {folds}")
    try:
        kind = cv_strategy(params.get("cv_strategy", "auto"), data.g_train, data.t_train)
    except ValueError as exc:
        ctx.fail(f"cross-validation: {exc}")
    _check_folds(ctx, data, task, folds, kind)
    weights = None if data.w_train is None else data.w_train.to_numpy(dtype=float)

    def after_fold(done: int, total: int) -> None:
        ctx.progress(0.5 + 0.1 * done / total, f"cross-validation: fold {done}/{total}")
        ctx.check_cancelled()

    try:  # folds one after the other (the model itself uses ctx.threads)
        cv = cross_validated_metrics(
            model.estimator,
            data.X_train,
            data.y_train,
            task,
            folds,
            int(params["seed"]),
            weights,
            after_fold,
            kind,
            data.g_train,
            data.t_train,
        )
    except ValueError as exc:
        ctx.fail(f"cross-validation failed: {str(exc).splitlines()[0]}")
    how = {
        "group": f"grouped folds (no '{getattr(data.g_train, 'name', 'group')}' group on both "
        "sides)",
        "time": f"time-ordered folds by '{getattr(data.t_train, 'name', 'time')}' (never "
        "trained on later rows)",
    }.get(kind, "folds")
    for key, row in cv["metrics"].items():
        ctx.log(
            f"cv {key} {row['mean']:.4f} ± {row['std']:.4f} over {folds} {how} of the "
            f"training part (95% CI {row['ci95_low']:.4f} to {row['ci95_high']:.4f})"
        )
    return cv


def _check_folds(ctx: StageContext, data: SplitValue, task: str, folds: int, kind: str) -> None:
    """Fail with one sentence when the training part cannot fill ``folds`` folds."""
    import numpy as np

    y = np.asarray(data.y_train)
    if kind == "group":
        distinct = int(data.g_train.nunique())
        if distinct < folds:
            ctx.fail(
                f"cv_folds={folds} grouped folds need at least {folds} groups in the training "
                f"part; '{data.g_train.name}' has {distinct}"
            )
    elif kind == "time":
        if len(y) <= folds:
            ctx.fail(f"cv_folds={folds} time-ordered folds need more than {folds} training rows")
    elif task == CLASSIFICATION:
        smallest = int(np.unique(y, return_counts=True)[1].min())
        if smallest < folds:
            ctx.fail(
                f"cv_folds={folds} needs at least {folds} training rows of every class; "
                f"the rarest class has {smallest}"
            )
    elif len(y) < folds:
        ctx.fail(f"cv_folds={folds} needs at least {folds} training rows, not {len(y)}")


def _log_detail_series(ctx: StageContext, details: dict[str, Any]) -> None:
    """Curves, matrices and importances as metric series (keys read by the plots)."""
    import numpy as np

    if "confusion_matrix" in details:
        ctx.log_metrics(
            "confusion_matrix", np.asarray(details["confusion_matrix"], dtype=float).ravel()
        )
    for name, xy in (("roc", ("fpr", "tpr")), ("pr", ("recall", "precision"))):
        curve = details.get(f"{name}_curve")
        if curve:
            for axis in xy:
                ctx.log_metrics(f"{name}/{axis}", np.asarray(curve[axis]))
            if "area" in curve:
                ctx.log_metric(f"{name}/area", curve["area"])
    for cls, curve in details.get("roc_curve_per_class", {}).items():
        for axis in ("fpr", "tpr"):
            ctx.log_metrics(f"roc/{cls}/{axis}", np.asarray(curve[axis]))
        if "area" in curve:
            ctx.log_metric(f"roc/{cls}/area", curve["area"])
    calibration = details.get("calibration_curve")
    if calibration:
        for axis in ("predicted", "observed"):
            ctx.log_metrics(f"calibration/{axis}", np.asarray(calibration[axis]))
    if "residuals" in details:
        for axis in ("predicted", "residual"):
            ctx.log_metrics(f"residuals/{axis}", np.asarray(details["residuals"][axis]))
    for row in details.get("importance", []):
        ctx.log_metric(f"importance/{row['feature']}", row["mean"])
        ctx.log_metric(f"importance_std/{row['feature']}", row["std"])


def _slices(
    ctx: StageContext, data: SplitValue, y_pred: Any, column: str, task: str
) -> dict[str, Any]:
    import pandas as pd

    raw = data.raw_test if data.raw_test is not None else data.X_test
    if not isinstance(raw, pd.DataFrame) or column not in raw.columns:
        ctx.fail(f"slice column '{column}' is not a feature column")
    return slice_metrics(raw, data.y_test, y_pred, column, task)


# ------------------------------------------------------------------------------ gate
class RuleError(ValueError):
    """A gate rule that cannot be read or evaluated."""


_TOKEN = re.compile(
    r"\s*(?:(?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)|(?P<op>>=|<=|==|!=|>|<)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_.]*)|(?P<paren>[()])|(?P<arith>[-+]))"
)
_OPS = {
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


def tokenize(text: str) -> list[tuple[str, str]]:
    """``(kind, text)`` tokens: num, op, name, and, or, paren, arith (``+``/``-``)."""
    tokens, pos, text = [], 0, text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise RuleError(f"cannot read the rule at '{text[pos : pos + 12]}'")
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "name" and value.lower() in ("and", "or"):
            kind = value.lower()
        tokens.append((kind, value))
        pos = match.end()
    return tokens


class _Parser:
    """expr := conj ('or' conj)* ; conj := atom ('and' atom)* ; atom := cmp | '(' expr ')'"""

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens, self.i = tokens, 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.i] if self.i < len(self.tokens) else ("end", "")

    def take(self, kind: str) -> str:
        tok = self.peek()
        if tok[0] != kind:
            raise RuleError(f"expected {kind} but found '{tok[1] or 'the end'}'")
        self.i += 1
        return tok[1]

    def parse(self) -> Any:
        tree = self.expr()
        if self.peek()[0] != "end":
            raise RuleError(f"unexpected '{self.peek()[1]}'")
        return tree

    def expr(self) -> Any:
        parts = [self.conj()]
        while self.peek()[0] == "or":
            self.i += 1
            parts.append(self.conj())
        return ("or", parts) if len(parts) > 1 else parts[0]

    def conj(self) -> Any:
        parts = [self.atom()]
        while self.peek()[0] == "and":
            self.i += 1
            parts.append(self.atom())
        return ("and", parts) if len(parts) > 1 else parts[0]

    def atom(self) -> Any:
        if self.peek() == ("paren", "("):
            self.i += 1
            tree = self.expr()
            if self.peek() != ("paren", ")"):
                raise RuleError("a '(' is not closed")
            self.i += 1
            return tree
        left = self.operand()
        op = self.take("op")
        return ("cmp", left, op, self.operand())

    def operand(self) -> tuple[str, Any, float]:
        """A number, or a metric name with an optional offset (``champion_accuracy + 0.005``)."""
        kind, value = self.peek()
        if kind == "num":
            self.i += 1
            return ("num", float(value), 0.0)
        if kind != "name":
            raise RuleError(f"expected a metric name or a number but found '{value or 'the end'}'")
        self.i += 1
        offset = 0.0
        while True:
            kind, text = self.peek()
            if kind == "arith":
                self.i += 1
                offset += (1.0 if text == "+" else -1.0) * float(self.take("num"))
            elif kind == "num" and text[0] in "+-":
                self.i += 1
                offset += float(text)
            else:
                return ("name", value, offset)


def parse_rules(text: str) -> Any:
    if not text.strip():
        raise RuleError("no rules given")
    return _Parser(tokenize(text)).parse()


def evaluate_rules(tree: Any, values: dict[str, float]) -> tuple[bool, list[str]]:
    """Whether the rules hold, and one line per comparison (``✓``/``✗``)."""
    lines: list[str] = []

    def operand(node: tuple[str, Any, float]) -> float:
        if node[0] == "num":
            return node[1]
        if node[1] not in values:
            raise RuleError(f"unknown metric '{node[1]}' (known: {', '.join(sorted(values))})")
        return float(values[node[1]]) + node[2]

    def shown(node: tuple[str, Any, float], number: float) -> str:
        if node[0] == "num":
            return f"{number:g}"
        return node[1] + (f" {'+' if node[2] > 0 else '-'} {abs(node[2]):g}" if node[2] else "")

    def walk(node: Any) -> bool:
        if node[0] == "cmp":
            a, b = operand(node[1]), operand(node[3])
            ok = bool(_OPS[node[2]](a, b))
            lhs, rhs = shown(node[1], a), shown(node[3], b)
            lines.append(f"{'✓' if ok else '✗'} {lhs} {node[2]} {rhs}  ({a:.4g} {node[2]} {b:.4g})")
            return ok
        results = [walk(part) for part in node[1]]  # evaluate all: every line is reported
        return all(results) if node[0] == "and" else any(results)

    return walk(tree), lines


def model_gate_cache_token(params: dict[str, Any]) -> str | None:
    """A gate whose rules name the champion reads the registry, so it always runs."""
    return None if "champion_" in str(params.get("rules", "")) else ""


def model_gate(ctx: StageContext, inputs: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    from mlops_desktop.stages._champion import (
        PREFIX,
        Champion,
        find_champion,
        rule_names,
        rule_values,
    )

    metrics: MetricsValue = inputs["metrics"]
    try:
        tree = parse_rules(params["rules"])
    except RuleError as exc:
        ctx.fail(f"gate rule: {exc}")
    names = rule_names(tree)
    environment = str(params.get("champion_environment") or "production")
    champion = Champion(note="the rules name no champion metric")
    if any(n.startswith(PREFIX) for n in names):
        positive = str(metrics.details.get("positive_class", ""))
        champion = find_champion(ctx, inputs.get("split"), environment, positive)
    values, notes = rule_values(dict(metrics.values), champion, names)
    try:
        passed, lines = evaluate_rules(tree, values)
    except RuleError as exc:
        ctx.fail(f"gate rule: {exc}")
    _log_champion(ctx, champion, dict(metrics.values), notes)
    for line in lines:
        ctx.log(line)
    ctx.log_metric("gate_passed", 1.0 if passed else 0.0)
    if not passed:
        failed = "; ".join(
            line[2:].split("  (")[0] + " (" + line.split("  (")[1]
            for line in lines
            if line.startswith("✗")
        )
        ctx.skip_downstream(_kept_out(champion, dict(metrics.values), names, failed))
    gate = {"passed": passed, "checks": lines, "champion": champion.details(), "notes": notes}
    out = MetricsValue(dict(metrics.values), {**metrics.details, "gate": gate})
    return {"model": inputs["model"], "metrics": out}


def _kept_out(champion: Any, metrics: dict[str, Any], names: set[str], failed: str) -> str:
    """Why the gate keeps the challenger out, champion first: ``champion m v3 stays
    (accuracy 0.9580 vs 0.9370): accuracy > champion_accuracy + 0.005 (0.937 > 0.963)``."""
    if not champion.found:
        return f"model gate not passed: {failed}"
    named = sorted(n[len("champion_") :] for n in names if n.startswith("champion_"))
    shared = [k for k in named if k in champion.values and k in metrics]
    versus = ", ".join(f"{k} {champion.values[k]:.4f} vs {float(metrics[k]):.4f}" for k in shared)
    stays = f"champion {champion.model_name} v{champion.version} stays"
    return f"{stays} ({versus}): {failed}" if versus else f"{stays}: {failed}"


def _log_champion(
    ctx: StageContext, champion: Any, metrics: dict[str, Any], notes: list[str]
) -> None:
    """Log the champion comparison: metrics ``gate_champion_*`` and one line per metric."""
    ctx.log_metric("gate_champion_compared", 1.0 if champion.found else 0.0)
    for note in notes:
        ctx.log(note)
    if not champion.found:
        if champion.note:
            ctx.log(f"champion: {champion.note}")
        return
    ctx.log_metric("gate_champion_version", float(champion.version))
    shared = [k for k in champion.values if k in metrics]
    for key in shared:
        ctx.log_metric(f"gate_champion_{key}", champion.values[key])
    ctx.log(
        f"champion {champion.model_name} v{champion.version} ({champion.environment}) on the "
        f"same {champion.rows} test rows: "
        + ", ".join(
            f"{k} {champion.values[k]:.4f} vs candidate {float(metrics[k]):.4f}" for k in shared
        )
    )
