"""Runs to and from an MLflow tracking store, so a team keeps the MLflow UI it knows.

:func:`export_runs` logs a project's finished runs to an MLflow experiment (named after
the project unless told otherwise): parameters as ``<stage title>.<parameter>``, every
metric point with its step and time, tags (trigger, environment, status, pipeline and its
version) and each trained model as its skops file (an artifact; never a pickle).
Exporting again skips runs already there (tag ``mlops_desktop.run_uid``).

:func:`import_runs` brings MLflow runs (parameters, metric histories, tags) into a project
as runs with trigger ``mlflow_import`` under a pipeline named :data:`IMPORT_PIPELINE`,
each with one ``train`` stage record, so they plot, compare and count as tracked training
runs in the maturity assessment. Importing again skips runs already imported (the MLflow
run id is kept in the run's parameters and in the settings key ``mlflow_imports.<id>``).

MLflow is an optional extra, imported only here and only when called.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import tempfile
import uuid
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_desktop.core.entities import Run, RunStatus, StageRun, StageStatus
from mlops_desktop.core.errors import MlopsError, NotFoundError

if TYPE_CHECKING:
    from mlops_desktop.app.workspace import Workspace

TRIGGER = "mlflow_import"
IMPORT_PIPELINE = "MLflow runs"
TAG = "mlops_desktop."
UID_SETTING = "workspace_uid"
BATCH = 1000  # MLflow's limit of metrics per log_batch call
PARAM_BATCH = 100  # and of params or tags

STATUS_TO_MLFLOW = {
    RunStatus.SUCCEEDED: "FINISHED",
    RunStatus.FAILED: "FAILED",
    RunStatus.CANCELLED: "KILLED",
    RunStatus.INTERRUPTED: "KILLED",
}
STATUS_FROM_MLFLOW = {
    "FINISHED": RunStatus.SUCCEEDED,
    "FAILED": RunStatus.FAILED,
    "KILLED": RunStatus.CANCELLED,
}


class MlflowMissingError(MlopsError):
    """The optional ``mlflow`` package is not installed."""


@dataclass
class TransferResult:
    """What an export or import did."""

    copied: list[str] = field(default_factory=list)  # "local run id -> MLflow run id"
    skipped: int = 0
    experiment: str = ""

    def summary(self, verb: str) -> str:
        return (
            f"{verb} {len(self.copied)} run(s), skipped {self.skipped} already there "
            f"(experiment '{self.experiment}')"
        )


def _client(tracking_uri: str) -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # MLflow's own deprecation noise at import
            from mlflow.tracking import MlflowClient
    except ImportError:
        raise MlflowMissingError(
            "MLflow is not installed: pip install 'mlops-desktop[mlflow]'"
        ) from None
    if not tracking_uri.strip():
        raise MlopsError(
            "give an MLflow tracking URI, e.g. sqlite:///mlflow.db or http://host:5000"
        )
    # MLflow retries an unreachable server for minutes by default; a few seconds will do
    # unless the user chose otherwise.
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")
    with _mlflow_errors(tracking_uri):
        client = MlflowClient(tracking_uri=tracking_uri)
        client.search_experiments(max_results=1)  # reach the store now: one clear error
    return client


@contextlib.contextmanager
def _mlflow_errors(tracking_uri: str) -> Iterator[None]:
    """MLflow's own errors (bad URI, unreachable server, refused store) as one clear line."""
    from mlflow.exceptions import MlflowException

    try:
        yield
    except MlflowException as exc:
        text = " ".join(str(exc.message if hasattr(exc, "message") else exc).split())
        raise MlopsError(f"MLflow at {tracking_uri}: {text}") from None


def workspace_uid(workspace: Workspace) -> str:
    """A random id naming this workspace in MLflow tags (created on first use)."""
    uid = workspace.settings.get(UID_SETTING)
    if not isinstance(uid, str) or not uid:
        uid = uuid.uuid4().hex
        workspace.settings.set(UID_SETTING, uid)
    return uid


_BAD = re.compile(r"[^\w.\- /]")


