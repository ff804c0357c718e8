"""A workspace path that is not a regular file is refused at once with one line."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_is_refused_as_a_workspace(tmp_path) -> None:
    fifo = tmp_path / "w.db"
    os.mkfifo(fifo)
    result = subprocess.run(
        [sys.executable, "-m", "mlops_desktop", "--workspace", str(fifo), "project", "list"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "not a regular file, not a workspace file" in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.db"]  # no -wal/-shm beside it
