"""Port values to artifact bytes and back, without pickle.

- A :class:`DatasetValue` or :class:`PredictionsValue` is one Parquet file; its metadata
  (target, task, name...) sits in the Parquet schema's key-value metadata.
- :class:`MetricsValue`, :class:`ReportValue` and plain JSON values are JSON files.
- Everything else (splits, models, transformers, other dataclasses of the app) is a zip
  bundle: ``manifest.json`` describes the value as a tree whose leaves are JSON, Parquet
  tables, ``.npy`` arrays (read with ``allow_pickle=False``) or estimators saved with skops.
  skops loads only its own trusted types plus the explicit :data:`TRUSTED_TYPES`; a file
  needing any other type is refused. Dataclasses are rebuilt only from ``mlops_desktop``
  modules.
"""

from __future__ import annotations

import dataclasses
import importlib
import io
import json
import math
import zipfile
from typing import Any

from mlops_desktop.core.errors import FormatError
from mlops_desktop.core.execution import (
    DatasetValue,
    MetricsValue,
    PredictionsValue,
    ReportValue,
)

META_KEY = b"mlops_desktop"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed member times: same value, same bytes

# Types outside skops' default trust that the app's own estimators need (checked with
# skops.io.get_untrusted_types on every estimator the built-in stages build).
TRUSTED_TYPES: tuple[str, ...] = (
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn._loss.loss.HalfMultinomialLoss",
    "sklearn._loss.loss.HalfSquaredError",
    "sklearn._loss.link.IdentityLink",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.link.MultinomialLogit",
    "sklearn._loss.link.Interval",
    "sklearn._loss._loss.CyHalfBinomialLoss",
    "sklearn._loss._loss.CyHalfMultinomialLoss",
    "sklearn._loss._loss.CyHalfSquaredError",
    "sklearn.neighbors._kd_tree.KDTree",
    "sklearn.neighbors._ball_tree.BallTree",
    "sklearn.metrics._dist_metrics.EuclideanDistance64",
    "sklearn.utils._bunch.Bunch",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.feature_selection._univariate_selection.f_classif",
    "sklearn.feature_selection._univariate_selection.f_regression",
    "numpy.dtype",
    "numpy.float64",
    "numpy.int64",
    "numpy.random.mtrand.RandomState",
    "collections.OrderedDict",
    "builtins.slice",
)


# ------------------------------------------------------------------------------ public
def dumps(value: Any) -> tuple[bytes, str]:
    """``value`` as artifact bytes and the file suffix that names its format."""
    if isinstance(value, DatasetValue | PredictionsValue):
        return _table_bytes(value), ".parquet"
    if isinstance(value, MetricsValue):
        doc = {"type": "metrics", "values": value.values, "details": value.details}
        return _json_bytes(doc), ".json"
    if isinstance(value, ReportValue):
        return _json_bytes({"type": "report", "kind": value.kind, "data": value.data}), ".json"
    if _is_json(value):
        return _json_bytes({"type": "json", "value": value}), ".json"
    return _bundle_bytes(value), ".zip"


def loads(data: bytes) -> Any:
    """The value written by :func:`dumps` (refuses anything it did not write)."""
    if data[:4] == b"PAR1":
        return _table_value(data)
    if data[:2] == b"PK":
        return _bundle_value(data)
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FormatError(f"not an artifact this app wrote: {exc}") from None
    kind = doc.get("type") if isinstance(doc, dict) else None
    if kind == "metrics":
        return MetricsValue(dict(doc["values"]), dict(doc["details"]))
    if kind == "report":
        return ReportValue(doc["kind"], dict(doc["data"]))
    if kind == "json":
        return doc["value"]
    raise FormatError("not an artifact this app wrote: unknown JSON document")


