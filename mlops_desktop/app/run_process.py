"""Running a pipeline in a worker process, so that the window's process only shows the run.

A run's stages are Python (scikit-learn, pandas, the stages themselves): in the window's
process they take the interpreter lock from the GUI thread for tens of milliseconds at a
time, and every paint waits for it. Here the run goes on in a separate process made for it:

- :class:`WorkerProcess` is a spawned process that imports the run's libraries at once (so
  one is kept ready, :class:`WorkerPool`, while the user looks around) and then runs the
  runs it is given, one after the other: for each it opens the workspace itself, records the
  run in it exactly as a run in the window's process would (:meth:`RunService.assemble`),
  and streams the run's events back.
- :func:`start_run` is where the app starts runs (window, triggers): in a worker unless
  :func:`runs_in_worker` says the run must stay in this process.
- :func:`start_in_worker` writes the queued run in the window's process (so the run's
  number and any refusal come back at once) and hands it to a worker; its halves,
  :func:`prepare_in_worker` (database work only) and :func:`launch_in_worker`, let the
  window write the run on a reader thread and hand it over on the GUI thread;
  :class:`ProcessRunHandle` is the window's side: it delivers the events to the window's
  listener from a reader thread, forwards Cancel, answers approval requests with the
  window's :class:`~mlops_desktop.core.operate_entities.ApprovalProvider`, and records the
  run as failed if the process dies (a crash in a native library ends the run, not the app).

Messages are tuples over a :func:`multiprocessing.Pipe`. From the worker: ``("ready",)``,
``("event", name, args)`` (a :class:`RunListener` call), ``("ask", id, request)``,
``("withdraw", id)``, ``("effect", run id, node id, kind, id)`` (a registry change, taken
back by the window if the worker dies), ``("done", error, reusable)``. To the worker:
``("run", order)``, ``("cancel", order token)``, ``("answer", id, decision)``. A worker
whose parent goes away cancels its run and exits. A worker serves one run after the other (its libraries stay
imported) until it has grown past :data:`RECYCLE_RSS_MB`.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import logging
import multiprocessing
import multiprocessing.util  # its exit handler is registered before _end_workers
import os
import pickle
import queue
import signal
import sys
import threading
import types
import uuid
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlops_desktop.core.entities import RunStatus, StageRun
from mlops_desktop.core.execution import TeeListener

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from mlops_desktop.app.registry import RunOperations
    from mlops_desktop.app.runs import CreatedRun, RunHandle, RunService
    from mlops_desktop.app.workspace import Workspace
    from mlops_desktop.core.entities import Run
    from mlops_desktop.core.execution import RunListener, Steps, Values
    from mlops_desktop.core.operate_entities import (
        ApprovalDecision,
        ApprovalProvider,
        ApprovalRequest,
    )
    from mlops_desktop.core.registry import StageRegistry

log = logging.getLogger(__name__)

IN_THREAD_ENV = "MLOPS_DESKTOP_RUN_IN_THREAD"  # "1": the window runs pipelines in-process
POINTS_INTERVAL_S = 0.1  # single metric points cross to the window at most 10 times a second
PROGRESS_INTERVAL_S = 0.1  # and a stage's progress
ANSWER_POLL_S = 0.2  # how often a stage waiting for an approval checks for a cancel
EXIT_WAIT_S = 5.0  # how long the window waits for a finished worker to exit
WORKER_NICENESS = 5  # the worker's scheduling priority below the window's (POSIX)
RECYCLE_RSS_MB = 1536  # a worker that peaked above this is not given another run


def _worker_modules() -> tuple[str, ...]:
    """What a worker imports before its run: the run modules the window would prewarm."""
    from mlops_desktop.app.prewarm import RUN_MODULES

    return (*RUN_MODULES, "mlops_desktop.app.runs", "mlops_desktop.app.workspace")


@dataclass(frozen=True)
class RunOrder:
    """What a worker needs to run a created run (see :meth:`RunService.create`)."""

    workspace_url: str
    artifacts_dir: str
    run_id: int
    document: dict[str, Any]
    nodes: tuple[str, ...] | None
    from_node: str | None
    force: bool
    trigger: str
    environment: str
    workers: int | None
    asks_approvals: bool
    token: str  # names this order in a cancel (run ids repeat across workspaces)


# ------------------------------------------------------------------------ the worker's side
class PipeListener:
    """A :class:`RunListener` in the worker that sends every event to the window.

    Single points are gathered and sent as series every :data:`POINTS_INTERVAL_S` (and
    before anything else the stage reports, so the order is kept); progress is thinned to
    :data:`PROGRESS_INTERVAL_S` per stage."""

    def __init__(self, send: Callable[[tuple[Any, ...]], None]) -> None:
        from mlops_desktop.core.execution import PointBuffer, ProgressGate

        self._send = send
        self._points = PointBuffer(POINTS_INTERVAL_S)
        self._progress = ProgressGate(PROGRESS_INTERVAL_S)

    def _event(self, name: str, *args: Any) -> None:
        self._send(("event", name, args))

    def _flush(self, run_id: int) -> None:
        for node_id, key, steps, values in self._points.take():
            self._event("metrics_logged", run_id, node_id, key, steps, values)

    def run_started(self, run_id: int) -> None:
        self._event("run_started", run_id)

    def stage_started(self, run_id: int, node_id: str) -> None:
        self._event("stage_started", run_id, node_id)

    def stage_progress(self, run_id: int, node_id: str, fraction: float, message: str) -> None:
        if self._progress.passes(node_id, fraction):
            self._event("stage_progress", run_id, node_id, float(fraction), message)

    def stage_log(self, run_id: int, node_id: str, line: str) -> None:
        self._flush(run_id)
        self._event("stage_log", run_id, node_id, line)

    def metric_logged(self, run_id: int, node_id: str, key: str, step: int, value: float) -> None:
        if self._points.add(node_id, key, step, value):
            self._flush(run_id)

    def metrics_logged(
        self, run_id: int, node_id: str, key: str, steps: Steps, values: Values
    ) -> None:
        import numpy as np

        self._flush(run_id)
        self._event(
            "metrics_logged",
            run_id,
            node_id,
            key,
            np.asarray(steps, dtype=np.int64),
            np.asarray(values, dtype=np.float64),
        )

    def stage_finished(self, run_id: int, node_id: str, stage_run: StageRun) -> None:
        self._flush(run_id)
        self._event("stage_finished", run_id, node_id, stage_run)

    def run_finished(self, run_id: int, status: RunStatus, message: str) -> None:
        self._flush(run_id)
        self._event("run_finished", run_id, RunStatus(status), message)


class PipeApprovals:
    """The worker's approvals service: asks the window's provider and waits for its answer
    (checking for a cancel meanwhile; a cancel withdraws the question)."""

    def __init__(self, run: _WorkerRun) -> None:
        self._worker = run

    def request(
        self, request: ApprovalRequest, check_cancelled: Callable[[], None]
    ) -> ApprovalDecision | None:
        ask_id, answered = self._worker.new_question()
        self._worker.send(("ask", ask_id, request))
        while not answered.wait(ANSWER_POLL_S):
            try:
                check_cancelled()
            except BaseException:
                self._worker.send(("withdraw", ask_id))
                raise
        return self._worker.answer(ask_id)


class _WorkerRun:
    """One run in the worker process: its scheduler's cancel and its open questions."""

    def __init__(self, worker: _Worker, order: RunOrder) -> None:
        self.worker = worker
        self.order = order
        self._questions = itertools.count(1)
        self._answered: dict[int, threading.Event] = {}
        self._answers: dict[int, ApprovalDecision | None] = {}
        self._cancel: Callable[[], None] | None = None
        self.cancelled = threading.Event()

    def send(self, message: tuple[Any, ...]) -> None:
        self.worker.send(message)

    def new_question(self) -> tuple[int, threading.Event]:
        ask_id = next(self._questions)
        self._answered[ask_id] = threading.Event()
        return ask_id, self._answered[ask_id]

    def answer(self, ask_id: int) -> ApprovalDecision | None:
        self._answered.pop(ask_id, None)
        return self._answers.pop(ask_id, None)

    def answered(self, ask_id: int, decision: ApprovalDecision | None) -> None:
        self._answers[ask_id] = decision
        event = self._answered.get(ask_id)
        if event is not None:
            event.set()

    def cancel(self) -> None:
        self.cancelled.set()
        if self._cancel is not None:
            self._cancel()

    def run(self) -> BaseException | None:
        """Run the order to its end; the error that stopped it, if any."""
        from mlops_desktop.app.runs import RunRequest, RunService
        from mlops_desktop.app.workspace import Workspace

        order = self.order
        try:
            ws = Workspace.open(order.workspace_url, artifacts_dir=order.artifacts_dir)
        except BaseException as exc:  # noqa: BLE001 - reported to the window
            return exc
        try:
            services: dict[str, Any] = {"registry": _mirrored_operations(ws, self.send)}
            if order.asks_approvals:
                services["approvals"] = PipeApprovals(self)
            service = RunService(ws, services=services, workers=order.workers)
            request = RunRequest(
                force=order.force, trigger=order.trigger, environment=order.environment
            )
            prep = service.assemble(_created(service, order), PipeListener(self.send))
            self._cancel = prep.scheduler.cancel
            if self.cancelled.is_set() or order.token in self.worker.cancelled_orders:
                prep.scheduler.cancel()
            service.execute(prep, request)
        except BaseException as exc:  # noqa: BLE001 - reported to the window
            return exc
        finally:
            ws.close()
        return None


