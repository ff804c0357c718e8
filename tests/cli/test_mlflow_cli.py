"""``mlops-desktop mlflow export|import`` against a local MLflow SQLite store."""

from __future__ import annotations

import shutil
import sys
import warnings
from pathlib import Path

import pytest

from mlops_desktop.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")


@pytest.fixture(scope="module")
def empty_store(tmp_path_factory) -> Path:
    """An MLflow SQLite store with its tables made once (MLflow's migrations take seconds)."""
    path = tmp_path_factory.mktemp("mlflow") / "empty.db"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from mlflow.tracking import MlflowClient

        MlflowClient(tracking_uri=f"sqlite:///{path}").search_experiments()
    return path


@pytest.fixture
def uri(tmp_path, empty_store) -> str:
    shutil.copyfile(empty_store, tmp_path / "mlflow.db")
    return f"sqlite:///{tmp_path / 'mlflow.db'}"


def small_project(path: Path) -> None:
    from mlops_desktop.app.workspace import Workspace
    from mlops_desktop.core import serialization
    from mlops_desktop.core.graph import Pipeline
    from mlops_desktop.core.operations import add_stage, connect
    from mlops_desktop.core.registry import default_registry

    p = Pipeline("main", default_registry())
    for node_id, kind, params in [
        ("load", "load_data", {"dataset": "iris"}),
        ("split", "split", {}),
        ("train", "train", {"estimator": "k_neighbors"}),
        ("eval", "evaluate", {"permutation_importance": False}),
    ]:
        p.apply(add_stage(p, kind, params=params, node_id=node_id))
    for link in [
        ("load", "dataset", "split", "dataset"),
        ("split", "split", "train", "split"),
        ("split", "split", "eval", "split"),
        ("train", "model", "eval", "model"),
    ]:
        p.apply(connect(*link))
    with Workspace.open(str(path)) as ws:
        proj = ws.projects.create("demo")
        ws.pipelines.create(proj.id, "main", serialization.to_dict(p))


def test_export_then_import_into_another_project(capsys, tmp_path: Path, uri) -> None:
    ws = ["--workspace", str(tmp_path / "w.db")]
    small_project(tmp_path / "w.db")
    assert main([*ws, "run", "demo", "--quiet"]) == 0
    capsys.readouterr()
    export = [*ws, "mlflow", "export", "demo", "--tracking-uri", uri]
    assert main([*export, "--artifact-location", str(tmp_path / "art")]) == 0
    assert "exported 1 run(s), skipped 0" in capsys.readouterr().out
    assert main(export) == 0
    assert "exported 0 run(s), skipped 1" in capsys.readouterr().out

    other = ["--workspace", str(tmp_path / "other.db")]
    assert main([*other, "project", "create", "copy"]) == 0
    imp = [*other, "mlflow", "import", "copy", "--tracking-uri", uri, "--experiment", "demo"]
    assert main(imp) == 0
    assert "imported 1 run(s)" in capsys.readouterr().out
    assert main([*other, "runs", "copy"]) == 0
    assert "mlflow_import" in capsys.readouterr().out


def test_unknown_experiment_and_missing_project_are_one_line_errors(capsys, tmp_path, uri) -> None:
    ws = ["--workspace", str(tmp_path / "w.db")]
    assert main([*ws, "project", "create", "demo"]) == 0
    code = main([*ws, "mlflow", "import", "demo", "--tracking-uri", uri, "--experiment", "x"])
    assert code == 1 and "no MLflow experiment named 'x'" in capsys.readouterr().err
    assert main([*ws, "mlflow", "export", "ghost", "--tracking-uri", uri]) == 1
    assert "ghost" in capsys.readouterr().err


def test_a_clear_message_when_mlflow_is_not_installed(capsys, tmp_path, monkeypatch) -> None:
    for name in [m for m in sys.modules if m == "mlflow" or m.startswith("mlflow.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "mlflow", None)  # import mlflow now raises ImportError
    ws = ["--workspace", str(tmp_path / "w.db")]
    assert main([*ws, "project", "create", "demo"]) == 0
    code = main([*ws, "mlflow", "export", "demo", "--tracking-uri", "sqlite:///x.db"])
    err = capsys.readouterr().err
    assert code == 1 and "MLflow is not installed: pip install 'mlops-desktop[mlflow]'" in err


def test_a_store_mlflow_refuses_is_a_one_line_error(capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)
    ws = ["--workspace", str(tmp_path / "w.db")]
    assert main([*ws, "project", "create", "demo"]) == 0
    code = main([*ws, "mlflow", "export", "demo", "--tracking-uri", str(tmp_path / "mlruns")])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith(f"mlops-desktop: error: MLflow at {tmp_path}")
    assert err.count("\n") == 1 and "Traceback" not in err
