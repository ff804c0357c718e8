"""Assessments: stored maturity assessments, questionnaire answers (with history), imported
CI test results and the git repository attached to a project.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _project_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["project_id"], ["projects.id"], name=op.f(f"fk_{table}_project_id_projects"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("model", sa.String(length=20), nullable=False),
        sa.Column("level", sa.Double(), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        _project_fk("assessments"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
    )
    op.create_index("ix_assessments_project_id_created_at", "assessments", ["project_id", "created_at"])
    op.create_table(
        "answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=200), nullable=False),
        sa.Column("value", sa.String(length=20), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=False),
        sa.Column("superseded_at", sa.DateTime(), nullable=True),
        _project_fk("answers"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answers")),
    )
    op.create_index("ix_answers_project_id_question_id", "answers", ["project_id", "question_id"])
    op.create_table(
        "ci_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("suite", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("tests", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("time_s", sa.Double(), nullable=False),
        sa.Column("commit", sa.String(length=100), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("cases", sa.JSON(), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        _project_fk("ci_results"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ci_results")),
    )
    op.create_index(op.f("ix_ci_results_project_id"), "ci_results", ["project_id"])
    op.create_table(
        "project_repos",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("attached_at", sa.DateTime(), nullable=False),
        _project_fk("project_repos"),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_project_repos")),
    )


def downgrade() -> None:
    op.drop_table("project_repos")
    op.drop_index(op.f("ix_ci_results_project_id"), table_name="ci_results")
    op.drop_table("ci_results")
    op.drop_index("ix_answers_project_id_question_id", table_name="answers")
    op.drop_table("answers")
    op.drop_index("ix_assessments_project_id_created_at", table_name="assessments")
    op.drop_table("assessments")
