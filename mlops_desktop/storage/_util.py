"""Small helpers shared by the stores: name checks, content hashes, integrity errors, rows
read straight from the database driver."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from typing import TYPE_CHECKING, Any, cast

from mlops_desktop.core.errors import InvalidNameError

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.engine import CursorResult, Result
    from sqlalchemy.sql import Select

MAX_NAME = 200


def clean_name(name: str, what: str) -> str:
    """A trimmed, non-empty name without control characters, or a one-line error."""
    if not isinstance(name, str):
        raise InvalidNameError(f"a {what} name must be text")
    text = name.strip()
    if not text:
        raise InvalidNameError(f"a {what} name cannot be empty")
    if len(text) > MAX_NAME:
        raise InvalidNameError(f"a {what} name is at most {MAX_NAME} characters")
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text):
        raise InvalidNameError(f"a {what} name cannot contain control characters")
    return text


def canonical_json(document: Any) -> str:
    """One fixed text for equal documents: sorted keys, no spaces, UTF-8."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(document: Any) -> str:
    return hashlib.sha256(canonical_json(document).encode("utf-8")).hexdigest()


def rows_changed(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed (its result is a cursor result)."""
    return int(cast("CursorResult[Any]", result).rowcount or 0)


def driver_rows(conn: Connection, query: Select[Any]) -> list[tuple[Any, ...]]:
    """The rows of a SELECT as plain tuples straight from the database driver.

    SQLAlchemy's per-row work (a ``Row`` per row, result processors) is a third of the cost
    of reading a hundred thousand small rows; this skips it, while the statement still goes
    through SQLAlchemy (its events and logging see it). Integers, floats and text come as
    they are; dates and JSON as each driver gives them, to decode with
    :func:`~mlops_desktop.storage.orm.utc_from_driver` and
    :func:`~mlops_desktop.storage.orm.json_object_from_driver`."""
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params: Any = compiled.params
    if compiled.positional:
        params = tuple(params[k] for k in compiled.positiontup or ())
    result = conn.exec_driver_sql(str(compiled), params)
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()