def dump_estimator(estimator: Any) -> bytes:
    """The estimator in skops format.

    Same file as ``skops.io.dumps``, written faster for forests of hundreds of trees:
    ``schema.json`` without indentation (Python's JSON encoder is several times faster
    then) and a zip whose member-name check is a set lookup, not a list scan per array.
    Falls back to ``skops.io.dumps`` if skops' internals moved.
    """
    import skops.io as sio

    try:
        import skops
        from skops.io import _persist

        buffer = io.BytesIO()
        with _FastNamesZip(buffer, "w", compression=zipfile.ZIP_STORED) as zf:
            context = _persist.SaveContext(zip_file=zf)
            state = _persist.get_state(estimator, context)
            context.clear_memo()
            state["protocol"] = context.protocol
            state["_skops_version"] = skops.__version__
            zf.writestr("schema.json", json.dumps(state))
        return buffer.getvalue()
    except (ImportError, AttributeError):
        return sio.dumps(estimator)


class _FastNamesZip(zipfile.ZipFile):
    """skops asks ``name not in zip.namelist()`` once per array: answer from a dict view."""

    def namelist(self) -> Any:
        return self.NameToInfo.keys()


def load_estimator(data: bytes) -> Any:
    """Load a skops file, refusing every type outside skops' defaults and TRUSTED_TYPES."""
    import skops.io as sio

    untrusted = [t for t in sio.get_untrusted_types(data=data) if t not in TRUSTED_TYPES]
    if untrusted:
        raise FormatError(
            f"refusing to load a model that needs untrusted types: {', '.join(untrusted)}"
        )
    return sio.loads(data, trusted=list(sio.get_untrusted_types(data=data)))


