"""Opening workspaces: migrations equal the models, foreign files are refused untouched."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from mlops_desktop.app.workspace import Workspace
from mlops_desktop.core.errors import WorkspaceError
from mlops_desktop.storage import schema
from mlops_desktop.storage.database import make_engine


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def siblings(path: Path) -> set[str]:
    return {p.name for p in path.parent.iterdir()}


def test_migrated_schema_equals_every_orm_module(ws: Workspace) -> None:
    metadata = schema.load_models()
    orm_modules = [p.stem for p in Path(schema.__file__).parent.glob("orm*.py")]
    assert "orm" in orm_modules
    for name in orm_modules:  # load_models() imported each of them
        assert f"mlops_desktop.storage.{name}" in sys.modules
    with ws.db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    assert diff == []


def test_revision_graph_read_without_alembic_matches_alembic() -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(schema.alembic_config())
    assert [schema.head_revision()] == list(script.get_heads())
    expected = {r.revision: r.down_revision for r in script.walk_revisions()}
    assert schema._revision_graph() == expected


def test_workspace_is_at_the_head_revision(ws: Workspace) -> None:
    with ws.db.engine.connect() as conn:
        state = schema.inspect_connection(conn)
    assert state.revisions == (schema.head_revision(),)
    assert {"projects", "pipelines", "runs", "metrics"} <= state.tables


def test_a_new_path_creates_a_workspace_and_its_folder(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "new.db"
    with Workspace.open(target) as ws:
        assert ws.path == target
        assert ws.artifacts_dir == tmp_path / "deep" / "er" / "new.artifacts"
        ws.projects.create("p")
    with Workspace.open(target) as ws:
        assert [p.name for p in ws.projects.list()] == ["p"]
    assert not [n for n in siblings(target) if ".backup-" in n]  # nothing was pending


def _write_foreign_sqlite(path: Path) -> None:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    con.execute("INSERT INTO invoices (total) VALUES (12.5)")
    con.commit()
    con.close()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_bytes(os.urandom(4096)), "not an SQLite database"),
        (lambda p: p.write_bytes(b""), "empty file"),
        (lambda p: p.write_bytes(b"SQLite format 3\x00" + os.urandom(2000)), "not a"),
        (_write_foreign_sqlite, "not an MLOps Desktop workspace"),
    ],
    ids=["random-bytes", "empty-file", "corrupt-sqlite", "other-sqlite-database"],
)
def test_a_file_that_is_not_a_workspace_is_refused_and_unchanged(
    tmp_path: Path, make, message: str
) -> None:
    path = tmp_path / "thing.db"
    make(path)
    before, names = sha(path), siblings(path)
    with pytest.raises(WorkspaceError, match=message):
        Workspace.open(path)
    assert sha(path) == before
    assert siblings(path) == names  # no journal, WAL, backup or artifact folder left behind


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="folder"):
        Workspace.open(tmp_path)


def _set_revision(path: Path, revision: str) -> None:
    con = sqlite3.connect(path)
    con.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def test_a_newer_workspace_is_refused_and_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    Workspace.open(path).close()
    _set_revision(path, "9999")
    before = sha(path)
    with pytest.raises(WorkspaceError, match="newer MLOps Desktop.*9999"):
        Workspace.open(path)
    assert sha(path) == before


def test_an_old_workspace_is_backed_up_then_migrated(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:  # a workspace as the first release left it
        cfg = schema.alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.execute(
            text(
                "INSERT INTO projects (name, description, template, created_at, updated_at) "
                "VALUES ('old', '', 'blank', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            )
        )
    engine.dispose()
    with Workspace.open(path) as ws:
        assert [p.name for p in ws.projects.list()] == ["old"]
        with ws.db.engine.connect() as conn:
            assert schema.inspect_connection(conn).revisions == (schema.head_revision(),)
    backups = sorted(tmp_path.glob("w.db.backup-0001-*"))
    assert len(backups) == 1
    con = sqlite3.connect(backups[0])
    try:  # the backup is the old workspace, whole
        assert con.execute("SELECT version_num FROM alembic_version").fetchall() == [("0001",)]
        assert con.execute("SELECT name FROM projects").fetchall() == [("old",)]
    finally:
        con.close()
    Workspace.open(path).close()  # up to date now: no second backup
    assert len(list(tmp_path.glob("w.db.backup-*"))) == 1


def test_an_empty_sqlite_database_becomes_a_workspace(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()  # zero tables (the file may even be 0 bytes: check both)
    con = sqlite3.connect(path)
    con.execute("PRAGMA user_version = 1")  # forces a real header
    con.close()
    with Workspace.open(path) as ws:
        assert ws.projects.list() == []


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "w.db") as ws, ws.db.read() as s:
        assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert s.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert s.execute(text("PRAGMA busy_timeout")).scalar() >= 1000


def test_an_unreachable_server_gives_a_workspace_error() -> None:
    with pytest.raises(WorkspaceError, match="cannot open the workspace"):
        Workspace.open("postgresql+psycopg://nobody:x@127.0.0.1:1/none?connect_timeout=2")


def test_a_bad_url_gives_a_workspace_error() -> None:
    with pytest.raises(WorkspaceError):
        Workspace.open("nosuchdialect://x/y")


def _server_only(url: str) -> None:
    if not url.startswith("postgresql"):
        pytest.skip("the SQLite file cases are covered above with hashes")


def test_a_server_database_with_other_tables_is_refused(backend_url: str) -> None:
    _server_only(backend_url)
    engine = make_engine(backend_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total FLOAT)"))
    with pytest.raises(WorkspaceError, match="not an MLOps Desktop workspace"):
        Workspace.open(backend_url, artifacts_dir="/nonexistent-never-created")
    with engine.connect() as conn:
        assert schema.inspect_connection(conn).tables == {"invoices"}
    engine.dispose()


def test_a_newer_server_workspace_is_refused(backend_url: str, tmp_path: Path) -> None:
    _server_only(backend_url)
    Workspace.open(backend_url, artifacts_dir=tmp_path).close()
    engine = make_engine(backend_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(WorkspaceError, match="newer"):
        Workspace.open(backend_url, artifacts_dir=tmp_path)
    with engine.connect() as conn:
        assert schema.inspect_connection(conn).revisions == ("9999",)
    engine.dispose()


def test_a_workspace_that_cannot_be_created_gives_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(WorkspaceError, match="cannot create the folder"):
        Workspace.open(blocker / "w.db")
    too_long = tmp_path / ("w" * 250 + ".db")  # no room for the temporary file's name
    with pytest.raises(WorkspaceError, match="cannot create the workspace"):
        Workspace.open(too_long)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_every_foreign_key_lets_a_project_be_purged() -> None:
    """Purge deletes the project row and relies on the database for the rest: every
    reference must cascade or be cleared, in every ORM module."""
    metadata = schema.load_models()
    blocking = [
        f"{table.name}.{fk.parent.name} -> {fk.column.table.name}"
        for table in metadata.sorted_tables
        for fk in table.foreign_keys
        if (fk.ondelete or "").upper() not in ("CASCADE", "SET NULL")
    ]
    assert blocking == []
