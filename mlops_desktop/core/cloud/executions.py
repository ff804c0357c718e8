"""Records of pipeline executions that ran in a cloud: what each step of one execution did.

An imported cloud pipeline (:mod:`.convert`) never runs here, so its definition alone is a
claim: a condition that gates registration is evidence once an execution evaluated it. This
module reads the execution records the clouds' own tools print, already safely loaded
(plain dicts and lists; file access lives in :mod:`mlops_desktop.app.cloud_runs`):

- **SageMaker**: ``aws sagemaker list-pipeline-execution-steps`` output
  (``PipelineExecutionSteps`` with ``StepStatus``, ``CacheHitResult``, ``Metadata.Condition
  .Outcome``, ``Metadata.QualityCheck`` / ``ClarifyCheck``), optionally merged with
  ``describe-pipeline-execution`` (``PipelineExecutionArn``, ``PipelineExecutionStatus``,
  ``CreationTime``); a list of such objects is several executions.
- **Vertex AI**: a ``PipelineJob`` resource (``gcloud``/REST ``pipelineJobs.get``:
  ``name``, ``state``, ``jobDetail.taskDetails[]`` with ``taskName`` and ``state``, where
  ``SKIPPED`` is a cache hit and ``NOT_TRIGGERED`` a condition that did not hold;
  ``scheduleName`` when a schedule created it), or a list of them.
- **Azure ML**: the job records ``az ml job show`` / ``az ml job list --parent-job-name``
  print (a pipeline job and its child jobs), read by :mod:`.azure_runs`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mlops_desktop.core.cloud.model import CloudFormatError, check_shape

MAX_EXECUTIONS = 500
MAX_STEPS_PER_EXECUTION = 2_000

# step states as the app's stage statuses
SUCCEEDED, FAILED, CACHED, SKIPPED, CANCELLED, RUNNING = (
    "succeeded",
    "failed",
    "cached",
    "skipped",
    "cancelled",
    "running",
)
_SAGEMAKER_STEP = {
    "Succeeded": SUCCEEDED,
    "Failed": FAILED,
    "Stopped": CANCELLED,
    "Stopping": RUNNING,
    "Executing": RUNNING,
    "Starting": RUNNING,
}
_SAGEMAKER_RUN = {
    "Succeeded": SUCCEEDED,
    "Failed": FAILED,
    "Stopped": CANCELLED,
    "Stopping": RUNNING,
    "Executing": RUNNING,
}
_VERTEX_TASK = {
    "SUCCEEDED": SUCCEEDED,
    "FAILED": FAILED,
    "SKIPPED": CACHED,  # "skipped due to cache hit"
    "NOT_TRIGGERED": SKIPPED,  # its condition did not hold
    "CANCELLED": CANCELLED,
    "CANCELLING": CANCELLED,
    "CANCEL_PENDING": CANCELLED,
    "RUNNING": RUNNING,
    "PENDING": RUNNING,
}


@dataclass(frozen=True, slots=True)
class CheckResult:
    """A data/model quality or bias check step's outcome (SageMaker QualityCheck/ClarifyCheck)."""

    check_type: str  # DATA_QUALITY, MODEL_QUALITY, DATA_BIAS, MODEL_BIAS, ...
    against_baseline: bool  # compared with a stored baseline (drift check not skipped)
    violations: bool  # a violation report was written


@dataclass(frozen=True, slots=True)
class StepExecution:
    name: str
    status: str  # succeeded | failed | cached | skipped | cancelled | running
    started_at: datetime | None = None
    finished_at: datetime | None = None
    outcome: bool | None = None  # a condition step: whether its condition held
    check: CheckResult | None = None
    error: str = ""


@dataclass(frozen=True, slots=True)
class Execution:
    """One execution of a cloud pipeline, as the cloud recorded it."""

    id: str  # the execution's ARN or resource name ("" when the record does not say)
    vendor: str  # aws | google | azure
    status: str
    steps: tuple[StepExecution, ...]
    started_at: datetime | None = None
    finished_at: datetime | None = None
    trigger: str = "manual"  # "schedule" when the record says a schedule created it
    where: str = ""  # the place of this execution in the file

    def step(self, name: str) -> StepExecution | None:
        return next((s for s in self.steps if s.name == name), None)


@dataclass(frozen=True, slots=True)
class ExecutionFile:
    vendor: str
    executions: tuple[Execution, ...] = field(default_factory=tuple)


