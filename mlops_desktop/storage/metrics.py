"""MetricStore: metric series of runs, written and read in bulk as packed chunks.

A series is stored in the ``metric_chunks`` table: each row holds up to
:data:`CHUNK_POINTS` points of one (run, key, stage) as three little-endian arrays (int64
steps, float64 values, float64 timestamps, from ``ndarray.tobytes``) in binary columns,
sorted by step. A million-point series is 16 rows, read with ``np.frombuffer`` and joined
with ``np.concatenate``: tens of milliseconds instead of seconds for a million rows.

Two lossless compact forms keep the bytes down: ``steps`` is empty when the chunk's steps
are consecutive (``first_step`` .. ``last_step``), and ``timestamps`` holds one value when
every point of the chunk has the same timestamp (a series logged at once).

Every write (``log_arrays`` and ``log_batch``) packs its points and inserts all its chunks in
one transaction, so a process killed mid-write leaves whole writes only. Rows of the older
one-row-per-point ``metrics`` table (workspaces from before revision 0005) are still read:
they are older than any chunk of the same run, which is how "latest written" is decided
between the two forms.

Single points (the run recorder's buffered flushes) become small chunks, one per key and
stage per write; :meth:`MetricStore.compact`, called when a run finishes, repacks them.

Order: a series comes back sorted by step; points at the same step keep the order they
were written in. ``latest`` gives, per key, the value at the highest step, the last written
one on a tie.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import cache
from typing import Any, cast

import numpy as np
from sqlalchemy import Connection, Select, Table, bindparam, delete, func, insert, select, union
from sqlalchemy.engine import Dialect

from mlops_desktop.core.entities import MetricPoint
from mlops_desktop.core.errors import WorkspaceError
from mlops_desktop.storage._util import driver_rows
from mlops_desktop.storage.database import Database
from mlops_desktop.storage.orm import SqlMetric, SqlMetricChunk
from mlops_desktop.storage.runs_bulk import run_ids_query

CHUNK_POINTS = 65_536  # points per chunk row: 512 KiB per array
_ROWS = cast(Table, SqlMetric.__table__)  # one row per point: read only (workspaces before 0005)
_CHUNKS = cast(Table, SqlMetricChunk.__table__)
_I8 = np.dtype("<i8")
_F8 = np.dtype("<f8")

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray]


def _empty() -> Arrays:
    return np.empty(0, np.int64), np.empty(0, np.float64), np.empty(0, np.float64)


@cache
def _rows_history_sql(dialect: Dialect) -> tuple[str, tuple[str, ...] | None]:
    """The driver-level SELECT of a series' rows (skips SQLAlchemy's per-row processing)."""
    query = (
        select(_ROWS.c.step, _ROWS.c.value, _ROWS.c.timestamp)
        .where(_ROWS.c.run_id == bindparam("run_id"), _ROWS.c.key == bindparam("key"))
        .order_by(_ROWS.c.step, _ROWS.c.id)
    )
    compiled = query.compile(dialect=dialect)
    order = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None
    return str(compiled), order


@cache
def _chunks_history_sql(dialect: Dialect) -> tuple[str, tuple[str, ...] | None]:
    """The driver-level SELECT of a series' chunks, in write order."""
    c = _CHUNKS.c
    query = (
        select(c.first_step, c.n, c.steps, c["values"], c.timestamps)
        .where(c.run_id == bindparam("run_id"), c.key == bindparam("key"))
        .order_by(c.id)
    )
    compiled = query.compile(dialect=dialect)
    order = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None
    return str(compiled), order


def _fetch(conn: Connection, sql: str, params: Any) -> list[Any]:
    """Rows straight from the driver; psycopg 3 is asked for binary results, so binary
    columns arrive as raw bytes rather than hex text to decode."""
    driver = conn.connection.driver_connection
    binary = conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg"
    cursor = driver.cursor(binary=True) if binary else driver.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, params)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _driver_params(order: tuple[str, ...] | None, values: dict[str, Any]) -> Any:
    return tuple(values[k] for k in order) if order is not None else values


def _sort_by_step(steps: np.ndarray, values: np.ndarray, ts: np.ndarray) -> Arrays:
    """Stable sort by step (write order kept among equal steps); no copy when sorted."""
    if steps.size > 1 and bool(np.any(steps[1:] < steps[:-1])):
        order = np.argsort(steps, kind="stable")
        return steps[order], values[order], ts[order]
    return steps, values, ts


