"""The workspace database: SQLAlchemy models, Alembic migrations and the stores.

Stores open one session per unit of work (``Database.read()`` / ``Database.write()``) and
return plain records from :mod:`mlops_desktop.core.entities`, never ORM rows. ORM modules are
named ``orm*.py`` and all map on :class:`mlops_desktop.storage.orm.Base`;
:func:`mlops_desktop.storage.schema.load_models` imports every one of them so that
``Base.metadata`` describes the whole schema, and a test checks that the migrations build
exactly that schema on SQLite and PostgreSQL.

Adding tables: put the ``Sql*`` classes in a new ``orm_<topic>.py`` (foreign keys to
``projects`` with ``ondelete="CASCADE"`` so that purging a project removes its rows), and a
migration ``migrations/versions/NNNN_<topic>.py`` with ``revision = "NNNN"`` and
``down_revision`` the previous head (one linear history). Name constraints with ``op.f()``
as the naming convention of ``Base.metadata`` does.
"""
