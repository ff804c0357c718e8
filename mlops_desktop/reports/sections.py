"""Turn core objects (pipelines, runs, metrics) into report sections (plain rows of text).

Pure functions over :mod:`mlops_desktop.core` types; the report service calls them with what
it read from the workspace, and tests call them with objects they build directly.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mlops_desktop.core.entities import Run
from mlops_desktop.core.graph import Node, Pipeline
from mlops_desktop.core.specs import StageSpec
from mlops_desktop.reports.html import headline_keys
from mlops_desktop.reports.model import (
    PipelineSection,
    RunComparison,
    RunSummary,
    StageResult,
    StageRow,
)

MAX_PARAMS = 8  # per stage; the rest are defaults and summarized in one line
MAX_VALUE_CHARS = 160
MAX_LOG_CHARS = 320
MAX_NOTE_CHARS = 600
# Metric keys that hold series (curves, matrices), not scalars worth a table cell.
SERIES_PREFIXES = (
    "confusion_matrix",
    "roc/",
    "pr/",
    "residuals/",
    "param/",
    "importance_std/",
    "cv_score",
)


def clip(text: str, limit: int) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def format_param(value: Any) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict | tuple):
        text = json.dumps(value, ensure_ascii=False, default=str)
    else:
        text = str(value)
    return clip(" ".join(text.split()), MAX_VALUE_CHARS)


def stage_params(node: Node, spec: StageSpec | None) -> list[tuple[str, str]]:
    """The parameters that matter for ``node``: set ones first, hidden ones left out."""
    if spec is None:
        return [(str(k), format_param(v)) for k, v in sorted(node.params.items())]
    values = spec.default_params() | dict(node.params)
    changed: list[tuple[str, str]] = []
    defaults: list[tuple[str, str]] = []
    for p in spec.params:
        if p.visible_when is not None:
            other, wanted = p.visible_when
            if str(values.get(other)) != str(wanted):
                continue
        row = (p.name, format_param(values.get(p.name)))
        (defaults if values.get(p.name) == p.default else changed).append(row)
    rows = changed + defaults
    if len(rows) > MAX_PARAMS:
        hidden = len(rows) - (MAX_PARAMS - 1)
        rows = rows[: MAX_PARAMS - 1] + [("…", f"{hidden} more at their defaults")]
    return rows


def pipeline_section(
    pipeline: Pipeline, lens: str | None = None, version: int | None = None
) -> PipelineSection:
    """The stages of ``pipeline`` in execution order, placed in the phases of ``lens``."""
    lifecycle = None
    if lens:
        from mlops_desktop.core.lifecycle import lifecycle as load_lifecycle

        lifecycle = load_lifecycle(lens)
    try:
        order = pipeline.execution_order()
    except Exception:  # noqa: BLE001 - an invalid graph is still listed, in stored order
        order = list(pipeline.nodes)
    rows: list[StageRow] = []
    for node_id in order:
        node = pipeline.nodes[node_id]
        spec = pipeline.registry.find(node.type)
        phase = ""
        if lifecycle is not None:
            phase_id = lifecycle.phase_of(spec, node)  # an imported step's phase: its kind
            ph = lifecycle.phase(phase_id) if phase_id else None
            phase = ph.name if ph is not None else ""
        rows.append(
            StageRow(
                title=node.title,
                stage_type=spec.title if spec is not None else node.type,
                category=spec.category if spec is not None else "",
                phase=phase,
                params=stage_params(node, spec),
                node_id=node.id,
            )
        )
    titles = {n.id: n.title for n in pipeline.nodes.values()}
    rank = {node_id: i for i, node_id in enumerate(order)}
    ordered = sorted(
        pipeline.links.values(), key=lambda lk: (rank.get(lk.source, 0), rank.get(lk.target, 0))
    )
    links = [(titles.get(lk.source, lk.source), titles.get(lk.target, lk.target)) for lk in ordered]
    return PipelineSection(
        name=pipeline.name,
        version=version,
        lens=lens or "",
        lens_title=lifecycle.title if lifecycle is not None else "",
        stages=rows,
        links=list(dict.fromkeys(links)),
        source=lifecycle.source if lifecycle is not None else "",
        origin=pipeline_origin(pipeline.meta),
        notes=[
            clip(n.text.strip(), MAX_NOTE_CHARS)
            for n in sorted(pipeline.notes.values(), key=lambda n: (n.y, n.x))
            if n.text.strip()
        ],
    )


def pipeline_origin(meta: Mapping[str, Any]) -> str:
    """Where an imported pipeline or a local copy of one comes from, in a sentence ("" for
    a pipeline built here)."""
    from mlops_desktop.core.vendors import catalogue

    ext, origin = meta.get("external"), meta.get("origin")
    if isinstance(ext, Mapping):
        cloud = catalogue().titles().get(str(ext.get("vendor", "")), "its cloud")
        what = str(ext.get("format_title") or ext.get("format") or "a cloud pipeline definition")
        digest = str(ext.get("sha256") or "")[:12]
        return (
            f"Imported from {ext.get('source') or 'a file'} ({what}"
            f"{f', SHA-256 {digest}…' if digest else ''}). Its steps run in {cloud}, not in "
            "this app: nothing in this report comes from running it here."
        )
    if isinstance(origin, Mapping) and origin.get("type") == "local_copy":
        left = [
            str(u.get("step", "")) for u in origin.get("unmapped") or [] if isinstance(u, Mapping)
        ]
        text = (
            f"Local copy of the imported pipeline '{origin.get('pipeline', '')}' (version "
            f"{origin.get('version', '?')}, from {origin.get('file') or 'a cloud definition'}), "
            "made of built-in stages that run here."
        )
        if left:
            text += f" Not mapped from the original: {', '.join(left)}."
        return text
    return ""


def scalar_metrics(metrics: Mapping[str, float]) -> dict[str, float]:
    """The metrics worth a table cell: curves, matrices and per-feature or per-class values
    (keys with a ``/``, drawn in the plots instead) left out."""
    return {
        k: float(v)
        for k, v in metrics.items()
        if "/" not in k and not any(k.startswith(p) for p in SERIES_PREFIXES)
    }


def log_excerpt(log: str, limit: int = MAX_LOG_CHARS) -> str:
    """The end of a stage's log (where errors are), at most ``limit`` characters."""
    log = (log or "").strip()
    if len(log) <= limit:
        return log
    tail = log[-limit:]
    cut = tail.find("\n")
    return "…" + (tail[cut:] if 0 <= cut < 200 else tail)