# ------------------------------------------------------------------------------ JSON
def _clean(obj: Any) -> Any:
    """Plain JSON types from numpy scalars/arrays; NaN and infinities become None."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if hasattr(obj, "tolist") and not isinstance(obj, str):
        return _clean(obj.tolist())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if hasattr(obj, "item") and not isinstance(obj, bool | int | float | str):
        return _clean(obj.item())
    return obj


def _json_bytes(doc: Any) -> bytes:
    return json.dumps(_clean(doc), sort_keys=True, ensure_ascii=False).encode("utf-8")


def _is_json(value: Any) -> bool:
    if value is None or isinstance(value, bool | int | float | str):
        return True
    if isinstance(value, list | tuple):
        return all(_is_json(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json(v) for k, v in value.items())
    return False


# ------------------------------------------------------------------------------ Parquet
def _frame_bytes(frame: Any, meta: dict[str, Any] | None = None) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = frame.copy(deep=False)
    frame.columns = [str(c) for c in frame.columns]
    table = pa.Table.from_pandas(frame, preserve_index=True)
    if meta is not None:
        merged = dict(table.schema.metadata or {})
        merged[META_KEY] = _json_bytes(meta)
        table = table.replace_schema_metadata(merged)
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def _frame_value(data: bytes) -> tuple[Any, dict[str, Any]]:
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(data))
    meta_raw = (table.schema.metadata or {}).get(META_KEY)
    meta = json.loads(meta_raw) if meta_raw else {}
    return table.to_pandas(), meta


def _table_bytes(value: DatasetValue | PredictionsValue) -> bytes:
    if isinstance(value, DatasetValue):
        meta = {
            "type": "dataset",
            "target": value.target,
            "task": value.task,
            "name": value.name,
            "content_hash": value.content_hash,
            "schema": value.schema,
        }
    else:
        meta = {"type": "predictions", "task": value.task}
    return _frame_bytes(value.frame, meta)


def _table_value(data: bytes) -> Any:
    frame, meta = _frame_value(data)
    if meta.get("type") == "predictions":
        return PredictionsValue(frame, meta.get("task", ""))
    return DatasetValue(
        frame,
        meta.get("target", ""),
        meta.get("task", ""),
        meta.get("name", ""),
        meta.get("content_hash", ""),
        dict(meta.get("schema", {})),
    )


# ------------------------------------------------------------------------------ bundles
class _Writer:
    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zf = zf
        self.n = 0

    def member(self, suffix: str, data: bytes) -> str:
        name = f"m{self.n}{suffix}"
        self.n += 1
        info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
        info.compress_type = zipfile.ZIP_STORED
        self.zf.writestr(info, data)
        return name

    def encode(self, value: Any) -> Any:
        import numpy as np
        import pandas as pd

        if _is_json(value):
            return {"json": value}
        if isinstance(value, pd.DataFrame):
            return {"frame": self.member(".parquet", _frame_bytes(value))}
        if isinstance(value, pd.Series):
            name = value.name if isinstance(value.name, str) else None
            frame = value.to_frame(name="__series__")
            return {"series": self.member(".parquet", _frame_bytes(frame)), "name": name}
        if isinstance(value, np.ndarray):
            if value.dtype == object:
                raise FormatError("cannot store an array of Python objects")
            buf = io.BytesIO()
            np.save(buf, value, allow_pickle=False)
            return {"ndarray": self.member(".npy", buf.getvalue())}
        if isinstance(value, np.generic):
            return {"json": value.item()}
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            cls = type(value)
            fields = {
                f.name: self.encode(getattr(value, f.name)) for f in dataclasses.fields(value)
            }
            return {"dataclass": f"{cls.__module__}:{cls.__qualname__}", "fields": fields}
        if isinstance(value, dict):
            return {"dict": [[self.encode(k), self.encode(v)] for k, v in value.items()]}
        if isinstance(value, list | tuple):
            return {"list": [self.encode(v) for v in value], "tuple": isinstance(value, tuple)}
        if hasattr(value, "get_params") and hasattr(value, "fit"):
            return {"skops": self.member(".skops", dump_estimator(value))}
        raise FormatError(f"cannot store a value of type {type(value).__name__}")


def _bundle_bytes(value: Any) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        writer = _Writer(zf)
        tree = writer.encode(value)
        info = zipfile.ZipInfo("manifest.json", date_time=ZIP_DATE)
        zf.writestr(
            info, _json_bytes({"format": "mlops-desktop/value", "version": 1, "value": tree})
        )
    return buf.getvalue()


def _bundle_value(data: bytes) -> Any:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            manifest = json.loads(zf.read("manifest.json"))
            if manifest.get("format") != "mlops-desktop/value":
                raise FormatError("not an artifact this app wrote")
            return _decode(zf, manifest["value"])
    except (KeyError, zipfile.BadZipFile) as exc:
        raise FormatError(f"broken artifact bundle: {exc}") from None


def _decode(zf: zipfile.ZipFile, node: dict[str, Any]) -> Any:
    if "json" in node:
        return node["json"]
    if "frame" in node:
        return _frame_value(zf.read(node["frame"]))[0]
    if "series" in node:
        series = _frame_value(zf.read(node["series"]))[0]["__series__"]
        series.name = node.get("name")
        return series
    if "ndarray" in node:
        import numpy as np

        return np.load(io.BytesIO(zf.read(node["ndarray"])), allow_pickle=False)
    if "skops" in node:
        return load_estimator(zf.read(node["skops"]))
    if "dataclass" in node:
        cls = _dataclass_type(node["dataclass"])
        return cls(**{k: _decode(zf, v) for k, v in node["fields"].items()})
    if "dict" in node:
        return {_decode(zf, k): _decode(zf, v) for k, v in node["dict"]}
    if "list" in node:
        items = [_decode(zf, v) for v in node["list"]]
        return tuple(items) if node.get("tuple") else items
    raise FormatError("broken artifact bundle: unknown value node")


def _dataclass_type(path: str) -> type:
    module_name, _, qualname = path.partition(":")
    if not module_name.startswith("mlops_desktop."):
        raise FormatError(f"refusing to rebuild a value of type {path} (not an app type)")
    obj: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
    if not (isinstance(obj, type) and dataclasses.is_dataclass(obj)):
        raise FormatError(f"unknown value type {path}")
    return obj
