"""The model registry service: register, promote, roll back, approve, deploy and list.

:class:`RegistryService` is what the GUI's Models panel and the ``models`` command call (by
project name). :class:`RunOperations` is the same registry seen from a running pipeline: the
operate stages reach it as ``ctx.services["registry"]`` (it implements
:class:`mlops_desktop.core.operate_entities.OperateBackend`) and name their run by id; it
records the run, its pipeline version and its trigger on everything it writes.
:func:`operate_services` builds the services mapping a :class:`~mlops_desktop.engine.scheduler.Scheduler`
gets. Every change is one transaction: a failure half-way leaves the previous state.
"""

from __future__ import annotations

import copy
import getpass
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_desktop.core.entities import Project, Run
from mlops_desktop.core.errors import ConflictError, NotFoundError
from mlops_desktop.core.operate_entities import (
    STRATEGIES,
    AliasTransition,
    Approval,
    ApprovalProvider,
    Deployment,
    ModelVersion,
    MonitorAlert,
    RegisteredModel,
)
from mlops_desktop.storage.deployments import DeploymentStore
from mlops_desktop.storage.registry import RegistryStore
from mlops_desktop.storage.triggers import TriggerStore

if TYPE_CHECKING:
    from mlops_desktop.app.workspace import Workspace

PACKAGES_FOLDER = "packages"


