"""Worker processes for the multi-process storage tests (run as ``python _worker.py ...``).

``kill URL ARTIFACTS``: creates a running run, then logs metric batches until killed.
``busy URL ARTIFACTS TAG N``: waits for a go-file, then writes N projects, runs and metrics.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from mlops_desktop.app.workspace import Workspace
from mlops_desktop.core.entities import RunStatus, StageRun, StageStatus

DOC = {"format": "mlops-desktop/pipeline", "format_version": 2, "name": "main", "nodes": []}


def kill_target(url: str, artifacts: str) -> None:
    ws = Workspace.open(url, artifacts_dir=artifacts)
    project = ws.projects.create("victim", pipelines=[("main", DOC)])
    info = ws.pipelines.list(project.id)[0]
    run = ws.runs.create(project.id, info.id, ws.pipelines.latest(info.id).id)
    ws.runs.start(run.id)
    ws.runs.save_stage(run.id, StageRun("train", "model.train", "Train", StageStatus.RUNNING))
    print(run.id, flush=True)
    step = 0
    while True:  # killed somewhere in here, often inside a write transaction
        ws.metrics.log_arrays(run.id, "loss", np.random.rand(1000), np.arange(step, step + 1000))
        step += 1000


def busy(url: str, artifacts: str, tag: str, count: int, go: Path) -> None:
    deadline = time.monotonic() + 60
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit("no go signal")
        time.sleep(0.005)
    with Workspace.open(url, artifacts_dir=artifacts) as ws:
        for i in range(count):
            project = ws.projects.create(f"{tag}-{i}", pipelines=[("main", DOC)])
            info = ws.pipelines.list(project.id)[0]
            version = ws.pipelines.save(info.id, {**DOC, "nodes": [{"id": tag, "i": i}]})
            run = ws.runs.create(project.id, info.id, version.id)
            ws.runs.start(run.id)
            ws.metrics.log_arrays(run.id, "loss", np.full(2000, float(i)))
            ws.runs.save_stage(run.id, StageRun("s", "t", "T", StageStatus.SUCCEEDED))
            ws.runs.finish(run.id, RunStatus.SUCCEEDED)
            ws.artifacts.put_bytes(f"{tag}-{i}".encode())
            ws.artifacts.put_bytes(b"shared by both processes")
    print("done", flush=True)


if __name__ == "__main__":
    mode, url, artifacts = sys.argv[1:4]
    if mode == "kill":
        kill_target(url, artifacts)
    else:
        busy(url, artifacts, sys.argv[4], int(sys.argv[5]), Path(sys.argv[6]))
