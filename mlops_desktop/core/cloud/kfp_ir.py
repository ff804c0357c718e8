"""Kubeflow Pipelines v2 compiled IR (what Vertex AI Pipelines runs) → ExternalPipeline.

``root.dag.tasks`` name tasks whose ``componentRef`` points into ``components``; a component
either runs an executor of ``deploymentSpec.executors`` (a container, importer or resolver)
or holds a nested ``dag`` (a sub-pipeline, a condition, a loop or an exit handler). Nested
DAGs are flattened into steps that keep their group path: a group's first steps wait for
what the group waited for, and whatever waited for the group waits for its last steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlops_desktop.core.cloud.model import (
    MAX_DEPTH,
    CloudFormatError,
    Dependency,
    ExternalPipeline,
    ExternalStep,
    Gate,
    check_steps,
    join,
    listing,
    mapping,
    text,
)


def looks_like(doc: Any) -> bool:
    return isinstance(doc, Mapping) and "pipelineInfo" in doc and "root" in doc


class _Reader:
    def __init__(self, doc: Mapping[str, Any], source: str) -> None:
        self.source = source
        self.components = mapping(doc.get("components") or {}, "components", source)
        spec = mapping(doc.get("deploymentSpec") or {}, "deploymentSpec", source)
        self.executors = mapping(spec.get("executors") or {}, "deploymentSpec.executors", source)
        self.steps: list[ExternalStep] = []
        self.gates: list[Gate] = []
        self.groups: dict[str, str] = {}

    def fail(self, where: str, message: str) -> CloudFormatError:
        return CloudFormatError(where, message, self.source)

    def read_dag(
        self,
        dag: Any,
        where: str,
        group: str,
        entry: tuple[Dependency, ...],
        branch: str,
        chain: tuple[str, ...],
    ) -> set[str]:
        """Add the steps of ``dag``; returns the keys of its last steps (its exits)."""
        if len(chain) > MAX_DEPTH // 2:
            raise self.fail(where, f"sub-pipelines are nested deeper than {MAX_DEPTH // 2} levels")
        tasks = mapping(
            mapping(dag, where, self.source).get("tasks"),
            join(where, "tasks"),
            self.source,
            "a mapping of tasks",
        )
        exits_of: dict[str, set[str]] = {}
        created_of: dict[str, set[str]] = {}
        visiting: list[str] = []

        def visit(name: str, asked_at: str) -> set[str]:
            if name in exits_of:
                return exits_of[name]
            if name not in tasks:
                raise self.fail(asked_at, f"unknown task '{name}'")
            if name in visiting:
                loop = " → ".join([*visiting[visiting.index(name) :], name])
                raise self.fail(
                    join(join(where, "tasks"), name),
                    f"the tasks depend on each other in a cycle: {loop}",
                )
            visiting.append(name)
            at = join(join(where, "tasks"), name)
            task = mapping(tasks[name], at, self.source)
            deps: dict[str, Dependency] = {}
            for i, dep in enumerate(
                listing(task.get("dependentTasks") or [], join(at, "dependentTasks"), self.source)
            ):
                for k in sorted(visit(text(dep), f"{at}.dependentTasks[{i}]")):
                    deps.setdefault(k, Dependency(k, "control"))
            inputs, producers = self.bindings(task, at)
            for producer, p_at in producers.items():
                for k in sorted(visit(producer, p_at)):
                    deps[k] = Dependency(k, "data")
            after = tuple(deps.values()) if deps else entry
            created, exits = self.read_task(name, task, at, group, after, branch, chain, inputs)
            visiting.pop()
            exits_of[name], created_of[name] = exits, created
            return exits

        for name in tasks:
            visit(str(name), join(where, "tasks"))
        created = set().union(*created_of.values()) if created_of else set()
        waited_for = {d.step for s in self.steps if s.key in created for d in s.after}
        return {k for k in created if k not in waited_for}

    def bindings(self, task: Mapping[str, Any], at: str) -> tuple[dict[str, str], dict[str, str]]:
        """A task's inputs as text, and the producer tasks they read (name -> place)."""
        inputs: dict[str, str] = {}
        producers: dict[str, str] = {}
        raw = mapping(task.get("inputs") or {}, join(at, "inputs"), self.source)
        for section in ("parameters", "artifacts"):
            values = mapping(raw.get(section) or {}, join(at, f"inputs.{section}"), self.source)
            for pname, binding in values.items():
                b_at = join(at, f"inputs.{section}.{pname}")
                b = mapping(binding, b_at, self.source, "a binding (a mapping)")
                if "componentInputParameter" in b or "componentInputArtifact" in b:
                    inputs[str(pname)] = "pipeline input " + text(
                        b.get("componentInputParameter") or b.get("componentInputArtifact")
                    )
                elif "taskOutputParameter" in b or "taskOutputArtifact" in b:
                    out = mapping(
                        b.get("taskOutputParameter") or b.get("taskOutputArtifact"),
                        b_at,
                        self.source,
                    )
                    producer = text(out.get("producerTask"))
                    if not producer:
                        raise self.fail(b_at, "a task output binding needs a producerTask")
                    key = text(out.get("outputParameterKey") or out.get("outputArtifactKey"))
                    inputs[str(pname)] = f"{producer}.{key}"
                    producers.setdefault(producer, b_at)
                elif "runtimeValue" in b:
                    rv = b["runtimeValue"]
                    inputs[str(pname)] = text(rv.get("constant") if isinstance(rv, Mapping) else rv)
                elif "taskFinalStatus" in b:
                    inputs[str(pname)] = "final status of " + text(b["taskFinalStatus"])
                else:
                    raise self.fail(b_at, f"unknown binding {text(b)[:80]}")
        return inputs, producers

    def read_task(
        self,
        name: str,
        task: Mapping[str, Any],
        at: str,
        group: str,
        after: tuple[Dependency, ...],
        branch: str,
        chain: tuple[str, ...],
        inputs: dict[str, str],
    ) -> tuple[set[str], set[str]]:
        ref = mapping(task.get("componentRef"), join(at, "componentRef"), self.source)
        cname = text(ref.get("name"), join(at, "componentRef.name"), self.source, required=True)
        if cname not in self.components:
            raise self.fail(join(at, "componentRef.name"), f"unknown component '{cname}'")
        if cname in chain:
            raise self.fail(
                join(at, "componentRef.name"),
                f"component '{cname}' contains itself: {' → '.join([*chain, cname])}",
            )
        comp = mapping(self.components[cname], f"components.{cname}", self.source)
        policy = task.get("triggerPolicy")
        trigger: Mapping[str, Any] = policy if isinstance(policy, Mapping) else {}
        condition = text(trigger.get("condition"))
        settings: dict[str, str] = {}
        cache = task.get("cachingOptions")
        if isinstance(cache, Mapping) and cache.get("enableCache"):
            settings["cache"] = "enabled"
        if trigger.get("strategy"):
            settings["trigger"] = text(trigger["strategy"])
        iterator = task.get("parameterIterator") or task.get("artifactIterator")
        if "dag" in comp:
            sub = f"{group}/{name}" if group else name
            kind = (
                "condition"
                if condition
                else "loop"
                if iterator
                else "exit handler"
                if name.startswith("exit-handler")
                else "sub-pipeline"
            )
            self.groups[sub] = kind
            sub_branch = f"when {condition}" if condition else branch
            first = len(self.steps)
            exits = self.read_dag(
                comp["dag"], f"components.{cname}.dag", sub, after, sub_branch, (*chain, cname)
            )
            created = {s.key for s in self.steps[first:]}
            if condition:
                self.gates.append(
                    Gate(
                        sub,
                        condition,
                        tuple(sorted(created)),
                        (),
                        tuple(v for v in inputs.values() if "." in v),
                    )
                )
            return created, exits or set(after_keys(after))
        label = text(
            comp.get("executorLabel"),
            f"components.{cname}.executorLabel",
            self.source,
            required=True,
        )
        if label not in self.executors:
            raise self.fail(f"components.{cname}.executorLabel", f"unknown executor '{label}'")
        executor = mapping(self.executors[label], f"deploymentSpec.executors.{label}", self.source)
        image = command = ""
        if isinstance(executor.get("container"), Mapping):
            stype, box = "container", executor["container"]
            image = text(box.get("image"))
            command = " ".join(t for t in (text(box.get("command")), text(box.get("args"))) if t)
        elif "importer" in executor:
            stype = "importer"
            imp = executor["importer"] if isinstance(executor["importer"], Mapping) else {}
            command = text(imp.get("artifactUri"))
        elif "resolver" in executor:
            stype = "resolver"
        else:
            raise self.fail(
                f"deploymentSpec.executors.{label}",
                "unknown executor type (known: container, importer, resolver)",
            )
        if condition:
            branch = f"when {condition}"
        if iterator:
            settings["loop"] = text(iterator)
        key = f"{group}/{name}" if group else name
        given = task.get("taskInfo")
        info: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
        self.steps.append(
            ExternalStep(
                key=key,
                name=text(info.get("name")) or name,
                step_type=stype,
                location=at,
                component=cname.removeprefix("comp-"),
                image=image,
                command=command,
                inputs=inputs,
                after=after,
                group=group,
                branch=branch,
                settings=settings,
            )
        )
        return {key}, {key}


