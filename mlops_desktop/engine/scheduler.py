"""The run loop: submit every ready stage, wait for the first to finish, repeat.

The scheduler runs a frozen copy of the pipeline. A stage is *ready* when every stage it
takes inputs from succeeded (or was served from the cache). Before running a stage it looks
its cache key up; a hit is reported as ``cached`` without running anything, and its outputs
are read from the artifact store only when a later stage needs them. A failure skips the
stages downstream of it while independent branches go on. Everything is reported through
the :class:`~mlops_desktop.core.execution.RunListener`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from mlops_desktop.core.entities import RunStatus, StageRun, StageStatus
from mlops_desktop.core.errors import GraphError, MlopsError
from mlops_desktop.core.execution import CacheLookup, RunListener, RunResult
from mlops_desktop.core.graph import Link, Pipeline
from mlops_desktop.core.protocols import ArtifactStore
from mlops_desktop.core.registry import StageRegistry
from mlops_desktop.core.specs import StageSpec
from mlops_desktop.engine import serialize
from mlops_desktop.engine.cache import cache_key
from mlops_desktop.engine.context import (
    LiveSink,
    StageOutcome,
    StageTask,
    replay_events,
    replay_metrics,
)
from mlops_desktop.engine.executors import Executor

if TYPE_CHECKING:
    import networkx as nx


def plan(
    pipeline: Pipeline,
    nodes: set[str] | None = None,
    from_node: str | None = None,
    graph: nx.MultiDiGraph | None = None,
) -> tuple[set[str], set[str]]:
    """``(selected, targets)``: the stages a run touches and those it was asked for.

    The selection adds every upstream stage a target needs (served from the cache when
    unchanged). ``from_node`` targets that stage and everything downstream of it.
    """
    import networkx as nx

    for node_id in [*(nodes or ()), *([from_node] if from_node else [])]:
        pipeline.node(node_id)  # raises GraphError for an unknown id
    if not nodes and not from_node:
        return set(pipeline.nodes), set(pipeline.nodes)
    g = graph if graph is not None else pipeline.to_networkx()
    targets = {from_node} | nx.descendants(g, from_node) if from_node else set(nodes or ())
    selected = set(targets)
    for node_id in targets:
        selected |= nx.ancestors(g, node_id)
    return selected, targets


RECORD_PORT = "__record__"  # cache entry: what a stage logged, replayed on a hit


@dataclass
class _Slot:
    """The scheduler's state for one stage of the run."""

    node_id: str
    title: str
    stage_type: str
    preds: set[str]
    status: StageStatus = StageStatus.QUEUED  # not started yet
    digests: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    key: str = ""
    started: float = 0.0
    spec: StageSpec | None = None
    params: dict[str, Any] = field(default_factory=dict)
    blind: bool = False  # started before its inputs' digests were known: key computed later
    outcome: StageOutcome | None = None
    # Changes the world outside the run (registry, deployments): starts only once the
    # outputs of every stage it takes inputs from are stored, never on values in memory.
    durable_inputs: bool = False

    @property
    def ok(self) -> bool:
        return self.status in (StageStatus.SUCCEEDED, StageStatus.CACHED)


