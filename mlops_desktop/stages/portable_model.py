"""Model computations shared by the model stages and by exported pipeline scripts.

The built-in stages (:mod:`.model`) call these functions, and the Python exporter copies
their source text unchanged into the scripts it writes, so a script prints the very
metrics the app logs. The same rules as in :mod:`.portable_data` hold: only the standard
library at module level, scikit-learn and NumPy imported inside the functions, no state
besides constants, nothing of the app (progress, cancelling, threads and logging stay in
the stages).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

CLASSIFICATION = "classification"
CURVE_POINTS = 200  # ROC and precision-recall curves are thinned to at most this many points
RESIDUAL_POINTS = 1000  # residual plots show at most this many test rows
MAX_SLICES = 20  # slices reported per column (the most frequent values)
IMPORTANCE_ROWS = 2000  # permutation importance scores a random sample of at most this many rows


# ------------------------------------------------------------------------------ estimators
def make_estimator(name: str, params: dict[str, Any], n_jobs: int | None = None) -> Any:
    """A fresh scikit-learn estimator for a catalogue name and the train stage's parameters."""
    from sklearn import ensemble, linear_model, neighbors, svm

    p, seed, depth = params, params.get("seed", 0), params.get("max_depth")
    forest = {
        "n_estimators": p.get("n_estimators", 100),
        "max_depth": depth,
        "random_state": seed,
        "n_jobs": n_jobs,
    }
    boosting = {
        "learning_rate": p.get("learning_rate", 0.1),
        "max_depth": depth,
        "max_iter": p.get("max_iter", 200),
        "random_state": seed,
        "early_stopping": False,
    }
    weights = None if p.get("class_weight", "none") == "none" else p["class_weight"]
    builders = {
        "logistic_regression": lambda: linear_model.LogisticRegression(
            C=p.get("C", 1.0), max_iter=p.get("max_iter", 200), class_weight=weights
        ),
        "random_forest": lambda: ensemble.RandomForestClassifier(**forest, class_weight=weights),
        "hist_gradient_boosting": lambda: ensemble.HistGradientBoostingClassifier(
            **boosting, class_weight=weights
        ),
        "svc": lambda: svm.SVC(
            C=p.get("C", 1.0),
            kernel=p.get("kernel", "rbf"),
            random_state=seed,
            class_weight=weights,
        ),
        "k_neighbors": lambda: neighbors.KNeighborsClassifier(
            n_neighbors=p.get("n_neighbors", 5), n_jobs=n_jobs
        ),
        "ridge": lambda: linear_model.Ridge(alpha=p.get("alpha", 1.0)),
        "random_forest_regressor": lambda: ensemble.RandomForestRegressor(**forest),
        "hist_gradient_boosting_regressor": lambda: ensemble.HistGradientBoostingRegressor(
            **boosting
        ),
    }
    if name not in builders:
        raise ValueError(f"unknown estimator {name!r}")
    return builders[name]()


TARGET_TRANSFORMS = ("none", "log1p")


def log_target(regressor: Any) -> Any:
    """``regressor`` fitted on log1p(target): its predictions come back through expm1, in
    the target's own units (so every metric is in those units too)."""
    import numpy as np
    from sklearn.compose import TransformedTargetRegressor

    return TransformedTargetRegressor(regressor=regressor, func=np.log1p, inverse_func=np.expm1)


def model_pipeline(preprocessor: Any, estimator: Any) -> Any:
    """The model: one scikit-learn Pipeline of the preprocessing and the estimator, which
    scores raw rows of the original columns."""
    from sklearn.pipeline import Pipeline

    return Pipeline([("preprocess", preprocessor), ("model", estimator)])


