"""The one JSON encoder behind every ``--json``: strict JSON, and never a traceback for
data orjson cannot take (an integer beyond 64 bits, such as a 25-digit id in a schema)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np

from mlops_desktop.cli._common import json_bytes


def _strict(data: bytes) -> object:
    def refuse(name: str) -> None:
        raise ValueError(f"not JSON: {name}")

    return json.loads(data, parse_constant=refuse)


def test_values_json_has_not_are_null_and_dates_are_iso() -> None:
    data = {"nan": float("nan"), "inf": float("inf"), 3: np.float64(0.25), "n": np.int64(7)}
    data["at"] = datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=UTC)
    assert _strict(json_bytes(data)) == {
        "nan": None,
        "inf": None,
        "3": 0.25,
        "n": 7,
        "at": "2026-01-02T03:04:05.006000+00:00",
    }


def test_an_integer_beyond_64_bits_is_written_whole() -> None:
    out = json_bytes({"id": 10**24, "rows": [1, 2]}, indent=False)
    assert json.loads(out) == {"id": 10**24, "rows": [1, 2]}
