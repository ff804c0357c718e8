"""The room a run keeps aside on an SQLite workspace's disk: made with real blocks, given
back on demand, refused only for want of space (a folder that cannot be written is left to
the run's own writes to report)."""

from __future__ import annotations

import errno
import os

from mlops_desktop.storage.reserve import RESERVE_BYTES, DiskReserve


def test_the_reserve_is_allocated_and_given_back(tmp_path) -> None:
    database = tmp_path / "w.db"
    database.write_bytes(b"")
    reserve = DiskReserve.beside(database, tmp_path / "w.artifacts")
    assert reserve is not None and reserve.ensure()
    assert reserve.path.stat().st_size == RESERVE_BYTES
    assert reserve.path.stat().st_blocks * 512 >= RESERVE_BYTES  # real blocks, not sparse
    assert reserve.ensure()  # there already
    assert reserve.release() and not reserve.path.exists()
    assert not reserve.release()  # nothing left to give back
    assert DiskReserve.beside(None, tmp_path / "a") is None  # a server or in-memory database


def test_no_room_refuses_and_leaves_nothing(tmp_path, monkeypatch) -> None:
    reserve = DiskReserve(tmp_path / ".reserve")

    def full(fd, offset, length):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "posix_fallocate", full)
    assert not reserve.ensure()
    assert not reserve.path.exists()


def test_a_folder_that_cannot_be_written_is_not_a_full_disk(tmp_path, monkeypatch) -> None:
    reserve = DiskReserve(tmp_path / ".reserve")
    real_open = os.open

    def denied(path, flags, mode=0o777):
        if str(path) == str(reserve.path):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_open(path, flags, mode)

    monkeypatch.setattr(os, "open", denied)
    assert reserve.ensure()
    assert not reserve.path.exists()
