"""Memory: what the app, a big canvas, a long metric series and repeated runs cost in RAM.

Every measurement runs in a fresh ``python`` process (offscreen Qt) and reads the resident
set size from ``/proc/self/statm`` (current) and ``getrusage`` (peak), so one measurement
never inherits another's caches:

- the main window shown on an existing (and on a new) workspace, beside a bare PySide6
  window (the floor Qt itself sets);
- a 5,000-node pipeline scene: resident memory added by building it, per node;
- a 1,000,000-point metric series read from the workspace: memory added, against the
  24 MB that its steps, values and timestamps take as numpy arrays;
- 20 forced runs of a small pipeline in one process: resident memory after the 5th and
  after the 20th run (growth between them would be a leak).

Run: python bench/bench_memory.py, or as part of ``python -m bench``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from typing import Any

MB = 1024 * 1024

_PRELUDE = """
import json, os, resource, sys, time
PAGE = os.sysconf("SC_PAGE_SIZE")
def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * PAGE
def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
"""

BARE = """
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
w = QMainWindow(); w.resize(1200, 800); w.show(); app.processEvents()
print(json.dumps({"rss": rss(), "peak": peak()}))
"""

APP = """
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from mlops_desktop.qt.application import create_application
from mlops_desktop.qt.main_window import MainWindow
app = create_application()
win = MainWindow(settings=QSettings(sys.argv[1] + "/s.ini", QSettings.Format.IniFormat))
win.resize(1400, 900); win.show()
win.open_workspace(sys.argv[1] + "/w.db")
for _ in range(5):
    app.processEvents()
print(json.dumps({"rss": rss(), "peak": peak()}))
win.close()
"""

CANVAS = """
sys.path.insert(0, sys.argv[2])
from PySide6.QtWidgets import QApplication
app = QApplication([])
from bench_canvas import bench_pipeline
from mlops_desktop.qt.canvas.scene import PipelineScene
pipeline = bench_pipeline(5000)
before = rss()
scene = PipelineScene(pipeline)
after = rss()
print(json.dumps({"before": before, "after": after, "nodes": len(pipeline.nodes),
                  "links": len(pipeline.links)}))
"""

RUNS = """
from mlops_desktop.app.projects import ProjectService
from mlops_desktop.app.runs import RunService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.core import operations as ops
from mlops_desktop.core.graph import Pipeline
with Workspace.open(sys.argv[1] + "/r.db") as ws:
    service = ProjectService(ws)
    service.create_project("p")
    info, _ = service.load_pipeline("p")
    g = Pipeline("main")
    for node_id, stage, params in [
        ("load", "load_data", {"dataset": "breast_cancer"}), ("split", "split", {}),
        ("fe", "feature_engineering", {}), ("train", "train", {"estimator": "random_forest",
        "n_estimators": 50}), ("eval", "evaluate", {"permutation_importance": False})]:
        g.apply(ops.add_stage(g, stage, params=params, node_id=node_id))
    for link in [("load", "dataset", "split", "dataset"), ("split", "split", "fe", "split"),
                 ("fe", "split", "train", "split"), ("fe", "split", "eval", "split"),
                 ("train", "model", "eval", "model")]:
        g.apply(ops.connect(*link))
    service.save_pipeline(info.id, g)
    runner = RunService(ws)
    marks = {}
    for i in range(1, 21):
        assert runner.run("p", force=True).status.value == "succeeded"
        if i in (5, 20):
            marks[i] = rss()
print(json.dumps({"after5": marks[5], "after20": marks[20], "peak": peak()}))
"""


def _series_script() -> str:
    """A 1M-point series logged into a workspace, then read back in a fresh process."""
    return """
import numpy as np
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.app import plot_data as P
path = sys.argv[1] + "/m.db"
if sys.argv[3] == "write":
    from mlops_desktop.app.projects import ProjectService
    from mlops_desktop.app.runs import RunService
    from mlops_desktop.core import operations as ops
    from mlops_desktop.core.graph import Pipeline
    with Workspace.open(path) as ws:
        ProjectService(ws).create_project("p")
        info, _ = ProjectService(ws).load_pipeline("p")
        g = Pipeline("main")
        g.apply(ops.add_stage(g, "load_data", params={"dataset": "iris"}, node_id="load"))
        ProjectService(ws).save_pipeline(info.id, g)
        run = RunService(ws).run("p")
        n = 1_000_000
        ws.metrics.log_arrays(run.id, "loss", np.linspace(1, 0, n), np.arange(n), node_id="load")
        print(json.dumps({"run": run.id}))
else:
    with Workspace.open(path) as ws:
        run_id = int(sys.argv[4])
        before = rss()
        series = P.series(ws, run_id, "loss")
        after = rss()
        points = len(series.values)
        print(json.dumps({"before": before, "after": after, "points": points}))
"""


def _run(code: str, *args: str) -> dict[str, Any]:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "MLOPS_DESKTOP_NO_SAMPLE": "1",
        "MLOPS_DESKTOP_NO_TRIGGERS": "1",
        "MLOPS_DESKTOP_NO_PREWARM": "1",
    }
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_PRELUDE) + textwrap.dedent(code), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip()[-800:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def _row(metric: str, value: float, unit: str, note: str = "") -> dict[str, Any]:
    return {
        "benchmark": "memory",
        "metric": metric,
        "value": round(value, 2),
        "unit": unit,
        "note": note,
    }


def run() -> list[dict[str, Any]]:
    here = os.path.dirname(os.path.abspath(__file__))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        bare = _run(BARE)
        created = _run(APP, tmp)  # a new workspace: migrations run (Alembic is imported)
        app = _run(APP, tmp)  # the usual case: an existing workspace
        rows += [
            _row(
                "bare PySide6 window shown: resident", bare["rss"] / MB, "MB", "the floor Qt sets"
            ),
            _row(
                "main window on an existing workspace: resident",
                app["rss"] / MB,
                "MB",
                f"{app['rss'] / bare['rss']:.1f}x the bare window; peak {app['peak'] / MB:.0f} MB",
            ),
            _row(
                "main window creating a new workspace: resident",
                created["rss"] / MB,
                "MB",
                "migrations run, so Alembic is loaded too",
            ),
        ]
        canvas = _run(CANVAS, tmp, here)
        added = canvas["after"] - canvas["before"]
        rows += [
            _row(
                "5,000-node scene: memory added",
                added / MB,
                "MB",
                f"{canvas['links']:,} links; {added / canvas['nodes'] / 1024:.1f} KB per node",
            ),
        ]
        written = _run(_series_script(), tmp, here, "write")
        read = _run(_series_script(), tmp, here, "read", str(written["run"]))
        added = read["after"] - read["before"]
        rows += [
            _row(
                "1M-point series read from the workspace: memory added",
                added / MB,
                "MB",
                f"{read['points']:,} points; its steps, values and timestamps as numpy take 24 MB",
            ),
        ]
        runs = _run(RUNS, tmp)
        rows += [
            _row(
                "20 forced runs in one process: resident after the 5th",
                runs["after5"] / MB,
                "MB",
                "breast_cancer, random forest 50 trees, 5 stages",
            ),
            _row(
                "20 forced runs in one process: resident after the 20th",
                runs["after20"] / MB,
                "MB",
                f"growth {(runs['after20'] - runs['after5']) / MB:+.1f} MB over 15 runs; "
                f"peak {runs['peak'] / MB:.0f} MB",
            ),
        ]
    return rows


if __name__ == "__main__":
    for r in run():
        print(f"{r['metric']:<60} {r['value']:>9} {r['unit']}  {r['note']}")
