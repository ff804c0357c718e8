"""Where stages run: in the calling thread, in a thread pool, or on a Dask cluster.

Every executor returns :class:`concurrent.futures.Future` objects so the scheduler waits on
all of them the same way. A *remote* executor gets a recording sink: the stage's events
travel back with its outcome.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections import deque
from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any, Protocol

from mlops_desktop.core.entities import StageStatus
from mlops_desktop.core.execution import StageSink
from mlops_desktop.core.protocols import WorkerService
from mlops_desktop.engine.context import RecordingSink, StageOutcome, StageTask, run_stage


def cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class Executor(Protocol):
    name: str
    workers: int  # stages that can run at once
    cores: int  # cores shared by running stages
    remote: bool

    def submit(
        self, task: StageTask, sink: StageSink, services: Mapping[str, Any]
    ) -> Future[StageOutcome]: ...

    def cancel(self) -> None: ...

    def close(self) -> None: ...


class SynchronousExecutor:
    """Runs each stage in the calling thread as it is submitted (tests, debugging)."""

    name = "sync"
    remote = False

    def __init__(self, cores: int | None = None) -> None:
        self.workers = 1
        self.cores = cores or cpu_count()

    def submit(
        self, task: StageTask, sink: StageSink, services: Mapping[str, Any]
    ) -> Future[StageOutcome]:
        future: Future[StageOutcome] = Future()
        future.set_result(run_stage(task, sink, services))
        return future

    def cancel(self) -> None:
        pass

    def close(self) -> None:
        pass


class ThreadExecutor:
    """Runs stages on worker threads, at most ``workers`` at once (default: one per core).

    Every stage gets a thread of its own that ends with the stage, rather than a pool
    thread that lives on: OpenMP (scikit-learn's histogram gradient boosting, k-means...)
    keeps a thread team for each thread that calls it, and while an idle pool thread keeps
    its team, libgomp counts more threads than cores and throttles every team; on 2 cores
    that made a 0.3 s gradient-boosting fit take 2 s. Starting a thread costs ~0.1 ms.
    """

    name = "threads"
    remote = False

    def __init__(self, workers: int | None = None, cores: int | None = None) -> None:
        self.workers = workers or cpu_count()
        self.cores = cores or cpu_count()
        self._lock = threading.Lock()
        self._queue: deque[tuple[Future[StageOutcome], StageTask, StageSink, Mapping[str, Any]]] = (
            deque()
        )
        self._threads: set[threading.Thread] = set()
        self._running = 0
        self._started = 0
        self._closed = False

    def submit(
        self, task: StageTask, sink: StageSink, services: Mapping[str, Any]
    ) -> Future[StageOutcome]:
        future: Future[StageOutcome] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("the executor is closed")
            self._queue.append((future, task, sink, services))
            self._start_waiting()
        return future

    def _start_waiting(self) -> None:
        """Start threads for queued stages while there is room (holding the lock)."""
        while self._running < self.workers and self._queue:
            future, task, sink, services = self._queue.popleft()
            if not future.set_running_or_notify_cancel():
                continue
            self._running += 1
            self._started += 1
            thread = threading.Thread(
                target=self._work,
                args=(future, task, sink, services),
                name=f"mlops-stage-{self._started}",
                daemon=False,
            )
            self._threads.add(thread)
            thread.start()

    def _work(
        self,
        future: Future[StageOutcome],
        task: StageTask,
        sink: StageSink,
        services: Mapping[str, Any],
    ) -> None:
        try:
            outcome = run_stage(task, sink, services)
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting scheduler
            future.set_exception(exc)
        else:
            future.set_result(outcome)
        finally:
            with self._lock:
                self._running -= 1
                self._threads.discard(threading.current_thread())
                if not self._closed:
                    self._start_waiting()

    def cancel(self) -> None:
        pass  # running stages see the cancel event through check_cancelled

    def close(self) -> None:
        """Cancel the stages not started yet and wait for the running ones."""
        with self._lock:
            self._closed = True
            waiting = list(self._queue)
            self._queue.clear()
            threads = list(self._threads)
        for future, *_ in waiting:
            future.cancel()
        for thread in threads:
            thread.join()
        with self._lock:
            self._closed = False  # usable again, like a fresh executor

    def __enter__(self) -> ThreadExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _DaskCancelFlag:
    """Picklable check, run on a worker, of the run's cancel event on the Dask scheduler."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self) -> bool:
        from distributed import Event

        try:
            return bool(Event(self.name).is_set())
        except Exception:  # noqa: BLE001 - no scheduler reachable: keep running
            return False


class DaskExecutor:
    """Sends stages to a Dask distributed cluster (``tcp://HOST:8786``) or a given client.

    Stage functions are imported on the workers by module path, so the workers need this
    package installed. Stages marked ``local`` (those with side effects on the workspace:
    register, approve, deploy...) run here instead, on this process's threads with the app's
    services (registry, approvals), and report back the same way as remote ones.
    """

    name = "dask"
    remote = True

    def __init__(self, address: str | None = None, client: Any = None) -> None:
        from distributed import Client, Event

        self._own_client = client is None
        self.client = client if client is not None else Client(address, timeout="10s")
        info = self.client.scheduler_info()
        workers = info.get("workers", {})
        self.cores = max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()) or 1)
        self.workers = self.cores
        self._event_name = f"mlops-desktop-cancel-{uuid.uuid4().hex}"
        self._event = Event(self._event_name, client=self.client)
        self._futures: list[Any] = []
        self._local_cancel = threading.Event()
        self._local = ThreadExecutor(workers=2)

    def submit(
        self, task: StageTask, sink: StageSink, services: Mapping[str, Any]
    ) -> Future[StageOutcome]:
        if task.local:
            return self._local.submit(task, RecordingSink(self._local_cancel.is_set), services)
        recording = RecordingSink(_DaskCancelFlag(self._event_name))
        # Services that can travel (trust) go along as snapshots taken now, so the worker
        # checks the code it reads itself; the others live in this process only.
        worker_services = {
            name: service.for_worker()
            for name, service in services.items()
            if isinstance(service, WorkerService)
        }
        remote = self.client.submit(
            run_stage,
            task,
            recording,
            worker_services,
            pure=False,
            key=f"stage-{task.node_id}-{uuid.uuid4().hex[:8]}",
        )
        self._futures.append(remote)
        local: Future[StageOutcome] = Future()

        def _done(fut: Any) -> None:
            if fut.status == "finished":
                local.set_result(fut.result())
            elif fut.status == "cancelled":
                local.set_result(StageOutcome(StageStatus.CANCELLED, error="cancelled"))
            else:
                exc = fut.exception()
                local.set_result(
                    StageOutcome(
                        StageStatus.FAILED,
                        error=f"{type(exc).__name__}: {exc}",
                        log=[f"error on the Dask cluster: {exc}"],
                    )
                )

        remote.add_done_callback(_done)
        return local

    def cancel(self) -> None:
        self._local_cancel.set()
        self._event.set()

    def close(self) -> None:
        self._local_cancel.set()  # a local stage still running (an approval) stops
        self._local.close()
        for fut in self._futures:
            if not fut.done():
                fut.cancel()
        self._futures.clear()
        try:
            self._event.clear()
        except Exception:  # noqa: BLE001 - cluster already gone
            pass
        if self._own_client:
            self.client.close()


def make_executor(
    kind: str = "threads", *, workers: int | None = None, scheduler_address: str | None = None
) -> Executor:
    """An executor by name: ``threads`` (default), ``sync`` or ``dask``."""
    from mlops_desktop.core.errors import MlopsError

    if kind == "threads":
        return ThreadExecutor(workers)
    if kind == "sync":
        return SynchronousExecutor()
    if kind == "dask":
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise MlopsError(
                "the Dask executor needs the 'dask' extra: pip install 'mlops-desktop[dask]'"
            ) from None
        if not scheduler_address:
            raise MlopsError("the Dask executor needs --scheduler tcp://HOST:8786")
        try:
            return DaskExecutor(scheduler_address)
        except OSError as exc:
            raise MlopsError(
                f"cannot reach the Dask scheduler at {scheduler_address}: {exc}"
            ) from None
    raise MlopsError(f"unknown executor '{kind}' (threads, sync or dask)")
