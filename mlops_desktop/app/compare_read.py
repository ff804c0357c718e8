"""What the Compare runs panel shows, read in one go on any thread.

The panel asks for runs; it gets their comparison (latest metrics and parameters, see
:func:`mlops_desktop.app.plot_data.compare`), the series metrics it can overlay, and the
series of the first of them for every run. Comparing 100 runs of a 10,000-run history read
the runs and their keys one query per run on the GUI thread (0.4-0.5 s): here they are read
in bulk, and the panel reads on a reader thread and only draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mlops_desktop.app.plot_data import RunComparison, Series, compare, is_series_key, series

if TYPE_CHECKING:
    from mlops_desktop.app.workspace import Workspace


@dataclass
class ComparisonRead:
    """Runs compared: the comparison, the series metrics, the series read so far."""

    comparison: RunComparison
    series_keys: list[str]
    series: dict[str, dict[int, Series]] = field(default_factory=dict)  # key -> run -> series


def read_comparison(ws: Workspace, run_ids: Sequence[int]) -> ComparisonRead:
    """The comparison of ``run_ids`` and the series of its first series metric."""
    comparison = compare(ws, run_ids)
    counts = ws.metrics.key_counts(list(run_ids))
    keys = sorted(k for k in counts if is_series_key(k))
    read = ComparisonRead(comparison, keys)
    if keys:
        read.series[keys[0]] = read_series(ws, comparison.run_ids, keys[0])
    return read


def read_series(ws: Workspace, run_ids: Sequence[int], key: str) -> dict[int, Series]:
    """Metric ``key``'s series of each run (empty where a run did not log it)."""
    return {rid: series(ws, rid, key) for rid in run_ids}
