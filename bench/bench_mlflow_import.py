"""``mlops-desktop mlflow import`` of 1,000 and 10,000 MLflow runs, as a user runs it.

Builds (or reuses) MLflow tracking stores (``sqlite:///…``) of N runs in one experiment,
each with 4 params, a user tag and 20 metrics of 5 steps (100 points a run). The first
:data:`LOGGED` runs are written through MLflow's own client (``create_run``, ``log_batch``,
``set_terminated``), timed per run; that path costs ~0.1 s a run here, so the rest are
written in batches into the same tables (MLflow's ``SqlAlchemyStore`` creates the schema
and its SQLAlchemy models name the tables), with the rows MLflow's client writes for
such a run (runs, tags incl. ``mlflow.runName``/``mlflow.user``, params, metrics,
latest_metrics). Then times the CLI path in a fresh process into a fresh workspace:
``mlops-desktop --workspace W project create copy`` and
``mlops-desktop --workspace W mlflow import copy --tracking-uri sqlite:///…``, as wall
seconds and the child's CPU seconds (user + system), checks the progress lines on stderr
and counts the imported runs and metric points.

    python -m bench.bench_mlflow_import [--sizes 1000,10000] [--dir /tmp/bench_mlflow]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time
import uuid
import warnings
from pathlib import Path

SIZES = (1_000, 10_000)
PARAMS = 4
METRICS = 20
STEPS = 5
LOGGED = 50  # runs written through MLflow's client (the rest in batches, same rows)
BATCH = 1_000
T0 = 1_700_000_000_000  # ms
LAYOUT = 1  # bump when the stores' content changes (cached stores are rebuilt)


def _metric_value(run: int, key: int, step: int) -> float:
    return round(1.0 / (step + 1 + key) + run * 1e-6, 9)


def _log_through_client(client: object, exp_id: str, first: int, count: int) -> float:
    """Runs ``first`` .. ``first + count - 1`` through MLflow's client; seconds a run."""
    from mlflow.entities import Metric, Param, RunTag

    start = time.perf_counter()
    for i in range(first, first + count):
        run = client.create_run(exp_id, start_time=T0 + i * 1000, run_name=f"run-{i}")  # type: ignore[attr-defined]
        run_id = run.info.run_id
        metrics = [
            Metric(f"m{k}", _metric_value(i, k, s), T0 + i * 1000 + s, s)
            for k in range(METRICS)
            for s in range(STEPS)
        ]
        params = [Param(f"p{j}", str(i % (j + 2))) for j in range(PARAMS)]
        client.log_batch(run_id, metrics=metrics, params=params, tags=[RunTag("team", "a")])  # type: ignore[attr-defined]
        client.set_terminated(run_id, "FINISHED" if i % 10 else "FAILED", T0 + i * 1000 + 900)  # type: ignore[attr-defined]
    return (time.perf_counter() - start) / max(count, 1)


def _write_in_batches(store: object, exp_id: str, artifacts: Path, first: int, n: int) -> None:
    """Runs ``first`` .. ``n - 1`` as the rows MLflow's client writes, a batch at a time."""
    from mlflow.store.tracking.dbmodels.models import (
        SqlLatestMetric,
        SqlMetric,
        SqlParam,
        SqlRun,
        SqlTag,
    )
    from sqlalchemy import insert

    for lo in range(first, n, BATCH):
        runs, tags, params, metrics, latest = [], [], [], [], []
        for i in range(lo, min(lo + BATCH, n)):
            run_id = uuid.uuid4().hex
            started = T0 + i * 1000
            runs.append(
                {
                    "run_uuid": run_id,
                    "name": f"run-{i}",
                    "source_type": "UNKNOWN",
                    "source_name": "",
                    "entry_point_name": "",
                    "user_id": "bench",
                    "status": "FINISHED" if i % 10 else "FAILED",
                    "start_time": started,
                    "end_time": started + 900,
                    "source_version": "",
                    "lifecycle_stage": "active",
                    "artifact_uri": str(artifacts / exp_id / run_id / "artifacts"),
                    "experiment_id": int(exp_id),
                }
            )
            for key, value in (("mlflow.runName", f"run-{i}"), ("mlflow.user", "bench")):
                tags.append({"key": key, "value": value, "run_uuid": run_id})
            tags.append({"key": "team", "value": "a", "run_uuid": run_id})
            for j in range(PARAMS):
                params.append({"key": f"p{j}", "value": str(i % (j + 2)), "run_uuid": run_id})
            for k in range(METRICS):
                for s in range(STEPS):
                    metrics.append(
                        {
                            "key": f"m{k}",
                            "value": _metric_value(i, k, s),
                            "timestamp": started + s,
                            "step": s,
                            "is_nan": False,
                            "run_uuid": run_id,
                        }
                    )
                latest.append(dict(metrics[-1]))
        with store.ManagedSessionMaker() as session:  # type: ignore[attr-defined]
            for model, rows in (
                (SqlRun, runs),
                (SqlTag, tags),
                (SqlParam, params),
                (SqlMetric, metrics),
                (SqlLatestMetric, latest),
            ):
                session.execute(insert(model.__table__), rows)


