"""The helper code of exported pipeline scripts: the stages' own functions, copied verbatim.

An exported script computes with the functions the built-in stages call, not with copies
kept by hand: :func:`embedded_code` reads the source of the stages' portable modules
(``stages/portable_*.py``, which import only the standard library at module level and
hold no state), and returns the requested functions together with every function and
constant of those modules they use, plus the standard-library imports they need, in the
modules' own order. What only a script needs (printing a stage's metrics, loading a
user's function, a stand-in for the stage context) stays in ``resources/codegen/helpers.py``,
one section per helper, opened by a ``# ---- helper: NAME`` line.

The source is read as a file (``importlib.resources``), never by importing anything of the
user's; the frozen desktop build ships these modules' ``.py`` files for this reason.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from mlops_desktop.core.resources import resource_path

PORTABLE_PACKAGE = "mlops_desktop.stages"
PORTABLE_MODULES = ("portable_data", "portable_model")  # embedded in this order


@dataclass(frozen=True)
class Definition:
    """One top-level function or constant of a portable module."""

    name: str
    module: str  # the module's file name without .py
    source: str  # its lines as written, comments included
    uses: frozenset[str]  # top-level names of its module that it refers to
    position: tuple[int, int]  # (module number, line): the order in the script


@dataclass(frozen=True)
class EmbeddedCode:
    """What a script needs from the portable modules."""

    imports: frozenset[tuple[str, str | None]]  # (module, name) or (module, None): import module
    constants: tuple[Definition, ...]
    functions: tuple[Definition, ...]

    @property
    def text(self) -> str:
        """The constants, then the functions, as they stand in the modules."""
        blocks = []
        if self.constants:
            blocks.append("\n".join(d.source for d in self.constants))
        blocks.extend(d.source for d in self.functions)
        return "\n\n\n".join(blocks)


@dataclass(frozen=True)
class _Catalogue:
    functions: dict[str, Definition]
    constants: dict[str, Definition]
    imports: dict[tuple[str, str], tuple[str, str | None]]  # (module, bound name) -> import


def portable_source(module: str) -> str:
    """The source text of one portable module (read as a file, not imported)."""
    return files(PORTABLE_PACKAGE).joinpath(f"{module}.py").read_text(encoding="utf-8")


@cache
def catalogue() -> _Catalogue:
    """Every function, constant and module-level import of the portable modules.

    Raises RuntimeError when two modules define the same function, or the same constant
    differently: the script has one namespace.
    """
    functions: dict[str, Definition] = {}
    constants: dict[str, Definition] = {}
    imports: dict[tuple[str, str], tuple[str, str | None]] = {}
    for number, module in enumerate(PORTABLE_MODULES):
        text = portable_source(module)
        lines = text.splitlines()
        tree = ast.parse(text)
        top = _top_level_names(tree)
        for node in tree.body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                imports.update(_imports(module, node))
                continue
            kind, names = _defined(node)
            for name in names:
                first = min([node.lineno, *(d.lineno for d in _decorators(node))])
                definition = Definition(
                    name,
                    module,
                    "\n".join(lines[first - 1 : node.end_lineno]),
                    frozenset(_names_in(node) & top - {name}),
                    (number, node.lineno),
                )
                if kind == "function":
                    _add(functions, definition, same_allowed=False)
                else:
                    _add(constants, definition, same_allowed=True)
    clash = set(functions) & set(constants)
    if clash:
        raise RuntimeError(f"portable modules use {sorted(clash)} as function and constant")
    return _Catalogue(functions, constants, imports)


def embedded_code(names: Iterable[str]) -> EmbeddedCode:
    """The named portable functions and all they use. Raises KeyError for an unknown name."""
    cat = catalogue()
    wanted: dict[str, Definition] = {}
    pending = list(names)
    while pending:
        name = pending.pop()
        if name in wanted:
            continue
        definition = cat.functions.get(name) or cat.constants[name]
        wanted[name] = definition
        pending.extend(u for u in definition.uses if u in cat.functions or u in cat.constants)
    imports = {
        cat.imports[(d.module, used)]
        for d in wanted.values()
        for used in d.uses
        if (d.module, used) in cat.imports
    }
    ordered = sorted(wanted.values(), key=lambda d: d.position)
    return EmbeddedCode(
        frozenset(imports),
        tuple(d for d in ordered if d.name in cat.constants),
        tuple(d for d in ordered if d.name in cat.functions),
    )


def portable_names() -> set[str]:
    """Every name an exported script may receive from the portable modules."""
    cat = catalogue()
    return set(cat.functions) | set(cat.constants) | {name for _, name in cat.imports}


def helper_names() -> set[str]:
    """The functions and classes that ``resources/codegen/helpers.py`` defines."""
    text = resource_path("codegen", "helpers.py").read_text(encoding="utf-8")
    return {name for node in ast.parse(text).body for name in _defined(node)[1]}


@cache
def helper_sections() -> dict[str, str]:
    """The script-only helpers of ``resources/codegen/helpers.py`` by section name."""
    text = resource_path("codegen", "helpers.py").read_text(encoding="utf-8")
    sections: dict[str, str] = {}
    for chunk in re.split(r"^# ---- helper: ", text, flags=re.MULTILINE)[1:]:
        name, _, body = chunk.partition("\n")
        sections[name.strip()] = body.strip("\n")
    return sections


def import_lines(imports: Iterable[tuple[str, str | None]]) -> list[str]:
    """``import x`` lines, then ``from x import a, b`` lines, each group sorted (isort's way)."""
    plain = sorted({module for module, name in imports if name is None})
    grouped: dict[str, set[str]] = {}
    for module, name in imports:
        if name is not None:
            grouped.setdefault(module, set()).add(name)
    return [f"import {m}" for m in plain] + [
        f"from {m} import {', '.join(sorted(grouped[m]))}" for m in sorted(grouped)
    ]


# ------------------------------------------------------------------------------ parsing
def _defined(node: ast.stmt) -> tuple[str, list[str]]:
    """("function", [name]) or ("constant", [names]) for a top-level statement, or ("", [])."""
    if isinstance(node, ast.FunctionDef | ast.ClassDef):
        return "function", [node.name]
    if isinstance(node, ast.Assign):
        return "constant", [t.id for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return "constant", [node.target.id]
    return "", []


def _decorators(node: ast.stmt) -> list[ast.expr]:
    return list(getattr(node, "decorator_list", []))


def _top_level_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.update(alias.asname or alias.name.split(".")[0] for alias in node.names)
        else:
            names.update(_defined(node)[1])
    return names


def _imports(
    module: str, node: ast.Import | ast.ImportFrom
) -> dict[tuple[str, str], tuple[str, str | None]]:
    """The module-level imports (not ``__future__``) by the name they bind."""
    out: dict[tuple[str, str], tuple[str, str | None]] = {}
    if isinstance(node, ast.ImportFrom):
        if node.module == "__future__" or node.level:
            return out
        for alias in node.names:
            if alias.asname is not None:
                raise RuntimeError(f"{module}: 'import ... as' cannot be copied into a script")
            out[(module, alias.name)] = (node.module or "", alias.name)
        return out
    for alias in node.names:
        if alias.asname is not None or "." in alias.name:
            raise RuntimeError(f"{module}: only plain 'import x' can be copied into a script")
        out[(module, alias.name)] = (alias.name, None)
    return out


def _names_in(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _add(into: dict[str, Definition], definition: Definition, same_allowed: bool) -> None:
    """Record a definition; a second one of the same name is an error unless it is a
    constant written the same way (both modules then agree on its value)."""
    known = into.get(definition.name)
    if known is None:
        into[definition.name] = definition
    elif not same_allowed or known.source != definition.source:
        raise RuntimeError(
            f"'{definition.name}' is defined in both {known.module} and {definition.module}"
        )
