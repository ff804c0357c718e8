"""Alembic environment: runs on the connection that :mod:`mlops_desktop.storage.schema` opens.

Used programmatically only; the connection arrives in ``config.attributes["connection"]``
already inside a transaction (the caller commits). ``render_as_batch`` lets migrations
alter tables on SQLite.
"""

from __future__ import annotations

from alembic import context

from mlops_desktop.storage.schema import load_models

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "workspace migrations run through mlops_desktop.storage.schema.upgrade(), "
        "not the alembic command line"
    )

context.configure(
    connection=connection,
    target_metadata=load_models(),
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
