"""Specs of the modelling stages: train, tune, evaluate and the model gate."""

from __future__ import annotations

from mlops_desktop.core.ports import PortType as T
from mlops_desktop.core.specs import StageSpec
from mlops_desktop.stages._spec_helpers import (
    inp,
    out,
    p_bool,
    p_choice,
    p_float,
    p_int,
    p_opt_int,
    p_str,
    p_text,
)
from mlops_desktop.stages.portable_model import CV_STRATEGIES, TARGET_TRANSFORMS, THRESHOLD_METHODS

CLASSIFIERS = (
    "logistic_regression",
    "random_forest",
    "hist_gradient_boosting",
    "svc",
    "k_neighbors",
)
REGRESSORS = ("ridge", "random_forest_regressor", "hist_gradient_boosting_regressor")
ESTIMATORS = CLASSIFIERS + REGRESSORS
# The Train parameters each estimator reads (what portable_model.make_estimator passes on):
# the inspector shows only these for the chosen estimator.
# What every classifier reads: how it decides (positive class, threshold, calibration).
DECISION_PARAMS = (
    "positive_class",
    "threshold",
    "threshold_target",
    "calibration",
    "calibration_folds",
)
ESTIMATOR_PARAMS: dict[str, tuple[str, ...]] = {
    "logistic_regression": ("C", "max_iter", "class_weight", *DECISION_PARAMS),
    "random_forest": ("n_estimators", "max_depth", "seed", "class_weight", *DECISION_PARAMS),
    "hist_gradient_boosting": (
        "learning_rate",
        "max_depth",
        "max_iter",
        "seed",
        "class_weight",
        *DECISION_PARAMS,
    ),
    "svc": ("C", "kernel", "seed", "class_weight", *DECISION_PARAMS),
    "k_neighbors": ("n_neighbors", *DECISION_PARAMS),
    "ridge": ("alpha", "target_transform"),
    "random_forest_regressor": ("n_estimators", "max_depth", "seed", "target_transform"),
    "hist_gradient_boosting_regressor": (
        "learning_rate",
        "max_depth",
        "max_iter",
        "seed",
        "target_transform",
    ),
}
# The bundled scikit-learn datasets (Load data) whose target is a number to predict.
REGRESSION_DATASETS = ("diabetes",)