def make_search(
    estimator: Any,
    grid: dict[str, list[Any]],
    search: str,
    cv: Any,
    scoring: str | None,
    n_iter: int = 10,
    random_state: int = 0,
    n_jobs: int | None = None,
) -> Any:
    """A cross-validated search: every candidate of ``grid`` (search "grid"), or ``n_iter``
    of them drawn at random with ``random_state`` (search "random"; at most all of them);
    the best is refitted on all the data. When ``estimator`` is a model pipeline the grid
    names the estimator's parameters, and the preprocessing is refitted inside every fold.
    ``cv`` is a number of folds or a splitter (see search_folds)."""
    from sklearn.model_selection import GridSearchCV, ParameterGrid, RandomizedSearchCV

    if hasattr(estimator, "named_steps"):
        inner = hasattr(estimator.named_steps["model"], "regressor")  # a log-target model
        step = "model__regressor__" if inner else "model__"
        grid = {key if "__" in key else f"{step}{key}": values for key, values in grid.items()}

    common = {"cv": cv, "scoring": scoring, "n_jobs": n_jobs, "refit": True}
    if search == "grid":
        return GridSearchCV(estimator, grid, **common)
    n_iter = min(n_iter, len(ParameterGrid(grid)))
    return RandomizedSearchCV(estimator, grid, n_iter=n_iter, random_state=random_state, **common)


# ------------------------------------------------------------------------------ predictions
def predict_with_scores(model: Any, X: pd.DataFrame, task: str) -> tuple[Any, Any]:
    """Predictions and, for a classifier, its scores as ``("proba", class probabilities)``
    or ``("decision", decision values)`` (None when it has neither)."""
    scores = None
    if task == CLASSIFICATION:
        if hasattr(model, "predict_proba"):
            scores = ("proba", model.predict_proba(X))
        elif hasattr(model, "decision_function"):
            scores = ("decision", model.decision_function(X))
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    thresholded = hasattr(final, "threshold")  # predict() applies a decision threshold
    if (
        scores is not None
        and scores[0] == "proba"
        and hasattr(model, "classes_")
        and not thresholded
    ):
        return model.classes_[scores[1].argmax(axis=1)], scores  # what predict() computes
    return model.predict(X), scores


def prediction_metrics(
    y: Any, y_pred: Any, scores: Any, model: Any, task: str, positive: Any = None
) -> dict[str, float]:
    """The metrics of ``task`` (see classification_metrics and regression_metrics)."""
    if task == CLASSIFICATION:
        return classification_metrics(y, y_pred, scores, model, positive)
    return regression_metrics(y, y_pred)


def classification_metrics(
    y: Any, y_pred: Any, scores: Any, model: Any, positive: Any = None
) -> dict[str, float]:
    """Accuracy, balanced accuracy, precision, recall, F1 (of the ``positive`` class when
    binary, the second class when None; weighted over classes otherwise), macro-F1 and, from
    the scores, ROC AUC, PR AUC (average precision of the positive class, binary), log loss
    and the Brier score (of the positive class when binary)."""
    import numpy as np
    from sklearn import metrics as m

    classes = list(getattr(model, "classes_", np.unique(y)))
    binary = len(classes) == 2
    avg = "binary" if binary else "weighted"
    pos = (classes[1] if positive is None else positive) if binary else 1
    values = {
        "accuracy": float(m.accuracy_score(y, y_pred)),
        "precision": float(
            m.precision_score(y, y_pred, average=avg, pos_label=pos, zero_division=0)
        ),
        "recall": float(m.recall_score(y, y_pred, average=avg, pos_label=pos, zero_division=0)),
        "f1": float(m.f1_score(y, y_pred, average=avg, pos_label=pos, zero_division=0)),
        "balanced_accuracy": float(m.balanced_accuracy_score(y, y_pred)),
        "f1_macro": float(m.f1_score(y, y_pred, average="macro", zero_division=0)),
    }
    if scores is None or len(np.unique(y)) < 2:
        return values
    kind, s = scores
    try:
        if binary:
            is_pos = np.asarray(y) == pos
            pos_scores = class_scores(scores, classes, pos)
            values["roc_auc"] = float(m.roc_auc_score(is_pos, pos_scores))
            values["pr_auc"] = float(m.average_precision_score(is_pos, pos_scores))
            if kind == "proba":
                values["brier_score"] = float(m.brier_score_loss(is_pos, pos_scores))
        elif kind == "proba":
            values["roc_auc"] = float(m.roc_auc_score(y, s, multi_class="ovr", labels=classes))
            values["brier_score"] = float(m.brier_score_loss(y, s, labels=classes))
        if kind == "proba":
            values["log_loss"] = float(m.log_loss(y, s, labels=classes))
    except ValueError:
        pass
    return values


