"""Runs in a worker process (what the window does): the stages run in another process,
their events reach the window's listener in order, the run is recorded as in-process runs
are, Cancel reaches the stages, a crashing process fails the run and not the app, and the
worker waits for the next run with its libraries imported."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_desktop.app.run_process import WorkerPool, start_in_worker
from mlops_desktop.app.runs import RunService
from mlops_desktop.app.trust import trust
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.core import serialization
from mlops_desktop.core.entities import RunStatus, StageRun, StageStatus
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.operations import add_stage
from mlops_desktop.core.registry import default_registry

CODE = """
import os, time

def report(ctx):
    ctx.log(f"pid {os.getpid()}")
    for i in range(500):
        ctx.log_metric("loss", 1.0 / (i + 1))
    return {"final_loss": 0.002}

def crash(ctx):
    ctx.log("about to crash")
    os._exit(3)

def slow(ctx):
    ctx.log("waiting")
    for _ in range(600):
        ctx.check_cancelled()
        time.sleep(0.05)
    return {"done": 1.0}
"""


class Events:
    """A RunListener that keeps every event (called from the handle's reader thread)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[object, ...]]] = []
        self.threads: set[str] = set()
        self.lock = threading.Lock()

    def _add(self, name: str, *args: object) -> None:
        with self.lock:
            self.calls.append((name, args))
            self.threads.add(threading.current_thread().name)

    def run_started(self, run_id: int) -> None:
        self._add("run_started", run_id)

    def stage_started(self, run_id: int, node_id: str) -> None:
        self._add("stage_started", run_id, node_id)

    def stage_progress(self, run_id: int, node_id: str, fraction: float, message: str) -> None:
        self._add("stage_progress", run_id, node_id, fraction)

    def stage_log(self, run_id: int, node_id: str, line: str) -> None:
        self._add("stage_log", run_id, node_id, line)

    def metric_logged(self, run_id: int, node_id: str, key: str, step: int, value: float) -> None:
        self._add("metric_logged", run_id, node_id, key, step, value)

    def metrics_logged(self, run_id, node_id, key, steps, values) -> None:  # noqa: ANN001
        self._add("metrics_logged", run_id, node_id, key, list(steps), list(values))

    def stage_finished(self, run_id: int, node_id: str, stage_run: StageRun) -> None:
        self._add("stage_finished", run_id, node_id, stage_run.status)

    def run_finished(self, run_id: int, status: RunStatus, message: str) -> None:
        self._add("run_finished", run_id, RunStatus(status), message)

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    def logs(self) -> list[str]:
        return [str(args[2]) for name, args in self.calls if name == "stage_log"]


@pytest.fixture(scope="module")
def pool() -> Iterator[WorkerPool]:
    workers = WorkerPool()
    yield workers
    workers.close()


def _workspace(tmp_path: Path, function: str) -> Workspace:
    (tmp_path / "code").mkdir()
    code = tmp_path / "code" / "steps.py"
    code.write_text(CODE, "utf-8")
    ws = Workspace.open(tmp_path / "ws.db")
    pipeline = Pipeline("main", default_registry())
    pipeline.apply(
        add_stage(
            pipeline,
            "python_function",
            params={"file": str(code), "function": function},
            node_id="fn",
        )
    )
    proj = ws.projects.create("p")
    ws.pipelines.create(proj.id, "main", serialization.to_dict(pipeline))
    trust(ws, pipeline)
    return ws


def test_a_run_goes_on_in_another_process_and_is_recorded_here(tmp_path, pool) -> None:
    ws = _workspace(tmp_path, "report")
    try:
        events = Events()
        handle = start_in_worker(RunService(ws), "p", None, listener=events, pool=pool)
        assert ws.runs.get(handle.run_id).status is RunStatus.QUEUED  # numbered at once
        run = handle.wait(120)
        assert run is not None and run.status is RunStatus.SUCCEEDED, run
        (pid_line,) = [line for line in events.logs() if line.startswith("pid ")]
        assert int(pid_line.split()[1]) not in (os.getpid(), 0)  # the stage ran elsewhere
        names = events.names()
        assert names[0] == "run_started" and names[-1] == "run_finished"
        assert names.index("stage_started") < names.index("stage_finished")
        # 500 single points crossed as a few series, in order.
        series = [a for n, a in events.calls if n == "metrics_logged" and a[2] == "loss"]
        steps = [s for a in series for s in a[3]]
        assert steps == list(range(500)) and len(series) < 50
        # Recorded in the workspace by the worker, as a run in this process would be.
        steps_stored, values, _ = ws.metrics.history(run.id, "loss")
        assert list(steps_stored) == list(range(500)) and values[0] == 1.0
        assert [s.status for s in run.stages] == [StageStatus.SUCCEEDED]
        assert ws.metrics.latest(run.id).get("final_loss") == pytest.approx(0.002)
        assert events.threads == {f"mlops-run-{run.id}-pipe"}  # one reader thread here

        # The worker waits for the next run with its libraries imported: the same process.
        again = Events()
        handle = start_in_worker(RunService(ws), "p", None, listener=again, pool=pool, force=True)
        assert handle.wait(120) is not None
        assert [x for x in again.logs() if x.startswith("pid ")] == [pid_line]
    finally:
        ws.close()


def test_cancel_reaches_the_stage_in_the_worker(tmp_path, pool) -> None:
    ws = _workspace(tmp_path, "slow")
    try:
        events = Events()
        handle = start_in_worker(RunService(ws), "p", None, listener=events, pool=pool)
        deadline = time.monotonic() + 60
        while "waiting" not in events.logs() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "waiting" in events.logs()
        started = time.monotonic()
        handle.cancel()
        run = handle.wait(30)
        assert run is not None and run.status is RunStatus.CANCELLED
        assert time.monotonic() - started < 5  # not the stage's 30 s
        assert events.names()[-1] == "run_finished"
    finally:
        ws.close()


def test_a_crashing_worker_fails_the_run_and_leaves_this_process_running(tmp_path, pool) -> None:
    ws = _workspace(tmp_path, "crash")
    try:
        events = Events()
        handle = start_in_worker(RunService(ws), "p", None, listener=events, pool=pool)
        run = handle.wait(120)
        assert run is not None and run.status is RunStatus.FAILED
        assert "stopped unexpectedly (exit code 3)" in run.message
        # The stage it left running failed too, in the store and for the listener.
        assert [s.status for s in run.stages] == [StageStatus.FAILED]
        assert ("stage_finished", (run.id, "fn", StageStatus.FAILED)) in events.calls
        assert events.calls[-1][0] == "run_finished"
        assert events.calls[-1][1][1] is RunStatus.FAILED
        assert not handle.worker.alive
        # The next run gets a fresh worker and works.
        ws.pipelines.save(
            ws.pipelines.get(ws.projects.get("p").id, "main").id,
            _with_function(ws, "report"),
            "switch",
        )
        trust(ws, serialization.from_dict(_with_function(ws, "report"), default_registry()))
        handle = start_in_worker(RunService(ws), "p", None, listener=Events(), pool=pool)
        again = handle.wait(120)
        assert again is not None and again.status is RunStatus.SUCCEEDED
    finally:
        ws.close()


def test_a_worker_crashing_after_a_registration_leaves_no_version_behind(tmp_path, pool) -> None:
    from mlops_desktop.core.graph import Link
    from mlops_desktop.core.operations import AddLink

    ws = _workspace(tmp_path, "crash")
    try:
        pipeline = serialization.from_dict(_with_function(ws, "crash"), default_registry())
        for node_id, kind, params in (
            ("load", "load_data", {"dataset": "iris"}),
            ("split", "split", {}),
            ("train", "train", {"estimator": "logistic_regression"}),
            ("register", "register_model", {"model_name": "iris"}),
        ):
            pipeline.apply(add_stage(pipeline, kind, params=params, node_id=node_id))
        for i, (a, ap, b, bp) in enumerate(
            [
                ("load", "dataset", "split", "dataset"),
                ("split", "split", "train", "split"),
                ("train", "model", "register", "model"),
                ("register", "model_version", "fn", "input"),
            ]
        ):
            pipeline.apply(AddLink(Link(f"l{i}", a, ap, b, bp)))
        info = ws.pipelines.get(ws.projects.get("p").id, "main")
        ws.pipelines.save(info.id, serialization.to_dict(pipeline), "register, then crash")
        handle = start_in_worker(RunService(ws), "p", None, listener=Events(), pool=pool)
        run = handle.wait(120)
        assert run is not None and run.status is RunStatus.FAILED
        states = {s.node_id: s.status for s in run.stages}
        assert states["fn"] is StageStatus.FAILED
        # Register ran before the crash (its record may not have been stored yet): the
        # version it made was withdrawn, and the run says so.
        assert "taken back" in run.message and "withdrawn" in run.message
        # The version the run registered before the crash is gone with it.
        from mlops_desktop.app.registry import RegistryService

        models = RegistryService(ws).list_models("p")
        assert all(m.latest_version == 0 for m in models), models
    finally:
        ws.close()


def _with_function(ws: Workspace, function: str) -> dict[str, object]:
    info = ws.pipelines.get(ws.projects.get("p").id, "main")
    document = ws.pipelines.latest(info.id).document
    graph = serialization.from_dict(document, default_registry())
    graph.node("fn").params["function"] = function
    return serialization.to_dict(graph)


PARENT = """
import sys, time
from mlops_desktop.app.run_process import WorkerPool, start_in_worker
from mlops_desktop.app.runs import RunService
from mlops_desktop.app.workspace import Workspace

class Listener:
    def __getattr__(self, name):
        def call(*args):
            if name == "stage_log":
                print("log", args[2], flush=True)
        return call

# Unguarded on purpose: the worker must not run this script again.
ws = Workspace.open(sys.argv[1])
handle = start_in_worker(RunService(ws), "p", None, listener=Listener(), pool=WorkerPool())
print("worker", handle.worker.process.pid, flush=True)
time.sleep(600)
"""


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "State:\tZ" in state  # exited, not reaped yet by its new parent


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_a_worker_whose_window_died_stops_its_run_and_exits(tmp_path) -> None:
    import signal
    import subprocess
    import sys

    _workspace(tmp_path, "slow").close()
    script = tmp_path / "parent.py"
    script.write_text(PARENT, "utf-8")
    parent = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "ws.db")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        worker_pid = 0
        for line in parent.stdout:
            if line.startswith("worker "):
                worker_pid = int(line.split()[1])
            if line.strip() == "log waiting":
                break
        assert worker_pid
        parent.send_signal(signal.SIGKILL)  # the window's process dies mid-run
        parent.wait(10)
        deadline = time.monotonic() + 30
        while not _gone(worker_pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _gone(worker_pid)  # it did not run on, orphaned
    finally:
        parent.kill()
        parent.wait(10)
        if parent.stdout is not None:
            parent.stdout.close()
    ws = Workspace.open(tmp_path / "ws.db")
    try:
        (run,) = ws.runs.list(ws.projects.get("p").id)
        assert run.status is not RunStatus.SUCCEEDED and run.status.finished
    finally:
        ws.close()


def test_the_command_line_survives_a_crash_in_a_worker_process(tmp_path, capsys) -> None:
    from mlops_desktop.cli import main

    _workspace(tmp_path, "crash").close()
    path = str(tmp_path / "ws.db")
    assert main(["--workspace", path, "run", "p", "--executor", "process", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "failed" in err and "stopped unexpectedly (exit code 3" in err
