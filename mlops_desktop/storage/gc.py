"""Garbage collection of the artifact folder: reclaim the files nothing refers to any more.

A digest is *referenced* when any row of the workspace still names it: the outputs of every
stage run, run input hashes, model versions' ``artifact_digest``, digests nested in JSON
details (packages, deployments...) and cache entries that are still *live*. Rather than a
hand-kept list of columns, every JSON column and every ``String(64)`` column of every table
in the schema is scanned (JSON values recursively) for 64-hex strings, so a table added
later is covered without touching this module. Keeping a few extra files by accident (a
pipeline's content hash that happens to look like a digest) is harmless; removing a
referenced one is not.

Cache entries are weak references: an entry whose cache key no stage run names any more
(its runs were deleted or their project purged) is *orphaned*; it is dropped and does not
keep its files. Every cache entry is written and read by a run, whose row exists (queued or
running) before it touches the cache; so orphans are kept, as references, while any run of
the workspace is unfinished: such a run may have just read or written the entry and not yet
written the stage-run row that names its key. After files are removed, every
cache entry naming a missing artifact is dropped too, so the cache never serves a miss.

Concurrency. Another process running a pipeline writes each output file *before* the rows
that name it (stage run, cache entry). Our snapshot of the references may therefore miss
files that are about to be referenced. Two rules keep them safe:

* files younger than ``min_age_seconds`` are never removed, and
* :meth:`ArtifactStore.put_bytes` refreshes the modification time of a file that already
  exists (a run re-producing an old artifact makes it young again).

Removal is atomic per file: the file is renamed to a ``.tmp-gc-`` name (writers no longer
find it and write it again), its age is checked once more on the renamed file, and only then
unlinked; if a writer refreshed it in the meantime it is renamed back. A collector that dies
half-way leaves at most ``.tmp-`` files, which ``remove_stale_temp_files`` deletes later.
An age of 0 is only safe when no other process uses the workspace.

On a full disk (the database cannot take a write) the files go first: those no row names
but an orphaned cache entry, then the cache rows once there is room again.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, String, Table, delete, select
from sqlalchemy.orm import Session

from mlops_desktop.core.errors import WorkspaceError
from mlops_desktop.storage.artifacts import ArtifactStore
from mlops_desktop.storage.database import Database
from mlops_desktop.storage.orm import SqlCacheEntry, SqlRun, SqlStageRun
from mlops_desktop.storage.schema import load_models

DEFAULT_MIN_AGE_S = 3600.0
_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_TOMB = ".tmp-gc-"
_UNFINISHED = ("queued", "running")
_BATCH = 1000


@dataclass
class GcReport:
    """What a collection found: files kept and removed (or that would be, in a dry run)."""

    kept: int = 0
    removed: int = 0
    bytes_freed: int = 0
    digests: list[str] = field(default_factory=list)  # removed (or removable) digests
    young: int = 0  # unreferenced files kept because they are younger than the minimum age
    cache_entries_dropped: int = 0
    temp_files_removed: int = 0
    dry_run: bool = False


def collect_garbage(
    workspace_db: Database,
    artifacts: ArtifactStore,
    *,
    dry_run: bool = False,
    min_age_seconds: float = DEFAULT_MIN_AGE_S,
) -> GcReport:
    """Remove the artifact files no row references and that are older than the minimum age.

    With ``dry_run`` nothing is changed; the report says what would be removed.
    """
    if min_age_seconds < 0:
        raise ValueError("the minimum age cannot be negative")
    report = GcReport(dry_run=dry_run)
    full = False
    orphans: set[str] = set()
    cutoff = time.time() - min_age_seconds
    if dry_run:
        with workspace_db.read() as s:
            orphans = _orphan_cache_keys(s)
            referenced = _referenced(s, skip_cache_keys=orphans)
        report.cache_entries_dropped = len(orphans)
    else:
        try:
            report.cache_entries_dropped = _drop_orphan_cache_entries(workspace_db)
        except WorkspaceError:  # a full disk: free the files first, the cache rows after
            full = True
            with workspace_db.read() as s:
                orphans = _orphan_cache_keys(s)
        with workspace_db.read() as s:  # one snapshot of every reference
            referenced = _referenced(s, skip_cache_keys=orphans)
    for digest, path in _artifact_files(artifacts.root):
        if digest in referenced:
            report.kept += 1
            continue
        size = _remove_if_old(path, cutoff, dry_run)
        if size is None:
            report.kept += 1
            report.young += 1
        else:
            report.removed += 1
            report.bytes_freed += size
            report.digests.append(digest)
    if dry_run:
        report.cache_entries_dropped += _count_broken(workspace_db, set(report.digests), orphans)
    else:
        try:
            if full:  # with the room just freed: the orphaned entries go now
                report.cache_entries_dropped = _drop_orphan_cache_entries(workspace_db)
            report.cache_entries_dropped += _drop_broken_cache_entries(workspace_db, artifacts)
        except WorkspaceError:
            if not full:
                raise
            # Still full: an entry whose files are gone is never served (CacheStore.get
            # checks them), the next gc drops it.
        report.temp_files_removed = artifacts.remove_stale_temp_files(min_age_seconds)
    report.digests.sort()
    return report


# --- references ------------------------------------------------------------------------


def _digest_columns(table: Table) -> list[Any]:
    return [
        c
        for c in table.columns
        if isinstance(c.type, JSON) or (type(c.type) is String and c.type.length == 64)
    ]


def _referenced(session: Session, *, skip_cache_keys: set[str]) -> set[str]:
    """Every digest-shaped string in the workspace's JSON and String(64) columns."""
    found: set[str] = set()
    for table in load_models().sorted_tables:
        columns = _digest_columns(table)
        if not columns:
            continue
        is_cache = table.name == SqlCacheEntry.__tablename__
        query = select(*columns, table.c.cache_key) if is_cache else select(*columns)
        result = session.execute(query.execution_options(yield_per=_BATCH))
        for row in result:
            if is_cache and row[-1] in skip_cache_keys:
                continue
            for value in row:
                _collect(value, found)
    return found


