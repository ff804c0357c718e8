"""Specs of the data stages: load, validate, split, feature engineering."""

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
    p_path,
    p_str,
    p_text,
)
from mlops_desktop.stages.portable_data import TASKS

DATASETS = ("iris", "wine", "breast_cancer", "digits", "diabetes")

SPECS = [
    StageSpec(
        id="load_data",
        title="Load data",
        category="Data",
        kind="data_ingest",
        icon="data",
        description="Load a scikit-learn bundled dataset, a CSV or Parquet file, or the result of a "
        "SQL query. Infers column types and roles (identifiers, row numbers, high-cardinality "
        "text and constants are ignored, with the reason in the log; a column that predicts the "
        "target suspiciously well alone is reported) and records the content hash and schema.",
        impl="mlops_desktop.stages.data:load_data",
        outputs=(out("dataset", T.DATASET),),
        params=(
            p_choice(
                "source", "sklearn", ("sklearn", "file", "sql"), help="Where the data comes from."
            ),
            p_choice(
                "dataset",
                "breast_cancer",
                DATASETS,
                help="A dataset bundled with scikit-learn.",
                visible_when=("source", "sklearn"),
            ),
            p_path(
                "path",
                help="A CSV or Parquet file.",
                file_filter="Data files (*.csv *.parquet *.pq)",
                visible_when=("source", "file"),
            ),
            p_str("url", help="A SQLAlchemy database URL.", visible_when=("source", "sql")),
            p_text("query", help="A SQL SELECT query.", visible_when=("source", "sql")),
            p_str("target", "target", help="The name of the column to predict."),
            p_choice(
                "task",
                "auto",
                TASKS,
                help="auto: classification for text, booleans and few whole numbers, else "
                "regression. Choose one to override it (e.g. regression on a count with many "
                "values, classification on ratings 1-10); a target that cannot fit the choice "
                "stops the stage with the reason.",
            ),
            p_opt_int(
                "sample_rows",
                lo=1,
                help="Keep only this many rows (random, seeded); empty keeps all.",
            ),
            p_int("seed", 0, lo=0, help="Seed for sampling."),
            p_text(
                "roles",
                "",
                help="Column roles, e.g. 'rownames=ignore, ticket=ignore, date=time': feature, "
                "target, ignore, weight (training row weights), time (the latest rows are "
                "tested) or group (no group in two parts). Empty: inferred.",
            ),
            p_bool(
                "auto_roles",
                True,
                help="Ignore columns that look like identifiers, row numbers, high-cardinality "
                "text or constants (the run log says which and why).",
            ),
        ),
    ),
    StageSpec(
        id="validate_data",
        title="Validate data",
        category="Data",
        kind="data_validate",
        icon="validate",
        description="Check the data against an expected schema (columns, types, ranges, allowed "
        "categories, missing-value limits), inferred on first run or loaded from a file, and write "
        "a per-column profile. A violation fails the run or warns, as configured.",
        impl="mlops_desktop.stages.data:validate_data",
        # against the reference it keeps and reads the schema in the workspace: it runs in
        # the app's process (never on a remote worker)
        local_when=("schema_source", "reference"),
        inputs=(inp("dataset", T.DATASET),),
        outputs=(out("dataset", T.DATASET), out("profile", T.REPORT)),
        params=(
            p_choice(
                "schema_source",
                "infer",
                ("infer", "file", "reference"),
                help="Infer the schema from the data, read it from a JSON file, or check "
                "against the reference stored by the first run in the workspace (new or missing "
                "columns, type changes, values far out of range, unseen categories, missing-"
                "share jumps); 'mlops-desktop schema PROJECT --rebaseline' forgets it.",
            ),
            p_path(
                "schema_path",
                help="A JSON schema file written by an earlier run.",
                file_filter="Schema (*.json)",
                visible_when=("schema_source", "file"),
            ),
            p_float(
                "max_missing_fraction",
                0.2,
                0.0,
                1.0,
                help="Largest share of missing values allowed per column.",
            ),
            p_choice(
                "on_violation",
                "fail",
                ("fail", "warn"),
                help="Fail the run or only warn on a violation.",
            ),
        ),
    ),
    StageSpec(
        id="split",
        title="Split",
        category="Data",
        kind="data_transform",
        icon="split",
        description="Split the data into train and test (and an optional validation) part, "
        "stratified by the target for classification, with a seed.",
        impl="mlops_desktop.stages.data:split",
        inputs=(inp("dataset", T.DATASET),),
        outputs=(out("split", T.SPLIT),),
        params=(
            p_float("test_size", 0.25, 0.05, 0.9, help="Share of rows in the test part."),
            p_float(
                "validation_size",
                0.0,
                0.0,
                0.5,
                help="Share of rows in a validation part (0 for none). Train chooses its "
                "decision threshold on it; otherwise Train and Tune (k folds) fit on it too.",
            ),
            p_bool("stratify", True, help="Keep class proportions in every part (classification)."),
            p_int("seed", 42, lo=0, help="Random seed."),
        ),
    ),
    StageSpec(
        id="feature_engineering",
        title="Feature engineering",
        category="Data",
        kind="feature_eng",
        icon="features",
        description="Impute, scale and one-hot encode, with optional PCA or feature selection, as "
        "a ColumnTransformer fitted on the training part only.",
        impl="mlops_desktop.stages.data:feature_engineering",
        inputs=(inp("split", T.SPLIT),),
        outputs=(out("split", T.SPLIT), out("transformer", T.TRANSFORMER)),
        params=(
            p_choice("numeric_impute", "median", ("median", "mean", "most_frequent", "none")),
            p_choice("scaling", "standard", ("standard", "minmax", "robust", "none")),
            p_bool("one_hot", True, help="One-hot encode text/categorical columns."),
            p_choice("reduce", "none", ("none", "pca", "select_k_best")),
            p_int(
                "n_components",
                10,
                1,
                1000,
                help="Components (PCA) or features kept (selection).",
                visible_when=None,
            ),
        ),
    ),
]