def mlflow_key(key: str) -> str:
    """``key`` made acceptable to MLflow (letters, digits, ``_ - . / space``, 250 chars)."""
    clean = _BAD.sub("_", key)
    clean = re.sub(r"/{2,}", "/", clean).strip("/") or "_"
    clean = re.sub(r"(^|/)\.+(?=/|$)", r"\1_", clean)  # no "." or ".." path parts
    return clean[:250]


# ------------------------------------------------------------------------------ export
def export_runs(
    workspace: Workspace,
    project: str,
    tracking_uri: str,
    *,
    experiment: str | None = None,
    artifact_location: str | None = None,
) -> TransferResult:
    """Log every finished run of ``project`` to MLflow; returns what was copied."""
    client = _client(tracking_uri)
    if artifact_location is None:
        artifact_location = default_artifact_location(tracking_uri)
    with _mlflow_errors(tracking_uri):
        return _export(workspace, client, project, experiment, artifact_location)


def default_artifact_location(tracking_uri: str) -> str | None:
    """For a local SQLite store, artifacts go beside the database file (MLflow's own default
    is ``./mlruns`` in whatever folder the command happens to run in)."""
    prefix = "sqlite:///"
    if not tracking_uri.startswith(prefix):
        return None
    path = tracking_uri[len(prefix) :].split("?", 1)[0]  # "/abs/x.db" or "relative/x.db"
    if not path or path == ":memory:":
        return None
    from pathlib import Path

    return (Path(path).resolve().parent / "mlruns").as_uri()


def _export(
    workspace: Workspace,
    client: Any,
    project: str,
    experiment: str | None,
    artifact_location: str | None,
) -> TransferResult:
    proj = workspace.projects.get(project)
    name = experiment or proj.name
    exp = client.get_experiment_by_name(name)
    exp_id = exp.experiment_id if exp else client.create_experiment(name, artifact_location)
    uid = workspace_uid(workspace)
    result = TransferResult(experiment=name)
    pipelines = {p.id: p for p in workspace.pipelines.list(proj.id)}
    for run in reversed(workspace.runs.list(proj.id)):  # oldest first
        if not run.status.finished or run.trigger == TRIGGER:
            continue
        run_uid = f"{uid}:{run.id}"
        found = client.search_runs(
            [exp_id], filter_string=f"tags.`{TAG}run_uid` = '{run_uid}'", max_results=1
        )
        if found:
            result.skipped += 1
            continue
        full = workspace.runs.get(run.id)
        mlflow_id = _export_one(workspace, client, exp_id, full, run_uid, pipelines, proj.name)
        result.copied.append(f"{run.id} -> {mlflow_id}")
    return result


def _ms(moment: datetime | None) -> int | None:
    return int(moment.timestamp() * 1000) if moment else None


def _export_one(
    ws: Workspace,
    client: Any,
    exp_id: str,
    run: Run,
    run_uid: str,
    pipelines: dict[int, Any],
    project: str,
) -> str:
    from mlflow.entities import Metric, Param

    info = pipelines.get(run.pipeline_id)
    version = ws.pipelines.version(run.pipeline_version_id)
    keys = {k: mlflow_key(k) for k in ws.metrics.keys(run.id)}
    renamed = {v: k for k, v in keys.items() if v != k}
    tags = {
        f"{TAG}run_uid": run_uid,
        f"{TAG}run_id": str(run.id),
        f"{TAG}project": project,
        f"{TAG}pipeline": info.name if info else str(run.pipeline_id),
        f"{TAG}pipeline_version": str(version.version),
        f"{TAG}trigger": run.trigger,
        f"{TAG}environment": run.environment,
        f"{TAG}status": run.status.value,
        f"{TAG}executor": run.executor,
        f"{TAG}app_version": run.app_version,
        "mlflow.note.content": run.message,
    }
    if run.commit:
        tags["mlflow.source.git.commit"] = run.commit
    if renamed and len(json.dumps(renamed)) < 8000:
        tags[f"{TAG}metric_names"] = json.dumps(renamed, ensure_ascii=False)
    created = client.create_run(
        exp_id,
        start_time=_ms(run.started_at or run.created_at),
        tags=tags,
        run_name=f"{tags[f'{TAG}pipeline']} #{run.id}",
    )
    mlflow_id = created.info.run_id
    params = _flat_params(run.params)
    for chunk in _chunks([Param(k, v) for k, v in params.items()], PARAM_BATCH):
        client.log_batch(mlflow_id, params=chunk)
    points = (
        Metric(keys[key], float(v), int(t * 1000), int(s))
        for key in keys
        for s, v, t in zip(*ws.metrics.history(run.id, key), strict=True)
    )
    for chunk in _chunks(points, BATCH):
        client.log_batch(mlflow_id, metrics=chunk)
    _log_models(ws, client, mlflow_id, run)
    client.set_terminated(
        mlflow_id,
        status=STATUS_TO_MLFLOW.get(run.status, "FINISHED"),
        end_time=_ms(run.finished_at),
    )
    return mlflow_id


