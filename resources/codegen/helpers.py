"""Helper functions copied into exported pipeline scripts (see mlops_desktop/app/codegen.py).

Each helper sits in a section opened by a ``# ---- helper: NAME`` line; the exporter copies
only the sections a pipeline needs. They repeat, in plain pandas and scikit-learn, what the
app's built-in stages compute, so an exported script prints the same numbers.
"""

# ruff: noqa: F821 - the script that receives these helpers imports numpy and pandas


# ---- helper: report
def report(stage, metrics, results):
    """Print a stage's metrics and keep them for the JSON summary."""
    results[stage] = dict(metrics)
    print(f"{stage}:")
    for key, value in metrics.items():
        if "/" not in key:
            print(f"  {key:<24} {value:.6f}")


# ---- helper: infer_types
def infer_types(frame):
    """Numbers stored as text become numbers; stray words in them become missing."""
    for col in frame.columns:
        series = frame[col]
        if series.dtype != object and not pd.api.types.is_string_dtype(series):
            continue
        present = series.dropna()
        if present.empty:
            continue
        numbers = pd.to_numeric(present.astype(str).str.strip(), errors="coerce")
        bad = numbers.isna()
        if bad.mean() <= 0.1 and not bad.all():
            frame[col] = pd.to_numeric(series.astype(str).str.strip(), errors="coerce").where(
                series.notna()
            )
        else:
            frame[col] = series.astype(object)
    return frame


# ---- helper: read_table
def read_table(path):
    """A CSV (comma, tab or semicolon separated) or Parquet file as a DataFrame."""
    suffix = path.rsplit(".", 1)[-1].lower()
    if suffix in ("parquet", "pq"):
        return pd.read_parquet(path)
    frame = pd.read_csv(path, sep="\t" if suffix == "tsv" else ",", encoding="utf-8-sig")
    if frame.shape[1] == 1 and ";" in str(frame.columns[0]):
        frame = pd.read_csv(path, sep=";", encoding="utf-8-sig")
    return frame


# ---- helper: infer_task
def infer_task(target):
    """'classification' for text, booleans and few whole-number values, else 'regression'."""
    if not pd.api.types.is_numeric_dtype(target) or pd.api.types.is_bool_dtype(target):
        return "classification"
    values = target.dropna()
    distinct = values.nunique()
    integral = bool((values == values.round()).all())
    if integral and distinct <= max(20, int(0.05 * len(values))) and distinct < len(values):
        return "classification"
    return "regression"


# ---- helper: check_schema
def infer_schema(frame, max_missing):
    """Columns, kinds, ranges, allowed categories and missing-value limits of a frame."""
    columns = {}
    for col in frame.columns:
        s = frame[col]
        entry = {"dtype": str(s.dtype), "max_missing_fraction": max_missing}
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            entry["kind"] = "numeric"
            if s.notna().any():
                entry["min"], entry["max"] = float(s.min()), float(s.max())
        else:
            entry["kind"] = "categorical"
            values = s.dropna().astype(str).unique()
            if len(values) <= 50:
                entry["categories"] = sorted(values.tolist())
        columns[str(col)] = entry
    return {"columns": columns}


def check_schema(frame, schema):
    """Every way the frame breaks the schema, as sentences."""
    problems = []
    for col, rule in schema.get("columns", {}).items():
        if col not in frame.columns:
            problems.append(f"column '{col}' is missing")
            continue
        s = frame[col]
        missing = float(s.isna().mean()) if len(s) else 0.0
        limit = rule.get("max_missing_fraction")
        if limit is not None and missing > limit:
            problems.append(f"column '{col}' is {missing:.0%} missing (limit {limit:.0%})")
        if rule.get("kind") == "numeric":
            if not pd.api.types.is_numeric_dtype(s):
                problems.append(f"column '{col}' should hold numbers but holds text")
                continue
            if "min" in rule and s.notna().any() and float(s.min()) < rule["min"]:
                problems.append(f"column '{col}' has {float(s.min()):g}, below {rule['min']:g}")
            if "max" in rule and s.notna().any() and float(s.max()) > rule["max"]:
                problems.append(f"column '{col}' has {float(s.max()):g}, above {rule['max']:g}")
        elif "categories" in rule:
            unknown = sorted(set(s.dropna().astype(str)) - set(rule["categories"]))
            if unknown:
                problems.append(f"column '{col}' has unexpected values: {', '.join(unknown[:5])}")
    return problems


