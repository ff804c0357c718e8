"""Read a team's repository for maturity evidence, safely: files are only read (never run,
never imported), with limits on file size, file count and time, and no network.

Walks the tree (skipping VCS, virtualenv and build folders), hands the text of the files
worth reading to :func:`mlops_desktop.core.evidence.scan.scan_text`, and returns a
:class:`~mlops_desktop.core.evidence.findings.RepoScan`. The HEAD commit is read from the
``.git`` folder's files (no git process), so CI results can be tied to it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from mlops_desktop.core.errors import MlopsError
from mlops_desktop.core.evidence.findings import Finding, RepoScan
from mlops_desktop.core.evidence.scan import finish, name_findings, scan_text, wants
from mlops_desktop.core.maturity.facts import ProjectFacts

MAX_FILE_BYTES = 1024 * 1024
MAX_FILES = 200_000
TIME_LIMIT_S = 8.0
MAX_FINDINGS = 5_000
SKIP_DIRS = {
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    ".venv",
    "venv",
    "env",
    "__pycache__",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    "site-packages",
    "dist",
    "build",
    ".ipynb_checkpoints",
}


def head_commit(root: Path) -> str:
    """The commit HEAD points at, read from ``.git`` (no git process); "" when unknown."""
    git = root / ".git"
    try:
        if git.is_file():  # a worktree: "gitdir: <path>"
            line = git.read_text(encoding="utf-8", errors="replace").strip()
            git = (root / line.removeprefix("gitdir:").strip()).resolve()
        head = (git / "HEAD").read_text(encoding="utf-8", errors="replace").strip()
        if not head.startswith("ref:"):
            return head[:40]
        ref = head[4:].strip()
        ref_file = git / ref
        if ref_file.is_file():
            return ref_file.read_text(encoding="utf-8", errors="replace").strip()[:40]
        packed = git / "packed-refs"
        if packed.is_file():
            for line in packed.read_text(encoding="utf-8", errors="replace").splitlines():
                sha, _, name = line.partition(" ")
                if name.strip() == ref:
                    return sha[:40]
    except OSError:
        return ""
    return ""


def _walk(root: Path, deadline: float) -> tuple[list[str], bool]:
    """Relative paths of the files under ``root`` (bounded by count and time)."""
    out: list[str] = []
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_symlink():
                    continue  # a link may point outside the repository
                if entry.is_dir():
                    if entry.name not in SKIP_DIRS:
                        stack.append(Path(entry.path))
                elif entry.is_file():
                    out.append(os.path.relpath(entry.path, root).replace(os.sep, "/"))
            except OSError:
                continue
        if len(out) >= MAX_FILES or time.monotonic() > deadline:
            return out, True
    return out, False


def scan_repository(path: str | Path, time_limit_s: float = TIME_LIMIT_S) -> RepoScan:
    """Scan a repository folder; refuses what is not a folder."""
    root = Path(path).expanduser()
    if not root.is_dir():
        raise MlopsError(f"{root} is not a folder")
    root = root.resolve()
    deadline = time.monotonic() + time_limit_s
    files, truncated = _walk(root, deadline)
    findings: list[Finding] = []
    skipped: list[str] = []
    for rel in sorted(files):
        if time.monotonic() > deadline or len(findings) >= MAX_FINDINGS:
            truncated = True
            break
        findings += name_findings(rel)
        if not wants(rel):
            continue
        full = root / rel
        try:
            size = full.stat().st_size
            if size > MAX_FILE_BYTES:
                skipped.append(f"{rel}: larger than {MAX_FILE_BYTES // 1024} KB, not read")
                continue
            text = full.read_bytes().decode("utf-8", errors="replace")
        except OSError as exc:
            skipped.append(f"{rel}: cannot be read ({exc.strerror or exc})")
            continue
        try:
            findings += scan_text(rel, text)
        except ValueError as exc:
            skipped.append(f"{rel}: {exc}")
    return RepoScan(
        str(root),
        tuple(finish(findings)),
        files=len(files),
        skipped=tuple(skipped),
        truncated=truncated,
        head=head_commit(root),
    )


def repo_facts(path: str | Path) -> ProjectFacts:
    """Facts of a repository alone (no app pipeline, no workspace): what its files show."""
    scan = scan_repository(path)
    return ProjectFacts(project=Path(scan.root).name, repo=scan.root, repo_scan=scan)
