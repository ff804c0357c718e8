"""A team's history at scale: the app with 100 / 1k / 3k / 10k runs in a project.

Each workspace is built through the app's services: a project from the Google template,
then finished runs of its pipeline stored in batches by ``RunStore.add_finished`` (the bulk
path imports use), each with 12 stage records and 20 metrics. The workspaces are kept in
``--dir`` and reused.

Measured per size, in a fresh process, in the real main window (offscreen Qt) after the
prewarm the app runs at idle after start-up: open the project tab (runs panel filled), the
worst keystroke of a filter, sorting by a metric column, opening the Trends view, the
window's work after a run finishes (GUI-thread time, the longest event-loop stall until the
new run is listed), comparing the 100 newest runs, restoring a selection of every row,
exporting the report as PDF from its dialog; and from the command line (fresh processes):
``runs --json`` (with ``runs --limit 1`` as its peer), ``report`` to HTML and ``assess``,
each with its peak memory. ``--mlflow N`` also imports N MLflow runs (built in an MLflow
SQLite store first) with ``mlflow import``. ``--code DIR`` measures another copy of the
package, on workspaces of the same runs built by that copy.

    python -m bench.bench_history [--sizes 100,1000,3000,10000] [--dir /tmp/bench_history]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

PROJECT = "history"
METRICS = (
    "accuracy", "f1", "roc_auc", "precision", "recall", "log_loss", "baseline_accuracy",
    "cv_best_score", "rows_train", "rows_test", "fit_seconds", "n_features", "psi/age",
    "psi/income", "drift_share", "latency_ms_mean", "schema_violations", "gate_passed",
    "rmse_proxy", "brier",
)  # fmt: skip
STATUSES = ("succeeded",) * 8 + ("failed", "cancelled")
TRIGGERS = ("manual", "schedule", "new_data", "monitor_alert")


def build(path: Path, n: int) -> None:
    """A workspace with ``n`` finished runs of the Google template's pipeline."""
    import numpy as np

    from mlops_desktop.app.projects import ProjectService
    from mlops_desktop.app.workspace import Workspace
    from mlops_desktop.core.entities import Run, RunStatus, StageRun, StageStatus

    if path.exists():
        return
    tmp = path.with_suffix(".building.db")
    for p in tmp.parent.glob(tmp.name + "*"):
        p.unlink()
    with Workspace.open(tmp) as ws:
        service = ProjectService(ws)
        project = service.create_project(PROJECT, template="google")
        info = service.pipeline_info(PROJECT)
        version = ws.pipelines.latest(info.id)
        nodes = [(n["id"], n["type"], n.get("title", n["id"])) for n in version.document["nodes"]]
        nodes = (nodes * 2)[:12]
        rng = np.random.default_rng(0)
        start = datetime(2025, 1, 1, tzinfo=UTC)
        batch: list[Run] = []
        series: list[tuple[int, str, str, object, object, object]] = []
        for i in range(n):
            created = start + timedelta(minutes=50 * i)
            status = RunStatus(STATUSES[i % len(STATUSES)])
            stages = tuple(
                StageRun(
                    f"{nid}-{k}" if k >= len(set(nodes)) else nid,
                    ntype,
                    title,
                    StageStatus.SUCCEEDED,
                    started_at=created + timedelta(seconds=k),
                    finished_at=created + timedelta(seconds=k + 1),
                    duration_s=1.0,
                    log=f"stage {title} ok",
                    outputs={"model": f"{i:08x}{k:04x}"},
                )
                for k, (nid, ntype, title) in enumerate(nodes)
            )
            batch.append(
                Run(0, project.id, info.id, version.id, status, TRIGGERS[i % 4], "dev",
                    created, created, created + timedelta(seconds=12),
                    params={t: {"seed": i} for _, _, t in nodes},
                    input_hashes={"Load data": f"{i // 10:016x}"}, executor="threads",
                    message="" if status is RunStatus.SUCCEEDED else "a stage failed",
                    stages=stages)
            )  # fmt: skip
            values = rng.random(len(METRICS))
            for key, value in zip(METRICS, values, strict=True):
                series.append(
                    (len(batch) - 1, key, nodes[-1][0], [0], [value], created.timestamp())
                )
            if len(batch) == 500 or i == n - 1:
                ws.runs.add_finished(batch, series)
                batch, series = [], []
    tmp.rename(path)


