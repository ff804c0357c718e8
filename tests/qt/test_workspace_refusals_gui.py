"""The window says what is wrong with a damaged or read-only workspace in one line, in the
Messages panel, and keeps going (no traceback, nothing changed)."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from mlops_desktop.cli import main
from mlops_desktop.qt.main_window import MainWindow


@pytest.fixture
def window(qtbot, tmp_path):
    win = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    yield win
    win.runner.wait(30)
    win.close()


@pytest.fixture
def workspace(tmp_path, capsys) -> str:
    url = str(tmp_path / "w.db")
    assert main(["--workspace", url, "project", "create", "p"]) == 0
    capsys.readouterr()
    return url


def test_two_schema_revisions_are_named_in_the_window(window, workspace) -> None:
    with contextlib.closing(sqlite3.connect(workspace)) as con, con:
        con.execute("INSERT INTO alembic_version VALUES ('0001_initial')")
    before = Path(workspace).read_bytes()
    assert window.open_workspace(workspace, interactive=False) is False
    text = window.log.toPlainText()
    assert "Cannot open the workspace" in text and "records 2 schema revisions" in text
    assert Path(workspace).read_bytes() == before


def test_an_artifacts_file_is_named_in_the_window(window, workspace, tmp_path) -> None:
    folder = tmp_path / "w.artifacts"
    folder.rename(tmp_path / "moved")
    folder.write_bytes(b"mine")
    assert window.open_workspace(workspace, interactive=False) is False
    assert "is a file, not the workspace's artifacts folder" in window.log.toPlainText()
    assert folder.read_bytes() == b"mine"


def test_a_read_only_workspace_refuses_a_run_in_one_line(qtbot, window, workspace) -> None:
    before = Path(workspace).read_bytes()
    mode = os.stat(workspace).st_mode
    os.chmod(workspace, stat.S_IRUSR | stat.S_IRGRP)
    immutable = False
    try:
        if os.access(workspace, os.W_OK):  # root: modes do not stop it
            if subprocess.run(["chattr", "+i", workspace], capture_output=True).returncode:
                pytest.skip("cannot make a file read-only for this user")
            immutable = True
        assert window.open_workspace(workspace, interactive=False) is True  # reading works
        name = window.service.list_pipelines("p")[0].name
        window.open_pipeline("p", name)
        # The run is written off the GUI thread: the refusal arrives by signal.
        with qtbot.waitSignal(window.runner.start_failed, timeout=10000):
            assert window.run_pipeline() is True
            said = window.run_label.text() if window.run_label.isVisibleTo(window) else ""
        assert said == "Starting a run…"  # at once, in the status bar
        assert not window.run_label.isVisibleTo(window)  # gone with the refusal
        text = window.log.toPlainText()
        assert "Cannot start the run: the workspace is read-only" in text
        assert not window.runner.running and window.acts.run.isEnabled()
        assert "SQL" not in text and "INSERT" not in text
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", workspace], check=True)
        os.chmod(workspace, mode)
    assert Path(workspace).read_bytes() == before