# ---- helper: stratify_by
def stratify_by(y, task, wanted, share):
    """The target to stratify on, or None when not wanted or a class is too small."""
    if not wanted or task != "classification":
        return None
    counts = y.value_counts()
    if counts.min() < 2 or len(y) * share < len(counts):
        print("warning: some classes are too small to stratify; splitting at random")
        return None
    return y


# ---- helper: build_transformer
def build_transformer(X, task, seed, numeric_impute, scaling, one_hot, reduce, n_components):
    """Impute, scale and encode numeric and text columns; then optional PCA or selection."""
    from sklearn.compose import ColumnTransformer
    from sklearn.decomposition import PCA
    from sklearn.feature_selection import SelectKBest, f_classif, f_regression
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import (
        MinMaxScaler,
        OneHotEncoder,
        OrdinalEncoder,
        RobustScaler,
        StandardScaler,
    )

    numeric = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c])]
    other = [c for c in X.columns if c not in numeric]
    num_steps = []
    if numeric_impute != "none":
        num_steps.append(("impute", SimpleImputer(strategy=numeric_impute)))
    scaler = {"standard": StandardScaler, "minmax": MinMaxScaler, "robust": RobustScaler}.get(
        scaling
    )
    if scaler is not None:
        num_steps.append(("scale", scaler()))
    encoder = (
        OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        if one_hot
        else OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    )
    cat_steps = [("impute", SimpleImputer(strategy="most_frequent")), ("encode", encoder)]
    columns = ColumnTransformer(
        [
            ("numeric", Pipeline(num_steps) if num_steps else "passthrough", numeric),
            ("categorical", Pipeline(cat_steps), other),
        ],
        verbose_feature_names_out=False,
    )
    steps = [("columns", columns)]
    width = len(numeric) + sum(X[c].nunique() if one_hot else 1 for c in other)
    k = max(1, min(n_components, width, len(X)))
    if reduce == "pca":
        steps.append(("reduce", PCA(n_components=k, random_state=seed)))
    elif reduce == "select_k_best":
        score = f_classif if task == "classification" else f_regression
        steps.append(("reduce", SelectKBest(score, k=min(k, width))))
    return Pipeline(steps).set_output(transform="pandas")


# ---- helper: fit_and_transform
def fit_and_transform(transformer, X_train, y_train, *others):
    """Fit on the training part only; transform every part; keep the feature names."""
    parts = [transformer.fit_transform(X_train, y_train)]
    parts += [None if X is None else transformer.transform(X) for X in others]
    names = [str(c) for c in parts[0].columns]
    for part in parts:
        if part is not None:
            part.columns = names
    return parts


# ---- helper: evaluate_model
def predict_with_scores(model, X, task):
    """Predictions and (kind, scores): class probabilities or decision values, if any."""
    scores = None
    if task == "classification":
        if hasattr(model, "predict_proba"):
            scores = ("proba", model.predict_proba(X))
        elif hasattr(model, "decision_function"):
            scores = ("decision", model.decision_function(X))
    if scores is not None and scores[0] == "proba" and hasattr(model, "classes_"):
        return model.classes_[scores[1].argmax(axis=1)], scores
    return model.predict(X), scores


def classification_metrics(y, y_pred, scores, model):
    """Accuracy, precision, recall, F1 and, from the scores, ROC AUC and log loss."""
    from sklearn import metrics as m

    classes = list(getattr(model, "classes_", np.unique(y)))
    binary = len(classes) == 2
    avg = "binary" if binary else "weighted"
    pos = classes[1] if binary else 1
    values = {
        "accuracy": float(m.accuracy_score(y, y_pred)),
        "precision": float(
            m.precision_score(y, y_pred, average=avg, pos_label=pos, zero_division=0)
        ),
        "recall": float(m.recall_score(y, y_pred, average=avg, pos_label=pos, zero_division=0)),
        "f1": float(m.f1_score(y, y_pred, average=avg, pos_label=pos, zero_division=0)),
    }
    if scores is None or len(np.unique(y)) < 2:
        return values
    kind, s = scores
    try:
        if binary:
            values["roc_auc"] = float(m.roc_auc_score(y, s[:, 1] if kind == "proba" else s))
        elif kind == "proba":
            values["roc_auc"] = float(m.roc_auc_score(y, s, multi_class="ovr", labels=classes))
        if kind == "proba":
            values["log_loss"] = float(m.log_loss(y, s, labels=classes))
    except ValueError:
        pass
    return values


