"""What the Trends view shows of a project, read and built in one go on any thread.

The view asks for a project (and, when it has one in mind, a pipeline and a metric); it gets
back everything it draws: the project's pipelines, the chosen pipeline's runs, its metric
keys by how many runs logged them, the latest values of the drift keys and of the chosen
metric, the loop and registry events, and the trend and drift series built from them. At
10,000 runs this is about half a second of queries and array work: the view does it on a
reader thread and only draws what arrives. Choosing another metric reads that metric's
values alone (:func:`read_metric`); a finished run adds its own values (:func:`read_run`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mlops_desktop.app.plot_data import (
    DEFAULT_DRIFT_THRESHOLD,
    DriftTrend,
    TimelineEvent,
    Trend,
    build_drift,
    build_trend,
    drift_threshold,
    keys_by_count,
    loop_events,
    timeline_events,
)
from mlops_desktop.core.errors import MlopsError

if TYPE_CHECKING:
    from mlops_desktop.app.workspace import Workspace
    from mlops_desktop.core.entities import Run

MAX_KEYS = 50  # metrics offered in the view's list, the most logged first
DRIFT_PREFIX = "psi/"


@dataclass
class TrendsRead:
    """A project's trends as read for one pipeline and one metric."""

    project_id: int
    pipelines: list[tuple[str, int]]  # (name, id) of each pipeline of the project
    pipeline_id: int | None  # the pipeline read (None: the project has none)
    runs: list[Run] = field(default_factory=list)  # its runs, newest first
    keys: list[str] = field(default_factory=list)  # metrics offered, most logged first
    latest: dict[int, dict[str, float]] = field(default_factory=dict)  # of ``read_keys``
    read_keys: list[str] = field(default_factory=list)  # keys whose values are in latest
    events: list[TimelineEvent] = field(default_factory=list)
    threshold: float = DEFAULT_DRIFT_THRESHOLD
    key: str = ""  # the metric drawn ("" when its runs logged none)
    trend: Trend | None = None
    drift: DriftTrend | None = None

    def redraw(self) -> None:
        """Build the trend and drift again from what was read (another metric chosen, a run
        added)."""
        self.trend = (
            build_trend(self.key, self.runs, self.latest, self.events) if self.key else None
        )
        self.drift = build_drift(self.runs, self.latest, self.threshold, events=self.events)


def read_trends(
    ws: Workspace, project: str | int, pipeline: str | int | None = None, key: str = ""
) -> TrendsRead:
    """Read the trends of ``project``: of ``pipeline`` (a name or an id; the first pipeline
    when None or gone) and metric ``key`` (the most logged metric when it logged none)."""
    proj = ws.projects.get(project)
    try:
        events = timeline_events(ws, proj.id) + loop_events(ws, proj.id)
    except MlopsError:
        events = []
    events.sort(key=lambda e: e.time)
    pipelines = [(info.name, info.id) for info in ws.pipelines.list(proj.id)]
    chosen = next((i for n, i in pipelines if pipeline in (n, i)), None)
    if chosen is None and pipelines:
        chosen = pipelines[0][1]
    read = TrendsRead(proj.id, pipelines, chosen, events=events)
    if chosen is None:
        read.redraw()
        return read
    read.runs = list(ws.runs.list(proj.id, chosen, with_params=False))
    ids = [r.id for r in read.runs]
    counts = ws.metrics.key_counts(ids) if ids else {}
    read.keys = keys_by_count(counts, limit=MAX_KEYS)
    read.key = key if key in read.keys else (read.keys[0] if read.keys else "")
    read.read_keys = [k for k in counts if k.startswith(DRIFT_PREFIX)]
    if read.key and read.key not in read.read_keys:
        read.read_keys.append(read.key)
    read.latest = ws.metrics.latest_many(ids, read.read_keys) if ids and read.read_keys else {}
    read.threshold = drift_threshold(ws, read.runs[0] if read.runs else None)
    read.redraw()
    return read


def read_metric(ws: Workspace, read: TrendsRead, key: str) -> dict[int, dict[str, float]]:
    """The latest value of ``key`` in each run of ``read`` (for another metric chosen)."""
    ids = [r.id for r in read.runs]
    return ws.metrics.latest_many(ids, [key]) if ids else {}


def with_metric(read: TrendsRead, key: str, values: dict[int, dict[str, float]]) -> None:
    """``read`` drawing ``key``, whose values ``read_metric`` read (GUI thread: no query)."""
    if key not in read.read_keys:
        read.read_keys.append(key)
        for run_id, got in values.items():
            read.latest.setdefault(run_id, {}).update(got)
    read.key = key
    read.redraw()


def read_run(ws: Workspace, run_id: int) -> tuple[Run, dict[str, float]]:
    """One finished run and its latest values (added to trends already shown)."""
    return ws.runs.get(run_id), ws.metrics.latest(run_id)


def with_run(read: TrendsRead, run: Run, latest: dict[str, float]) -> bool:
    """Add (or update) ``run`` in what ``read`` holds; False when it is not a run of the
    pipeline read. The trend and drift are not built again: a new point may just be added
    to the plot (:meth:`TrendsRead.redraw` builds them when it cannot)."""
    if run.project_id != read.project_id or run.pipeline_id != read.pipeline_id:
        return False
    read.runs = [run, *(r for r in read.runs if r.id != run.id)]  # newest first
    read.latest[run.id] = dict(latest)
    return True
