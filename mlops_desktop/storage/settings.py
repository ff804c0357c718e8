"""SettingsStore: JSON values per workspace (shared by every user of the workspace)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, select

from mlops_desktop.storage.database import Database
from mlops_desktop.storage.orm import SqlSetting, utc_now


class SettingsStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, key: str, default: Any = None) -> Any:
        with self._db.read() as s:
            row = s.get(SqlSetting, key)
            return default if row is None else row.value

    def set(self, key: str, value: Any) -> None:
        json.dumps(value)  # refuse what JSON cannot hold before touching the database
        with self._db.write() as s:
            row = s.get(SqlSetting, key)
            if row is None:
                s.add(SqlSetting(key=key, value=value, updated_at=utc_now()))
            else:
                row.value = value
                row.updated_at = utc_now()

    def delete(self, key: str) -> None:
        with self._db.write() as s:
            s.execute(delete(SqlSetting).where(SqlSetting.key == key))

    def all(self) -> dict[str, Any]:
        with self._db.read() as s:
            return {r.key: r.value for r in s.scalars(select(SqlSetting))}
