"""Schema checks and Alembic migrations, run when a workspace is opened.

Opening is careful with files that are not ours: an existing SQLite file is first inspected
through a read-only connection (header, tables, schema revision). Only a workspace of this
app or an empty database goes further; anything else (random bytes, an empty file, another
application's database, a schema newer than this app) is refused with a
:class:`WorkspaceError` and left byte for byte unchanged. A pending migration on an existing
file is preceded by a backup copy made with SQLite's online backup API.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, MetaData, inspect, text

from mlops_desktop.core.errors import WorkspaceError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_HEADER = b"SQLite format 3\x00"
# Tables every workspace has had since the first revision: the mark of "one of ours".
MARKER_TABLES = frozenset({"alembic_version", "projects", "pipelines", "pipeline_versions"})
_PG_LOCK_KEY = 0x6D6C6F7073  # advisory lock serialising migrations of one PostgreSQL database


def load_models() -> MetaData:
    """Import every ``orm*`` module of the storage package; return the shared metadata."""
    import mlops_desktop.storage as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("orm"):
            importlib.import_module(f"{pkg.__name__}.{info.name}")
    from mlops_desktop.storage.orm import Base

    return Base.metadata


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.M)


@cache
def _revision_graph() -> dict[str, str | None]:
    """revision -> down_revision, read from the migration files without importing Alembic
    (which is slow to import: opening an up-to-date workspace should not need it)."""
    graph: dict[str, str | None] = {}
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        text = path.read_text("utf-8")
        found = {m.group(1): m.group(2) for m in _REVISION_LINE.finditer(text)}
        if "revision" not in found:
            continue
        down = found.get("down_revision", "None").strip("\"'")
        graph[found["revision"].strip("\"'")] = None if down == "None" else down
    return graph


def head_revision() -> str:
    """The newest schema revision this app knows (one linear history)."""
    graph = _revision_graph()
    heads = sorted(set(graph) - {d for d in graph.values() if d})
    if len(heads) != 1:
        raise RuntimeError(f"workspace migrations must have one head, found {heads}")
    return heads[0]


def known_revisions() -> frozenset[str]:
    return frozenset(_revision_graph())


@dataclass(frozen=True, slots=True)
class SchemaState:
    """What an existing database holds: its table names and Alembic revision(s)."""

    tables: frozenset[str]
    revisions: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not self.tables

    @property
    def revision(self) -> str | None:
        return self.revisions[0] if len(self.revisions) == 1 else None


def check_state(state: SchemaState, where: str) -> None:
    """Refuse a database that is neither empty nor a workspace this app can open."""
    if state.empty:
        return
    if not MARKER_TABLES <= state.tables:
        raise WorkspaceError(f"{where} is not an MLOps Desktop workspace (it holds other tables)")
    if len(state.revisions) > 1:
        raise WorkspaceError(
            f"{where} records {len(state.revisions)} schema revisions "
            f"({', '.join(state.revisions)}) where a workspace has one: it was changed outside "
            "MLOps Desktop; open a backup, or keep only the right row in alembic_version "
            "(nothing was changed)"
        )
    unknown = [r for r in state.revisions if r not in known_revisions()]
    if unknown or not state.revisions:
        raise WorkspaceError(
            f"{where} was written by a newer MLOps Desktop (schema revision "
            f"{', '.join(unknown) or 'unknown'}); update the app to open it"
        )


def needs_upgrade(state: SchemaState) -> bool:
    return state.revisions != (head_revision(),)


def inspect_sqlite_file(path: Path) -> SchemaState:
    """Read the state of an existing SQLite file without changing it (read-only connection)."""
    if path.is_dir():
        raise WorkspaceError(f"{path} is a folder, not a workspace file")
    try:
        with path.open("rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise WorkspaceError(f"cannot read {path}: {exc.strerror}") from None
    if not header:
        raise WorkspaceError(f"{path} is an empty file, not a workspace")
    if header != SQLITE_HEADER:
        raise WorkspaceError(f"{path} is not a workspace (not an SQLite database)")
    # With no -wal beside it (or an empty one), the file holds every commit: read it as
    # immutable, so a read-only look at a WAL-mode file (refused or not) leaves no -wal/-shm
    # behind and needs no disk space (a full disk cannot hold a new -shm).
    wal = path.with_name(path.name + "-wal")
    quiet = not wal.exists() or wal.stat().st_size == 0
    options = "mode=ro&immutable=1" if quiet else "mode=ro"
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?{options}", uri=True, timeout=30)
    except sqlite3.Error as exc:
        raise WorkspaceError(f"cannot open {path}: {exc}") from None
    try:
        tables = frozenset(
            r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        )
        revisions: tuple[str, ...] = ()
        if "alembic_version" in tables:
            revisions = tuple(r[0] for r in con.execute("SELECT version_num FROM alembic_version"))
    except sqlite3.DatabaseError as exc:
        raise WorkspaceError(f"{path} is not a readable workspace ({exc})") from None
    finally:
        con.close()
    return SchemaState(tables, revisions)


def inspect_connection(conn: Connection) -> SchemaState:
    tables = frozenset(inspect(conn).get_table_names())
    revisions: tuple[str, ...] = ()
    if "alembic_version" in tables:
        rows = conn.execute(text("SELECT version_num FROM alembic_version"))
        revisions = tuple(sorted(r[0] for r in rows))
    return SchemaState(tables, revisions)


def backup_sqlite_file(path: Path, revision: str | None) -> Path:
    """Copy a workspace file (with what its WAL holds) before migrating it; returns the copy."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    target = path.with_name(f"{path.name}.backup-{revision or 'none'}-{stamp}")
    src = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    return target


def _driver_pragma(conn: Connection, pragma: str) -> None:
    """Run an SQLite PRAGMA on the driver's connection (outside SQLAlchemy's transaction)."""
    driver = conn.connection.driver_connection
    assert driver is not None  # an open connection has its driver connection
    driver.execute(pragma)


def upgrade(engine: Engine, where: str) -> None:
    """Migrate the database to the newest revision, serialised against other processes.

    Runs in one transaction (``BEGIN IMMEDIATE`` on SQLite, an advisory lock on PostgreSQL)
    and re-checks the revision inside it, so two processes opening an old workspace at once
    migrate it once. SQLite foreign keys are off meanwhile, so batch table rebuilds do not
    cascade deletes; they are checked before committing.
    """
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:  # a PRAGMA outside any transaction: through the driver connection
            _driver_pragma(conn, "PRAGMA foreign_keys = OFF")
        conn.execution_options(mlops_write=True)
        try:
            with conn.begin():
                if engine.dialect.name == "postgresql":
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK_KEY})")
                state = inspect_connection(conn)
                check_state(state, where)
                if needs_upgrade(state):
                    from alembic import command

                    cfg = alembic_config()
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, "head")
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise WorkspaceError(
                            f"migrating {where} would break references ({len(broken)} rows)"
                        )
        finally:
            if sqlite:
                _driver_pragma(conn, "PRAGMA foreign_keys = ON")