def class_scores(scores: Any, classes: list[Any], positive: Any) -> Any:
    """The scores of one class of a binary classifier: its probability column, or the
    decision value signed so that larger means ``positive``."""
    kind, s = scores
    index = list(classes).index(positive)
    if kind == "proba":
        return s[:, index]
    return s if index == 1 else -s


def positive_class(classes: Any, y_train: Any, wanted: str = "") -> Any:
    """The positive class of a binary problem: the class written ``wanted``, or else the
    rarer class of the training labels (the second class when both are as frequent); None
    when there are not two classes. Raises ValueError when no class is written ``wanted``."""
    import numpy as np

    classes = list(classes)
    if len(classes) != 2:
        if wanted:
            raise ValueError(f"a positive class needs two classes, not {len(classes)}")
        return None
    if wanted:
        named = [c for c in classes if str(c) == str(wanted)]
        if not named:
            raise ValueError(
                f"the positive class '{wanted}' is not one of the classes "
                + ", ".join(str(c) for c in classes)
            )
        return named[0]
    y = np.asarray(y_train)
    rarer = int((y == classes[0]).sum()) < int((y == classes[1]).sum())
    return classes[0] if rarer else classes[1]


def model_positive_class(model: Any, y_train: Any, wanted: str = "") -> Any:
    """The positive class a binary model is evaluated for: the class its decision threshold
    is about, else the class written ``wanted``, else the rarer training class."""
    import numpy as np

    final = model.steps[-1][1] if hasattr(model, "steps") else model
    if getattr(final, "pos_label", None) is not None:
        return final.pos_label
    classes = getattr(model, "classes_", None)
    if classes is None:
        classes = np.unique(np.asarray(y_train))
    try:
        return positive_class(classes, y_train, wanted)
    except ValueError:
        return positive_class(classes, y_train)


# Decision thresholds chosen on the validation part, and the one set by hand
THRESHOLD_METHODS = ("none", "fixed", "max_f1", "min_recall", "min_precision")


def choose_threshold(y_val: Any, scores: Any, positive: Any, method: str, target: float) -> float:
    """The decision threshold (``positive`` is predicted when its score is at least the
    threshold) for ``method``, from the validation labels and the positive class's scores:
    "max_f1" the threshold of the highest F1, "min_recall" the highest threshold whose
    recall reaches ``target`` (the most precise such one), "min_precision" the lowest
    threshold whose precision reaches ``target`` (the most sensitive such one), "fixed"
    ``target`` itself. Raises ValueError when the validation rows cannot decide."""
    import numpy as np
    from sklearn.metrics import precision_recall_curve

    if method == "fixed":
        return float(target)
    is_pos = np.asarray(y_val) == positive
    if not is_pos.any() or is_pos.all():
        raise ValueError("the validation part needs rows of both classes to choose a threshold")
    precision, recall, thresholds = precision_recall_curve(is_pos, scores)
    precision, recall = precision[:-1], recall[:-1]  # the last point has no threshold
    if method == "max_f1":
        total = precision + recall
        f1 = np.divide(2 * precision * recall, total, out=np.zeros_like(total), where=total > 0)
        return float(thresholds[int(np.argmax(f1))])
    if method == "min_recall":
        return float(thresholds[np.flatnonzero(recall >= target)[-1]])
    if method == "min_precision":
        reached = np.flatnonzero(precision >= target)
        if not reached.size:
            raise ValueError(
                f"no threshold reaches precision {target:g} on the validation part "
                f"(at most {precision.max():.3f})"
            )
        return float(thresholds[reached[0]])
    raise ValueError(f"unknown threshold method {method!r}")


