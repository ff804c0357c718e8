"""Metric speed: log and read back a 100,000-point series, on the path a stage uses and
the store alone.

The stage path is what a running stage's calls go through: ``ctx.log_metric`` one point at
a time (and ``ctx.log_metrics`` for a whole series) on the engine's context, its live sink,
the run recorder (``RecordingListener``, which buffers single points) and the store; the
number of write transactions it made is counted. The store-only figures stand beside it.

Compares the workspace's MetricStore (SQLite workspace file; series stored as packed chunks
of 65,536 points) with plain ``sqlite3`` storing one row per point (the same inserts and
read), and with MLflow's SQLite tracking store (``log_batch`` in chunks of 1000,
``get_metric_history``). Targets: log < 0.5 s, read < 0.15 s, and at least 15 times faster
than MLflow at both. Also measured: the same 100k points given one by one as
``MetricPoint`` objects to ``log_batch`` (the path of buffered single-point metrics), and a
1,000,000-point series logged and read back.
"""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

N = 100_000
REPEATS = 5
KEY = "loss"
DOC = {"format": "mlops-desktop/pipeline", "format_version": 2, "name": "main", "nodes": []}


class _WorkspaceCase:
    """The workspace's MetricStore on an SQLite workspace file."""

    def __init__(self, folder: Path, values: np.ndarray) -> None:
        from mlops_desktop.app.workspace import Workspace

        self.values = values
        self.ws = Workspace.open(folder / "workspace.db")
        project = self.ws.projects.create("bench", pipelines=[("main", DOC)])
        info = self.ws.pipelines.list(project.id)[0]
        self.ids = (project.id, info.id, self.ws.pipelines.latest(info.id).id)

    def once(self) -> tuple[float, float]:
        run = self.ws.runs.create(*self.ids)
        start = time.perf_counter()
        self.ws.metrics.log_arrays(run.id, KEY, self.values)
        log = time.perf_counter() - start
        start = time.perf_counter()
        _, got, _ = self.ws.metrics.history(run.id, KEY)
        read = time.perf_counter() - start
        assert got.size == N and np.array_equal(got, self.values)
        return log, read

    def log_batch(self) -> float:
        """100k single points through ``log_batch`` (as the run recorder flushes them)."""
        from mlops_desktop.core.entities import MetricPoint

        run = self.ws.runs.create(*self.ids)
        now = time.time()
        values = self.values.tolist()
        points = [MetricPoint(KEY, v, i, now + i * 1e-4) for i, v in enumerate(values)]
        start = time.perf_counter()
        self.ws.metrics.log_batch(run.id, points)
        return time.perf_counter() - start

    def million(self) -> tuple[float, float]:
        """Worst case for the chunks: steps with gaps and a timestamp per point."""
        values = np.random.default_rng(1).random(1_000_000)
        steps = np.arange(values.size) * 10
        stamps = time.time() + np.arange(values.size) * 1e-3
        run = self.ws.runs.create(*self.ids)
        start = time.perf_counter()
        self.ws.metrics.log_arrays(run.id, KEY, values, steps, stamps)
        log = time.perf_counter() - start
        start = time.perf_counter()
        _, got, _ = self.ws.metrics.history(run.id, KEY)
        read = time.perf_counter() - start
        assert np.array_equal(got, values)
        return log, read

    def close(self) -> None:
        self.ws.close()


