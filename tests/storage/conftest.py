"""Storage test fixtures: every store test runs on SQLite and, when
``MLOPS_DESKTOP_TEST_PG_URL`` is set, on a fresh PostgreSQL database as well.

Start a server and get the URL with ``tests/storage/start_postgres.sh`` (see its header).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from mlops_desktop.app.workspace import Workspace

PG_ENV = "MLOPS_DESKTOP_TEST_PG_URL"

BACKENDS = [
    "sqlite",
    pytest.param(
        "postgres",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} is not set"),
        ],
    ),
]


def fresh_pg_database() -> tuple[str, Callable[[], None]]:
    """A new empty database on the test server: (url, drop function)."""
    base = make_url(os.environ[PG_ENV])
    name = f"mlops_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:  # template0 never has sessions that would block the copy
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0'))

    def drop() -> None:
        # Plain DROP also stops autovacuum workers (which FORCE may not signal as a plain
        # role); FORCE ends sessions a test left open. Retry both briefly.
        try:
            plain = f'DROP DATABASE IF EXISTS "{name}"'
            for attempt in range(20):
                for statement in (plain, f"{plain} WITH (FORCE)"):
                    try:
                        with admin.connect() as conn:
                            conn.execute(text(statement))
                        return
                    except DBAPIError:
                        pass
                time.sleep(0.1 * (attempt + 1))
            raise RuntimeError(f"could not drop the test database {name}")
        finally:
            admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(params=BACKENDS)
def backend_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A workspace location: an SQLite file path, or a fresh PostgreSQL database URL."""
    if request.param == "sqlite":
        yield str(tmp_path / "workspace.db")
        return
    url, drop = fresh_pg_database()
    try:
        yield url
    finally:
        drop()


@pytest.fixture
def ws(backend_url: str, tmp_path) -> Iterator[Workspace]:
    """An open workspace on each backend (artifacts in the test's temp folder)."""
    workspace = Workspace.open(backend_url, artifacts_dir=tmp_path / "artifacts")
    try:
        yield workspace
    finally:
        workspace.close()
