"""Running pipelines for the GUI and the command line, and recording every run.

:class:`RunService` wires the workspace's stores into the engine's scheduler: it saves the
pipeline version, creates the run row, runs the scheduler with a listener that records each
stage and writes metrics in batches, forwards every event to an optional extra listener
(the GUI's), and returns the finished run.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from mlops_desktop import __version__
from mlops_desktop.core.entities import (
    MetricPoint,
    PipelineInfo,
    Run,
    RunStatus,
    StageRun,
    StageStatus,
)
from mlops_desktop.core.errors import GraphError, NotFoundError, WorkspaceError
from mlops_desktop.core.execution import RunListener, TeeListener
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.registry import StageRegistry, default_registry

if TYPE_CHECKING:
    from mlops_desktop.app.workspace import Workspace
    from mlops_desktop.core.execution import Steps, Values
    from mlops_desktop.engine.executors import Executor
    from mlops_desktop.engine.scheduler import Scheduler

log = logging.getLogger(__name__)
FLUSH_POINTS = 5000  # metric points buffered before one bulk write
FLUSH_SECONDS = 1.0
HEARTBEAT_SECONDS = 30.0  # a running run touches its heartbeat this often (see RunStore)
FINISH_RETRY_SECONDS = 15.0  # how often the end of a run that could not be written is retried


class Heartbeat:
    """Touches a run's heartbeat every ``interval`` seconds from a daemon thread, so that
    other hosts sharing the workspace see a long stage's run as alive. ``stop()`` ends and
    joins the thread."""

    def __init__(self, workspace: Workspace, run_id: int, interval: float) -> None:
        self.ws = workspace
        self.run_id = run_id
        self.interval = interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, name=f"mlops-heartbeat-{run_id}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def _beat(self) -> None:
        while not self._stopped.wait(self.interval):
            try:
                self.ws.runs.heartbeat(self.run_id)
            except Exception:  # noqa: BLE001 - a busy or closed workspace: try next time
                log.warning("could not record the heartbeat of run #%s", self.run_id)

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()


class RecordingListener:
    """Records a run in the workspace and forwards every event to ``forward``.

    Single metric points (``metric_logged``, from ``ctx.log_metric``) are buffered and
    written in batches of :data:`FLUSH_POINTS` or every :data:`FLUSH_SECONDS`; series
    (``metrics_logged``, from ``ctx.log_metrics``) go to the store's bulk path at once.
    A failing ``forward`` listener is logged, never fatal. Thread-safe: stages call it from
    worker threads.
    """

    def __init__(
        self,
        workspace: Workspace,
        forward: RunListener | None = None,
        stages: dict[str, tuple[str, str]] | None = None,
    ) -> None:
        self.ws = workspace
        self.forward = TeeListener([forward], guard=True)
        self.stages = stages or {}  # node id -> (stage type, title)
        self._lock = threading.Lock()
        self._points: list[MetricPoint] = []
        self._last_flush = time.monotonic()

    def run_started(self, run_id: int) -> None:
        self.ws.runs.start(run_id)
        self.forward.run_started(run_id)

    def stage_started(self, run_id: int, node_id: str) -> None:
        stage_type, title = self.stages.get(node_id, ("", node_id))
        self.ws.runs.save_stage(
            run_id,
            StageRun(node_id, stage_type, title, StageStatus.RUNNING, started_at=datetime.now(UTC)),
        )
        self.forward.stage_started(run_id, node_id)

    def stage_progress(self, run_id: int, node_id: str, fraction: float, message: str) -> None:
        self.forward.stage_progress(run_id, node_id, fraction, message)

    def stage_log(self, run_id: int, node_id: str, line: str) -> None:
        self.forward.stage_log(run_id, node_id, line)

    def metric_logged(self, run_id: int, node_id: str, key: str, step: int, value: float) -> None:
        with self._lock:
            self._points.append(MetricPoint(key, float(value), int(step), time.time(), node_id))
            due = (
                len(self._points) >= FLUSH_POINTS
                or time.monotonic() - self._last_flush > FLUSH_SECONDS
            )
        if due:
            self.flush(run_id)
        self.forward.metric_logged(run_id, node_id, key, step, value)

    def metrics_logged(
        self, run_id: int, node_id: str, key: str, steps: Steps, values: Values
    ) -> None:
        import numpy as np

        self.flush(run_id)
        self.ws.metrics.log_arrays(
            run_id,
            key,
            np.asarray(values, dtype=float),
            np.asarray(steps, dtype=np.int64),
            node_id=node_id,
        )
        self.forward.metrics_logged(run_id, node_id, key, steps, values)

    def flush(self, run_id: int) -> None:
        with self._lock:
            points, self._points = self._points, []
            self._last_flush = time.monotonic()
        if points:
            self.ws.metrics.log_batch(run_id, points)

    def stage_finished(self, run_id: int, node_id: str, stage_run: StageRun) -> None:
        self.flush(run_id)
        self.ws.runs.save_stage(run_id, stage_run)
        self.forward.stage_finished(run_id, node_id, stage_run)

    def run_finished(self, run_id: int, status: RunStatus, message: str) -> None:
        self.flush(run_id)
        try:  # series buffered in many small writes become a few chunks
            self.ws.metrics.compact(run_id)
        except Exception:  # noqa: BLE001 - the points are stored either way
            log.exception("could not compact the metrics of run #%s", run_id)
        self.ws.runs.finish(run_id, status, message)
        self.forward.run_finished(run_id, status, message)


@dataclass
class RunHandle:
    """A run going on in a background thread (for the GUI)."""

    run_id: int
    scheduler: Scheduler
    thread: threading.Thread
    _result: list[Any]
    number: int = 0  # the run's number in its project (shown as #number)
    run: Run | None = None  # as created (queued)

    def cancel(self) -> None:
        self.scheduler.cancel()

    def done(self) -> bool:
        return not self.thread.is_alive()

    def wait(self, timeout: float | None = None) -> Run | None:
        """The finished run, or None if it is still going after ``timeout`` seconds."""
        self.thread.join(timeout)
        if self.thread.is_alive():
            return None
        if isinstance(self._result[0], BaseException):
            raise self._result[0]
        return self._result[0]


@dataclass
class CreatedRun:
    """A run written as queued, with what running it needs (see :meth:`RunService.create`)."""

    run: Run
    document: dict[str, Any]  # the pipeline version it runs, as stored
    pipeline: Pipeline
    nodes: set[str] | None
    from_node: str | None
    executor: Executor


@dataclass
class _Prepared:
    run: Run
    pipeline: Pipeline
    scheduler: Scheduler
    executor: Executor
    nodes: set[str] | None
    from_node: str | None


@dataclass(frozen=True)
class RunRequest:
    """How to run a pipeline: the options of :meth:`RunService.run` and :meth:`~RunService.start`.

    ``document`` is saved as a new pipeline version first (the GUI's unsaved canvas);
    ``nodes`` runs only those stages (ids or unique titles), ``from_node`` that stage and
    everything after it; ``listener`` receives every engine event as well as the recorder.
    """

    force: bool = False
    executor: str = "threads"
    scheduler_address: str | None = None
    trigger: str = "manual"
    environment: str = "dev"
    listener: RunListener | None = None
    nodes: Iterable[str] | None = None
    from_node: str | None = None
    # Saved as the pipeline's latest version, and run as it is: the run keeps it (pass a
    # copy of a document that goes on changing).
    document: Pipeline | None = None


class RunService:
    """Runs a project's pipelines and reads back what runs produced."""

    def __init__(
        self,
        workspace: Workspace,
        registry: StageRegistry | None = None,
        services: Mapping[str, Any] | None = None,
        workers: int | None = None,
    ) -> None:
        self.ws = workspace
        self.registry = registry if registry is not None else default_registry()
        self.services = dict(services or {})
        if "registry" not in self.services:  # the model registry the operate stages use
            from mlops_desktop.app.registry import RunOperations

            self.services["registry"] = RunOperations(workspace)
        if "schema_references" not in self.services:  # Validate data's stored reference
            from mlops_desktop.app.schema_reference import SchemaReferences

            self.services["schema_references"] = SchemaReferences(workspace)
        if "code_trust" not in self.services:  # Python-function stages run trusted code only
            from mlops_desktop.app.trust import CodeTrust

            self.services["code_trust"] = CodeTrust(workspace)
        self.workers = workers
        self.heartbeat_seconds = HEARTBEAT_SECONDS
        self.finish_retry_seconds = FINISH_RETRY_SECONDS

    # ------------------------------------------------------------------------- running
    def run(self, project: str, pipeline: str | None = None, **options: Any) -> Run:
        """Run a pipeline (the saved latest version, or ``document`` saved first) and wait.

        ``options`` are the fields of :class:`RunRequest` (force, executor, trigger, ...)."""
        request = RunRequest(**options)
        return self.execute(self._prepare(project, pipeline, request), request)

    def start(self, project: str, pipeline: str | None = None, **options: Any) -> RunHandle:
        """Start a run in a background thread; the handle cancels and waits.

        ``options`` are the fields of :class:`RunRequest`, as for :meth:`run`."""
        request = RunRequest(**options)
        prep = self._prepare(project, pipeline, request)
        result: list[Any] = [None]

        def work() -> None:
            try:
                result[0] = self.execute(prep, request)
            except BaseException as exc:  # noqa: BLE001 - handed to wait()
                result[0] = exc

        thread = threading.Thread(target=work, name=f"mlops-run-{prep.run.id}", daemon=True)
        thread.start()
        return RunHandle(prep.run.id, prep.scheduler, thread, result, prep.run.number, prep.run)

    def _prepare(self, project: str, pipeline: str | None, request: RunRequest) -> _Prepared:
        created = self.create(project, pipeline, request)
        return self.assemble(created, request.listener)

    def create(self, project: str, pipeline: str | None, request: RunRequest) -> CreatedRun:
        """Everything of a run before it goes: the pipeline version saved (``document``
        first), the code trusted, room kept for its end, the queued run row written."""
        from mlops_desktop.core import serialization
        from mlops_desktop.engine.executors import make_executor

        proj = self.ws.projects.get(project)
        info = self.pipeline_info(proj.id, pipeline)
        if request.document is not None:
            document = serialization.to_dict(request.document)
            version = self.ws.pipelines.save(info.id, document, "run")
            graph = request.document  # the version just saved, already built (the run's own)
        else:
            version = self.ws.pipelines.latest(info.id)
            graph = serialization.from_dict(version.document, self.registry)
        from mlops_desktop.app.trust import require_trusted

        require_trusted(self.ws, graph)  # before the run row exists: nothing half-written
        _keep_room_for_the_end(self.ws)
        nodes = {self._node_id(graph, n) for n in request.nodes} if request.nodes else None
        start = self._node_id(graph, request.from_node) if request.from_node else None
        ex = make_executor(
            request.executor, workers=self.workers, scheduler_address=request.scheduler_address
        )
        run = self.ws.runs.create(
            proj.id,
            info.id,
            version.id,
            trigger=request.trigger,
            environment=request.environment,
            params=_run_params(graph),
            app_version=__version__,
            executor=ex.name,
            commit=_project_commit(self.ws, proj.id),
        )
        return CreatedRun(run, dict(version.document), graph, nodes, start, ex)

    def assemble(self, created: CreatedRun, listener: RunListener | None) -> _Prepared:
        """The recorder and scheduler of a created run (in this process, or in the worker
        process that runs it: :mod:`mlops_desktop.app.run_process`)."""
        from mlops_desktop.engine.scheduler import Scheduler

        graph = created.pipeline
        recorder = RecordingListener(
            self.ws, listener, {n.id: (n.type, n.title) for n in graph.nodes.values()}
        )
        scheduler = Scheduler(
            self.registry,
            self.ws.artifacts,
            self.ws.cache,
            created.executor,
            recorder,
            self.services,
        )
        return _Prepared(
            created.run, graph, scheduler, created.executor, created.nodes, created.from_node
        )

    def execute(self, prep: _Prepared, request: RunRequest) -> Run:
        """Run a prepared run to its end in this process (also a worker process's side)."""
        beat = Heartbeat(self.ws, prep.run.id, self.heartbeat_seconds)
        beat.start()
        try:
            result = prep.scheduler.run(
                prep.pipeline,
                prep.run.id,
                nodes=prep.nodes,
                from_node=prep.from_node,
                force=request.force,
                trigger=request.trigger,
                environment=request.environment,
            )
        except BaseException as exc:
            plain = _plain_stop(exc)
            self._end_stopped(prep.run.id, plain or exc)
            if plain is not None:
                raise plain from exc
            raise
        finally:
            beat.stop()
            prep.executor.close()
        failed = [n for n, r in result.stages.items() if r.status not in _KEPT]
        undone = self._take_back(prep.run.id, failed)
        if undone:
            self.ws.runs.update(prep.run.id, message=_with_undone(result.message, undone))
        hashes = {
            prep.pipeline.node(n).title: r.outputs.get("dataset", "")
            for n, r in result.stages.items()
            if r.stage_type == "load_data" and r.outputs.get("dataset")
        }
        if hashes:
            self.ws.runs.update(prep.run.id, input_hashes=hashes)
        return self.ws.runs.get(prep.run.id)

    def _end_stopped(self, run_id: int, exc: BaseException) -> None:
        """Record a run the scheduler gave up on (a store that could not write, a broken
        listener) as failed, its side effects taken back."""
        self._fail_run(run_id, f"the run stopped: {exc}")

    def _fail_run(self, run_id: int, why: str) -> str:
        """Fail a run that did not reach its end, every registry change of it taken back;
        its message. These writes come when the disk may be full: the room kept aside for
        them is given back first, so that no run is left ``running`` by a failed write."""
        reserve = self.ws.reserve
        if reserve is not None:
            reserve.release()
        message = _with_undone(why, self._take_back(run_id, None))
        if not _finish_failed(self.ws, run_id, message):
            # Still not writable (no reserve on a server database, a lost connection): try
            # again in the background for as long as the workspace is open.
            log.error("could not record the end of run #%s; trying again", run_id)
            retry = threading.Thread(
                target=_finish_later,
                args=(self.ws, run_id, message, self.finish_retry_seconds),
                name=f"mlops-finish-{run_id}",
                daemon=True,
            )
            retry.start()
        return message

    def end_lost(self, run_id: int, why: str) -> tuple[list[StageRun], str]:
        """Record a run whose worker process died before its end: the stages it left
        running fail with ``why``, then the run as one the scheduler gave up on
        (:meth:`_fail_run`). Returns the stages failed here and the run's message; nothing
        when the run had ended already."""
        try:
            run = self.ws.runs.get(run_id)
        except Exception:  # noqa: BLE001 - unreadable now: only the run's end is retried
            run = None
        if run is not None and run.status.finished:
            return [], run.message
        now = datetime.now(UTC)
        failed = []
        for stage in run.stages if run is not None else ():
            if stage.status in (StageStatus.RUNNING, StageStatus.QUEUED):
                took = (now - stage.started_at).total_seconds() if stage.started_at else None
                ended = replace(
                    stage, status=StageStatus.FAILED, finished_at=now, duration_s=took, error=why
                )
                try:
                    self.ws.runs.save_stage(run_id, ended)
                except Exception:  # noqa: BLE001 - the run's own end matters most
                    log.exception("could not record stage %s of run #%s", stage.node_id, run_id)
                failed.append(ended)
        return failed, self._fail_run(run_id, why)

    def _take_back(self, run_id: int, node_ids: list[str] | None) -> list[str]:
        """Undo the registry changes of the stages ``node_ids`` (None: all) of a run: a stage
        that did not succeed must leave no registered version or deployment behind."""
        undo = getattr(self.services.get("registry"), "undo", None)
        if not callable(undo):
            return []
        try:
            return list(undo(run_id, node_ids))
        except Exception as exc:  # noqa: BLE001 - said in the run's message
            error: Exception = exc
        reserve = self.ws.reserve  # a full disk: the room kept aside lets the undo write
        if reserve is not None and reserve.release():
            try:  # what was not taken back yet
                return list(undo(run_id, node_ids))
            except Exception as exc:  # noqa: BLE001 - said in the run's message
                error = exc
        log.error("could not take back the changes of run #%s: %s", run_id, error)
        return [f"could not take back its registry changes: {error}"]

    def pipeline_info(self, project_id: int, name: str | None) -> PipelineInfo:
        if name:
            return self.ws.pipelines.get(project_id, name)
        infos = self.ws.pipelines.list(project_id)
        if not infos:
            raise NotFoundError("the project has no pipeline")
        return infos[0]

    @staticmethod
    def _node_id(graph: Pipeline, ref: str) -> str:
        """A node id from an id or a unique title."""
        if ref in graph.nodes:
            return ref
        matches = [n.id for n in graph.nodes.values() if n.title == ref]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise GraphError(f"several stages are titled '{ref}': give a node id")
        raise GraphError(f"no stage with id or title '{ref}'")

    # ------------------------------------------------------------------------- reading
    def list_runs(
        self,
        project: str,
        pipeline: str | None = None,
        limit: int | None = None,
        *,
        with_stages: bool = False,
    ) -> list[Run]:
        """Runs of a project, newest first; ``with_stages`` reads every stage record too
        (in one query for all the runs)."""
        proj = self.ws.projects.get(project)
        pipeline_id = self.ws.pipelines.get(proj.id, pipeline).id if pipeline else None
        return self.ws.runs.list(proj.id, pipeline_id, limit, with_stages=with_stages)

    def latest_stage_states(self, project: str, pipeline_id: int) -> dict[str, StageStatus] | None:
        """Each stage's state in the pipeline's latest run, by node id (None: it never ran)."""
        proj = self.ws.projects.get(project)
        latest = self.ws.runs.list(proj.id, pipeline_id=pipeline_id, limit=1)
        if not latest:
            return None
        run = latest[0] if latest[0].stages else self.ws.runs.get(latest[0].id)
        return {s.node_id: s.status for s in run.stages}

    def delete_runs(self, project: str | int, run_ids: list[int]) -> int:
        """Delete finished runs of ``project`` (see :meth:`RunStore.delete` for what is kept).
        Their artifact files are reclaimed by the next garbage collection."""
        return self.ws.runs.delete(self.ws.projects.get(project).id, list(run_ids))

    def outputs(self, run_id: int, node_id: str) -> dict[str, Any]:
        """A stage's stored output values by port (for previews)."""
        from mlops_desktop.engine import serialize

        run = self.ws.runs.get(run_id)
        stage = next((s for s in run.stages if s.node_id == node_id), None)
        if stage is None:
            raise NotFoundError(f"run #{run_id} has no stage '{node_id}'")
        if stage.status not in (StageStatus.SUCCEEDED, StageStatus.CACHED) or not stage.outputs:
            raise NotFoundError(
                f"stage '{stage.title}' of run #{run_id} has no outputs ({stage.status.value})"
            )
        return {
            port: serialize.loads(self.ws.artifacts.read_bytes(digest))
            for port, digest in stage.outputs.items()
        }


_KEPT = (StageStatus.SUCCEEDED, StageStatus.CACHED, StageStatus.SKIPPED)


def _finish_failed(ws: Workspace, run_id: int, message: str) -> bool:
    """Record run ``run_id`` as failed unless it has ended; False when that cannot be
    written now."""
    try:
        if not ws.runs.get(run_id).status.finished:
            ws.runs.finish(run_id, RunStatus.FAILED, message)
    except Exception:  # noqa: BLE001 - a full disk, a lost server: the caller retries
        return False
    return True


def _plain_stop(exc: BaseException) -> WorkspaceError | None:
    """The one line a user can act on for what stopped a run (a full disk), else None."""
    from mlops_desktop.storage.database import FULL_DISK_MESSAGE
    from mlops_desktop.storage.reserve import is_full_disk

    return WorkspaceError(FULL_DISK_MESSAGE) if is_full_disk(exc) else None


def _finish_later(ws: Workspace, run_id: int, message: str, interval: float) -> None:
    """Retry :func:`_finish_failed` every ``interval`` seconds until it is written or the
    workspace is closed, so no run stays ``running`` once the store takes writes again."""
    while not ws.closed:
        time.sleep(interval)
        if not ws.closed and _finish_failed(ws, run_id, message):
            log.info("recorded the end of run #%s", run_id)
            return


def _keep_room_for_the_end(ws: Workspace) -> None:
    """Set the workspace's disk reserve aside before a run (see
    :mod:`mlops_desktop.storage.reserve`); a disk without that much room refuses the run
    before its row is written."""
    reserve = ws.reserve
    if reserve is not None and not reserve.ensure():
        raise WorkspaceError(
            f"the disk holding the workspace is full (a run keeps {reserve.size // 1024:,} KB "
            "aside to record its end): free some space (mlops-desktop workspace gc) and try "
            "again"
        )


def _with_undone(message: str, undone: list[str]) -> str:
    """The run's message with what was taken back after it failed."""
    return f"{message}; taken back: {'; '.join(undone)}" if undone else message


def _run_params(graph: Pipeline) -> dict[str, Any]:
    """Every stage's parameters by title (what the run was asked to do)."""
    return {node.title: dict(node.params) for node in graph.nodes.values()}


def _project_commit(ws: Workspace, project_id: int) -> str:
    """The HEAD commit of the git repository attached to the project ("" when none)."""
    from mlops_desktop.app.assessment import AssessmentService

    try:
        return AssessmentService(ws).current_commit(project_id)
    except Exception as exc:  # noqa: BLE001 - a missing commit must never stop a run
        log.warning("cannot read the project's commit: %s", exc)
        return ""
