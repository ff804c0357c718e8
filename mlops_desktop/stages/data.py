"""Data stages: load, validate, split and feature engineering (pandas and scikit-learn).

Each function follows the stage contract ``fn(ctx, inputs, params) -> outputs``. Bad data
ends the stage with :meth:`StageContext.fail` and one clear sentence, never a traceback.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path
from typing import Any

from mlops_desktop.core.execution import (
    CLASSIFICATION,
    REGRESSION,
    DatasetValue,
    ReportValue,
    SplitValue,
    StageContext,
    TransformerValue,
)

MAX_CATEGORIES = 50  # a column with at most this many distinct values gets an allowed-values list


# ------------------------------------------------------------------------------ load
def load_data_cache_token(params: dict[str, Any]) -> str | None:
    """A SQL query's result can change at any time: never serve it from the cache."""
    return None if params.get("source") == "sql" else ""


def load_data(ctx: StageContext, inputs: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    source = params["source"]
    ctx.progress(0.05, f"reading from {source}")
    if source == "sklearn":
        frame, name = (
            _load_sklearn(params["dataset"], params["target"] or "target"),
            params["dataset"],
        )
    elif source == "file":
        frame, name = _load_file(ctx, params["path"]), Path(params["path"]).name
    else:
        frame, name = _load_sql(ctx, params["url"], params["query"]), "sql query"
    ctx.check_cancelled()
    if frame.shape[1] == 0 or len(frame) == 0:
        ctx.fail(f"{name} has no rows or no columns")
    frame.columns = [str(c).strip() for c in frame.columns]
    if len(set(frame.columns)) != len(frame.columns):
        dup = next(c for c in frame.columns if list(frame.columns).count(c) > 1)
        ctx.fail(f"{name} has the column '{dup}' twice")
    frame = infer_types(ctx, frame)
    target = params["target"]
    if target and target not in frame.columns:
        shown = ", ".join(map(str, frame.columns[:20]))
        ctx.fail(f"target column '{target}' not found in {name}; columns are: {shown}")
    if target and frame[target].isna().any():
        n = int(frame[target].isna().sum())
        ctx.log(f"warning: dropped {n} row(s) with no value in the target column '{target}'")
        frame = frame[frame[target].notna()].reset_index(drop=True)
        if len(frame) == 0:
            ctx.fail(f"the target column '{target}' of {name} is empty")
    if params["sample_rows"] and params["sample_rows"] < len(frame):
        frame = frame.sample(n=params["sample_rows"], random_state=params["seed"]).reset_index(
            drop=True
        )
    task = infer_task(frame[target]) if target else ""
    value = DatasetValue(frame, target, task, name, content_hash(frame), schema_of(frame))
    ctx.log(
        f"loaded {name}: {len(frame):,} rows x {frame.shape[1]} columns; target '{target}' ({task or 'none'})"
    )
    ctx.log(f"content hash {value.content_hash[:16]}")
    ctx.progress(1.0, "loaded")
    return {"dataset": value}


def _load_sklearn(dataset: str, target: str) -> Any:
    from sklearn import datasets

    loader = getattr(datasets, f"load_{dataset}")
    frame = loader(as_frame=True).frame
    return frame.rename(columns={"target": target}) if target != "target" else frame


def _load_file(ctx: StageContext, path_text: str) -> Any:
    import pandas as pd

    if not path_text:
        ctx.fail("no file chosen: set the 'path' parameter")
    path = Path(path_text).expanduser()
    if not path.exists():
        ctx.fail(f"file not found: {path}")
    if path.is_dir():
        ctx.fail(f"{path} is a folder, not a data file")
    if path.stat().st_size == 0:
        ctx.fail(f"the file {path.name} is empty")
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
        if suffix in (".csv", ".txt", ".tsv"):
            sep = "\t" if suffix == ".tsv" else ","
            frame = pd.read_csv(path, sep=sep, encoding="utf-8-sig")
            if frame.shape[1] == 1 and ";" in str(frame.columns[0]):  # semicolon-separated
                frame = pd.read_csv(path, sep=";", encoding="utf-8-sig")
            return frame
    except pd.errors.EmptyDataError:
        ctx.fail(f"the file {path.name} holds no data")
    except UnicodeDecodeError:
        ctx.fail(f"the file {path.name} is not UTF-8 text")
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        ctx.fail(f"cannot read {path.name}: {str(exc).splitlines()[0]}")
    ctx.fail(f"unsupported file type '{suffix}': use .csv or .parquet")
    raise AssertionError  # unreachable: fail raises


def _load_sql(ctx: StageContext, url: str, query: str) -> Any:
    import pandas as pd
    import sqlalchemy as sa

    if not url or not query.strip():
        ctx.fail("a SQL source needs both 'url' and 'query'")
    try:
        engine = sa.create_engine(url)
    except Exception as exc:  # noqa: BLE001 - bad URLs raise several types
        ctx.fail(f"bad database URL: {exc}")
    try:
        with engine.connect() as conn:
            return pd.read_sql_query(sa.text(query), conn)
    except Exception as exc:  # noqa: BLE001 - driver errors vary by database
        ctx.fail(f"the SQL query failed: {str(exc).splitlines()[0]}")
    finally:
        engine.dispose()
    raise AssertionError


def infer_types(ctx: StageContext, frame: Any) -> Any:
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
                ctx.log(
                    f"warning: column '{col}': {int(bad.sum())} value(s) that are not numbers "
                    f"became missing ({examples})"
                )
            frame[col] = pd.to_numeric(series.astype(str).str.strip(), errors="coerce").where(
                series.notna()
            )
        else:
            frame[col] = series.astype(object)
    return frame


def infer_task(target: Any) -> str:
    import pandas as pd

    if not pd.api.types.is_numeric_dtype(target) or pd.api.types.is_bool_dtype(target):
        return CLASSIFICATION
    values = target.dropna()
    distinct = values.nunique()
    integral = bool((values == values.round()).all())
    if integral and distinct <= max(20, int(0.05 * len(values))) and distinct < len(values):
        return CLASSIFICATION
    return REGRESSION


def content_hash(frame: Any) -> str:
    import pandas as pd

    digest = hashlib.sha256()
    digest.update(json.dumps([str(c) for c in frame.columns]).encode())
    digest.update(json.dumps([str(t) for t in frame.dtypes]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def schema_of(frame: Any) -> dict[str, str]:
    return {str(c): str(t) for c, t in frame.dtypes.items()}


# ------------------------------------------------------------------------------ validate
def validate_data(
    ctx: StageContext, inputs: dict[str, Any], params: dict[str, Any]
) -> dict[str, Any]:
    dataset: DatasetValue = inputs["dataset"]
    frame = dataset.frame
    if params["schema_source"] == "file":
        schema = _read_schema(ctx, params["schema_path"])
    else:
        schema = infer_schema(frame, params["max_missing_fraction"])
    ctx.progress(0.3, "checking the schema")
    violations = check_schema(frame, schema)
    profile = profile_frame(frame)
    ctx.progress(0.9, "profiled")
    for v in violations:
        ctx.log(f"violation: {v}")
    ctx.log_artifact("schema", json.dumps(schema, indent=2).encode("utf-8"), "json")
    report = ReportValue(
        "profile",
        {
            "dataset": dataset.name,
            "rows": len(frame),
            "columns": frame.shape[1],
            "profile": profile,
            "schema": schema,
            "violations": violations,
        },
    )
    if violations and params["on_violation"] == "fail":
        more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
        ctx.fail(f"data check failed: {violations[0]}{more}")
    ctx.log(f"{len(violations)} violation(s); {frame.shape[1]} columns profiled")
    return {"dataset": dataset, "profile": report}


def _read_schema(ctx: StageContext, path: str) -> dict[str, Any]:
    if not path or not Path(path).is_file():
        ctx.fail(f"schema file not found: {path or '(none chosen)'}")
    try:
        schema = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        ctx.fail(f"cannot read the schema file: {exc}")
    if not isinstance(schema, dict) or not isinstance(schema.get("columns"), dict):
        ctx.fail("the schema file has no 'columns' object")
    return schema


def infer_schema(frame: Any, max_missing: float) -> dict[str, Any]:
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


def check_schema(frame: Any, schema: dict[str, Any]) -> list[str]:
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


def profile_frame(frame: Any) -> dict[str, Any]:
    """Per-column statistics (JSON-able)."""
    import pandas as pd

    out: dict[str, Any] = {}
    for col in frame.columns:
        s = frame[col]
        entry: dict[str, Any] = {
            "dtype": str(s.dtype),
            "count": int(s.notna().sum()),
            "missing": int(s.isna().sum()),
            "unique": int(s.nunique()),
        }
        if (
            pd.api.types.is_numeric_dtype(s)
            and not pd.api.types.is_bool_dtype(s)
            and s.notna().any()
        ):
            q = s.quantile([0.25, 0.5, 0.75])
            entry.update(
                mean=float(s.mean()),
                std=float(s.std()) if s.count() > 1 else 0.0,
                min=float(s.min()),
                p25=float(q.iloc[0]),
                median=float(q.iloc[1]),
                p75=float(q.iloc[2]),
                max=float(s.max()),
            )
        else:
            top = s.dropna().astype(str).value_counts().head(5)
            entry["top"] = {str(k): int(v) for k, v in top.items()}
        out[str(col)] = entry
    return out


# ------------------------------------------------------------------------------ split
def split(ctx: StageContext, inputs: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    from sklearn.model_selection import train_test_split

    dataset: DatasetValue = inputs["dataset"]
    frame, target = dataset.frame, dataset.target
    if not target or target not in frame.columns:
        ctx.fail("the dataset has no target column: set 'target' in Load data")
    if len(frame) < 4:
        ctx.fail(f"too few rows to split: {len(frame)}")
    X, y = frame.drop(columns=[target]), frame[target]
    seed, test_size, val_size = params["seed"], params["test_size"], params["validation_size"]
    if test_size + val_size >= 0.95:
        ctx.fail("test and validation parts together must leave rows for training")
    stratify = _stratify(ctx, y, dataset.task, params["stratify"], test_size + val_size)
    X_rest, X_test, y_rest, y_test = _cut(ctx, train_test_split, X, y, test_size, seed, stratify)
    X_val = y_val = None
    if val_size > 0:
        share = val_size / (1.0 - test_size)
        strat_rest = y_rest if stratify is not None else None
        X_rest, X_val, y_rest, y_val = _cut(
            ctx, train_test_split, X_rest, y_rest, share, seed, strat_rest
        )
    value = SplitValue(
        X_rest,
        X_test,
        y_rest,
        y_test,
        X_val,
        y_val,
        dataset.task,
        target,
        [str(c) for c in X.columns],
        dataset.content_hash,
        X_test,
        seed,
    )
    parts = f"train {len(X_rest):,}, test {len(X_test):,}" + (
        f", validation {len(X_val):,}" if X_val is not None else ""
    )
    ctx.log(
        f"split {len(frame):,} rows: {parts}" + (" (stratified)" if stratify is not None else "")
    )
    return {"split": value}


def _stratify(ctx: StageContext, y: Any, task: str, wanted: bool, share: float) -> Any:
    if not wanted or task != CLASSIFICATION:
        return None
    counts = y.value_counts()
    if counts.min() < 2 or len(y) * share < len(counts):
        ctx.log("warning: some classes are too small to stratify; splitting at random")
        return None
    return y


def _cut(ctx: StageContext, fn: Any, X: Any, y: Any, size: float, seed: int, stratify: Any) -> Any:
    try:
        return fn(X, y, test_size=size, random_state=seed, stratify=stratify)
    except ValueError as exc:
        ctx.fail(f"cannot split: {exc}")


# ------------------------------------------------------------------------------ features
def feature_engineering(
    ctx: StageContext, inputs: dict[str, Any], params: dict[str, Any]
) -> dict[str, Any]:
    import pandas as pd

    data: SplitValue = inputs["split"]
    pipe = build_transformer(data, params)
    ctx.progress(0.2, "fitting on the training part")
    try:
        X_train = pipe.fit_transform(data.X_train, data.y_train)
    except ValueError as exc:
        ctx.fail(f"feature engineering failed: {str(exc).splitlines()[0]}")
    ctx.check_cancelled()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        X_test = pipe.transform(data.X_test)
        X_val = pipe.transform(data.X_val) if data.X_val is not None else None
    for w in {str(w.message) for w in caught}:
        ctx.log(f"warning: {w}")
    names = [str(c) for c in X_train.columns]
    for part in (X_train, X_test, X_val):
        if isinstance(part, pd.DataFrame):
            part.columns = names
    value = SplitValue(
        X_train,
        X_test,
        data.y_train,
        data.y_test,
        X_val,
        data.y_val,
        data.task,
        data.target,
        names,
        data.dataset_hash,
        data.raw_test if data.raw_test is not None else data.X_test,
        data.seed,
    )
    ctx.log(f"{len(data.feature_names)} columns in, {len(names)} features out")
    return {"split": value, "transformer": TransformerValue(pipe, list(data.feature_names), names)}


def build_transformer(data: SplitValue, params: dict[str, Any]) -> Any:
    """An unfitted scikit-learn Pipeline: a ColumnTransformer plus optional PCA/selection."""
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

    X = data.X_train
    numeric = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c])]
    other = [c for c in X.columns if c not in numeric]
    num_steps: list[tuple[str, Any]] = []
    if params["numeric_impute"] != "none":
        num_steps.append(("impute", SimpleImputer(strategy=params["numeric_impute"])))
    scaler = {"standard": StandardScaler, "minmax": MinMaxScaler, "robust": RobustScaler}.get(
        params["scaling"]
    )
    if scaler is not None:
        num_steps.append(("scale", scaler()))
    encoder = (
        OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        if params["one_hot"]
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
    width = len(numeric) + sum(X[c].nunique() if params["one_hot"] else 1 for c in other)
    k = max(1, min(params["n_components"], width, len(X)))
    if params["reduce"] == "pca":
        steps.append(("reduce", PCA(n_components=k, random_state=data.seed)))
    elif params["reduce"] == "select_k_best":
        score = f_classif if data.task == CLASSIFICATION else f_regression
        steps.append(("reduce", SelectKBest(score, k=min(k, width))))
    return Pipeline(steps).set_output(transform="pandas")
