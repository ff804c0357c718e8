"""``run`` and ``runs``: run a project's pipeline headless, and list its run history."""

from __future__ import annotations

import argparse
import sys
import threading
from typing import TYPE_CHECKING, Any

from mlops_desktop.cli._common import open_workspace, print_json_lines, print_table
from mlops_desktop.core.entities import StageRun, StageStatus
from mlops_desktop.core.execution import NullListener

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlops_desktop.app.runs import RunService
    from mlops_desktop.app.workspace import Workspace
    from mlops_desktop.core.entities import Run

MARKS = {
    StageStatus.SUCCEEDED: "ok",
    StageStatus.CACHED: "cached",
    StageStatus.FAILED: "FAILED",
    StageStatus.SKIPPED: "skipped",
    StageStatus.CANCELLED: "cancelled",
}


def register(sub: Any) -> None:
    p = sub.add_parser("run", help="run a project's pipeline and record the run")
    p.add_argument("project", help="project name")
    p.add_argument("--pipeline", help="pipeline name (default: the project's first)")
    p.add_argument("--force", action="store_true", help="recompute every stage, ignoring the cache")
    p.add_argument(
        "--executor",
        choices=("threads", "process", "dask"),
        default="threads",
        help="where stages run (default: a thread pool in this process; process: a thread "
        "pool in a separate process, as the app runs them, so that a crash in native code "
        "fails the run instead of ending the command)",
    )
    p.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler, e.g. tcp://HOST:8786")
    p.add_argument(
        "--workers", type=int, metavar="N", help="stages run at once (default: CPU count)"
    )
    p.add_argument(
        "--node",
        action="append",
        metavar="ID",
        help="run only this stage (id or title) and what it needs; repeatable",
    )
    p.add_argument(
        "--from", dest="from_node", metavar="ID", help="run this stage and everything after it"
    )
    p.add_argument("--environment", default="dev", help="environment recorded with the run")
    p.add_argument(
        "--trigger",
        default="manual",
        choices=("manual", "schedule", "data_arrival", "code_commit"),
        help="what started this run, recorded for the history and the maturity assessment "
        "(e.g. code_commit from a CI job; default manual)",
    )
    p.add_argument(
        "--trust",
        action="store_true",
        help="trust the pipeline's Python-function code (as it is now) in this workspace",
    )
    p.add_argument("--quiet", action="store_true", help="print only the result line")
    p.set_defaults(handler=cmd_run)

    r = sub.add_parser("runs", help="list a project's runs, newest first")
    r.add_argument("project", help="project name")
    r.add_argument("--pipeline", help="only this pipeline's runs")
    r.add_argument("--limit", type=int, default=50, help="at most this many runs (default 50)")
    r.add_argument("--json", action="store_true", help="print JSON")
    r.add_argument(
        "--delete",
        type=int,
        nargs="+",
        metavar="ID",
        help="delete these finished runs (runs that registered or deployed a model are kept); "
        "'workspace gc' then reclaims their files",
    )
    r.set_defaults(handler=cmd_runs, collect=False)  # reads, prints and ends


class ProgressPrinter(NullListener):
    """Prints one line per stage as it starts and ends (and its log with --verbose)."""

    def __init__(self, titles: dict[str, str], quiet: bool = False) -> None:
        self.titles = titles
        self.quiet = quiet
        self.lock = threading.Lock()

    def _say(self, text: str) -> None:
        if not self.quiet:
            with self.lock:
                print(text, flush=True)

    def stage_started(self, run_id: int, node_id: str) -> None:
        self._say(f"  ...      {self.titles.get(node_id, node_id)}")

    def stage_finished(self, run_id: int, node_id: str, stage_run: StageRun) -> None:
        mark = MARKS.get(stage_run.status, stage_run.status.value)
        took = (
            f" ({stage_run.duration_s:.2f} s)" if stage_run.status is StageStatus.SUCCEEDED else ""
        )
        line = f"  {mark:<8} {stage_run.title}{took}"
        if stage_run.error and stage_run.status is not StageStatus.SKIPPED:
            line += f": {stage_run.error.splitlines()[0]}"
        elif stage_run.status is StageStatus.SKIPPED and stage_run.error:
            line += f" ({stage_run.error.removeprefix('skipped: ')})"
        self._say(line)


def cmd_run(args: argparse.Namespace) -> int:
    from mlops_desktop.app.runs import RunService
    from mlops_desktop.core import serialization

    with open_workspace(args) as ws:
        service = RunService(ws, workers=args.workers)
        proj = ws.projects.get(args.project)
        info = service.pipeline_info(proj.id, args.pipeline)
        graph = serialization.from_dict(ws.pipelines.latest(info.id).document, service.registry)
        if args.trust:
            from mlops_desktop.app.trust import trust

            for line in trust(ws, graph):
                print(f"trusted: {line}", file=sys.stderr)
        printer = ProgressPrinter({n.id: n.title for n in graph.nodes.values()}, args.quiet)
        if not args.quiet:
            print(
                f"running {args.project} / {info.name} ({len(graph.nodes)} stages, {args.executor})"
            )
        options: dict[str, Any] = {
            "force": args.force,
            "listener": printer,
            "nodes": args.node,
            "from_node": args.from_node,
            "environment": args.environment,
            "trigger": args.trigger,
        }
        if args.executor == "process":
            run = _run_in_worker(service, args.project, info.name, options)
        else:
            run = service.run(
                args.project,
                info.name,
                executor=args.executor,
                scheduler_address=args.scheduler,
                **options,
            )
    took = f" in {run.duration_s:.1f} s" if run.duration_s is not None else ""
    # A gate keeping a weaker model out is an outcome, not an error: exit 0 and say so.
    out = sys.stdout if run.status.completed else sys.stderr
    message = run.message.removeprefix("kept out: ")
    print(f"run {run.label} {run.status.label}{took}: {message}", file=out)
    return 0 if run.status.completed else 1