def current_user() -> str:
    """The name of the person using the app (for approvals and the alias history)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        return "user"


class RegistryService:
    """The model registry of a workspace, by project name."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    @cached_property
    def store(self) -> RegistryStore:
        return RegistryStore(self.workspace.db)

    @cached_property
    def deployment_store(self) -> DeploymentStore:
        return DeploymentStore(self.workspace.db)

    def _project(self, project: str | int) -> Project:
        return self.workspace.projects.get(project)

    # ---------------------------------------------------------------- reading
    def list_models(self, project: str | int) -> list[RegisteredModel]:
        return self.store.models(self._project(project).id)

    def versions(self, project: str | int, model: str) -> list[ModelVersion]:
        """Versions of ``model``, newest first."""
        return self.store.versions(self._project(project).id, model)

    def version(self, project: str | int, model: str, version: int) -> ModelVersion:
        return self.store.version(self._project(project).id, model, version)

    def history(
        self, project: str | int, model: str | None = None, alias: str | None = None
    ) -> list[AliasTransition]:
        """Alias transitions, oldest first."""
        return self.store.history(self._project(project).id, model, alias)

    def deployments(self, project: str | int, environment: str | None = None) -> list[Deployment]:
        """Deployments, newest first."""
        return self.deployment_store.list(self._project(project).id, environment)

    def active_deployments(self, project: str | int, environment: str) -> list[Deployment]:
        return self.deployment_store.active(self._project(project).id, environment)

    def summary(self, project: str | int) -> dict[str, Any]:
        """Everything about a project's models as plain JSON-able data (for ``--json``)."""
        proj = self._project(project)
        models = []
        for model in self.store.models(proj.id):
            versions = self.store.versions(proj.id, model.name)
            models.append(
                {
                    "name": model.name,
                    "latest_version": model.latest_version,
                    "aliases": model.aliases,
                    "versions": [_version_dict(v) for v in versions],
                    "history": [
                        _transition_dict(t) for t in self.store.history(proj.id, model.name)
                    ],
                }
            )
        listed = self.deployment_store.list(proj.id)
        shares = serving_shares(listed)
        deployments = [
            {**_deployment_dict(d), "serving_share": shares.get(d.id, 0.0)} for d in listed
        ]
        return {"project": proj.name, "models": models, "deployments": deployments}

    def run_numbers(self, project: str | int) -> dict[int, int]:
        """Run id -> its number in ``project`` (runs that registered or moved versions are
        named ``#number`` as everywhere in the app)."""
        return self.workspace.runs.numbers(self._project(project).id)

    def served_at(self, project: str | int, when: datetime) -> list[dict[str, Any]]:
        """What served each environment at ``when``, from the append-only history: the
        deployment (strategy, share, approver, the run and its trigger) and the alias
        transition that put the version there (who or what, and why)."""
        proj = self._project(project)
        numbers = self.workspace.runs.numbers(proj.id)
        out = []
        for dep in self.deployment_store.active_at(proj.id, when):
            moves = [
                t
                for t in self.store.history(proj.id, dep.model_name, dep.environment)
                if t.created_at <= when and t.to_version == dep.version
            ]
            run = self.workspace.runs.get(dep.run_id) if dep.run_id else None
            move = moves[-1] if moves else None
            out.append(
                {
                    **_deployment_dict(dep),
                    "run_number": numbers.get(dep.run_id) if dep.run_id else None,
                    "run_trigger": run.trigger if run else None,
                    "alias_actor": move.actor if move else None,
                    "alias_by": actor_label(move.actor, numbers) if move else None,
                    "alias_reason": move.reason if move else None,
                    "alias_at": move.created_at.isoformat() if move else None,
                }
            )
        return out

    # ---------------------------------------------------------------- changing
    def register(self, project: str | int, model: str, **fields: Any) -> ModelVersion:
        """Register the next version of ``model`` (see :meth:`RegistryStore.register`)."""
        fields.setdefault("actor", current_user())
        return self.store.register(self._project(project).id, model, **fields)

    def promote(
        self,
        project: str | int,
        model: str,
        version: int,
        alias: str,
        *,
        actor: str | None = None,
        reason: str = "",
    ) -> AliasTransition:
        """Give ``alias`` to ``version``; a deployment serving the alias' environment follows."""
        return self.deployment_store.promote_alias(
            self._project(project).id,
            model,
            version,
            alias,
            actor=actor or current_user(),
            reason=reason,
        )

    def promote_canary(
        self, project: str | int, environment: str, *, actor: str | None = None, reason: str = ""
    ) -> Deployment:
        """Make the canary serving ``environment`` its primary (one action, in the history)."""
        return self.deployment_store.promote_canary(
            self._project(project).id, environment, actor=actor or current_user(), reason=reason
        )

    def rollback(
        self,
        project: str | int,
        model: str,
        alias: str,
        *,
        actor: str | None = None,
        reason: str = "",
    ) -> AliasTransition:
        """Give ``alias`` back to the version that held it before (one action)."""
        return self.deployment_store.rollback_alias(
            self._project(project).id, model, alias, actor=actor or current_user(), reason=reason
        )

    def approve(
        self,
        project: str | int,
        model: str,
        version: int,
        approved: bool,
        *,
        approver: str | None = None,
        comment: str = "",
    ) -> Approval:
        mv = self.store.version(self._project(project).id, model, version)
        return self.store.record_approval(mv.id, approved, approver or current_user(), comment)

    def deploy(
        self,
        project: str | int,
        model: str,
        version: int,
        environment: str,
        strategy: str = "direct",
        traffic_share: float = 1.0,
        *,
        approver: str | None = None,
    ) -> Deployment:
        proj = self._project(project)
        mv = self.store.version(proj.id, model, version)
        user = approver or current_user()
        return self.deployment_store.deploy(
            proj.id, mv.id, environment, strategy, traffic_share, approver=user, actor=user
        )