def with_threshold(model: Any, threshold: float, positive: Any) -> Any:
    """The fitted binary classifier ``model`` predicting ``positive`` when that class's
    score (probability, or decision value) is at least ``threshold``: scikit-learn's
    FixedThresholdClassifier around the model as fitted (not refitted; a clone refits it)."""
    from sklearn.model_selection import FixedThresholdClassifier

    wrapped = FixedThresholdClassifier(model, threshold=threshold, pos_label=positive)
    wrapped.estimator_ = model  # what fit() sets, without fitting again
    for name in ("n_features_in_", "feature_names_in_"):
        if hasattr(model, name):
            setattr(wrapped, name, getattr(model, name))
    return wrapped


def refit_clone(pipeline: Any, X: Any, y: Any, sample_weight: Any = None) -> Any:
    """An unfitted clone of the model pipeline fitted on ``X``, ``y`` (``sample_weight`` for
    the model step). A decision threshold stays as it was chosen, around the refitted model
    (FixedThresholdClassifier takes no row weights itself)."""
    from sklearn.base import clone

    model = clone(pipeline)
    if sample_weight is None:
        return model.fit(X, y)
    final = model.steps[-1][1]
    if not hasattr(final, "threshold"):
        return model.fit(X, y, model__sample_weight=sample_weight)
    model.steps[-1] = ("model", final.estimator)
    model.fit(X, y, model__sample_weight=sample_weight)
    model.steps[-1] = (
        "model",
        with_threshold(model.steps[-1][1], final.threshold, final.pos_label),
    )
    return model


def calibrated(estimator: Any, method: str, folds: int) -> Any:
    """The classifier calibrated by ``method`` ("sigmoid" or "isotonic") with ``folds``-fold
    cross-validation inside the rows it is fitted on (CalibratedClassifierCV)."""
    from sklearn.calibration import CalibratedClassifierCV

    return CalibratedClassifierCV(estimator, method=method, cv=folds)


def regression_metrics(y: Any, y_pred: Any) -> dict[str, float]:
    """Root mean squared error, mean absolute error and R²."""
    import numpy as np
    from sklearn import metrics as m

    y = np.asarray(y, dtype=float)
    return {
        "rmse": float(np.sqrt(m.mean_squared_error(y, y_pred))),
        "mae": float(m.mean_absolute_error(y, y_pred)),
        "r2": float(m.r2_score(y, y_pred)),
    }


def baseline_metrics(
    X_train: Any, y_train: Any, X_test: Any, y_test: Any, task: str, positive: Any = None
) -> dict[str, float]:
    """The same metrics for a dummy model (class prior or mean): the bar to beat."""
    from sklearn.dummy import DummyClassifier, DummyRegressor

    if task == CLASSIFICATION:
        dummy = DummyClassifier(strategy="prior").fit(X_train, y_train)
        scores = ("proba", dummy.predict_proba(X_test))
    else:
        dummy, scores = DummyRegressor(strategy="mean").fit(X_train, y_train), None
    return prediction_metrics(y_test, dummy.predict(X_test), scores, dummy, task, positive)


# ------------------------------------------------------------------------------ plot data
def thin_curve(xs: Any, ys: Any) -> tuple[list[float], list[float]]:
    """At most CURVE_POINTS evenly spread points of a curve, as plain floats."""
    import numpy as np

    idx = np.unique(np.linspace(0, len(xs) - 1, min(len(xs), CURVE_POINTS)).astype(int))
    return [float(v) for v in np.asarray(xs)[idx]], [float(v) for v in np.asarray(ys)[idx]]


