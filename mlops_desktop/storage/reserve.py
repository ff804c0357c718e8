"""Room kept aside so that a run can always record how it ended.

A run writes its final status last. When the disk holding an SQLite workspace fills while a
run is going, that write fails and the run would stay ``running`` for as long as its process
lives (the GUI's, for hours). So before a run starts, :class:`DiskReserve` keeps
:data:`RESERVE_BYTES` of real disk blocks in a file inside the artifact folder (when that
folder sits on the same file system as the database file); when a run's ending cannot be
written, the reserve is given back and the write tried again. The next run takes it anew.

No reserve for a server database (its disk is the server's) or one in memory.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

RESERVE_BYTES = 1 << 20  # a run's ending touches a few dozen pages; 1 MiB holds them
RESERVE_NAME = ".reserve"  # a dot file: garbage collection never looks at it


class DiskReserve:
    """A file of :data:`RESERVE_BYTES` allocated blocks beside an SQLite workspace."""

    def __init__(self, path: Path, size: int = RESERVE_BYTES) -> None:
        self.path = path
        self.size = size

    @classmethod
    def beside(cls, database: Path | None, artifacts_dir: Path) -> DiskReserve | None:
        """The reserve of a workspace: in ``artifacts_dir`` when it is on the same file
        system as the ``database`` file; None otherwise (a server or in-memory database)."""
        if database is None:
            return None
        try:
            artifacts_dir.mkdir(parents=True, exist_ok=True)
            if os.stat(artifacts_dir).st_dev != os.stat(database.parent).st_dev:
                return None
        except OSError:
            return None
        return cls(artifacts_dir / RESERVE_NAME)

    def ensure(self) -> bool:
        """Make sure the reserve is there, with its blocks allocated. False only when the
        disk has no room for it (nothing is left behind then); a folder that cannot be
        written is not a full disk (True: the run's own writes will say what is wrong)."""
        try:
            if self.path.stat().st_size >= self.size:
                return True
        except OSError:
            pass
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600)
        except OSError as exc:
            return not _no_room(exc)
        try:
            try:
                os.posix_fallocate(fd, 0, self.size)
            except (AttributeError, OSError) as exc:
                if isinstance(exc, OSError) and exc.errno not in _NO_FALLOCATE:
                    raise
                _write_zeros(fd, self.size)  # a file system without fallocate
            os.fsync(fd)
        except OSError as exc:
            os.close(fd)
            self.release()
            return not _no_room(exc)
        os.close(fd)
        return True

    def release(self) -> bool:
        """Give the reserved room back to the file system; whether there was any."""
        try:
            self.path.unlink()
        except OSError:
            return False
        return True


_NO_FALLOCATE = {errno.EOPNOTSUPP, errno.EINVAL}  # file systems without fallocate


def _no_room(exc: OSError) -> bool:
    return exc.errno in (errno.ENOSPC, errno.EDQUOT)


def is_full_disk(exc: BaseException) -> bool:
    """Whether ``exc`` says a file system has no room left (or the user's quota is used)."""
    return isinstance(exc, OSError) and _no_room(exc)


def _write_zeros(fd: int, size: int) -> None:
    chunk = b"\0" * (1 << 16)
    os.lseek(fd, 0, os.SEEK_SET)
    written = 0
    while written < size:
        written += os.write(fd, chunk[: size - written])