class RunOperations:
    """The registry as the operate stages of a run see it (``ctx.services["registry"]``).

    A stage reaches it through :meth:`for_stage`, so each registration, approval and
    deployment is noted against its run and stage: :meth:`undo` takes back what a stage did
    when the stage did not succeed after all (its outputs could not be stored, it failed
    after the change). A rejection is never taken back: it only keeps a model out.
    """

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.registry = RegistryStore(workspace.db)
        self.deployments = DeploymentStore(workspace.db)
        self.triggers = TriggerStore(workspace.db)
        self.effects = RunEffects()
        self.node_id = ""

    def for_stage(self, node_id: str) -> RunOperations:
        """This service for the stage ``node_id`` (what it changes is noted against it)."""
        bound = copy.copy(self)
        bound.node_id = node_id
        return bound

    def undo(self, run_id: int, node_ids: Iterable[str] | None = None) -> list[str]:
        """Take back the registrations, approvals and deployments the stages ``node_ids``
        (None: every stage) of run ``run_id`` made, newest first; forget the run's other
        changes (they stand). One line per change taken back. When a write fails (a full
        disk), what is not taken back yet is kept for another call, and the error raised."""
        done = self.effects.said(run_id)  # by a take-back that failed half-way
        pending = self.effects.take(run_id, node_ids)
        try:
            while pending:
                line = self._undo_one(run_id, *pending[0])
                pending.pop(0)
                if line:
                    done.append(line)
        except Exception:
            self.effects.keep(run_id, pending, done)
            raise
        return done

    def _undo_one(self, run_id: int, kind: str, ident: int) -> str:
        reason = f"run #{run_id} failed after this change; taken back"
        if kind == "approval":
            label = self.registry.take_back_approval(ident, run_id)
            return f"approval of {label} taken back" if label else ""
        if kind == "deployment":
            deployment = self.deployments.get(ident)
            if self.deployments.undo(ident, actor="mlops-desktop", reason=reason, run_id=run_id):
                return (
                    f"deployment of {deployment.model_name} v{deployment.version} to "
                    f"{deployment.environment} rolled back"
                )
            return ""
        label = self.registry.withdraw(ident, actor="mlops-desktop", reason=reason, run_id=run_id)
        return f"{label} withdrawn from the registry" if label else ""

    def _run(self, run_id: int) -> Run:
        return self.workspace.runs.get(run_id)

    @staticmethod
    def actor(run: Run) -> str:
        """Who acts when a run changes the registry: the trigger that started it, or the
        person who started it by hand."""
        if run.trigger and run.trigger != "manual":
            return f"trigger:{run.trigger}"
        return current_user()

    def register_version(
        self,
        run_id: int,
        model_name: str,
        *,
        artifact_digest: str,
        params: Mapping[str, Any],
        metrics: Mapping[str, float],
        dataset_hashes: Mapping[str, str],
        task: str,
        feature_names: list[str],
        alias: str | None,
    ) -> ModelVersion:
        run = self._run(run_id)
        hashes = {**run.input_hashes, **dataset_hashes}
        version = self.registry.register(
            run.project_id,
            model_name,
            run_id=run.id,
            pipeline_version_id=run.pipeline_version_id,
            dataset_hashes=hashes,
            params=params,
            metrics=metrics,
            artifact_digest=artifact_digest,
            task=task,
            feature_names=feature_names,
            alias=alias,
            actor=self.actor(run),
            reason=f"registered by run {run.label}",
        )
        self.effects.note(run_id, self.node_id, "version", version.id)
        return version

    def version_by_alias(self, run_id: int, model_name: str, alias: str) -> ModelVersion | None:
        return self.registry.version_by_alias(self._run(run_id).project_id, model_name, alias)

    def version_by_id(self, version_id: int) -> ModelVersion:
        return self.registry.version_by_id(version_id)

    def select_version(
        self, run_id: int, model_name: str, select: str, alias: str, version: int
    ) -> ModelVersion | None:
        """The version a Registered model stage asks for (None when there is none)."""
        project_id = self._run(run_id).project_id
        if select == "alias":
            return self.registry.version_by_alias(project_id, model_name, alias)
        try:
            versions = self.registry.versions(project_id, model_name)  # newest first
        except NotFoundError:
            return None
        if select == "version":
            return next((v for v in versions if v.version == version), None)
        if select == "latest_approved":
            return next((v for v in versions if v.approval == "approved"), None)
        return versions[0] if versions else None

    def active_deployment(self, run_id: int, environment: str) -> Deployment | None:
        active = self.deployments.active(self._run(run_id).project_id, environment)
        return next((d for d in active if d.strategy == "direct"), None)

    def serving(self, run_id: int, environment: str) -> list[Deployment]:
        """What served ``environment`` when the run started (primary first): a Serve stage
        with no deployment link serves this, whatever the run itself deploys."""
        run = self._run(run_id)
        at = run.started_at or run.created_at
        return self.deployments.active_at(run.project_id, at, environment)

    def reference_metric(self, run_id: int, key: str, where: Mapping[str, float]) -> Any:
        """``(run id, value, run label)`` of ``key`` in the earliest earlier run of the same
        pipeline whose metrics equal ``where`` (e.g. the first run that served a version), or
        None. The label (``#3``) is how people name that run."""
        run = self._run(run_id)
        runs = {r.id: r for r in self.workspace.runs.list(run.project_id, run.pipeline_id, 500)}
        earlier = sorted(r for r in runs if r < run_id)
        latest = self.workspace.metrics.latest_many(earlier, [key, *where])
        for rid in earlier:
            values = latest.get(rid, {})
            if key in values and all(values.get(k) == v for k, v in where.items()):
                return rid, float(values[key]), runs[rid].label
        return None

    def served_batches(
        self, run_id: int, node_id: str, delay_runs: int, window_runs: int
    ) -> list[tuple[int, Any]]:
        """``(run id, predictions frame)`` of the rows the stage ``node_id`` served in earlier
        runs of the same pipeline whose labels have arrived: the runs at least
        ``delay_runs`` runs old (counting this one), newest first, at most ``window_runs``
        of them (0: all) among those that served labelled rows."""
        from mlops_desktop.app.runs import RunService

        run = self._run(run_id)
        earlier = [
            r
            for r in self.workspace.runs.list(run.project_id, run.pipeline_id, 500)
            if r.id < run_id and r.status.finished
        ]
        service = RunService(self.workspace)
        batches: list[tuple[int, Any]] = []
        for past in earlier[max(0, delay_runs - 1) :]:
            try:
                value = service.outputs(past.id, node_id).get("predictions")
            except NotFoundError:
                continue
            frame = getattr(value, "frame", None)
            if frame is None or "y_true" not in frame.columns or not len(frame):
                continue
            batches.append((past.id, frame))
            if window_runs and len(batches) >= window_runs:
                break
        return batches

    def judge_canary(self, run_id: int, environment: str, min_rows: int) -> dict[str, Any] | None:
        """Promote or roll back the canary serving ``environment`` once it answered
        ``min_rows`` labelled rows (see :mod:`mlops_desktop.app.canary`)."""
        from mlops_desktop.app.canary import judge_canary

        return judge_canary(self, run_id, self.node_id, environment, min_rows)

    def model_bytes(self, version: ModelVersion) -> bytes:
        if not version.artifact_digest or not self.workspace.artifacts.exists(
            version.artifact_digest
        ):
            raise NotFoundError(f"the model file of {version.label} is missing from the workspace")
        return self.workspace.artifacts.read_bytes(version.artifact_digest)

    def load_estimator(self, version: ModelVersion) -> Any:
        """The fitted estimator of ``version`` (skops, trusted types only)."""
        from mlops_desktop.engine.serialize import load_estimator

        return load_estimator(self.model_bytes(version))

    def record_approval(
        self, run_id: int, version_id: int, approved: bool, approver: str, comment: str
    ) -> Approval:
        approval = self.registry.record_approval(
            version_id, approved, approver, comment, run_id=run_id
        )
        if approved:  # a rejection only keeps a model out: it stands whatever follows
            self.effects.note(run_id, self.node_id, "approval", approval.id)
        return approval

    def deploy(
        self,
        run_id: int,
        version_id: int,
        environment: str,
        strategy: str,
        traffic_share: float,
        approver: str,
    ) -> Deployment:
        if strategy not in STRATEGIES:
            raise ConflictError(f"unknown deployment strategy '{strategy}'")
        run = self._run(run_id)
        deployment = self.deployments.deploy(
            run.project_id,
            version_id,
            environment,
            strategy,
            traffic_share,
            approver=approver,
            actor=self.actor(run),
            run_id=run.id,
        )
        self.effects.note(run_id, self.node_id, "deployment", deployment.id)
        return deployment

    def record_alert(
        self, run_id: int, node_id: str, kind: str, message: str, details: Mapping[str, Any]
    ) -> MonitorAlert:
        run = self._run(run_id)
        return self.triggers.record_alert(
            run.project_id,
            kind,
            message,
            pipeline_id=run.pipeline_id,
            run_id=run.id,
            node_id=node_id,
            details=details,
        )

    def next_counter(self, run_id: int, key: str) -> int:
        run = self._run(run_id)
        return self.triggers.next_counter(run.project_id, f"pipeline:{run.pipeline_id}:{key}")

    def package_folder(self, run_id: int, model_name: str, version: int) -> str:
        """Where a package is written when its stage names no folder."""
        base = self.workspace.artifacts_dir.parent / PACKAGES_FOLDER
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in model_name)
        return str(Path(base) / f"{safe}-v{version}")


