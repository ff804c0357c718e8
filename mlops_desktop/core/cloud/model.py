"""The external pipeline entity every cloud format is read into, its limits and its errors.

A parser (``azure_ml``, ``kfp_ir``, ``sagemaker``) turns an already safely loaded document
(plain dicts, lists and scalars) into an :class:`ExternalPipeline`; :mod:`.convert` turns that
into a native pipeline of external stages. Every refusal is a :class:`CloudFormatError` that
names the place in the file (a dotted path such as ``jobs.train.inputs.data``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from mlops_desktop.core.errors import FormatError

# Limits: a definition beyond these is refused before anything is built.
MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 48
MAX_ELEMENTS = 400_000
MAX_STEPS = 2_000
MAX_TEXT = 2_000  # longest text kept for one parameter value or command


class CloudFormatError(FormatError):
    """A cloud pipeline definition was refused; ``where`` is the place in the file."""

    def __init__(self, where: str, message: str, source: str = "") -> None:
        self.where = where
        self.source = source
        place = f"{source}: " if source else ""
        at = f"at {where}: " if where else ""
        super().__init__(f"{place}{at}{message}")


@dataclass(frozen=True, slots=True)
class Dependency:
    """``step`` (a step key) must finish first; ``kind`` is ``data`` or ``control``."""

    step: str
    kind: str = "control"


@dataclass(frozen=True, slots=True)
class ExternalStep:
    """One step of a cloud pipeline, as its definition describes it (never run here)."""

    key: str  # unique in the pipeline: the group path and the step's name
    name: str
    step_type: str  # the vendor's word: Training, command, container...
    location: str  # where the step is defined in the file
    component: str = ""
    image: str = ""
    command: str = ""
    inputs: Mapping[str, str] = field(default_factory=dict)
    after: tuple[Dependency, ...] = ()
    group: str = ""  # nested DAG path, e.g. "exit-handler-1/condition-2"
    branch: str = ""  # e.g. "if CheckAccuracy is true"
    settings: Mapping[str, str] = field(default_factory=dict)  # caching, retries, compute


@dataclass(frozen=True, slots=True)
class Gate:
    """A condition step: which steps run when ``condition`` holds and which otherwise."""

    step: str
    condition: str
    if_steps: tuple[str, ...] = ()
    else_steps: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()  # metric-like values the condition reads (from a property file)


@dataclass(frozen=True, slots=True)
class ExternalPipeline:
    vendor: str  # aws | google | azure
    format: str  # sagemaker | kfp | azureml
    name: str
    steps: tuple[ExternalStep, ...]
    parameters: Mapping[str, str] = field(default_factory=dict)
    schedules: tuple[Mapping[str, str], ...] = ()
    gates: tuple[Gate, ...] = ()
    groups: Mapping[str, str] = field(default_factory=dict)  # group path -> kind (condition...)
    description: str = ""

    def step(self, key: str) -> ExternalStep | None:
        return next((s for s in self.steps if s.key == key), None)


FORMAT_TITLES = {
    "azureml": "Azure Machine Learning pipeline job (CLI v2)",
    "kfp": "Kubeflow Pipelines v2 / Vertex AI compiled pipeline",
    "sagemaker": "Amazon SageMaker pipeline definition",
}


# ------------------------------------------------------------------ document helpers
def check_shape(doc: Any, source: str = "") -> None:
    """Refuse a document nested deeper than :data:`MAX_DEPTH` or with too many elements.

    The walk is iterative (no recursion) and counts shared sub-trees each time they are
    reached, so YAML alias bombs stop at the element limit.
    """
    stack: list[tuple[Any, int, str]] = [(doc, 0, "")]
    seen = 0
    while stack:
        value, depth, where = stack.pop()
        seen += 1
        if seen > MAX_ELEMENTS:
            raise CloudFormatError(
                where, f"the document has more than {MAX_ELEMENTS:,} elements", source
            )
        if depth > MAX_DEPTH:
            raise CloudFormatError(
                where, f"the document is nested deeper than {MAX_DEPTH} levels", source
            )
        if isinstance(value, Mapping):
            for k, v in value.items():
                if isinstance(v, Mapping | list):
                    stack.append((v, depth + 1, join(where, str(k))))
                else:
                    seen += 1
        elif isinstance(value, list):
            for i, v in enumerate(value):
                if isinstance(v, Mapping | list):
                    stack.append((v, depth + 1, f"{where}[{i}]"))
                else:
                    seen += 1


def join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def mapping(value: Any, where: str, source: str = "", what: str = "a mapping") -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise CloudFormatError(where, f"expected {what}, found {_kind(value)}", source)
    return value


def listing(value: Any, where: str, source: str = "") -> list[Any]:
    if not isinstance(value, list):
        raise CloudFormatError(where, f"expected a list, found {_kind(value)}", source)
    return value


def text(value: Any, where: str = "", source: str = "", required: bool = False) -> str:
    """A scalar as a short string (lists of scalars joined with spaces)."""
    if value is None:
        if required:
            raise CloudFormatError(where, "a value is required here", source)
        return ""
    if isinstance(value, list) and all(not isinstance(v, Mapping | list) for v in value):
        out = " ".join(str(v) for v in value)
    elif isinstance(value, Mapping | list):
        import json

        out = json.dumps(value, sort_keys=True, default=str)
    else:
        out = str(value)
    return out if len(out) <= MAX_TEXT else out[: MAX_TEXT - 1] + "…"


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {str(value)[:40]!r}"


def find_cycle(deps: Mapping[str, Iterable[str]]) -> list[str] | None:
    """A dependency cycle among ``deps`` (step -> steps it waits for), or ``None``."""
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(deps, white)
    for start in deps:
        if colour[start] != white:
            continue
        path: list[str] = []
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(deps.get(start, ())))]
        colour[start] = grey
        path.append(start)
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                colour[node] = black
                stack.pop()
                path.pop()
                continue
            if nxt not in colour:
                continue
            if colour[nxt] == grey:
                return path[path.index(nxt) :] + [nxt]
            if colour[nxt] == white:
                colour[nxt] = grey
                path.append(nxt)
                stack.append((nxt, iter(deps.get(nxt, ()))))
    return None


def check_steps(pipeline: ExternalPipeline, source: str = "") -> ExternalPipeline:
    """Refuse a pipeline with no steps, too many, duplicate keys, unknown or cyclic links."""
    steps = pipeline.steps
    if not steps:
        raise CloudFormatError("", "the definition has no steps", source)
    if len(steps) > MAX_STEPS:
        raise CloudFormatError("", f"the definition has more than {MAX_STEPS} steps", source)
    by_key: dict[str, ExternalStep] = {}
    for s in steps:
        if s.key in by_key:
            raise CloudFormatError(s.location, f"a second step named '{s.name}'", source)
        by_key[s.key] = s
    for s in steps:
        for d in s.after:
            if d.step not in by_key:
                raise CloudFormatError(
                    s.location, f"step '{s.name}' depends on unknown step '{d.step}'", source
                )
    cycle = find_cycle({s.key: [d.step for d in s.after] for s in steps})
    if cycle:
        where = by_key[cycle[0]].location
        names = " → ".join(by_key[k].name for k in reversed(cycle))
        raise CloudFormatError(where, f"the steps depend on each other in a cycle: {names}", source)
    return pipeline