def _run_in_worker(
    service: RunService, project: str, pipeline: str, options: dict[str, Any]
) -> Run:
    """Run in a worker process (:mod:`mlops_desktop.app.run_process`); Ctrl+C cancels."""
    from mlops_desktop.app.run_process import WorkerPool, start_in_worker

    pool = WorkerPool()
    try:
        handle = start_in_worker(service, project, pipeline, pool=pool, **options)
        try:
            run = handle.wait()
        except KeyboardInterrupt:
            handle.cancel()
            run = handle.wait()
        assert run is not None
        return run
    finally:
        pool.close()


def cmd_runs(args: argparse.Namespace) -> int:
    from mlops_desktop.app.runs import RunService

    if args.delete:
        with open_workspace(args) as ws:
            count = RunService(ws).delete_runs(args.project, args.delete)
        print(f"deleted {count} run(s) of '{args.project}'")
        return 0
    with open_workspace(args) as ws:
        project = ws.projects.get(args.project).id
        pipelines = ws.pipelines.list(project)
        names = {p.id: p.name for p in pipelines}
        pipeline_id = ws.pipelines.get(project, args.pipeline).id if args.pipeline else None
        # --json prints no parameters: they are not decoded for it
        runs = ws.runs.list(
            project, pipeline_id, args.limit, with_params=not args.json, with_input_hashes=True
        )
        if args.json:
            print_json_lines(_json_items(ws, runs, names))
            return 0
        # the listed runs' latest values in one query (no keys with a "/": curves and
        # per-feature values are not shown)
        metrics = ws.metrics.latest_many([r.id for r in runs], flat=True)
    keys = ("accuracy", "f1", "roc_auc", "r2", "rmse", "cv_best_score")
    shown = [k for k in keys if any(k in metrics.get(r.id, {}) for r in runs)][:3]
    rows = []
    for r in runs:
        m = metrics.get(r.id, {})
        took = f"{r.duration_s:.1f} s" if r.duration_s is not None else ""
        started = r.started_at.strftime("%Y-%m-%d %H:%M:%S") if r.started_at else ""
        rows.append(
            [
                r.label,
                names.get(r.pipeline_id, r.pipeline_id),
                r.status.label,
                r.trigger,
                started,
                took,
                *(f"{m[k]:.4f}" if k in m else "" for k in shown),
            ]
        )
    print_table(["run", "pipeline", "status", "trigger", "started", "duration", *shown], rows)
    return 0


SERIES_METRICS = frozenset({"confusion_matrix"})
STAGE_FIELDS = ("node_id", "title", "status", "duration_s", "error")  # each stage in --json
JSON_PAGE = 2000  # runs whose values and stages --json reads, encodes and writes at a time


def _json_items(ws: Workspace, runs: list[Run], names: dict[int, str]) -> Iterator[dict[str, Any]]:
    """Each run as ``--json`` prints it. The latest values (no keys with a "/") and the
    stages are read a page of runs at a time, one query each, by the ids listed: a long
    history is never held whole."""
    for lo in range(0, len(runs), JSON_PAGE):
        page = runs[lo : lo + JSON_PAGE]
        ids = [r.id for r in page]
        metrics = ws.metrics.latest_many(ids, flat=True)
        stages = ws.runs.stage_rows(ids, STAGE_FIELDS)
        for r in page:
            yield _run_json(r, names, metrics[r.id], stages.get(r.id, []))


def _run_json(
    run: Any, names: dict[int, str], metrics: dict[str, float], stages: list[tuple[Any, ...]]
) -> dict[str, Any]:
    return {
        "id": run.id,
        "number": run.number,
        "pipeline": names.get(run.pipeline_id, run.pipeline_id),
        "pipeline_version_id": run.pipeline_version_id,
        "status": run.status.value,
        "trigger": run.trigger,
        "environment": run.environment,
        "executor": run.executor,
        "started_at": run.started_at,  # orjson writes an aware date as ISO 8601
        "finished_at": run.finished_at,
        "duration_s": run.duration_s,
        "message": run.message,
        "input_hashes": run.input_hashes,
        # series (curves, the confusion matrix's cells) are plots, not metrics
        "metrics": (
            metrics
            if SERIES_METRICS.isdisjoint(metrics)
            else {k: v for k, v in metrics.items() if k not in SERIES_METRICS}
        ),
        # each stage's STAGE_FIELDS, spelt out (a long history has a hundred thousand)
        "stages": [
            {"node_id": n, "title": t, "status": st, "duration_s": d, "error": e}
            for n, t, st, d, e in stages
        ],
    }
