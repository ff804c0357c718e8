"""Whether a retraining would learn from anything new.

A retraining started by a monitor alert is pointless when nothing it learns from changed
since the pipeline's last run: the same pipeline version (code and parameters), the same
data (each Load data stage would produce the dataset digest that run recorded) and no
labelled production rows that a Production feedback stage has not used yet. Then the
trigger records "nothing new to learn from" and starts no run, so an alert that repeats
does not register duplicate model versions.

The data digests are read from the stage cache without running anything: a Load data
stage whose cache key (type, version, parameters, file size and modification time) maps
to the digest the last run recorded has unchanged data. When that cannot be told (a SQL
source, an evicted cache entry, a changed file), the retraining runs.
"""

from __future__ import annotations

from typing import Any

from mlops_desktop.core.entities import PipelineInfo, Run, RunStatus

NOTHING_NEW = "nothing new to learn from"
LOOKBACK = 50


def last_finished_run(ws: Any, info: PipelineInfo) -> Run | None:
    """The pipeline's latest finished run that recorded its data digests."""
    for run in ws.runs.list(info.project_id, info.id, LOOKBACK):
        if (run.status.completed or run.status is RunStatus.FAILED) and run.input_hashes:
            return run
    return None


def current_data_digests(ws: Any, document: dict[str, Any]) -> dict[str, str]:
    """``{stage title: dataset digest}`` of the pipeline's Load data stages as the cache
    knows them now; a stage whose digest cannot be told is left out."""
    from mlops_desktop.core.registry import default_registry
    from mlops_desktop.core.serialization import from_dict
    from mlops_desktop.engine.cache import cache_key

    registry = default_registry()
    found: dict[str, str] = {}
    try:
        pipeline = from_dict(document, registry)
    except Exception:  # noqa: BLE001 - a document that cannot be read cannot be told
        return found
    for node in pipeline.nodes.values():
        if node.type != "load_data":
            continue
        spec = registry.get(node.type)
        try:
            key = cache_key(spec, spec.validate_params(node.params), {})
        except Exception:  # noqa: BLE001 - a broken stage cannot be told: it runs
            continue
        hit = ws.cache.get(key) if key else None
        if hit and hit.get("dataset"):
            found[node.title] = hit["dataset"]
    return found


def nothing_new(ws: Any, info: PipelineInfo) -> dict[str, Any] | None:
    """Why a retraining of ``info`` would learn nothing new (a detail for the trigger
    history), or None when something changed or it cannot be told."""
    last = last_finished_run(ws, info)
    if last is None:
        return None
    latest = ws.pipelines.latest(info.id)
    if latest.id != last.pipeline_version_id:
        return None
    digests = current_data_digests(ws, latest.document)
    if digests != dict(last.input_hashes):
        return None
    if new_feedback(ws, info, last, latest.document):
        return None
    return {
        "reason": NOTHING_NEW,
        "same_as_run": last.id,
        "pipeline_version_id": latest.id,
        "data_hashes": digests,
    }


def new_feedback(ws: Any, info: PipelineInfo, last: Run, document: dict[str, Any]) -> bool:
    """Whether a Production feedback stage of the pipeline would find labelled rows that
    the last run did not use: a run served rows after the last run's newest feedback run,
    and their labels have arrived (the stage's label delay)."""
    nodes = [n for n in document.get("nodes", []) if n.get("type") == "production_feedback"]
    if not nodes:
        return False
    used = ws.metrics.latest(last.id).get("feedback_last_run", 0.0)
    finished = [r for r in ws.runs.list(info.project_id, info.id, LOOKBACK) if r.status.finished]
    for node in nodes:
        params = node.get("params") or {}
        delay = int(params.get("label_delay_runs", 1) or 1)
        eligible = [r.id for r in finished[max(0, delay - 1) :] if r.id > used]
        served = ws.metrics.latest_many(eligible, ["served_rows"])
        if any(served.get(r, {}).get("served_rows", 0) > 0 for r in eligible):
            return True
    return False
