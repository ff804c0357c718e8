"""RunStore, MetricStore, CacheStore and ArtifactStore on each backend."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import numpy as np
import pytest
from sqlalchemy import update

from mlops_desktop.app.workspace import Workspace
from mlops_desktop.core.entities import MetricPoint, RunStatus, StageRun, StageStatus
from mlops_desktop.core.errors import NotFoundError
from mlops_desktop.storage.orm import SqlRun

DOC = {"format": "mlops-desktop/pipeline", "format_version": 2, "name": "main", "nodes": []}


@pytest.fixture
def target(ws: Workspace):
    project = ws.projects.create("p", pipelines=[("main", DOC)])
    info = ws.pipelines.list(project.id)[0]
    return project, info, ws.pipelines.latest(info.id)


def test_run_lifecycle_and_stages(ws: Workspace, target) -> None:
    project, info, version = target
    run = ws.runs.create(
        project.id,
        info.id,
        version.id,
        trigger="schedule",
        params={"n_estimators": 10},
        input_hashes={"load": "ab" * 32},
        app_version="0.1.0",
        executor="dask",
        commit="abc123",
    )
    assert run.status is RunStatus.QUEUED and run.started_at is None
    assert ws.runs.start(run.id).status is RunStatus.RUNNING
    t0 = datetime.now(UTC)
    ws.runs.save_stage(run.id, StageRun("n1", "data.load", "Load", StageStatus.RUNNING, t0))
    ws.runs.save_stage(
        run.id,
        StageRun(
            "n1",
            "data.load",
            "Load",
            StageStatus.SUCCEEDED,
            t0,
            t0,
            0.5,
            "line\n",
            "",
            "k" * 64,
            {"dataset": "cd" * 32},
        ),
    )
    ws.runs.save_stage(
        run.id, StageRun("n2", "model.train", "Train", StageStatus.FAILED, error="boom")
    )
    finished = ws.runs.finish(run.id, RunStatus.FAILED, "stage Train failed")
    assert finished.status is RunStatus.FAILED and finished.message == "stage Train failed"
    got = ws.runs.get(run.id)
    assert got.params == {"n_estimators": 10} and got.input_hashes == {"load": "ab" * 32}
    assert (got.trigger, got.executor, got.commit, got.app_version) == (
        "schedule",
        "dask",
        "abc123",
        "0.1.0",
    )
    assert [s.node_id for s in got.stages] == ["n1", "n2"]  # n1 updated in place
    load = got.stages[0]
    assert load.status is StageStatus.SUCCEEDED and load.outputs == {"dataset": "cd" * 32}
    assert load.started_at == t0 and load.log == "line\n" and load.duration_s == 0.5
    assert got.duration_s is not None and got.duration_s >= 0
    with pytest.raises(ValueError):
        ws.runs.finish(run.id, RunStatus.RUNNING)
    with pytest.raises(NotFoundError):
        ws.runs.get(99999)


def test_runs_list_newest_first_and_filters(ws: Workspace, target) -> None:
    project, info, version = target
    other = ws.pipelines.create(project.id, "other", DOC)
    other_v = ws.pipelines.latest(other.id)
    ids = [ws.runs.create(project.id, info.id, version.id).id for _ in range(3)]
    ws.runs.create(project.id, other.id, other_v.id)
    assert [r.id for r in ws.runs.list(project.id, info.id)] == ids[::-1]
    assert len(ws.runs.list(project.id)) == 4
    assert len(ws.runs.list(project.id, limit=2)) == 2
    with pytest.raises(NotFoundError):
        ws.runs.create(project.id, info.id, other_v.id)  # version of another pipeline


def test_mark_interrupted_spares_live_owners(ws: Workspace, target) -> None:
    project, info, version = target
    mine = ws.runs.create(project.id, info.id, version.id)
    ws.runs.start(mine.id)
    dead = ws.runs.create(project.id, info.id, version.id)
    ws.runs.start(dead.id)
    ws.runs.save_stage(dead.id, StageRun("n1", "t", "T", StageStatus.RUNNING))
    remote_old = ws.runs.create(project.id, info.id, version.id)
    remote_new = ws.runs.create(project.id, info.id, version.id)
    done = ws.runs.create(project.id, info.id, version.id)
    ws.runs.finish(done.id, RunStatus.SUCCEEDED)
    with ws.db.write() as s:  # a process id that cannot exist; two runs on another host
        s.execute(update(SqlRun).where(SqlRun.id == dead.id).values(owner_pid=2**22 + 7))
        old = datetime(2020, 1, 1, tzinfo=UTC)
        s.execute(
            update(SqlRun)
            .where(SqlRun.id.in_([remote_old.id, remote_new.id, done.id]))
            .values(owner_host="elsewhere", owner_pid=1)
        )
        s.execute(update(SqlRun).where(SqlRun.id == remote_old.id).values(heartbeat_at=old))
    assert ws.runs.mark_interrupted() == 2
    assert ws.runs.get(mine.id).status is RunStatus.RUNNING
    assert ws.runs.get(remote_new.id).status is RunStatus.QUEUED
    assert ws.runs.get(done.id).status is RunStatus.SUCCEEDED
    interrupted = ws.runs.get(dead.id)
    assert interrupted.status is RunStatus.INTERRUPTED and interrupted.finished_at
    assert interrupted.stages[0].status is StageStatus.FAILED
    assert "interrupted" in interrupted.stages[0].error
    assert ws.runs.get(remote_old.id).status is RunStatus.INTERRUPTED
    assert ws.runs.mark_interrupted() == 0


def test_metrics_arrays_history_latest(ws: Workspace, target) -> None:
    project, info, version = target
    run = ws.runs.create(project.id, info.id, version.id)
    other = ws.runs.create(project.id, info.id, version.id)
    values = np.random.default_rng(0).random(1000)
    steps = np.arange(1000)[::-1].copy()  # written in reverse step order
    ws.metrics.log_arrays(run.id, "loss", values, steps, timestamps=123.0, node_id="train")
    ws.metrics.log_arrays(other.id, "loss", np.ones(3))
    got_steps, got_values, got_ts = ws.metrics.history(run.id, "loss")
    assert got_steps.dtype == np.int64 and got_values.dtype == np.float64
    np.testing.assert_array_equal(got_steps, np.arange(1000))
    np.testing.assert_array_equal(got_values, values[::-1])
    assert np.all(got_ts == 123.0)
    ws.metrics.log_batch(
        run.id,
        [
            MetricPoint("acc", 0.5, 0, time.time()),
            MetricPoint("acc", 0.9, 2, time.time(), "eval"),
            MetricPoint("acc", 0.7, 1, time.time()),
        ],
    )
    assert ws.metrics.keys(run.id) == ["acc", "loss"]
    assert ws.metrics.latest(run.id) == {"acc": 0.9, "loss": float(values[0])}
    many = ws.metrics.latest_many([run.id, other.id, 424242])
    assert many[other.id] == {"loss": 1.0} and many[424242] == {}
    empty = ws.metrics.history(run.id, "nope")
    assert all(a.size == 0 for a in empty)
    with pytest.raises(ValueError):
        ws.metrics.log_arrays(run.id, "x", np.ones(3), np.arange(2))


def test_metrics_latest_breaks_step_ties_by_write_order(ws: Workspace, target) -> None:
    project, info, version = target
    run = ws.runs.create(project.id, info.id, version.id)
    ws.metrics.log_batch(run.id, [MetricPoint("score", 1.0, 5, 0.0)])
    ws.metrics.log_batch(run.id, [MetricPoint("score", 2.0, 5, 0.0)])
    assert ws.metrics.latest(run.id) == {"score": 2.0}
    steps, values, _ = ws.metrics.history(run.id, "score")
    assert values.tolist() == [1.0, 2.0]


def test_a_projects_history_is_read_in_one_query_whatever_its_size(ws: Workspace, target) -> None:
    """Latest metric values and stage records of a project's runs (of one pipeline, the newest
    few) read by project equal the same reads by a list of run ids."""
    project, info, version = target
    other = ws.pipelines.create(project.id, "other", DOC)
    other_v = ws.pipelines.latest(other.id)
    elsewhere = ws.projects.create("q", pipelines=[("main", DOC)])
    stranger_info = ws.pipelines.list(elsewhere.id)[0]
    stranger = ws.runs.create(
        elsewhere.id, stranger_info.id, ws.pipelines.latest(stranger_info.id).id
    )
    ws.metrics.log_arrays(stranger.id, "acc", [0.1])
    ids = []
    for i in range(4):
        pipe, ver = (info, version) if i != 2 else (other, other_v)
        run = ws.runs.create(project.id, pipe.id, ver.id)
        ids.append(run.id)
        at = datetime(2025, 1, 1, 12, tzinfo=UTC)
        ws.runs.save_stage(
            run.id, StageRun("load", "data.load", "Load", StageStatus.SUCCEEDED, started_at=at)
        )
        ws.runs.save_stage(
            run.id, StageRun("train", "model.train", "Train", StageStatus.FAILED, duration_s=1.5)
        )
        if i:
            ws.metrics.log_arrays(run.id, "acc", [0.5, 0.6 + i], timestamps=1.0)
            ws.metrics.log_batch(run.id, [MetricPoint("loss", float("nan"), 0, 0.0)])
    by_ids = ws.metrics.latest_many(ids)
    in_project = ws.metrics.latest_in_project(project.id)
    assert set(in_project) == set(ids[1:])  # a run that logged nothing is left out
    assert all(in_project[i]["acc"] == by_ids[i]["acc"] for i in ids[1:])
    assert all(np.isnan(in_project[i]["loss"]) for i in ids[1:])
    newest = ws.metrics.latest_in_project(project.id, info.id, limit=2)
    assert set(newest) == {ids[3], ids[1]}  # the newest two of the pipeline's runs
    fields = ("node_id", "stage_type", "status", "duration_s")
    stages = ws.runs.stage_rows_in_project(project.id, fields)
    assert stages == ws.runs.stage_rows(ids, fields)
    assert stages[ids[0]] == [
        ("load", "data.load", "succeeded", None),
        ("train", "model.train", "failed", 1.5),
    ]
    assert set(ws.runs.stage_rows_in_project(project.id, fields, other.id)) == {ids[2]}
    assert set(ws.runs.stage_rows_in_project(project.id, ("title",), limit=1)) == {ids[3]}
    # dates come back as dates (read through SQLAlchemy, not as the driver's text)
    started = ws.runs.stage_rows_in_project(project.id, ("started_at",))
    assert all(isinstance(rows[0][0], datetime) and rows[1] == (None,) for rows in started.values())


def test_metrics_of_an_unknown_run_are_refused(ws: Workspace) -> None:
    with pytest.raises(Exception):  # noqa: B017 - the foreign key refuses it on both backends
        ws.metrics.log_arrays(98765, "loss", np.ones(2))


def test_artifacts_are_content_addressed_and_atomic(ws: Workspace, tmp_path) -> None:
    store = ws.artifacts
    digest = store.put_bytes(b"hello", ".txt")
    assert digest == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    assert store.put_bytes(b"hello") == digest  # stored once
    assert store.path(digest).name == f"{digest}.txt"
    assert store.exists(digest) and not store.exists("0" * 64) and not store.exists("../x")
    with store.open(digest) as fh:
        assert fh.read() == b"hello"
    src = tmp_path / "model.bin"
    src.write_bytes(b"\x00" * 3_000_000)
    file_digest = store.put_file(src)
    assert store.path(file_digest).suffix == ".bin"
    assert store.read_bytes(file_digest) == src.read_bytes()
    assert not list(store.root.rglob(".tmp-*"))  # no temp files left
    with pytest.raises(NotFoundError):
        store.path("f" * 64)
    with pytest.raises(NotFoundError):
        store.path("../../etc/passwd")
    assert sorted(store.digests()) == sorted([digest, file_digest])


def test_cache_serves_only_existing_artifacts(ws: Workspace) -> None:
    digest = ws.artifacts.put_bytes(b"model")
    assert ws.cache.get("k1") is None
    ws.cache.put("k1", "model.train", {"model": digest})
    assert ws.cache.get("k1") == {"model": digest}
    ws.cache.put("k1", "model.train", {"model": digest, "metrics": digest})
    assert ws.cache.get("k1") == {"model": digest, "metrics": digest}
    ws.artifacts.path(digest).unlink()  # someone cleaned the folder
    assert ws.cache.get("k1") is None
    with pytest.raises(ValueError):
        ws.cache.put("k2", "model.train", {"model": digest})
    assert ws.cache.clear() == 1 and len(ws.cache) == 0


def test_threads_of_one_process_share_a_workspace(ws: Workspace, target) -> None:
    import threading

    project, info, version = target
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for _ in range(3):
                run = ws.runs.create(project.id, info.id, version.id)
                ws.metrics.log_arrays(run.id, f"k{n}", np.arange(500.0))
                ws.runs.save_stage(run.id, StageRun("s", "t", "T", StageStatus.SUCCEEDED))
                ws.runs.finish(run.id, RunStatus.SUCCEEDED)
                ws.metrics.latest(run.id)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    runs = ws.runs.list(project.id, with_stages=True)
    assert len(runs) == 12 and all(len(r.stages) == 1 for r in runs)
    assert all(ws.metrics.count(r.id) == 500 for r in runs)


def test_a_100k_series_goes_in_and_out_in_bulk(ws: Workspace, target) -> None:
    """A loose bound that only a bulk path meets (row-by-row ORM inserts take ~10 s);
    bench/bench_metrics.py measures the real figures."""
    project, info, version = target
    run = ws.runs.create(project.id, info.id, version.id)
    values = np.random.default_rng(1).random(100_000)
    start = time.perf_counter()
    ws.metrics.log_arrays(run.id, "loss", values)
    logged = time.perf_counter() - start
    start = time.perf_counter()
    steps, got, _ = ws.metrics.history(run.id, "loss")
    read = time.perf_counter() - start
    np.testing.assert_array_equal(got, values)
    assert steps[-1] == 99_999
    slack = 1.0 if ws.db.dialect == "sqlite" else 4.0  # a server over TCP, under CI load
    assert logged < 4.0 * slack and read < 2.0 * slack


def test_stale_temp_files_of_dead_writers_are_removed(ws: Workspace) -> None:
    import os

    folder = ws.artifacts.root / "ab"
    folder.mkdir(parents=True, exist_ok=True)
    stale, fresh = folder / ".tmp-dead", folder / ".tmp-writing"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"half")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    assert ws.artifacts.remove_stale_temp_files() == 1
    assert not stale.exists() and fresh.exists()


def test_deleting_runs_takes_their_stages_and_metrics_and_keeps_lineage(
    ws: Workspace, target
) -> None:
    from mlops_desktop.core.errors import ConflictError
    from mlops_desktop.storage.registry import RegistryStore

    project, info, version = target
    runs = []
    for _ in range(4):
        run = ws.runs.create(project.id, info.id, version.id)
        ws.runs.start(run.id)
        now = datetime.now(UTC)
        ws.runs.save_stage(run.id, StageRun("n1", "x", "X", StageStatus.SUCCEEDED, now, now))
        ws.metrics.log_arrays(run.id, "loss", np.linspace(1, 0, 100_000))
        ws.metrics.log_batch(run.id, [MetricPoint("accuracy", 0.9, 0, time.time(), "n1")])
        runs.append(run.id)
    for run_id in runs[:3]:
        ws.runs.finish(run_id, RunStatus.SUCCEEDED)
    registered, gone, other, running = runs
    RegistryStore(ws.db).register(project.id, "clf", run_id=registered)
    with pytest.raises(ConflictError, match="still running"):
        ws.runs.delete(project.id, [gone, running])
    with pytest.raises(ConflictError, match="registered or deployed"):
        ws.runs.delete(project.id, [gone, registered])
    with pytest.raises(NotFoundError, match="no run #999"):
        ws.runs.delete(project.id, [gone, 999])
    assert len(ws.runs.list(project.id)) == 4  # a refusal deletes nothing
    assert ws.runs.delete(project.id, [gone, other]) == 2
    assert {r.id for r in ws.runs.list(project.id)} == {registered, running}
    assert ws.metrics.keys(gone) == [] and ws.metrics.latest(gone) == {}
    with pytest.raises(NotFoundError):
        ws.runs.get(gone)
    assert ws.metrics.latest(registered)["accuracy"] == 0.9  # the others are untouched
    assert len(ws.metrics.history(registered, "loss")[0]) == 100_000
