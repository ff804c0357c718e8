"""A long history is read once per report: the runs, plots, loop and maturity sections share
the runs and their latest metric values, and the assessment inside a report judges the
same facts as one made on its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mlops_desktop.app.assessment import AssessmentService
from mlops_desktop.app.history_reads import HistoryReads
from mlops_desktop.app.projects import ProjectService
from mlops_desktop.app.reports import ReportService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.core.entities import Run, RunStatus, StageRun, StageStatus

PROJECT = "history"
RUNS = 40
METRICS = ("accuracy", "f1", "baseline_accuracy", "fit_seconds", "psi/age")


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> Path:
    """A workspace with 40 finished runs of the Google template's pipeline (a record for
    each stage, five metrics each), stored in bulk as imports store them."""
    path = tmp_path_factory.mktemp("history") / "history.db"
    with Workspace.open(str(path)) as ws:
        project = ProjectService(ws).create_project(PROJECT, template="google")
        info = ProjectService(ws).pipeline_info(PROJECT)
        version = ws.pipelines.latest(info.id)
        nodes = [(n["id"], n["type"], n.get("title", n["id"])) for n in version.document["nodes"]]
        start = datetime(2025, 1, 1, tzinfo=UTC)
        runs, series = [], []
        for i in range(RUNS):
            at = start + timedelta(hours=i)
            status = RunStatus.FAILED if i % 10 == 9 else RunStatus.SUCCEEDED
            stages = tuple(
                StageRun(nid, ntype, title, StageStatus.SUCCEEDED, at, at, duration_s=1.0)
                for nid, ntype, title in nodes
            )
            runs.append(
                Run(0, project.id, info.id, version.id, status, "schedule", "dev", at, at,
                    at + timedelta(seconds=12), params={"Train": {"seed": i % 3}},
                    input_hashes={"Load data": f"{i // 4:08x}"}, executor="threads",
                    stages=stages)
            )  # fmt: skip
            for k, key in enumerate(METRICS):
                value = 0.5 + 0.01 * ((i // 2) % 5) + 0.001 * k
                series.append((i, key, nodes[-1][0], [0], [value], at.timestamp()))
        ws.runs.add_finished(runs, series)
    return path


def _count(monkeypatch, obj, name: str, calls: list) -> None:
    real = getattr(obj, name)

    def counted(*args, **kwargs):  # noqa: ANN202
        calls.append((name, args, kwargs))
        return real(*args, **kwargs)

    monkeypatch.setattr(obj, name, counted)


def test_a_report_reads_the_history_once(history, monkeypatch) -> None:
    with Workspace.open(str(history)) as ws:
        project = ws.projects.get(PROJECT)
        calls: list = []
        _count(monkeypatch, ws.runs, "list", calls)
        _count(monkeypatch, ws.metrics, "latest_many", calls)
        _count(monkeypatch, ws.metrics, "latest_in_project", calls)
        data = ReportService(ws).build(PROJECT)
        assert data.maturity is not None and data.plots
        whole = [c for c in calls if c[0] == "list" and c[1][:1] == (project.id,)]
        assert len([c for c in whole if c[2].get("limit") is None and len(c[1]) == 1]) == 1
        every = [c for c in calls if c[0] == "latest_many" and len(c[1][0]) == RUNS]
        project_wide = [c for c in calls if c[0] == "latest_in_project"]
        # plots, loop and maturity share one read of all runs' values (one query per project)
        assert len(every) + len(project_wide) == 1


def test_the_assessment_in_a_report_judges_the_same_facts(history) -> None:
    with Workspace.open(str(history)) as ws:
        alone = AssessmentService(ws).facts(PROJECT)
        reads = HistoryReads(ws)
        project = ws.projects.get(PROJECT)
        assert len(reads.runs(project.id)) == RUNS
        shared = AssessmentService(ws, reads=reads).facts(PROJECT)
        assert shared.runs == alone.runs
        assert all(r.stages and len(r.metrics) == len(METRICS) for r in shared.runs)
        assert reads.latest(project.id) is reads.latest(project.id)  # read once
        a = AssessmentService(ws).assess(PROJECT, save=False)
        b = AssessmentService(ws, reads=reads).assess(PROJECT, save=False)
        for model in a.models:
            assert a.models[model].level == b.models[model].level
            assert [r.status for r in a.models[model].results] == [
                r.status for r in b.models[model].results
            ]