SPECS = [
    StageSpec(
        id="train",
        title="Train",
        category="Model",
        kind="train",
        icon="train",
        description="Fit a scikit-learn estimator on the training part. Classification: logistic "
        "regression, random forest, histogram gradient boosting, SVC, k-nearest neighbours. "
        "Regression: ridge, random forest, histogram gradient boosting.",
        impl="mlops_desktop.stages.model:train",
        inputs=(inp("split", T.SPLIT),),
        outputs=(out("model", T.MODEL),),
        params=(
            p_choice("estimator", "random_forest", ESTIMATORS),
            p_float("C", 1.0, 1e-6, 1e6, help="Inverse regularization (logistic regression, SVC)."),
            p_float("alpha", 1.0, 0.0, 1e6, help="Regularization strength (ridge)."),
            p_int("n_estimators", 100, 1, 5000, help="Trees (random forest)."),
            p_opt_int("max_depth", lo=1, hi=1000, help="Largest tree depth; empty for no limit."),
            p_float("learning_rate", 0.1, 1e-4, 1.0, help="Step size (gradient boosting)."),
            p_int(
                "max_iter",
                200,
                1,
                100000,
                help="Iterations (logistic regression, gradient boosting).",
            ),
            p_int("n_neighbors", 5, 1, 1000, help="Neighbours (k-nearest neighbours)."),
            p_choice("kernel", "rbf", ("rbf", "linear", "poly", "sigmoid"), help="Kernel (SVC)."),
            p_choice(
                "class_weight",
                "none",
                ("none", "balanced"),
                help="Weigh classes inversely to their frequency (classifiers except "
                "k-nearest neighbours), so a rare class is not ignored.",
            ),
            p_str(
                "positive_class",
                "",
                help="Two classes: the class that precision, recall, F1, ROC, PR AUC, the "
                "threshold and the calibration curve are about (as written in the data, e.g. "
                "'yes' or '1'). Empty: the rarer class of the training part.",
            ),
            p_choice(
                "threshold",
                "none",
                THRESHOLD_METHODS,
                help="Decision threshold (two classes). none: the most probable class. fixed: "
                "'threshold_target' itself. max_f1 / min_recall / min_precision: chosen on "
                "Split's VALIDATION part (never the test part) for the highest F1, the highest "
                "threshold with recall >= target, or the lowest with precision >= target. The "
                "model keeps it: the registered and packaged model predicts with it. Without "
                "a chosen threshold the validation rows are trained on.",
            ),
            p_float(
                "threshold_target",
                0.5,
                0.0,
                1.0,
                help="The fixed threshold (a probability; a decision value for SVC), or the "
                "recall / precision to reach.",
            ),
            p_choice(
                "calibration",
                "none",
                ("none", "sigmoid", "isotonic"),
                help="Calibrate the probabilities (CalibratedClassifierCV): cross-validation "
                "inside the training rows only.",
            ),
            p_int("calibration_folds", 5, 2, 20, help="Folds of the calibration."),
            p_choice(
                "target_transform",
                "none",
                TARGET_TRANSFORMS,
                help="Regressors: log1p fits on log(1 + target) (prices, counts: skewed, "
                "non-negative) and predicts back through exp - 1, so predictions and every "
                "metric are in the target's own units.",
            ),
            p_int("seed", 0, lo=0, help="Random seed."),
        ),
    ),
    StageSpec(
        id="tune",
        title="Tune",
        category="Model",
        kind="tune",
        icon="tune",
        description="Grid or randomized hyperparameter search with cross-validation; every "
        "candidate's score is logged as a metric and the best model is refitted.",
        impl="mlops_desktop.stages.model:tune",
        inputs=(inp("split", T.SPLIT),),
        outputs=(out("model", T.MODEL), out("results", T.METRICS)),
        params=(
            p_choice("estimator", "random_forest", ESTIMATORS),
            p_choice("search", "grid", ("grid", "random")),
            p_text(
                "grid",
                '{"n_estimators": [50, 100], "max_depth": [null, 8]}',
                help="JSON object of parameter name to list of values.",
            ),
            p_choice(
                "target_transform",
                "none",
                TARGET_TRANSFORMS,
                help="Regressors: log1p searches models fitted on log(1 + target) that predict "
                "in the target's own units (as Train's target_transform).",
            ),
            p_int("n_iter", 10, 1, 1000, help="Candidates tried by randomized search."),
            p_int("cv", 3, 2, 20, help="Cross-validation folds."),
            p_choice(
                "cv_strategy",
                "auto",
                CV_STRATEGIES,
                help="How the folds are cut. kfold: scikit-learn's default (StratifiedKFold "
                "for classification, KFold for regression, unshuffled). group: GroupKFold on "
                "the column with the role group. time: TimeSeriesSplit in the order of the "
                "column with the role time. auto: group, else time, else kfold.",
            ),
            p_str(
                "scoring",
                "",
                help="A scikit-learn scoring name; empty for the estimator's default.",
            ),
            p_int("seed", 0, lo=0),
        ),
    ),
    StageSpec(
        id="evaluate",
        title="Evaluate",
        category="Model",
        kind="evaluate",
        icon="evaluate",
        description="Score the model on the test part: accuracy, precision, recall, F1, ROC AUC, "
        "log loss, confusion matrix, ROC and precision-recall curves (classification) or RMSE, "
        "MAE, R² and residuals (regression); compared with a dummy baseline; optional per-slice "
        "metrics, permutation feature importance and k-fold cross-validation on the training part.",
        impl="mlops_desktop.stages.model:evaluate",
        inputs=(inp("model", T.MODEL), inp("split", T.SPLIT)),
        outputs=(out("metrics", T.METRICS), out("predictions", T.PREDICTIONS)),
        params=(
            p_str(
                "slice_column", "", help="Report metrics per value of this column (empty for none)."
            ),
            p_bool("permutation_importance", True, help="Compute permutation feature importance."),
            p_int("importance_repeats", 5, 1, 100),
            p_int("seed", 0, lo=0),
            p_int(
                "cv_folds",
                0,
                0,
                20,
                help="0 = off. Otherwise refit a copy of the whole model pipeline on k folds of "
                "the TRAINING part only (cut as 'cv_strategy' says) and log cv_<metric>_mean, "
                "_std and a 95% t-interval over folds. The test part is never used.",
            ),
            p_choice(
                "cv_strategy",
                "auto",
                CV_STRATEGIES,
                help="How the folds are cut. kfold: shuffled StratifiedKFold (classification) "
                "or KFold (regression), seeded by 'seed'. group: GroupKFold on the column with "
                "the role group (no patient, player... on both sides). time: TimeSeriesSplit on "
                "the rows in the order of the column with the role time (a fold never trains "
                "on later rows). auto: group, else time, else kfold, from the column roles.",
            ),
        ),
    ),
    StageSpec(
        id="model_gate",
        title="Model gate",
        category="Model",
        kind="model_validate",
        icon="gate",
        description="Pass the model on only when rules on its metrics hold, e.g. "
        "'accuracy >= 0.9 and accuracy > baseline_accuracy'. When they fail, the stages "
        "downstream are skipped and the run says why.",
        impl="mlops_desktop.stages.model:model_gate",
        inputs=(
            inp("model", T.MODEL),
            inp("metrics", T.METRICS),
            inp(
                "split",
                T.SPLIT,
                optional=True,
                help="The split Evaluate scored: the champion is scored on the same test rows.",
            ),
        ),
        outputs=(out("model", T.MODEL), out("metrics", T.METRICS)),
        params=(
            p_text(
                "rules",
                "accuracy >= 0.8 and accuracy > baseline_accuracy",
                help="Comparisons (>=, >, <=, <, ==, !=) of metric names with numbers or other "
                "metrics (a metric may add or subtract a number), joined by 'and' / 'or', "
                "grouped with parentheses. champion_<metric> is the metric of the version "
                "serving the champion environment on the same test rows (the baseline when "
                "none serves).",
            ),
            p_text(
                "champion_environment",
                "production",
                help="The environment whose serving version is the champion.",
            ),
        ),
    ),
]
