"""``trigger``, ``triggers`` and ``scheduler``: fire a pipeline by hand, list triggers and
their history, and run due triggers headless (from cron or a systemd service)."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from mlops_desktop.app.trigger_text import describe_event, describe_trigger, outcome_text
from mlops_desktop.cli._common import open_workspace, print_json, print_table
from mlops_desktop.core.errors import MlopsError, NotFoundError


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
    ls.add_argument(
        "--add",
        metavar="TYPE",
        help="add a trigger to --pipeline: schedule, data_arrival, monitor_alert, "
        "registry_event or manual",
    )
    ls.add_argument(
        "--config",
        metavar="JSON",
        default="{}",
        help='its settings, e.g. \'{"cron": "*/15 * * * *"}\' or \'{"folder": "/data/in"}\'',
    )
    ls.add_argument(
        "--update",
        type=int,
        metavar="ID",
        help="replace a trigger's settings with --config (its pipeline and type stay)",
    )
    ls.add_argument("--remove", type=int, metavar="ID", help="remove a trigger")
    ls.add_argument("--enable", type=int, metavar="ID", help="enable a trigger")
    ls.add_argument("--disable", type=int, metavar="ID", help="disable a trigger")
    ls.set_defaults(handler=cmd_triggers, parser=ls)

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


def cmd_trigger(args: argparse.Namespace) -> int:
    from mlops_desktop.app.triggers import TriggerService

    with open_workspace(args) as ws:
        event = TriggerService(ws).fire(args.project, args.pipeline, environment=args.environment)
        print(describe_event(event, run_number=_number(ws, event.run_id)))
        if event.outcome == "failed":
            return 1
        if event.run_id is not None:
            run = ws.runs.get(event.run_id)
            print(f"run {run.label} {run.status.label}: {run.message.removeprefix('kept out: ')}")
            return 0 if run.status.completed else 1
    return 0


def cmd_triggers(args: argparse.Namespace) -> int:
    from mlops_desktop.app.triggers import TriggerService

    with open_workspace(args) as ws:
        service = TriggerService(ws)
        project = ws.projects.get(args.project)
        if _change(args, service, project.id):
            return 0
        for info in ws.pipelines.list(project.id):
            service.sync_from_pipeline(project.id, info.name)
        triggers = service.list_triggers(args.project, args.pipeline)
        events = service.history(args.project, args.pipeline, args.limit)
        names = {i.id: i.name for i in ws.pipelines.list(project.id)}
        numbers = ws.runs.numbers(project.id)
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
        ["ID", "PIPELINE", "TYPE", "FIRES ON", "ENABLED"],
        [
            [t.id, t.pipeline_name, t.type, describe_trigger(t), "yes" if t.enabled else "no"]
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
                    outcome_text(e),
                    f"#{numbers[e.run_id]}" if e.run_id in numbers else "-",
                ]
                for e in events
            ],
        )
    return 0


def _change(args: argparse.Namespace, service: Any, project_id: int) -> bool:
    """Apply --add / --update / --remove / --enable / --disable; False when none was given."""
    if args.add:
        trig = service.add_trigger(project_id, args.pipeline, args.add, _config_arg(args))
        print(
            f"added trigger #{trig.id}: {trig.type} on {trig.pipeline_name} ({_config(trig.config)})"
        )
        return True
    owned = {t.id for t in service.store.list(project_id)}
    if args.update is not None:
        if args.update not in owned:
            raise NotFoundError(f"project '{args.project}' has no trigger #{args.update}")
        trig = service.update_trigger(args.update, _config_arg(args))
        print(
            f"updated trigger #{trig.id}: {trig.type} on {trig.pipeline_name} ({_config(trig.config)})"
        )
        return True
    for flag, verb in (("remove", "removed"), ("enable", "enabled"), ("disable", "disabled")):
        trigger_id = getattr(args, flag)
        if trigger_id is None:
            continue
        if trigger_id not in owned:
            raise NotFoundError(f"project '{args.project}' has no trigger #{trigger_id}")
        if flag == "remove":
            service.remove_trigger(trigger_id)
        else:
            service.set_enabled(trigger_id, flag == "enable")
        print(f"{verb} trigger #{trigger_id}")
        return True
    return False


def _config_arg(args: argparse.Namespace) -> dict[str, Any]:
    """--config as a dict (a usage error when it is not a JSON object)."""
    import json

    try:
        config = json.loads(args.config)
    except ValueError as exc:
        args.parser.error(f"--config is not JSON: {exc}")
    if not isinstance(config, dict):
        args.parser.error("--config must be a JSON object")
    return config


def _config(config: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in config.items() if k != "origin") or "-"


def cmd_scheduler(args: argparse.Namespace) -> int:
    from mlops_desktop.app.triggers import TriggerService

    if args.interval <= 0:
        args.parser.error("--interval must be positive")
    with open_workspace(args) as ws:
        service = TriggerService(ws)
        while True:
            try:
                events = service.run_due()
            except MlopsError as exc:
                if args.once:
                    raise
                # A pass that cannot finish (a busy workspace, a full disk): said in one
                # line; the loop goes on, so the other triggers fire on the next pass.
                print(
                    f"mlops-desktop: scheduler pass failed: {exc}; next pass in "
                    f"{args.interval:g} s",
                    file=sys.stderr,
                    flush=True,
                )
                events = []
            for event in events:
                pipeline = ws.pipelines.get_by_id(event.pipeline_id).name
                said = describe_event(event, pipeline, _number(ws, event.run_id))
                print(f"{event.fired_at:%Y-%m-%d %H:%M:%S} {said}", flush=True)
            if args.once:
                return 0
            time.sleep(args.interval)


def _number(ws: Any, run_id: int | None) -> int | None:
    """A run's number in its project (None for no run)."""
    return ws.runs.get(run_id).number if run_id is not None else None