# ------------------------------------------------------------------ helpers
def _time(value: Any, where: str, source: str) -> datetime | None:
    """An epoch number (the API's JSON) or an ISO 8601 text (the CLIs' output)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise CloudFormatError(where, "expected a time, found true/false", source)
    if isinstance(value, int | float):
        if not 0 <= value < 1e11:
            raise CloudFormatError(where, f"{value} is not a time in seconds", source)
        return datetime.fromtimestamp(float(value), UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise CloudFormatError(where, f"'{value[:40]}' is not a time", source) from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise CloudFormatError(where, "expected a time", source)


def _text(value: Any, limit: int = 1_000) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _outcome(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _many(doc: Any, key: str, source: str) -> list[tuple[Mapping[str, Any], str]]:
    """The execution objects of a document (one object, or a list of them)."""
    items = doc if isinstance(doc, list) else [doc]
    if len(items) > MAX_EXECUTIONS:
        raise CloudFormatError("", f"more than {MAX_EXECUTIONS} executions in one file", source)
    out = []
    for i, item in enumerate(items):
        where = f"[{i}]" if isinstance(doc, list) else ""
        if not isinstance(item, Mapping) or key not in item:
            raise CloudFormatError(where, f"expected an execution record with '{key}'", source)
        out.append((item, where))
    return out


def _run_status(steps: list[StepExecution]) -> str:
    states = {s.status for s in steps}
    if RUNNING in states:
        return RUNNING
    if FAILED in states:
        return FAILED
    if CANCELLED in states:
        return CANCELLED
    return SUCCEEDED


# ------------------------------------------------------------------ SageMaker
def _sagemaker_check(meta: Mapping[str, Any]) -> CheckResult | None:
    for key in ("QualityCheck", "ClarifyCheck"):
        check = meta.get(key)
        if isinstance(check, Mapping):
            baseline = _text(check.get("BaselineUsedForDriftCheckConstraints")) or _text(
                check.get("BaselineUsedForDriftCheckStatistics")
            )
            skipped = check.get("SkipCheck") is True
            return CheckResult(
                _text(check.get("CheckType"), 64).upper(),
                bool(baseline) and not skipped,
                bool(_text(check.get("ViolationReport"))),
            )
    return None


def _sagemaker(doc: Any, source: str) -> ExecutionFile:
    executions = []
    for item, where in _many(doc, "PipelineExecutionSteps", source):
        raw = item.get("PipelineExecutionSteps")
        if not isinstance(raw, list):
            raise CloudFormatError(f"{where}.PipelineExecutionSteps", "expected a list", source)
        if len(raw) > MAX_STEPS_PER_EXECUTION:
            raise CloudFormatError(where, f"more than {MAX_STEPS_PER_EXECUTION} steps", source)
        steps = []
        for j, s in enumerate(raw):
            at = f"{where}.PipelineExecutionSteps[{j}]".lstrip(".")
            if not isinstance(s, Mapping) or not _text(s.get("StepName")):
                raise CloudFormatError(at, "a step record needs a StepName", source)
            state = _text(s.get("StepStatus"), 32)
            if state not in _SAGEMAKER_STEP:
                raise CloudFormatError(
                    f"{at}.StepStatus", f"unknown step status '{state[:32]}'", source
                )
            status = _SAGEMAKER_STEP[state]
            if status == SUCCEEDED and isinstance(s.get("CacheHitResult"), Mapping):
                status = CACHED  # reused an earlier execution's result: nothing ran
            meta = _mapping(s.get("Metadata"))
            cond = _mapping(meta.get("Condition"))
            steps.append(
                StepExecution(
                    _text(s["StepName"], 256),
                    status,
                    _time(s.get("StartTime"), f"{at}.StartTime", source),
                    _time(s.get("EndTime"), f"{at}.EndTime", source),
                    _outcome(cond.get("Outcome")),
                    _sagemaker_check(meta),
                    _text(s.get("FailureReason")),
                )
            )
        state = _text(item.get("PipelineExecutionStatus"), 32)
        status = _SAGEMAKER_RUN.get(state) or _run_status(steps)
        starts = [s.started_at for s in steps if s.started_at]
        ends = [s.finished_at for s in steps if s.finished_at]
        executions.append(
            Execution(
                _text(item.get("PipelineExecutionArn"), 2048),
                "aws",
                status,
                tuple(steps),
                _time(item.get("CreationTime"), f"{where}.CreationTime", source)
                or (min(starts) if starts else None),
                _time(item.get("LastModifiedTime"), f"{where}.LastModifiedTime", source)
                if state
                else (max(ends) if ends else None),
                "manual",  # a SageMaker execution record does not say what started it
                where,
            )
        )
    return ExecutionFile("aws", tuple(executions))


# ------------------------------------------------------------------ Vertex AI
_VERTEX_RUN = {
    "PIPELINE_STATE_SUCCEEDED": SUCCEEDED,
    "PIPELINE_STATE_FAILED": FAILED,
    "PIPELINE_STATE_CANCELLED": CANCELLED,
    "PIPELINE_STATE_CANCELLING": CANCELLED,
    "PIPELINE_STATE_RUNNING": RUNNING,
    "PIPELINE_STATE_QUEUED": RUNNING,
    "PIPELINE_STATE_PENDING": RUNNING,
    "PIPELINE_STATE_PAUSED": RUNNING,
}


def _vertex(doc: Any, source: str) -> ExecutionFile:
    executions = []
    for item, where in _many(doc, "jobDetail", source):
        detail = item.get("jobDetail")
        tasks = detail.get("taskDetails") if isinstance(detail, Mapping) else None
        if not isinstance(tasks, list):
            raise CloudFormatError(f"{where}.jobDetail.taskDetails", "expected a list", source)
        if len(tasks) > MAX_STEPS_PER_EXECUTION:
            raise CloudFormatError(where, f"more than {MAX_STEPS_PER_EXECUTION} tasks", source)
        steps = []
        # the root DAG is a task named after the job itself: not a step of the pipeline
        job = {_text(item.get("name")).rsplit("/", 1)[-1], _text(item.get("displayName"))} - {""}
        for j, t in enumerate(tasks):
            at = f"{where}.jobDetail.taskDetails[{j}]".lstrip(".")
            if not isinstance(t, Mapping) or not _text(t.get("taskName")):
                raise CloudFormatError(at, "a task record needs a taskName", source)
            if t["taskName"] in job:
                continue
            state = _text(t.get("state"), 32)
            if state not in _VERTEX_TASK:
                raise CloudFormatError(f"{at}.state", f"unknown task state '{state[:32]}'", source)
            err = _mapping(t.get("error"))
            status = _VERTEX_TASK[state]
            steps.append(
                StepExecution(
                    _text(t["taskName"], 256),
                    status,
                    _time(t.get("startTime"), f"{at}.startTime", source),
                    _time(t.get("endTime"), f"{at}.endTime", source),
                    # a condition group that ran held; one not triggered did not
                    True if status == SUCCEEDED else False if status == SKIPPED else None,
                    None,
                    _text(err.get("message")),
                )
            )
        state = _text(item.get("state"), 40)
        executions.append(
            Execution(
                _text(item.get("name"), 2048),
                "google",
                _VERTEX_RUN.get(state) or _run_status(steps),
                tuple(steps),
                _time(
                    item.get("startTime") or item.get("createTime"), f"{where}.startTime", source
                ),
                _time(item.get("endTime"), f"{where}.endTime", source),
                "schedule" if _text(item.get("scheduleName")) else "manual",
                where,
            )
        )
    return ExecutionFile("google", tuple(executions))


def detect_executions(doc: Any) -> str | None:
    """``aws``, ``google`` or ``azure`` when ``doc`` is an execution record this module
    reads."""
    from mlops_desktop.core.cloud.azure_runs import looks_like_jobs

    first = doc[0] if isinstance(doc, list) and doc else doc
    if isinstance(first, Mapping):
        if "PipelineExecutionSteps" in first:
            return "aws"
        if "jobDetail" in first:
            return "google"
        if looks_like_jobs(first):
            return "azure"
    return None


def parse_executions(doc: Any, source: str = "") -> ExecutionFile:
    """The executions in a loaded record; raises :class:`CloudFormatError` naming the place."""
    check_shape(doc, source)
    vendor = detect_executions(doc)
    if vendor == "aws":
        return _sagemaker(doc, source)
    if vendor == "google":
        return _vertex(doc, source)
    if vendor == "azure":
        from mlops_desktop.core.cloud.azure_runs import parse_jobs

        return parse_jobs(doc, source)
    raise CloudFormatError(
        "",
        "not an execution record this app reads (expected the output of 'aws sagemaker "
        "list-pipeline-execution-steps' with 'PipelineExecutionSteps', a Vertex AI "
        "PipelineJob with 'jobDetail.taskDetails', or Azure ML jobs from 'az ml job show' "
        "and 'az ml job list --parent-job-name')",
        source,
    )