def _flat_params(params: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for title, values in params.items():
        items = values.items() if isinstance(values, dict) else [("", values)]
        for name, value in items:
            key = mlflow_key(f"{title}.{name}" if name else str(title))
            text = value if isinstance(value, str) else json.dumps(value, default=str)
            out[key] = text[:6000]
    return out


def _chunks(items: Any, size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _log_models(ws: Workspace, client: Any, mlflow_id: str, run: Run) -> None:
    """Each trained model's skops file (taken from the stored bundle without loading it)."""
    models = [
        s
        for s in run.stages
        if s.stage_type in ("train", "tune")
        and s.outputs.get("model")
        and s.status in (StageStatus.SUCCEEDED, StageStatus.CACHED)
    ]
    if not models:
        return
    with tempfile.TemporaryDirectory(prefix="mlops-mlflow-") as tmp:
        for stage in models:
            skops, meta = _skops_member(ws.artifacts.read_bytes(stage.outputs["model"]))
            if skops is None:
                continue
            stem = mlflow_key(stage.title).replace("/", "_").replace(" ", "_")
            folder = Path(tmp) / stem
            folder.mkdir()
            (folder / "model.skops").write_bytes(skops)
            (folder / "model.json").write_text(json.dumps(meta, indent=2, default=str), "utf-8")
            client.log_artifacts(mlflow_id, str(folder), artifact_path=f"model/{stem}")


def _skops_member(bundle: bytes) -> tuple[bytes | None, dict[str, Any]]:
    """The estimator's skops bytes and the model's plain fields from a stored ModelValue."""
    try:
        with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
            tree = json.loads(zf.read("manifest.json"))["value"]
            fields = tree.get("fields", {})
            member = fields.get("estimator", {}).get("skops")
            meta = {k: v["json"] for k, v in fields.items() if isinstance(v, dict) and "json" in v}
            return (zf.read(member) if member else None), meta
    except (KeyError, ValueError, zipfile.BadZipFile):
        return None, {}


# ------------------------------------------------------------------------------ import
def import_runs(
    workspace: Workspace,
    project: str,
    tracking_uri: str,
    experiment: str | None = None,
) -> TransferResult:
    """Copy MLflow runs (of one experiment, or of all) into ``project``."""
    client = _client(tracking_uri)
    with _mlflow_errors(tracking_uri):
        return _import(workspace, client, project, tracking_uri, experiment)


def _import(
    workspace: Workspace,
    client: Any,
    project: str,
    tracking_uri: str,
    experiment: str | None,
) -> TransferResult:
    proj = workspace.projects.get(project)
    if experiment:
        exp = client.get_experiment_by_name(experiment)
        if exp is None:
            raise NotFoundError(f"no MLflow experiment named '{experiment}' at {tracking_uri}")
        experiments = [exp]
    else:
        experiments = list(client.search_experiments())
    result = TransferResult(experiment=experiment or "all experiments")
    setting = f"mlflow_imports.{proj.id}"
    seen: dict[str, int] = dict(workspace.settings.get(setting, {}) or {})
    own = workspace_uid(workspace)
    pipeline_id = version_id = None
    for exp in experiments:
        for mrun in _all_runs(client, exp.experiment_id):
            tags = dict(mrun.data.tags)
            if mrun.info.run_id in seen and _exists(workspace, seen[mrun.info.run_id]):
                result.skipped += 1
                continue
            if tags.get(f"{TAG}run_uid", "").startswith(f"{own}:"):
                result.skipped += 1  # a run exported from this workspace: it is here already
                continue
            if pipeline_id is None:
                pipeline_id, version_id = _import_pipeline(workspace, proj.id)
            run_id = _import_one(workspace, client, proj.id, pipeline_id, version_id, exp, mrun)
            seen[mrun.info.run_id] = run_id
            workspace.settings.set(setting, seen)
            result.copied.append(f"{mrun.info.run_id} -> {run_id}")
    return result


def _exists(ws: Workspace, run_id: int) -> bool:
    try:
        ws.runs.get(run_id)
    except NotFoundError:
        return False
    return True


def _all_runs(client: Any, experiment_id: str) -> Iterator[Any]:
    token = None
    while True:
        page = client.search_runs(
            [experiment_id], max_results=500, page_token=token, order_by=["attributes.start_time"]
        )
        yield from page
        token = page.token
        if not token:
            return


def _import_pipeline(ws: Workspace, project_id: int) -> tuple[int, int]:
    """The project's pipeline that holds imported runs (an empty pipeline, made once)."""
    from mlops_desktop.core import serialization
    from mlops_desktop.core.graph import Pipeline

    try:
        info = ws.pipelines.get(project_id, IMPORT_PIPELINE)
    except NotFoundError:
        doc = serialization.to_dict(Pipeline(IMPORT_PIPELINE))
        doc["name"] = IMPORT_PIPELINE
        info = ws.pipelines.create(project_id, IMPORT_PIPELINE, doc)
    return info.id, ws.pipelines.latest(info.id).id


def _when(ms: int | None) -> datetime | None:
    return datetime.fromtimestamp(ms / 1000, UTC) if ms else None


def _import_one(
    ws: Workspace,
    client: Any,
    project_id: int,
    pipeline_id: int,
    version_id: int,
    exp: Any,
    mrun: Any,
) -> int:
    import numpy as np

    info, data = mrun.info, mrun.data
    tags = dict(data.tags)
    user_tags = {k: v for k, v in tags.items() if not k.startswith("mlflow.")}
    started, finished = _when(info.start_time), _when(info.end_time)
    origin = {
        "run_id": info.run_id,
        "experiment": exp.name,
        "run_name": info.run_name or tags.get("mlflow.runName", ""),
        "status": info.status,
        "start_time": started.isoformat() if started else None,
        "end_time": finished.isoformat() if finished else None,
        "user": info.user_id or tags.get("mlflow.user", ""),
    }
    run = ws.runs.create(
        project_id,
        pipeline_id,
        version_id,
        trigger=TRIGGER,
        environment=tags.get(f"{TAG}environment", "dev"),
        params={"MLflow run": origin, "MLflow params": dict(data.params), "MLflow tags": user_tags},
        executor="mlflow",
        commit=tags.get("mlflow.source.git.commit", ""),
    )
    ws.runs.start(run.id)
    renamed = _renamed(tags)
    for key in data.metrics:
        history = client.get_metric_history(info.run_id, key)
        if not history:
            continue
        ws.metrics.log_arrays(
            run.id,
            renamed.get(key, key),
            np.array([m.value for m in history], dtype=float),
            np.array([m.step for m in history], dtype=np.int64),
            np.array([m.timestamp / 1000 for m in history], dtype=float),
            node_id="mlflow",
        )
    duration = (finished - started).total_seconds() if started and finished else None
    title = f"MLflow: {origin['run_name'] or info.run_id[:8]}"
    ws.runs.save_stage(
        run.id,
        StageRun(
            "mlflow",
            "train",
            title,
            StageStatus.SUCCEEDED if info.status == "FINISHED" else StageStatus.FAILED,
            started_at=started,
            finished_at=finished,
            duration_s=duration,
            log=f"imported from MLflow run {info.run_id} of experiment '{exp.name}'",
        ),
    )
    status = STATUS_FROM_MLFLOW.get(info.status, RunStatus.INTERRUPTED)
    ws.runs.finish(run.id, status, f"imported from MLflow run {info.run_id} ({exp.name})")
    return run.id


def _renamed(tags: dict[str, str]) -> dict[str, str]:
    """Metric names the exporter had to change for MLflow, back to the app's names."""
    try:
        value = json.loads(tags.get(f"{TAG}metric_names", "{}"))
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
