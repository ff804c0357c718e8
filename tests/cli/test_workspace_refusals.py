"""A damaged or unwritable workspace gets one clear line on stderr and exit code 1, and
loses nothing: two schema revisions recorded, the artifacts folder being a file, a
read-only workspace file (``run`` used to print the SQL and its parameters)."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest

from mlops_desktop.cli import main


@pytest.fixture
def workspace(tmp_path, capsys) -> str:
    url = str(tmp_path / "w.db")
    assert main(["--workspace", url, "project", "create", "p", "--template", "google"]) == 0
    capsys.readouterr()
    return url


def _one_line(capsys) -> str:
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err, captured.err
    assert "SQL" not in captured.err and "parameters" not in captured.err
    return captured.err


def test_two_schema_revisions_are_named_and_nothing_changes(workspace, capsys) -> None:
    with contextlib.closing(sqlite3.connect(workspace)) as con, con:
        con.execute("INSERT INTO alembic_version VALUES ('0001_initial')")
    before = Path(workspace).read_bytes()
    assert main(["--workspace", workspace, "project", "list"]) == 1
    err = _one_line(capsys)
    assert "records 2 schema revisions" in err and "0001_initial" in err
    assert "newer MLOps Desktop" not in err  # the old, wrong explanation
    assert Path(workspace).read_bytes() == before


def test_an_artifacts_file_is_named_and_kept(workspace, tmp_path, capsys) -> None:
    folder = tmp_path / "w.artifacts"
    moved = tmp_path / "kept"
    folder.rename(moved)
    folder.write_bytes(b"mine")
    assert main(["--workspace", workspace, "project", "list"]) == 1
    err = _one_line(capsys)
    assert f"{folder} is a file, not the workspace's artifacts folder" in err
    assert folder.read_bytes() == b"mine"


@contextlib.contextmanager
def _read_only(path: str):
    """The file made unwritable: by its mode, or (for root, whom modes do not stop) by the
    immutable attribute; skips where neither holds."""
    mode = os.stat(path).st_mode
    os.chmod(path, stat.S_IRUSR | stat.S_IRGRP)
    immutable = False
    try:
        if os.access(path, os.W_OK):
            result = subprocess.run(["chattr", "+i", path], capture_output=True)
            if result.returncode != 0:
                pytest.skip("cannot make a file read-only for this user")
            immutable = True
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", path], check=True)
        os.chmod(path, mode)


def test_run_on_a_read_only_workspace_says_so_in_one_line(workspace, capsys) -> None:
    before = Path(workspace).read_bytes()
    with _read_only(workspace):
        assert main(["--workspace", workspace, "project", "list"]) == 0  # reading works
        capsys.readouterr()
        assert main(["--workspace", workspace, "run", "p"]) == 1
        err = _one_line(capsys)
        assert "the workspace is read-only" in err and "nothing was changed" in err
        assert main(["--workspace", workspace, "project", "create", "q"]) == 1
        _one_line(capsys)
    assert Path(workspace).read_bytes() == before


def _beside(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name + "-"))


def test_a_refused_wal_mode_file_keeps_no_trace_beside_it(tmp_path, workspace, capsys) -> None:
    foreign = tmp_path / "other.db"
    with contextlib.closing(sqlite3.connect(foreign)) as con, con:
        con.execute("PRAGMA journal_mode = WAL")
        con.execute("CREATE TABLE notes (text TEXT)")
    before = foreign.read_bytes()
    assert main(["--workspace", str(foreign), "project", "list"]) == 1
    assert "is not an MLOps Desktop workspace" in _one_line(capsys)
    assert _beside(foreign) == [] and foreign.read_bytes() == before
    # The same for a workspace refused for its two schema revisions (a WAL-mode file).
    with contextlib.closing(sqlite3.connect(workspace)) as con, con:
        con.execute("INSERT INTO alembic_version VALUES ('0001_initial')")
    assert main(["--workspace", workspace, "project", "list"]) == 1
    _one_line(capsys)
    assert _beside(Path(workspace)) == []


@pytest.mark.parametrize("revision", ["zzz_from_elsewhere", None])
def test_a_foreign_file_with_the_marker_tables_is_refused_in_its_own_journal_mode(
    tmp_path, capsys, revision
) -> None:
    """A database holding the four tables a workspace is known by, with a revision this
    app does not know: refused before any setting touches it (it stays in its rollback
    journal mode, not switched to WAL) and nothing is left beside it."""
    path = tmp_path / "foreign.db"
    with contextlib.closing(sqlite3.connect(path)) as con, con:
        con.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        for table in ("projects", "pipelines", "pipeline_versions"):
            con.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY)")
        if revision:
            con.execute("INSERT INTO alembic_version VALUES (?)", (revision,))
    before = path.read_bytes()
    assert before[18:20] == b"\x01\x01"  # rollback journal, not WAL
    assert main(["--workspace", str(path), "project", "list"]) == 1
    assert "update the app to open it" in _one_line(capsys)
    assert path.read_bytes() == before
    assert _beside(path) == [] and sorted(p.name for p in tmp_path.iterdir()) == ["foreign.db"]
