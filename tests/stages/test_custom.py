"""The Python-function stage: typed inputs and outputs, errors, and source-hash cache keys."""

from __future__ import annotations

import textwrap

import pandas as pd
import pytest

from mlops_desktop.core.execution import DatasetValue, MetricsValue, StageFailed
from mlops_desktop.core.registry import default_registry
from mlops_desktop.engine.cache import cache_key
from mlops_desktop.stages.data import content_hash


def write(tmp_path, text: str, name: str = "user_code.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def iris() -> DatasetValue:
    from sklearn.datasets import load_iris

    frame = load_iris(as_frame=True).frame
    return DatasetValue(frame, "target", "classification", "iris", content_hash(frame), {})


def test_a_frame_function_gets_the_table_and_returns_a_dataset(stage, tmp_path):
    code = write(
        tmp_path,
        """
        import pandas as pd

        def clip(frame: pd.DataFrame, ctx) -> pd.DataFrame:
            ctx.log(f"clipping {len(frame)} rows")
            ctx.log_metric("rows_in", len(frame))
            return frame[frame["petal length (cm)"] > 2.0].reset_index(drop=True)
        """,
    )
    out = stage.run("python_function", {"input": iris()}, file=str(code), function="clip")["output"]
    assert isinstance(out, DatasetValue)
    assert len(out.frame) == 100 and out.target == "target" and out.task == "classification"
    assert out.content_hash == content_hash(out.frame)
    assert "clipping 150 rows" in stage.log
    assert stage.metric("rows_in") == [150.0]


def test_an_unhinted_function_gets_the_port_value_and_may_return_metrics(stage, tmp_path):
    code = write(
        tmp_path,
        """
        def run(dataset):
            frame = dataset.frame
            return {"rows": len(frame), "mean_target": float(frame[dataset.target].mean())}
        """,
    )
    out = stage.run("python_function", {"input": iris()}, file=str(code))["output"]
    assert isinstance(out, MetricsValue)
    assert out.values == {"rows": 150.0, "mean_target": 1.0}
    assert stage.metric("mean_target") == [1.0]


def test_a_function_without_input_from_a_module(stage, tmp_path, monkeypatch):
    write(
        tmp_path,
        """
        import pandas as pd

        def make():
            return pd.DataFrame({"x": [1.0, 2.0, 3.0]})
        """,
        name="my_stage_module.py",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    out = stage.run("python_function", {}, module="my_stage_module", function="make")["output"]
    assert isinstance(out, DatasetValue) and out.frame["x"].tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize(
    ("source", "params", "message"),
    [
        (None, {}, "no code chosen"),
        (None, {"file": "/nonexistent/x.py"}, "file not found"),
        ("def run(:\n", {}, "line 1"),
        ("raise RuntimeError('boom')\n", {}, "failed while loading: RuntimeError: boom"),
        ("x = 1\n", {}, "has no function 'run'"),
        ("def run(v):\n    return 1 / 0\n", {}, "run() raised ZeroDivisionError"),
        ("def run(v):\n    return None\n", {}, "returned None"),
        (None, {"module": "no_such_module_xyz"}, "cannot import module 'no_such_module_xyz'"),
    ],
)
def test_errors_are_one_clear_line(stage, tmp_path, source, params, message):
    if source is not None:
        params = {"file": str(write(tmp_path, source)), **params}
    with pytest.raises(StageFailed, match=message.replace("(", r"\(").replace(")", r"\)")):
        stage.run("python_function", {"input": None}, **params)


def test_a_trust_service_that_says_no_stops_the_code_before_it_runs(stage, tmp_path):
    marker = tmp_path / "ran.txt"
    code = write(tmp_path, f"open({str(marker)!r}, 'w').write('x')\ndef run(v):\n    return 1\n")
    asked = []
    stage.ctx.services = {"code_trust": lambda *a: asked.append(a) or False}
    with pytest.raises(StageFailed, match="not trusted"):
        stage.run("python_function", {}, file=str(code))
    assert not marker.exists()
    assert asked and asked[0][0] == "file" and len(asked[0][2]) == 64


def test_the_cache_key_follows_the_source_not_only_the_path(tmp_path):
    spec = default_registry().get("python_function")
    code = write(tmp_path, "def run(v):\n    return 1\n")
    params = spec.validate_params({"file": str(code)})
    first = cache_key(spec, params, {"input": "abc"})
    assert first == cache_key(spec, params, {"input": "abc"})
    stat = code.stat()
    code.write_text("def run(v):\n    return 2\n", encoding="utf-8")  # same size
    import os

    os.utime(code, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the same mtime
    assert cache_key(spec, params, {"input": "abc"}) != first
    assert cache_key(spec, params, {"input": "other"}) != cache_key(spec, params, {"input": "abc"})


def test_pandas_is_a_real_dataframe_check():
    from mlops_desktop.stages.custom import _wants_frame

    assert _wants_frame(pd.DataFrame) and _wants_frame("pd.DataFrame")
    assert not _wants_frame(int) and not _wants_frame("DatasetValue")


def test_a_module_is_hashed_from_its_source_without_importing_it(tmp_path, monkeypatch):
    import sys

    from mlops_desktop.stages.custom import python_function_cache_token

    package = tmp_path / "pkg_never_imported"
    package.mkdir()
    (package / "__init__.py").write_text("raise RuntimeError('imported!')\n", encoding="utf-8")
    (package / "steps.py").write_text("def run(v):\n    return 1\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    params = {"module": "pkg_never_imported.steps", "function": "run"}
    first = python_function_cache_token(params)
    assert "pkg_never_imported" not in sys.modules
    (package / "steps.py").write_text("def run(v):\n    return 2\n", encoding="utf-8")
    assert python_function_cache_token(params) != first
    assert python_function_cache_token({"module": "no_such_mod_q", "function": "run"}).endswith(
        "unreadable:run"
    )
