"""CacheStore: which artifacts a stage produced for a given cache key.

A cache key (computed by the engine from the stage type and version, its parameters and the
hashes of its inputs) maps to the digests of the stage's outputs by port. An entry is only
served while every artifact it names still exists.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select

from mlops_desktop.storage._util import rows_changed
from mlops_desktop.storage.artifacts import ArtifactStore
from mlops_desktop.storage.database import Database
from mlops_desktop.storage.orm import SqlCacheEntry, utc_now


class CacheStore:
    def __init__(self, db: Database, artifacts: ArtifactStore) -> None:
        self._db = db
        self._artifacts = artifacts

    def get(self, cache_key: str) -> dict[str, str] | None:
        with self._db.read() as s:
            row = s.get(SqlCacheEntry, cache_key)
            outputs = dict(row.outputs) if row is not None else None
        if outputs is None or not all(self._artifacts.exists(d) for d in outputs.values()):
            return None
        return outputs

    def put(self, cache_key: str, stage_type: str, outputs: dict[str, str]) -> None:
        missing = [p for p, d in outputs.items() if not self._artifacts.exists(d)]
        if missing:
            raise ValueError(f"cannot cache outputs whose artifacts are missing: {missing}")
        with self._db.write() as s:
            row = s.get(SqlCacheEntry, cache_key)
            if row is None:
                s.add(
                    SqlCacheEntry(
                        cache_key=cache_key,
                        stage_type=stage_type,
                        outputs=dict(outputs),
                        created_at=utc_now(),
                    )
                )
            else:
                row.stage_type = stage_type
                row.outputs = dict(outputs)
                row.created_at = utc_now()

    def clear(self, stage_type: str | None = None) -> int:
        """Forget cached outputs (of one stage type, or all); the count removed."""
        query = delete(SqlCacheEntry)
        if stage_type is not None:
            query = query.where(SqlCacheEntry.stage_type == stage_type)
        with self._db.write() as s:
            return rows_changed(s.execute(query))

    def __len__(self) -> int:
        with self._db.read() as s:
            return int(s.scalar(select(func.count()).select_from(SqlCacheEntry)) or 0)
