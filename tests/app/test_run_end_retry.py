"""A run whose end cannot be written even after its disk reserve is given back (a server
database that does not answer, a disk full of someone else's files) is recorded as failed
in the background once the store takes writes again, so it does not stay ``running`` while
the process lives."""

from __future__ import annotations

import time

import pytest

from mlops_desktop.app.runs import RunService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.core.entities import RunStatus, StageStatus
from mlops_desktop.core.errors import WorkspaceError
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.operations import add_stage
from mlops_desktop.core.registry import default_registry
from mlops_desktop.core.serialization import to_dict

FULL = "the disk holding the workspace is full: nothing was saved"


def test_the_end_of_a_run_is_written_once_the_store_takes_writes(tmp_path) -> None:
    with Workspace.open(str(tmp_path / "w.db")) as ws:
        p = Pipeline("main", default_registry())
        p.apply(add_stage(p, "load_data", params={"dataset": "iris"}, node_id="load"))
        ws.pipelines.create(ws.projects.create("p").id, "main", to_dict(p))
        save_stage, finish = ws.runs.save_stage, ws.runs.finish
        refusals = [WorkspaceError(FULL) for _ in range(3)]

        def failing_save_stage(run_id, stage):
            if stage.status is StageStatus.SUCCEEDED:
                raise WorkspaceError(FULL)  # the stage's end does not fit
            return save_stage(run_id, stage)

        def failing_finish(run_id, status, message=""):
            if refusals:
                raise refusals.pop()
            return finish(run_id, status, message)

        ws.runs.save_stage = failing_save_stage  # type: ignore[method-assign]
        ws.runs.finish = failing_finish  # type: ignore[method-assign]
        service = RunService(ws)
        service.finish_retry_seconds = 0.05
        with pytest.raises(WorkspaceError):
            service.run("p", executor="sync")
        run = ws.runs.list(ws.projects.get("p").id)[0]
        deadline = time.monotonic() + 10
        while ws.runs.get(run.id).status is RunStatus.RUNNING and time.monotonic() < deadline:
            time.sleep(0.05)
        ended = ws.runs.get(run.id)
        assert ended.status is RunStatus.FAILED and not refusals
        assert ended.message.startswith("the run stopped: the disk holding the workspace is full")