@dataclass
class _RunState:
    """One run's state: made by :meth:`Scheduler.run`, handed to its steps, dropped at the
    end, so a scheduler keeps nothing of a run between calls.

    ``ready`` holds the stages that may start; ``waiting`` counts, per stage, the inputs not
    there yet. ``running`` maps a stage's future to its slot, ``writes`` the future writing a
    stage's outputs (on the single ``writer`` thread) to its slot.
    """

    run_id: int
    snap: Pipeline  # the frozen copy being run
    graph: nx.MultiDiGraph
    trigger: str
    environment: str
    slots: dict[str, _Slot]  # in execution order
    incoming: dict[str, list[Link]]  # node id -> the links into it
    forced: set[str]  # run even when the cache has them
    sink: LiveSink
    rank: dict[str, int] = field(default_factory=dict)  # node id -> place in execution order
    successors: dict[str, list[str]] = field(default_factory=dict)
    waiting: dict[str, int] = field(default_factory=dict)
    ready: list[str] = field(default_factory=list)
    running: dict[Future[Any], _Slot] = field(default_factory=dict)
    writes: dict[Future[Any], _Slot] = field(default_factory=dict)
    records: dict[str, StageRun] = field(default_factory=dict)  # node id -> final record
    skip_reasons: list[str] = field(default_factory=list)  # gates that kept the result out
    writer: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="mlops-artifacts")
    )

    def __post_init__(self) -> None:
        self.rank = {n: i for i, n in enumerate(self.slots)}
        self.successors = {n: [] for n in self.slots}
        for n, slot in self.slots.items():
            for p in slot.preds:
                self.successors[p].append(n)
        self.waiting = {n: len(slot.preds) for n, slot in self.slots.items()}
        self.ready = [n for n in self.slots if self.waiting[n] == 0]

    def settled(self, slot: _Slot, *, in_memory: bool = True, stored: bool = True) -> None:
        """A stage ended: successors whose inputs are all there become ready. Its outputs
        are ``in_memory`` (pure successors may start) and/or ``stored`` (successors with
        side effects may start too)."""
        if not slot.ok:
            return
        for nxt in self.successors[slot.node_id]:
            if not (stored if self.slots[nxt].durable_inputs else in_memory):
                continue
            self.waiting[nxt] -= 1
            if self.waiting[nxt] == 0 and self.slots[nxt].status is StageStatus.QUEUED:
                self.ready.append(nxt)

    def next_ready(self) -> _Slot | None:
        """The earliest ready stage in execution order that has not started (None: none)."""
        while self.ready:
            self.ready.sort(key=self.rank.__getitem__)
            slot = self.slots[self.ready.pop(0)]
            if slot.status is StageStatus.QUEUED:
                return slot
        return None

    def queued(self) -> list[_Slot]:
        return [slot for slot in self.slots.values() if slot.status is StageStatus.QUEUED]


