"""The assessment tables on SQLite and, when MLOPS_DESKTOP_TEST_PG_URL is set, PostgreSQL:
stored assessments, answers with history, CI results, the project's repository."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from mlops_desktop.app.assessment import AssessmentService
from mlops_desktop.app.projects import ProjectService
from mlops_desktop.app.workspace import Workspace

PG_ENV = "MLOPS_DESKTOP_TEST_PG_URL"


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgres",
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} is not set"),
            ],
        ),
    ]
)
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "ws.db")
        return
    base = make_url(os.environ[PG_ENV])
    name = f"mlops_m_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_assessments_answers_ci_and_repo_round_trip(location: str, tmp_path: Path) -> None:
    ws = Workspace.open(location)
    try:
        ProjectService(ws).create_project("p", "google")
        svc = AssessmentService(ws)
        first = svc.assess("p")
        history = svc.history("p")
        assert [(r.model, r.level) for r in history] == [
            ("google", 0.0),
            ("azure", 0.0),
            ("aws", 1.0),
            ("mlts", 0.0),
            ("crosswalk", 0.0),
        ]
        assert (
            history[0].created_at == first.time
            and history[0].detail["criteria"][0]["id"] == "gcp.l0.manual_steps"
        )
        svc.answer("p", "q.privacy", "partial")
        svc.answer("p", "q.privacy", "yes", "https://wiki/privacy")
        assert [
            (a.value, a.superseded_at is None) for a in svc.answer_history("p", "q.privacy")
        ] == [("partial", False), ("yes", True)]
        report = tmp_path / "load.xml"
        report.write_text(
            '<testsuite name="load" tests="1" time="2.5"><testcase name="test_qps"/></testsuite>'
        )
        (suite,) = svc.import_junit("p", report)
        assert (suite.kind, suite.tests, suite.time_s, suite.cases) == (
            "load",
            1,
            2.5,
            ("test_qps",),
        )
        ws.close()
        ws = Workspace.open(location)  # everything survives reopening
        svc = AssessmentService(ws)
        assert svc.answers("p")["q.privacy"].document == "https://wiki/privacy"
        assert svc.facts("p").ci_results[0].suite == "load"
        second = svc.assess("p")
        # a passing suite tied to no commit a run recorded is no CI evidence
        assert second.models["google"].result("gcp.l0.no_ci").status == "not_met"
        assert len(svc.history("p", "google")) == 2
        ProjectService(ws).purge_project("p")  # cascades to the assessment tables
        assert ws.projects.list(include_deleted=True) == []
    finally:
        ws.close()