def classification_details(
    y: Any, y_pred: Any, scores: Any, model: Any, positive: Any = None
) -> dict[str, Any]:
    """Classes and confusion matrix, and from the scores the ROC and precision-recall curves
    of the ``positive`` class (binary; the second class when None) with its calibration
    (reliability) curve when there are probabilities, or one ROC curve per class
    (multiclass with probabilities)."""
    import numpy as np
    from sklearn import metrics as m

    classes = list(getattr(model, "classes_", np.unique(y)))
    details: dict[str, Any] = {
        "classes": [str(c) for c in classes],
        "confusion_matrix": m.confusion_matrix(y, y_pred, labels=classes).tolist(),
    }
    if len(classes) == 2:
        positive = classes[1] if positive is None else positive
        details["positive_class"] = str(positive)
    if scores is None or len(np.unique(y)) < 2:
        return details
    kind, s = scores
    if len(classes) == 2:
        is_pos = np.asarray(y) == positive
        pos_scores = class_scores(scores, classes, positive)
        fpr, tpr, _ = m.roc_curve(is_pos, pos_scores)
        prec, rec, _ = m.precision_recall_curve(is_pos, pos_scores)
        details["roc_curve"] = dict(zip(("fpr", "tpr"), thin_curve(fpr, tpr), strict=True))
        details["pr_curve"] = dict(zip(("recall", "precision"), thin_curve(rec, prec), strict=True))
        # Areas from the full curves (the stored points are thinned).
        details["roc_curve"]["area"] = float(m.auc(fpr, tpr))
        details["pr_curve"]["area"] = float(m.average_precision_score(is_pos, pos_scores))
        if kind == "proba":
            details["calibration_curve"] = calibration_details(is_pos, pos_scores)
    elif kind == "proba":
        details["roc_curve_per_class"] = {}
        for i, cls in enumerate(classes):
            fpr, tpr, _ = m.roc_curve(np.asarray(y) == cls, s[:, i])
            curve: dict[str, Any] = dict(zip(("fpr", "tpr"), thin_curve(fpr, tpr), strict=True))
            curve["area"] = float(m.auc(fpr, tpr))  # exact: from the full curve
            details["roc_curve_per_class"][str(cls)] = curve
    return details


CALIBRATION_BINS = 10  # the reliability curve's bins of predicted probability


def calibration_details(is_positive: Any, probability: Any) -> dict[str, Any]:
    """The reliability curve of a binary classifier's positive-class probabilities: per bin
    of CALIBRATION_BINS equal widths (empty bins left out), the mean predicted probability,
    the observed share of positives and the rows; and the Brier score."""
    import numpy as np
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import brier_score_loss

    observed, predicted = calibration_curve(is_positive, probability, n_bins=CALIBRATION_BINS)
    edges = np.linspace(0.0, 1.0, CALIBRATION_BINS + 1)
    counts = np.bincount(np.searchsorted(edges[1:-1], probability), minlength=CALIBRATION_BINS)
    return {
        "predicted": [float(v) for v in predicted],
        "observed": [float(v) for v in observed],
        "rows": [int(c) for c in counts[counts > 0]],
        "brier": float(brier_score_loss(is_positive, probability)),
    }


def regression_details(y: Any, y_pred: Any) -> dict[str, Any]:
    """Predicted values and residuals of at most RESIDUAL_POINTS evenly spread test rows."""
    import numpy as np

    y = np.asarray(y, dtype=float)
    resid = y - y_pred
    idx = np.linspace(0, len(y) - 1, min(len(y), RESIDUAL_POINTS)).astype(int)
    return {"residuals": {"predicted": y_pred[idx].tolist(), "residual": resid[idx].tolist()}}


