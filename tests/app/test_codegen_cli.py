"""``mlops-desktop pipeline export PROJECT --as python``: a script for every template."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from mlops_desktop.cli import main


@pytest.mark.parametrize("template", ["google", "aws", "azure"])
def test_export_as_python_writes_a_standalone_script(capsys, tmp_path: Path, template) -> None:
    args = ["--workspace", str(tmp_path / "w.db")]
    assert main([*args, "project", "create", "demo", "--template", template]) == 0
    target = tmp_path / "pipeline.py"
    assert main([*args, "pipeline", "export", "demo", "--as", "python", "-o", str(target)]) == 0
    assert str(target) in capsys.readouterr().out
    text = target.read_text(encoding="utf-8")
    tree = ast.parse(text)
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module)])
    }
    assert "mlops_desktop" not in imported
    assert {"pandas", "numpy", "sklearn"} <= imported
    assert "def main():" in text and "[evaluate]" in text


def test_export_as_python_into_a_folder_is_refused(capsys, tmp_path: Path) -> None:
    args = ["--workspace", str(tmp_path / "w.db")]
    assert main([*args, "project", "create", "demo", "--template", "google"]) == 0
    code = main([*args, "pipeline", "export", "demo", "--as", "python", "-o", str(tmp_path)])
    assert code == 1
    assert "is a folder" in capsys.readouterr().err