def after_keys(after: tuple[Dependency, ...]) -> list[str]:
    return [d.step for d in after]


def parse(doc: Any, source: str = "") -> ExternalPipeline:
    """Read a KFP v2 IR document; refuses anything it does not understand."""
    root_doc = mapping(doc, "", source, "a KFP pipeline spec (a mapping)")
    info = mapping(root_doc.get("pipelineInfo"), "pipelineInfo", source)
    root = mapping(root_doc.get("root"), "root", source)
    r = _Reader(root_doc, source)
    r.read_dag(root.get("dag"), "root.dag", "", (), "", ())
    params: dict[str, str] = {}
    defs = root.get("inputDefinitions")
    if isinstance(defs, Mapping) and isinstance(defs.get("parameters"), Mapping):
        for pname, p in defs["parameters"].items():
            if isinstance(p, Mapping):
                params[str(pname)] = (
                    f"{text(p.get('parameterType')) or '-'} = {text(p.get('defaultValue'))}"
                )
    return check_steps(
        ExternalPipeline(
            vendor="google",
            format="kfp",
            name=text(info.get("displayName") or info.get("name")),
            steps=tuple(r.steps),
            parameters=params,
            gates=tuple(r.gates),
            groups=r.groups,
            description=text(info.get("description")),
        ),
        source,
    )
