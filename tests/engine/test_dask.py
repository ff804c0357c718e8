"""The Dask executor gives the same results as the thread executor (on a LocalCluster)."""

from __future__ import annotations

import pytest
from engine_helpers import build_with, classification_pipeline
from stagefns import make_registry

from mlops_desktop.core.entities import RunStatus
from mlops_desktop.core.registry import default_registry
from mlops_desktop.engine import serialize
from mlops_desktop.engine.cache import MemoryCache
from mlops_desktop.engine.executors import DaskExecutor, ThreadExecutor
from mlops_desktop.engine.scheduler import Scheduler

distributed = pytest.importorskip("distributed")


@pytest.fixture
def client():
    with (
        distributed.LocalCluster(
            processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def metrics_of(artifacts, result):
    return serialize.loads(artifacts.blobs[result.stages["eval"].outputs["metrics"]]).values


def test_dask_results_equal_thread_results(client, artifacts, listener):
    pipeline = classification_pipeline("breast_cancer", "random_forest")
    with ThreadExecutor(2) as threads:
        local = Scheduler(default_registry(), artifacts, MemoryCache(), threads, listener).run(
            pipeline, 1
        )
    dask_listener = type(listener)()
    executor = DaskExecutor(client=client)
    try:
        remote = Scheduler(
            default_registry(), artifacts, MemoryCache(), executor, dask_listener
        ).run(pipeline, 2)
    finally:
        executor.close()
    assert local.status is remote.status is RunStatus.SUCCEEDED
    assert metrics_of(artifacts, remote) == metrics_of(artifacts, local)
    assert remote.stages["load"].outputs == local.stages["load"].outputs  # same dataset bytes
    # events recorded on the worker were replayed here
    assert any(k == "accuracy" for _, k, _, _ in dask_listener.metrics)
    assert any("loaded breast_cancer" in line for line in dask_listener.logs["load"])


def test_dask_failure_is_reported_like_local(client, artifacts, listener):
    reg = make_registry()
    pipeline = build_with(
        reg, [("bad", "boom", {}), ("after", "sink", {})], [("bad", "out", "after", "a")]
    )
    executor = DaskExecutor(client=client)
    try:
        result = Scheduler(reg, artifacts, MemoryCache(), executor, listener).run(pipeline, 1)
    finally:
        executor.close()
    assert result.stages["bad"].error == "ZeroDivisionError: division by zero in a stage"
    assert result.stages["after"].status.value == "skipped"


def test_side_effect_stages_run_here_with_the_app_services(client, artifacts, listener):
    """Register/approve/deploy-like stages need the workspace's services: they run in this
    process while the other stages go to the cluster, and their events come back the same."""
    reg = make_registry()
    pipeline = build_with(
        reg,
        [("work", "wait", {"value": 4}), ("rec", "record_here", {}), ("after", "sink", {})],
        [("work", "out", "rec", "a"), ("rec", "out", "after", "a")],
    )
    ledger: list[tuple[str, str]] = []
    executor = DaskExecutor(client=client)
    try:
        result = Scheduler(
            reg, artifacts, MemoryCache(), executor, listener, {"ledger": ledger}
        ).run(pipeline, 1)
    finally:
        executor.close()
    assert result.status is RunStatus.SUCCEEDED, result.stages["rec"].error
    assert [node for node, _ in ledger] == ["rec"]
    assert ledger[0][1].startswith("mlops-stage-")  # a thread of this process
    assert serialize.loads(artifacts.blobs[result.stages["rec"].outputs["out"]]) == 1
    assert "recorded" in listener.logs["rec"]
    assert not executor._local._threads  # closed: no thread left behind
