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
from typing import Any

from mlops_desktop.core.entities import RunStatus, StageRun, StageStatus
from mlops_desktop.core.errors import GraphError, MlopsError
from mlops_desktop.core.execution import CacheLookup, RunListener, RunResult
from mlops_desktop.core.graph import Pipeline
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


def plan(
    pipeline: Pipeline,
    nodes: set[str] | None = None,
    from_node: str | None = None,
    graph: Any = None,
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
    spec: Any = None
    params: dict[str, Any] = field(default_factory=dict)
    blind: bool = False  # started before its inputs' digests were known: key computed later
    outcome: StageOutcome | None = None
    # Changes the world outside the run (registry, deployments): starts only once the
    # outputs of every stage it takes inputs from are stored, never on values in memory.
    durable_inputs: bool = False

    @property
    def ok(self) -> bool:
        return self.status in (StageStatus.SUCCEEDED, StageStatus.CACHED)


class Scheduler:
    """Runs pipelines on an executor, with caching, cancel and partial runs."""

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
        snap = pipeline.copy()
        self._graph = snap.to_networkx()
        selected, targets = plan(snap, nodes, from_node, self._graph)
        forced = targets if (force or from_node) else set()
        self._snap, self._run_id = snap, run_id
        self._trigger, self._environment = trigger, environment
        self._records: dict[str, StageRun] = {}
        self._skip_reasons: list[str] = []
        self._incoming: dict[str, list[Any]] = {n: [] for n in snap.nodes}
        for lk in snap.links.values():
            self._incoming[lk.target].append(lk)
        order = [n for n in snap.execution_order() if n in selected]
        slots = {
            n: _Slot(
                n,
                snap.node(n).title,
                snap.node(n).type,
                {lk.source for lk in self._incoming[n] if lk.source in selected},
                durable_inputs=self._has_side_effects(snap.node(n).type),
            )
            for n in order
        }
        self._slots = slots
        rank = {n: i for i, n in enumerate(order)}
        successors: dict[str, list[str]] = {n: [] for n in order}
        waiting = {n: len(slot.preds) for n, slot in slots.items()}
        for n, slot in slots.items():
            for p in slot.preds:
                successors[p].append(n)
        ready = [n for n in order if waiting[n] == 0]
        self.listener.run_started(run_id)
        running: dict[Future[Any], _Slot] = {}
        writes: dict[Future[Any], _Slot] = {}
        sink = LiveSink(self.listener, self.artifacts, self._cancel)
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="mlops-artifacts")

        def settled(slot: _Slot, *, in_memory: bool = True, stored: bool = True) -> None:
            """A stage ended: successors whose inputs are all there become ready. Its outputs
            are ``in_memory`` (pure successors may start) and/or ``stored`` (successors with
            side effects may start too)."""
            if slot.ok:
                for nxt in successors[slot.node_id]:
                    if not (stored if slots[nxt].durable_inputs else in_memory):
                        continue
                    waiting[nxt] -= 1
                    if waiting[nxt] == 0 and slots[nxt].status is StageStatus.QUEUED:
                        ready.append(nxt)

        try:
            while True:
                if self._cancel.is_set():
                    for slot in slots.values():
                        if slot.status is StageStatus.QUEUED:
                            self._finish_slot(
                                slot, StageStatus.CANCELLED, error="the run was cancelled"
                            )
                    ready.clear()
                while ready:
                    ready.sort(key=rank.__getitem__)
                    slot = slots[ready.pop(0)]
                    if slot.status is not StageStatus.QUEUED:
                        continue
                    at_once = max(1, min(self.executor.workers, len(running) + len(ready) + 1))
                    future = self._start(
                        slot, slot.node_id in forced, max(1, self.executor.cores // at_once), sink
                    )
                    if future is not None:
                        running[future] = slot
                    else:
                        settled(slot)
                if not running and not writes:
                    break
                done, _ = wait([*running, *writes], timeout=0.25, return_when=FIRST_COMPLETED)
                slot_of = {**running, **writes}
                for future in sorted(done, key=lambda f: rank[slot_of[f].node_id]):
                    if future in writes:
                        slot = writes.pop(future)
                        self._written(slot, future)
                        settled(slot, in_memory=False)
                        continue
                    slot = running.pop(future)
                    write = self._complete(slot, future.result())
                    if write is not None:
                        writes[write] = slot
                    settled(slot, stored=write is None)
        except BaseException:
            self._cancel.set()  # a broken listener or store: stop the stages still running
            raise
        finally:
            self._writer.shutdown(wait=True)
        for slot in slots.values():  # stages never reached (a failed or skipped upstream)
            if slot.status is StageStatus.QUEUED:
                self._finish_slot(
                    slot, StageStatus.SKIPPED, error="an upstream stage did not succeed"
                )
        status, message = self._outcome()
        self.listener.run_finished(run_id, status, message)
        return RunResult(run_id, status, message, dict(self._records))

    def _has_side_effects(self, stage_type: str) -> bool:
        try:
            return bool(self.registry.get(stage_type).side_effects)
        except MlopsError:  # an unknown type fails when the stage starts
            return False

    # ------------------------------------------------------------------- one stage
    def _start(
        self, slot: _Slot, forced: bool, threads: int, sink: LiveSink
    ) -> Future[StageOutcome] | None:
        node = self._snap.node(slot.node_id)
        try:
            spec = self.registry.get(node.type)
            params = spec.validate_params(node.params)
            digests = self._input_digests(slot, spec)
            key = (cache_key(spec, params, digests) or "") if digests is not None else ""
        except MlopsError as exc:
            self._finish_slot(slot, StageStatus.FAILED, error=str(exc), log=f"error: {exc}")
            self._skip_downstream(slot, f"'{slot.title}' failed")
            return None
        slot.key, slot.spec, slot.params, slot.blind = key, spec, params, digests is None
        if key and not forced and self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None and set(hit) >= {p.name for p in spec.outputs}:
                self._serve_cached(slot, hit)
                return None
        try:
            inputs = self._input_values(slot, spec)
        except MlopsError as exc:
            self._finish_slot(slot, StageStatus.FAILED, error=str(exc), log=f"error: {exc}")
            self._skip_downstream(slot, f"'{slot.title}' failed")
            return None
        slot.status, slot.started = StageStatus.RUNNING, time.time()
        self.listener.stage_started(self._run_id, slot.node_id)
        task = StageTask(
            self._run_id,
            slot.node_id,
            slot.title,
            spec.impl,
            inputs,
            params,
            threads,
            self._environment,
            self._trigger,
            tuple(p.name for p in spec.outputs),
            persist=self.executor.remote,
            local=spec.runs_locally(params),
        )
        return self.executor.submit(task, sink, self.services)

    def _input_digests(self, slot: _Slot, spec: StageSpec) -> dict[str, str] | None:
        """Input port -> artifact digest; None while an input is still being written."""
        out: dict[str, str] = {}
        unknown = False
        links = {lk.target_port: lk for lk in self._incoming[slot.node_id]}
        for port in spec.inputs:
            lk = links.get(port.name)
            if lk is None:
                if not port.optional:
                    raise GraphError(f"input '{port.name}' of '{slot.title}' is not connected")
                continue
            src = self._slots.get(lk.source)
            if src is not None and lk.source_port in src.digests:
                out[port.name] = src.digests[lk.source_port]
            elif src is not None and lk.source_port in src.values:
                unknown = True
            else:
                raise GraphError(f"input '{port.name}' of '{slot.title}' has no value")
        return None if unknown else out

    def _input_values(self, slot: _Slot, spec: StageSpec) -> dict[str, Any]:
        values: dict[str, Any] = {}
        links = {lk.target_port: lk for lk in self._incoming[slot.node_id]}
        for port in spec.inputs:
            lk = links.get(port.name)
            values[port.name] = (
                None if lk is None else self._value(self._slots[lk.source], lk.source_port)
            )
        return values

    def _value(self, slot: _Slot, port: str) -> Any:
        """An output value, read from the artifact store the first time it is needed."""
        if port not in slot.values:
            with self.artifacts.open(slot.digests[port]) as fh:
                slot.values[port] = serialize.loads(fh.read())
        return slot.values[port]

    def _complete(self, slot: _Slot, outcome: StageOutcome) -> Future[Any] | None:
        """Handle a finished stage; returns the future writing its outputs, if any."""
        if self.executor.remote:
            self._replay(slot, outcome)
        if outcome.status is StageStatus.CANCELLED:
            self._finish_slot(slot, StageStatus.CANCELLED, outcome=outcome, error="cancelled")
            return None
        if outcome.status is not StageStatus.SUCCEEDED:
            self._finish_slot(slot, StageStatus.FAILED, outcome=outcome, error=outcome.error)
            self._skip_downstream(slot, f"'{slot.title}' failed")
            return None
        slot.values, slot.outcome = dict(outcome.outputs), outcome
        if outcome.skip_reason:
            self._skip_reasons.append(outcome.skip_reason)
            self._skip_downstream(slot, outcome.skip_reason)
        if self.executor.remote:  # already written on the worker and replayed
            slot.digests = dict(outcome.digests)
            self._store_done(slot)
            return None
        slot.status = StageStatus.SUCCEEDED  # downstream stages may start on the values in memory
        return self._writer.submit(self._persist, slot)

    def _persist(self, slot: _Slot) -> dict[str, str]:
        """Write a stage's outputs (artifact writer thread). Writes run one at a time in
        submission order, so the inputs of a stage are stored before its own outputs."""
        digests = {}
        for port in slot.spec.outputs:
            data, suffix = serialize.dumps(slot.values[port.name])
            digests[port.name] = self.artifacts.put_bytes(data, suffix)
        if slot.blind:
            try:
                inputs = self._input_digests(slot, slot.spec)
                slot.key = (
                    (cache_key(slot.spec, slot.params, inputs) or "") if inputs is not None else ""
                )
            except MlopsError:
                slot.key = ""
        slot.digests = digests
        return digests

    def _written(self, slot: _Slot, future: Future[Any]) -> None:
        try:
            future.result()
        except Exception as exc:  # noqa: BLE001 - an unstorable value fails its stage
            slot.digests, slot.key = {}, ""
            self._finish_slot(
                slot,
                StageStatus.FAILED,
                outcome=slot.outcome,
                error=f"cannot store the outputs: {exc}",
            )
            self._skip_downstream(slot, f"'{slot.title}' failed")
            return
        self._store_done(slot)

    def _store_done(self, slot: _Slot) -> None:
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
        self._finish_slot(slot, StageStatus.SUCCEEDED, outcome=slot.outcome)

    def _serve_cached(self, slot: _Slot, hit: dict[str, str]) -> None:
        """Take a stage's outputs from the cache, replaying the metrics, log and downstream
        skip it recorded when it ran (so a cached run reports the same numbers)."""
        record_digest = hit.pop(RECORD_PORT, None)
        slot.digests = hit
        lines = ["served from the cache"]
        skip_reason = ""
        if record_digest is not None:
            with self.artifacts.open(record_digest) as fh:
                record = serialize.loads(fh.read())
            replay_metrics(self.listener, self._run_id, slot.node_id, record.get("metrics", []))
            lines += record.get("log", [])
            skip_reason = record.get("skip_reason", "")
        self._finish_slot(slot, StageStatus.CACHED, log="\n".join(lines))
        if skip_reason:
            self._skip_reasons.append(skip_reason)
            self._skip_downstream(slot, skip_reason)

    def _replay(self, slot: _Slot, outcome: StageOutcome) -> None:
        run_id, node_id = self._run_id, slot.node_id
        for name, data in outcome.artifacts.items():
            self.artifacts.put_bytes(data, name.partition("|")[2])
        replay_events(self.listener, run_id, node_id, outcome.events)

    def _skip_downstream(self, slot: _Slot, reason: str) -> None:
        import networkx as nx

        for node_id in nx.descendants(self._graph, slot.node_id):
            other = self._slots.get(node_id)
            if other is not None and other.status is StageStatus.QUEUED:
                self._finish_slot(
                    other, StageStatus.SKIPPED, error=f"skipped: {reason}", log=f"skipped: {reason}"
                )

    def _finish_slot(
        self,
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
        self._records[slot.node_id] = record
        self.listener.stage_finished(self._run_id, slot.node_id, record)

    def _outcome(self) -> tuple[RunStatus, str]:
        records = self._records.values()
        failed = [r for r in records if r.status is StageStatus.FAILED]
        if self._cancel.is_set() or any(r.status is StageStatus.CANCELLED for r in records):
            return RunStatus.CANCELLED, "the run was cancelled"
        if failed:
            first = failed[0]
            more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
            return RunStatus.FAILED, f"'{first.title}' failed: {first.error}{more}"
        if self._skip_reasons:  # a gate kept the result out: an outcome, not an error
            return RunStatus.KEPT_OUT, "kept out: " + "; ".join(self._skip_reasons)
        cached = sum(r.status is StageStatus.CACHED for r in records)
        return RunStatus.SUCCEEDED, f"{len(self._records)} stages, {cached} from the cache"
