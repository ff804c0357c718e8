"""Azure Machine Learning CLI v2 pipeline jobs (``type: pipeline`` YAML) → ExternalPipeline.

``jobs`` are steps; a job's ``component`` is inline, a registered asset (``azureml:name:1``)
or a file (``./train.yml``) read through the ``load`` callback the caller gives (file access
stays in ``app/``). A component of ``type: pipeline`` is a nested group. Dependencies come
from ``${{parent.jobs.<step>.outputs.<name>}}`` bindings and from ``if_else`` /
``do_while`` / ``parallel_for`` control nodes. A schedule YAML (``trigger`` +
``create_job``) is read as its pipeline plus the schedule.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
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
    mapping,
    text,
)

# (reference, base folder) -> (document, its base folder, its name for messages)
Loader = Callable[[str, str], tuple[Any, str, str]]

JOB_TYPES = (
    "command",
    "sweep",
    "pipeline",
    "parallel",
    "spark",
    "automl",
    "import",
    "data_transfer",
    "if_else",
    "do_while",
    "parallel_for",
)
CONTROL_TYPES = ("if_else", "do_while", "parallel_for")
_BINDING = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_PARENT_JOB = re.compile(r"^parent\.jobs\.([A-Za-z0-9_\-]+)(?:\.outputs\.([A-Za-z0-9_\-]+))?$")
_PARENT_IO = re.compile(r"^parent\.(inputs|outputs)\.([A-Za-z0-9_\-]+)$")


def looks_like(doc: Any) -> bool:
    if not isinstance(doc, Mapping):
        return False
    if "create_job" in doc and "trigger" in doc:
        return True
    return doc.get("type") == "pipeline" and "jobs" in doc


def _no_loader(ref: str, base: str) -> tuple[Any, str, str]:
    raise FileNotFoundError(ref)


class _Reader:
    def __init__(self, source: str, load: Loader) -> None:
        self.source = source
        self.load = load
        self.steps: list[ExternalStep] = []
        self.gates: list[Gate] = []
        self.groups: dict[str, str] = {}

    def relative(self, src: str) -> str:
        """A component file's name as seen from the pipeline file's folder."""
        folder = self.source.replace("\\", "/").rpartition("/")[0]
        name = src.replace("\\", "/")
        return name[len(folder) + 1 :] if folder and name.startswith(folder + "/") else src

    def fail(self, where: str, message: str, source: str | None = None) -> CloudFormatError:
        return CloudFormatError(where, message, self.source if source is None else source)

    def fetch(self, ref: str, base: str, where: str, src: str) -> tuple[Any, str, str]:
        try:
            return self.load(ref, base)
        except CloudFormatError:
            raise
        except FileNotFoundError:
            raise self.fail(where, f"the component file '{ref}' does not exist", src) from None
        except (OSError, ValueError) as exc:
            raise self.fail(where, f"cannot read the component file '{ref}': {exc}", src) from None

    def bindings(
        self, value: Any, where: str, src: str, jobs: Mapping[str, Any], parent_inputs: set[str]
    ) -> tuple[str, dict[str, str]]:
        """The value as text and the sibling jobs it reads (job name -> place)."""
        reads: dict[str, str] = {}
        if isinstance(value, Mapping):
            value = value.get("path", value.get("value", value))
        raw = text(value)
        if "${{" in raw and raw.count("${{") != len(_BINDING.findall(raw)):
            raise self.fail(where, f"malformed binding '{raw}' (expected ${{{{parent.…}}}})", src)
        for expr in _BINDING.findall(raw):
            job = _PARENT_JOB.match(expr)
            io = _PARENT_IO.match(expr)
            if job:
                if job.group(1) not in jobs:
                    raise self.fail(
                        where, f"the binding '{raw}' names an unknown job '{job.group(1)}'", src
                    )
                reads.setdefault(job.group(1), where)
            elif io:
                if io.group(1) == "inputs" and parent_inputs and io.group(2) not in parent_inputs:
                    raise self.fail(
                        where,
                        f"the binding '{raw}' names an unknown pipeline input '{io.group(2)}'",
                        src,
                    )
            elif not expr.startswith(("inputs.", "outputs.", "name", "search_space.")):
                raise self.fail(
                    where,
                    f"malformed binding '{raw}' (expected "
                    "parent.inputs.x, parent.outputs.x or parent.jobs.step.outputs.y)",
                    src,
                )
        return raw, reads

    def read_pipeline(
        self,
        doc: Mapping[str, Any],
        where: str,
        src: str,
        base: str,
        group: str,
        entry: tuple[Dependency, ...],
        chain: tuple[str, ...],
    ) -> set[str]:
        if len(chain) > MAX_DEPTH // 2:
            raise self.fail(where, f"pipelines are nested deeper than {MAX_DEPTH // 2} levels", src)
        jobs = mapping(doc.get("jobs"), join(where, "jobs"), src, "a mapping of jobs")
        inputs_decl = doc.get("inputs")
        parent_inputs = set(inputs_decl) if isinstance(inputs_decl, Mapping) else set()
        # control nodes: the jobs they start wait for them
        controlled: dict[str, tuple[str, str]] = {}  # job -> (control job, branch label)
        for cname, cjob in jobs.items():
            if isinstance(cjob, Mapping) and cjob.get("type") in CONTROL_TYPES:
                c_at = join(join(where, "jobs"), str(cname))
                for key, label in (
                    ("true_block", "if true"),
                    ("false_block", "if false"),
                    ("body", "loop body"),
                ):
                    if key not in cjob:
                        continue
                    blocks = cjob[key] if isinstance(cjob[key], list) else [cjob[key]]
                    for i, b in enumerate(blocks):
                        b_at = join(c_at, key) + (f"[{i}]" if isinstance(cjob[key], list) else "")
                        _, reads = self.bindings(b, b_at, src, jobs, parent_inputs)
                        if not reads:
                            raise self.fail(b_at, "expected ${{parent.jobs.<job>}}", src)
                        for target in reads:
                            cond = text(cjob.get("condition"))
                            controlled[target] = (
                                str(cname),
                                f"{label} of {cname} ({cond})" if cond else f"{label} of {cname}",
                            )
        exits_of: dict[str, set[str]] = {}
        created_of: dict[str, set[str]] = {}
        visiting: list[str] = []

        def visit(name: str, asked_at: str) -> set[str]:
            if name in exits_of:
                return exits_of[name]
            at = join(join(where, "jobs"), name)
            if name in visiting:
                loop = " → ".join([*visiting[visiting.index(name) :], name])
                raise self.fail(at, f"the jobs depend on each other in a cycle: {loop}", src)
            visiting.append(name)
            job = mapping(jobs[name], at, src, "a job (a mapping)")
            jtype = text(job.get("type") or "command")
            if jtype not in JOB_TYPES:
                raise self.fail(
                    join(at, "type"),
                    f"unknown job type '{jtype}' of job '{name}' (known: {', '.join(JOB_TYPES)})",
                    src,
                )
            deps: dict[str, Dependency] = {}
            values: dict[str, str] = {}
            sections = ["inputs"] if jtype not in CONTROL_TYPES else []
            for section in sections:
                raw = mapping(job.get(section) or {}, join(at, section), src)
                for iname, ivalue in raw.items():
                    v, reads = self.bindings(
                        ivalue, join(at, f"{section}.{iname}"), src, jobs, parent_inputs
                    )
                    values[str(iname)] = v
                    for producer, p_at in reads.items():
                        for k in sorted(visit(producer, p_at)):
                            deps[k] = Dependency(k, "data")
            if jtype in CONTROL_TYPES and "condition" in job:
                v, reads = self.bindings(
                    job["condition"], join(at, "condition"), src, jobs, parent_inputs
                )
                values["condition"] = v
                for producer, p_at in reads.items():
                    for k in sorted(visit(producer, p_at)):
                        deps[k] = Dependency(k, "data")
            branch = ""
            if name in controlled:
                control, branch = controlled[name]
                for k in sorted(visit(control, at)):
                    deps.setdefault(k, Dependency(k, "control"))
            after = tuple(deps.values()) if deps else entry
            created, exits = self.read_job(
                name, job, jtype, at, src, base, group, after, branch, values, chain
            )
            visiting.pop()
            exits_of[name], created_of[name] = exits, created
            return exits

        for name in jobs:
            visit(str(name), join(where, "jobs"))
        for cname, cjob in jobs.items():
            if isinstance(cjob, Mapping) and cjob.get("type") == "if_else":
                key = f"{group}/{cname}" if group else str(cname)
                yes = tuple(
                    sorted(
                        k
                        for t, (c, b) in controlled.items()
                        if c == cname and b.startswith("if true")
                        for k in created_of.get(t, ())
                    )
                )
                no = tuple(
                    sorted(
                        k
                        for t, (c, b) in controlled.items()
                        if c == cname and b.startswith("if false")
                        for k in created_of.get(t, ())
                    )
                )
                self.gates.append(Gate(key, text(cjob.get("condition")), yes, no))
        created = set().union(*created_of.values()) if created_of else set()
        waited_for = {d.step for s in self.steps if s.key in created for d in s.after}
        return {k for k in created if k not in waited_for}

    def read_job(
        self,
        name: str,
        job: Mapping[str, Any],
        jtype: str,
        at: str,
        src: str,
        base: str,
        group: str,
        after: tuple[Dependency, ...],
        branch: str,
        values: dict[str, str],
        chain: tuple[str, ...],
    ) -> tuple[set[str], set[str]]:
        comp_ref = job.get("component") if jtype != "sweep" else job.get("trial")
        comp: Mapping[str, Any] = {}
        comp_name = ""
        comp_src, comp_base, comp_at = src, base, at
        if isinstance(comp_ref, str) and comp_ref.strip():
            ref = comp_ref.strip()
            if ref.startswith("azureml:"):
                comp_name = ref
            else:
                path = ref.removeprefix("file:")
                ident = f"{base}/{path}"
                if ident in chain:
                    raise self.fail(
                        join(at, "component"),
                        f"the component '{path}' includes itself: {' → '.join([*chain, ident])}",
                        src,
                    )
                doc, comp_base, comp_src = self.fetch(path, base, join(at, "component"), src)
                comp = mapping(doc, "", comp_src, "a component (a mapping)")
                comp_name, comp_at = text(comp.get("name")) or path, ""
                chain = (*chain, ident)
        elif isinstance(comp_ref, Mapping):
            comp, comp_at = comp_ref, join(at, "component")
            comp_name = text(comp.get("name"))
        elif comp_ref is not None:
            raise self.fail(
                join(at, "component"),
                "expected a file path, an azureml: asset or an inline component",
                src,
            )
        if jtype == "pipeline" or comp.get("type") == "pipeline":
            sub = f"{group}/{name}" if group else name
            self.groups[sub] = "sub-pipeline"
            first = len(self.steps)
            body = comp if comp else job
            exits = self.read_pipeline(
                body,
                comp_at if comp else at,
                comp_src,
                comp_base,
                sub,
                after,
                (*chain, f"job:{sub}"),
            )
            return {s.key for s in self.steps[first:]}, exits or {d.step for d in after}
        env = comp.get("environment", job.get("environment"))
        image = text(env.get("image") if isinstance(env, Mapping) else env)
        command = text(comp.get("command", job.get("command")))
        settings: dict[str, str] = {}
        for key in ("compute", "resources", "limits", "retry_settings"):
            if key in job:
                settings[key] = text(job[key])
        if comp.get("is_deterministic") is not False and jtype == "command":
            settings["reuse"] = "deterministic (outputs can be reused)"
        if jtype == "sweep":
            settings["objective"] = text(job.get("objective"))
        key = f"{group}/{name}" if group else name
        self.steps.append(
            ExternalStep(
                key=key,
                name=text(job.get("display_name")) or name,
                step_type=jtype,
                location=f"{self.relative(src)}: {at}" if src != self.source else at,
                component=comp_name or text(comp.get("display_name")),
                image=image,
                command=command,
                inputs=values,
                after=after,
                group=group,
                branch=branch,
                settings=settings,
            )
        )
        return {key}, {key}


def parse(
    doc: Any, source: str = "", load: Loader | None = None, base: str = ""
) -> ExternalPipeline:
    """Read an Azure ML pipeline job (or a schedule that creates one)."""
    r = _Reader(source, load or _no_loader)
    root = mapping(doc, "", source, "a pipeline job (a mapping with type: pipeline)")
    schedules: list[dict[str, str]] = []
    src, where = source, ""
    if "create_job" in root and "trigger" in root:
        trig = mapping(root.get("trigger"), "trigger", source)
        schedules.append(
            {
                "type": "schedule",
                "name": text(root.get("name")),
                "trigger": text(trig.get("type")),
                "every": f"{text(trig.get('interval'))} {text(trig.get('frequency'))}".strip(),
                "expression": text(trig.get("expression")),
                "where": "trigger",
            }
        )
        job_ref = root["create_job"]
        if isinstance(job_ref, str):
            job_doc, base, src = r.fetch(job_ref.removeprefix("file:"), base, "create_job", source)
            root = mapping(job_doc, "", src, "a pipeline job (a mapping with type: pipeline)")
        else:
            root, where = mapping(job_ref, "create_job", source), "create_job"
    if text(root.get("type")) != "pipeline":
        raise CloudFormatError(join(where, "type"), "expected 'type: pipeline'", src)
    r.read_pipeline(root, where, src, base, "", (), ())
    params: dict[str, str] = {}
    if isinstance(root.get("inputs"), Mapping):
        for k, v in root["inputs"].items():
            params[str(k)] = text(
                v.get("path", v.get("default", v.get("type"))) if isinstance(v, Mapping) else v
            )
    settings = root.get("settings")
    if isinstance(settings, Mapping) and "force_rerun" in settings:
        params["settings.force_rerun"] = text(settings["force_rerun"])
    return check_steps(
        ExternalPipeline(
            vendor="azure",
            format="azureml",
            name=text(root.get("display_name") or root.get("name") or root.get("experiment_name")),
            steps=tuple(r.steps),
            parameters=params,
            schedules=tuple(schedules),
            gates=tuple(r.gates),
            groups=r.groups,
            description=text(root.get("description")),
        ),
        source,
    )
