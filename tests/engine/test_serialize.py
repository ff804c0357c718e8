"""Port values survive the trip to artifact bytes and back; nothing untrusted is loaded."""

from __future__ import annotations

import io
import json
import os
import zipfile

import numpy as np
import pandas as pd
import pytest

from mlops_desktop.core.errors import FormatError
from mlops_desktop.core.execution import (
    DatasetValue,
    MetricsValue,
    ModelValue,
    PredictionsValue,
    ReportValue,
    SplitValue,
)
from mlops_desktop.engine import serialize


def roundtrip(value):
    data, suffix = serialize.dumps(value)
    return serialize.loads(data), data, suffix


def test_dataset_is_parquet_with_metadata_and_keeps_unicode_and_missing_values():
    frame = pd.DataFrame(
        {"größe (cm)": [1.5, np.nan, 3.0], "城市": ["a", None, "c"], "y": [0, 1, 0]}
    )
    value = DatasetValue(frame, "y", "classification", "x.csv", "abc", {"y": "int64"})
    back, data, suffix = roundtrip(value)
    assert suffix == ".parquet" and data[:4] == b"PAR1"
    pd.testing.assert_frame_equal(back.frame, frame)
    assert (back.target, back.task, back.name, back.content_hash, back.schema) == (
        "y",
        "classification",
        "x.csv",
        "abc",
        {"y": "int64"},
    )
    assert serialize.dumps(value)[0] == data  # same value, same bytes (stable cache digests)


def test_split_and_model_bundles_roundtrip_with_identical_predictions():
    from sklearn.datasets import load_iris
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_iris(return_X_y=True, as_frame=True)
    split = SplitValue(
        X[:100],
        X[100:],
        y[:100],
        y[100:],
        task="classification",
        target="target",
        feature_names=list(X.columns),
    )
    back, _, suffix = roundtrip(split)
    assert suffix == ".zip"
    pd.testing.assert_frame_equal(back.X_test, split.X_test)
    pd.testing.assert_series_equal(back.y_train, split.y_train)
    assert back.X_val is None and back.feature_names == list(X.columns)
    for est in (
        RandomForestClassifier(5, random_state=0),
        HistGradientBoostingClassifier(max_iter=5),
        make_pipeline(StandardScaler(), KNeighborsClassifier()),
    ):
        est.fit(X, y)
        model, _, _ = roundtrip(
            ModelValue(est, "classification", list(X.columns), "x", {"a": 1}, [0, 1, 2])
        )
        np.testing.assert_array_equal(model.estimator.predict(X), est.predict(X))
        assert model.classes == [0, 1, 2]


def test_metrics_report_predictions_and_plain_values():
    metrics, _, suffix = roundtrip(MetricsValue({"accuracy": np.float64(0.9)}, {"cm": np.eye(2)}))
    assert (
        suffix == ".json"
        and metrics.values == {"accuracy": 0.9}
        and metrics.details["cm"] == [[1, 0], [0, 1]]
    )
    report, _, _ = roundtrip(ReportValue("profile", {"a": {"mean": float("nan")}}))
    assert report.kind == "profile" and report.data == {"a": {"mean": None}}
    preds, _, _ = roundtrip(PredictionsValue(pd.DataFrame({"y_pred": [1, 2]}), "regression"))
    assert preds.task == "regression" and preds.frame["y_pred"].tolist() == [1, 2]
    assert roundtrip({"k": [1, "x", None]})[0] == {"k": [1, "x", None]}
    assert roundtrip((np.arange(3), {"n": np.int64(2)}))[0][1] == {"n": 2}


def test_model_needing_untrusted_types_is_refused():
    import skops.io as sio
    from sklearn.preprocessing import FunctionTransformer

    data = sio.dumps(FunctionTransformer(os.getcwd))
    with pytest.raises(FormatError, match="untrusted types: posix.getcwd"):
        serialize.load_estimator(data)


def _bundle(manifest: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
    return buf.getvalue()


def test_bundle_refuses_types_outside_the_app_and_garbage():
    evil = _bundle(
        {
            "format": "mlops-desktop/value",
            "version": 1,
            "value": {"dataclass": "subprocess:CompletedProcess", "fields": {}},
        }
    )
    with pytest.raises(FormatError, match="not an app type"):
        serialize.loads(evil)
    with pytest.raises(FormatError):
        serialize.loads(b"\x80\x04\x95 pickled bytes")
    with pytest.raises(FormatError):
        serialize.loads(_bundle({"format": "something else"}))


def test_object_arrays_are_not_stored():
    with pytest.raises(FormatError, match="array of Python objects"):
        serialize.dumps(np.array([object()], dtype=object))
