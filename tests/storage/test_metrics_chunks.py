"""MetricStore's packed chunks: layout, merging with rows of older workspaces, order and
tie rules, whole writes under a kill, and the 0005 migration both ways."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from alembic import command
from sqlalchemy import func, insert, select

from mlops_desktop.app.workspace import Workspace
from mlops_desktop.core.entities import MetricPoint
from mlops_desktop.storage import schema
from mlops_desktop.storage.database import make_engine
from mlops_desktop.storage.metrics import CHUNK_POINTS
from mlops_desktop.storage.orm import SqlMetric, SqlMetricChunk

DOC = {"format": "mlops-desktop/pipeline", "format_version": 2, "name": "main", "nodes": []}


def new_run(ws: Workspace, name: str = "p") -> int:
    try:
        project = ws.projects.get(name)
    except Exception:  # noqa: BLE001 - first run of the project
        project = ws.projects.create(name, pipelines=[("main", DOC)])
    info = ws.pipelines.list(project.id)[0]
    return ws.runs.create(project.id, info.id, ws.pipelines.latest(info.id).id).id


def chunk_rows(ws: Workspace, run_id: int) -> list[SqlMetricChunk]:
    with ws.db.read() as s:
        query = select(SqlMetricChunk).where(SqlMetricChunk.run_id == run_id)
        return list(s.scalars(query.order_by(SqlMetricChunk.id)))


def test_a_million_points_are_sixteen_chunks_read_back_exactly(ws: Workspace) -> None:
    run = new_run(ws)
    n = 1_000_000
    values = np.random.default_rng(3).normal(size=n)
    stamps = 1.7e9 + np.arange(n) * 0.01
    ws.metrics.log_arrays(run, "loss", values, timestamps=stamps, node_id="train")
    rows = chunk_rows(ws, run)
    assert len(rows) == -(-n // CHUNK_POINTS) == 16
    assert [r.n for r in rows] == [CHUNK_POINTS] * 15 + [n - 15 * CHUNK_POINTS]
    assert rows[1].first_step == CHUNK_POINTS and rows[-1].last_step == n - 1
    assert rows[-1].last_value == values[-1] and {r.node_id for r in rows} == {"train"}
    start = time.perf_counter()
    steps, got, ts = ws.metrics.history(run, "loss")
    elapsed = time.perf_counter() - start
    np.testing.assert_array_equal(steps, np.arange(n))
    np.testing.assert_array_equal(got, values)
    np.testing.assert_array_equal(ts, stamps)
    assert got.flags.writeable and steps.dtype == np.int64
    assert ws.metrics.count(run) == n and ws.metrics.latest(run) == {"loss": values[-1]}
    # a loose bound (row-per-point storage takes 2-3 s); bench/bench_plots.py measures it
    assert elapsed < (1.0 if ws.db.dialect == "sqlite" else 4.0)


def test_blobs_are_plain_little_endian_arrays_with_two_compact_forms(ws: Workspace) -> None:
    run = new_run(ws)
    sparse = np.array([0, 10, 20, 35], dtype=np.int64)
    ws.metrics.log_arrays(run, "sparse", [1.0, 2.0, 3.0, 4.0], sparse, [5.0, 6.0, 7.0, 8.0])
    ws.metrics.log_arrays(run, "dense", [0.5, 0.25, 0.125], timestamps=99.0)
    by_key = {r.key: r for r in chunk_rows(ws, run)}
    s = by_key["sparse"]
    np.testing.assert_array_equal(np.frombuffer(s.steps, "<i8"), sparse)
    np.testing.assert_array_equal(np.frombuffer(s.values, "<f8"), [1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(np.frombuffer(s.timestamps, "<f8"), [5.0, 6.0, 7.0, 8.0])
    d = by_key["dense"]  # consecutive steps: no steps blob; one timestamp for all
    assert d.steps == b"" and np.frombuffer(d.timestamps, "<f8").tolist() == [99.0]
    assert (d.first_step, d.last_step, d.n) == (0, 2, 3)
    steps, values, ts = ws.metrics.history(run, "dense")
    assert steps.tolist() == [0, 1, 2] and values.tolist() == [0.5, 0.25, 0.125]
    assert ts.tolist() == [99.0] * 3
    assert ws.metrics.history(run, "sparse")[0].tolist() == sparse.tolist()


def test_series_written_out_of_order_come_back_sorted_with_ties_in_write_order(
    ws: Workspace,
) -> None:
    run = new_run(ws)
    ws.metrics.log_arrays(run, "k", [30.0, 10.0, 20.0], [3, 1, 2], timestamps=1.0)
    ws.metrics.log_arrays(run, "k", [0.0, 21.0], [0, 2], timestamps=2.0)
    ws.metrics.log_batch(run, [MetricPoint("k", 22.0, 2, 3.0), MetricPoint("k", 5.0, 1, 3.0)])
    steps, values, ts = ws.metrics.history(run, "k")
    assert steps.tolist() == [0, 1, 1, 2, 2, 2, 3]
    assert values.tolist() == [0.0, 10.0, 5.0, 20.0, 21.0, 22.0, 30.0]
    assert ts.tolist() == [2.0, 1.0, 3.0, 1.0, 2.0, 3.0, 1.0]
    assert ws.metrics.latest(run) == {"k": 30.0}
    ws.metrics.log_arrays(run, "k", [31.0], [3])  # same highest step, written later
    assert ws.metrics.latest(run) == {"k": 31.0}


def test_log_batch_packs_per_key_and_stage_and_keeps_the_last_written_tie(
    ws: Workspace,
) -> None:
    run = new_run(ws)
    points = [
        MetricPoint("acc", 0.3, 3, 1.0, "b"),
        MetricPoint("acc", 0.1, 5, 1.0, "a"),
        MetricPoint("acc", 0.2, 5, 1.0, "b"),  # the last written at the highest step
        MetricPoint("loss", 2.0, 0, 1.0, "a"),
        MetricPoint("loss", 1.0, 1, 1.0, "a"),
    ]
    ws.metrics.log_batch(run, points)
    rows = chunk_rows(ws, run)
    assert sorted((r.key, r.node_id, r.n) for r in rows) == [
        ("acc", "a", 1),
        ("acc", "b", 2),
        ("loss", "a", 2),
    ]
    assert ws.metrics.latest(run) == {"acc": 0.2, "loss": 1.0}
    steps, values, _ = ws.metrics.history(run, "acc")
    assert steps.tolist() == [3, 5, 5] and values.tolist() == [0.3, 0.1, 0.2]
    assert ws.metrics.keys(run) == ["acc", "loss"] and ws.metrics.count(run) == 5


def test_rows_of_an_older_workspace_merge_with_chunks(ws: Workspace) -> None:
    run, other = new_run(ws), new_run(ws)
    legacy = [
        {"run_id": run, "key": "loss", "step": s, "value": v, "timestamp": 1.0, "node_id": ""}
        for s, v in [(0, 1.0), (2, 0.8), (4, 0.6)]
    ]
    legacy.append(
        {"run_id": run, "key": "old", "step": 0, "value": 7.0, "timestamp": 1.0, "node_id": ""}
    )
    with ws.db.write() as s:
        s.execute(insert(SqlMetric), legacy)
    assert ws.metrics.history(run, "loss")[1].tolist() == [1.0, 0.8, 0.6]  # rows only
    ws.metrics.log_arrays(run, "loss", [0.9, 0.7, 0.55], [1, 3, 4], timestamps=2.0)
    steps, values, ts = ws.metrics.history(run, "loss")
    assert steps.tolist() == [0, 1, 2, 3, 4, 4]
    assert values.tolist() == [1.0, 0.9, 0.8, 0.7, 0.6, 0.55]  # row before chunk at step 4
    assert ts.tolist() == [1.0, 2.0, 1.0, 2.0, 1.0, 2.0]
    assert ws.metrics.latest(run) == {"loss": 0.55, "old": 7.0}  # chunks are the newer
    assert ws.metrics.latest_many([run, other]) == {run: {"loss": 0.55, "old": 7.0}, other: {}}
    assert ws.metrics.keys(run) == ["loss", "old"] and ws.metrics.count(run) == 7


def test_steps_must_be_whole_numbers(ws: Workspace) -> None:
    run = new_run(ws)
    with pytest.raises(ValueError, match="whole numbers"):
        ws.metrics.log_arrays(run, "k", [1.0, 2.0], [0.5, 1.0])
    with pytest.raises(ValueError, match="timestamps"):
        ws.metrics.log_arrays(run, "k", [1.0, 2.0], timestamps=[1.0])
    ws.metrics.log_arrays(run, "k", [1.0, 2.0], np.array([4.0, 7.0]))
    assert ws.metrics.history(run, "k")[0].tolist() == [4, 7]
    assert ws.metrics.count(run) == 2  # the refused writes left nothing


def test_purging_a_project_removes_its_chunks(ws: Workspace) -> None:
    run = new_run(ws, "gone")
    ws.metrics.log_arrays(run, "loss", np.arange(10.0))
    ws.projects.delete("gone")
    ws.projects.purge("gone")
    with ws.db.read() as s:
        assert s.scalar(select(func.count()).select_from(SqlMetricChunk)) == 0


_KILL_WORKER = textwrap.dedent(
    """
    import sys
    import numpy as np
    from mlops_desktop.app.workspace import Workspace
    DOC = {"format": "mlops-desktop/pipeline", "format_version": 2, "name": "main", "nodes": []}
    ws = Workspace.open(sys.argv[1], artifacts_dir=sys.argv[2])
    project = ws.projects.create("victim", pipelines=[("main", DOC)])
    info = ws.pipelines.list(project.id)[0]
    run = ws.runs.create(project.id, info.id, ws.pipelines.latest(info.id).id)
    ws.runs.start(run.id)
    print(run.id, flush=True)
    step, n = 0, int(sys.argv[3])
    while True:  # four chunks per write; killed somewhere in here
        ws.metrics.log_arrays(run.id, "loss", np.random.rand(n), np.arange(step, step + n))
        step += n
    """
)


def test_a_kill_mid_write_leaves_whole_writes_of_whole_chunks(
    backend_url: str, tmp_path: Path
) -> None:
    per_write = 3 * CHUNK_POINTS + 1000
    artifacts = str(tmp_path / "artifacts")
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILL_WORKER, backend_url, artifacts, str(per_write)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line.strip().isdigit(), proc.stderr.read() if proc.stderr else ""
        time.sleep(1.2)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()
    run_id = int(line)
    with Workspace.open(backend_url, artifacts_dir=artifacts) as ws:
        count = ws.metrics.count(run_id)
        assert count > 0 and count % per_write == 0
        assert len(chunk_rows(ws, run_id)) == 4 * (count // per_write)
        steps, _, _ = ws.metrics.history(run_id, "loss")
        np.testing.assert_array_equal(steps, np.arange(count))


def test_migration_0005_keeps_old_rows_and_downgrades_without_loss(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    engine = make_engine(f"sqlite:///{path}")
    cfg = schema.alembic_config()
    with engine.begin() as conn:  # a workspace at 0004 with one-row-per-point metrics
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0004")
    engine.dispose()
    with Workspace.open(path) as ws:  # migrates to the head
        run = new_run(ws)
    con = sqlite3.connect(path)
    con.executemany(
        "INSERT INTO metrics (run_id, key, step, value, timestamp, node_id) VALUES (?,?,?,?,?,?)",
        [(run, "loss", s, s / 10, 5.0, "") for s in range(3)],
    )
    con.commit()
    con.close()
    with Workspace.open(path) as ws:
        ws.metrics.log_arrays(run, "loss", [0.9, 1.0], [3, 10], [6.0, 7.0], node_id="n")
        ws.metrics.log_arrays(run, "acc", np.full(5, 0.5), timestamps=8.0)
        before = {k: ws.metrics.history(run, k) for k in ("loss", "acc")}
        assert before["loss"][0].tolist() == [0, 1, 2, 3, 10]
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004")
    engine.dispose()
    con = sqlite3.connect(path)
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "metric_chunks" not in tables
        for key, (steps, values, ts) in before.items():
            got = con.execute(
                "SELECT step, value, timestamp FROM metrics WHERE key = ? ORDER BY step", (key,)
            ).fetchall()
            assert got == list(zip(steps.tolist(), values.tolist(), ts.tolist(), strict=True))
        assert con.execute("SELECT DISTINCT node_id FROM metrics WHERE step = 10").fetchall() == [
            ("n",)
        ]
    finally:
        con.close()


def test_nan_and_infinite_values_round_trip(ws: Workspace) -> None:
    run = new_run(ws)
    ws.metrics.log_arrays(run, "loss", [1.0, np.inf, np.nan])  # a diverged training
    ws.metrics.log_batch(run, [MetricPoint("acc", float("-inf"), 0, 1.0)])
    values = ws.metrics.history(run, "loss")[1]
    assert values[:2].tolist() == [1.0, np.inf] and np.isnan(values[2])
    latest = ws.metrics.latest(run)
    assert np.isnan(latest["loss"]) and latest["acc"] == float("-inf")


def test_compact_repacks_small_writes_without_changing_what_is_read(ws: Workspace) -> None:
    run = new_run(ws)
    rng = np.random.default_rng(5)
    for i in range(40):  # a recorder flushing a few points of two stages at a time
        ws.metrics.log_batch(
            run,
            [
                MetricPoint("loss", float(rng.random()), 3 * i + j, float(i), "train")
                for j in range(3)
            ]
            + [MetricPoint("loss", float(rng.random()), 3 * i, float(i), "tune")],
        )
    ws.metrics.log_batch(run, [MetricPoint("loss", 0.5, 119, 99.0, "tune")])  # ties "train"
    ws.metrics.log_arrays(run, "big", np.arange(CHUNK_POINTS + 5.0))  # bulk: left alone
    ws.metrics.log_arrays(run, "big", np.ones(2), [0, 1])
    ws.metrics.log_batch(run, [MetricPoint("one", 1.0, 0, 1.0)])
    before = {k: ws.metrics.history(run, k) for k in ("loss", "big", "one")}
    latest = ws.metrics.latest(run)
    assert latest["loss"] == 0.5 and len(chunk_rows(ws, run)) == 85
    assert ws.metrics.compact(run) == 81 - 2  # 81 small "loss" chunks -> one per stage
    rows = chunk_rows(ws, run)
    assert sorted((r.key, r.node_id, r.n) for r in rows if r.key == "loss") == [
        ("loss", "train", 120),
        ("loss", "tune", 41),
    ]
    for key, (steps, values, ts) in before.items():
        got = ws.metrics.history(run, key)
        np.testing.assert_array_equal(got[0], steps)
        np.testing.assert_array_equal(got[1], values)
        np.testing.assert_array_equal(got[2], ts)
    assert ws.metrics.latest(run) == latest and ws.metrics.count(run) == 161 + CHUNK_POINTS + 8
    assert ws.metrics.compact(run) == 0


def test_postgresql_keeps_the_packed_arrays_uncompressed(ws: Workspace) -> None:
    if ws.db.dialect != "postgresql":
        pytest.skip("a PostgreSQL storage setting")
    from sqlalchemy import text

    query = text(
        "SELECT attname, attstorage FROM pg_attribute"
        " WHERE attrelid = 'metric_chunks'::regclass AND attname IN ('steps', 'values', 'timestamps')"
    )
    with ws.db.engine.connect() as conn:
        assert dict(conn.execute(query).all()) == {"steps": "e", "values": "e", "timestamps": "e"}
