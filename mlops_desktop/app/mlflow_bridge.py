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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_desktop.core.entities import Run, RunStatus, StageStatus
from mlops_desktop.core.errors import MlopsError

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
    RunStatus.KEPT_OUT: "FINISHED",  # every stage did its work; a gate kept the model out
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
    progress: Callable[[int, int], None] | None = None,
) -> TransferResult:
    """Copy MLflow runs (of one experiment, or of all) into ``project``, a page of runs per
    transaction (see :mod:`mlops_desktop.app.mlflow_import`); ``progress(imported,
    skipped)`` after each page."""
    from mlops_desktop.app.mlflow_import import import_all

    client = _client(tracking_uri)
    with _mlflow_errors(tracking_uri):
        return import_all(workspace, client, project, tracking_uri, experiment, progress)


def _renamed(tags: dict[str, str]) -> dict[str, str]:
    """Metric names the exporter had to change for MLflow, back to the app's names."""
    try:
        value = json.loads(tags.get(f"{TAG}metric_names", "{}"))
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
