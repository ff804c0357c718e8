"""Interoperability speed: MLflow export and import of a run with 100k metric points, and
exporting a pipeline as a Python script (and running it) beside the app's own run.

MLflow side: a local SQLite tracking store (MLflow's own client and batch calls; its
``log_batch`` takes at most 1,000 metrics per call). App side: a SQLite workspace.

Run: python bench/bench_interop.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

POINTS = 100_000


def _rows(tmp: Path) -> list[dict]:
    import numpy as np

    from mlops_desktop.app.codegen import write_python
    from mlops_desktop.app.mlflow_bridge import export_runs, import_runs
    from mlops_desktop.app.projects import ProjectService
    from mlops_desktop.app.runs import RunService
    from mlops_desktop.app.workspace import Workspace
    from mlops_desktop.core.entities import RunStatus

    rows = []
    with Workspace.open(str(tmp / "ws.db")) as ws:
        ProjectService(ws).create_project("demo", template="google")
        service = RunService(ws)
        run = service.run("demo")
        assert run.status is RunStatus.SUCCEEDED, run.message
        ws.metrics.log_arrays(run.id, "loss", np.linspace(1, 0, POINTS))
        uri = f"sqlite:///{tmp / 'mlflow.db'}"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            export_runs(ws, "demo", "sqlite:///" + str(tmp / "warm.db"))  # create tables once
            start = time.perf_counter()
            export_runs(ws, "demo", uri, artifact_location=str(tmp / "artifacts"))
            took = time.perf_counter() - start
        points = sum(len(ws.metrics.history(run.id, k)[0]) for k in ws.metrics.keys(run.id))
        rows.append(_row("mlflow export, one run", "seconds", took, f"{points:,} points, model"))
        with Workspace.open(str(tmp / "other.db")) as other:
            other.projects.create("copy")
            start = time.perf_counter()
            import_runs(other, "copy", uri, experiment="demo")
            took = time.perf_counter() - start
        rows.append(_row("mlflow import, one run", "seconds", took, f"{points:,} points"))

        _, pipeline = ProjectService(ws).load_pipeline("demo")
        start = time.perf_counter()
        script = write_python(pipeline, tmp / "pipeline.py")
        rows.append(_row("export as Python", "seconds", time.perf_counter() - start, ""))
        start = time.perf_counter()
        service.run("demo", force=True)
        rows.append(_row("google template, app run", "seconds", time.perf_counter() - start, ""))
        start = time.perf_counter()
        done = subprocess.run([sys.executable, str(script), "--json"], capture_output=True)
        took = time.perf_counter() - start
        assert done.returncode == 0, done.stderr
        rows.append(_row("google template, exported script", "seconds", took, "new process"))
    return rows


def _row(what: str, unit: str, value: float, note: str) -> dict:
    return {
        "benchmark": "interop",
        "metric": what,
        "value": round(value, 3),
        "unit": unit,
        "note": note,
    }


def run() -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="bench-interop-") as tmp:
        return _rows(Path(tmp))


if __name__ == "__main__":
    for row in run():
        print(json.dumps(row))
