"""``trigger``, ``triggers`` and ``scheduler``: fire a pipeline by hand, list triggers and
their history, and run due triggers headless (from cron or a systemd service)."""

from __future__ import annotations

import argparse
import time
from typing import Any

from mlops_desktop.cli._common import open_workspace, print_json, print_table
from mlops_desktop.core.operate_entities import TriggerEvent


def register(sub: Any) -> None:
    t = sub.add_parser("trigger", help="fire a pipeline now (queued if it is running)")
    t.add_argument("project", help="project name")
    t.add_argument("pipeline", nargs="?", help="pipeline name (default: the project's first)")
    t.add_argument("--environment", help="environment recorded with the run")
    t.set_defaults(handler=cmd_trigger)

    ls = sub.add_parser("triggers", help="list a project's triggers and recent firings")
    ls.add_argument("project", help="project name")
    ls.add_argument("--pipeline", help="only this pipeline")
    ls.add_argument("--limit", type=int, default=20, help="recent firings shown (default 20)")
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.set_defaults(handler=cmd_triggers)

    s = sub.add_parser("scheduler", help="fire due triggers (schedules, new data, alerts...)")
    s.add_argument("--once", action="store_true", help="one pass, then exit (for cron)")
    s.add_argument(
        "--interval",
        type=float,
        default=30.0,
        metavar="S",
        help="seconds between passes (default 30)",
    )
    s.set_defaults(handler=cmd_scheduler, parser=s)


def describe(event: TriggerEvent, pipeline: str = "") -> str:
    """One line about a firing."""
    where = f" {pipeline}" if pipeline else ""
    if event.outcome == "started":
        return f"{event.type}{where}: started run #{event.run_id}"
    if event.outcome == "queued":
        return f"{event.type}{where}: queued (the pipeline is running; it runs when free)"
    if event.outcome == "coalesced":
        return f"{event.type}{where}: joined the firing #{event.coalesced_into} already waiting"
    return f"{event.type}{where}: failed to start ({event.detail.get('error', 'unknown error')})"


def cmd_trigger(args: argparse.Namespace) -> int:
    from mlops_desktop.app.triggers import TriggerService

    with open_workspace(args) as ws:
        event = TriggerService(ws).fire(args.project, args.pipeline, environment=args.environment)
        print(describe(event))
        if event.outcome == "failed":
            return 1
        if event.run_id is not None:
            run = ws.runs.get(event.run_id)
            print(f"run #{run.id} {run.status.value}: {run.message}")
            return 0 if run.status.value == "succeeded" else 1
    return 0


def cmd_triggers(args: argparse.Namespace) -> int:
    from mlops_desktop.app.triggers import TriggerService

    with open_workspace(args) as ws:
        service = TriggerService(ws)
        project = ws.projects.get(args.project)
        for info in ws.pipelines.list(project.id):
            service.sync_from_pipeline(project.id, info.name)
        triggers = service.list_triggers(args.project, args.pipeline)
        events = service.history(args.project, args.pipeline, args.limit)
        names = {i.id: i.name for i in ws.pipelines.list(project.id)}
    if args.json:
        print_json(
            {
                "triggers": [
                    {
                        "id": t.id,
                        "pipeline": t.pipeline_name,
                        "type": t.type,
                        "config": t.config,
                        "enabled": t.enabled,
                    }
                    for t in triggers
                ],
                "events": [
                    {
                        "id": e.id,
                        "pipeline": names.get(e.pipeline_id, ""),
                        "type": e.type,
                        "outcome": e.outcome,
                        "run_id": e.run_id,
                        "coalesced_into": e.coalesced_into,
                        "fired_at": e.fired_at.isoformat(),
                        "detail": e.detail,
                    }
                    for e in events
                ],
            }
        )
        return 0
    print_table(
        ["ID", "PIPELINE", "TYPE", "CONFIG", "ENABLED"],
        [
            [t.id, t.pipeline_name, t.type, _config(t.config), "yes" if t.enabled else "no"]
            for t in triggers
        ],
    )
    if events:
        print()
        print_table(
            ["FIRED", "PIPELINE", "TYPE", "OUTCOME", "RUN"],
            [
                [
                    e.fired_at.strftime("%Y-%m-%d %H:%M:%S"),
                    names.get(e.pipeline_id, ""),
                    e.type,
                    e.outcome + (f" into #{e.coalesced_into}" if e.coalesced_into else ""),
                    e.run_id or "-",
                ]
                for e in events
            ],
        )
    return 0


def _config(config: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in config.items() if k != "origin") or "-"


def cmd_scheduler(args: argparse.Namespace) -> int:
    from mlops_desktop.app.triggers import TriggerService

    if args.interval <= 0:
        args.parser.error("--interval must be positive")
    with open_workspace(args) as ws:
        service = TriggerService(ws)
        while True:
            for event in service.run_due():
                pipeline = ws.pipelines.get_by_id(event.pipeline_id).name
                print(f"{event.fired_at:%Y-%m-%d %H:%M:%S} {describe(event, pipeline)}", flush=True)
            if args.once:
                return 0
            time.sleep(args.interval)
