"""History indexes: the latest value of every metric of thousands of runs read from an index.

Listing runs reads each run's latest metric values from ``metric_chunks``; with the old
index every chunk row (with its packed arrays) was visited. The covering index holds what
that read needs (run, key, last step, id, last value), so it never touches the arrays.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_metric_chunks_latest",
        "metric_chunks",
        ["run_id", "key", "last_step", "id", "last_value"],
    )


def downgrade() -> None:
    op.drop_index("ix_metric_chunks_latest", table_name="metric_chunks")