def build_with(code: str, path: Path, n: int) -> None:
    """The workspace of ``n`` runs built by the copy in ``code``: a copy opens no workspace
    of a newer schema, so the peer measures on its own (the same runs, built the same way)."""
    if path.exists():
        path.unlink()
    script = (
        "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); "
        "from bench.bench_history import build; build(Path(sys.argv[2]), int(sys.argv[3]))"
    )
    here = str(Path(__file__).resolve().parent.parent)
    subprocess.run(
        [sys.executable, "-c", script, code, str(path), str(n)],
        check=True,
        timeout=900,
        cwd=here,  # this bench module, the copy's package (first on the path)
    )


CHILD = r"""
import json, os, sys, tempfile, time
from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication
from mlops_desktop.qt.application import create_application
from mlops_desktop.qt.main_window import MainWindow

path, project = sys.argv[1], sys.argv[2]
app = create_application()
tmp = tempfile.mkdtemp()
out = {}
win = MainWindow(settings=QSettings(os.path.join(tmp, "s.ini"), QSettings.Format.IniFormat))
win.resize(1400, 900)
win.show()
win.open_workspace(path, interactive=False)
QApplication.processEvents()
panel = win.runs_panel

def settle(until, limit=60.0):
    # Run the event loop until ``until()`` (looked at every 5 ms); the longest gap between
    # 5 ms ticks (a stall). The loop waits in Qt as the app's does: a Python loop spinning
    # on processEvents would take the interpreter from the reader threads it waits for.
    gaps, last = [0.0], [time.perf_counter()]
    def tick():
        now = time.perf_counter(); gaps.append(now - last[0]); last[0] = now
    timer = QTimer(); timer.setInterval(5); timer.timeout.connect(tick); timer.start()
    loop = QEventLoop()
    poll = QTimer(); poll.setInterval(5); poll.timeout.connect(lambda: until() and loop.quit())
    poll.start()
    QTimer.singleShot(int(limit * 1000), loop.quit)
    if not until():
        loop.exec()
    poll.stop()
    timer.stop()
    return max(gaps)

# What the app does at idle after start-up (run_gui): the run's and the plots' libraries
# imported, the Run panel made. A person opens a tab or Trends on a window that did.
from mlops_desktop.qt.application import prewarm_window, prewarmed
warm = prewarm_window(win)
settle(lambda: warm is None or (not warm.is_alive() and prewarmed(win)), limit=120.0)

t = time.perf_counter()
win.open_pipeline(project)
opened = time.perf_counter() - t  # the GUI thread held by the call itself: a stall too
out["open_tab_stall"] = max(opened, settle(lambda: panel.model.rowCount() > 0))
QApplication.processEvents()
out["open_tab"] = time.perf_counter() - t
rows = panel.model.rowCount()
out["rows"] = rows

worst = 0.0
text = ""
for ch in "succeeded":
    text += ch
    t = time.perf_counter(); panel.filter_edit.setText(text); QApplication.processEvents()
    worst = max(worst, time.perf_counter() - t)
for _ in range(len(text)):
    text = text[:-1]
    t = time.perf_counter(); panel.filter_edit.setText(text); QApplication.processEvents()
    worst = max(worst, time.perf_counter() - t)
out["filter_worst"] = worst

from PySide6.QtCore import Qt
cols = [panel.model.headerData(c, Qt.Orientation.Horizontal) for c in range(panel.model.columnCount())]
col = cols.index("accuracy")
t = time.perf_counter(); panel.view.sortByColumn(col, Qt.SortOrder.AscendingOrder); QApplication.processEvents()
out["sort_metric"] = time.perf_counter() - t
panel.view.sortByColumn(0, Qt.SortOrder.DescendingOrder)

t = time.perf_counter()
win.trends_dock.show(); win.trends_dock.raise_()
out["open_trends_stall"] = settle(lambda: win.trends is not None and win.trends.trend.trend is not None
       and len(win.trends.trend.trend.run_ids) > 0)
QApplication.processEvents()
out["open_trends"] = time.perf_counter() - t
out["trend_points"] = len(win.trends.trend.trend.run_ids)
win.runs_dock.raise_()
QApplication.processEvents()

# a run finishes: its record is stored as the recorder stores it, then the window hears of it
from mlops_desktop.app.runs import RunService
ws = win.workspace
last = ws.runs.list(ws.projects.get(project).id, limit=1)[0]
pid = ws.projects.get(project).id
run = ws.runs.create(pid, last.pipeline_id, last.pipeline_version_id)
ws.runs.start(run.id)
ws.metrics.log_arrays(run.id, "accuracy", [0.5])
ws.runs.finish(run.id, "succeeded")
win.runs.run_pipeline_id = last.pipeline_id
t = time.perf_counter()
win.runs.on_runner_finished(run.id, "succeeded", "")
handler = time.perf_counter() - t
stall = settle(lambda: panel.model.rowCount() == rows + 1)
out["reload_handler"] = handler
out["reload_stall"] = stall
out["reload_gui"] = max(handler, stall)
out["reload_total"] = time.perf_counter() - t
out["rows_after"] = panel.model.rowCount()

# Compare the 100 newest runs (the Runs panel's Compare button), until every tab is drawn.
newest = [panel.model.run_id(r) for r in range(min(100, panel.model.rowCount()))]
t = time.perf_counter()
win.compare_runs(newest)
called = time.perf_counter() - t
view = win.runs.compare_view
out["compare_100_stall"] = max(called, settle(lambda: view.comparison is not None
                                              and not view._steps))
out["compare_100"] = time.perf_counter() - t

ids = [panel.model.run_id(r) for r in range(panel.model.rowCount())]
t = time.perf_counter()
panel.select_runs(ids)
QApplication.processEvents()
out["select_all"] = time.perf_counter() - t
out["selected"] = len(panel.selected_run_ids())

# File -> Export report..., as PDF: the dialog's time and the longest stall meanwhile.
from mlops_desktop.qt.reports.dialog import ExportReportDialog
dialog = ExportReportDialog(win.workspace, project, win, folder=tmp)
dialog.show()
QApplication.processEvents()
gaps, last = [0.0], [time.perf_counter()]
def tick():
    now = time.perf_counter(); gaps.append(now - last[0]); last[0] = now
timer = QTimer(); timer.setInterval(5); timer.timeout.connect(tick); timer.start()
t = last[0] = time.perf_counter()
written = dialog.export()
out["export_pdf"] = time.perf_counter() - t
timer.stop()
out["export_pdf_stall"] = max(max(gaps), time.perf_counter() - last[0])
if written is None:
    raise SystemExit("the report was not written: " + dialog.status.text())
print("RESULT " + json.dumps(out))
sys.stdout.flush()
os._exit(0)
"""


