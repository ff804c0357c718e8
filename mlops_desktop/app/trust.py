"""Which user code a workspace trusts to run (the "Python function" stage, SQL sources).

Opening a project runs none of its code. A Python-function stage runs only when its code is
trusted in this workspace: a file by its absolute path *and* the SHA-256 of its content and
of the Python code in its folder that it can import (so an edited file, or an edited helper
beside it, must be trusted again), a module by its name. A Load data stage with a SQL
source is trusted by its database (shown without password) and the hash of URL and query;
its query must be one read-only SELECT and never aim at the workspace's own database. Trust lives in the workspace's
settings store under :data:`SETTING`.

The GUI calls :func:`untrusted_code` before a run, asks the user once, and calls
:func:`trust`; the headless runner trusts only with ``run --trust``. :class:`RunService`
calls :func:`require_trusted` and refuses a run with untrusted code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlops_desktop.core.errors import MlopsError
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.stages._sql_source import query_problem, same_database, sql_identity

if TYPE_CHECKING:
    from mlops_desktop.app.workspace import Workspace

SETTING = "trusted_code"
CODE_STAGES = ("python_function",)
SQL_STAGE = "load_data"  # its "sql" source runs a query the workspace must trust


class UntrustedCodeError(MlopsError):
    """A pipeline would run code that this workspace has not trusted."""


@dataclass(frozen=True, slots=True)
class CodeRef:
    """One piece of user code a pipeline runs."""

    kind: str  # "file" or "module"
    ident: str  # absolute path or module name
    digest: str  # SHA-256 of the file's bytes ("" for a module, or a missing file)
    stage: str  # the stage's title
    function: str

    def describe(self) -> str:
        if self.kind == "sql":
            query = " ".join(self.function.split())
            query = query if len(query) <= 200 else query[:199] + "…"
            return f"'{self.stage}' reads the database {self.ident} with the query: {query}"
        if self.kind == "file":
            state = f"sha256 {self.digest[:12]}" if self.digest else "file not found"
            return f"'{self.stage}' runs {self.function}() from {self.ident} ({state})"
        return f"'{self.stage}' runs {self.function}() from module {self.ident}"

    def entry(self) -> dict[str, str]:
        return {"kind": self.kind, "ident": self.ident, "digest": self.digest}


def code_refs(pipeline: Pipeline) -> list[CodeRef]:
    """The user code the pipeline's stages would run (reads files, imports nothing)."""
    from mlops_desktop.stages.custom import code_digest, code_identity

    refs = []
    for node in pipeline.nodes.values():
        if pipeline.registry.resolve(node.type) not in CODE_STAGES:
            continue
        identity = code_identity(dict(node.params))
        if identity is None:
            continue
        kind, ident = identity
        digest = (code_digest(ident) or "") if kind == "file" else ""
        function = str(node.params.get("function") or "run")
        refs.append(CodeRef(kind, ident, digest, node.title, function))
    for node, url, query in sql_sources(pipeline):
        ident, digest = sql_identity(url, query)
        refs.append(CodeRef("sql", ident, digest, node.title, query))
    return refs


def sql_sources(pipeline: Pipeline) -> list[tuple[Any, str, str]]:
    """``(node, url, query)`` of every Load data stage that reads a SQL database."""
    out = []
    for node in pipeline.nodes.values():
        params = node.params
        if pipeline.registry.resolve(node.type) == SQL_STAGE and params.get("source") == "sql":
            out.append((node, str(params.get("url") or ""), str(params.get("query") or "")))
    return out


def _entries(workspace: Workspace) -> list[dict[str, str]]:
    value = workspace.settings.get(SETTING, [])
    return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []


def is_trusted(workspace: Workspace, kind: str, ident: str, digest: str) -> bool:
    """Whether this exact file content (or this module) is trusted in the workspace."""
    if kind == "file" and not digest:
        return False
    if kind == "sql" and not digest:
        return False
    wanted = {"kind": kind, "ident": ident, "digest": "" if kind == "module" else digest}
    return any(
        {k: e.get(k, "") for k in ("kind", "ident", "digest")} == wanted
        for e in _entries(workspace)
    )


