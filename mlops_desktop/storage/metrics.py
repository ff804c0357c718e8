"""MetricStore: metric series of runs, written and read in bulk.

Writes go through the driver's ``executemany`` with plain tuples in one short transaction;
reads are one query whose rows go straight into numpy arrays. An index on
(run_id, key, step) serves both the series read and the per-key lookups.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

import numpy as np
from sqlalchemy import Connection, bindparam, func, insert, select
from sqlalchemy.engine import Dialect

from mlops_desktop.core.entities import MetricPoint
from mlops_desktop.storage.database import Database
from mlops_desktop.storage.orm import SqlMetric

_COLUMNS = ("run_id", "key", "step", "value", "timestamp", "node_id")
_TABLE = SqlMetric.__table__


@cache
def _insert_sql(dialect: Dialect) -> tuple[str, tuple[str, ...] | None]:
    """The driver-level INSERT for ``dialect`` and, for positional styles, the column order."""
    compiled = insert(_TABLE).compile(dialect=dialect, column_keys=list(_COLUMNS))
    order = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None
    return str(compiled), order


@cache
def _history_sql(dialect: Dialect) -> tuple[str, tuple[str, ...] | None]:
    query = (
        select(_TABLE.c.step, _TABLE.c.value, _TABLE.c.timestamp)
        .where(_TABLE.c.run_id == bindparam("run_id"), _TABLE.c.key == bindparam("key"))
        .order_by(_TABLE.c.step, _TABLE.c.id)
    )
    compiled = query.compile(dialect=dialect)
    order = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None
    return str(compiled), order


def _driver_params(order: tuple[str, ...] | None, values: dict[str, Any]) -> Any:
    return tuple(values[k] for k in order) if order is not None else values


class MetricStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    # --- writing ---------------------------------------------------------------------

    def log_batch(self, run_id: int, points: Sequence[MetricPoint]) -> None:
        """Store metric points of one run in one transaction."""
        if not points:
            return
        rows = [
            (run_id, p.key, int(p.step), float(p.value), float(p.timestamp), p.node_id)
            for p in points
        ]
        self._insert(rows)

    def log_arrays(
        self,
        run_id: int,
        key: str,
        values: np.ndarray,
        steps: np.ndarray | None = None,
        timestamps: np.ndarray | float | None = None,
        node_id: str = "",
    ) -> None:
        """The fast path: one series given as arrays (steps default to 0..n-1)."""
        vals = np.asarray(values, dtype=np.float64).ravel()
        n = vals.size
        if n == 0:
            return
        step_arr = np.arange(n, dtype=np.int64) if steps is None else np.asarray(steps)
        if step_arr.shape != (n,):
            raise ValueError(f"{n} values but {step_arr.size} steps for metric '{key}'")
        if timestamps is None or np.ndim(timestamps) == 0:
            ts = float(time.time() if timestamps is None else timestamps)
            ts_list: Iterable[float] = [ts] * n
        else:
            ts_arr = np.asarray(timestamps, dtype=np.float64)
            if ts_arr.shape != (n,):
                raise ValueError(f"{n} values but {ts_arr.size} timestamps for metric '{key}'")
            ts_list = ts_arr.tolist()
        rows = list(
            zip(
                [run_id] * n,
                [key] * n,
                step_arr.astype(np.int64).tolist(),
                vals.tolist(),
                ts_list,
                [node_id] * n,
                strict=True,
            )
        )
        self._insert(rows)

    def _insert(self, rows: list[tuple[Any, ...]]) -> None:
        with self._db.write_connection() as conn:
            if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
                self._copy(conn, rows)
                return
            sql, order = _insert_sql(conn.dialect)
            if order is not None and order != _COLUMNS:
                index = [_COLUMNS.index(k) for k in order]
                params: list[Any] = [tuple(r[i] for i in index) for r in rows]
            elif order is None:
                params = [dict(zip(_COLUMNS, r, strict=True)) for r in rows]
            else:
                params = rows
            self._executemany(conn, sql, params)

    @staticmethod
    def _executemany(conn: Connection, sql: str, params: list[Any]) -> None:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(sql, params)
        finally:
            cursor.close()

    @staticmethod
    def _copy(conn: Connection, rows: list[tuple[Any, ...]]) -> None:
        """PostgreSQL with psycopg 3: COPY is many times faster than executemany."""
        columns = ", ".join(f'"{c}"' for c in _COLUMNS)
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            with cursor.copy(f"COPY {_TABLE.name} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        finally:
            cursor.close()

    # --- reading ---------------------------------------------------------------------

    def history(self, run_id: int, key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(steps, values, timestamps) of one series, ordered by step."""
        with self._db.read_connection() as conn:
            sql, order = _history_sql(conn.dialect)
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            try:
                cursor.execute(sql, _driver_params(order, {"run_id": run_id, "key": key}))
                rows = cursor.fetchall()
            finally:
                cursor.close()
        if not rows:
            return (np.empty(0, np.int64), np.empty(0, np.float64), np.empty(0, np.float64))
        data = np.array(rows, dtype=np.float64)
        return data[:, 0].astype(np.int64), data[:, 1].copy(), data[:, 2].copy()

    def keys(self, run_id: int) -> list[str]:
        query = (
            select(_TABLE.c.key).where(_TABLE.c.run_id == run_id).distinct().order_by(_TABLE.c.key)
        )
        with self._db.read_connection() as conn:
            return list(conn.scalars(query))

    def latest(self, run_id: int) -> dict[str, float]:
        """The last value (highest step, then latest written) of each key of a run."""
        return self.latest_many([run_id]).get(run_id, {})

    def latest_many(self, run_ids: Sequence[int]) -> dict[int, dict[str, float]]:
        ids = list(dict.fromkeys(int(r) for r in run_ids))
        out: dict[int, dict[str, float]] = {r: {} for r in ids}
        if not ids:
            return out
        rank = (
            func.row_number()
            .over(
                partition_by=(_TABLE.c.run_id, _TABLE.c.key),
                order_by=(_TABLE.c.step.desc(), _TABLE.c.id.desc()),
            )
            .label("rank")
        )
        ranked = (
            select(_TABLE.c.run_id, _TABLE.c.key, _TABLE.c.value, rank)
            .where(_TABLE.c.run_id.in_(ids))
            .subquery()
        )
        query = select(ranked.c.run_id, ranked.c.key, ranked.c.value).where(ranked.c.rank == 1)
        with self._db.read_connection() as conn:
            for run_id, key, value in conn.execute(query):
                out[run_id][key] = float(value)
        return out

    def count(self, run_id: int) -> int:
        query = select(func.count()).select_from(_TABLE).where(_TABLE.c.run_id == run_id)
        with self._db.read_connection() as conn:
            return int(conn.scalar(query) or 0)