def _env(**extra: str) -> dict[str, str]:
    """The children's environment; ``--code DIR`` puts another copy of the package first
    (to measure a baseline on the same workspaces)."""
    env = {**os.environ, **extra}
    if CODE:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (CODE, env.get("PYTHONPATH")) if p)
    return env


CODE = ""


def _cli(args: list[str], path: Path) -> tuple[float, float]:
    """Seconds and peak memory (MB, the process's maximum resident set) of one command, its
    output thrown away as a pipe into ``jq`` or a file would take it."""
    t = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        child = subprocess.Popen(
            [sys.executable, "-m", "mlops_desktop", "--workspace", str(path), *args],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=_env(),
            cwd=os.path.dirname(path),  # not the source folder: ``--code`` decides the package
        )
        _, status, usage = os.wait4(child.pid, 0)
        took = time.perf_counter() - t
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode not in (0, 1):
            err.seek(0)
            raise RuntimeError(f"{args}: {err.read()[-2000:].decode(errors='replace')}")
    return took, usage.ru_maxrss / 1024  # kilobytes on Linux


def measure(built: Path, work: Path) -> dict[str, float]:
    path = work / f"measure-{built.name}"  # a copy: the measurement adds a run
    shutil.copyfile(built, path)
    env = _env(QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), PROJECT],
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
        cwd=work,
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(done.stderr[-3000:])
    out = json.loads(line[7:])
    commands = {
        "runs_json": ["runs", PROJECT, "--json", "--limit", "1000000"],
        "runs_limit1": ["runs", PROJECT, "--limit", "1"],
        "report_html": ["report", PROJECT, "-o", str(work / "r.html"), "--quiet"],
        "assess": ["assess", PROJECT, "--no-save"],
    }
    for key, command in commands.items():
        out[key], out[f"{key}_mb"] = _cli(command, path)
    return out


def mlflow_import(n: int, work: Path) -> float:
    """Seconds to import ``n`` MLflow runs (3 metrics of 10 steps each) into a workspace."""
    store = work / f"mlflow-{n}.db"
    if not store.exists():
        build_mlflow(store, n)
    target = work / f"import-{n}.db"
    for p in work.glob(target.name + "*"):
        p.unlink()
    from mlops_desktop.app.projects import ProjectService
    from mlops_desktop.app.workspace import Workspace

    with Workspace.open(target) as ws:
        ProjectService(ws).create_project("imported")
    return _cli(["mlflow", "import", "imported", "--tracking-uri", f"sqlite:///{store}"], target)[0]


