"""Amazon SageMaker Pipelines definitions (``"Version": "2020-12-01"`` JSON) → ExternalPipeline.

Dependencies come from ``DependsOn`` (control) and from ``{"Get": "Steps.X..."}`` references
and ``Std:JsonGet`` property files anywhere in a step's arguments (data). The steps of a
Condition's ``IfSteps`` / ``ElseSteps`` wait for the condition and are marked as branches.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlops_desktop.core.cloud.model import (
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

VERSIONS = ("2020-12-01",)
STEP_TYPES = (
    "Processing",
    "Training",
    "Tuning",
    "Transform",
    "Model",
    "CreateModel",
    "RegisterModel",
    "Condition",
    "Fail",
    "QualityCheck",
    "ClarifyCheck",
    "EMR",
    "Lambda",
    "Callback",
    "AutoML",
)
OPERATORS = {
    "Equals": "==",
    "GreaterThan": ">",
    "GreaterThanOrEqualTo": ">=",
    "LessThan": "<",
    "LessThanOrEqualTo": "<=",
    "In": "in",
    "Not": "not",
    "Or": "or",
}


def looks_like(doc: Any) -> bool:
    return isinstance(doc, Mapping) and "Steps" in doc and "Version" in doc


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.parameters: dict[str, str] = {}
        self.steps: list[ExternalStep] = []
        self.gates: list[Gate] = []
        self.names: set[str] = set()

    def fail(self, where: str, message: str) -> CloudFormatError:
        return CloudFormatError(where, message, self.source)

    # ------------------------------------------------------------ references
    def references(self, value: Any, where: str, refs: dict[str, str], metrics: list[str]) -> None:
        """Collect ``Get`` references under ``value``: step name -> first place it is read."""
        stack: list[tuple[Any, str]] = [(value, where)]
        while stack:
            v, at = stack.pop()
            if isinstance(v, Mapping):
                if "Get" in v:
                    self._get(v["Get"], join(at, "Get"), refs)
                if "Std:JsonGet" in v:
                    jg = mapping(v["Std:JsonGet"], join(at, "Std:JsonGet"), self.source)
                    if jg.get("Path"):
                        metrics.append(text(jg["Path"]))
                for k, sub in v.items():
                    if k != "Get":
                        stack.append((sub, join(at, str(k))))
            elif isinstance(v, list):
                stack.extend((sub, f"{at}[{i}]") for i, sub in enumerate(v))

    def _get(self, expr: Any, where: str, refs: dict[str, str]) -> None:
        if not isinstance(expr, str) or not expr.strip():
            raise self.fail(
                where,
                f"a Get reference must be a text such as 'Steps.Train.…', "
                f"found {text(expr) or 'nothing'}",
            )
        head, _, rest = expr.partition(".")
        if head == "Steps":
            name = rest.split(".", 1)[0].split("[", 1)[0]
            if not name:
                raise self.fail(where, f"malformed reference '{expr}': no step name after 'Steps.'")
            refs.setdefault(name, where)
        elif head == "Parameters":
            if rest not in self.parameters:
                raise self.fail(where, f"reference to unknown pipeline parameter '{rest}'")
        elif head not in ("Execution", "PipelineExecution"):
            raise self.fail(
                where,
                f"malformed reference '{expr}': it must start with Steps., "
                "Parameters. or Execution.",
            )

    # ------------------------------------------------------------------ steps
    def read_steps(
        self, raw: Any, where: str, branch: str = "", group: str = "", gate_dep: str = ""
    ) -> list[str]:
        names: list[str] = []
        for i, item in enumerate(listing(raw, where, self.source)):
            at = f"{where}[{i}]"
            step = mapping(item, at, self.source, "a step (a mapping with Name and Type)")
            name = text(step.get("Name"), join(at, "Name"), self.source, required=True)
            stype = text(step.get("Type"), join(at, "Type"), self.source, required=True)
            if stype not in STEP_TYPES:
                raise self.fail(
                    join(at, "Type"),
                    f"unknown step type '{stype}' of step '{name}' "
                    f"(known: {', '.join(STEP_TYPES)})",
                )
            if name in self.names:
                raise self.fail(join(at, "Name"), f"a second step named '{name}'")
            self.names.add(name)
            names.append(name)
            self.read_step(step, at, name, stype, branch, group, gate_dep)
        return names

    def read_step(
        self,
        step: Mapping[str, Any],
        at: str,
        name: str,
        stype: str,
        branch: str,
        group: str,
        gate_dep: str,
    ) -> None:
        args = mapping(step.get("Arguments") or {}, join(at, "Arguments"), self.source)
        after: dict[str, Dependency] = {}
        if gate_dep:
            after[gate_dep] = Dependency(gate_dep, "control")
        for j, dep in enumerate(
            listing(step.get("DependsOn") or [], join(at, "DependsOn"), self.source)
        ):
            dname = text(dep, f"{at}.DependsOn[{j}]", self.source, required=True)
            after.setdefault(dname, Dependency(dname, "control"))
        refs: dict[str, str] = {}
        metrics: list[str] = []
        body = {k: v for k, v in args.items() if k not in ("IfSteps", "ElseSteps")}
        self.references(body, join(at, "Arguments"), refs, metrics)
        for k in ("PropertyFiles", "ModelPackageGroupName"):
            if k in step:
                self.references(step[k], join(at, k), refs, metrics)
        for dname in refs:
            if dname == name:
                raise self.fail(refs[dname], f"step '{name}' reads its own properties")
            after[dname] = Dependency(dname, "data")
        image, command, inputs = _container(stype, args)
        check = text(step.get("CheckType") or args.get("CheckType"))
        if check:
            inputs["CheckType"] = check
        settings: dict[str, str] = {}
        cache = step.get("CacheConfig")
        if isinstance(cache, Mapping) and cache.get("Enabled"):
            settings["cache"] = f"enabled, expires after {text(cache.get('ExpireAfter')) or '-'}"
        if step.get("RetryPolicies"):
            settings["retries"] = text(step["RetryPolicies"])
        for ref_step, ref_at in refs.items():
            inputs.setdefault(f"reads {ref_step}", ref_at)
        self.steps.append(
            ExternalStep(
                key=name,
                name=name,
                step_type=stype,
                location=at,
                component=text(step.get("DisplayName") or step.get("Description")),
                image=image,
                command=command,
                inputs=inputs,
                after=tuple(after.values()),
                group=group,
                branch=branch,
                settings=settings,
            )
        )
        if stype == "Condition":
            cond = (
                " and ".join(
                    _condition(c)
                    for c in listing(args.get("Conditions") or [], join(at, "Arguments.Conditions"))
                )
                or "(no condition)"
            )
            sub_group = f"{group}/{name}" if group else name
            if_steps = self.read_steps(
                args.get("IfSteps") or [],
                join(at, "Arguments.IfSteps"),
                f"if {name} holds ({cond})",
                sub_group,
                name,
            )
            else_steps = self.read_steps(
                args.get("ElseSteps") or [],
                join(at, "Arguments.ElseSteps"),
                f"else of {name}",
                sub_group,
                name,
            )
            self.gates.append(Gate(name, cond, tuple(if_steps), tuple(else_steps), tuple(metrics)))


def _container(stype: str, args: Mapping[str, Any]) -> tuple[str, str, dict[str, str]]:
    """The image, command and notable inputs of a step's arguments."""
    inputs: dict[str, str] = {}
    image = command = ""
    app = args.get("AppSpecification")
    if isinstance(app, Mapping):
        image = text(app.get("ImageUri"))
        command = " ".join(
            t
            for t in (text(app.get("ContainerEntrypoint")), text(app.get("ContainerArguments")))
            if t
        )
    algo = args.get("AlgorithmSpecification")
    if isinstance(algo, Mapping):
        image = text(algo.get("TrainingImage") or algo.get("AlgorithmName"))
    job = args.get("TrainingJobDefinition")
    if isinstance(job, Mapping) and isinstance(job.get("AlgorithmSpecification"), Mapping):
        image = text(job["AlgorithmSpecification"].get("TrainingImage"))
    prim = args.get("PrimaryContainer")
    if isinstance(prim, Mapping):
        image = text(prim.get("Image"))
    spec = args.get("InferenceSpecification")
    if (
        isinstance(spec, Mapping)
        and isinstance(spec.get("Containers"), list)
        and spec["Containers"]
    ):
        first = spec["Containers"][0]
        if isinstance(first, Mapping):
            image = text(first.get("Image"))
    hyper = args.get("HyperParameters")
    if hyper is None and isinstance(job, Mapping):
        hyper = job.get("StaticHyperParameters")
    if isinstance(hyper, Mapping):
        for k, v in list(hyper.items())[:40]:
            inputs[str(k)] = text(v)
    for key in (
        "ModelPackageGroupName",
        "ModelApprovalStatus",
        "ModelName",
        "FunctionArn",
        "SqsQueueUrl",
        "ClusterId",
        "ErrorMessage",
    ):
        if key in args:
            inputs[key] = text(args[key])
    return image, command, inputs


