"""Engines and units of work for the workspace database.

SQLite connections use WAL, ``synchronous=NORMAL``, foreign keys and a busy timeout. The
driver's own transaction handling is switched off so that SQLAlchemy's ``BEGIN`` is real:
a read unit of work begins a deferred transaction, a write unit begins ``BEGIN IMMEDIATE``,
which takes the write lock up front (waiting up to the busy timeout) instead of failing when
another process commits between our read and our write. On PostgreSQL the same code runs
in ordinary transactions.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from mlops_desktop.core.errors import WorkspaceError

BUSY_TIMEOUT_S = 30.0
# PostgreSQL: the longest one statement may take (waits included) before the server cancels
# it; no statement of the app comes near it, so it ends only a stuck one.
STATEMENT_TIMEOUT_S = 300.0
_WRITE_OPTION = "mlops_write"


def parse_url(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError as exc:
        raise WorkspaceError(f"not a workspace path or database URL: {url!r} ({exc})") from None


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def is_memory(url: URL) -> bool:
    return is_sqlite(url) and url.database in (None, "", ":memory:")


def _on_sqlite_connect(
    dbapi_connection: Any, _record: Any, *, wal: bool, exclusive: bool = False
) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (see _on_begin)
    cursor = dbapi_connection.cursor()
    try:
        if exclusive:  # WAL without the -shm file (which a full disk cannot hold)
            cursor.execute("PRAGMA locking_mode = EXCLUSIVE")
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        if wal:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _on_sqlite_begin(conn: Connection) -> None:
    mode = "BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE_OPTION) else "BEGIN"
    conn.exec_driver_sql(mode)


def make_engine(url: str | URL, *, exclusive: bool = False) -> Engine:
    """An engine for ``url`` with the workspace's connection settings. ``exclusive`` (SQLite):
    this process alone uses the file, and WAL mode needs no shared-memory file beside it."""
    parsed = parse_url(url) if isinstance(url, str) else url
    if is_sqlite(parsed):
        memory = is_memory(parsed)
        kwargs: dict[str, Any] = {
            "connect_args": {"timeout": BUSY_TIMEOUT_S, "check_same_thread": False}
        }
        if memory or exclusive:  # one shared connection (in memory: else every session sees
            kwargs["poolclass"] = StaticPool  # its own empty database; exclusive: the lock)
        engine = create_engine(parsed, **kwargs)
        event.listen(
            engine,
            "connect",
            lambda c, r: _on_sqlite_connect(c, r, wal=not memory, exclusive=exclusive),
        )
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    try:
        engine = create_engine(parsed, pool_pre_ping=True)
    except (ArgumentError, ImportError) as exc:
        raise WorkspaceError(f"cannot use database URL {parsed!r}: {exc}") from None
    if engine.dialect.name == "postgresql":
        event.listen(engine, "connect", _on_postgres_connect)
    return engine


def _on_postgres_connect(dbapi_connection: Any, _record: Any) -> None:
    """Wait for a lock at most as long as SQLite does, and for any statement at most
    :data:`STATEMENT_TIMEOUT_S`, instead of forever."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"SET lock_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        cursor.execute(f"SET statement_timeout = {int(STATEMENT_TIMEOUT_S * 1000)}")
    finally:
        cursor.close()
    dbapi_connection.commit()


def _busy(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return any(word in text for word in ("locked", "busy", "lock timeout", "statement timeout"))


FULL_DISK_MESSAGE = (
    "the disk holding the workspace is full: nothing was saved; free some space "
    "(mlops-desktop workspace gc) and try again"
)


def _plain(exc: OperationalError) -> WorkspaceError | None:
    """One line for a database error the user can act on (busy, read-only, full disk)."""
    text = str(exc.orig).lower()
    if _busy(exc):
        return WorkspaceError(BUSY_MESSAGE)
    if "readonly database" in text or "read-only" in text:
        return WorkspaceError(
            "the workspace is read-only (its file or folder cannot be written): nothing was "
            "changed; make it writable, or open a writable copy"
        )
    if "disk is full" in text or "no space left" in text:
        return WorkspaceError(FULL_DISK_MESSAGE)
    return None


def plain_error(exc: OperationalError) -> WorkspaceError | None:
    """The one line for ``exc`` when it is one the user can act on (busy, read-only, full
    disk), else None: the same words wherever the workspace is opened or written."""
    return _plain(exc)


BUSY_MESSAGE = (
    "the workspace is busy (another process held it, or the database did not answer, "
    "too long); try again"
)


class Database:
    """An engine plus units of work: ``with db.read() as s`` / ``with db.write() as s``.

    Each unit of work is one session in one transaction: committed at the end of the block,
    rolled back on an exception. Sessions do not expire objects on commit, but stores
    convert rows to entities inside the block anyway.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._writer = engine.execution_options(**{_WRITE_OPTION: True})

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Session]:
        try:
            with Session(self.engine, expire_on_commit=False) as session, session.begin():
                yield session
        except OperationalError as exc:
            plain = _plain(exc)
            if plain is not None:
                raise plain from exc
            raise

    @contextmanager
    def write(self) -> Iterator[Session]:
        try:
            with Session(self._writer, expire_on_commit=False) as session, session.begin():
                yield session
        except OperationalError as exc:
            plain = _plain(exc)
            if plain is not None:
                raise plain from exc
            raise

    @contextmanager
    def write_connection(self) -> Iterator[Connection]:
        """A Core connection in a write transaction, for bulk inserts."""
        try:
            with self._writer.begin() as conn:
                yield conn
        except OperationalError as exc:
            plain = _plain(exc)
            if plain is not None:
                raise plain from exc
            raise

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()
