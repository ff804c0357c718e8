"""Exported scripts run the stages' own code: the embedded helpers are the portable modules'
source, verbatim, and the stages call those same functions rather than copies."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import pytest
from test_codegen import CASES, loaded_into_function, standard

from mlops_desktop.app import codegen_source
from mlops_desktop.app.codegen import export_python
from mlops_desktop.app.codegen_source import (
    PORTABLE_MODULES,
    catalogue,
    embedded_code,
    helper_names,
    portable_names,
)
from mlops_desktop.core import execution
from mlops_desktop.core.operations import SetParams
from mlops_desktop.stages import data, model, portable_data, portable_model

PORTABLE = [portable_data, portable_model]
STAGE_MODULES = [data, model]


def _file_pipeline():
    """Every exported stage kind: a CSV source, a validation part, tuning, slices."""
    pipeline = standard(
        "iris",
        {"estimator": "random_forest", "n_estimators": 5},
        split={"validation_size": 0.1},
        evaluate={"slice_column": "colour", "importance_repeats": 2, "cv_folds": 3},
        extra=[
            (
                ("tune", "tune", {"estimator": "ridge", "grid": '{"alpha": [0.1, 1.0]}'}),
                [("fe", "split", "tune", "split")],
            )
        ],
    )
    pipeline.apply(SetParams("load", {"source": "file", "path": "/data/shop.csv", "target": "y"}))
    return pipeline


def _scripts() -> dict[str, str]:
    scripts = {name: export_python(pipeline) for name, pipeline in CASES.items()}
    scripts["file"] = export_python(_file_pipeline())
    log_target = standard("diabetes", {"estimator": "ridge", "target_transform": "log1p"})
    scripts["log-target"] = export_python(log_target)
    decided = standard(
        "breast_cancer",
        {"estimator": "logistic_regression", "threshold": "max_f1", "calibration": "sigmoid"},
        split={"validation_size": 0.2},
    )
    scripts["threshold-calibration"] = export_python(decided)
    return scripts


def _defined_functions() -> set[str]:
    return {
        name
        for m in PORTABLE
        for name, f in vars(m).items()
        if inspect.isfunction(f) and f.__module__ == m.__name__
    }


def _portable_function(name: str):
    for module in PORTABLE:
        if inspect.isfunction(getattr(module, name, None)):
            return getattr(module, name)
    return None


def test_every_embedded_function_is_the_stage_source_verbatim() -> None:
    embedded: set[str] = set()
    for case, text in _scripts().items():
        tree = ast.parse(text)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and _portable_function(node.name):
                source = inspect.getsource(_portable_function(node.name)).rstrip("\n")
                assert ast.get_source_segment(text, node) == source, (case, node.name)
                embedded.add(node.name)
            elif isinstance(node, ast.Assign) and node.targets[0].id in portable_names():
                name = node.targets[0].id
                values = [getattr(m, name) for m in PORTABLE if hasattr(m, name)]
                assert values and all(v == ast.literal_eval(node.value) for v in values), (
                    case,
                    name,
                )
    # what the data and model stages compute, the scripts embed (the app-only plot data aside)
    app_only = {
        "make_estimator",
        "classification_details",
        "calibration_details",
        "regression_details",
        "thin_curve",
        "fit_and_transform",  # the Feature engineering stage's own fit; the model refits
        "reference_schema",  # the stored reference lives in the app's workspace
        "check_reference",
    }
    assert embedded == _defined_functions() - app_only


def test_scripts_define_every_name_they_use_and_import_only_what_they_use(tmp_path) -> None:
    for case, text in _scripts().items():
        path = tmp_path / f"{case}.py"
        path.write_text(text, encoding="utf-8")
        proc = subprocess.run(
            [sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", str(path)]
            + ["--select", "F401,F811,F821,F822,F823"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_stages_call_the_portable_functions_and_keep_no_copies() -> None:
    shared = _defined_functions()
    for stage_module in STAGE_MODULES:
        tree = ast.parse(Path(stage_module.__file__).read_text(encoding="utf-8"))
        defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        assert not defined & shared, stage_module.__name__
    assert data.check_schema is portable_data.check_schema
    assert data.infer_task is portable_data.infer_task
    assert model.make_estimator is portable_model.make_estimator
    assert model.prediction_metrics is portable_model.prediction_metrics
    # the script-only helpers repeat nothing the stages compute
    assert not helper_names() & portable_names()
    assert portable_data.CLASSIFICATION == portable_model.CLASSIFICATION == execution.CLASSIFICATION
    assert portable_data.REGRESSION == execution.REGRESSION


STDLIB = set(sys.stdlib_module_names)
LIBRARIES = {"numpy", "pandas", "sklearn", "scipy"}  # scipy: installed with scikit-learn


@pytest.mark.parametrize("module", PORTABLE_MODULES)
def test_portable_modules_are_self_contained(module: str) -> None:
    text = codegen_source.portable_source(module)
    tree = ast.parse(text)
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            roots = (
                [a.name.split(".")[0] for a in node.names]
                if isinstance(node, ast.Import)
                else [(node.module or "").split(".")[0]]
            )
            assert set(roots) <= STDLIB, f"{module}: module-level import of {roots}"
        elif isinstance(node, ast.If):  # only `if TYPE_CHECKING:` imports for annotations
            assert ast.unparse(node.test) == "TYPE_CHECKING", module
        elif isinstance(node, ast.Assign):  # constants only: no module-level state
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            assert names and all(n.isupper() for n in names), names
            ast.literal_eval(node.value)
        else:
            assert isinstance(node, ast.FunctionDef | ast.Expr), ast.dump(node)[:80]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            roots = (
                [a.name.split(".")[0] for a in node.names]
                if isinstance(node, ast.Import)
                else [(node.module or "").split(".")[0]]
            )
            assert set(roots) <= STDLIB | LIBRARIES | {"__future__"}, f"{module}: {roots}"
        assert not isinstance(node, ast.Global | ast.Nonlocal), module
    assert "mlops_desktop" not in text


def test_importing_the_portable_modules_loads_no_heavy_library() -> None:
    code = (
        "import sys\n"
        + "".join(f"import mlops_desktop.stages.{m}\n" for m in PORTABLE_MODULES)
        + "print(sorted(m for m in ('pandas', 'numpy', 'sklearn') if m in sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert proc.stdout.strip() == "[]"


def test_embedding_follows_the_names_a_function_uses() -> None:
    code = embedded_code(["infer_task"])
    assert [d.name for d in code.functions] == ["infer_task"]
    assert [d.name for d in code.constants] == ["CLASSIFICATION", "REGRESSION"]
    assert code.imports == frozenset()
    code = embedded_code(["baseline_metrics"])
    assert [d.name for d in code.functions] == [
        "prediction_metrics",
        "classification_metrics",
        "class_scores",  # the positive class's scores
        "regression_metrics",
        "baseline_metrics",
    ]
    assert ("typing", "Any") in code.imports
    code = embedded_code(["prepare_frame"])
    assert {d.name for d in code.functions} == {"prepare_frame", "infer_types"}
    assert ("collections.abc", "Callable") in code.imports
    assert "# a column with" not in code.text  # MAX_CATEGORIES is not used by these
    with pytest.raises(KeyError):
        embedded_code(["no_such_helper"])


def test_a_function_defined_in_two_portable_modules_is_refused(monkeypatch) -> None:
    sources = {
        "first": "X = 1\n\ndef twice():\n    return X\n",
        "second": "X = 1\n\ndef twice():\n    return 2\n",
    }
    monkeypatch.setattr(codegen_source, "PORTABLE_MODULES", tuple(sources))
    monkeypatch.setattr(codegen_source, "portable_source", sources.__getitem__)
    catalogue.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="'twice' is defined in both first and second"):
            catalogue()
        sources["second"] = "X = 2\n"
        with pytest.raises(RuntimeError, match="'X' is defined in both"):
            catalogue()
        sources["second"] = "X = 1\n\ndef once():\n    return X\n"
        assert set(catalogue().functions) == {"twice", "once"}
    finally:
        catalogue.cache_clear()


def test_a_python_function_pipeline_reserves_the_embedded_names(tmp_path) -> None:
    code = tmp_path / "user.py"
    code.write_text(
        "import pandas as pd\n\n\ndef infer_task(frame: pd.DataFrame) -> pd.DataFrame:\n"
        "    return frame\n",
        encoding="utf-8",
    )
    pipeline = loaded_into_function(code, "infer_task", dataset="iris")
    text = export_python(pipeline)
    # the user's function gets its own variable; the embedded infer_task stays callable
    assert "infer_task_2 = load_user_function(" in text
    assert "def infer_task(target: pd.Series) -> str:" in text
    ast.parse(text)
