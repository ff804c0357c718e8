"""Open a workspace database: refuse what is not ours, back up, migrate, hand out an engine.

For an SQLite file every check happens before anything writes to it, so a refused file is
left byte for byte unchanged. A path that does not exist becomes a new workspace.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from pathlib import Path

from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from mlops_desktop.core.errors import WorkspaceError
from mlops_desktop.storage import schema
from mlops_desktop.storage.database import (
    Database,
    is_memory,
    is_sqlite,
    make_engine,
    parse_url,
    plain_error,
)


def sqlite_path(url: URL) -> Path | None:
    """The file of an SQLite URL (None for an in-memory database)."""
    if not is_sqlite(url) or is_memory(url):
        return None
    return Path(url.database or "").expanduser()


def display_url(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _create_sqlite_file(path: Path) -> None:
    """Build a new workspace in a temporary file, then link it into place.

    Other processes never see a half-created (say, empty) file under ``path``; when two
    processes create the same workspace at once, the first link wins and the other uses it.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorkspaceError(f"cannot create the folder {path.parent}: {exc}") from None
    tmp = path.with_name(f".{path.name}.new-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        engine = make_engine(URL.create("sqlite", database=str(tmp)))
        try:
            schema.upgrade(engine, str(path))
        finally:
            engine.dispose()
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process created it first: theirs is as good as ours
        except OSError:  # no hard links on this file system
            if not path.exists():
                os.replace(tmp, path)
    except (SQLAlchemyError, OSError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise WorkspaceError(f"cannot create the workspace {path}: {reason}") from None
    finally:
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), Path(f"{tmp}-journal")):
            with contextlib.suppress(OSError):
                leftover.unlink(missing_ok=True)


def _prepare_sqlite_file(path: Path) -> None:
    """Create a new file, or check an existing one (read-only) and back it up when a
    migration is due."""
    if not path.exists():
        _create_sqlite_file(path)
        return
    if not path.is_file():  # a FIFO or device would block or read forever
        kind = "a folder" if path.is_dir() else "not a regular file"
        raise WorkspaceError(f"{path} is {kind}, not a workspace file")
    state = schema.inspect_sqlite_file(path)
    schema.check_state(state, str(path))
    if not state.empty and schema.needs_upgrade(state):
        schema.backup_sqlite_file(path, state.revision)


def open_database(url: str | URL) -> Database:
    """A migrated workspace database at ``url`` (SQLite path URL or any SQLAlchemy URL)."""
    parsed = parse_url(url) if isinstance(url, str) else url
    path = sqlite_path(parsed)
    where = str(path) if path is not None else display_url(parsed)
    if path is not None:
        _prepare_sqlite_file(path)
    try:
        return _migrated(make_engine(parsed), where)
    except WorkspaceError:
        if path is None or not disk_full(path):
            raise
    # A full disk cannot hold the shared-memory file WAL mode needs: open the file for this
    # process alone, so that reading and `workspace gc` (which frees space) still work.
    try:
        return _migrated(make_engine(parsed, exclusive=True), where)
    except WorkspaceError:
        raise WorkspaceError(
            f"the disk holding {where} is full: free some space (e.g. `mlops-desktop "
            "workspace gc`) and try again"
        ) from None


def disk_full(path: Path) -> bool:
    """Whether the file system holding ``path`` has (next to) no room left."""
    try:
        return shutil.disk_usage(path.parent).free < FULL_BELOW_BYTES
    except OSError:
        return False


FULL_BELOW_BYTES = 1 << 20  # under 1 MiB free: a workspace cannot count on writing


def _migrated(engine: Engine, where: str) -> Database:
    try:
        schema.upgrade(engine, where)
    except WorkspaceError:
        engine.dispose()
        raise
    except SQLAlchemyError as exc:
        engine.dispose()
        plain = plain_error(exc) if isinstance(exc, OperationalError) else None
        if plain is not None:  # busy (a held lock, e.g. another process migrating), full...
            raise plain from None
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise WorkspaceError(f"cannot open the workspace {where}: {reason}") from None
    return Database(engine)
