"""Data stages: load, validate, split and feature engineering (pandas and scikit-learn).

Each function follows the stage contract ``fn(ctx, inputs, params) -> outputs``. Bad data
ends the stage with :meth:`StageContext.fail` and one clear sentence, never a traceback.
The computations themselves live in :mod:`.portable_data`, whose source exported pipeline
scripts embed; this module adds what only the app has: progress, cancelling, the run log,
content hashes and the values passed between stages.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import warnings
from pathlib import Path
from typing import Any

from mlops_desktop.core.execution import (
    DatasetValue,
    ReportValue,
    SplitValue,
    StageContext,
    TransformerValue,
)
from mlops_desktop.stages.portable_data import (
    TABLE_SUFFIXES,
    apply_roles,
    build_transformer,
    check_reference,
    check_schema,
    choose_task,
    column_roles,
    fit_and_transform,
    infer_schema,
    infer_task,
    load_sklearn_dataset,
    parse_roles,
    prepare_frame,
    read_table,
    reference_schema,
    split_rows,
    stratify_by,
)


# ------------------------------------------------------------------------------ load
def load_data_cache_token(params: dict[str, Any]) -> str | None:
    """A SQL query's result can change at any time: never serve it from the cache."""
    return None if params.get("source") == "sql" else ""


def validate_data_cache_token(params: dict[str, Any]) -> str | None:
    """A check against the workspace's stored reference reads that reference, which a first
    run stores and a re-baseline forgets: it always runs (a cached check checked nothing)."""
    return None if params.get("schema_source") == "reference" else ""


def load_data(ctx: StageContext, inputs: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    source = params["source"]
    ctx.progress(0.05, f"reading from {source}")
    if source == "sklearn":
        frame = load_sklearn_dataset(params["dataset"], params["target"] or "target")
        name = params["dataset"]
    elif source == "file":
        frame, name = _load_file(ctx, params["path"]), Path(params["path"]).name
    else:
        frame, name = _load_sql(ctx, params["url"], params["query"]), "sql query"
    ctx.check_cancelled()
    target = params["target"]
    try:
        frame = prepare_frame(
            frame, name, target, params["sample_rows"], params["seed"], log=ctx.log
        )
        roles = column_roles(
            frame, target, parse_roles(params.get("roles", "")), params.get("auto_roles", True)
        )
    except ValueError as exc:
        ctx.fail(str(exc))
    frame = apply_roles(frame, roles)
    _log_roles(ctx, roles)
    task = _task(ctx, frame, target, params.get("task", "auto"))
    value = DatasetValue(
        frame,
        target,
        task,
        name,
        content_hash(frame),
        schema_of(frame),
        {col: role for col, (role, _) in roles.items() if role != "ignore"},
    )
    if target and len(roles) <= LEAKAGE_MAX_COLUMNS:
        from mlops_desktop.stages._columns import leakage_warnings

        for line in leakage_warnings(value, ctx.threads):
            ctx.log(line)
    ctx.log(
        f"loaded {name}: {len(frame):,} rows x {frame.shape[1]} columns; target '{target}' ({task or 'none'})"
    )
    ctx.log(f"content hash {value.content_hash[:16]}")
    ctx.progress(1.0, "loaded")
    return {"dataset": value}


def _task(ctx: StageContext, frame: Any, target: str, wanted: str) -> str:
    """The inferred task, or the one asked for when the target fits it (logged)."""
    if not target:
        return ""
    try:
        task = choose_task(frame[target], wanted)
    except ValueError as exc:
        ctx.fail(str(exc))
    if wanted != "auto":
        inferred = infer_task(frame[target])
        ctx.log(
            f"task {task} as chosen"
            + (f" (the target alone looks like {inferred})" if inferred != task else "")
        )
        if task == "classification":
            counts = frame[target].value_counts()
            single = int((counts < 2).sum())
            if single:
                ctx.log(
                    f"warning: {single} of {len(counts)} classes of '{target}' have a single "
                    "row: they cannot be both learnt and tested"
                )
    return task


LEAKAGE_MAX_COLUMNS = 60  # the single-column leakage check runs on tables this narrow


def _log_roles(ctx: StageContext, roles: dict[str, tuple[str, str]]) -> None:
    """One line per column that is not a plain feature: what it is used for, and why."""
    for col, (role, reason) in roles.items():
        if role == "ignore":
            ctx.log(
                f"ignored column '{col}': {reason}"
                + (" (set its role to change this)" if reason != "chosen" else "")
            )
        elif role not in ("feature", "target"):
            ctx.log(f"column '{col}' has the role {role}")


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
    if suffix not in TABLE_SUFFIXES:
        ctx.fail(f"unsupported file type '{suffix}': use .csv or .parquet")
    try:
        return read_table(path)
    except pd.errors.EmptyDataError:
        ctx.fail(f"the file {path.name} holds no data")
    except UnicodeDecodeError:
        ctx.fail(f"the file {path.name} is not UTF-8 text")
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        ctx.fail(f"cannot read {path.name}: {str(exc).splitlines()[0]}")
    raise AssertionError  # unreachable: fail raises


def _load_sql(ctx: StageContext, url: str, query: str) -> Any:
    """One read-only, trusted SELECT (stages/_sql_source.py)."""
    from mlops_desktop.stages._sql_source import display_url, run_query, sql_identity

    if not url or not query.strip():
        ctx.fail("a SQL source needs both 'url' and 'query'")
    check = ctx.services.get("code_trust")
    ident, digest = sql_identity(url, query)
    if check is not None and not check("sql", ident, digest):
        ctx.fail(f"the query on {ident} is not trusted in this workspace (or changed since)")
    try:
        return run_query(url, query)
    except PermissionError as exc:
        ctx.fail(f"the SQL query was refused: {exc}")
    except Exception as exc:  # noqa: BLE001 - driver errors vary by database
        ctx.fail(f"the SQL query failed: {str(exc).splitlines()[0]} ({display_url(url)})")
    raise AssertionError


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
    if params["schema_source"] == "reference":
        schema, violations = _check_reference(ctx, frame)
    else:
        if params["schema_source"] == "file":
            schema = _read_schema(ctx, params["schema_path"])
        else:
            schema = infer_schema(frame, params["max_missing_fraction"])
        ctx.progress(0.3, "checking the schema")
        violations = check_schema(frame, schema)
    ctx.log_metric("schema_violations", float(len(violations)))
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


def _check_reference(ctx: StageContext, frame: Any) -> tuple[dict[str, Any], list[str]]:
    """Check ``frame`` against the reference stored in the workspace; the first run stores
    it. Logs ``schema_reference`` 1 when a stored reference was checked, 0 when stored now."""
    store = ctx.services.get("schema_references")
    if store is None:
        ctx.fail("a stored reference schema needs a workspace; run this pipeline in the app")
    record = store.get(ctx.run_id, ctx.node_id)
    if record is None:
        schema = reference_schema(frame)
        store.store(ctx.run_id, ctx.node_id, schema)
        ctx.log_metric("schema_reference", 0.0)
        ctx.log(f"stored the reference schema ({len(schema['columns'])} columns) from this run")
        return schema, []
    ctx.log_metric("schema_reference", 1.0)
    ctx.log_metric("schema_reference_run", float(record["run_id"]))
    ctx.log(f"checking against the reference schema stored by run #{record['run_id']}")
    return record["schema"], check_reference(frame, record["schema"])


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
    dataset: DatasetValue = inputs["dataset"]
    frame, target = dataset.frame, dataset.target
    if not target or target not in frame.columns:
        ctx.fail("the dataset has no target column: set 'target' in Load data")
    if len(frame) < 4:
        ctx.fail(f"too few rows to split: {len(frame)}")
    special = role_columns(dataset.roles)
    X, y = frame.drop(columns=[target, *special.values()]), frame[target]
    seed, test_size, val_size = params["seed"], params["test_size"], params["validation_size"]
    share = test_size + val_size
    if share >= 0.95:
        ctx.fail("test and validation parts together must leave rows for training")
    order = frame[special["time"]] if "time" in special else None
    groups = frame[special["group"]] if "group" in special else None
    wanted = params["stratify"] and order is None and groups is None
    stratify = stratify_by(y, dataset.task, wanted, share, log=ctx.log)
    try:
        X_rest, X_test, y_rest, y_test, X_val, y_val = split_rows(
            X, y, test_size, val_size, seed, stratify, groups, order
        )
    except ValueError as exc:
        ctx.fail(f"cannot split: {exc}")
    weights = frame[special["weight"]].loc[X_rest.index] if "weight" in special else None
    w_val = None if weights is None or X_val is None else frame[special["weight"]].loc[X_val.index]
    g_train = groups.loc[X_rest.index] if groups is not None else None
    t_train = order.loc[X_rest.index] if order is not None else None
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
        w_train=weights,
        g_train=g_train,
        t_train=t_train,
        w_val=w_val,
    )
    how = (
        f" (the latest rows by '{special['time']}' are tested)"
        if order is not None
        else f" (no '{special['group']}' group in two parts)"
        if groups is not None
        else ""
    )
    parts = f"train {len(X_rest):,}, test {len(X_test):,}" + (
        f", validation {len(X_val):,}" if X_val is not None else ""
    )
    ctx.log(
        f"split {len(frame):,} rows: {parts}"
        + (" (stratified)" if stratify is not None else "")
        + how
    )
    return {"split": value}


