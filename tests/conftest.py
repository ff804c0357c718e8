"""Shared test set-up: Qt offscreen, a throwaway workspace, and no leaked threads."""

from __future__ import annotations

import os
import threading

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MLOPS_DESKTOP_NO_SAMPLE", "1")  # tests build the projects they need


@pytest.fixture(autouse=True)
def _no_leaked_threads():
    """Fail a test that leaves threads running (worker pools, timers, servers)."""
    before = {t.ident for t in threading.enumerate()}
    yield
    deadline = 5.0
    import time

    start = time.monotonic()
    while True:
        leaked = [
            t
            for t in threading.enumerate()
            if t.ident not in before and t.is_alive() and not t.daemon
        ]
        if not leaked or time.monotonic() - start > deadline:
            break
        time.sleep(0.05)
    assert not leaked, f"test left threads running: {[t.name for t in leaked]}"


@pytest.fixture
def workspace_url(tmp_path) -> str:
    """A fresh SQLite workspace file path for one test."""
    return str(tmp_path / "workspace.db")


@pytest.fixture(scope="session", autouse=True)
def _clear_clipboard_at_exit():
    """Qt's offscreen platform crashes at exit when the clipboard still holds our MIME data
    (the X11 platform does not); tests that copy and paste leave some there."""
    yield
    import sys

    if "PySide6.QtWidgets" in sys.modules:
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance()
        if app is not None:
            QApplication.clipboard().clear()


@pytest.fixture
def run_panel_shows(qtbot):
    """``run_panel_shows(window, run_id, status=None)``: wait until the window's Run panel
    shows run ``run_id`` (in ``status`` when given) and return its view. Run pressed before
    the panel was made makes it in short turns: a quick run can end before it shows."""

    def wait(window, run_id: int, status: str | None = None):  # noqa: ANN202
        def shown() -> bool:
            view = window.runs.run_view
            return (
                view is not None
                and view.run is not None
                and view.run.id == run_id
                and (status is None or str(view.run.status) == status)
            )

        qtbot.waitUntil(shown, timeout=10000)
        return window.runs.run_view

    return wait
