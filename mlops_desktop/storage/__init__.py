"""The workspace database: SQLAlchemy models, Alembic migrations and the stores.

Stores open one session per unit of work and return plain records from
:mod:`mlops_desktop.core.entities`, never ORM rows. ORM modules are named ``orm*.py`` and all
map on :class:`mlops_desktop.storage.orm.Base`; :func:`mlops_desktop.storage.schema.load_models`
imports every one of them so that ``Base.metadata`` describes the whole schema.
"""
