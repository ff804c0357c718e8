"""On PostgreSQL the command line gives up on a held lock like on SQLite, with one line,
instead of waiting forever."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text

from mlops_desktop.app.workspace import Workspace
from mlops_desktop.cli import main
from mlops_desktop.storage import database


def test_a_locked_table_gives_the_busy_message(backend_url: str, tmp_path, capsys, monkeypatch):
    if "://" not in backend_url:
        pytest.skip("the SQLite busy timeout is tested with the storage processes")
    with Workspace.open(backend_url, artifacts_dir=tmp_path / "a") as ws:
        ws.projects.create("p")
    monkeypatch.setattr(database, "BUSY_TIMEOUT_S", 1.0)
    holder = create_engine(backend_url)
    try:
        with holder.connect() as conn:
            conn.execute(text("BEGIN"))
            conn.execute(text("LOCK TABLE projects IN ACCESS EXCLUSIVE MODE"))
            start = time.monotonic()
            code = main(["--workspace", backend_url, "project", "list"])
            elapsed = time.monotonic() - start
            conn.execute(text("ROLLBACK"))
    finally:
        holder.dispose()
    err = capsys.readouterr().err
    assert code == 1 and elapsed < 20
    assert "the workspace is busy" in err, err
    assert err.count("\n") == 1


def test_a_statement_over_the_statement_timeout_gives_the_busy_message(
    backend_url: str, tmp_path, capsys, monkeypatch
):
    """Any statement, not only a lock wait, ends at the statement timeout with one line."""
    if "://" not in backend_url:
        pytest.skip("PostgreSQL only")
    with Workspace.open(backend_url, artifacts_dir=tmp_path / "a") as ws:
        ws.projects.create("p")
    monkeypatch.setattr(database, "BUSY_TIMEOUT_S", 120.0)  # the lock wait alone would last
    monkeypatch.setattr(database, "STATEMENT_TIMEOUT_S", 1.0)
    holder = create_engine(backend_url)
    try:
        with holder.connect() as conn:
            conn.execute(text("BEGIN"))
            conn.execute(text("LOCK TABLE projects IN ACCESS EXCLUSIVE MODE"))
            start = time.monotonic()
            code = main(["--workspace", backend_url, "project", "list"])
            elapsed = time.monotonic() - start
            conn.execute(text("ROLLBACK"))
    finally:
        holder.dispose()
    err = capsys.readouterr().err
    assert code == 1 and elapsed < 60, err
    assert "the workspace is busy" in err, err
    assert err.count("\n") == 1


def test_a_held_migration_lock_gives_the_busy_message(
    backend_url: str, tmp_path, capsys, monkeypatch
):
    """Another process migrating the workspace (holding the migration's advisory lock): the
    command line says the workspace is busy once the busy timeout passes."""
    if "://" not in backend_url:
        pytest.skip("PostgreSQL only (SQLite migrations take the write lock)")
    from mlops_desktop.storage.schema import _PG_LOCK_KEY

    with Workspace.open(backend_url, artifacts_dir=tmp_path / "a") as ws:
        ws.projects.create("p")
    monkeypatch.setattr(database, "BUSY_TIMEOUT_S", 1.0)
    holder = create_engine(backend_url)
    try:
        with holder.connect() as conn:
            conn.execute(text("BEGIN"))
            conn.execute(text(f"SELECT pg_advisory_xact_lock({_PG_LOCK_KEY})"))
            start = time.monotonic()
            code = main(["--workspace", backend_url, "project", "list"])
            elapsed = time.monotonic() - start
            conn.execute(text("ROLLBACK"))
    finally:
        holder.dispose()
    err = capsys.readouterr().err
    assert code == 1 and elapsed < 20, err
    assert "the workspace is busy" in err and "cannot open" not in err, err
    assert err.count("\n") == 1