def _collect(value: Any, found: set[str]) -> None:
    if isinstance(value, str):
        if len(value) == 64 and _DIGEST.match(value):
            found.add(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _collect(key, found)
            _collect(item, found)
    elif isinstance(value, list | tuple):
        for item in value:
            _collect(item, found)


# --- cache entries ---------------------------------------------------------------------


def _orphan_cache_keys(session: Session) -> set[str]:
    """Keys of cache entries no stage run names; none while a run is unfinished."""
    busy = session.scalar(select(SqlRun.id).where(SqlRun.status.in_(_UNFINISHED)).limit(1))
    if busy is not None:
        return set()
    used = select(SqlStageRun.cache_key).distinct()
    query = select(SqlCacheEntry.cache_key).where(SqlCacheEntry.cache_key.not_in(used))
    return set(session.scalars(query))


def _drop_orphan_cache_entries(db: Database) -> int:
    with db.write() as s:
        keys = _orphan_cache_keys(s)
        for chunk in _chunks(sorted(keys)):
            s.execute(delete(SqlCacheEntry).where(SqlCacheEntry.cache_key.in_(chunk)))
        return len(keys)


def _drop_broken_cache_entries(db: Database, artifacts: ArtifactStore) -> int:
    """Drop cache entries that name an artifact that is no longer in the folder."""
    with db.read() as s:
        entries = list(s.execute(select(SqlCacheEntry.cache_key, SqlCacheEntry.outputs)))
    broken = [
        key
        for key, outputs in entries
        if not all(artifacts.exists(d) for d in (outputs or {}).values())
    ]
    if not broken:
        return 0
    with db.write() as s:
        for chunk in _chunks(broken):
            s.execute(delete(SqlCacheEntry).where(SqlCacheEntry.cache_key.in_(chunk)))
    return len(broken)


def _count_broken(db: Database, removed: set[str], orphans: set[str]) -> int:
    """How many (non-orphan) cache entries name a file a real collection would remove."""
    if not removed:
        return 0
    with db.read() as s:
        entries = list(s.execute(select(SqlCacheEntry.cache_key, SqlCacheEntry.outputs)))
    return sum(
        1
        for key, outputs in entries
        if key not in orphans and not removed.isdisjoint((outputs or {}).values())
    )


def _chunks(items: list[str], size: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- files -----------------------------------------------------------------------------


def _artifact_files(root: Path) -> Iterator[tuple[str, Path]]:
    for path in sorted(root.glob("??/*")):
        if path.name.startswith(".") or not _DIGEST.match(path.name[:64]):
            continue
        if path.is_file():
            yield path.name[:64], path


def _remove_if_old(path: Path, cutoff: float, dry_run: bool) -> int | None:
    """Remove ``path`` if last written before ``cutoff``: its size, or None if kept."""
    try:
        stat = path.stat()
    except OSError:
        return None  # gone already
    if stat.st_mtime >= cutoff:
        return None
    if dry_run:
        return stat.st_size
    tomb = path.with_name(f"{_TOMB}{path.name}")
    try:
        os.replace(path, tomb)  # from here on writers do not find it and write it again
        stat = tomb.stat()
    except OSError:
        return None
    if stat.st_mtime >= cutoff:  # a writer refreshed it just before the rename: put it back
        try:
            os.replace(tomb, path)  # same content by construction, even if rewritten since
        except OSError:
            pass
        return None
    try:
        tomb.unlink()
    except OSError:
        return None
    return stat.st_size