class _StagePathCase:
    """A stage's calls: EngineContext -> LiveSink -> RecordingListener -> MetricStore."""

    def __init__(self, ws_case: _WorkspaceCase) -> None:
        self.ws_case = ws_case
        self.values = ws_case.values.tolist()
        self.writes = 0

    def _context(self) -> tuple[Any, Any, int]:
        import threading

        from mlops_desktop.app.runs import RecordingListener
        from mlops_desktop.engine.context import EngineContext, LiveSink, StageTask

        run = self.ws_case.ws.runs.create(*self.ws_case.ids)
        recorder = RecordingListener(self.ws_case.ws)
        sink = LiveSink(recorder, None, threading.Event())
        return EngineContext(StageTask(run.id, "n", "N", "", {}, {}), sink), recorder, run.id

    def points(self) -> tuple[float, int]:
        """100k ``ctx.log_metric`` calls, then the stage's end (the recorder's last flush)."""
        from sqlalchemy import event

        ctx, recorder, run_id = self._context()
        engine = self.ws_case.ws.db.engine
        writes: list[str] = []

        def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if statement.lstrip().upper().startswith("INSERT") and "METRIC" in statement.upper():
                writes.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            start = time.perf_counter()
            for v in self.values:
                ctx.log_metric(KEY, v)
            recorder.flush(run_id)
            took = time.perf_counter() - start
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert self.ws_case.ws.metrics.history(run_id, KEY)[1].size == N
        return took, len(writes)

    def series(self) -> float:
        """One ``ctx.log_metrics`` call with the 100k values."""
        ctx, _recorder, run_id = self._context()
        start = time.perf_counter()
        ctx.log_metrics(KEY, self.ws_case.values)
        return time.perf_counter() - start


class _PlainCase:
    """Plain sqlite3: the same table, index and pragmas, no layers in between."""

    def __init__(self, folder: Path, values: np.ndarray) -> None:
        self.values = values.tolist()
        self.run_id = 0
        con = sqlite3.connect(folder / "plain.db", isolation_level=None)
        con.execute("PRAGMA journal_mode = WAL")
        con.execute("PRAGMA synchronous = NORMAL")
        con.execute(
            "CREATE TABLE metrics (id INTEGER PRIMARY KEY, run_id INTEGER, key TEXT,"
            " step INTEGER, value REAL, timestamp REAL, node_id TEXT)"
        )
        con.execute("CREATE INDEX ix ON metrics (run_id, key, step)")
        self.con = con

    def once(self) -> tuple[float, float]:
        self.run_id += 1
        now = time.time()
        start = time.perf_counter()
        rows = [(self.run_id, KEY, i, v, now, "") for i, v in enumerate(self.values)]
        self.con.execute("BEGIN")
        self.con.executemany(
            "INSERT INTO metrics (run_id, key, step, value, timestamp, node_id)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
        self.con.execute("COMMIT")
        log = time.perf_counter() - start
        start = time.perf_counter()
        got = self.con.execute(
            "SELECT step, value, timestamp FROM metrics WHERE run_id = ? AND key = ? ORDER BY step",
            (self.run_id, KEY),
        ).fetchall()
        np.array(got, dtype=np.float64)
        read = time.perf_counter() - start
        return log, read

    def close(self) -> None:
        self.con.close()


def _measure(folder: Path) -> dict[str, list[tuple[float, float]]]:
    """Alternate the two cases so that load from other processes hits both alike."""
    values = np.random.default_rng(0).random(N)
    ws_case = _WorkspaceCase(folder, values)
    cases = {"workspace": ws_case, "plain": _PlainCase(folder, values)}
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in cases}
    times["log_batch"], times["million"] = [], []
    times["stage_points"], times["stage_series"] = [], []
    stage = _StagePathCase(ws_case)
    try:
        for _ in range(REPEATS):
            for name, case in cases.items():
                times[name].append(case.once())
            times["log_batch"].append((ws_case.log_batch(), 0.0))
            took, writes = stage.points()
            times["stage_points"].append((took, float(writes)))
            times["stage_series"].append((stage.series(), 0.0))
        for _ in range(3):
            times["million"].append(ws_case.million())
    finally:
        for case in cases.values():
            case.close()
    return times


def _mlflow(folder: Path) -> tuple[float, float] | None:
    try:
        from mlflow.entities import Metric
        from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
    except ImportError:
        return None
    store = SqlAlchemyStore(f"sqlite:///{folder / 'mlflow.db'}", str(folder / "mlruns"))
    experiment = store.create_experiment("bench")
    run = store.create_run(experiment, "bench", int(time.time() * 1000), [], "bench")
    run_id = run.info.run_id
    values = np.random.default_rng(0).random(N).tolist()
    now = int(time.time() * 1000)
    metrics = [Metric(KEY, v, now, i) for i, v in enumerate(values)]
    start = time.perf_counter()
    for chunk in range(0, N, 1000):
        store.log_batch(run_id, metrics=metrics[chunk : chunk + 1000], params=[], tags=[])
    log = time.perf_counter() - start
    start = time.perf_counter()
    history = store.get_metric_history(run_id, KEY)
    read = time.perf_counter() - start
    assert len(history) == N
    store.engine.dispose()
    return log, read