class RunEffects:
    """The registrations, approvals and deployments of running pipelines, by run and stage,
    in order (thread-safe: stages note from worker threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done: dict[int, list[tuple[str, str, int]]] = {}
        self._said: dict[int, list[str]] = {}

    def note(self, run_id: int, node_id: str, kind: str, ident: int) -> None:
        with self._lock:
            self._done.setdefault(run_id, []).append((node_id, kind, ident))

    def take(self, run_id: int, node_ids: Iterable[str] | None) -> list[tuple[str, int]]:
        """The changes of ``node_ids`` (None: all) newest first, and those kept back from a
        take-back that failed; the run is forgotten."""
        wanted = None if node_ids is None else set(node_ids)
        with self._lock:
            done = self._done.pop(run_id, [])
        return [(k, i) for n, k, i in reversed(done) if wanted is None or n in wanted or n == _KEPT]

    def keep(self, run_id: int, pending: list[tuple[str, int]], said: list[str]) -> None:
        """Keep changes (newest first) a take-back could not finish, for the next take, and
        the lines of those it did take back."""
        with self._lock:
            self._done.setdefault(run_id, []).extend((_KEPT, k, i) for k, i in reversed(pending))
            self._said[run_id] = list(said)

    def said(self, run_id: int) -> list[str]:
        """The lines of a take-back that failed half-way (then forgotten)."""
        with self._lock:
            return self._said.pop(run_id, [])


_KEPT = "\0kept"  # the stage of changes kept back from a failed take-back: always taken


def operate_services(
    workspace: Workspace, approvals: ApprovalProvider | None = None
) -> dict[str, Any]:
    """The services the operate stages use, for a scheduler's ``services`` mapping."""
    services: dict[str, Any] = {"registry": RunOperations(workspace)}
    if approvals is not None:
        services["approvals"] = approvals
    return services


