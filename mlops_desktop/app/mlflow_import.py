"""MLflow runs brought into a project in bulk: a page of runs at a time.

Each page of MLflow's run search (up to :data:`PAGE` runs) becomes one transaction in the
workspace (runs, their stage record and their metric series as arrays, through
``RunStore.add_finished``). Metric histories of the whole page are one plain read from
MLflow's SQL store (:mod:`mlops_desktop.app.mlflow_sql`), else per key for the page when the
store offers it, else per run. ``progress`` hears after each page
how many runs were imported and skipped so far.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from mlops_desktop.core.entities import Run, RunStatus, StageRun, StageStatus
from mlops_desktop.core.errors import NotFoundError

if TYPE_CHECKING:
    from mlops_desktop.app.mlflow_bridge import TransferResult
    from mlops_desktop.app.workspace import Workspace

PAGE = 500  # runs per search page and per workspace transaction
Progress = Callable[[int, int], None]  # (imported so far, skipped so far)
History = tuple[np.ndarray, np.ndarray, np.ndarray]  # values, steps, timestamps (s)


def import_all(
    workspace: Workspace,
    client: Any,
    project: str,
    tracking_uri: str,
    experiment: str | None,
    progress: Progress | None = None,
) -> TransferResult:
    """Copy MLflow runs (of one experiment, or of all) into ``project``, page by page."""
    from mlops_desktop.app.mlflow_bridge import TAG, TransferResult, workspace_uid

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
    present = {r["id"] for r in workspace.runs.table(proj.id)} if seen else set()
    own = workspace_uid(workspace)
    target: tuple[int, int] | None = None
    for exp in experiments:
        for page in _pages(client, exp.experiment_id):
            todo = []
            for mrun in page:
                if seen.get(mrun.info.run_id) in present:
                    result.skipped += 1
                elif dict(mrun.data.tags).get(f"{TAG}run_uid", "").startswith(f"{own}:"):
                    result.skipped += 1  # a run exported from this workspace: it is here
                else:
                    todo.append(mrun)
            if todo:
                if target is None:
                    target = _import_pipeline(workspace, proj.id)
                runs, series = _records(client, proj.id, *target, exp, todo)
                ids = workspace.runs.add_finished(runs, series)
                for mrun, run_id in zip(todo, ids, strict=True):
                    seen[mrun.info.run_id] = run_id
                    present.add(run_id)
                    result.copied.append(f"{mrun.info.run_id} -> {run_id}")
                workspace.settings.set(setting, seen)
            if progress is not None:
                progress(len(result.copied), result.skipped)
    return result


def _pages(client: Any, experiment_id: str) -> Iterator[Sequence[Any]]:
    token = None
    while True:
        page = client.search_runs(
            [experiment_id], max_results=PAGE, page_token=token, order_by=["attributes.start_time"]
        )
        yield page
        token = page.token
        if not token:
            return


def _import_pipeline(ws: Workspace, project_id: int) -> tuple[int, int]:
    """The project's pipeline that holds imported runs (an empty pipeline, made once)."""
    from mlops_desktop.app.mlflow_bridge import IMPORT_PIPELINE
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


def _histories(client: Any, mruns: Sequence[Any]) -> dict[tuple[str, str], History]:
    """Every metric history of these runs: one plain read for them all from MLflow's SQL
    store (:mod:`mlops_desktop.app.mlflow_sql`), else one read per key for them all when
    the store offers it, else one per run and key."""
    from mlops_desktop.app import mlflow_sql

    keys: dict[str, list[str]] = {}
    for mrun in mruns:
        for key in mrun.data.metrics:
            keys.setdefault(key, []).append(mrun.info.run_id)
    sql = mlflow_sql.sql_store(client)
    if sql is not None:
        wanted = {(run_id, key) for key, run_ids in keys.items() for run_id in run_ids}
        return mlflow_sql.histories(sql, wanted)
    store = getattr(getattr(client, "_tracking_client", None), "store", None)
    bulk = getattr(store, "get_metric_history_bulk", None)
    points: dict[tuple[str, str], list[Any]] = {}
    for key, run_ids in keys.items():
        if bulk is not None:
            for item in bulk(run_ids, key, max_results=2**62):
                points.setdefault((item.run_id, key), []).append(item)
        else:
            for run_id in run_ids:
                points[(run_id, key)] = list(client.get_metric_history(run_id, key))
    return {
        ident: (
            np.array([m.value for m in history], dtype=float),
            np.array([m.step for m in history], dtype=np.int64),
            np.array([m.timestamp / 1000 for m in history], dtype=float),
        )
        for ident, history in points.items()
        if history
    }


def _records(
    client: Any,
    project_id: int,
    pipeline_id: int,
    version_id: int,
    exp: Any,
    mruns: Sequence[Any],
) -> tuple[list[Run], list[tuple[int, str, str, Any, Any, Any]]]:
    """The runs and metric series to store for a page of MLflow runs."""
    from mlops_desktop.app.mlflow_bridge import STATUS_FROM_MLFLOW, TAG, TRIGGER, _renamed

    histories = _histories(client, mruns)
    runs: list[Run] = []
    series: list[tuple[int, str, str, Any, Any, Any]] = []
    for n, mrun in enumerate(mruns):
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
        renamed = _renamed(tags)
        for key in data.metrics:
            history = histories.get((info.run_id, key))
            if history is not None:
                values, steps, stamps = history
                series.append((n, renamed.get(key, key), "mlflow", steps, values, stamps))
        duration = (finished - started).total_seconds() if started and finished else None
        stage = StageRun(
            "mlflow",
            "train",
            f"MLflow: {origin['run_name'] or info.run_id[:8]}",
            StageStatus.SUCCEEDED if info.status == "FINISHED" else StageStatus.FAILED,
            started_at=started,
            finished_at=finished,
            duration_s=duration,
            log=f"imported from MLflow run {info.run_id} of experiment '{exp.name}'",
        )
        now = datetime.now(UTC)  # when it was recorded here, as for a run made here
        runs.append(
            Run(
                id=0,
                project_id=project_id,
                pipeline_id=pipeline_id,
                pipeline_version_id=version_id,
                status=STATUS_FROM_MLFLOW.get(info.status, RunStatus.INTERRUPTED),
                trigger=TRIGGER,
                environment=tags.get(f"{TAG}environment", "dev"),
                created_at=now,
                started_at=now,
                finished_at=now,
                params={
                    "MLflow run": origin,
                    "MLflow params": dict(data.params),
                    "MLflow tags": user_tags,
                },
                executor="mlflow",
                commit=tags.get("mlflow.source.git.commit", ""),
                message=f"imported from MLflow run {info.run_id} ({exp.name})",
                stages=(stage,),
            )
        )
    return runs, series