# ------------------------------------------------------------------------------ diagnostics
def slice_metrics(
    raw_test: pd.DataFrame, y_test: Any, y_pred: np.ndarray, column: str, task: str
) -> dict[str, dict[str, float]]:
    """Rows and accuracy (or RMSE) per value of one column of the test part, for its
    MAX_SLICES most frequent values (quartiles when the column is numeric with many)."""
    import numpy as np
    import pandas as pd

    key = raw_test[column]
    if pd.api.types.is_numeric_dtype(key) and key.nunique() > MAX_SLICES:
        key = pd.qcut(key, 4, duplicates="drop").astype(str)
    y = np.asarray(y_test)
    out: dict[str, dict[str, float]] = {}
    for value in key.astype(str).value_counts().index[:MAX_SLICES]:
        mask = (key.astype(str) == value).to_numpy()
        if task == CLASSIFICATION:
            metric = {"accuracy": float((y[mask] == y_pred[mask]).mean())}
        else:
            metric = {"rmse": float(np.sqrt(((y[mask] - y_pred[mask]) ** 2).mean()))}
        out[str(value)] = {"rows": int(mask.sum()), **metric}
    return out


def feature_importance(
    model: Any, X: Any, y: Any, repeats: int, seed: int, n_jobs: int | None = None
) -> list[dict[str, Any]]:
    """Permutation importance per feature (mean and spread of the score drop), largest
    first; on a random sample of IMPORTANCE_ROWS rows when the data has more."""
    import numpy as np
    from sklearn.inspection import permutation_importance

    if len(X) > IMPORTANCE_ROWS:
        rng = np.random.default_rng(seed)
        idx = rng.choice(len(X), IMPORTANCE_ROWS, replace=False)
        X = X.iloc[idx] if hasattr(X, "iloc") else X[idx]
        y = y.iloc[idx] if hasattr(y, "iloc") else y[idx]
    res = permutation_importance(model, X, y, n_repeats=repeats, random_state=seed, n_jobs=n_jobs)
    names = list(X.columns) if hasattr(X, "columns") else [f"x{i}" for i in range(X.shape[1])]
    rows = [
        {"feature": str(n), "mean": float(mu), "std": float(sd)}
        for n, mu, sd in zip(names, res.importances_mean, res.importances_std, strict=True)
    ]
    return sorted(rows, key=lambda r: -r["mean"])


# ------------------------------------------------------------------------------ cross-validation
# Scorers of the cross-validated primary metrics: {metric key: scikit-learn scoring name}
CV_SCORERS = {
    "classification": {"accuracy": "accuracy", "balanced_accuracy": "balanced_accuracy"},
    "regression": {"r2": "r2", "rmse": "neg_root_mean_squared_error"},
}


# How the folds are cut: "auto" groups by the group column when there is one, else keeps
# time order by the time column when there is one, else k folds (stratified for a classifier).
CV_STRATEGIES = ("auto", "kfold", "group", "time")


def cv_strategy(strategy: str, groups: Any = None, order: Any = None) -> str:
    """The fold kind ``strategy`` means for data with these group and time columns: "kfold",
    "group" or "time". Raises ValueError when the column it needs is missing."""
    if strategy == "auto":
        return "group" if groups is not None else "time" if order is not None else "kfold"
    if strategy == "group" and groups is None:
        raise ValueError(
            "grouped folds need a column with the role group (Load data roles, e.g. "
            "'patient=group')"
        )
    if strategy == "time" and order is None:
        raise ValueError(
            "time-ordered folds need a column with the role time (Load data roles, e.g. "
            "'date=time')"
        )
    if strategy not in CV_STRATEGIES:
        raise ValueError(f"unknown fold kind {strategy!r}: one of {', '.join(CV_STRATEGIES)}")
    return strategy


def cv_splitter(task: str, folds: int, seed: int, kind: str = "kfold") -> Any:
    """The folds: shuffled StratifiedKFold (classification) or KFold (regression);
    GroupKFold for kind "group" (no group on both sides of a fold); TimeSeriesSplit for
    kind "time" (rows in time order; a fold is scored on rows later than all it trained on)."""
    from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold, TimeSeriesSplit

    if kind == "group":
        return GroupKFold(n_splits=folds)
    if kind == "time":
        return TimeSeriesSplit(n_splits=folds)
    splitter = StratifiedKFold if task == CLASSIFICATION else KFold
    return splitter(n_splits=folds, shuffle=True, random_state=seed)


