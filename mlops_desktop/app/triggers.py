"""Pipeline triggers and the loop that fires them: what closes the continuous-training loop.

A pipeline's triggers are rows of the workspace (added here, or declared in the pipeline
document's ``meta["triggers"]`` and synchronised from it). Types:

- ``manual``: fired by hand (:meth:`TriggerService.fire`, ``mlops-desktop trigger``);
- ``schedule``: ``{"cron": "*/15 * * * *"}`` (croniter); missed ticks fire once;
- ``data_arrival``: ``{"folder": PATH, "pattern": "*.csv"}``; a new or changed file fires;
- ``monitor_alert``: ``{"source_pipeline": NAME, "source_node": ID}`` (both optional: any
  Monitor of this pipeline by default); a stored monitor alert fires, e.g. retraining (which
  recomputes every stage: ``"force": false`` lets the cache answer);
- ``registry_event``: ``{"event": "approved" | "registered", "model": NAME,
  "source_pipeline": NAME}``; a newly approved (or registered) version fires, e.g. the
  deployment pipeline.

Any trigger may set ``"cooldown_s"``: after firing it waits that long before looking again,
and ``"environment"``: recorded with its runs (default: the document's ``meta["environment"]``
or ``dev``).

A firing starts a run whose ``trigger`` is the trigger's type, unless the pipeline is busy
(a claim row says who runs it; runs recorded as running count too): then it is *queued*,
or *coalesced* into a firing already waiting. Firings due at the same moment for the same
pipeline coalesce into one run. Every firing is a ``trigger_events`` row linked to its run.
:meth:`TriggerService.run_due` is one pass of the headless scheduler (and of the GUI's timer).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_desktop.app.trigger_checks import (
    LinkListener,
    Tee,
    canon,
    check_folder,
    check_schedule,
    cooling_down,
    snapshot,
)
from mlops_desktop.core.entities import PipelineInfo, Project, Run, RunStatus
from mlops_desktop.core.errors import ConflictError, MlopsError, NotFoundError
from mlops_desktop.core.execution import RunListener
from mlops_desktop.core.operate_entities import (
    ORIGIN_PIPELINE,
    Trigger,
    TriggerEvent,
    TriggerOutcome,
    TriggerType,
)
from mlops_desktop.core.trigger_settings import (
    MAX_TRIGGERS_PER_PIPELINE,
    TRIGGER_TYPES,
    trigger_problems,
)

if TYPE_CHECKING:
    from mlops_desktop.app.workspace import Workspace
    from mlops_desktop.storage.registry import RegistryStore
    from mlops_desktop.storage.triggers import TriggerStore

META_KEY = "triggers"
ACTIVE = (RunStatus.QUEUED, RunStatus.RUNNING)
BROKEN_KEY = "broken"  # in a trigger's state: {"error": message, "at": iso time}
log = logging.getLogger(__name__)

# runner(project, pipeline, trigger=..., environment=..., listener=...) -> finished Run
Runner = Callable[..., Run]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Firing:
    """A trigger that is due, with what made it due."""

    trigger: Trigger | None
    project: Project
    pipeline: PipelineInfo
    type: str
    detail: dict[str, Any]


class TriggerService:
    """Adds, lists and fires pipeline triggers; never runs one pipeline twice at once."""

    def __init__(
        self,
        workspace: Workspace,
        runner: Runner | None = None,
        clock: Callable[[], datetime] = utc_now,
        listener: RunListener | None = None,
    ) -> None:
        self.ws = workspace
        self._runner = runner
        self.clock = clock
        self.listener = listener
        # Declarations in pipeline files that cannot be used (stored before they were
        # checked), by pipeline id: one sentence each, for the Triggers panel.
        self.refused: dict[int, list[str]] = {}

    @property
    def store(self) -> TriggerStore:
        return self.ws.triggers

    @property
    def registry(self) -> RegistryStore:
        return self.ws.registry

    def _run(self, project: str, pipeline: str, **kwargs: Any) -> Run:
        if self._runner is not None:
            return self._runner(project, pipeline, **kwargs)
        from mlops_desktop.app.runs import RunService

        return RunService(self.ws).run(project, pipeline, **kwargs)

    def _locate(self, project: str | int, pipeline: str | None) -> tuple[Project, PipelineInfo]:
        proj = self.ws.projects.get(project)
        if pipeline:
            return proj, self.ws.pipelines.get(proj.id, pipeline)
        infos = self.ws.pipelines.list(proj.id)
        if not infos:
            raise NotFoundError(f"project '{proj.name}' has no pipeline")
        return proj, infos[0]

    # ---------------------------------------------------------------- configuring
    def add_trigger(
        self,
        project: str | int,
        pipeline: str | None,
        type_: str,
        config: Mapping[str, Any] | None = None,
        *,
        enabled: bool = True,
        since: datetime | None = None,
    ) -> Trigger:
        """Add a trigger to a pipeline (config checked). It looks at what happens from
        ``since`` on (default now): alerts, approvals and ticks before it do not fire it."""
        proj, info = self._locate(project, pipeline)
        config = self._check_config(proj, type_, dict(config or {}))
        return self.store.add(
            proj.id,
            info.id,
            type_,
            config,
            enabled=enabled,
            state=self._initial_state(proj, type_, config, since or self.clock()),
        )

    def update_trigger(self, trigger_id: int, config: Mapping[str, Any]) -> Trigger:
        """Change a trigger's settings (checked as when adding). It looks at what happens
        from now on, as a new trigger would."""
        trig = self.store.get(trigger_id)
        if trig.declared:
            raise ConflictError(
                f"trigger #{trigger_id} is declared in the pipeline '{trig.pipeline_name}': "
                "edit the pipeline to change it"
            )
        proj = self.ws.projects.get(trig.project_id)
        config = self._check_config(proj, trig.type, dict(config))
        state = self._initial_state(proj, trig.type, config, self.clock())
        return self.store.update(trigger_id, config=config, state=state)

    def list_triggers(self, project: str | int, pipeline: str | None = None) -> list[Trigger]:
        proj = self.ws.projects.get(project)
        pipeline_id = self.ws.pipelines.get(proj.id, pipeline).id if pipeline else None
        return self.store.list(proj.id, pipeline_id)

    def set_enabled(self, trigger_id: int, enabled: bool) -> Trigger:
        return self.store.update(trigger_id, enabled=enabled)

    def remove_trigger(self, trigger_id: int) -> None:
        self.store.delete(trigger_id)

    def history(
        self, project: str | int, pipeline: str | None = None, limit: int | None = None
    ) -> list[TriggerEvent]:
        """Trigger events, newest first."""
        proj = self.ws.projects.get(project)
        pipeline_id = self.ws.pipelines.get(proj.id, pipeline).id if pipeline else None
        return self.store.events(proj.id, pipeline_id, limit)

    def sync_from_pipeline(self, project: str | int, pipeline: str | None = None) -> list[Trigger]:
        """Make the pipeline's triggers match ``meta["triggers"]`` of its latest version
        (triggers added by hand are kept). Returns the pipeline's triggers."""
        proj, info = self._locate(project, pipeline)
        document = self.ws.pipelines.latest(info.id).document
        declared = (document.get("meta") or {}).get(META_KEY) or []
        if isinstance(declared, list) and len(declared) > MAX_TRIGGERS_PER_PIPELINE:
            raise ConflictError(
                f"pipeline '{info.name}' declares {len(declared):,} triggers, more than the "
                f"limit of {MAX_TRIGGERS_PER_PIPELINE}; none of them is used"
            )
        wanted: list[tuple[str, dict[str, Any]]] = []
        where: dict[tuple[str, str], int] = {}  # (type, settings) -> index in the file
        refused: list[str] = []
        for index, entry in enumerate(declared if isinstance(declared, list) else []):
            if isinstance(entry, Mapping) and entry.get("type") in TRIGGER_TYPES:
                config = {k: v for k, v in entry.items() if k not in ("type", "enabled")}
                config["origin"] = ORIGIN_PIPELINE
                wanted.append((str(entry["type"]), config))
                where[(str(entry["type"]), canon(config))] = index
            else:
                refused.append(f"meta.triggers[{index}]: not a trigger of a known type")
        existing = [t for t in self.store.list(proj.id, info.id) if t.declared]
        keys = {(t, canon(c)) for t, c in wanted}
        for trig in existing:
            if (trig.type, canon(trig.config)) not in keys:
                self.store.delete(trig.id)
        have = {(t.type, canon(t.config)) for t in existing}
        for type_, config in wanted:
            if (type_, canon(config)) not in have:
                since = self._declared_since(info, type_, config)
                try:
                    self.add_trigger(proj.id, info.name, type_, config, since=since)
                except MlopsError as exc:  # e.g. a cron that never fires: not used
                    index = where.get((type_, canon(config)), 0)
                    refused.append(f"meta.triggers[{index}]: {exc}")
        if refused and self.refused.get(info.id) != refused:  # said once, not every pass
            log.warning("pipeline %s declares triggers that are not used: %s", info.name, refused)
        self.refused.pop(info.id, None)
        if refused:
            self.refused[info.id] = refused
        return self.store.list(proj.id, info.id)

    def _declared_since(
        self, info: PipelineInfo, type_: str, config: Mapping[str, Any]
    ) -> datetime:
        """When the pipeline document first declared this trigger (the oldest version of the
        unbroken run of versions, newest backwards, that declares it): what happened since
        then counts, even if the trigger row is written only now."""
        since = self.clock()
        wanted = (type_, canon(config))
        for version in sorted(self.ws.pipelines.versions(info.id), key=lambda v: -v.version):
            entries = (version.document.get("meta") or {}).get(META_KEY) or []
            keys = {
                (
                    str(e.get("type")),
                    canon(
                        {
                            **{k: v for k, v in e.items() if k not in ("type", "enabled")},
                            "origin": ORIGIN_PIPELINE,
                        }
                    ),
                )
                for e in entries
                if isinstance(e, Mapping)
            }
            if wanted not in keys:
                break
            since = min(since, version.created_at)
        return since

    def _check_config(self, proj: Project, type_: str, config: dict[str, Any]) -> dict[str, Any]:
        problems = trigger_problems(type_, config)
        if problems:
            raise ConflictError("; ".join(problems))
        if type_ == TriggerType.SCHEDULE:
            config["cron"] = str(config["cron"]).strip()
        elif type_ == TriggerType.DATA_ARRIVAL:
            folder = Path(str(config.get("folder") or "")).expanduser()
            if not str(config.get("folder") or "").strip() or not folder.is_dir():
                raise ConflictError(
                    f"the watched folder '{config.get('folder', '')}' does not exist"
                )
            config["folder"] = str(folder.absolute())
            config.setdefault("pattern", "*")
        elif type_ in (TriggerType.MONITOR_ALERT, TriggerType.REGISTRY_EVENT):
            source = config.get("source_pipeline")
            if source:
                self.ws.pipelines.get(proj.id, str(source))  # NotFoundError names it
            if type_ == TriggerType.REGISTRY_EVENT:
                event = config.setdefault("event", "approved")
                if event not in ("approved", "registered"):
                    raise ConflictError(
                        f"registry event '{event}' is not 'approved' or 'registered'"
                    )
        return config

    def _initial_state(
        self, proj: Project, type_: str, config: Mapping[str, Any], since: datetime
    ) -> dict[str, Any]:
        """The cursor of a new trigger: everything up to ``since`` counts as seen."""
        if type_ == TriggerType.SCHEDULE:
            return {"last_tick": since.isoformat()}
        if type_ == TriggerType.DATA_ARRIVAL:
            return {"seen": snapshot(config)}
        if type_ == TriggerType.MONITOR_ALERT:
            before = [a.id for a in self.store.alerts(proj.id) if a.created_at < since]
            return {"last_alert_id": max(before, default=0)}
        if type_ == TriggerType.REGISTRY_EVENT:
            approvals = [a.id for a, _ in self.registry.approvals(proj.id) if a.created_at < since]
            versions = [
                v.id
                for m in self.registry.models(proj.id)
                for v in self.registry.versions(proj.id, m.name)
                if v.created_at < since
            ]
            return {
                "last_approval_id": max(approvals, default=0),
                "last_version_id": max(versions, default=0),
            }
        return {}

    # ---------------------------------------------------------------- firing
    def fire(
        self,
        project: str | int,
        pipeline: str | None = None,
        type_: str = TriggerType.MANUAL.value,
        *,
        detail: Mapping[str, Any] | None = None,
        trigger: Trigger | None = None,
        environment: str | None = None,
    ) -> TriggerEvent:
        """Fire now: run the pipeline (waiting for it), or queue/coalesce when it is busy."""
        proj, info = self._locate(project, pipeline)
        self.sync_from_pipeline(proj.id, info.name)
        return self._fire(Firing(trigger, proj, info, type_, dict(detail or {})), environment)

    def _fire(
        self, firing: Firing, environment: str | None = None, coalesce: Sequence[Firing] = ()
    ) -> TriggerEvent:
        proj, info = firing.project, firing.pipeline
        trig_id = firing.trigger.id if firing.trigger else None
        if self._busy(info):
            waiting = self.store.pending(info.id)
            if waiting:
                event = self.store.record_event(
                    proj.id,
                    info.id,
                    firing.type,
                    TriggerOutcome.COALESCED.value,
                    trigger_id=trig_id,
                    coalesced_into=waiting[0].id,
                    detail=firing.detail,
                )
            else:
                event = self.store.record_event(
                    proj.id,
                    info.id,
                    firing.type,
                    TriggerOutcome.QUEUED.value,
                    trigger_id=trig_id,
                    detail=firing.detail,
                )
            self._record_coalesced(coalesce, event)
            # The holder may have finished between our check and our write, after its last
            # look at the queue: if the pipeline is free now, run what waits ourselves.
            if event.outcome == TriggerOutcome.QUEUED and not self._busy(info):
                try:
                    self._drain(proj, info, event)
                finally:
                    self.store.release(info.id)
                return self.store.event(event.id)
            return event
        try:
            if firing.type == TriggerType.MONITOR_ALERT and not self._force_all(firing):
                from mlops_desktop.app.learning_inputs import nothing_new

                unchanged = nothing_new(self.ws, info)
                if unchanged is not None:
                    skipped = self.store.record_event(
                        proj.id,
                        info.id,
                        firing.type,
                        TriggerOutcome.SKIPPED.value,
                        trigger_id=trig_id,
                        detail={**firing.detail, **unchanged},
                    )
                    self._record_coalesced(coalesce, skipped)
                    return skipped
            event = self.store.record_event(
                proj.id,
                info.id,
                firing.type,
                TriggerOutcome.STARTED.value,
                trigger_id=trig_id,
                detail=firing.detail,
            )
            joined = self._record_coalesced(coalesce, event)
            self._run_claimed(proj, info, firing.type, [event.id, *joined], environment, firing)
            return self._drain(proj, info, event)
        finally:
            self.store.release(info.id)

    def _busy(self, info: PipelineInfo) -> bool:
        """True when someone runs the pipeline; else it is now claimed by this process."""
        if not self.store.claim(info.id):
            return True
        active = [r for r in self.ws.runs.list(info.project_id, info.id, 20) if r.status in ACTIVE]
        if active:
            self.store.release(info.id)
            return True
        return False

    def _record_coalesced(self, firings: Sequence[Firing], into: TriggerEvent) -> list[int]:
        ids = []
        for other in firings:
            ids.append(
                self.store.record_event(
                    other.project.id,
                    other.pipeline.id,
                    other.type,
                    TriggerOutcome.COALESCED.value,
                    trigger_id=other.trigger.id if other.trigger else None,
                    coalesced_into=into.id,
                    run_id=into.run_id,
                    detail=other.detail,
                ).id
            )
        return ids

    def _run_claimed(
        self,
        proj: Project,
        info: PipelineInfo,
        type_: str,
        event_ids: list[int],
        environment: str | None,
        firing: Firing | None,
    ) -> None:
        """Run the claimed pipeline; a failure to start is recorded on the events."""
        link = LinkListener(self.store, event_ids)
        env = environment or self._environment(info, firing)
        try:
            self._run(
                proj.name,
                info.name,
                trigger=type_,
                environment=env,
                listener=Tee(link, self.listener),
                force=self._force(type_, firing),
            )
        except Exception as exc:  # noqa: BLE001 - recorded; the scheduler loop goes on
            message = str(exc) if isinstance(exc, MlopsError) else f"{type(exc).__name__}: {exc}"
            for event_id in event_ids:
                if link.run_id is None:
                    self.store.set_event_run(event_id, None, TriggerOutcome.FAILED.value)
                self.store.annotate(event_id, {"error": message})

    def _drain(self, proj: Project, info: PipelineInfo, event: TriggerEvent) -> TriggerEvent:
        """Run what was queued for this pipeline while it was busy (one run for all of
        them), while this process still holds the claim. Returns ``event`` refreshed."""
        for _ in range(100):  # bounded: each pass runs the pipeline once
            waiting = self.store.pending(info.id)
            if not waiting:
                break
            first = waiting[0]
            self._run_claimed(proj, info, first.type, [e.id for e in waiting], None, None)
        return self.store.event(event.id)

    @staticmethod
    def _force(type_: str, firing: Firing | None) -> bool:
        """Whether the run recomputes every stage: a monitor alert asks for a retraining,
        which the cache must not answer with the model trained before the drift."""
        if firing is not None and firing.trigger is not None and "force" in firing.trigger.config:
            return bool(firing.trigger.config["force"])
        return type_ == TriggerType.MONITOR_ALERT

    @staticmethod
    def _force_all(firing: Firing) -> bool:
        """A trigger configured with ``retrain_unchanged: true`` retrains even when nothing
        it learns from changed."""
        return bool(firing.trigger is not None and firing.trigger.config.get("retrain_unchanged"))

    def _environment(self, info: PipelineInfo, firing: Firing | None) -> str:
        if firing is not None and firing.trigger is not None:
            env = firing.trigger.config.get("environment")
            if env:
                return str(env)
        document = self.ws.pipelines.latest(info.id).document
        return str((document.get("meta") or {}).get("environment") or "dev")

    # ---------------------------------------------------------------- the loop
    def due(self, now: datetime | None = None) -> list[Firing]:
        """Every trigger that is due, with its cursor advanced (so it fires once).

        Each trigger is looked at on its own: one that cannot be checked is marked broken
        (its state keeps the error, shown in the Triggers panel) and the others go on.
        Advancing a cursor is a compare-and-set, so of two schedulers looking at the same
        tick only one fires it."""
        now = now or self.clock()
        firings: list[Firing] = []
        for proj in self.ws.projects.list():
            infos = {i.id: i for i in self.ws.pipelines.list(proj.id)}
            for listed in infos.values():
                try:
                    self.sync_from_pipeline(proj.id, listed.name)
                except Exception:  # noqa: BLE001 - a broken document must not stop the loop
                    log.warning("cannot read the triggers of %s/%s", proj.name, listed.name)
            for trig in self.store.list(proj.id, enabled_only=True):
                info = infos.get(trig.pipeline_id)
                if info is None:
                    continue
                try:
                    firing = self._due_one(trig, proj, info, infos, now)
                except Exception as exc:  # noqa: BLE001 - isolate each trigger
                    self._mark_broken(trig, exc, now)
                    continue
                if firing is not None:
                    firings.append(firing)
        return firings

    def _due_one(
        self,
        trig: Trigger,
        proj: Project,
        info: PipelineInfo,
        infos: Mapping[int, PipelineInfo],
        now: datetime,
    ) -> Firing | None:
        if cooling_down(trig, now):
            return None
        detail, state = self._check(trig, proj, info, infos, now)
        if detail is not None:
            state = {**(state or trig.state), "last_fired": now.isoformat()}
        if state is not None:
            state.pop(BROKEN_KEY, None)
            if not self.store.advance(trig.id, trig.state, state):
                return None  # another scheduler advanced this cursor first: it fires
        if detail is None:
            return None
        return Firing(trig, proj, info, trig.type, detail)

    def _mark_broken(self, trig: Trigger, exc: Exception, now: datetime) -> None:
        message = str(exc) if isinstance(exc, MlopsError) else f"{type(exc).__name__}: {exc}"
        log.warning("trigger #%s is broken: %s", trig.id, message)
        if trig.state.get(BROKEN_KEY, {}).get("error") == message:
            return
        try:
            state = {**trig.state, BROKEN_KEY: {"error": message, "at": now.isoformat()}}
            self.store.advance(trig.id, trig.state, state)
        except Exception:  # noqa: BLE001 - the mark is best effort; the loop goes on
            log.warning("cannot mark trigger #%s as broken", trig.id, exc_info=True)

    def run_due(self, now: datetime | None = None) -> list[TriggerEvent]:
        """One pass of the scheduler: fire what is due (due firings of one pipeline coalesce
        into one run), then run what was queued. Returns the events recorded."""
        events: list[TriggerEvent] = []
        by_pipeline: dict[int, list[Firing]] = {}
        for firing in self.due(now):
            by_pipeline.setdefault(firing.pipeline.id, []).append(firing)
        for firings in by_pipeline.values():
            first, rest = firings[0], firings[1:]
            events.append(self._fire(first, coalesce=rest))
        for proj in self.ws.projects.list():
            for info in self.ws.pipelines.list(proj.id):
                if self.store.pending(info.id) and not self._busy(info):
                    try:
                        self._drain(proj, info, self.store.pending(info.id)[0])
                    finally:
                        self.store.release(info.id)
        return events

    def _check(
        self,
        trig: Trigger,
        proj: Project,
        info: PipelineInfo,
        infos: Mapping[int, PipelineInfo],
        now: datetime,
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """``(detail if due else None, new state or None)`` for one trigger."""
        if trig.type == TriggerType.SCHEDULE:
            return check_schedule(trig, now)
        if trig.type == TriggerType.DATA_ARRIVAL:
            return check_folder(trig)
        if trig.type == TriggerType.MONITOR_ALERT:
            return self._check_alerts(trig, proj, info, infos)
        if trig.type == TriggerType.REGISTRY_EVENT:
            return self._check_registry(trig, proj, infos)
        return None, None

    def _source_id(
        self, trig: Trigger, info: PipelineInfo, infos: Mapping[int, PipelineInfo]
    ) -> int | None:
        name = trig.config.get("source_pipeline")
        if not name:
            return info.id if trig.type == TriggerType.MONITOR_ALERT else None
        return next((i.id for i in infos.values() if i.name == name), -1)

    def _check_alerts(
        self, trig: Trigger, proj: Project, info: PipelineInfo, infos: Mapping[int, PipelineInfo]
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        last = int(trig.state.get("last_alert_id", 0))
        alerts = self.store.alerts(proj.id, after_id=last)
        if not alerts:
            return None, None
        source = self._source_id(trig, info, infos)
        node = trig.config.get("source_node")
        hits = [
            a
            for a in alerts
            if (source is None or a.pipeline_id == source) and (not node or a.node_id == node)
        ]
        state = {**trig.state, "last_alert_id": alerts[-1].id}
        if not hits:
            return None, state
        detail = {
            "alert_ids": [a.id for a in hits],
            "alert_runs": [a.run_id for a in hits],
            "message": hits[0].message,
            "kind": hits[0].kind,
        }
        return detail, state

    def _check_registry(
        self, trig: Trigger, proj: Project, infos: Mapping[int, PipelineInfo]
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        model = trig.config.get("model")
        source = self._source_id(trig, infos[trig.pipeline_id], infos)
        if trig.config.get("event", "approved") == "registered":
            last = int(trig.state.get("last_version_id", 0))
            versions = [
                v
                for m in self.registry.models(proj.id)
                for v in self.registry.versions(proj.id, m.name)
                if v.id > last
            ]
            if not versions:
                return None, None
            state = {**trig.state, "last_version_id": max(v.id for v in versions)}
            hits = [
                v
                for v in versions
                if (not model or v.model_name == model) and self._from_pipeline(v.run_id, source)
            ]
            detail = {"versions": [v.label for v in sorted(hits, key=lambda v: v.id)]}
            return (detail if hits else None), state
        last = int(trig.state.get("last_approval_id", 0))
        approvals = self.registry.approvals(proj.id, after_id=last)
        if not approvals:
            return None, None
        state = {**trig.state, "last_approval_id": approvals[-1][0].id}
        approved = [
            (a, v)
            for a, v in approvals
            if a.decision == "approved"
            and (not model or v.model_name == model)
            and self._from_pipeline(v.run_id, source)
        ]
        detail = {
            "versions": [v.label for _, v in approved],
            "approvers": [a.approver for a, _ in approved],
        }
        return (detail if approved else None), state

    def _from_pipeline(self, run_id: int | None, pipeline_id: int | None) -> bool:
        if pipeline_id is None:
            return True
        if run_id is None:
            return False
        try:
            return self.ws.runs.get(run_id).pipeline_id == pipeline_id
        except NotFoundError:
            return False
