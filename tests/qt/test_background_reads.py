"""Background reads: results and errors reach the GUI thread, no thread is started per read
(a run's end starts four reads; starting a thread costs the GUI thread up to a switch
interval when others hold the interpreter), and ``wait`` waits for the reads in flight."""

from __future__ import annotations

import threading
import weakref

from mlops_desktop.qt.background import BackgroundReads


def test_reads_arrive_in_order_of_numbers_without_new_threads(qtbot) -> None:
    reads = BackgroundReads("test")
    got: dict[int, object] = {}
    reads.arrived.connect(lambda number, result: got.__setitem__(number, result))
    before = {t.ident for t in threading.enumerate()}
    gate = threading.Event()

    def slow() -> str:
        gate.wait(5)
        return "slow"

    first = reads.start(slow)
    second = reads.start(lambda: 1 / 0)
    assert not reads.is_latest(first) and reads.is_latest(second)
    assert {t.ident for t in threading.enumerate()} == before  # the pool's threads serve
    assert not reads.wait(0.05)  # the first read is still running
    gate.set()
    assert reads.wait(5)
    qtbot.waitUntil(lambda: len(got) == 2, timeout=5000)
    assert got[first] == "slow"
    assert isinstance(got[second], ZeroDivisionError)


def test_a_read_of_a_deleted_panel_does_not_take_a_reader_away(qtbot) -> None:
    """A panel deleted while its read runs: the read's signal cannot be sent, the reader
    thread goes on serving the others."""
    from mlops_desktop.qt.background import READER_THREADS

    gate = threading.Event()
    doomed = [BackgroundReads("doomed") for _ in range(READER_THREADS)]
    for reads in doomed:
        reads.start(lambda: gate.wait(5))
    for reads in doomed:
        reads.deleteLater()
    qtbot.wait(50)
    gate.set()
    alive = BackgroundReads("alive")
    got: list[object] = []
    alive.arrived.connect(lambda _n, result: got.append(result))
    alive.start(lambda: "served")
    qtbot.waitUntil(lambda: got == ["served"], timeout=5000)


def test_a_reader_thread_keeps_nothing_of_a_read_once_it_ended(qtbot) -> None:
    """What a read refers to (a dialog, say) is let go as soon as the read ends: a reader
    thread that kept it until its next read could free a Qt object's wrapper on that thread
    once the dialog closed, which aborted the app or hung its exit (seen after File → Export
    report…, whose gathering runs on a reader thread)."""

    class Held:
        pass

    held = Held()
    ref = weakref.ref(held)
    reads = BackgroundReads("test-keeps-nothing")
    with qtbot.waitSignal(reads.arrived, timeout=5000) as arrived:
        reads.start(lambda kept=held: type(kept).__name__)
    assert arrived.args[1] == "Held"
    del held
    qtbot.waitUntil(lambda: ref() is None, timeout=2000)