def _pack(
    run_id: int, key: str, node_id: str, steps: np.ndarray, values: np.ndarray, ts: np.ndarray
) -> list[dict[str, Any]]:
    """Chunk rows for one series given sorted by step."""
    rows = []
    for lo in range(0, steps.size, CHUNK_POINTS):
        s = steps[lo : lo + CHUNK_POINTS]
        v = values[lo : lo + CHUNK_POINTS]
        t = ts[lo : lo + CHUNK_POINTS]
        rows.append(
            {
                "run_id": run_id,
                "key": key,
                "node_id": node_id,
                "first_step": int(s[0]),
                "last_step": int(s[-1]),
                "n": int(s.size),
                "last_value": None if np.isnan(v[-1]) else float(v[-1]),  # SQLite: no NaN
                "steps": b"" if _consecutive(s) else s.astype(_I8, copy=False).tobytes(),
                "values": v.astype(_F8, copy=False).tobytes(),
                "timestamps": t[:1].astype(_F8).tobytes()
                if bool(np.all(t == t[0]))
                else t.astype(_F8, copy=False).tobytes(),
            }
        )
    return rows


def _consecutive(steps: np.ndarray) -> bool:
    """Whether ``steps`` are first, first + 1, ..., first + n - 1."""
    return int(steps[-1]) - int(steps[0]) == steps.size - 1 and bool(np.all(np.diff(steps) == 1))


def _unpack(first_step: int, n: int, steps: bytes, values: bytes, ts: bytes) -> Arrays:
    """The arrays of one chunk (see :func:`_pack` for the compact forms)."""
    s = np.arange(first_step, first_step + n, dtype=np.int64) if not steps else _read(steps, _I8)
    t = _read(ts, _F8)
    if t.size == 1 and n != 1:
        t = np.full(n, t[0])
    v = _read(values, _F8)
    if not s.size == v.size == t.size == n:
        raise WorkspaceError(f"a metric chunk is damaged ({n} points, arrays of other sizes)")
    return s, v, t


def _read(blob: bytes, dtype: np.dtype) -> np.ndarray:
    return np.frombuffer(blob, dtype=dtype)


def insert_series(conn: Connection, series: Sequence[tuple[int, str, str, Any, Any, Any]]) -> None:
    """Insert whole series (run id, key, node id, steps, values, timestamps) as packed
    chunks on an open write connection: one statement for the lot."""
    rows: list[dict[str, Any]] = []
    for run_id, key, node_id, steps, values, ts in series:
        vals = np.asarray(values, dtype=np.float64).ravel()
        if vals.size == 0:
            continue
        step_arr = np.asarray(steps, dtype=np.int64)
        ts_arr = np.broadcast_to(np.asarray(ts, dtype=np.float64), vals.shape)
        if step_arr.shape != vals.shape:
            raise ValueError(f"{vals.size} values but {step_arr.size} steps for metric '{key}'")
        rows += _pack(run_id, key, node_id, *_sort_by_step(step_arr, vals, ts_arr))
    if rows:
        conn.execute(insert(_CHUNKS), rows)


class MetricStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    # --- writing ---------------------------------------------------------------------

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
        if step_arr.dtype.kind not in "iub":
            if not np.all(np.isfinite(step_arr)) or np.any(step_arr != np.round(step_arr)):
                raise ValueError(f"steps of metric '{key}' must be whole numbers")
        step_arr = step_arr.astype(np.int64, copy=False)
        if timestamps is None or np.ndim(timestamps) == 0:
            ts = float(time.time() if timestamps is None else timestamps)
            ts_arr = np.full(n, ts, dtype=np.float64)
        else:
            ts_arr = np.asarray(timestamps, dtype=np.float64)
            if ts_arr.shape != (n,):
                raise ValueError(f"{n} values but {ts_arr.size} timestamps for metric '{key}'")
        self._write(_pack(run_id, key, node_id, *_sort_by_step(step_arr, vals, ts_arr)))

    def log_batch(self, run_id: int, points: Sequence[MetricPoint]) -> None:
        """Store metric points of one run in one transaction (packed per key and stage)."""
        if not points:
            return
        n = len(points)
        steps = np.fromiter((int(p.step) for p in points), dtype=np.int64, count=n)
        values = np.fromiter((float(p.value) for p in points), dtype=np.float64, count=n)
        ts = np.fromiter((float(p.timestamp) for p in points), dtype=np.float64, count=n)
        groups: dict[tuple[str, str], list[int]] = {}
        for i, p in enumerate(points):
            groups.setdefault((p.key, p.node_id), []).append(i)
        packed: list[tuple[int, list[dict[str, Any]]]] = []
        for (key, node_id), members in groups.items():
            index = np.asarray(members, dtype=np.int64)
            order = np.argsort(steps[index], kind="stable")
            index = index[order]
            rows = _pack(run_id, key, node_id, steps[index], values[index], ts[index])
            packed.append((int(index[-1]), rows))
        # Insert in the order the groups' latest points were written, so that on a tie at
        # the highest step the chunk written last (highest id) holds the last-written point.
        packed.sort(key=lambda item: item[0])
        self._write([row for _, rows in packed for row in rows])

    def _write(self, rows: list[dict[str, Any]]) -> None:
        with self._db.write_connection() as conn:
            conn.execute(insert(_CHUNKS), rows)

    def compact(self, run_id: int) -> int:
        """Repack the series a run wrote in many small pieces (buffered single points) into
        as few chunks as possible, in one transaction; the number of chunks saved.

        Only series made of small chunks alone are repacked (series with full chunks came
        from the bulk path already). Stages stay apart, and the stage whose latest point
        was written last is written last again, so ``latest`` and the order of points
        within a stage do not change."""
        c = _CHUNKS.c
        small = (
            select(c.key)
            .where(c.run_id == run_id)
            .group_by(c.key)
            .having(func.count() > 1, func.max(c.n) < CHUNK_POINTS)
        )
        saved = 0
        with self._db.write_connection() as conn:
            for key in list(conn.scalars(small)):
                old = conn.execute(
                    select(c.id, c.node_id, c.last_step, c.first_step, c.n)
                    .add_columns(c.steps, c["values"], c.timestamps)
                    .where(c.run_id == run_id, c.key == key)
                    .order_by(c.id)
                ).all()
                rows = self._repack(run_id, key, old)
                last_id = old[-1][0]
                conn.execute(
                    delete(_CHUNKS).where(c.run_id == run_id, c.key == key, c.id <= last_id)
                )
                conn.execute(insert(_CHUNKS), rows)
                saved += len(old) - len(rows)
        return saved

    @staticmethod
    def _repack(run_id: int, key: str, old: Sequence[Any]) -> list[dict[str, Any]]:
        groups: dict[str, list[Any]] = {}
        for row in old:  # in write order
            groups.setdefault(row[1], []).append(row)
        packed: list[tuple[tuple[int, int], list[dict[str, Any]]]] = []
        for node_id, members in groups.items():
            parts = [_unpack(*row[3:]) for row in members]
            steps, values, ts = (np.concatenate([p[i] for p in parts]) for i in range(3))
            rows = _pack(run_id, key, node_id, *_sort_by_step(steps, values, ts))
            newest = max((row[2], row[0]) for row in members)  # (last step, id): the latest
            packed.append((newest, rows))
        packed.sort(key=lambda item: item[0][1])
        return [row for _, rows in packed for row in rows]

    # --- reading ---------------------------------------------------------------------

    def history(self, run_id: int, key: str) -> Arrays:
        """(steps, values, timestamps) of one series, ordered by step."""
        params = {"run_id": run_id, "key": key}
        with self._db.read_connection() as conn:
            legacy = self._legacy_history(conn, run_id, key)
            sql, order = _chunks_history_sql(conn.dialect)
            chunks = _fetch(conn, sql, _driver_params(order, params))
        parts = [legacy] if legacy is not None else []
        parts += [_unpack(*chunk) for chunk in chunks]
        if not parts:
            return _empty()
        steps, values, ts = (
            np.concatenate([p[i] for p in parts]).astype(dtype, copy=False)
            for i, dtype in enumerate((np.int64, np.float64, np.float64))
        )
        return _sort_by_step(steps, values, ts)

    @staticmethod
    def _legacy_history(conn: Connection, run_id: int, key: str) -> Arrays | None:
        sql, order = _rows_history_sql(conn.dialect)
        rows = _fetch(conn, sql, _driver_params(order, {"run_id": run_id, "key": key}))
        if not rows:
            return None
        data = np.array(rows, dtype=np.float64)
        return data[:, 0].astype(np.int64), data[:, 1].copy(), data[:, 2].copy()

    def keys(self, run_id: int) -> list[str]:
        query = union(
            select(_CHUNKS.c.key).where(_CHUNKS.c.run_id == run_id),
            select(_ROWS.c.key).where(_ROWS.c.run_id == run_id),
        )
        with self._db.read_connection() as conn:
            return sorted(conn.scalars(query))

    def latest(self, run_id: int) -> dict[str, float]:
        """The last value (highest step, then latest written) of each key of a run."""
        return self.latest_many([run_id]).get(run_id, {})

    def latest_many(
        self, run_ids: Sequence[int], keys: Sequence[str] | None = None, *, flat: bool = False
    ) -> dict[int, dict[str, float]]:
        """The latest value of each key (only ``keys`` when given) of each run: read from
        a covering index in batches of 5,000 runs, in index order (run, key, step, id), so
        the last row read of each (run, key) is its latest. ``flat`` leaves out keys with
        a ``/`` (curves, per-feature and per-class values), in the query."""
        ids = list(dict.fromkeys(int(r) for r in run_ids))
        out: dict[int, dict[str, float]] = {r: {} for r in ids}
        if not ids or (keys is not None and not keys):
            return out
        with self._db.read_connection() as conn:
            for lo in range(0, len(ids), 5000):
                self._latest_into(conn, out, ids[lo : lo + 5000], keys, flat=flat)
        return out

    def latest_in_project(
        self,
        project_id: int,
        pipeline_id: int | None = None,
        limit: int | None = None,
    ) -> dict[int, dict[str, float]]:
        """:meth:`latest_many` for a project's runs (of one pipeline; the newest ``limit``,
        as ``RunStore.list`` picks them), in one query whatever their number. Runs that
        logged nothing are left out."""
        scope = run_ids_query(project_id, pipeline_id, limit)
        out: dict[int, dict[str, float]] = {}
        with self._db.read_connection() as conn:
            self._latest_into(conn, out, scope, None)
        return out

    def _latest_into(
        self,
        conn: Connection,
        out: dict[int, dict[str, float]],
        scope: list[int] | Select[Any],
        keys: Sequence[str] | None,
        *,
        flat: bool = False,
    ) -> None:
        c = _CHUNKS.c
        nan = float("nan")  # SQLite keeps no NaN: a chunk's NaN last value is NULL
        legacy: dict[tuple[int, str], tuple[int, float]] = {}
        for run_id, key, step, value in conn.execute(self._latest_query(_ROWS, scope)):
            if (keys is None or key in keys) and not (flat and "/" in key):
                legacy[(run_id, key)] = (step, value)
        where = c.run_id.in_(scope.scalar_subquery() if isinstance(scope, Select) else scope)
        query = (
            select(c.run_id, c.key, c.last_step, c.last_value)
            .where(where)
            .order_by(c.run_id, c.key, c.last_step, c.id)
        )
        if keys is not None:
            query = query.where(c.key.in_(list(keys)))
        if flat:
            query = query.where(c.key.not_like("%/%"))
        steps: dict[tuple[int, str], int] = {}
        got: dict[str, float] = {}
        last = None
        # plain tuples from the driver: a long history has hundreds of thousands of rows
        for run_id, key, step, value in driver_rows(conn, query):
            if run_id != last:
                got = out.get(run_id)  # type: ignore[assignment]
                if got is None:
                    got = out[run_id] = {}
                last = run_id
            got[key] = nan if value is None else float(value)
            if legacy:
                steps[(run_id, key)] = step
        # rows of the older per-point table: a chunk wins a tie at the same step
        for (run_id, key), (step, value) in legacy.items():
            if (run_id, key) not in steps or step > steps[(run_id, key)]:
                out.setdefault(run_id, {})[key] = nan if value is None else float(value)

    def key_counts(self, run_ids: Sequence[int]) -> dict[str, int]:
        """How many of these runs logged each key (counted in SQL, from the index)."""
        ids = list(dict.fromkeys(int(r) for r in run_ids))
        counts: dict[str, int] = {}
        with self._db.read_connection() as conn:
            for lo in range(0, len(ids), 5000):
                part = ids[lo : lo + 5000]
                for table in (_CHUNKS, _ROWS):
                    query = (
                        select(table.c.key, func.count(func.distinct(table.c.run_id)))
                        .where(table.c.run_id.in_(part))
                        .group_by(table.c.key)
                    )
                    for key, n in conn.execute(query):
                        counts[key] = counts.get(key, 0) + int(n)
        return counts

    @staticmethod
    def _latest_query(table: Any, ids: list[int] | Select[Any]) -> Any:
        """Per (run, key): the row with the highest step, then the highest id."""
        step = table.c.step if table is _ROWS else table.c.last_step
        value = table.c.value if table is _ROWS else table.c.last_value
        rank = (
            func.row_number()
            .over(
                partition_by=(table.c.run_id, table.c.key),
                order_by=(step.desc(), table.c.id.desc()),
            )
            .label("rank")
        )
        ranked = (
            select(
                table.c.run_id,
                table.c.key,
                step.label("step"),
                value.label("value"),
                rank,
            )
            .where(table.c.run_id.in_(ids.scalar_subquery() if isinstance(ids, Select) else ids))
            .subquery()
        )
        return select(ranked.c.run_id, ranked.c.key, ranked.c.step, ranked.c.value).where(
            ranked.c.rank == 1
        )

    def count(self, run_id: int) -> int:
        """How many points the run has logged, over all keys."""
        chunks = select(func.coalesce(func.sum(_CHUNKS.c.n), 0)).where(_CHUNKS.c.run_id == run_id)
        rows = select(func.count()).select_from(_ROWS).where(_ROWS.c.run_id == run_id)
        with self._db.read_connection() as conn:
            return int(conn.scalar(chunks) or 0) + int(conn.scalar(rows) or 0)
