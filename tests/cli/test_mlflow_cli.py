"""``mlops-desktop mlflow export|import`` against a local MLflow SQLite store."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mlops_desktop.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")


def test_export_then_import_into_another_project(capsys, tmp_path: Path) -> None:
    ws = ["--workspace", str(tmp_path / "w.db")]
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert main([*ws, "project", "create", "demo", "--template", "google"]) == 0
    assert main([*ws, "run", "demo", "--quiet", "--executor", "threads"]) in (0, 1)
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


def test_unknown_experiment_and_missing_project_are_one_line_errors(capsys, tmp_path) -> None:
    ws = ["--workspace", str(tmp_path / "w.db")]
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
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