def run_summary(
    run: Run,
    metrics: Mapping[str, float] | None = None,
    *,
    pipeline: str = "",
    with_stages: bool = True,
) -> RunSummary:
    stages: list[StageResult] = []
    if with_stages:
        for s in run.stages:
            failed = str(s.status) == "failed"
            stages.append(
                StageResult(
                    title=s.title,
                    stage_type=s.stage_type,
                    status=str(s.status),
                    duration_s=s.duration_s,
                    error=clip(s.error, 400),
                    # The log's end helps only when the stage gave no message of its own.
                    log_excerpt=log_excerpt(s.log) if failed and not s.error else "",
                )
            )
    return RunSummary(
        id=run.number or run.id,  # how the app shows the run: its number in the project
        status=str(run.status),
        trigger=run.trigger,
        environment=run.environment,
        pipeline=pipeline,
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        duration_s=run.duration_s,
        metrics=scalar_metrics(metrics or {}),
        message=clip(run.message, 400),
        commit=run.commit,
        executor=run.executor,
        stages=stages,
    )


def run_comparison(
    runs: Sequence[Run],
    metrics_by_run: Mapping[int, Mapping[str, float]],
    *,
    limit: int = 12,
    max_metrics: int = 5,
    total: int | None = None,
) -> RunComparison:
    """The ``limit`` newest runs side by side on up to ``max_metrics`` headline metrics."""
    newest = sorted(runs, key=lambda r: (r.created_at, r.id), reverse=True)[:limit]
    rows = [run_summary(r, metrics_by_run.get(r.id, {}), with_stages=False) for r in newest]
    all_keys = _keys(r.metrics for r in rows)
    keys = headline_keys(all_keys, max_metrics)
    return RunComparison(
        runs=rows,
        metric_keys=keys,
        total_runs=total if total is not None else len(runs),
        hidden_metrics=len(all_keys) - len(keys),
    )


def _keys(dicts: Iterable[Mapping[str, float]]) -> list[str]:
    seen: dict[str, None] = {}
    for d in dicts:
        for k in d:
            seen.setdefault(k, None)
    return list(seen)
