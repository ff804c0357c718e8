"""Two ways round trust, closed: a helper module edited beside a trusted file, and a file
swapped after the pre-run check while the stage runs on a Dask worker."""

from __future__ import annotations

import pytest

from mlops_desktop.app.runs import RunService
from mlops_desktop.app.trust import UntrustedCodeError, trust, untrusted_code
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.core import serialization
from mlops_desktop.core.entities import RunStatus, StageStatus
from mlops_desktop.core.execution import NullListener
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.operations import add_stage, connect
from mlops_desktop.core.registry import default_registry

MAIN = """
import pandas as pd
import helper

def clip(frame: pd.DataFrame) -> pd.DataFrame:
    return helper.clip(frame)
"""
HELPER = """
def clip(frame):
    return frame.head(50)
"""
EVIL = """
import pathlib
pathlib.Path({marker!r}).write_text("ran")
"""


@pytest.fixture
def ws(tmp_path):
    workspace = Workspace.open(str(tmp_path / "ws.db"))
    yield workspace
    workspace.close()


def _project(ws, code) -> None:
    p = Pipeline("main", default_registry())
    p.apply(add_stage(p, "load_data", params={"dataset": "iris"}, node_id="load"))
    params = {"file": str(code), "function": "clip"}
    p.apply(add_stage(p, "python_function", params=params, node_id="fn"))
    p.apply(connect("load", "dataset", "fn", "input"))
    proj = ws.projects.create("shared")
    ws.pipelines.create(proj.id, "main", serialization.to_dict(p))


def test_editing_a_helper_beside_a_trusted_file_needs_trust_again(ws, tmp_path) -> None:
    folder = tmp_path / "code"
    folder.mkdir()
    (folder / "main.py").write_text(MAIN, "utf-8")
    (folder / "helper.py").write_text(HELPER, "utf-8")
    _project(ws, folder / "main.py")
    info = ws.pipelines.list(ws.projects.get("shared").id)[0]
    graph = serialization.from_dict(ws.pipelines.latest(info.id).document)
    trust(ws, graph)
    assert RunService(ws).run("shared", executor="sync").status is RunStatus.SUCCEEDED
    marker = tmp_path / "ran.txt"
    (folder / "helper.py").write_text(HELPER + EVIL.format(marker=str(marker)), "utf-8")
    assert untrusted_code(ws, graph)
    with pytest.raises(UntrustedCodeError, match="main.py"):
        RunService(ws).run("shared", executor="sync")
    assert not marker.exists()


class _SwapOnStart(NullListener):
    """Replaces the trusted file once the run has passed the pre-run check."""

    def __init__(self, code, evil: str) -> None:
        self.code, self.evil = code, evil

    def run_started(self, run_id: int) -> None:
        self.code.write_text(self.evil, "utf-8")


