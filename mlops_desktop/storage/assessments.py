"""AssessmentStore: stored maturity assessments, questionnaire answers (with history),
imported CI results and the git repository attached to a project. Returns plain records of
:mod:`mlops_desktop.core.maturity.facts`, never ORM rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from mlops_desktop.core.errors import MlopsError
from mlops_desktop.core.maturity.facts import Answer, AssessmentRecord, CiResultFacts
from mlops_desktop.storage.database import Database
from mlops_desktop.storage.orm import utc_now
from mlops_desktop.storage.orm_assessments import (
    SqlAnswer,
    SqlAssessment,
    SqlCiResult,
    SqlProjectRepo,
)

ANSWER_VALUES = ("yes", "no", "partial")
MAX_DOCUMENT = 2000


def _record(row: SqlAssessment) -> AssessmentRecord:
    return AssessmentRecord(
        row.id, row.project_id, row.created_at, row.model, row.level, row.score, row.detail
    )


def _answer(row: SqlAnswer) -> Answer:
    return Answer(
        row.question_id, row.value, row.document, row.answered_at, row.id, row.superseded_at
    )


def _ci(row: SqlCiResult) -> CiResultFacts:
    return CiResultFacts(
        row.id,
        row.suite,
        row.tests,
        row.failures,
        row.errors,
        row.skipped,
        row.time_s,
        row.kind,
        row.commit,
        row.imported_at,
        tuple(row.cases or ()),
    )


class AssessmentStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    # ------------------------------------------------------------------ assessments
    def add(
        self,
        project_id: int,
        scores: Iterable[tuple[str, float, float, Mapping[str, Any]]],
        at: datetime | None = None,
    ) -> list[AssessmentRecord]:
        """Store one assessment: a row per model (model, level, score, detail), one time."""
        when = at or utc_now()
        with self._db.write() as s:
            rows = [
                SqlAssessment(
                    project_id=project_id,
                    created_at=when,
                    model=m,
                    level=float(level),
                    score=float(score),
                    detail=dict(detail),
                )
                for m, level, score, detail in scores
            ]
            s.add_all(rows)
            s.flush()
            return [_record(r) for r in rows]

    def history(
        self, project_id: int, model: str | None = None, limit: int | None = None
    ) -> list[AssessmentRecord]:
        """Stored scores, oldest first (the last ``limit`` of them)."""
        with self._db.read() as s:
            q = select(SqlAssessment).where(SqlAssessment.project_id == project_id)
            if model is not None:
                q = q.where(SqlAssessment.model == model)
            q = q.order_by(SqlAssessment.created_at.desc(), SqlAssessment.id.desc())
            if limit is not None:
                q = q.limit(limit)
            return [_record(r) for r in reversed(list(s.scalars(q)))]

    def latest(self, project_id: int) -> dict[str, AssessmentRecord]:
        out: dict[str, AssessmentRecord] = {}
        for rec in self.history(project_id):
            out[rec.model] = rec
        return out

    # ------------------------------------------------------------------ answers
    def answer(self, project_id: int, question_id: str, value: str, document: str = "") -> Answer:
        """Record an answer; the previous answer to the question stays in the history."""
        value = value.strip().lower()
        if value not in ANSWER_VALUES:
            raise MlopsError(f"an answer is one of {', '.join(ANSWER_VALUES)}, not '{value}'")
        question_id = question_id.strip()
        if not question_id or len(question_id) > 200:
            raise MlopsError("a question id is 1 to 200 characters")
        document = document.strip()
        if len(document) > MAX_DOCUMENT:
            raise MlopsError(f"the document link is longer than {MAX_DOCUMENT} characters")
        now = utc_now()
        with self._db.write() as s:
            for old in s.scalars(
                select(SqlAnswer).where(
                    SqlAnswer.project_id == project_id,
                    SqlAnswer.question_id == question_id,
                    SqlAnswer.superseded_at.is_(None),
                )
            ):
                old.superseded_at = now
            row = SqlAnswer(
                project_id=project_id,
                question_id=question_id,
                value=value,
                document=document,
                answered_at=now,
            )
            s.add(row)
            s.flush()
            return _answer(row)

    def answers(self, project_id: int) -> dict[str, Answer]:
        """The current answer to every answered question."""
        with self._db.read() as s:
            rows = s.scalars(
                select(SqlAnswer)
                .where(SqlAnswer.project_id == project_id, SqlAnswer.superseded_at.is_(None))
                .order_by(SqlAnswer.id)
            )
            return {r.question_id: _answer(r) for r in rows}

    def answer_history(self, project_id: int, question_id: str) -> list[Answer]:
        with self._db.read() as s:
            rows = s.scalars(
                select(SqlAnswer)
                .where(SqlAnswer.project_id == project_id, SqlAnswer.question_id == question_id)
                .order_by(SqlAnswer.id)
            )
            return [_answer(r) for r in rows]

    # ------------------------------------------------------------------ CI results
    def add_ci_results(
        self, project_id: int, suites: Sequence[Mapping[str, Any]], source: str = ""
    ) -> list[CiResultFacts]:
        """Store parsed JUnit suites (dicts with suite, kind, tests, failures, errors, skipped,
        time_s, commit, cases) in one transaction."""
        now = utc_now()
        with self._db.write() as s:
            rows = [
                SqlCiResult(
                    project_id=project_id,
                    suite=str(x["suite"])[:300],
                    kind=str(x.get("kind", "unit")),
                    tests=int(x["tests"]),
                    failures=int(x.get("failures", 0)),
                    errors=int(x.get("errors", 0)),
                    skipped=int(x.get("skipped", 0)),
                    time_s=float(x.get("time_s", 0.0)),
                    commit=str(x.get("commit", ""))[:100],
                    source=source,
                    cases=list(x.get("cases", [])),
                    imported_at=now,
                )
                for x in suites
            ]
            s.add_all(rows)
            s.flush()
            return [_ci(r) for r in rows]

    def ci_results(self, project_id: int) -> list[CiResultFacts]:
        with self._db.read() as s:
            rows = s.scalars(
                select(SqlCiResult)
                .where(SqlCiResult.project_id == project_id)
                .order_by(SqlCiResult.id)
            )
            return [_ci(r) for r in rows]

    # ------------------------------------------------------------------ repository
    def set_repo(self, project_id: int, path: str) -> None:
        with self._db.write() as s:
            row = s.get(SqlProjectRepo, project_id)
            if row is None:
                s.add(SqlProjectRepo(project_id=project_id, path=path, attached_at=utc_now()))
            else:
                row.path, row.attached_at = path, utc_now()

    def repo(self, project_id: int) -> str:
        with self._db.read() as s:
            row = s.get(SqlProjectRepo, project_id)
            return row.path if row is not None else ""

    def remove_repo(self, project_id: int) -> None:
        with self._db.write() as s:
            row = s.get(SqlProjectRepo, project_id)
            if row is not None:
                s.delete(row)