def untrusted_code(workspace: Workspace, pipeline: Pipeline) -> list[str]:
    """One sentence per piece of code the pipeline would run that is not trusted yet.

    A missing file is left out: it cannot run, and its stage fails saying so.
    """
    return [
        ref.describe()
        for ref in code_refs(pipeline)
        if not (ref.kind == "file" and not ref.digest)
        and not is_trusted(workspace, ref.kind, ref.ident, ref.digest)
    ]


def refuse_sql_sources(workspace: Workspace, pipeline: Pipeline) -> None:
    """Raise :class:`UntrustedCodeError` for a SQL source no trust can allow: more than
    one statement, anything but a SELECT, or the workspace's own database."""
    for node, url, query in sql_sources(pipeline):
        problem = query_problem(query)
        if problem:
            raise UntrustedCodeError(f"'{node.title}': {problem}")
        if same_database(url, workspace.url):
            raise UntrustedCodeError(
                f"'{node.title}' queries the workspace's own database; a pipeline may not"
            )


def trust(workspace: Workspace, pipeline: Pipeline) -> list[str]:
    """Trust every piece of code the pipeline runs, as it is now; returns what was added."""
    refuse_sql_sources(workspace, pipeline)
    entries = _entries(workspace)
    added = []
    for ref in code_refs(pipeline):
        if ref.kind == "file" and not ref.digest:
            continue
        if (
            not is_trusted(workspace, ref.kind, ref.ident, ref.digest)
            and ref.entry() not in entries
        ):
            entries.append(ref.entry())
            added.append(ref.describe())
    if added:
        workspace.settings.set(SETTING, entries)
    return added


def revoke(workspace: Workspace, ident: str) -> int:
    """Forget every trust entry for a file path or module name; returns how many."""
    entries = _entries(workspace)
    kept = [e for e in entries if e.get("ident") != ident]
    workspace.settings.set(SETTING, kept)
    return len(entries) - len(kept)


def require_trusted(workspace: Workspace, pipeline: Pipeline) -> None:
    """Raise :class:`UntrustedCodeError` if the pipeline would run untrusted code."""
    refuse_sql_sources(workspace, pipeline)
    missing = untrusted_code(workspace, pipeline)
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise UntrustedCodeError(
            f"not trusted in this workspace: {missing[0]}{more}; trust it in the app or run "
            "with --trust"
        )


class CodeTrust:
    """The ``code_trust`` service the Python-function stage asks right before it runs code.

    ``check(kind, ident, digest)`` is called from worker threads; it reads the settings
    store each time, so trust granted or revoked in between is honoured.
    """

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def __call__(self, kind: str, ident: str, digest: str) -> bool:
        return is_trusted(self.workspace, kind, ident, digest)

    def for_worker(self) -> TrustedSet:
        """The trusted entries as they are now, for a remote worker to check against."""
        return TrustedSet(tuple(_key(e) for e in _entries(self.workspace)))


def _key(entry: dict[str, Any]) -> tuple[str, str, str]:
    return (str(entry.get("kind", "")), str(entry.get("ident", "")), str(entry.get("digest", "")))


@dataclass(frozen=True, slots=True)
class TrustedSet:
    """A picklable snapshot of a workspace's trust, answered on a remote worker."""

    entries: tuple[tuple[str, str, str], ...]

    def __call__(self, kind: str, ident: str, digest: str) -> bool:
        if kind != "module" and not digest:
            return False
        return (kind, ident, "" if kind == "module" else digest) in self.entries


def describe_all(workspace: Workspace) -> list[dict[str, Any]]:
    """The trusted entries (for a settings dialog or ``--json`` output)."""
    return [dict(e) for e in _entries(workspace)]