def test_a_file_swapped_after_the_check_does_not_run_on_a_dask_worker(ws, tmp_path) -> None:
    distributed = pytest.importorskip("distributed")
    folder = tmp_path / "code"
    folder.mkdir()
    code = folder / "main.py"
    code.write_text(MAIN, "utf-8")
    (folder / "helper.py").write_text(HELPER, "utf-8")
    _project(ws, code)
    info = ws.pipelines.list(ws.projects.get("shared").id)[0]
    trust(ws, serialization.from_dict(ws.pipelines.latest(info.id).document))
    marker = tmp_path / "ran.txt"
    evil = EVIL.format(marker=str(marker)) + MAIN
    with distributed.LocalCluster(
        processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        run = RunService(ws).run(
            "shared",
            executor="dask",
            scheduler_address=cluster.scheduler_address,
            listener=_SwapOnStart(code, evil),
            force=True,
        )
    assert run.status is RunStatus.FAILED
    stage = next(s for s in run.stages if s.node_id == "fn")
    assert stage.status is StageStatus.FAILED and "not trusted" in stage.error
    assert not marker.exists()


NAMESPACE_MAIN = """
import pandas as pd
from tools import helper
import compiled

def clip(frame: pd.DataFrame) -> pd.DataFrame:
    return compiled.clip(helper.clip(frame))
"""


def test_editing_code_a_trusted_file_imports_from_anywhere_in_its_folder_needs_trust(
    ws, tmp_path
) -> None:
    """Code in a sub-folder without ``__init__.py`` (a namespace package) and a compiled
    module with no source beside the trusted file are importable, so they are hashed too."""
    import py_compile

    folder = tmp_path / "code"
    (folder / "tools").mkdir(parents=True)
    (folder / "main.py").write_text(NAMESPACE_MAIN, "utf-8")
    (folder / "tools" / "helper.py").write_text(HELPER, "utf-8")
    source = tmp_path / "compiled.py"
    source.write_text(HELPER, "utf-8")
    py_compile.compile(str(source), cfile=str(folder / "compiled.pyc"))
    _project(ws, folder / "main.py")
    info = ws.pipelines.list(ws.projects.get("shared").id)[0]
    graph = serialization.from_dict(ws.pipelines.latest(info.id).document)
    trust(ws, graph)
    assert RunService(ws).run("shared", executor="sync").status is RunStatus.SUCCEEDED
    marker = tmp_path / "ran.txt"
    (folder / "tools" / "helper.py").write_text(HELPER + EVIL.format(marker=str(marker)), "utf-8")
    assert untrusted_code(ws, graph)
    with pytest.raises(UntrustedCodeError, match="main.py"):
        RunService(ws).run("shared", executor="sync", force=True)
    (folder / "tools" / "helper.py").write_text(HELPER, "utf-8")  # as trusted again
    assert not untrusted_code(ws, graph)
    source.write_text(HELPER + EVIL.format(marker=str(marker)), "utf-8")
    py_compile.compile(str(source), cfile=str(folder / "compiled.pyc"))
    assert untrusted_code(ws, graph)
    with pytest.raises(UntrustedCodeError, match="main.py"):
        RunService(ws).run("shared", executor="sync", force=True)
    assert not marker.exists()


def test_a_folder_with_more_code_than_the_check_reads_is_named(ws, tmp_path, monkeypatch) -> None:
    from mlops_desktop.stages import custom

    monkeypatch.setattr(custom, "MAX_FOLDER_DIRS", 3)
    folder = tmp_path / "code"
    for name in ("a", "b", "c", "d"):
        (folder / name).mkdir(parents=True)
    (folder / "main.py").write_text(MAIN, "utf-8")
    (folder / "helper.py").write_text(HELPER, "utf-8")
    _project(ws, folder / "main.py")
    run = RunService(ws).run("shared", executor="sync")
    assert run.status is RunStatus.FAILED
    stage = next(s for s in run.stages if s.node_id == "fn")
    assert "holds more code than the trust check reads" in stage.error
    assert "keep the file in a folder of its own" in stage.error


def test_a_rewritten_bytecode_cache_of_a_helper_does_not_run(ws, tmp_path) -> None:
    """Python would run ``__pycache__/helper.*.pyc`` instead of ``helper.py`` whenever the
    cache records the source's time and size, whatever code it holds: a helper imported by
    a trusted file is compiled from the source that was hashed instead."""
    import importlib.util
    import os
    import py_compile
    import subprocess
    import sys

    folder = tmp_path / "code"
    folder.mkdir()
    (folder / "main.py").write_text(MAIN, "utf-8")
    helper = folder / "helper.py"
    helper.write_text(HELPER, "utf-8")
    _project(ws, folder / "main.py")
    info = ws.pipelines.list(ws.projects.get("shared").id)[0]
    trust(ws, serialization.from_dict(ws.pipelines.latest(info.id).document))
    marker = tmp_path / "ran.txt"
    evil = tmp_path / "evil" / "helper.py"
    evil.parent.mkdir()
    text = EVIL.format(marker=str(marker)) + HELPER
    assert len(text) > len(HELPER)
    helper.write_text(HELPER + " " * (len(text) - len(HELPER) - 1) + "\n", "utf-8")
    trust(ws, serialization.from_dict(ws.pipelines.latest(info.id).document))  # padded
    evil.write_text(text, "utf-8")
    stat = helper.stat()
    os.utime(evil, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert evil.stat().st_size == stat.st_size
    cache = importlib.util.cache_from_source(str(helper))
    py_compile.compile(str(evil), cfile=cache)  # the cache claims to be helper.py's
    command = [sys.executable, "-m", "mlops_desktop", "--workspace", ws.url, "run", "shared"]
    done = subprocess.run([*command, "--quiet"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert not marker.exists()  # the cache's code never ran


def test_a_helper_edited_and_trusted_again_runs_as_edited_in_the_same_process(ws, tmp_path) -> None:
    """In a long-lived process (the app) a helper imported by an earlier run is loaded
    afresh: the run uses the code that was trusted, not the module still in memory."""
    folder = tmp_path / "code"
    folder.mkdir()
    (folder / "main.py").write_text(MAIN, "utf-8")
    (folder / "helper.py").write_text(HELPER, "utf-8")
    _project(ws, folder / "main.py")
    info = ws.pipelines.list(ws.projects.get("shared").id)[0]
    graph = serialization.from_dict(ws.pipelines.latest(info.id).document)
    trust(ws, graph)
    service = RunService(ws)
    first = service.run("shared", executor="sync")
    assert len(service.outputs(first.id, "fn")["output"].frame) == 50
    (folder / "helper.py").write_text(HELPER.replace("head(50)", "head(7)"), "utf-8")
    trust(ws, graph)
    second = service.run("shared", executor="sync")
    assert len(service.outputs(second.id, "fn")["output"].frame) == 7
