"""Load, validate, split and feature engineering on real and deliberately bad data."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pandas as pd
import pytest

from mlops_desktop.core.execution import StageFailed


def load(stage, **params):
    return stage.run("load_data", **params)["dataset"]


@pytest.mark.parametrize(
    "name,task,rows",
    [
        ("iris", "classification", 150),
        ("diabetes", "regression", 442),
        ("breast_cancer", "classification", 569),
    ],
)
def test_bundled_datasets_with_task_hash_and_schema(stage, name, task, rows):
    ds = load(stage, dataset=name)
    assert ds.task == task and ds.shape[0] == rows and ds.target == "target"
    assert len(ds.content_hash) == 64 and ds.schema["target"] in ("int64", "float64")
    assert ds.content_hash == load(stage, dataset=name).content_hash


def test_sample_rows_is_seeded(stage):
    a = load(stage, dataset="iris", sample_rows=20, seed=3)
    b = load(stage, dataset="iris", sample_rows=20, seed=3)
    assert a.shape[0] == 20 and a.content_hash == b.content_hash


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_csv_with_missing_values_loads_and_validation_reports_them(stage, tmp_path):
    path = write(tmp_path, "m.csv", "a,b,target\n1,,0\n2,x,1\n,y,0\n4,x,1\n")
    ds = load(stage, source="file", path=path)
    assert ds.frame["a"].isna().sum() == 1 and ds.task == "classification"
    with pytest.raises(StageFailed, match="column 'a' is 25% missing"):
        stage.run("validate_data", {"dataset": ds}, max_missing_fraction=0.1)
    out = stage.run("validate_data", {"dataset": ds}, max_missing_fraction=0.1, on_violation="warn")
    assert out["profile"].data["profile"]["a"]["missing"] == 1
    assert "violation: column 'b' is 25% missing" in stage.log


def test_text_in_a_numeric_column_becomes_missing_with_a_warning(stage, tmp_path):
    rows = "\n".join(f"{i},{i % 2}" for i in range(30))
    path = write(tmp_path, "t.csv", f"age,target\n{rows}\nabc,1\n")
    ds = load(stage, source="file", path=path)
    assert pd.api.types.is_float_dtype(ds.frame["age"]) and ds.frame["age"].isna().sum() == 1
    assert "column 'age': 1 value(s) that are not numbers became missing ('abc')" in stage.log


def test_unicode_header_survives_to_a_trained_model(stage, tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"größe_°C": rng.normal(size=60), "城市": rng.choice(["北京", "東京"], 60)}
    )
    frame["ziel"] = (frame["größe_°C"] > 0).astype(int)
    path = tmp_path / "u.csv"
    frame.to_csv(path, index=False)
    ds = load(stage, source="file", path=str(path), target="ziel")
    assert list(ds.frame.columns) == ["größe_°C", "城市", "ziel"]
    split = stage.run("split", {"dataset": ds})["split"]
    out = stage.run("feature_engineering", {"split": split})
    fe = out["split"]
    assert "城市_北京" in out["transformer"].feature_names_out
    model = stage.run("train", {"split": fe}, estimator="logistic_regression")["model"]
    assert model.feature_names == ["größe_°C", "城市"]  # the model scores raw rows
    assert model.estimator.score(fe.X_test, fe.y_test) > 0.8


@pytest.mark.parametrize(
    "content,message",
    [
        ("", "is empty"),
        ("\n\n", "holds no data"),
        ("a,target\n", "has no rows"),
    ],
)
def test_empty_files_fail_clearly(stage, tmp_path, content, message):
    with pytest.raises(StageFailed, match=message):
        load(stage, source="file", path=write(tmp_path, "e.csv", content))


def test_missing_path_missing_target_and_bad_type(stage, tmp_path):
    with pytest.raises(StageFailed, match="file not found: .*nope.csv"):
        load(stage, source="file", path=str(tmp_path / "nope.csv"))
    with pytest.raises(StageFailed, match="no file chosen"):
        load(stage, source="file")
    path = write(tmp_path, "x.csv", "a,b\n1,2\n")
    with pytest.raises(
        StageFailed, match="target column 'target' not found in x.csv; columns are: a, b"
    ):
        load(stage, source="file", path=path)
    with pytest.raises(StageFailed, match="unsupported file type '.xlsx'"):
        load(stage, source="file", path=write(tmp_path, "x.xlsx", "zz"))


def test_parquet_and_sql_sources(stage, tmp_path):
    frame = pd.DataFrame({"x": np.arange(40.0) / 2, "target": np.arange(40) % 2})
    frame.to_parquet(tmp_path / "d.parquet")
    assert load(stage, source="file", path=str(tmp_path / "d.parquet")).shape == (40, 2)
    db = tmp_path / "d.db"
    with sqlite3.connect(db) as conn:
        frame.to_sql("t", conn, index=False)
    ds = load(stage, source="sql", url=f"sqlite:///{db}", query="SELECT * FROM t WHERE x < 10")
    assert ds.shape == (20, 2) and ds.task == "classification"
    with pytest.raises(StageFailed, match="the SQL query failed: .*no such table"):
        load(stage, source="sql", url=f"sqlite:///{db}", query="SELECT * FROM missing")


def test_schema_file_checks_ranges_and_categories(stage, tmp_path):
    ds = load(stage, dataset="iris")
    schema = {
        "columns": {
            "sepal length (cm)": {"kind": "numeric", "min": 5.0, "max": 7.0},
            "target": {"kind": "categorical", "categories": ["0", "1"]},
            "gone": {"kind": "numeric"},
        }
    }
    path = write(tmp_path, "s.json", json.dumps(schema))
    out = stage.run(
        "validate_data",
        {"dataset": ds},
        schema_source="file",
        schema_path=path,
        on_violation="warn",
    )
    problems = out["profile"].data["violations"]
    assert "column 'sepal length (cm)' has 4.3, below the minimum 5" in problems
    assert "column 'target' has unexpected values: 2" in problems
    assert "column 'gone' is missing" in problems
    profile = out["profile"].data["profile"]["sepal length (cm)"]
    assert profile["min"] == 4.3 and profile["max"] == 7.9 and profile["count"] == 150


def test_split_is_stratified_seeded_with_validation(stage):
    ds = load(stage, dataset="iris")
    s = stage.run("split", {"dataset": ds}, test_size=0.2, validation_size=0.2, seed=1)["split"]
    assert (len(s.X_train), len(s.X_val), len(s.X_test)) == (90, 30, 30)
    assert s.y_test.value_counts().tolist() == [10, 10, 10]
    again = stage.run("split", {"dataset": ds}, test_size=0.2, validation_size=0.2, seed=1)["split"]
    assert s.X_test.index.tolist() == again.X_test.index.tolist()


def test_split_without_target_fails(stage):
    ds = load(stage, dataset="iris", target="")
    with pytest.raises(StageFailed, match="no target column"):
        stage.run("split", {"dataset": ds})


def test_feature_engineering_fits_on_train_only_and_the_model_carries_it(stage):
    ds = load(stage, dataset="diabetes")
    s = stage.run("split", {"dataset": ds})["split"]
    out = stage.run("feature_engineering", {"split": s}, scaling="standard")
    fe, transformer = out["split"], out["transformer"]
    scaler = (
        transformer.transformer.named_steps["columns"]
        .named_transformers_["numeric"]
        .named_steps["scale"]
    )
    np.testing.assert_allclose(scaler.mean_, s.X_train.mean().to_numpy())
    # the split keeps raw rows; the model refits the same preprocessing on the training part
    assert fe.X_test is s.X_test and fe.raw_test is s.X_test and fe.preprocessor is not None
    model = stage.run("train", {"split": fe}, estimator="ridge")["model"].estimator
    fitted = model.named_steps["preprocess"].named_steps["columns"]
    np.testing.assert_allclose(
        fitted.named_transformers_["numeric"].named_steps["scale"].mean_, scaler.mean_
    )


@pytest.mark.parametrize("reduce,width", [("pca", 3), ("select_k_best", 3)])
def test_feature_reduction(stage, reduce, width):
    ds = load(stage, dataset="breast_cancer")
    s = stage.run("split", {"dataset": ds})["split"]
    out = stage.run("feature_engineering", {"split": s}, reduce=reduce, n_components=width)
    assert len(out["transformer"].feature_names_out) == width
    model = stage.run("train", {"split": out["split"]})["model"].estimator
    assert model.named_steps["model"].n_features_in_ == width