def build_mlflow(store: Path, n: int) -> None:
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{store}")
    exp = client.create_experiment("bench")
    now = int(time.time() * 1000)
    for i in range(n):
        run = client.create_run(exp, start_time=now + i)
        metrics = [
            Metric(key, 0.5 + 0.01 * s + 0.001 * i, now + i, s)
            for key in ("loss", "accuracy", "auc")
            for s in range(10)
        ]
        client.log_batch(run.info.run_id, metrics=metrics, params=[Param("alpha", str(i))])
        client.set_terminated(run.info.run_id, end_time=now + i + 1000)


ROWS = (
    ("open_tab", "Open the project tab (runs panel filled)"),
    ("open_tab_stall", "  longest GUI stall meanwhile"),
    ("filter_worst", "Filter the runs, worst keystroke"),
    ("sort_metric", "Sort by a metric column"),
    ("open_trends", "Open the Trends view"),
    ("open_trends_stall", "  longest GUI stall meanwhile"),
    ("reload_gui", "Reload after a run finishes (GUI-thread time)"),
    ("select_all", "Restore a selection of every row"),
    ("compare_100", "Compare the 100 newest runs (every tab drawn)"),
    ("compare_100_stall", "  longest GUI stall meanwhile"),
    ("export_pdf", "Export the report as PDF (File → Export report…)"),
    ("export_pdf_stall", "  longest GUI stall meanwhile"),
    ("runs_json", "CLI `runs --json`, all runs"),
    ("runs_limit1", "CLI `runs --limit 1` (peer)"),
    ("report_html", "CLI `report` (HTML)"),
    ("assess", "CLI `assess`"),
    ("runs_json_mb", "CLI `runs --json`, peak memory (MB)"),
    ("runs_limit1_mb", "CLI `runs --limit 1`, peak memory (MB, peer)"),
    ("report_html_mb", "CLI `report`, peak memory (MB)"),
    ("assess_mb", "CLI `assess`, peak memory (MB)"),
)


def table(results: dict[int, dict[str, float]]) -> str:
    sizes = sorted(results)
    head = "| Operation | " + " | ".join(f"{s:,}" for s in sizes) + " | exponent 1k→10k |"
    lines = [head, "|---" * (len(sizes) + 2) + "|"]
    for key, title in ROWS:
        digits = 0 if key.endswith("_mb") else 3
        cells = [f"{results[s].get(key, float('nan')):.{digits}f}" for s in sizes]
        exp = ""
        if 1000 in results and 10000 in results:
            a, b = results[1000].get(key), results[10000].get(key)
            if a and b:
                exp = f"{math.log10(b / a):.2f}"
        lines.append(f"| {title} | " + " | ".join(cells) + f" | {exp} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,3000,10000")
    parser.add_argument("--dir", default="/tmp/bench_history")
    parser.add_argument("--mlflow", default="", help="MLflow runs to import, e.g. 100,1000")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--code", default="", help="measure the package found in this folder")
    args = parser.parse_args()
    global CODE
    CODE = args.code
    if CODE:  # compiled as the package of this bench is (see bench/__init__.py)
        import compileall

        compileall.compile_dir(Path(CODE) / "mlops_desktop", quiet=1)
    work = Path(args.dir)
    work.mkdir(parents=True, exist_ok=True)
    results: dict[int, dict[str, float]] = {}
    for n in (int(s) for s in args.sizes.split(",") if s):
        path = work / f"history-{n}.db"
        t = time.perf_counter()
        if CODE:  # that copy may not open this one's newer schema
            path = work / f"history-{n}-code.db"
            build_with(CODE, path, n)
        else:
            build(path, n)
        print(f"{n} runs: workspace ready in {time.perf_counter() - t:.1f} s", flush=True)
        results[n] = measure(path, work)
        print(json.dumps({n: results[n]}), flush=True)
    print(table(results))
    for n in (int(s) for s in args.mlflow.split(",") if s):
        took = mlflow_import(n, work)
        print(f"mlflow import of {n} runs: {took:.2f} s ({took / n * 1000:.1f} ms per run)")
        results.setdefault(-n, {})["mlflow_import"] = took
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
