"""Garbage collection of the artifact folder on a real workspace with real runs.

The ``ws`` fixture (tests/storage/conftest.py) runs each test on SQLite and, when
``MLOPS_DESKTOP_TEST_PG_URL`` is set, on PostgreSQL too.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from mlops_desktop.app.projects import ProjectService
from mlops_desktop.app.runs import RunService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.core import operations as ops
from mlops_desktop.core.entities import Run, RunStatus
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.storage.gc import collect_garbage
from mlops_desktop.storage.registry import RegistryStore

TWO_HOURS = 7200.0


def run_iris(ws: Workspace, project: str) -> Run:
    """A real run of load_data (iris) -> split in a new project."""
    service = ProjectService(ws)
    service.create_project(project)
    info, _ = service.load_pipeline(project)
    graph = Pipeline("main")
    graph.apply(ops.add_stage(graph, "load_data", params={"dataset": "iris"}, node_id="load"))
    graph.apply(ops.add_stage(graph, "split", node_id="split"))
    graph.apply(ops.connect("load", "dataset", "split", "dataset"))
    service.save_pipeline(info.id, graph)
    run = RunService(ws).run(project)
    assert run.status is RunStatus.SUCCEEDED
    return run


def outputs_of(run: Run) -> set[str]:
    return {d for stage in run.stages for d in stage.outputs.values()}


def files(ws: Workspace) -> dict[str, Path]:
    return {d: ws.artifacts.path(d) for d in ws.artifacts.digests()}


def age_all(ws: Workspace, seconds: float = TWO_HOURS) -> None:
    then = time.time() - seconds
    for path in files(ws).values():
        os.utime(path, (then, then))


def test_purge_reclaims_the_files_of_the_purged_project(ws) -> None:
    run = run_iris(ws, "p")
    produced = outputs_of(run)
    assert len(produced) == 2 and produced <= set(ws.artifacts.digests())
    assert len(ws.cache) > 0
    before = files(ws)
    sizes = {d: p.stat().st_size for d, p in before.items()}
    age_all(ws)

    report = ProjectService(ws).purge_project("p")

    assert report.removed == len(before) and report.kept == 0
    assert report.bytes_freed == sum(sizes.values()) > 0
    assert set(report.digests) == set(before)
    assert ws.artifacts.digests() == []
    assert not any(p.exists() for p in before.values())
    assert len(ws.cache) == 0  # its entries named files that are gone


def test_referenced_artifacts_are_never_removed(ws) -> None:
    run = run_iris(ws, "p")
    stray = ws.artifacts.put_bytes(b"nobody refers to me", ".bin")
    age_all(ws)
    cache_entries = len(ws.cache)

    report = collect_garbage(ws.db, ws.artifacts, min_age_seconds=0)

    assert report.digests == [stray] and report.bytes_freed == len(b"nobody refers to me")
    assert not ws.artifacts.exists(stray)
    for digest in outputs_of(run):
        assert ws.artifacts.exists(digest)
    assert len(ws.cache) == cache_entries  # the run still names their keys
    rerun = RunService(ws).run("p")  # served from the cache, reading the kept files
    assert rerun.status is RunStatus.SUCCEEDED
    assert outputs_of(rerun) == outputs_of(run)


def test_young_unreferenced_files_are_kept(ws) -> None:
    run_iris(ws, "p")
    age_all(ws)
    ProjectService(ws).purge_project("p")
    fresh = ws.artifacts.put_bytes(b"written by a run still in progress", ".bin")
    old = ws.artifacts.put_bytes(b"written long ago", ".bin")
    then = time.time() - TWO_HOURS
    os.utime(ws.artifacts.path(old), (then, then))
    again = ws.artifacts.put_bytes(b"written long ago", ".bin")  # a run produces it again
    assert again == old

    report = collect_garbage(ws.db, ws.artifacts)

    assert report.removed == 0 and report.young == 2
    assert ws.artifacts.exists(fresh) and ws.artifacts.exists(old)
    report = collect_garbage(ws.db, ws.artifacts, min_age_seconds=0)
    assert set(report.digests) == {fresh, old}


def test_dry_run_removes_nothing_and_reports_what_would_go(ws) -> None:
    run_iris(ws, "p")
    age_all(ws)
    ws.projects.purge("p")  # the store's purge: no collection yet
    before = files(ws)
    entries = len(ws.cache)

    dry = collect_garbage(ws.db, ws.artifacts, dry_run=True)

    assert dry.dry_run and dry.removed == len(before) and dry.bytes_freed > 0
    assert files(ws) == before and all(p.exists() for p in before.values())
    assert len(ws.cache) == entries > 0 and dry.cache_entries_dropped == entries
    real = collect_garbage(ws.db, ws.artifacts)
    assert real.cache_entries_dropped == entries and len(ws.cache) == 0
    assert (real.removed, real.bytes_freed, real.digests) == (
        dry.removed,
        dry.bytes_freed,
        dry.digests,
    )
    assert ws.artifacts.digests() == []


def test_a_model_versions_artifact_survives_purging_another_project(ws) -> None:
    run = run_iris(ws, "producer")
    split_digest = next(s.outputs["split"] for s in run.stages if s.node_id == "split")
    keeper = ProjectService(ws).create_project("keeper")
    RegistryStore(ws.db).register(keeper.id, "iris-model", artifact_digest=split_digest)
    age_all(ws)
    everything = set(ws.artifacts.digests())

    report = ProjectService(ws).purge_project("producer")

    assert ws.artifacts.exists(split_digest)
    assert set(report.digests) == everything - {split_digest}
    assert ws.artifacts.digests() == [split_digest]
    version = RegistryStore(ws.db).version(keeper.id, "iris-model", 1)
    assert ws.artifacts.read_bytes(version.artifact_digest)


def test_orphan_cache_entries_are_kept_while_a_run_is_unfinished(ws) -> None:
    run = run_iris(ws, "p")
    age_all(ws)
    info = ProjectService(ws).create_project("other")
    pipeline = ws.pipelines.list(info.id)[0]
    version = ws.pipelines.latest(pipeline.id)
    ws.projects.purge("p")
    busy = ws.runs.create(info.id, pipeline.id, version.id)
    ws.runs.start(busy.id)  # another process may be serving its cache hits right now

    report = collect_garbage(ws.db, ws.artifacts)

    assert report.removed == 0 and len(ws.cache) > 0
    assert outputs_of(run) <= set(ws.artifacts.digests())
    ws.runs.finish(busy.id, RunStatus.FAILED, "done")
    assert collect_garbage(ws.db, ws.artifacts).removed > 0
    assert len(ws.cache) == 0


def test_negative_age_is_refused(ws) -> None:
    with pytest.raises(ValueError, match="negative"):
        collect_garbage(ws.db, ws.artifacts, min_age_seconds=-1)
