"""Real processes: a run killed mid-write shows as interrupted; two writers both succeed."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlops_desktop.app.workspace import Workspace
from mlops_desktop.core.entities import RunStatus, StageStatus

WORKER = str(Path(__file__).with_name("_worker.py"))


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, WORKER, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_killed_run_is_interrupted_on_reopen(backend_url: str, tmp_path: Path) -> None:
    artifacts = str(tmp_path / "artifacts")
    proc = _spawn("kill", backend_url, artifacts)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line.strip().isdigit(), proc.stderr.read() if proc.stderr else ""
        run_id = int(line)
        time.sleep(0.6)  # let it write metric batches for a while
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()
    assert proc.returncode == -signal.SIGKILL
    if not backend_url.startswith("postgresql"):
        con = sqlite3.connect(backend_url)
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        con.close()
    with Workspace.open(backend_url, artifacts_dir=artifacts) as ws:
        assert ws.interrupted_on_open == 1
        run = ws.runs.get(run_id)
        assert run.status is RunStatus.INTERRUPTED
        assert run.finished_at is not None and "interrupted" in run.message
        assert run.stages[0].status is StageStatus.FAILED
        count = ws.metrics.count(run_id)
        assert count > 0 and count % 1000 == 0  # whole batches only, none half-written
        steps, _, _ = ws.metrics.history(run_id, "loss")
        assert steps.tolist() == list(range(count))
    with Workspace.open(backend_url, artifacts_dir=artifacts) as ws:
        assert ws.interrupted_on_open == 0  # already marked


@pytest.mark.parametrize("fresh", [False, True], ids=["existing", "created-concurrently"])
def test_two_processes_write_one_workspace_at_once(
    backend_url: str, tmp_path: Path, fresh: bool
) -> None:
    if fresh and backend_url.startswith("postgresql"):
        pytest.skip("creating the file concurrently is an SQLite matter")
    artifacts = str(tmp_path / "artifacts")
    if not fresh:
        Workspace.open(backend_url, artifacts_dir=artifacts).close()
    go = tmp_path / "go"
    count = 5
    procs = [_spawn("busy", backend_url, artifacts, tag, str(count), str(go)) for tag in "ab"]
    time.sleep(0.3)  # both interpreters start, then race from the same instant
    go.touch()
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert out.strip() == "done"
    with Workspace.open(backend_url, artifacts_dir=artifacts) as ws:
        names = sorted(p.name for p in ws.projects.list())
        assert names == sorted(f"{t}-{i}" for t in "ab" for i in range(count))
        for project in ws.projects.list():
            (run,) = ws.runs.list(project.id, with_stages=True)
            assert run.status is RunStatus.SUCCEEDED and len(run.stages) == 1
            assert ws.metrics.count(run.id) == 2000
            assert ws.pipelines.get(project.id, "main").latest_version == 2
        assert len(ws.artifacts.digests()) == 2 * count + 1
    if fresh:  # the losing creator cleaned up its temporary file
        assert not [p for p in tmp_path.iterdir() if ".new-" in p.name]
