"""Reads in worker threads whose results reach the GUI thread by a signal.

The GUI thread only paints: what a panel shows is read from the workspace in a daemon
thread, and the result (or the exception the read raised) arrives by ``arrived`` with the
number of the read, so that a panel drops a result a newer read has superseded. ``wait``
joins the readers before the workspace closes under them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6 import QtCore


class BackgroundReads(QtCore.QObject):
    """Numbered reads in worker threads; results arrive on the thread this object lives in."""

    arrived = QtCore.Signal(int, object)  # (read number, the result or the exception raised)

    def __init__(self, name: str, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._name = name
        self._threads: list[threading.Thread] = []
        self.number = 0  # of the latest read started

    def start(self, read: Callable[[], Any], number: int | None = None) -> int:
        """Run ``read()`` in a worker thread; returns the read's number (a new one unless
        ``number`` is given: a read that belongs to an earlier one)."""
        if number is None:
            self.number += 1
            number = self.number

        def work() -> None:
            try:
                result: Any = read()
            except Exception as exc:  # noqa: BLE001 - the receiver shows it
                result = exc
            self.arrived.emit(number, result)

        thread = threading.Thread(target=work, name=self._name, daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        return number

    def supersede(self) -> None:
        """Drop the results of the reads running now (what they read is read again now)."""
        self.number += 1

    def is_latest(self, number: int) -> bool:
        """Whether no read started after read ``number``."""
        return number == self.number

    def wait(self, timeout: float = 5.0) -> bool:
        """Block until no read runs (at most ``timeout`` seconds); True when none does."""
        end = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, end - time.monotonic()))
        self._threads = [t for t in self._threads if t.is_alive()]
        return not self._threads
