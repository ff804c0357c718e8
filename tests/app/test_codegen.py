"""Exported pipeline scripts: run in a fresh interpreter, they print the app's own metrics."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mlops_desktop.app.codegen import export_python, write_python
from mlops_desktop.app.runs import RunService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.core import serialization
from mlops_desktop.core.entities import RunStatus
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.operations import add_stage, connect
from mlops_desktop.core.registry import default_registry

TOLERANCE = 1e-9


def build(nodes, links, name="main") -> Pipeline:
    pipeline = Pipeline(name, default_registry())
    for node_id, stage_type, params in nodes:
        pipeline.apply(add_stage(pipeline, stage_type, params=params, node_id=node_id))
    for link in links:
        pipeline.apply(connect(*link))
    return pipeline


def loaded_into_function(code, function: str, **load) -> Pipeline:
    """Load data (``load`` parameters) feeding a Python-function stage of ``code``."""
    return build(
        [
            ("load", "load_data", load),
            ("fn", "python_function", {"file": str(code), "function": function}),
        ],
        [("load", "dataset", "fn", "input")],
    )


def standard(dataset, train, fe=None, split=None, evaluate=None, extra=()) -> Pipeline:
    nodes = [
        ("load", "load_data", {"dataset": dataset}),
        ("check", "validate_data", {}),
        ("split", "split", split or {}),
        ("fe", "feature_engineering", fe or {}),
        ("train", "train", train),
        ("eval", "evaluate", evaluate or {"importance_repeats": 2}),
    ]
    links = [
        ("load", "dataset", "check", "dataset"),
        ("check", "dataset", "split", "dataset"),
        ("split", "split", "fe", "split"),
        ("fe", "split", "train", "split"),
        ("fe", "split", "eval", "split"),
        ("train", "model", "eval", "model"),
    ]
    for node, stage_links in extra:
        nodes.append(node)
        links.extend(stage_links)
    return build(nodes, links)


@pytest.fixture
def ws(tmp_path):
    workspace = Workspace.open(str(tmp_path / "ws.db"))
    yield workspace
    workspace.close()


def run_in_app(ws, pipeline: Pipeline):
    proj = ws.projects.create("demo")
    ws.pipelines.create(proj.id, "main", serialization.to_dict(pipeline))
    service = RunService(ws)
    run = service.run("demo", executor="sync")
    assert run.status is RunStatus.SUCCEEDED, run.message
    return service, run


def run_script(tmp_path, pipeline: Pipeline) -> tuple[dict, str]:
    path = write_python(pipeline, tmp_path / "pipeline.py")
    proc = subprocess.run(
        [sys.executable, str(path), "--json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    return json.loads(out[out.index("\n{") + 1 :]), out


def assert_close(expected: dict, actual: dict) -> None:
    assert set(expected) <= set(actual), sorted(set(expected) - set(actual))
    for key, value in expected.items():
        assert actual[key] == pytest.approx(value, abs=TOLERANCE, rel=TOLERANCE), key


def four_stages(load: dict, train: dict) -> Pipeline:
    """Load data, Split, Train and Evaluate: no Feature engineering (default preprocessing)."""
    return build(
        [
            ("load", "load_data", load),
            ("split", "split", {}),
            ("train", "train", train),
            ("eval", "evaluate", {"importance_repeats": 2}),
        ],
        [
            ("load", "dataset", "split", "dataset"),
            ("split", "split", "train", "split"),
            ("split", "split", "eval", "split"),
            ("train", "model", "eval", "model"),
        ],
    )


CASES = {
    "diabetes-ridge-default-preprocessing": four_stages(
        {"dataset": "diabetes"}, {"estimator": "ridge", "alpha": 0.5}
    ),
    "breast_cancer-logistic": standard(
        "breast_cancer",
        {"estimator": "logistic_regression", "C": 0.5, "max_iter": 500},
        evaluate={"permutation_importance": False},
        extra=[
            (
                ("gate", "model_gate", {"rules": "accuracy >= 0.9 and f1 > baseline_f1"}),
                [("train", "model", "gate", "model"), ("eval", "metrics", "gate", "metrics")],
            )
        ],
    ),
    "iris-forest-pca": standard(
        "iris",
        {"estimator": "random_forest", "n_estimators": 15, "max_depth": 4, "seed": 3},
        fe={"reduce": "pca", "n_components": 3, "scaling": "robust"},
        split={"test_size": 0.3, "validation_size": 0.1, "seed": 7},
    ),
    "diabetes-hgb": standard(
        "diabetes",
        {"estimator": "hist_gradient_boosting_regressor", "max_iter": 30, "learning_rate": 0.2},
        fe={"reduce": "select_k_best", "n_components": 6},
    ),
    "breast_cancer-svc": standard(
        "breast_cancer",
        {"estimator": "svc", "C": 2.0, "kernel": "linear"},
        evaluate={"permutation_importance": False},
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_script_prints_the_metrics_of_the_app_run(ws, tmp_path, case):
    pipeline = CASES[case]
    service, run = run_in_app(ws, pipeline)
    expected = dict(service.outputs(run.id, "eval")["metrics"].values)
    logged = ws.metrics.latest(run.id)
    expected.update({k: v for k, v in logged.items() if k.startswith("importance/")})
    results, out = run_script(tmp_path, pipeline)
    assert_close(expected, results["Evaluate"])
    if "gate" in pipeline.nodes:
        assert "Model gate: passed" in out


def test_tuning_and_ridge_match(ws, tmp_path):
    pipeline = standard(
        "diabetes",
        {"estimator": "ridge", "alpha": 0.3},
        evaluate={"importance_repeats": 2, "seed": 5},
        extra=[
            (
                (
                    "tune",
                    "tune",
                    {
                        "estimator": "ridge",
                        "search": "random",
                        "grid": '{"alpha": [0.01, 0.1, 1.0, 10.0]}',
                        "n_iter": 3,
                        "seed": 4,
                    },
                ),
                [("fe", "split", "tune", "split")],
            )
        ],
    )
    service, run = run_in_app(ws, pipeline)
    results, _ = run_script(tmp_path, pipeline)
    assert_close(service.outputs(run.id, "eval")["metrics"].values, results["Evaluate"])
    assert_close(service.outputs(run.id, "tune")["results"].values, results["Tune"])


def test_script_is_standalone_and_readable():
    pipeline = CASES["iris-forest-pca"]
    text = export_python(pipeline)
    compile(text, "pipeline.py", "exec")
    assert "mlops_desktop" not in text
    assert "RandomForestClassifier(max_depth=4, n_estimators=15, random_state=3)" in text
    assert "train_test_split(" in text and "random_state=7" in text
    # stages appear in the scheduler's execution order
    positions = [text.index(f"[{t}]") for t in ("load_data", "split", "train", "evaluate")]
    assert positions == sorted(positions)


def test_app_only_stages_become_comments_and_their_dependants_are_skipped():
    pipeline = standard(
        "iris",
        {"estimator": "k_neighbors", "n_neighbors": 3},
        extra=[
            (("reg", "register_model", {}), [("train", "model", "reg", "model")]),
        ],
    )
    text = export_python(pipeline)
    assert "not exported: 'register_model'" in text
    compile(text, "pipeline.py", "exec")


def test_export_does_not_run_python_function_code(tmp_path):
    marker = tmp_path / "ran.txt"
    code = tmp_path / "user_code.py"
    code.write_text(
        f"open({str(marker)!r}, 'w').write('x')\n\n"
        "def run(frame: 'pd.DataFrame'):\n    return frame\n\n"
        "def raw(dataset):\n    return dataset\n",
        encoding="utf-8",
    )
    pipeline = loaded_into_function(code, "run", dataset="iris")
    text = export_python(pipeline)
    assert not marker.exists()
    assert "load_user_function(" in text and str(code) in text
    from mlops_desktop.core.operations import SetParams

    pipeline.apply(SetParams("fn", {"file": str(code), "function": "raw"}))
    text = export_python(pipeline)
    assert "load_user_function(" not in text and "hinted pd.DataFrame" in text
    assert not marker.exists()


def test_a_function_returning_metrics_with_the_context(ws, tmp_path):
    from mlops_desktop.app.trust import trust

    code = tmp_path / "stats.py"
    code.write_text(
        "import pandas as pd\n\n\n"
        "def stats(frame: pd.DataFrame, ctx) -> dict:\n"
        '    ctx.log(f"{len(frame)} rows")\n'
        '    return {"rows": len(frame), "mean_bmi": float(frame["bmi"].mean())}\n',
        encoding="utf-8",
    )
    pipeline = loaded_into_function(code, "stats", dataset="diabetes", sample_rows=200, seed=4)
    trust(ws, pipeline)
    service, run = run_in_app(ws, pipeline)
    results, out = run_script(tmp_path, pipeline)
    assert_close(service.outputs(run.id, "fn")["output"].values, results["Python function"])
    assert "Python function: 200 rows" in out


def test_a_python_function_stage_runs_the_same_code_in_the_script(ws, tmp_path):
    from mlops_desktop.app.trust import trust

    code = tmp_path / "drop_small.py"
    code.write_text(
        "import pandas as pd\n\n\n"
        "def drop_small(frame: pd.DataFrame) -> pd.DataFrame:\n"
        '    return frame[frame["mean radius"] > 11.0].reset_index(drop=True)\n',
        encoding="utf-8",
    )
    pipeline = build(
        [
            ("load", "load_data", {"dataset": "breast_cancer"}),
            ("fn", "python_function", {"file": str(code), "function": "drop_small"}),
            ("split", "split", {"seed": 3}),
            ("train", "train", {"estimator": "random_forest", "n_estimators": 5}),
            ("eval", "evaluate", {"permutation_importance": False}),
        ],
        [
            ("load", "dataset", "fn", "input"),
            ("fn", "output", "split", "dataset"),
            ("split", "split", "train", "split"),
            ("split", "split", "eval", "split"),
            ("train", "model", "eval", "model"),
        ],
    )
    trust(ws, pipeline)
    service, run = run_in_app(ws, pipeline)
    results, _ = run_script(tmp_path, pipeline)
    assert_close(service.outputs(run.id, "eval")["metrics"].values, results["Evaluate"])


def test_a_csv_with_text_and_missing_values_gives_the_same_metrics(ws, tmp_path):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    n = 300
    size = rng.normal(10, 3, n)
    colour = rng.choice(["red", "green", "blue"], n)
    label = np.where(size + (colour == "red") * 2 + rng.normal(0, 1, n) > 11, "yes", "no")
    frame = pd.DataFrame({"size": size.round(3).astype(str), "colour": colour, "label": label})
    frame.loc[rng.choice(n, 15, replace=False), "size"] = ""
    frame.loc[rng.choice(n, 10, replace=False), "colour"] = None
    csv = tmp_path / "shop.csv"
    frame.to_csv(csv, index=False)
    pipeline = standard(
        "iris",
        {"estimator": "logistic_regression"},
        fe={"numeric_impute": "mean", "scaling": "minmax"},
        evaluate={"permutation_importance": False, "slice_column": "colour"},
    )
    from mlops_desktop.core.operations import SetParams

    pipeline.apply(SetParams("load", {"source": "file", "path": str(csv), "target": "label"}))
    service, run = run_in_app(ws, pipeline)
    results, out = run_script(tmp_path, pipeline)
    assert_close(service.outputs(run.id, "eval")["metrics"].values, results["Evaluate"])
    assert "slice red:" in out


def test_raw_csv_with_text_missing_values_ids_and_weights_matches(ws, tmp_path):
    """Four stages on a CSV with text, missing values, an ID column and a weight column:
    the app ignores the ID, the script does the same, and their metrics agree."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(1)
    n = 240
    frame = pd.DataFrame(
        {
            "passenger_id": np.arange(1000, 1000 + n),
            "city": rng.choice(["Oslo", "Rome", "Lima", None], n),
            "age": np.where(rng.random(n) < 0.2, np.nan, rng.normal(40, 10, n).round(1)),
            "w": rng.uniform(0.5, 2.0, n).round(2),
        }
    )
    frame["label"] = np.where((frame["city"] == "Oslo") | (frame["age"] > 45), "yes", "no")
    path = tmp_path / "people.csv"
    frame.to_csv(path, index=False)
    pipeline = four_stages(
        {"source": "file", "path": str(path), "target": "label", "roles": "w=weight"},
        {"estimator": "random_forest", "n_estimators": 20},
    )
    service, run = run_in_app(ws, pipeline)
    model = service.outputs(run.id, "train")["model"]
    assert model.feature_names == ["city", "age"]  # the row IDs and the weight are no features
    expected = dict(service.outputs(run.id, "eval")["metrics"].values)
    assert expected["accuracy"] > 0.8
    results, out = run_script(tmp_path, pipeline)
    assert "ignored column 'passenger_id'" in out
    assert_close(expected, results["Evaluate"])
