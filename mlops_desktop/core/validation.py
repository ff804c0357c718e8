"""Whole-pipeline validation: reports every problem at once, each naming the stage."""

from __future__ import annotations

from dataclasses import dataclass

from mlops_desktop.core.errors import GraphError
from mlops_desktop.core.graph import Pipeline


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a pipeline. ``node_id`` is empty for pipeline-wide problems."""

    message: str
    node_id: str = ""
    severity: str = "error"  # or "warning"


def validate(pipeline: Pipeline) -> list[Problem]:
    """Every problem with ``pipeline``: unknown stages, bad parameters, unconnected required
    inputs, bad or duplicate links, cycles. An empty list means it can run."""
    problems: list[Problem] = []
    reg = pipeline.registry
    # Re-check each link (stored files bypass the per-edit checks); only links that pass
    # count as connecting an input. One pass over the links: large pipelines stay fast.
    linked: dict[str, set[str]] = {}
    for link in pipeline.links.values():
        try:
            pipeline.check_link_ends(link)
        except GraphError as exc:
            problems.append(Problem(str(exc), link.target))
            continue
        taken = linked.setdefault(link.target, set())
        if link.target_port in taken and not pipeline.takes_many(link.target, link.target_port):
            title = pipeline.nodes[link.target].title
            problems.append(
                Problem(
                    f"input '{link.target_port}' of '{title}' is linked more than once; "
                    "an input takes one link",
                    link.target,
                )
            )
        taken.add(link.target_port)
    for node in pipeline.nodes.values():
        spec = reg.find(node.type)
        if spec is None:
            problems.append(Problem(f"'{node.title}': unknown stage type '{node.type}'", node.id))
            continue
        for msg in spec.param_problems(node.params):
            problems.append(Problem(msg, node.id))
        ports = linked.get(node.id, set())
        for port in spec.inputs:
            if not port.optional and port.name not in ports:
                problems.append(
                    Problem(
                        f"'{node.title}': required input '{port.name}' is not connected", node.id
                    )
                )
    if not pipeline.is_acyclic():
        problems.append(Problem("the pipeline contains a cycle"))
    from mlops_desktop.core.trigger_settings import declared_problems

    problems += [Problem(msg) for msg in declared_problems(pipeline.meta.get("triggers"))]
    if not pipeline.nodes:
        problems.append(Problem("the pipeline has no stages", severity="warning"))
    return problems


def errors(pipeline: Pipeline) -> list[Problem]:
    return [p for p in validate(pipeline) if p.severity == "error"]