def search_folds(folds: int, kind: str) -> Any:
    """The ``cv`` of a search: ``folds`` itself for kind "kfold" (scikit-learn's default
    unshuffled folds), else GroupKFold or TimeSeriesSplit (see cv_splitter)."""
    return folds if kind == "kfold" else cv_splitter("", folds, 0, kind)


def time_ordered(order: Any, *parts: Any) -> list[Any]:
    """``parts`` (frames, series, arrays or None) with their rows sorted by ``order``, the
    time column's values of the same rows (a stable sort: ties keep their order)."""
    import numpy as np

    idx = np.argsort(np.asarray(order), kind="stable")
    return [
        None if part is None else part.iloc[idx] if hasattr(part, "iloc") else np.asarray(part)[idx]
        for part in parts
    ]


def cross_validated_metrics(
    pipeline: Any,
    X_train: Any,
    y_train: Any,
    task: str,
    folds: int,
    seed: int,
    sample_weight: Any = None,
    after_fold: Any = None,
    strategy: str = "kfold",
    groups: Any = None,
    order: Any = None,
) -> dict[str, Any]:
    """Refit an unfitted clone of the whole model pipeline (preprocessing + model) on each
    of ``folds`` folds of the TRAINING rows only and score it on the held-out fold (what
    ``cross_val_score`` computes; with ``groups`` for grouped folds, on the rows sorted by
    ``order`` for time-ordered ones). ``strategy`` is one of CV_STRATEGIES. Per metric: the
    fold scores, their mean, sample standard deviation (ddof=1) and a 95% t-interval of the
    mean over folds. ``after_fold(done, folds)`` is called after each fold (progress,
    cancelling)."""
    import numpy as np
    from scipy import stats
    from sklearn.metrics import get_scorer

    scorers = CV_SCORERS[CLASSIFICATION if task == CLASSIFICATION else "regression"]
    kind = cv_strategy(strategy, groups, order)
    splitter = cv_splitter(task, folds, seed, kind)
    if kind == "time":
        X_train, y_train, sample_weight = time_ordered(order, X_train, y_train, sample_weight)
    if kind != "group":
        groups = None

    def take(values: Any, idx: Any) -> Any:
        return values.iloc[idx] if hasattr(values, "iloc") else np.asarray(values)[idx]

    scores: dict[str, list[float]] = {key: [] for key in scorers}
    for done, (fit_idx, score_idx) in enumerate(splitter.split(X_train, y_train, groups), 1):
        weights = None if sample_weight is None else np.asarray(sample_weight)[fit_idx]
        model = refit_clone(pipeline, take(X_train, fit_idx), take(y_train, fit_idx), weights)
        X_fold, y_fold = take(X_train, score_idx), take(y_train, score_idx)
        for key, name in scorers.items():
            value = float(get_scorer(name)(model, X_fold, y_fold))
            scores[key].append(-value if name.startswith("neg_") else value)
        if after_fold is not None:
            after_fold(done, folds)
    t = float(stats.t.ppf(0.975, folds - 1))
    out: dict[str, Any] = {
        "folds": folds,
        "splitter": type(splitter).__name__,
        "strategy": kind,
        "metrics": {},
    }
    for key, fold_scores in scores.items():
        mean, std = float(np.mean(fold_scores)), float(np.std(fold_scores, ddof=1))
        half = t * std / np.sqrt(folds)
        out["metrics"][key] = {
            "scores": fold_scores,
            "mean": mean,
            "std": std,
            "ci95_low": mean - half,
            "ci95_high": mean + half,
        }
    return out


def cv_values(cv: dict[str, Any]) -> dict[str, float]:
    """Metrics ``cv_<metric>_mean/_std/_ci95_low/_ci95_high`` from cross_validated_metrics."""
    return {
        f"cv_{key}_{stat}": float(row[stat])
        for key, row in cv["metrics"].items()
        for stat in ("mean", "std", "ci95_low", "ci95_high")
    }
