"""Data computations shared by the data stages and by exported pipeline scripts.

The built-in stages (:mod:`.data`) call these functions, and the Python exporter copies
their source text unchanged into the scripts it writes, so the app and a script compute
the same thing from one piece of code. Hence the rules for this module: it imports only
the standard library at module level, imports pandas and scikit-learn inside the functions
that use them, holds no state besides constants, and knows nothing of the app (no stage
context: warnings go to a ``log`` callable, bad input raises :class:`ValueError` with one
sentence, which the stage turns into its failure message).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

CLASSIFICATION = "classification"
REGRESSION = "regression"
MAX_CATEGORIES = 50  # a column with at most this many distinct values gets an allowed-values list
TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".parquet", ".pq")


# ------------------------------------------------------------------------------ load
def load_sklearn_dataset(dataset: str, target: str = "target") -> pd.DataFrame:
    """One of scikit-learn's bundled datasets as a frame, its target column named ``target``."""
    from sklearn import datasets

    frame = getattr(datasets, f"load_{dataset}")(as_frame=True).frame
    return frame.rename(columns={"target": target}) if target != "target" else frame


def read_table(path: str | Path) -> pd.DataFrame:
    """A CSV (comma, tab or semicolon separated) or Parquet file as a DataFrame."""
    import pandas as pd

    suffix = Path(path).suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise ValueError(f"unsupported file type '{suffix}': use .csv or .parquet")
    if suffix in (".parquet", ".pq"):
        return pd.read_parquet(path)
    frame = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",", encoding="utf-8-sig")
    if frame.shape[1] == 1 and ";" in str(frame.columns[0]):  # semicolon-separated
        frame = pd.read_csv(path, sep=";", encoding="utf-8-sig")
    return frame


def infer_types(frame: pd.DataFrame, log: Callable[[str], object] = print) -> pd.DataFrame:
    """Numbers stored as text become numeric (stray words become missing, with a warning)."""
    import pandas as pd

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
            if bad.any():
                examples = ", ".join(repr(v) for v in present[bad].astype(str).unique()[:3])
                log(
                    f"warning: column '{col}': {int(bad.sum())} value(s) that are not numbers "
                    f"became missing ({examples})"
                )
            frame[col] = pd.to_numeric(series.astype(str).str.strip(), errors="coerce").where(
                series.notna()
            )
        else:
            frame[col] = series.astype(object)
    return frame


def prepare_frame(
    frame: pd.DataFrame,
    name: str,
    target: str = "",
    sample_rows: int = 0,
    seed: int = 0,
    log: Callable[[str], object] = print,
) -> pd.DataFrame:
    """A loaded table made ready for the pipeline: column names stripped, numbers stored as
    text made numeric, rows without a target value dropped, then an optional random sample.

    Raises ValueError (one sentence naming the table ``name``) when the table is unusable.
    """
    if frame.shape[1] == 0 or len(frame) == 0:
        raise ValueError(f"{name} has no rows or no columns")
    frame.columns = [str(c).strip() for c in frame.columns]
    if len(set(frame.columns)) != len(frame.columns):
        dup = next(c for c in frame.columns if list(frame.columns).count(c) > 1)
        raise ValueError(f"{name} has the column '{dup}' twice")
    frame = infer_types(frame, log)
    if target and target not in frame.columns:
        shown = ", ".join(map(str, frame.columns[:20]))
        raise ValueError(f"target column '{target}' not found in {name}; columns are: {shown}")
    if target and frame[target].isna().any():
        n = int(frame[target].isna().sum())
        log(f"warning: dropped {n} row(s) with no value in the target column '{target}'")
        frame = frame[frame[target].notna()].reset_index(drop=True)
        if len(frame) == 0:
            raise ValueError(f"the target column '{target}' of {name} is empty")
    if sample_rows and sample_rows < len(frame):
        frame = frame.sample(n=sample_rows, random_state=seed).reset_index(drop=True)
    return frame


def infer_task(target: pd.Series) -> str:
    """'classification' for text, booleans and few whole-number values, else 'regression'."""
    import pandas as pd

    if not pd.api.types.is_numeric_dtype(target) or pd.api.types.is_bool_dtype(target):
        return CLASSIFICATION
    values = target.dropna()
    distinct = values.nunique()
    integral = bool((values == values.round()).all())
    if integral and distinct <= max(20, int(0.05 * len(values))) and distinct < len(values):
        return CLASSIFICATION
    return REGRESSION


