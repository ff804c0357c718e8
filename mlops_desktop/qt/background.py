"""Reads in worker threads whose results reach the GUI thread by a signal.

The GUI thread only paints: what a panel shows is read from the workspace on a reader
thread, and the result (or the exception the read raised) arrives by ``arrived`` with the
number of the read, so that a panel drops a result a newer read has superseded. ``wait``
waits for the reads still running before the workspace closes under them.

The reader threads are started once and shared by every panel: starting a thread makes
the GUI thread wait until the new thread has run, up to a whole switch interval when
other threads hold the interpreter, and a run's end starts four reads at once.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6 import QtCore

log = logging.getLogger(__name__)

# Reads running at once; more wait in the queue. Two: every reader running Python takes
# the interpreter from the GUI thread in turn, and the four reads a run's end starts, all at
# once, drew out the window's drawing of that end (measured: the longest stall after a run,
# 28-48 ms with two readers against 40-90 ms with six; a 10,000-run tab opens as fast).
READER_THREADS = 2


class _ReaderPool:
    """Daemon threads taking jobs from one queue, started with the first panel that reads
    (the window is being built then: nothing else runs)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            while len(self._threads) < self._size:
                thread = threading.Thread(
                    target=self._serve, name=f"mlops-read-{len(self._threads)}", daemon=True
                )
                thread.start()
                self._threads.append(thread)

    def submit(self, job: Callable[[], None]) -> None:
        self.start()
        self._jobs.put(job)

    def _serve(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                job()
            except Exception:  # noqa: BLE001 - e.g. a panel deleted before its read ended
                log.debug("background read failed", exc_info=True)
            finally:
                # Let go of the job now, while whoever started it still holds what it refers
                # to. Kept until the next job, it could hold the last reference to a Qt
                # object's wrapper (a dialog's, after it closed), which would then be freed
                # on this thread: at the app's end that aborted it or hung its exit.
                del job


_POOL = _ReaderPool(READER_THREADS)


class BackgroundReads(QtCore.QObject):
    """Numbered reads on reader threads; results arrive on the thread this object lives in."""

    arrived = QtCore.Signal(int, object)  # (read number, the result or the exception raised)

    def __init__(self, name: str, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._name = name
        _POOL.start()
        self._running = 0  # reads submitted and not yet ended
        self._ended = threading.Condition()
        self.number = 0  # of the latest read started

    def start(self, read: Callable[[], Any], number: int | None = None) -> int:
        """Run ``read()`` on a reader thread; returns the read's number (a new one unless
        ``number`` is given: a read that belongs to an earlier one)."""
        if number is None:
            self.number += 1
            number = self.number

        def work() -> None:
            try:
                try:
                    result: Any = read()
                except Exception as exc:  # noqa: BLE001 - the receiver shows it
                    result = exc
                try:
                    self.arrived.emit(number, result)
                except RuntimeError:  # the panel was deleted before its read ended
                    log.debug("%s: read %d ended after its panel", self._name, number)
            finally:
                with self._ended:
                    self._running -= 1
                    self._ended.notify_all()

        with self._ended:
            self._running += 1
        _POOL.submit(work)
        return number

    def supersede(self) -> None:
        """Drop the results of the reads running now (what they read is read again now)."""
        self.number += 1

    def is_latest(self, number: int) -> bool:
        """Whether no read started after read ``number``."""
        return number == self.number

    def wait(self, timeout: float = 5.0) -> bool:
        """Block until no read of this object runs (at most ``timeout`` seconds); True when
        none does."""
        end = time.monotonic() + timeout
        with self._ended:
            while self._running:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._ended.wait(left)
        return True
