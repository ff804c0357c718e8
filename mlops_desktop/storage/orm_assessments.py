"""ORM tables of the maturity assessment (migration 0004): stored assessments, questionnaire
answers with their history, imported CI test results, and the git repository per project.

Answers are append-only: changing an answer inserts a new row and marks the previous one
superseded, so the history of every answer is kept.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Double, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mlops_desktop.storage.orm import Base, UtcDateTime


class SqlAssessment(Base):
    __tablename__ = "assessments"
    __table_args__ = (Index("ix_assessments_project_id_created_at", "project_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    model: Mapped[str] = mapped_column(String(20))  # google | azure | aws | mlts | crosswalk
    level: Mapped[float] = mapped_column(Double)  # vendor level, ML Test Score, crosswalk level
    score: Mapped[float] = mapped_column(Double)  # the level on the normalized 0-4 scale
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class SqlAnswer(Base):
    __tablename__ = "answers"
    __table_args__ = (Index("ix_answers_project_id_question_id", "project_id", "question_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(200))
    value: Mapped[str] = mapped_column(String(20))
    document: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    superseded_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class SqlCiResult(Base):
    __tablename__ = "ci_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    suite: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))  # unit | integration | load
    tests: Mapped[int] = mapped_column(Integer)
    failures: Mapped[int] = mapped_column(Integer)
    errors: Mapped[int] = mapped_column(Integer)
    skipped: Mapped[int] = mapped_column(Integer)
    time_s: Mapped[float] = mapped_column(Double)
    commit: Mapped[str] = mapped_column(String(100), default="")
    source: Mapped[str] = mapped_column(Text, default="")  # the imported file's name
    cases: Mapped[list[str]] = mapped_column(JSON)
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SqlProjectRepo(Base):
    __tablename__ = "project_repos"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    path: Mapped[str] = mapped_column(Text)
    attached_at: Mapped[datetime] = mapped_column(UtcDateTime)
