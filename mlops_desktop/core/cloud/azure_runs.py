"""Azure Machine Learning job records (``az ml job show`` / ``az ml job list``) as executions.

Part of :mod:`.executions`. What the Azure ML CLI v2 prints for jobs, already safely loaded:

- a pipeline job (``az ml job show --name RUN -o json``): ``name``, ``display_name``,
  ``type: pipeline``, ``status`` (``Completed``, ``Failed``, ``Canceled``, ``Running``...),
  ``creation_context.created_at`` and, in ``properties["azureml.pipelines.stages"]``, a JSON
  text whose ``Execution`` part holds ``StartTime`` and ``EndTime``;
- its child jobs (``az ml job list --parent-job-name RUN -o json``): one job per step, named
  by ``display_name`` after the step, with ``status``, ``properties.StartTimeUtc`` /
  ``EndTimeUtc``, ``properties["azureml.pipelinerunid"]`` (the pipeline job they belong to)
  and ``properties["azureml.isreused"] == "true"`` when the step reused an earlier job's
  outputs (nothing ran).

A file holds a list of such jobs (both outputs joined, e.g. ``jq -s add``), for one pipeline
job or several; a list of child jobs alone is one execution. A pipeline job whose display
name is ``<schedule name>-YYYYMMDDThhmmssZ`` was created by that schedule (the name Azure ML
gives the jobs a schedule triggers). Child jobs of a sub-pipeline point at it as their parent
and belong to the same execution. An ``if_else`` node has no job of its own: whether its
condition held is read from which branch ran (see :func:`branch_outcome`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from mlops_desktop.core.cloud.executions import (
    CACHED,
    CANCELLED,
    FAILED,
    MAX_EXECUTIONS,
    MAX_STEPS_PER_EXECUTION,
    RUNNING,
    SKIPPED,
    SUCCEEDED,
    Execution,
    ExecutionFile,
    StepExecution,
    _mapping,
    _run_status,
    _text,
    _time,
)
from mlops_desktop.core.cloud.model import CloudFormatError

# JobStatus values of the Azure ML REST API, as the app's stage statuses
_STATUS = {
    "Completed": SUCCEEDED,
    "Failed": FAILED,
    "Canceled": CANCELLED,
    "CancelRequested": CANCELLED,
    "NotStarted": SKIPPED,  # in a finished pipeline job: a step that never started
    "Starting": RUNNING,
    "Provisioning": RUNNING,
    "Preparing": RUNNING,
    "Queued": RUNNING,
    "Running": RUNNING,
    "Finalizing": RUNNING,
    "NotResponding": RUNNING,
    "Paused": RUNNING,
    "Unknown": RUNNING,
}
_PARENT_KEYS = ("azureml.pipelinerunid", "azureml.pipeline")
_SCHEDULED = re.compile(r"^(?P<schedule>.+)-\d{8}T\d{6}Z$")
MAX_STAGES_TEXT = 20_000


def looks_like_jobs(doc: Any) -> bool:
    """Azure ML job records: mappings with ``status`` and ``type`` and an Azure ML job id or
    creation context."""
    first = doc[0] if isinstance(doc, list) and doc else doc
    if not isinstance(first, Mapping) or "status" not in first or "type" not in first:
        return False
    ident = _text(first.get("id"))
    return "creation_context" in first or ident.startswith("azureml:") or "/jobs/" in ident


def _parent(job: Mapping[str, Any]) -> str:
    parent = _text(job.get("parent_job_name"), 256)
    props = _mapping(job.get("properties"))
    for key in _PARENT_KEYS:
        parent = parent or _text(props.get(key), 256)
    return parent


def _stages_times(props: Mapping[str, Any]) -> tuple[Any, Any]:
    raw = props.get("azureml.pipelines.stages")
    if isinstance(raw, str) and len(raw) <= MAX_STAGES_TEXT:
        try:
            raw = json.loads(raw)
        except ValueError:
            return None, None
    execution = _mapping(_mapping(raw).get("Execution"))
    return execution.get("StartTime"), execution.get("EndTime")


def _times(job: Mapping[str, Any], where: str, source: str) -> tuple[datetime | None, ...]:
    props = _mapping(job.get("properties"))
    start, end = props.get("StartTimeUtc"), props.get("EndTimeUtc")
    if start is None and end is None:
        start, end = _stages_times(props)
    created = _mapping(job.get("creation_context")).get("created_at")
    return (
        _time(start, f"{where}.properties.StartTimeUtc", source)
        or _time(created, f"{where}.creation_context.created_at", source),
        _time(end, f"{where}.properties.EndTimeUtc", source),
    )


def _status(job: Mapping[str, Any], where: str, source: str) -> str:
    state = _text(job.get("status"), 32)
    if state not in _STATUS:
        raise CloudFormatError(f"{where}.status", f"unknown job status '{state[:32]}'", source)
    status = _STATUS[state]
    reused = str(_mapping(job.get("properties")).get("azureml.isreused", "")).lower() == "true"
    return CACHED if status == SUCCEEDED and reused else status


def _step(job: Mapping[str, Any], where: str, source: str) -> StepExecution:
    name = _text(job.get("display_name"), 256) or _text(job.get("name"), 256)
    if not name:
        raise CloudFormatError(where, "a child job needs a display_name or a name", source)
    start, end = _times(job, where, source)
    error = _mapping(job.get("error"))
    return StepExecution(
        name,
        _status(job, where, source),
        start,
        end,
        error=_text(error.get("message")) or _text(job.get("error")),
    )


def parse_jobs(doc: Any, source: str) -> ExecutionFile:
    """The executions in Azure ML job records (see the module docstring)."""
    items = doc if isinstance(doc, list) else [doc]
    if len(items) > MAX_EXECUTIONS * 50:
        raise CloudFormatError("", f"more than {MAX_EXECUTIONS * 50} jobs in one file", source)
    jobs: list[tuple[Mapping[str, Any], str]] = []
    for i, item in enumerate(items):
        where = f"[{i}]" if isinstance(doc, list) else ""
        if not isinstance(item, Mapping) or "status" not in item:
            raise CloudFormatError(where, "expected an Azure ML job record with 'status'", source)
        jobs.append((item, where))
    names = {_text(j.get("name"), 256): (j, w) for j, w in jobs if _text(j.get("name"))}
    roots = [(j, w) for j, w in jobs if j.get("type") == "pipeline" and _parent(j) not in names]
    if len(roots) > MAX_EXECUTIONS:
        raise CloudFormatError("", f"more than {MAX_EXECUTIONS} executions in one file", source)
    root_names = {_text(j.get("name"), 256) for j, _ in roots}

    def root_of(job: Mapping[str, Any]) -> str:
        seen: set[str] = set()
        parent = _parent(job)
        while parent in names and parent not in root_names and parent not in seen:
            seen.add(parent)
            parent = _parent(names[parent][0])
        return parent if parent in root_names else ""

    steps: dict[str, list[StepExecution]] = {n: [] for n in root_names}
    loose: list[StepExecution] = []  # child jobs whose pipeline job is not in the file
    loose_parents: set[str] = set()
    for job, where in jobs:
        if job.get("type") == "pipeline":
            continue  # the execution itself, or a sub-pipeline (a group, not a step)
        root = root_of(job)
        if root:
            steps[root].append(_step(job, where, source))
        elif len(roots) == 1 and not _parent(job):
            steps[next(iter(root_names))].append(_step(job, where, source))
        else:
            loose.append(_step(job, where, source))
            loose_parents.add(_parent(job))
    executions: list[Execution] = []
    for job, where in roots:
        name = _text(job.get("name"), 256)
        found = steps.get(name, [])
        if not found:
            raise CloudFormatError(
                where,
                f"the pipeline job '{name}' comes without its child jobs: add what "
                f"'az ml job list --parent-job-name {name} -o json' prints to the file",
                source,
            )
        executions.append(_execution(job, where, found, source))
    if loose:
        if roots or len(loose_parents) > 1:
            raise CloudFormatError(
                "",
                "child jobs of a pipeline job that is not in the file: "
                + ", ".join(sorted(p or "(no parent named)" for p in loose_parents)[:3]),
                source,
            )
        executions.append(_execution({"name": next(iter(loose_parents))}, "", loose, source))
    if not executions:
        raise CloudFormatError("", "no Azure ML pipeline job or child job in the file", source)
    return ExecutionFile("azure", tuple(executions))


def _execution(
    job: Mapping[str, Any], where: str, steps: list[StepExecution], source: str
) -> Execution:
    if len(steps) > MAX_STEPS_PER_EXECUTION:
        raise CloudFormatError(where, f"more than {MAX_STEPS_PER_EXECUTION} child jobs", source)
    start, end = _times(job, where, source) if "status" in job else (None, None)
    status = _status(job, where, source) if "status" in job else _run_status(steps)
    if status == CACHED:
        status = SUCCEEDED
    if status == SKIPPED:  # a pipeline job that never started did not finish
        status = RUNNING
    ident = _text(job.get("id"), 2048) or _text(job.get("name"), 256)
    display = _text(job.get("display_name"), 256)
    scheduled = _SCHEDULED.match(display)
    return Execution(
        ident,
        "azure",
        status,
        tuple(steps),
        start or min((s.started_at for s in steps if s.started_at), default=None),
        end or max((s.finished_at for s in steps if s.finished_at), default=None),
        "schedule" if scheduled else "manual",
        where,
    )


def branch_outcome(
    ex: Execution, if_steps: Sequence[str], else_steps: Sequence[str], inputs: Sequence[str]
) -> bool | None:
    """Whether an ``if_else`` condition held in ``ex``: its true branch ran (True), its false
    branch ran instead (False), or the execution finished after the step the condition reads
    ran and the true branch never started (False: the gate held it back). ``None`` when the
    record does not show the condition being evaluated. Names are step names of ``ex``."""
    ran = {s.name for s in ex.steps if s.status in (SUCCEEDED, FAILED, CACHED)}
    if ran & set(if_steps):
        return True
    if ran & set(else_steps):
        return False
    if ex.status == SUCCEEDED and inputs and set(inputs) <= ran:
        return False
    return None


__all__ = ["branch_outcome", "looks_like_jobs", "parse_jobs"]
