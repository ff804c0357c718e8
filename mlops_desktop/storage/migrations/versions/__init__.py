"""Alembic revision scripts of the workspace schema, applied in order on open."""
