"""Who owns a run: host name, process id and a token that tells a live process from a
later one that reused its id (the process start time, plus the boot id on Linux)."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from functools import cache
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Owner:
    host: str
    pid: int
    token: str


def hostname() -> str:
    return socket.gethostname()


def _linux_token(pid: int) -> str | None:
    """Boot id and start time (clock ticks since boot) of ``pid``; None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] in ("Z", "X"):  # a zombie has finished running
        return None
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        boot = ""
    return f"{boot}:{fields[19]}"


def _psutil_token(pid: int) -> str | None:
    import psutil

    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return None
        return f"ct:{proc.create_time():.3f}"
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None


def process_token(pid: int) -> str | None:
    """A token identifying the process ``pid`` now running, None if no such process.

    An empty string means "alive, but this platform cannot tell reused ids apart".
    """
    if Path("/proc/self/stat").exists():
        return _linux_token(pid)
    try:
        return _psutil_token(pid)
    except ImportError:
        pass
    if os.name == "posix":
        try:
            os.kill(pid, 0)  # signal 0 only checks that the process exists
        except ProcessLookupError:
            return None
        except PermissionError:
            return ""
        return ""
    return ""  # without psutil on Windows we cannot tell: treat as alive


def current_owner() -> Owner:
    """This process (looked up again after a fork, where the id changes)."""
    return _owner_of(os.getpid())


@cache
def _owner_of(pid: int) -> Owner:
    return Owner(hostname(), pid, process_token(pid) or "")


def is_alive(owner: Owner) -> bool:
    """Whether the owning process on this host is still running (same host only)."""
    if owner.pid <= 0:
        return False
    token = process_token(owner.pid)
    if token is None:
        return False
    return not owner.token or not token or token == owner.token