def role_columns(roles: dict[str, str]) -> dict[str, str]:
    """The weight, time and group columns by role (they are not features)."""
    return {role: col for col, role in roles.items() if role in ("weight", "time", "group")}


# ------------------------------------------------------------------------------ features
# the feature engineering stage's parameters that build_transformer takes by name
TRANSFORMER_PARAMS = ("numeric_impute", "scaling", "one_hot", "reduce", "n_components")


def feature_engineering(
    ctx: StageContext, inputs: dict[str, Any], params: dict[str, Any]
) -> dict[str, Any]:
    from sklearn.base import clone as sklearn_clone

    data: SplitValue = inputs["split"]
    if params["one_hot"]:
        from mlops_desktop.stages._limits import one_hot_too_big

        found = one_hot_too_big(data.X_train)
        if found is not None:
            what, column = found
            ctx.fail(
                f"{what}: set one_hot off (one number per text column), or give '{column}' "
                "the role ignore in Load data"
            )
    pipe = build_transformer(
        data.X_train,
        data.task,
        data.seed,
        **{key: params[key] for key in TRANSFORMER_PARAMS},
    )
    ctx.progress(0.2, "fitting on the training part")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            (X_train,) = fit_and_transform(pipe, data.X_train, data.y_train)
        except ValueError as exc:
            ctx.fail(f"feature engineering failed: {str(exc).splitlines()[0]}")
    assert X_train is not None  # the training part is always transformed
    ctx.check_cancelled()
    for w in {str(w.message) for w in caught}:
        ctx.log(f"warning: {w}")
    names = [str(c) for c in X_train.columns]
    value = dataclasses.replace(data, preprocessor=sklearn_clone(pipe))
    ctx.log(
        f"{len(data.feature_names)} columns in, {len(names)} features out; the model refits "
        "this preprocessing on the training part and carries it"
    )
    return {"split": value, "transformer": TransformerValue(pipe, list(data.feature_names), names)}
