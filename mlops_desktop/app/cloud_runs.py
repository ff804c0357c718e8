"""Executions of an imported cloud pipeline, recorded as finished runs of it.

An imported pipeline's external steps never run here; what they did in the cloud is read
from the execution records the cloud's own tools print (see
:mod:`mlops_desktop.core.cloud.executions`) and stored as runs of that pipeline: one run per
execution, one stage record per step (succeeded, failed, cached, skipped), and the few
facts the maturity rules read from a step's own record:

- ``gate_passed`` (0/1) from a condition step that gates registration or deployment on an
  evaluation metric (``metric_gate`` in the definition), when the execution evaluated it;
- ``schema_reference`` = 1.0 and ``schema_violations`` (0/1) from a data quality check that
  compared the data with a stored baseline (drift check not skipped);
- ``fairness/<check type>`` (violations 0/1) from a bias check that compared with a baseline.

Importing the same execution again adds nothing (runs keep the execution's id in their
parameters). The file is read with the cloud import's size limit and safe loader; nothing in
it is executed.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_desktop.app.cloud_import import load_document, read_bytes
from mlops_desktop.core.cloud.azure_runs import branch_outcome
from mlops_desktop.core.cloud.executions import (
    RUNNING,
    SUCCEEDED,
    Execution,
    StepExecution,
    parse_executions,
)
from mlops_desktop.core.cloud.model import CloudFormatError
from mlops_desktop.core.entities import Run, RunStatus, StageRun, StageStatus
from mlops_desktop.core.errors import MlopsError
from mlops_desktop.core.graph import Node, Pipeline
from mlops_desktop.core.registry import StageRegistry, default_registry
from mlops_desktop.core.serialization import from_dict

if TYPE_CHECKING:
    from mlops_desktop.app.workspace import Workspace

EXECUTORS = {"aws": "sagemaker", "google": "vertex-ai", "azure": "azureml"}
VENDOR_TITLES = {"aws": "SageMaker", "google": "Vertex AI", "azure": "Azure ML"}
EXECUTION_PARAM = "cloud_execution"


@dataclass(frozen=True, slots=True)
class ExecutionImport:
    """What an import of execution records did."""

    pipeline: str
    run_ids: tuple[int, ...]
    already: int  # executions imported before (not added again)
    unfinished: int  # executions still running (not added)
    unknown_steps: tuple[str, ...]  # step names the definition does not have

    def summary(self) -> str:
        parts = [f"recorded {len(self.run_ids)} execution(s) of '{self.pipeline}' as runs"]
        if self.run_ids:
            parts[0] += " " + ", ".join(f"#{i}" for i in self.run_ids[:10])
        if self.already:
            parts.append(f"{self.already} already recorded")
        if self.unfinished:
            parts.append(f"{self.unfinished} still running (not recorded)")
        if self.unknown_steps:
            names = ", ".join(self.unknown_steps[:5])
            parts.append(f"steps not in the imported definition (ignored): {names}")
        return "; ".join(parts)


def _step_names(node: Node) -> set[str]:
    """The names an execution record may give the step: its key, the key's last part, and
    (Azure ML child jobs are named after the step's display name) its title."""
    key = str(node.params.get("step_key") or "")
    return {key, key.rsplit("/", 1)[-1], node.title} - {""}


def _match(pipeline: Pipeline) -> dict[str, Node]:
    out: dict[str, Node] = {}
    for node in pipeline.nodes.values():
        for name in _step_names(node):
            out.setdefault(name, node)
    return out


def _groups(facts: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Metric gates of the definition by step/group name (the last part of a group path)."""
    out: dict[str, dict[str, Any]] = {}
    for gate in facts.get("gates") or []:
        if isinstance(gate, dict) and gate.get("metric_gate"):
            step = str(gate.get("step") or "")
            out[step] = gate
            out[step.rsplit("/", 1)[-1]] = gate
    return out


def _with_branch_outcomes(
    ex: Execution, graph: Pipeline, nodes: dict[str, Node], gates: list[dict[str, Any]]
) -> Execution:
    """An Azure ML ``if_else`` node has no job record: whether its condition held is read
    from which of its branches ran (:func:`branch_outcome`) and recorded on the gate."""
    name_of = {
        str(nodes[s.name].params.get("step_key")): s.name for s in ex.steps if s.name in nodes
    }
    by_key = {str(n.params.get("step_key")): n for n in graph.nodes.values()}
    steps = list(ex.steps)
    for gate in gates:
        node = by_key.get(str(gate.get("step") or ""))
        if node is None:
            continue
        feeds = [
            str(graph.nodes[lk.source].params.get("step_key")) for lk in graph.incoming(node.id)
        ]
        outcome = branch_outcome(
            ex,
            [name_of[k] for k in gate.get("if_steps") or [] if k in name_of],
            [name_of[k] for k in gate.get("else_steps") or [] if k in name_of],
            [name_of.get(k, f"?{k}") for k in feeds],
        )
        if outcome is None:
            continue
        at = next((i for i, s in enumerate(steps) if s.name in _step_names(node)), None)
        if at is None:
            steps.append(StepExecution(node.title, SUCCEEDED, outcome=outcome))
        else:
            steps[at] = replace(steps[at], outcome=outcome)
    return replace(ex, steps=tuple(steps))


def _metrics(
    step: StepExecution, node: Node | None, gates: dict[str, dict[str, Any]]
) -> dict[str, float]:
    """What a step's own record shows (see the module docstring)."""
    out: dict[str, float] = {}
    if step.name in gates and step.outcome is not None and step.status in ("succeeded", "skipped"):
        out["gate_passed"] = 1.0 if step.outcome else 0.0
    check = step.check
    if check is not None and check.against_baseline and step.status in ("succeeded", "failed"):
        if check.check_type == "DATA_QUALITY":
            out["schema_reference"] = 1.0
            out["schema_violations"] = 1.0 if check.violations or step.status == "failed" else 0.0
        elif check.check_type.endswith("_BIAS"):
            bad = check.violations or step.status == "failed"
            out[f"fairness/{check.check_type.lower()}_violations"] = 1.0 if bad else 0.0
    return out


def _stage(step: StepExecution, node: Node) -> StageRun:
    duration = (
        (step.finished_at - step.started_at).total_seconds()
        if step.started_at and step.finished_at
        else None
    )
    return StageRun(
        node.id,
        node.type,
        node.title,
        StageStatus(step.status),
        step.started_at,
        step.finished_at,
        duration,
        error=step.error,
    )


class CloudRunService:
    def __init__(self, workspace: Workspace, registry: StageRegistry | None = None) -> None:
        self.ws = workspace
        self.registry = registry if registry is not None else default_registry()

    def import_file(
        self, project: str | int, pipeline: str, path: str | os.PathLike[str]
    ) -> ExecutionImport:
        """Record the executions in ``path`` as runs of the imported pipeline ``pipeline``."""
        p = Path(path)
        data = read_bytes(p)
        doc = load_document(data, str(p), yaml_ok=p.suffix.lower() not in (".json",))
        parsed = parse_executions(doc, p.name)
        proj = self.ws.projects.get(project)
        info = self.ws.pipelines.get(proj.id, pipeline)
        version = self.ws.pipelines.latest(info.id)
        document = dict(version.document)
        facts = (document.get("meta") or {}).get("external")
        if not isinstance(facts, dict):
            raise MlopsError(
                f"pipeline '{pipeline}' was not imported from a cloud definition: its runs "
                "are made here (import the definition first: pipeline import PROJECT FILE)"
            )
        if facts.get("vendor") != parsed.vendor:
            raise MlopsError(
                f"{p.name} holds {VENDOR_TITLES.get(parsed.vendor, parsed.vendor)} executions, "
                f"but '{pipeline}' is a {VENDOR_TITLES.get(str(facts.get('vendor')), '?')} "
                "pipeline"
            )
        graph = from_dict(document, self.registry)
        nodes = _match(graph)
        gates = _groups(facts)
        groups = {str(g).rsplit("/", 1)[-1] for g in facts.get("groups") or {}}
        done = {
            str(r.params.get(EXECUTION_PARAM))
            for r in self.ws.runs.list(proj.id, info.id)
            if r.params.get(EXECUTION_PARAM)
        }
        digest = hashlib.sha256(data).hexdigest()[:16]
        runs: list[Run] = []
        series: list[tuple[int, str, str, Any, Any, Any]] = []
        unknown: list[str] = []
        already = unfinished = 0
        metric_gates = [
            g for g in facts.get("gates") or [] if isinstance(g, dict) and g.get("metric_gate")
        ]
        for i, ex in enumerate(parsed.executions):
            if parsed.vendor == "azure" and metric_gates:
                ex = _with_branch_outcomes(ex, graph, nodes, metric_gates)
            known = [s for s in ex.steps if s.name in nodes]
            unknown += [
                s.name
                for s in ex.steps
                if s.name not in nodes and s.name not in unknown and s.name not in groups
            ]
            if not known:
                names = ", ".join(sorted({s.name for s in ex.steps})[:5]) or "no steps"
                raise CloudFormatError(
                    ex.where,
                    f"this execution is not of pipeline '{pipeline}': none of its steps "
                    f"({names}) is a step of the imported definition",
                    p.name,
                )
            ident = ex.id or f"{p.name}#{digest}:{i}"
            if ident in done:
                already += 1
                continue
            if ex.status == RUNNING or any(s.status == RUNNING for s in known):
                unfinished += 1
                continue
            done.add(ident)
            runs.append(self._run(proj.id, info.id, version.id, ex, known, nodes, ident, p.name))
            at = (ex.finished_at or ex.started_at or datetime.now(UTC)).timestamp()
            for step in known:
                for key, value in _metrics(step, nodes[step.name], gates).items():
                    series.append((len(runs) - 1, key, nodes[step.name].id, [0], [value], at))
            for step in ex.steps:  # a gate that is a group (a Vertex AI condition), not a step
                if step.name not in nodes and step.name in gates:
                    for key, value in _metrics(step, None, gates).items():
                        series.append((len(runs) - 1, key, "", [0], [value], at))
        ids = self.ws.runs.add_finished(runs, series) if runs else []
        return ExecutionImport(pipeline, tuple(ids), already, unfinished, tuple(unknown))

    @staticmethod
    def _run(
        project_id: int,
        pipeline_id: int,
        version_id: int,
        ex: Execution,
        steps: list[StepExecution],
        nodes: dict[str, Node],
        ident: str,
        source: str,
    ) -> Run:
        started = ex.started_at or min(
            (s.started_at for s in steps if s.started_at), default=datetime.now(UTC)
        )
        finished = ex.finished_at or max(
            (s.finished_at for s in steps if s.finished_at), default=started
        )
        title = VENDOR_TITLES.get(ex.vendor, ex.vendor)
        return Run(
            0,
            project_id,
            pipeline_id,
            version_id,
            RunStatus(ex.status),
            ex.trigger,
            "cloud",
            started,
            started,
            finished,
            params={EXECUTION_PARAM: ident, "cloud_record": source},
            executor=EXECUTORS.get(ex.vendor, ex.vendor),
            message=f"{title} execution {ident.rsplit('/', 1)[-1]} (recorded from {source})",
            stages=tuple(_stage(s, nodes[s.name]) for s in steps),
        )