# ---------------------------------------------------------------------------- JSON views
def _version_dict(v: ModelVersion) -> dict[str, Any]:
    return {
        "version": v.version,
        "aliases": list(v.aliases),
        "created_at": v.created_at.isoformat(),
        "run_id": v.run_id,
        "pipeline_version_id": v.pipeline_version_id,
        "dataset_hashes": v.dataset_hashes,
        "params": v.params,
        "metrics": v.metrics,
        "artifact_digest": v.artifact_digest,
        "task": v.task,
        "approval": v.approval,
        "approver": v.approver,
    }


def _transition_dict(t: AliasTransition) -> dict[str, Any]:
    return {
        "alias": t.alias,
        "from_version": t.from_version,
        "to_version": t.to_version,
        "actor": t.actor,
        "reason": t.reason,
        "run_id": t.run_id,
        "at": t.created_at.isoformat(),
    }


def serving_shares(deployments: Sequence[Deployment]) -> dict[int, float]:
    """Deployment id -> the share of its environment's rows it answers now: a canary its
    traffic share, the primary beside it the rest, a shadow none (it scores beside the
    primary, whose answers are served); ended deployments answer nothing."""
    active = [d for d in deployments if d.status == "active"]
    out: dict[int, float] = {}
    for d in active:
        if d.strategy == "direct":
            canaries = [c for c in active if c.environment == d.environment]
            taken = sum(c.traffic_share for c in canaries if c.strategy == "canary")
            out[d.id] = max(0.0, 1.0 - taken)
        else:
            out[d.id] = d.traffic_share if d.strategy == "canary" else 0.0
    return out


def actor_label(actor: str, numbers: dict[int, int]) -> str:
    """An actor as people read it: ``run:<id>`` names the run by its number in the project."""
    kind, _, rest = actor.partition(":")
    if kind == "run" and rest.isdigit() and int(rest) in numbers:
        return f"run #{numbers[int(rest)]}"
    return actor


def _deployment_dict(d: Deployment) -> dict[str, Any]:
    return {
        "id": d.id,
        "model": d.model_name,
        "version": d.version,
        "environment": d.environment,
        "strategy": d.strategy,
        "traffic_share": d.traffic_share,
        "approver": d.approver,
        "status": d.status,
        "previous_version": d.previous_version,
        "run_id": d.run_id,
        "at": d.created_at.isoformat(),
    }
