"""Short constructors used by the spec modules to keep the declarations readable."""

from __future__ import annotations

from typing import Any

from mlops_desktop.core.ports import PortType
from mlops_desktop.core.specs import ParamKind, ParamSpec, PortSpec


def inp(name: str, type_: PortType, optional: bool = False, help: str = "") -> PortSpec:
    return PortSpec(name, type_, optional=optional, help=help)


def out(name: str, type_: PortType, help: str = "") -> PortSpec:
    return PortSpec(name, type_, help=help)


def p_int(
    name: str,
    default: int,
    lo: float | None = None,
    hi: float | None = None,
    help: str = "",
    **kw: Any,
) -> ParamSpec:
    return ParamSpec(name, ParamKind.INT, default, help=help, minimum=lo, maximum=hi, **kw)


def p_float(
    name: str,
    default: float,
    lo: float | None = None,
    hi: float | None = None,
    help: str = "",
    **kw: Any,
) -> ParamSpec:
    return ParamSpec(name, ParamKind.FLOAT, default, help=help, minimum=lo, maximum=hi, **kw)


def p_opt_float(
    name: str, lo: float | None = None, hi: float | None = None, help: str = "", **kw: Any
) -> ParamSpec:
    return ParamSpec(name, ParamKind.OPTIONAL_FLOAT, None, help=help, minimum=lo, maximum=hi, **kw)


def p_opt_int(
    name: str, lo: float | None = None, hi: float | None = None, help: str = "", **kw: Any
) -> ParamSpec:
    return ParamSpec(name, ParamKind.OPTIONAL_INT, None, help=help, minimum=lo, maximum=hi, **kw)


def p_bool(name: str, default: bool, help: str = "", **kw: Any) -> ParamSpec:
    return ParamSpec(name, ParamKind.BOOL, default, help=help, **kw)


def p_str(name: str, default: str = "", help: str = "", **kw: Any) -> ParamSpec:
    return ParamSpec(name, ParamKind.STR, default, help=help, **kw)


def p_text(name: str, default: str = "", help: str = "", **kw: Any) -> ParamSpec:
    return ParamSpec(name, ParamKind.TEXT, default, help=help, **kw)


def p_choice(
    name: str, default: str, choices: tuple[str, ...], help: str = "", **kw: Any
) -> ParamSpec:
    return ParamSpec(name, ParamKind.CHOICE, default, help=help, choices=choices, **kw)


def p_path(
    name: str, default: str = "", help: str = "", file_filter: str = "", **kw: Any
) -> ParamSpec:
    return ParamSpec(name, ParamKind.PATH, default, help=help, file_filter=file_filter, **kw)
