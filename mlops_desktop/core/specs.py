"""Declarative stage descriptions: typed ports, parameter schemas and lifecycle phases.

A :class:`StageSpec` says what a stage is, never how it runs: ``impl`` names the callable
(``"package.module:function"``) that the engine imports only when the stage runs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from mlops_desktop.core.errors import ParameterError
from mlops_desktop.core.ports import PortType


class ParamKind(StrEnum):
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    STR = "str"
    TEXT = "text"  # multi-line string (SQL query, rules)
    CHOICE = "choice"
    PATH = "path"  # a file path; the GUI shows a file picker
    OPTIONAL_FLOAT = "optional_float"
    OPTIONAL_INT = "optional_int"


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """One parameter of a stage: its type, default, allowed values and help text."""

    name: str
    kind: ParamKind
    default: Any
    help: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    label: str = ""
    file_filter: str = ""  # for PATH: e.g. "Data files (*.csv *.parquet)"
    visible_when: tuple[str, str] | None = None  # (other param, value) that shows this one
    read_only: bool = False  # shown, never edited (an imported step's definition)

    @property
    def display_name(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()

    def coerce(self, stage: str, value: Any) -> Any:
        """Return ``value`` converted to this parameter's type, or raise :class:`ParameterError`."""
        kind = self.kind
        if kind in (ParamKind.OPTIONAL_FLOAT, ParamKind.OPTIONAL_INT) and (
            value is None or value == ""
        ):
            return None
        try:
            if kind in (ParamKind.INT, ParamKind.OPTIONAL_INT):
                if isinstance(value, bool):
                    raise TypeError
                if isinstance(value, float) and not value.is_integer():
                    raise ValueError
                out: Any = int(value)
            elif kind in (ParamKind.FLOAT, ParamKind.OPTIONAL_FLOAT):
                if isinstance(value, bool):
                    raise TypeError
                out = float(value)
                if math.isnan(out) or math.isinf(out):
                    raise ValueError
            elif kind is ParamKind.BOOL:
                if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
                    out = value.lower() in ("true", "1")
                elif isinstance(value, bool | int):
                    out = bool(value)
                else:
                    raise TypeError
            else:
                if not isinstance(value, str):
                    raise TypeError
                out = value
        except (TypeError, ValueError):
            raise ParameterError(
                stage, self.name, f"expected {self.describe()}, got {value!r}"
            ) from None
        if kind is ParamKind.CHOICE and out not in self.choices:
            raise ParameterError(
                stage, self.name, f"expected one of {', '.join(self.choices)}, got {value!r}"
            )
        if isinstance(out, int | float) and not isinstance(out, bool):
            if self.minimum is not None and out < self.minimum:
                raise ParameterError(stage, self.name, f"must be >= {self.minimum:g}, got {out!r}")
            if self.maximum is not None and out > self.maximum:
                raise ParameterError(stage, self.name, f"must be <= {self.maximum:g}, got {out!r}")
        return out

    def describe(self) -> str:
        """A short phrase naming the allowed values, for error messages and tooltips."""
        kind = self.kind
        if kind is ParamKind.CHOICE:
            return "one of " + ", ".join(self.choices)
        base = {
            ParamKind.INT: "an integer",
            ParamKind.OPTIONAL_INT: "an integer or empty",
            ParamKind.FLOAT: "a number",
            ParamKind.OPTIONAL_FLOAT: "a number or empty",
            ParamKind.BOOL: "true or false",
            ParamKind.PATH: "a file path",
        }.get(kind, "text")
        if self.minimum is not None and self.maximum is not None:
            return f"{base} from {self.minimum:g} to {self.maximum:g}"
        if self.minimum is not None:
            return f"{base} >= {self.minimum:g}"
        if self.maximum is not None:
            return f"{base} <= {self.maximum:g}"
        return base


@dataclass(frozen=True, slots=True)
class PortSpec:
    """A named, typed input or output of a stage."""

    name: str
    type: PortType
    optional: bool = False  # inputs only: the stage runs without it
    help: str = ""
    many: bool = False  # inputs only: takes any number of links (an external step's "after")


@dataclass(frozen=True, slots=True)
class StageSpec:
    """The declarative description of a stage type.

    ``kind`` is the lifecycle signal the maturity rules look for (``train``, ``monitor``,
    ``model_validate``...; see resources/maturity). ``phases`` maps a lens id (``aws``,
    ``google``, ``azure``, ``tdsp``) to the id of the phase the stage belongs to there; a lens
    missing from the map has no phase for the stage.
    """

    id: str
    title: str
    category: str
    description: str
    impl: str
    kind: str
    inputs: tuple[PortSpec, ...] = ()
    outputs: tuple[PortSpec, ...] = ()
    params: tuple[ParamSpec, ...] = ()
    phases: Mapping[str, str] = field(default_factory=dict)
    icon: str = ""
    version: int = 1
    aliases: tuple[str, ...] = ()
    # A stage that changes or reads state outside its inputs (the model registry, deployments,
    # a counter): the engine always runs it, never serves it from the cache, and runs it in
    # the app's process (beside the workspace) even when other stages go to a Dask cluster.
    side_effects: bool = False
    # A stage whose lifecycle kind is chosen per node (an imported external step): the node's
    # parameter of this name holds the kind, and ``kind`` is only the fallback.
    kind_param: str = ""
    # (parameter, value): a node with this parameter value reads or writes the workspace (a
    # stored reference), so a remote executor runs it in the app's process, as side_effects
    # stages, without giving up the cache rules of the other values.
    local_when: tuple[str, str] | None = None

    def runs_locally(self, params: Mapping[str, Any]) -> bool:
        """Whether a node with ``params`` must run in the app's process (never remotely)."""
        if self.side_effects:
            return True
        return self.local_when is not None and params.get(self.local_when[0]) == self.local_when[1]

    def kind_for(self, params: Mapping[str, Any]) -> str:
        """The lifecycle kind of a node of this stage with ``params``."""
        if self.kind_param:
            value = params.get(self.kind_param)
            if isinstance(value, str) and value:
                return value
        return self.kind

    def input(self, name: str) -> PortSpec | None:
        return next((p for p in self.inputs if p.name == name), None)

    def output(self, name: str) -> PortSpec | None:
        return next((p for p in self.outputs if p.name == name), None)

    def param(self, name: str) -> ParamSpec | None:
        return next((p for p in self.params if p.name == name), None)

    def default_params(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def validate_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Return the full, coerced parameter dict or raise on the first bad value.

        Unknown names are refused; missing names take their defaults.
        """
        unknown = sorted(set(params) - {p.name for p in self.params})
        if unknown:
            allowed = ", ".join(p.name for p in self.params) or "none"
            raise ParameterError(self.title, unknown[0], f"unknown parameter (allowed: {allowed})")
        out = self.default_params()
        for name, value in params.items():
            spec = self.param(name)
            assert spec is not None
            out[name] = spec.coerce(self.title, value)
        return out

    def param_problems(self, params: Mapping[str, Any]) -> list[str]:
        """Every problem with ``params`` (not only the first), as messages."""
        problems: list[str] = []
        names = {p.name for p in self.params}
        for name in sorted(set(params) - names):
            problems.append(f"parameter '{name}' of {self.title}: unknown parameter")
        for spec in self.params:
            if spec.name in params:
                try:
                    spec.coerce(self.title, params[spec.name])
                except ParameterError as exc:
                    problems.append(str(exc))
        return problems
