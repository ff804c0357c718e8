"""The SQL source of Load data, kept inside the trust gate.

A query in a pipeline file is code aimed at a database, so it is held to the same rules as
a Python function: the workspace must trust this URL *and* this query (the trust prompt
shows both: :func:`sql_identity`), and whatever it is, it can only read:

- one statement, and only ``SELECT`` or ``WITH`` (no ``ATTACH``, ``VACUUM INTO``,
  ``PRAGMA``, ``SELECT ... INTO``, ``COPY``...), checked after removing literals and
  comments (:func:`query_problem`);
- on a read-only connection where the database offers one (SQLite opened ``mode=ro`` with
  ``query_only``; PostgreSQL and MySQL in a ``READ ONLY`` transaction), always rolled back.

Never the workspace's own database: the trust gate refuses that before the run
(:func:`same_database`).
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

ALLOWED_FIRST = ("select", "with")
FORBIDDEN = (
    "attach",
    "detach",
    "vacuum",
    "pragma",
    "into",
    "copy",
    "insert",
    "update",
    "delete",
    "drop",
    "create",
    "alter",
    "grant",
    "revoke",
    "truncate",
    "call",
    "execute",
    "load_extension",
    "lo_import",
    "lo_export",
    "pg_read_file",
    "pg_write_file",
    "dblink",
    "set_config",
)
MAX_QUERY = 100_000
_LITERALS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/", re.S)


def _code_only(query: str) -> str:
    """The query without string literals, quoted names and comments."""
    return _LITERALS.sub(" ", query)


def query_problem(query: str) -> str | None:
    """Why ``query`` may not run as a data source (None when it may)."""
    if len(query) > MAX_QUERY:
        return f"the query is longer than {MAX_QUERY:,} characters"
    code = _code_only(query).strip().rstrip(";").strip()
    if not code:
        return "the query is empty"
    if ";" in code:
        return "the query holds more than one statement; give one SELECT"
    words = re.findall(r"[a-z_][a-z0-9_]*", code.lower())
    if not words or words[0] not in ALLOWED_FIRST:
        return "only a SELECT (or WITH ... SELECT) query may load data"
    bad = sorted(set(words) & set(FORBIDDEN))
    if bad:
        return f"the query uses '{bad[0].upper()}'; a data source may only read"
    return None


def display_url(url: str) -> str:
    """The URL with its password hidden (for the trust prompt and messages)."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - shown as given when it does not parse
        return url


def sql_identity(url: str, query: str) -> tuple[str, str]:
    """``(ident, digest)`` under which the workspace trusts one SQL source."""
    digest = hashlib.sha256(f"{url}\n{query}".encode()).hexdigest()
    return display_url(url), digest


def same_database(url: str, workspace_url: Any) -> bool:
    """Whether ``url`` names the workspace's own database."""
    from sqlalchemy.engine import make_url

    try:
        a, b = make_url(url), make_url(str(workspace_url))
    except Exception:  # noqa: BLE001 - an unreadable URL fails in the stage
        return False
    if a.get_backend_name() != b.get_backend_name():
        return False
    if a.get_backend_name() == "sqlite":
        if not a.database or not b.database or a.database.startswith("file:"):
            return bool(a.database and b.database and Path(b.database).name in a.database)
        try:  # the same file under another name (a link, another spelling of the path)
            return os.path.samefile(Path(a.database).expanduser(), Path(b.database))
        except OSError:
            return Path(a.database).expanduser().absolute() == Path(b.database).absolute()
    backend = a.get_backend_name()
    port = DEFAULT_PORTS.get(backend)
    return (_host(a.host), a.port or port, a.database) == (
        _host(b.host),
        b.port or port,
        b.database,
    )


DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306}
_THIS_MACHINE = {"", "localhost", "localhost.localdomain", "127.0.0.1", "::1", "[::1]", "0.0.0.0"}


def _host(host: str | None) -> str:
    """A host as a server compares it: every name of this machine is one."""
    import socket

    name = (host or "").strip().lower().rstrip(".")
    if name in _THIS_MACHINE or name.startswith("127.") or name.startswith("/"):
        return "this machine"  # loopback, or a Unix socket folder
    try:
        if name in (socket.gethostname().lower(), socket.getfqdn().lower()):
            return "this machine"
    except OSError:
        pass
    return name


def read_only_engine(url: str) -> Any:
    """An engine whose connections can only read, where the database offers that."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        if not database or database == ":memory:":
            raise ValueError("an SQLite source needs a database file")
        path = Path(database).expanduser().absolute()
        if not path.is_file():
            raise ValueError(f"no database file {path}")
        engine = sa.create_engine(
            f"sqlite:///file:{path.as_posix()}?mode=ro&uri=true", poolclass=sa.pool.NullPool
        )

        @sa.event.listens_for(engine, "connect")
        def _query_only(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.execute("PRAGMA query_only = ON")

        return engine
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def run_query(url: str, query: str) -> Any:
    """The query's result as a DataFrame, read in a transaction that is rolled back."""
    import pandas as pd
    import sqlalchemy as sa

    problem = query_problem(query)
    if problem:
        raise PermissionError(problem)
    engine = read_only_engine(url)
    try:
        with engine.connect() as conn:
            backend = engine.dialect.name
            if backend in ("postgresql", "mysql", "mariadb"):
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            try:
                return pd.read_sql_query(sa.text(query), conn)
            finally:
                conn.rollback()
    finally:
        engine.dispose()
