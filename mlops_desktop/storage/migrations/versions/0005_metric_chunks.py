"""Metric chunks: metric series packed as little-endian arrays, many points per row.

A million-point series is a handful of rows instead of a million, so it loads in a few
tens of milliseconds. Rows of the ``metrics`` table written before this revision stay
where they are and are read together with the chunks.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "metric_chunks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("node_id", sa.String(length=200), nullable=False),
        sa.Column("first_step", sa.BigInteger(), nullable=False),
        sa.Column("last_step", sa.BigInteger(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("last_value", sa.Double(), nullable=True),
        sa.Column("steps", sa.LargeBinary(), nullable=False),
        sa.Column("values", sa.LargeBinary(), nullable=False),
        sa.Column("timestamps", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_metric_chunks_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_chunks")),
    )
    op.create_index(
        "ix_metric_chunks_run_id_key_first_step",
        "metric_chunks",
        ["run_id", "key", "first_step"],
    )
    if op.get_bind().dialect.name == "postgresql":
        # Packed floats barely compress: skip TOAST's compression attempt (7x faster writes).
        op.execute(
            "ALTER TABLE metric_chunks"
            " ALTER COLUMN steps SET STORAGE EXTERNAL,"
            ' ALTER COLUMN "values" SET STORAGE EXTERNAL,'
            " ALTER COLUMN timestamps SET STORAGE EXTERNAL"
        )


def _unpack(first_step: int, n: int, steps: bytes, values: bytes, ts: bytes) -> list[tuple]:
    """A chunk's points as (step, value, timestamp); the compact forms as in revision 0005."""
    import numpy as np

    s = np.arange(first_step, first_step + n) if not steps else np.frombuffer(steps, "<i8")
    t = np.frombuffer(ts, "<f8")
    t = np.full(n, t[0]) if t.size == 1 else t
    return list(zip(s.tolist(), np.frombuffer(values, "<f8").tolist(), t.tolist(), strict=True))


def downgrade() -> None:
    """Unpack every chunk into rows of ``metrics`` (nothing is lost), then drop the table."""
    chunks = sa.table(
        "metric_chunks",
        *(sa.column(c) for c in ("id", "run_id", "key", "node_id", "first_step", "n")),
        *(sa.column(c, sa.LargeBinary()) for c in ("steps", "values", "timestamps")),
    )
    rows = sa.table(
        "metrics",
        *(sa.column(c) for c in ("run_id", "key", "step", "value", "timestamp", "node_id")),
    )
    conn = op.get_bind()
    query = sa.select(
        chunks.c.run_id,
        chunks.c.key,
        chunks.c.node_id,
        chunks.c.first_step,
        chunks.c.n,
        chunks.c.steps,
        chunks.c["values"],
        chunks.c.timestamps,
    ).order_by(chunks.c.id)
    for run_id, key, node_id, first, n, steps, values, ts in conn.execute(query):
        points = _unpack(first, n, steps, values, ts)
        conn.execute(
            sa.insert(rows),
            [
                {
                    "run_id": run_id,
                    "key": key,
                    "step": s,
                    "value": v,
                    "timestamp": t,
                    "node_id": node_id,
                }
                for s, v, t in points
            ],
        )
    op.drop_index("ix_metric_chunks_run_id_key_first_step", table_name="metric_chunks")
    op.drop_table("metric_chunks")