def _row(metric: str, value: Any, unit: str, note: str = "") -> dict[str, Any]:
    return {"benchmark": "metrics", "metric": metric, "value": value, "unit": unit, "note": note}


def run() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="bench-metrics-") as tmp:
        folder = Path(tmp)
        times = _measure(folder)
        mlflow = _mlflow(folder)
    ws_log = min(t[0] for t in times["workspace"])
    ws_read = min(t[1] for t in times["workspace"])
    plain_log = min(t[0] for t in times["plain"])
    plain_read = min(t[1] for t in times["plain"])
    ws_log_med = statistics.median(t[0] for t in times["workspace"])
    ws_read_med = statistics.median(t[1] for t in times["workspace"])
    stage_points = statistics.median(t[0] for t in times["stage_points"])
    rows = [
        _row(
            "stage path: 100k ctx.log_metric calls",
            stage_points,
            "s",
            f"context -> live sink -> run recorder -> store, median of {REPEATS}; "
            "store alone: 'workspace: log_batch 100k single points'",
        ),
        _row(
            "stage path: metric write statements for 100k ctx.log_metric",
            max(t[1] for t in times["stage_points"]),
            "",
            "INSERTs into the metric tables (buffer of 5,000 points)",
        ),
        _row(
            "stage path: ctx.log_metrics with 100k values",
            statistics.median(t[0] for t in times["stage_series"]),
            "s",
            f"one bulk write, median of {REPEATS}; store alone: 'workspace: log 100k points'",
        ),
        _row(
            "workspace: log 100k points",
            ws_log,
            "s",
            f"target < 0.5 s; best of {REPEATS}; log_arrays, steps 0..n-1, one timestamp",
        ),
        _row("workspace: log 100k points (median)", ws_log_med, "s", "under the same load"),
        _row("workspace: read 100k series", ws_read, "s", f"target < 0.15 s; best of {REPEATS}"),
        _row("workspace: read 100k series (median)", ws_read_med, "s", "into numpy arrays"),
        _row("plain sqlite3: log 100k points", plain_log, "s", "same table, index, pragmas"),
        _row("plain sqlite3: read 100k series", plain_read, "s", "fetchall + numpy"),
        _row("workspace / plain sqlite3: log", ws_log / plain_log, "x", "< 1 = faster"),
        _row("workspace / plain sqlite3: read", ws_read / plain_read, "x", "< 1 = faster"),
        _row(
            "workspace: log_batch 100k single points",
            statistics.median(t[0] for t in times["log_batch"]),
            "s",
            f"MetricPoint objects with their own timestamps, median of {REPEATS}",
        ),
        _row(
            "workspace: log 1M points",
            statistics.median(t[0] for t in times["million"]),
            "s",
            "log_arrays, steps with gaps, timestamp per point; median of 3",
        ),
        _row(
            "workspace: read 1M series",
            statistics.median(t[1] for t in times["million"]),
            "s",
            "history, median of 3 (issue 6 wants load + render < 0.3 s)",
        ),
    ]
    if mlflow is None:
        rows.append(_row("mlflow", "skipped", "", "mlflow is not installed"))
        return rows
    ml_log, ml_read = mlflow
    rows += [
        _row("mlflow sqlite store: log 100k points", ml_log, "s", "log_batch, chunks of 1000"),
        _row("mlflow sqlite store: read 100k series", ml_read, "s", "get_metric_history"),
        _row("speed-up over mlflow: log", ml_log / ws_log, "x", "target >= 15"),
        _row("speed-up over mlflow: read", ml_read / ws_read, "x", "target >= 15"),
    ]
    return rows


if __name__ == "__main__":
    for r in run():
        print(r)