class _Worker:
    """The worker process's loop: a reader thread owns the pipe (orders, cancels,
    answers); the main thread runs the orders one after the other."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._send_lock = threading.Lock()
        self._orders: queue.Queue[RunOrder | None] = queue.Queue()
        self.current: _WorkerRun | None = None
        self.cancelled_orders: set[str] = set()

    def send(self, message: tuple[Any, ...]) -> None:
        with self._send_lock:
            try:
                self.conn.send(message)
            except (OSError, EOFError, ValueError):  # the window is gone: the reader cancels
                pass

    def _read(self) -> None:
        while True:
            try:
                message = self.conn.recv()
            except (EOFError, OSError):  # the window is gone: stop the run, then the worker
                if self.current is not None:
                    self.current.cancel()
                self._orders.put(None)
                return
            current = self.current
            if message[0] == "run":
                self._orders.put(message[1])
            elif message[0] == "cancel":
                self.cancelled_orders.add(message[1])  # also when its order waits its turn
                if current is not None and current.order.token == message[1]:
                    current.cancel()
            elif message[0] == "answer" and current is not None:
                current.answered(message[1], message[2])

    def serve(self) -> None:
        threading.Thread(target=self._read, name="mlops-worker-pipe", daemon=True).start()
        while True:
            order = self._orders.get()
            if order is None:
                return
            self.current = _WorkerRun(self, order)
            error = self.current.run()
            self.current = None
            self.send(("done", _portable(error), _reusable()))


def _mirrored_operations(ws: Workspace, send: Callable[[tuple[Any, ...]], None]) -> RunOperations:
    """The run's registry service whose journal of changes (what a failed run takes back)
    is also sent to the window, which takes them back itself if this process dies."""
    from mlops_desktop.app.registry import RunEffects, RunOperations

    class MirroredEffects(RunEffects):
        def note(self, run_id: int, node_id: str, kind: str, ident: int) -> None:
            super().note(run_id, node_id, kind, ident)
            send(("effect", run_id, node_id, kind, ident))

    operations = RunOperations(ws)
    operations.effects = MirroredEffects()
    return operations


def _created(service: RunService, order: RunOrder) -> CreatedRun:
    """The :class:`CreatedRun` of an order, read back in the worker."""
    from mlops_desktop.app.runs import CreatedRun
    from mlops_desktop.core import serialization
    from mlops_desktop.engine.executors import make_executor

    graph = serialization.from_dict(order.document, service.registry)
    return CreatedRun(
        service.ws.runs.get(order.run_id),
        order.document,
        graph,
        set(order.nodes) if order.nodes is not None else None,
        order.from_node,
        make_executor("threads", workers=order.workers),
    )


def _portable(error: BaseException | None) -> BaseException | None:
    """``error`` if it crosses the pipe intact, else a plain error with its text."""
    if error is None:
        return None
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:  # noqa: BLE001 - unpicklable exceptions become their message
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


def _reusable() -> bool:
    """Whether the worker stays for another run: not once it has grown past
    :data:`RECYCLE_RSS_MB` at its peak (a big run's memory goes back with the process)."""
    try:
        import resource
    except ImportError:  # Windows: keep it
        return True
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KB on Linux, bytes on macOS
    peak_mb = peak / (1 << 20) if sys.platform == "darwin" else peak / 1024
    return peak_mb < RECYCLE_RSS_MB


def worker_main(conn: Connection, modules: tuple[str, ...]) -> None:
    """The worker process: import the run's libraries, say so, run what it is sent."""
    from mlops_desktop.app.prewarm import prewarm

    if hasattr(os, "nice"):  # the window's process gets the cores first when it needs them
        with contextlib.suppress(OSError):
            os.nice(WORKER_NICENESS)
    prewarm(modules, pause_s=0.0)
    try:
        conn.send(("ready",))
    except (EOFError, OSError):
        return  # not needed after all (the window closed)
    _Worker(conn).serve()
    conn.close()


# ------------------------------------------------------------------------ the window's side
_MAIN_LOCK = threading.Lock()
_STARTED: weakref.WeakSet[WorkerProcess] = weakref.WeakSet()


@atexit.register
def _end_workers() -> None:
    """At exit, end the workers still there (registered after multiprocessing's own exit
    handler, so this runs first: that one would wait for them)."""
    for worker in list(_STARTED):
        if worker.process.is_alive():
            worker.discard()
            worker.process.join(EXIT_WAIT_S)


@contextlib.contextmanager
def _main_script_left_out() -> Iterator[None]:
    """Start a spawned process without the main script: ``spawn`` runs the parent's
    ``__main__`` file again in the child (as ``__mp_main__``), which would run a script that
    embeds the window, unguarded by ``if __name__ == "__main__"``, a second time. A worker
    needs nothing from it (its code and messages live in this package)."""
    with _MAIN_LOCK:
        main = sys.modules["__main__"]
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            sys.modules["__main__"] = main


class WorkerProcess:
    """A spawned worker process, importing the run's libraries until it is given a run."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe(duplex=True)
        self.process = context.Process(
            target=worker_main,
            args=(child, _worker_modules()),
            name="mlops-run-worker",
            # Not a daemon: scikit-learn's joblib runs n_jobs > 1 only outside daemon
            # processes. _end_workers ends them when the app exits.
            daemon=False,
        )
        with _main_script_left_out():
            self.process.start()
        _STARTED.add(self)
        child.close()  # the window keeps one end: a dead worker reads as end of file
        self._send_lock = threading.Lock()
        self._ready = False

    def ready(self) -> bool:
        """Whether it has imported its libraries (without waiting; its first message)."""
        if not self._ready and self.alive:
            try:
                if self.conn.poll():
                    self._ready = self.conn.recv() == ("ready",)
            except (EOFError, OSError):
                return False
        return self._ready

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    def send(self, message: tuple[Any, ...]) -> bool:
        """Send ``message``; False when the worker is gone."""
        with self._send_lock:
            try:
                self.conn.send(message)
            except (OSError, EOFError, ValueError):
                return False
        return True

    def discard(self) -> None:
        """End a worker that was never given a run (closing the window)."""
        self.conn.close()
        self.process.kill()

    def close(self) -> None:
        """Let the worker go (it exits once its run ended or on the closed pipe)."""
        self.conn.close()
        self.process.join(EXIT_WAIT_S)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(EXIT_WAIT_S)


class WorkerPool:
    """The worker processes of this app's runs: one waits, its libraries imported, for the
    next run; a worker that ran one goes back to wait for another (unless it grew too big)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[WorkerProcess] = []

    def warm(self) -> None:
        """Have one worker waiting (started now if there is none: at idle, start-up or
        after a run)."""
        with self._lock:
            self._idle = [w for w in self._idle if w.alive]
            if not self._idle:
                self._idle.append(WorkerProcess())

    def ready(self) -> bool:
        """Whether a waiting worker has its libraries imported."""
        with self._lock:
            return any(w.ready() for w in self._idle)

    def take(self) -> WorkerProcess:
        """A waiting worker (one is started if none is)."""
        with self._lock:
            self._idle = [w for w in self._idle if w.alive]
            return self._idle.pop() if self._idle else WorkerProcess()

    def give_back(self, worker: WorkerProcess) -> None:
        """A worker whose run ended: kept for the next run, or let go."""
        with self._lock:
            if worker.alive and not self._idle:
                self._idle.append(worker)
                return
        worker.close()

    def close(self) -> None:
        """End the waiting workers (a busy one ends with its run's handle)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.discard()


_pool: WorkerPool | None = None


def worker_pool() -> WorkerPool:
    """The app's :class:`WorkerPool` (shared by its windows)."""
    global _pool
    if _pool is None:
        _pool = WorkerPool()
    return _pool


def in_thread_requested() -> bool:
    """Whether ``$MLOPS_DESKTOP_RUN_IN_THREAD=1`` asks for runs in the window's process."""
    return os.environ.get(IN_THREAD_ENV) == "1"


def runs_in_worker(workspace: Workspace, registry: StageRegistry | None = None) -> bool:
    """Whether the app runs a pipeline in a worker process: not when asked to run in its
    own (``$MLOPS_DESKTOP_RUN_IN_THREAD=1``), for a workspace only this process sees (in
    memory), or with a stage registry made at run time in this process only."""
    from mlops_desktop.core.registry import default_registry

    return not (
        in_thread_requested()
        or not workspace.shareable
        or (registry is not None and registry is not default_registry())
    )


def start_run(
    service: RunService,
    project: str,
    pipeline: str | None,
    *,
    listener: RunListener | None = None,
    approvals: ApprovalProvider | None = None,
    **options: Any,
) -> RunHandle | ProcessRunHandle:
    """Start a run where the app runs them (:func:`runs_in_worker`): in a worker process,
    else in this process's threads (``approvals`` then come from ``service``'s services)."""
    if runs_in_worker(service.ws, service.registry):
        return start_in_worker(
            service, project, pipeline, listener=listener, approvals=approvals, **options
        )
    return service.start(project, pipeline, listener=listener, **options)


@dataclass(frozen=True)
class PreparedRun:
    """A run created in the workspace (queued) and the order a worker runs it from."""

    run: Run
    order: RunOrder


def prepare_in_worker(
    service: RunService,
    project: str,
    pipeline: str | None,
    *,
    asks_approvals: bool = False,
    **options: Any,
) -> PreparedRun:
    """Create a run of ``pipeline`` (the first half of :func:`start_in_worker`: database work
    only, so the window does it on a reader thread); ``options`` are the fields of
    :class:`~mlops_desktop.app.runs.RunRequest` (threads executor only)."""
    from mlops_desktop.app.runs import RunRequest

    request = RunRequest(**options)
    created = service.create(project, pipeline, request)
    created.executor.close()  # the worker makes its own
    ws = service.ws
    order = RunOrder(
        workspace_url=ws.url,
        artifacts_dir=str(ws.artifacts_dir),
        run_id=created.run.id,
        document=created.document,
        nodes=tuple(sorted(created.nodes)) if created.nodes is not None else None,
        from_node=created.from_node,
        force=request.force,
        trigger=request.trigger,
        environment=request.environment,
        workers=service.workers,
        asks_approvals=asks_approvals,
        token=uuid.uuid4().hex,
    )
    return PreparedRun(created.run, order)


def launch_in_worker(
    workspace: Workspace,
    prepared: PreparedRun,
    *,
    listener: RunListener | None = None,
    approvals: ApprovalProvider | None = None,
    pool: WorkerPool | None = None,
) -> ProcessRunHandle:
    """Hand a prepared run to a worker of ``pool`` (default: the app's) and follow it (the
    second half of :func:`start_in_worker`)."""
    from mlops_desktop.core.execution import NullListener

    pool = pool if pool is not None else worker_pool()
    order = prepared.order
    worker = pool.take()
    if not worker.send(("run", order)):  # it died waiting: a fresh one
        worker.discard()
        worker = WorkerProcess()
        if not worker.send(("run", order)):
            worker.discard()
    handle = ProcessRunHandle(
        workspace, prepared.run, order.token, worker, listener or NullListener(), approvals, pool
    )
    handle.start()
    return handle


def start_in_worker(
    service: RunService,
    project: str,
    pipeline: str | None,
    *,
    listener: RunListener | None = None,
    approvals: ApprovalProvider | None = None,
    pool: WorkerPool | None = None,
    **options: Any,
) -> ProcessRunHandle:
    """Create a run of ``pipeline`` here and run it in a worker of ``pool`` (default: the
    app's); ``options`` are the fields of :class:`~mlops_desktop.app.runs.RunRequest`
    (threads executor only)."""
    prepared = prepare_in_worker(
        service, project, pipeline, asks_approvals=approvals is not None, **options
    )
    return launch_in_worker(service.ws, prepared, listener=listener, approvals=approvals, pool=pool)


def _exit_text(code: int | None) -> str:
    """How a process ended, in words: ``exit code 3``, ``killed by SIGSEGV``."""
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            pass
    return f"exit code {code}"


class ProcessRunHandle:
    """A run going on in a worker process: the same questions as
    :class:`~mlops_desktop.app.runs.RunHandle` (cancel, done, wait)."""

    def __init__(
        self,
        workspace: Workspace,
        run: Run,
        token: str,
        worker: WorkerProcess,
        listener: RunListener,
        approvals: ApprovalProvider | None,
        pool: WorkerPool,
    ) -> None:
        self.ws = workspace
        self.pool = pool
        self.run: Run | None = run  # as created (queued)
        self.run_id = run.id
        self.number = run.number
        self.token = token
        self.worker = worker
        # A listener that raises is logged and skipped: it never loses the run's end.
        self.listener = TeeListener([listener], guard=True)
        self.approvals = approvals
        self._cancelled = False
        self._withdrawn: set[int] = set()
        self._error: BaseException | None = None
        self._lost = ""
        self._run: Run | None = None
        self._finished = threading.Event()
        from mlops_desktop.app.registry import RunEffects

        self._effects = RunEffects()  # the run's registry changes, as the worker noted them
        self._thread = threading.Thread(
            target=self._pump, name=f"mlops-run-{run.id}-pipe", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        self._cancelled = True
        self.worker.send(("cancel", self.token))

    def done(self) -> bool:
        return self._finished.is_set()

    def wait(self, timeout: float | None = None) -> Run | None:
        """The finished run, or None if it is still going after ``timeout`` seconds."""
        if not self._finished.wait(timeout):
            return None
        if self._error is not None:
            raise self._error
        return self._run

    # ------------------------------------------------------------------ reader thread
    def _pump(self) -> None:
        reusable = self._read_events()
        if reusable is None:  # gone before the run's end
            self.worker.close()  # its exit code says why
            self._lost = (
                "the run's worker process stopped unexpectedly "
                f"({_exit_text(self.worker.process.exitcode)}); the app is unaffected"
            )
            self._record_lost()
        try:
            self._run = self.ws.runs.get(self.run_id)
        except Exception as exc:  # noqa: BLE001 - handed to wait()
            self._error = self._error or exc
        finally:
            self._finished.set()
        if reusable:
            self.pool.give_back(self.worker)
        elif reusable is not None:
            self.worker.close()

    def _read_events(self) -> bool | None:
        """Deliver the worker's messages until its run ended (whether the worker can run
        another) or it is gone (None)."""
        while True:
            try:
                message = self.worker.conn.recv()
            except (EOFError, OSError):
                return None
            kind = message[0]
            if kind == "event":
                self._deliver(message[1], message[2])
            elif kind == "ask":
                self._ask(message[1], message[2])
            elif kind == "withdraw":
                self._withdrawn.add(message[1])
            elif kind == "effect":  # a registry change the run made: taken back if it dies
                self._effects.note(*message[1:])
            elif kind == "done":
                self._error = message[1]
                return bool(message[2])

    def _record_lost(self) -> None:
        """The worker died mid-run: fail what it left running, take back the run's registry
        changes, fail the run, and tell the listener (the canvas stops its spinners)."""
        from mlops_desktop.app.registry import RunOperations
        from mlops_desktop.app.runs import RunService

        log.error("run #%s: %s", self.run_id, self._lost)
        operations = RunOperations(self.ws)
        operations.effects = self._effects
        service = RunService(self.ws, services={"registry": operations})
        failed, message = service.end_lost(self.run_id, self._lost)
        for stage in failed:
            self.listener.stage_finished(self.run_id, stage.node_id, stage)
        self.listener.run_finished(self.run_id, RunStatus.FAILED, message)

    def _deliver(self, name: str, args: tuple[Any, ...]) -> None:
        """Call the listener's method ``name`` (each by name in the code, type-checked)."""
        lis = self.listener
        calls: dict[str, Callable[..., None]] = {
            "run_started": lis.run_started,
            "stage_started": lis.stage_started,
            "stage_progress": lis.stage_progress,
            "stage_log": lis.stage_log,
            "metric_logged": lis.metric_logged,
            "metrics_logged": lis.metrics_logged,
            "stage_finished": lis.stage_finished,
            "run_finished": lis.run_finished,
        }
        call = calls.get(name)
        if call is not None:
            call(*args)

    def _ask(self, ask_id: int, request: ApprovalRequest) -> None:
        """Ask the window's provider on a thread of its own (it blocks until answered)."""

        def gone() -> None:
            if ask_id in self._withdrawn or self._cancelled or not self._thread.is_alive():
                from mlops_desktop.core.errors import MlopsError

                raise MlopsError("the question was withdrawn")

        def ask() -> None:
            decision: ApprovalDecision | None = None
            if self.approvals is not None:
                try:
                    decision = self.approvals.request(request, gone)
                except Exception:  # noqa: BLE001 - withdrawn, or the dialog failed
                    if ask_id in self._withdrawn:
                        return
                    log.exception("the approval question failed")
            self.worker.send(("answer", ask_id, decision))

        threading.Thread(target=ask, name=f"mlops-approval-{ask_id}", daemon=True).start()