TASKS = ("auto", "classification", "regression")


def choose_task(target: pd.Series, wanted: str = "auto") -> str:
    """The task: inferred (``wanted`` "auto", see infer_task) or the one asked for, when the
    target fits it. Raises ValueError saying why it does not: regression needs numbers,
    classification needs classes (text, booleans or whole numbers)."""
    import pandas as pd

    if wanted == "auto":
        return infer_task(target)
    values = target.dropna()
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    name = target.name
    if wanted == REGRESSION and not numeric:
        example = str(values.iloc[0]) if len(values) else ""
        raise ValueError(
            f"task=regression needs a numeric target, but '{name}' holds values such as "
            f"'{example}': choose classification (or auto)"
        )
    if wanted == CLASSIFICATION and numeric and not bool((values == values.round()).all()):
        example = values[values != values.round()].iloc[0]
        raise ValueError(
            f"task=classification needs classes, but '{name}' holds fractional numbers such "
            f"as {example:g}: choose regression (or auto)"
        )
    if wanted not in (CLASSIFICATION, REGRESSION):
        raise ValueError(f"unknown task {wanted!r}: one of {', '.join(TASKS)}")
    return wanted


# ------------------------------------------------------------------------------ roles
ROLES = ("feature", "target", "ignore", "weight", "time", "group")
ID_NAMES = ("id", "index", "rownames", "rowname", "row", "rowid", "unnamed: 0", "unnamed:_0")


def parse_roles(text: str) -> dict[str, str]:
    """``{"column": "role"}`` from text such as ``"rownames=ignore, Age=feature"`` (commas or
    new lines between pairs; ``=`` or ``:`` inside them). Raises ValueError on a bad pair."""
    roles: dict[str, str] = {}
    for pair in text.replace("\n", ",").split(","):
        if not pair.strip():
            continue
        sep = "=" if "=" in pair else ":"
        column, _, role = pair.rpartition(sep)
        column, role = column.strip().strip("'\""), role.strip().lower()
        if not column or role not in ROLES:
            raise ValueError(
                f"cannot read the role '{pair.strip()}': write column=role with role one of "
                + ", ".join(ROLES)
            )
        roles[column] = role
    return roles


def _flag(series: pd.Series, name: str) -> str:
    """Why a column looks useless or dangerous as a feature ("" when it does not)."""
    import pandas as pd

    present = series.dropna()
    rows, distinct = len(series), int(present.nunique())
    if distinct <= 1:
        return "constant (a single value)"
    unique_per_row = distinct == rows and rows >= 10
    numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    if numeric:
        whole = bool((present == present.round()).all())
        if unique_per_row and whole:
            if float(present.max() - present.min()) == rows - 1:
                return "row numbers (consecutive whole numbers, one per row)"
            if name.strip().lower() in ID_NAMES or name.strip().lower().endswith(("_id", " id")):
                return "an identifier (a different whole number on every row)"
        return ""
    if unique_per_row:
        return "an identifier or a name (a different value on every row)"
    if distinct > MAX_CATEGORIES and distinct > 0.5 * len(present):
        return f"high-cardinality text ({distinct:,} distinct values in {len(present):,} rows)"
    return ""


def column_roles(
    frame: pd.DataFrame, target: str, chosen: dict[str, str], auto: bool = True
) -> dict[str, tuple[str, str]]:
    """Each column's role and the reason: the user's choice, else ``ignore`` for a column
    that looks like an identifier, row numbers, high-cardinality text or a constant (when
    ``auto``), else ``feature``; the target column is ``target``."""
    unknown = [c for c in chosen if c not in frame.columns]
    if unknown:
        raise ValueError(f"the roles name a column that is not in the data: '{unknown[0]}'")
    out: dict[str, tuple[str, str]] = {}
    for col in frame.columns:
        if col == target:
            out[col] = ("target", "the column to predict")
        elif col in chosen:
            out[col] = (chosen[col], "chosen")
        else:
            reason = _flag(frame[col], str(col)) if auto else ""
            out[col] = ("ignore", reason) if reason else ("feature", "")
    if target and chosen.get(target, "target") != "target":
        raise ValueError(f"'{target}' is the target; it cannot have another role")
    for role in ("weight", "time", "group"):
        named = [c for c, (r, _) in out.items() if r == role]
        if len(named) > 1:
            raise ValueError(f"only one column can have the role '{role}': {', '.join(named)}")
    return out