def regression_metrics(y, y_pred):
    """Root mean squared error, mean absolute error and R²."""
    from sklearn import metrics as m

    y = np.asarray(y, dtype=float)
    return {
        "rmse": float(np.sqrt(m.mean_squared_error(y, y_pred))),
        "mae": float(m.mean_absolute_error(y, y_pred)),
        "r2": float(m.r2_score(y, y_pred)),
    }


def baseline_metrics(X_train, y_train, X_test, y_test, task):
    """The same metrics for a dummy model (class prior or mean): the bar to beat."""
    from sklearn.dummy import DummyClassifier, DummyRegressor

    if task == "classification":
        dummy = DummyClassifier(strategy="prior").fit(X_train, y_train)
        scores = ("proba", dummy.predict_proba(X_test))
        return classification_metrics(y_test, dummy.predict(X_test), scores, dummy)
    dummy = DummyRegressor(strategy="mean").fit(X_train, y_train)
    return regression_metrics(y_test, dummy.predict(X_test))


# ---- helper: importance
def importance(model, X, y, repeats, seed):
    """Permutation feature importance (mean and spread of the score drop per feature)."""
    from sklearn.inspection import permutation_importance

    if len(X) > 2000:
        rng = np.random.default_rng(seed)
        idx = rng.choice(len(X), 2000, replace=False)
        X, y = X.iloc[idx], y.iloc[idx]
    res = permutation_importance(model, X, y, n_repeats=repeats, random_state=seed)
    rows = [
        {"feature": str(n), "mean": float(mu), "std": float(sd)}
        for n, mu, sd in zip(X.columns, res.importances_mean, res.importances_std, strict=True)
    ]
    return sorted(rows, key=lambda r: -r["mean"])


# ---- helper: slices
def slice_metrics(raw_test, y_test, y_pred, column, task):
    """Accuracy (or RMSE) per value of one column of the test part (quartiles if numeric)."""
    key = raw_test[column]
    if pd.api.types.is_numeric_dtype(key) and key.nunique() > 20:
        key = pd.qcut(key, 4, duplicates="drop").astype(str)
    y = np.asarray(y_test)
    out = {}
    for value in key.astype(str).value_counts().index[:20]:
        mask = (key.astype(str) == value).to_numpy()
        if task == "classification":
            out[str(value)] = float((y[mask] == y_pred[mask]).mean())
        else:
            out[str(value)] = float(np.sqrt(((y[mask] - y_pred[mask]) ** 2).mean()))
    return out


# ---- helper: load_user_function
def load_user_function(path, module, name):
    """A function from a .py file (run from its source) or from an importable module."""
    import importlib
    import importlib.util

    if path:
        spec = importlib.util.spec_from_file_location("user_stage", path)
        loaded = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(loaded)
    else:
        loaded = importlib.import_module(module)
    return getattr(loaded, name)


# ---- helper: script_context
class ScriptContext:
    """Stands in for the app's stage context: logs print, metrics are printed and kept."""

    def __init__(self, stage, results):
        self.stage, self.results = stage, results

    def log(self, message):
        print(f"{self.stage}: {message}")

    def log_metric(self, key, value, step=None):
        self.results.setdefault(self.stage, {})[key] = float(value)
        print(f"{self.stage}: {key} = {float(value):.6f}")

    def log_metrics(self, key, values, steps=None):
        self.log_metric(key, list(values)[-1])

    def progress(self, fraction, message=""):
        pass

    def check_cancelled(self):
        pass

    def fail(self, message):
        raise SystemExit(f"{self.stage}: {message}")

    def skip_downstream(self, reason):
        print(f"{self.stage}: {reason}")
