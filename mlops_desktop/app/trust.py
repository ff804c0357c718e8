"""Which user code a workspace trusts to run (the "Python function" stage).

Opening a project runs none of its code. A Python-function stage runs only when its code is
trusted in this workspace: a file by its absolute path *and* the SHA-256 of its content (so
an edited file must be trusted again), a module by its name. Trust lives in the workspace's
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

if TYPE_CHECKING:
    from mlops_desktop.app.workspace import Workspace

SETTING = "trusted_code"
CODE_STAGES = ("python_function",)


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
        if self.kind == "file":
            state = f"sha256 {self.digest[:12]}" if self.digest else "file not found"
            return f"'{self.stage}' runs {self.function}() from {self.ident} ({state})"
        return f"'{self.stage}' runs {self.function}() from module {self.ident}"

    def entry(self) -> dict[str, str]:
        return {"kind": self.kind, "ident": self.ident, "digest": self.digest}


def code_refs(pipeline: Pipeline) -> list[CodeRef]:
    """The user code the pipeline's stages would run (reads files, imports nothing)."""
    from mlops_desktop.stages.custom import code_identity, file_digest

    refs = []
    for node in pipeline.nodes.values():
        if pipeline.registry.resolve(node.type) not in CODE_STAGES:
            continue
        identity = code_identity(dict(node.params))
        if identity is None:
            continue
        kind, ident = identity
        digest = (file_digest(ident) or "") if kind == "file" else ""
        function = str(node.params.get("function") or "run")
        refs.append(CodeRef(kind, ident, digest, node.title, function))
    return refs


def _entries(workspace: Workspace) -> list[dict[str, str]]:
    value = workspace.settings.get(SETTING, [])
    return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []


def is_trusted(workspace: Workspace, kind: str, ident: str, digest: str) -> bool:
    """Whether this exact file content (or this module) is trusted in the workspace."""
    if kind == "file" and not digest:
        return False
    wanted = {"kind": kind, "ident": ident, "digest": digest if kind == "file" else ""}
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


def trust(workspace: Workspace, pipeline: Pipeline) -> list[str]:
    """Trust every piece of code the pipeline runs, as it is now; returns what was added."""
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


def describe_all(workspace: Workspace) -> list[dict[str, Any]]:
    """The trusted entries (for a settings dialog or ``--json`` output)."""
    return [dict(e) for e in _entries(workspace)]