class Scheduler:
    """Runs pipelines on an executor, with caching, cancel and partial runs.

    The scheduler holds what it runs with (registry, stores, executor, listener) and the
    cancel flag; everything about one run lives in a :class:`_RunState`.
    """

    def __init__(
        self,
        registry: StageRegistry,
        artifacts: ArtifactStore,
        cache: CacheLookup | None,
        executor: Executor,
        listener: RunListener,
        services: Mapping[str, Any] | None = None,
    ) -> None:
        self.registry = registry
        self.artifacts = artifacts
        self.cache = cache
        self.executor = executor
        self.listener = listener
        self.services = dict(services or {})
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Ask the run to stop: no new stage starts; running ones stop at their next check."""
        self._cancel.set()
        self.executor.cancel()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    # ------------------------------------------------------------------------- run
    def run(
        self,
        pipeline: Pipeline,
        run_id: int,
        *,
        nodes: set[str] | None = None,
        from_node: str | None = None,
        force: bool = False,
        trigger: str = "manual",
        environment: str = "dev",
    ) -> RunResult:
        state = self._prepare(pipeline, run_id, nodes, from_node, force, trigger, environment)
        self.listener.run_started(run_id)
        try:
            while True:
                if self._cancel.is_set():
                    self._cancel_queued(state)
                self._start_ready(state)
                if not state.running and not state.writes:
                    break
                self._collect(state)
        except BaseException:
            self._cancel.set()  # a broken listener or store: stop the stages still running
            raise
        finally:
            state.writer.shutdown(wait=True)
        for slot in state.queued():  # stages never reached (a failed or skipped upstream)
            self._finish_slot(
                state, slot, StageStatus.SKIPPED, error="an upstream stage did not succeed"
            )
        status, message = self._outcome(state)
        self.listener.run_finished(run_id, status, message)
        return RunResult(run_id, status, message, dict(state.records))

    def _prepare(
        self,
        pipeline: Pipeline,
        run_id: int,
        nodes: set[str] | None,
        from_node: str | None,
        force: bool,
        trigger: str,
        environment: str,
    ) -> _RunState:
        """A frozen copy of the pipeline, the stages the run touches and their inputs."""
        snap = pipeline.copy()
        graph = snap.to_networkx()
        selected, targets = plan(snap, nodes, from_node, graph)
        incoming: dict[str, list[Link]] = {n: [] for n in snap.nodes}
        for lk in snap.links.values():
            incoming[lk.target].append(lk)
        slots = {
            n: _Slot(
                n,
                snap.node(n).title,
                snap.node(n).type,
                {lk.source for lk in incoming[n] if lk.source in selected},
                durable_inputs=self._has_side_effects(snap.node(n).type),
            )
            for n in snap.execution_order()
            if n in selected
        }
        return _RunState(
            run_id,
            snap,
            graph,
            trigger,
            environment,
            slots,
            incoming,
            forced=targets if (force or from_node) else set(),
            sink=LiveSink(self.listener, self.artifacts, self._cancel),
        )

    def _cancel_queued(self, state: _RunState) -> None:
        """The run was cancelled: every stage not started yet ends as cancelled."""
        for slot in state.queued():
            self._finish_slot(state, slot, StageStatus.CANCELLED, error="the run was cancelled")
        state.ready.clear()

    def _start_ready(self, state: _RunState) -> None:
        """Start every ready stage, each with its share of the cores."""
        while (slot := state.next_ready()) is not None:
            at_once = max(1, min(self.executor.workers, len(state.running) + len(state.ready) + 1))
            threads = max(1, self.executor.cores // at_once)
            future = self._start(state, slot, slot.node_id in state.forced, threads)
            if future is not None:
                state.running[future] = slot
            else:  # failed to start, or served from the cache
                state.settled(slot)

    def _collect(self, state: _RunState) -> None:
        """Wait for the first stage or output write to finish, and handle what finished."""
        done, _ = wait([*state.running, *state.writes], timeout=0.25, return_when=FIRST_COMPLETED)
        slot_of = {**state.running, **state.writes}
        for future in sorted(done, key=lambda f: state.rank[slot_of[f].node_id]):
            if future in state.writes:
                slot = state.writes.pop(future)
                self._written(state, slot, future)
                state.settled(slot, in_memory=False)
                continue
            slot = state.running.pop(future)
            write = self._complete(state, slot, future.result())
            if write is not None:
                state.writes[write] = slot
            state.settled(slot, stored=write is None)

    def _has_side_effects(self, stage_type: str) -> bool:
        try:
            return bool(self.registry.get(stage_type).side_effects)
        except MlopsError:  # an unknown type fails when the stage starts
            return False

    # ------------------------------------------------------------------- one stage
    def _start(
        self, state: _RunState, slot: _Slot, forced: bool, threads: int
    ) -> Future[StageOutcome] | None:
        """Start a stage; None when it failed to start or was served from the cache."""
        node = state.snap.node(slot.node_id)
        try:
            spec = self.registry.get(node.type)
            params = spec.validate_params(node.params)
            digests = self._input_digests(state, slot, spec)
            key = (cache_key(spec, params, digests) or "") if digests is not None else ""
        except MlopsError as exc:
            self._failed_to_start(state, slot, exc)
            return None
        slot.key, slot.spec, slot.params, slot.blind = key, spec, params, digests is None
        if key and not forced and self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None and set(hit) >= {p.name for p in spec.outputs}:
                self._serve_cached(state, slot, hit)
                return None
        try:
            inputs = self._input_values(state, slot, spec)
        except MlopsError as exc:
            self._failed_to_start(state, slot, exc)
            return None
        slot.status, slot.started = StageStatus.RUNNING, time.time()
        self.listener.stage_started(state.run_id, slot.node_id)
        task = StageTask(
            state.run_id,
            slot.node_id,
            slot.title,
            spec.impl,
            inputs,
            params,
            threads,
            state.environment,
            state.trigger,
            tuple(p.name for p in spec.outputs),
            persist=self.executor.remote,
            local=spec.runs_locally(params),
        )
        return self.executor.submit(task, state.sink, self.services)

    def _failed_to_start(self, state: _RunState, slot: _Slot, exc: MlopsError) -> None:
        self._finish_slot(state, slot, StageStatus.FAILED, error=str(exc), log=f"error: {exc}")
        self._skip_downstream(state, slot, f"'{slot.title}' failed")

    def _input_digests(
        self, state: _RunState, slot: _Slot, spec: StageSpec
    ) -> dict[str, str] | None:
        """Input port -> artifact digest; None while an input is still being written."""
        out: dict[str, str] = {}
        unknown = False
        links = {lk.target_port: lk for lk in state.incoming[slot.node_id]}
        for port in spec.inputs:
            lk = links.get(port.name)
            if lk is None:
                if not port.optional:
                    raise GraphError(f"input '{port.name}' of '{slot.title}' is not connected")
                continue
            src = state.slots.get(lk.source)
            if src is not None and lk.source_port in src.digests:
                out[port.name] = src.digests[lk.source_port]
            elif src is not None and lk.source_port in src.values:
                unknown = True
            else:
                raise GraphError(f"input '{port.name}' of '{slot.title}' has no value")
        return None if unknown else out

    def _input_values(self, state: _RunState, slot: _Slot, spec: StageSpec) -> dict[str, Any]:
        values: dict[str, Any] = {}
        links = {lk.target_port: lk for lk in state.incoming[slot.node_id]}
        for port in spec.inputs:
            lk = links.get(port.name)
            values[port.name] = (
                None if lk is None else self._value(state.slots[lk.source], lk.source_port)
            )
        return values

    def _value(self, slot: _Slot, port: str) -> Any:
        """An output value, read from the artifact store the first time it is needed."""
        if port not in slot.values:
            with self.artifacts.open(slot.digests[port]) as fh:
                slot.values[port] = serialize.loads(fh.read())
        return slot.values[port]

    def _complete(self, state: _RunState, slot: _Slot, outcome: StageOutcome) -> Future[Any] | None:
        """Handle a finished stage; returns the future writing its outputs, if any."""
        if self.executor.remote:
            self._replay(state, slot, outcome)
        if outcome.status is StageStatus.CANCELLED:
            self._finish_slot(
                state, slot, StageStatus.CANCELLED, outcome=outcome, error="cancelled"
            )
            return None
        if outcome.status is not StageStatus.SUCCEEDED:
            self._finish_slot(state, slot, StageStatus.FAILED, outcome=outcome, error=outcome.error)
            self._skip_downstream(state, slot, f"'{slot.title}' failed")
            return None
        slot.values, slot.outcome = dict(outcome.outputs), outcome
        if outcome.skip_reason:
            state.skip_reasons.append(outcome.skip_reason)
            self._skip_downstream(state, slot, outcome.skip_reason)
        if self.executor.remote:  # already written on the worker and replayed
            slot.digests = dict(outcome.digests)
            self._store_done(state, slot)
            return None
        slot.status = StageStatus.SUCCEEDED  # downstream stages may start on the values in memory
        return state.writer.submit(self._persist, state, slot)

    def _persist(self, state: _RunState, slot: _Slot) -> dict[str, str]:
        """Write a stage's outputs (artifact writer thread). Writes run one at a time in
        submission order, so the inputs of a stage are stored before its own outputs."""
        spec = slot.spec
        assert spec is not None  # set when the stage started
        digests = {}
        for port in spec.outputs:
            data, suffix = serialize.dumps(slot.values[port.name])
            digests[port.name] = self.artifacts.put_bytes(data, suffix)
        if slot.blind:
            try:
                inputs = self._input_digests(state, slot, spec)
                slot.key = (
                    (cache_key(spec, slot.params, inputs) or "") if inputs is not None else ""
                )
            except MlopsError:
                slot.key = ""
        slot.digests = digests
        return digests

    def _written(self, state: _RunState, slot: _Slot, future: Future[Any]) -> None:
        try:
            future.result()
        except Exception as exc:  # noqa: BLE001 - an unstorable value fails its stage
            slot.digests, slot.key = {}, ""
            self._finish_slot(
                state,
                slot,
                StageStatus.FAILED,
                outcome=slot.outcome,
                error=f"cannot store the outputs: {exc}",
            )
            self._skip_downstream(state, slot, f"'{slot.title}' failed")
            return
        self._store_done(state, slot)

    def _store_done(self, state: _RunState, slot: _Slot) -> None:
        if slot.key and self.cache is not None:
            entry = dict(slot.digests)
            outcome = slot.outcome
            if outcome is not None and (outcome.metric_log or outcome.log or outcome.skip_reason):
                record = {
                    "metrics": outcome.metric_log,
                    "log": outcome.log,
                    "skip_reason": outcome.skip_reason,
                }
                entry[RECORD_PORT] = self.artifacts.put_bytes(serialize.dumps(record)[0], ".json")
            self.cache.put(slot.key, slot.stage_type, entry)
        self._finish_slot(state, slot, StageStatus.SUCCEEDED, outcome=slot.outcome)

    def _serve_cached(self, state: _RunState, slot: _Slot, hit: dict[str, str]) -> None:
        """Take a stage's outputs from the cache, replaying the metrics, log and downstream
        skip it recorded when it ran (so a cached run reports the same numbers)."""
        record_digest = hit.pop(RECORD_PORT, None)
        slot.digests = hit
        lines = ["served from the cache"]
        skip_reason = ""
        if record_digest is not None:
            with self.artifacts.open(record_digest) as fh:
                record = serialize.loads(fh.read())
            replay_metrics(self.listener, state.run_id, slot.node_id, record.get("metrics", []))
            lines += record.get("log", [])
            skip_reason = record.get("skip_reason", "")
        self._finish_slot(state, slot, StageStatus.CACHED, log="\n".join(lines))
        if skip_reason:
            state.skip_reasons.append(skip_reason)
            self._skip_downstream(state, slot, skip_reason)

    def _replay(self, state: _RunState, slot: _Slot, outcome: StageOutcome) -> None:
        """Store what a remote stage wrote and send its recorded events to the listener."""
        for name, data in outcome.artifacts.items():
            self.artifacts.put_bytes(data, name.partition("|")[2])
        replay_events(self.listener, state.run_id, slot.node_id, outcome.events)

    def _skip_downstream(self, state: _RunState, slot: _Slot, reason: str) -> None:
        import networkx as nx

        for node_id in nx.descendants(state.graph, slot.node_id):
            other = state.slots.get(node_id)
            if other is not None and other.status is StageStatus.QUEUED:
                self._finish_slot(
                    state,
                    other,
                    StageStatus.SKIPPED,
                    error=f"skipped: {reason}",
                    log=f"skipped: {reason}",
                )

    def _finish_slot(
        self,
        state: _RunState,
        slot: _Slot,
        status: StageStatus,
        *,
        outcome: StageOutcome | None = None,
        error: str = "",
        log: str = "",
    ) -> None:
        slot.status = status
        now = time.time()
        started = outcome.started if outcome else (slot.started or now)
        finished = outcome.finished if outcome else now
        record = StageRun(
            node_id=slot.node_id,
            stage_type=slot.stage_type,
            title=slot.title,
            status=status,
            started_at=datetime.fromtimestamp(started, UTC),
            finished_at=datetime.fromtimestamp(finished, UTC),
            duration_s=max(0.0, finished - started),
            log="\n".join(outcome.log) if outcome else log,
            error=error,
            cache_key=slot.key,
            outputs=dict(slot.digests),
        )
        state.records[slot.node_id] = record
        self.listener.stage_finished(state.run_id, slot.node_id, record)

    def _outcome(self, state: _RunState) -> tuple[RunStatus, str]:
        records = state.records.values()
        failed = [r for r in records if r.status is StageStatus.FAILED]
        if self._cancel.is_set() or any(r.status is StageStatus.CANCELLED for r in records):
            return RunStatus.CANCELLED, "the run was cancelled"
        if failed:
            first = failed[0]
            more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
            return RunStatus.FAILED, f"'{first.title}' failed: {first.error}{more}"
        if state.skip_reasons:  # a gate kept the result out: an outcome, not an error
            return RunStatus.KEPT_OUT, "kept out: " + "; ".join(state.skip_reasons)
        cached = sum(r.status is StageStatus.CACHED for r in records)
        return RunStatus.SUCCEEDED, f"{len(state.records)} stages, {cached} from the cache"