def _operand(v: Any) -> str:
    if isinstance(v, Mapping):
        if "Get" in v:
            return text(v["Get"])
        if "Std:JsonGet" in v and isinstance(v["Std:JsonGet"], Mapping):
            return f"{text(v['Std:JsonGet'].get('Path'))} (from a property file)"
    return text(v)


def _condition(c: Any) -> str:
    if not isinstance(c, Mapping):
        return text(c)
    op = OPERATORS.get(text(c.get("Type")), text(c.get("Type")))
    if "LeftValue" in c:
        return f"{_operand(c.get('LeftValue'))} {op} {_operand(c.get('RightValue'))}"
    return f"{op} {text(c.get('Expression') or c.get('Conditions'))}"


def parse(doc: Any, source: str = "") -> ExternalPipeline:
    """Read a SageMaker pipeline definition; refuses anything it does not understand."""
    root = mapping(doc, "", source, "a JSON object with Version and Steps")
    version = text(root.get("Version"))
    if version not in VERSIONS:
        raise CloudFormatError(
            "Version",
            f"unsupported definition version '{version}' (known: {', '.join(VERSIONS)})",
            source,
        )
    r = _Reader(source)
    for i, p in enumerate(listing(root.get("Parameters") or [], "Parameters", source)):
        at = f"Parameters[{i}]"
        pm = mapping(p, at, source)
        pname = text(pm.get("Name"), join(at, "Name"), source, required=True)
        r.parameters[pname] = f"{text(pm.get('Type')) or 'String'} = {text(pm.get('DefaultValue'))}"
    r.read_steps(root.get("Steps"), "Steps")
    name = text(
        (root.get("Metadata") or {}).get("Name")
        if isinstance(root.get("Metadata"), Mapping)
        else ""
    )
    return check_steps(
        ExternalPipeline(
            vendor="aws",
            format="sagemaker",
            name=name or "",
            steps=tuple(r.steps),
            parameters=r.parameters,
            gates=tuple(r.gates),
            groups={g.step: "condition" for g in r.gates},
        ),
        source,
    )
