"""``mlops-desktop workspace gc``: reclaim artifact files after a purge, on a real run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from mlops_desktop.app.projects import ProjectService
from mlops_desktop.app.runs import RunService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.cli import main
from mlops_desktop.core import operations as ops
from mlops_desktop.core.entities import RunStatus
from mlops_desktop.core.graph import Pipeline


def _workspace_after_purge(path: Path) -> dict[str, int]:
    """A workspace whose only project ran load_data -> split, was purged; files aged 2 h."""
    with Workspace.open(str(path)) as ws:
        service = ProjectService(ws)
        service.create_project("p")
        info, _ = service.load_pipeline("p")
        graph = Pipeline("main")
        graph.apply(ops.add_stage(graph, "load_data", params={"dataset": "iris"}, node_id="load"))
        graph.apply(ops.add_stage(graph, "split", node_id="split"))
        graph.apply(ops.connect("load", "dataset", "split", "dataset"))
        service.save_pipeline(info.id, graph)
        assert RunService(ws).run("p").status is RunStatus.SUCCEEDED
        service.purge_project("p")  # files are young: the purge keeps them
        sizes = {}
        then = time.time() - 7200
        for digest in ws.artifacts.digests():
            file = ws.artifacts.path(digest)
            os.utime(file, (then, then))
            sizes[digest] = file.stat().st_size
        return sizes


def _digests(path: Path) -> list[str]:
    with Workspace.open(str(path)) as ws:
        return ws.artifacts.digests()


def test_gc_dry_run_then_real(tmp_path: Path, capsys) -> None:
    db = tmp_path / "w.db"
    sizes = _workspace_after_purge(db)
    assert len(sizes) >= 2

    assert main(["--workspace", str(db), "workspace", "gc", "--dry-run"]) == 0
    out = capsys.readouterr().out
    for digest in sizes:
        assert f"would remove {digest}" in out
    assert f"would remove {len(sizes)} artifact file(s)" in out
    assert f"{sum(sizes.values()):,} bytes" in out
    assert _digests(db) == sorted(sizes)

    assert main(["--workspace", str(db), "workspace", "gc"]) == 0
    out = capsys.readouterr().out
    assert f"removed {len(sizes)} artifact file(s)" in out
    assert f"{sum(sizes.values()):,} bytes" in out
    assert _digests(db) == []


def test_gc_min_age_keeps_young_files_json(tmp_path: Path, capsys) -> None:
    db = tmp_path / "w.db"
    sizes = _workspace_after_purge(db)
    args = ["--workspace", str(db), "workspace", "gc", "--json", "--min-age", "10800"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["removed"] == 0 and report["kept_young"] == len(sizes)
    assert _digests(db) == sorted(sizes)
    assert main(["--workspace", str(db), "workspace", "gc", "--min-age", "-5"]) == 1
    assert "negative" in capsys.readouterr().err


def test_gc_real_command(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    sizes = _workspace_after_purge(db)
    proc = subprocess.run(
        [sys.executable, "-m", "mlops_desktop", "--workspace", str(db), "workspace", "gc"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"removed {len(sizes)} artifact file(s)" in proc.stdout
    assert _digests(db) == []