def build(path: Path, n: int) -> float:
    """An MLflow SQLite store of ``n`` runs at ``path`` (reused when built before); the
    seconds a run took through MLflow's client (``nan`` when reused)."""
    marker = path.with_suffix(".json")
    if path.exists() and marker.exists():
        if json.loads(marker.read_text()) == {"runs": n, "layout": LAYOUT}:
            return math.nan
    path.unlink(missing_ok=True)
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{path}"
    artifacts = path.parent / f"{path.stem}-artifacts"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store = SqlAlchemyStore(uri, str(artifacts))  # MLflow's schema, migrated
        exp_id = store.create_experiment("team", artifact_location=str(artifacts / "team"))
        client = MlflowClient(uri)
        logged = min(LOGGED, n)
        per_run = _log_through_client(client, exp_id, 0, logged)
        _write_in_batches(store, exp_id, artifacts, logged, n)
        store.engine.dispose()
    marker.write_text(json.dumps({"runs": n, "layout": LAYOUT}))
    return per_run


def _cli(args: list[str], cwd: Path) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "mlops_desktop", *args],
        capture_output=True,
        text=True,
        timeout=1800,
        cwd=cwd,
        env=dict(os.environ, PYTHONWARNINGS="ignore"),
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise RuntimeError(f"{args}: {done.stderr[-2000:]}")
    return wall, cpu, done


def measure(work: Path, n: int) -> dict:
    """Build the store of ``n`` runs, import it through the CLI, check what arrived."""
    store = work / f"mlflow-{n}.db"
    started = time.perf_counter()
    per_run = build(store, n)
    built = time.perf_counter() - started
    ws = work / f"ws-{n}.db"
    for stale in work.glob(f"ws-{n}.db*"):
        stale.unlink()
    ws_args = ["--workspace", str(ws)]
    _cli([*ws_args, "project", "create", "copy"], work)
    uri = f"sqlite:///{store}"
    wall, cpu, done = _cli([*ws_args, "mlflow", "import", "copy", "--tracking-uri", uri], work)
    progress = [line for line in done.stderr.splitlines() if line.startswith("imported ")]
    if f"imported {n} run(s), skipped 0" not in done.stdout or not progress:
        raise RuntimeError(f"unexpected import output: {done.stdout!r} {done.stderr[-500:]!r}")
    import sqlite3

    with sqlite3.connect(ws) as db:
        (runs,) = db.execute("SELECT count(*) FROM runs").fetchone()
    if runs != n:
        raise RuntimeError(f"{runs} runs in the workspace, {n} in MLflow")
    return {
        "runs": n,
        "wall_s": wall,
        "cpu_s": cpu,
        "progress_lines": len(progress),
        "build_s": built,
        "mlflow_log_batch_s_per_run": per_run,
    }


def _row(metric: str, value: float, unit: str, note: str = "") -> dict:
    return {
        "benchmark": "mlflow_import",
        "metric": metric,
        "value": round(value, 3) if isinstance(value, float) else value,
        "unit": unit,
        "note": note,
    }


def rows_for(results: list[dict]) -> list[dict]:
    rows = []
    points = METRICS * STEPS
    for r in results:
        n = r["runs"]
        note = f"{n:,} runs x {points} points, {r['progress_lines']} progress lines"
        rows.append(_row(f"mlflow import {n:,} runs, wall", r["wall_s"], "s", note))
        rows.append(_row(f"mlflow import {n:,} runs, CPU", r["cpu_s"], "s", "user + system"))
        if not math.isnan(r["mlflow_log_batch_s_per_run"]):
            rows.append(
                _row(
                    "MLflow client writing a run",
                    r["mlflow_log_batch_s_per_run"],
                    "s",
                    "create_run + log_batch + set_terminated",
                )
            )
    if len(results) >= 2:
        a, b = results[0], results[-1]
        ratio = math.log(b["runs"] / a["runs"])
        for what in ("wall_s", "cpu_s"):
            exponent = math.log(b[what] / a[what]) / ratio
            label = what.removesuffix("_s").replace("cpu", "CPU")
            rows.append(
                _row(
                    f"growth exponent, {label}",
                    exponent,
                    "",
                    f"{a['runs']:,} -> {b['runs']:,} runs (1 = linear)",
                )
            )
    return rows


def run(sizes: tuple[int, ...] = SIZES, work: Path | None = None) -> list[dict]:
    work = work or Path("/tmp/bench_mlflow")
    work.mkdir(parents=True, exist_ok=True)
    return rows_for([measure(work, n) for n in sizes])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    parser.add_argument("--dir", default="/tmp/bench_mlflow")
    args = parser.parse_args()
    sizes = tuple(int(s) for s in args.sizes.split(",") if s)
    for row in run(sizes, Path(args.dir)):
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
