"""Per-project run numbers: a project's first run is #1, whatever other projects ran.

Each run gets ``number``, counted within its project; the project keeps the last number it
handed out (``last_run_number``) so a number is never given twice, even after the newest runs
are deleted. Existing runs are numbered in the order they were created.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD/DROP COLUMN (SQLite >= 3.35): a batch copy of ``runs`` would drop the old
    # table, and with it, through ON DELETE CASCADE, every metric and stage record.
    op.add_column("runs", sa.Column("number", sa.Integer(), nullable=False, server_default="0"))
    op.add_column(
        "projects", sa.Column("last_run_number", sa.Integer(), nullable=False, server_default="0")
    )
    op.execute(
        "UPDATE runs SET number = (SELECT COUNT(*) FROM runs AS earlier "
        "WHERE earlier.project_id = runs.project_id AND earlier.id <= runs.id)"
    )
    op.execute(
        "UPDATE projects SET last_run_number = (SELECT COALESCE(MAX(runs.number), 0) "
        "FROM runs WHERE runs.project_id = projects.id)"
    )
    op.create_index("ix_runs_project_number", "runs", ["project_id", "number"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_runs_project_number", table_name="runs")
    op.drop_column("projects", "last_run_number")
    op.drop_column("runs", "number")