def apply_roles(frame: pd.DataFrame, roles: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """``frame`` without its ignored columns."""
    return frame.drop(columns=[c for c, (role, _) in roles.items() if role == "ignore"])


# ------------------------------------------------------------------------------ validate
def infer_schema(frame: pd.DataFrame, max_missing: float) -> dict[str, Any]:
    """Columns, kinds, ranges, allowed categories and missing-value limits of ``frame``."""
    import pandas as pd

    columns: dict[str, Any] = {}
    for col in frame.columns:
        s = frame[col]
        entry: dict[str, Any] = {"dtype": str(s.dtype), "max_missing_fraction": max_missing}
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            entry["kind"] = "numeric"
            if s.notna().any():
                entry["min"], entry["max"] = float(s.min()), float(s.max())
        else:
            entry["kind"] = "categorical"
            values = s.dropna().astype(str).unique()
            if len(values) <= MAX_CATEGORIES:
                entry["categories"] = sorted(values.tolist())
        columns[str(col)] = entry
    return {"columns": columns}


def check_schema(frame: pd.DataFrame, schema: dict[str, Any]) -> list[str]:
    """Every way ``frame`` breaks ``schema``, one sentence each (empty when it conforms)."""
    import pandas as pd

    problems: list[str] = []
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
                problems.append(
                    f"column '{col}' has {float(s.min()):g}, below the minimum {rule['min']:g}"
                )
            if "max" in rule and s.notna().any() and float(s.max()) > rule["max"]:
                problems.append(
                    f"column '{col}' has {float(s.max()):g}, above the maximum {rule['max']:g}"
                )
        elif "categories" in rule:
            unknown = sorted(set(s.dropna().astype(str)) - set(rule["categories"]))
            if unknown:
                problems.append(f"column '{col}' has unexpected values: {', '.join(unknown[:5])}")
    return problems


FAR_OUT = 1.0  # a value more than this many reference ranges beyond the min or max is far out
MISSING_JUMP = 0.1  # a missing share this much above the reference's is a violation


def reference_schema(frame: pd.DataFrame) -> dict[str, Any]:
    """``infer_schema`` plus each column's missing share: what a reference keeps."""
    schema = infer_schema(frame, 1.0)
    for col, entry in schema["columns"].items():
        entry.pop("max_missing_fraction", None)
        entry["missing"] = float(frame[col].isna().mean()) if len(frame) else 0.0
    return schema


def check_reference(frame: pd.DataFrame, reference: dict[str, Any]) -> list[str]:
    """Every way ``frame`` departs from a stored reference, one sentence naming the column:
    a new or missing column, a type change, values far out of the range, unseen categories,
    a jump in the missing share."""
    import pandas as pd

    rules = reference.get("columns", {})
    problems = [f"column '{c}' is new" for c in frame.columns if str(c) not in rules]
    for col, rule in rules.items():
        if col not in frame.columns:
            problems.append(f"column '{col}' is missing")
            continue
        s = frame[col]
        missing = float(s.isna().mean()) if len(s) else 0.0
        if missing > rule.get("missing", 0.0) + MISSING_JUMP:
            problems.append(
                f"column '{col}' is {missing:.0%} missing (reference {rule.get('missing', 0):.0%})"
            )
        numeric = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
        if rule.get("kind") == "numeric":
            if not numeric:
                problems.append(f"column '{col}' held numbers and now holds text")
            elif "min" in rule and s.notna().any():
                span = max(rule["max"] - rule["min"], abs(rule["max"]) * 1e-9, 1e-12)
                low, high = rule["min"] - FAR_OUT * span, rule["max"] + FAR_OUT * span
                if float(s.min()) < low or float(s.max()) > high:
                    problems.append(
                        f"column '{col}' has values far outside the reference range "
                        f"[{rule['min']:g}, {rule['max']:g}] (from {float(s.min()):g} to "
                        f"{float(s.max()):g})"
                    )
        elif numeric:
            problems.append(f"column '{col}' held text and now holds numbers")
        elif "categories" in rule:
            unseen = sorted(set(s.dropna().astype(str)) - set(rule["categories"]))
            if unseen:
                problems.append(f"column '{col}' has unseen categories: {', '.join(unseen[:5])}")
    return problems


# ------------------------------------------------------------------------------ split
def stratify_by(
    y: pd.Series, task: str, wanted: bool, share: float, log: Callable[[str], object] = print
) -> pd.Series | None:
    """The target to stratify on, or None when not wanted or a class is too small."""
    if not wanted or task != CLASSIFICATION:
        return None
    counts = y.value_counts()
    if counts.min() < 2 or len(y) * share < len(counts):
        log("warning: some classes are too small to stratify; splitting at random")
        return None
    return y


def split_rows(
    X: pd.DataFrame,
    y: pd.Series,
    test_size: float,
    validation_size: float,
    random_state: int,
    stratify: pd.Series | None,
    groups: pd.Series | None = None,
    order: pd.Series | None = None,
) -> tuple[Any, Any, Any, Any, Any, Any]:
    """``X_train, X_test, y_train, y_test, X_val, y_val``: the test part is cut first, then
    the validation part (None when ``validation_size`` is 0) from what is left. With
    ``order`` (a time column) the latest rows are the test part and the validation part
    comes just before them; with ``groups`` no group is in two parts."""
    from sklearn.model_selection import GroupShuffleSplit, train_test_split

    def cut(
        X: Any, y: Any, share: float, strata: Any, grp: Any, when: Any
    ) -> tuple[Any, Any, Any, Any]:
        if when is not None:
            ranked = when.loc[X.index].sort_values(kind="stable").index
            n_test = max(1, int(round(share * len(ranked))))
            keep, held = ranked[:-n_test], ranked[-n_test:]
            return X.loc[keep], X.loc[held], y.loc[keep], y.loc[held]
        if grp is not None:
            splitter = GroupShuffleSplit(n_splits=1, test_size=share, random_state=random_state)
            keep, held = next(splitter.split(X, y, grp.loc[X.index]))
            return X.iloc[keep], X.iloc[held], y.iloc[keep], y.iloc[held]
        return train_test_split(X, y, test_size=share, random_state=random_state, stratify=strata)

    X_train, X_test, y_train, y_test = cut(X, y, test_size, stratify, groups, order)
    X_val = y_val = None
    if validation_size > 0:
        X_train, X_val, y_train, y_val = cut(
            X_train,
            y_train,
            validation_size / (1.0 - test_size),
            y_train if stratify is not None else None,
            groups,
            order,
        )
    return X_train, X_test, y_train, y_test, X_val, y_val


# ------------------------------------------------------------------------------ features
def build_transformer(
    X: pd.DataFrame,
    task: str,
    seed: int,
    numeric_impute: str,
    scaling: str,
    one_hot: bool,
    reduce: str,
    n_components: int,
) -> Any:
    """An unfitted scikit-learn Pipeline: impute, scale and encode numeric and text columns,
    then an optional PCA or best-k feature selection."""
    import pandas as pd
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
    num_steps: list[tuple[str, Any]] = []
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
    steps: list[tuple[str, Any]] = [("columns", columns)]
    width = len(numeric) + sum(X[c].nunique() if one_hot else 1 for c in other)
    k = max(1, min(n_components, width, len(X)))
    if reduce == "pca":
        steps.append(("reduce", PCA(n_components=k, random_state=seed)))
    elif reduce == "select_k_best":
        score = f_classif if task == CLASSIFICATION else f_regression
        steps.append(("reduce", SelectKBest(score, k=min(k, width))))
    return Pipeline(steps).set_output(transform="pandas")


SCALE_SENSITIVE = ("logistic_regression", "svc", "k_neighbors", "ridge")


def default_preprocessor(X: pd.DataFrame, task: str, seed: int, estimator: str) -> Any:
    """The preprocessing a model gets when no Feature engineering stage sets one: median
    imputation for numbers (plus standard scaling for estimators sensitive to scale), the
    most frequent value and one-hot encoding for text."""
    scaling = "standard" if estimator in SCALE_SENSITIVE else "none"
    return build_transformer(X, task, seed, "median", scaling, True, "none", 1)


def fit_and_transform(
    transformer: Any, X_train: pd.DataFrame, y_train: pd.Series, *others: pd.DataFrame | None
) -> list[pd.DataFrame | None]:
    """Fit on the training part only; transform it and every other part (None stays None);
    every part gets the training part's feature names."""
    parts = [transformer.fit_transform(X_train, y_train)]
    parts += [None if X is None else transformer.transform(X) for X in others]
    names = [str(c) for c in parts[0].columns]
    for part in parts:
        if part is not None:
            part.columns = names
    return parts
