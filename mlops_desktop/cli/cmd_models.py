"""``models``: the model registry from the command line.

- ``models PROJECT [--json]``: registered models, their versions, aliases, deployments;
- ``models at PROJECT TIME [--json]`` (or ``models PROJECT --at TIME``): what served each
  environment at TIME, who or what put it there and why (from the append-only history);
- ``models promote PROJECT MODEL VERSION ALIAS``: give an alias to a version;
- ``models rollback PROJECT MODEL ALIAS``: give an alias back to its previous version;
- ``models promote-canary PROJECT ENVIRONMENT``: the canary becomes the primary.
"""

from __future__ import annotations

import argparse
from typing import Any

from mlops_desktop.cli._common import open_workspace, print_json, print_table

ACTIONS = {
    "promote": ("model", "version", "alias"),
    "rollback": ("model", "alias"),
    "promote-canary": ("environment",),
}
KEY_METRICS = ("accuracy", "f1", "roc_auc", "r2", "rmse")


def register(sub: Any) -> None:
    p = sub.add_parser(
        "models",
        help="list, promote and roll back registered models",
        description="models PROJECT [--json] | models at PROJECT TIME [--json] | "
        "models promote PROJECT MODEL VERSION ALIAS | models rollback PROJECT MODEL ALIAS | "
        "models promote-canary PROJECT ENVIRONMENT",
        usage="mlops-desktop models [at|promote|rollback|promote-canary] PROJECT "
        "[TIME|MODEL [VERSION]] [ALIAS|ENVIRONMENT]",
    )
    p.add_argument("words", nargs="+", metavar="ARG", help=argparse.SUPPRESS)
    p.add_argument("--json", action="store_true", help="print JSON (listing only)")
    p.add_argument("--reason", default="", help="why (kept in the alias history)")
    p.add_argument(
        "--at",
        metavar="TIME",
        help="what served at this time (ISO 8601, e.g. 2026-12-05T15:06; no zone = UTC)",
    )
    p.set_defaults(handler=cmd_models, parser=p)


def cmd_models(args: argparse.Namespace) -> int:
    words: list[str] = args.words
    if words[0] == "at" and len(words) > 1:  # a project named "at" is still listed alone
        if len(words) != 3:
            args.parser.error("models at needs PROJECT TIME (e.g. 2026-12-05T15:06)")
        args.at = words[2]
        return _served_at(args, words[1])
    action = words[0] if words[0] in ACTIONS else None
    if action is None:
        if len(words) != 1:
            args.parser.error("give one PROJECT, or 'promote' / 'rollback' and its arguments")
        if args.at:
            return _served_at(args, words[0])
        return _list(args, words[0])
    expected = ("project", *ACTIONS[action])
    if len(words) - 1 != len(expected):
        args.parser.error(f"models {action} needs {' '.join(e.upper() for e in expected)}")
    values = dict(zip(expected, words[1:], strict=True))
    from mlops_desktop.app.registry import RegistryService

    with open_workspace(args) as ws:
        service = RegistryService(ws)
        if action == "promote-canary":
            dep = service.promote_canary(
                values["project"], values["environment"], reason=args.reason
            )
            print(
                f"{dep.model_name} v{dep.version} now serves all of {dep.environment} "
                f"(was v{dep.previous_version}; by {dep.approver})"
            )
            return 0
        if action == "promote":
            try:
                version = int(values["version"].lstrip("v"))
            except ValueError:
                args.parser.error(f"VERSION must be a number, got {values['version']!r}")
            move = service.promote(
                values["project"], values["model"], version, values["alias"], reason=args.reason
            )
        else:
            move = service.rollback(
                values["project"], values["model"], values["alias"], reason=args.reason
            )
    before = f"v{move.from_version}" if move.from_version is not None else "none"
    print(f"{move.model_name}: '{move.alias}' {before} -> v{move.to_version} (by {move.actor})")
    return 0


def _list(args: argparse.Namespace, project: str) -> int:
    from mlops_desktop.app.registry import RegistryService

    with open_workspace(args) as ws:
        summary = RegistryService(ws).summary(project)
        numbers = ws.runs.numbers(ws.projects.get(project).id)
    if args.json:
        print_json(summary)
        return 0
    if not summary["models"]:
        print(f"project '{summary['project']}' has no registered models yet")
        return 0
    rows = []
    for model in summary["models"]:
        for v in model["versions"]:
            metric = next(
                (f"{k} {v['metrics'][k]:.4g}" for k in KEY_METRICS if k in v["metrics"]), ""
            )
            rows.append(
                [
                    model["name"],
                    v["version"],
                    ", ".join(v["aliases"]),
                    (v["approval"] + (f" by {v['approver']}" if v["approver"] else "")) or "-",
                    f"#{numbers[v['run_id']]}" if v["run_id"] in numbers else "-",
                    metric,
                    v["created_at"][:19].replace("T", " "),
                ]
            )
    print_table(["MODEL", "VERSION", "ALIASES", "APPROVAL", "RUN", "METRIC", "REGISTERED"], rows)
    changes = sorted(
        (dict(h, model=m["name"]) for m in summary["models"] for h in m["history"]),
        key=lambda h: h["at"],
        reverse=True,
    )[:8]
    if changes:
        print()
        print_table(
            ["CHANGED", "MODEL", "ALIAS", "FROM", "TO", "BY", "REASON"],
            [
                [
                    h["at"][:19].replace("T", " "),
                    h["model"],
                    h["alias"],
                    f"v{h['from_version']}" if h["from_version"] is not None else "-",
                    f"v{h['to_version']}" if h["to_version"] is not None else "-",
                    h["actor"],
                    h["reason"],
                ]
                for h in changes
            ],
        )
    active = [d for d in summary["deployments"] if d["status"] == "active"]
    if active:
        print()
        print_table(
            ["ENVIRONMENT", "MODEL", "VERSION", "STRATEGY", "TRAFFIC", "APPROVER", "SINCE"],
            [
                [
                    d["environment"],
                    d["model"],
                    d["version"],
                    d["strategy"],
                    f"{d['serving_share']:.0%}",
                    d["approver"] or "-",
                    d["at"][:19].replace("T", " "),
                ]
                for d in active
            ],
        )
    return 0


def _served_at(args: argparse.Namespace, project: str) -> int:
    from datetime import UTC, datetime

    from mlops_desktop.app.registry import RegistryService

    try:
        when = datetime.fromisoformat(args.at.strip())
    except ValueError:
        args.parser.error(f"TIME must look like 2026-12-05T15:06, got {args.at!r}")
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    with open_workspace(args) as ws:
        served = RegistryService(ws).served_at(project, when)
    if args.json:
        print_json({"project": project, "at": when.isoformat(), "serving": served})
        return 0
    stamp = when.strftime("%Y-%m-%d %H:%M:%S %Z")
    if not served:
        print(f"nothing served any environment of '{project}' at {stamp}")
        return 0
    print(f"at {stamp}:")
    for d in served:
        origin = f"run #{d['run_number']} ({d['run_trigger']})" if d["run_id"] else "hand"
        share = f", {d['traffic_share']:.0%} of traffic" if d["strategy"] != "direct" else ""
        print(
            f"  {d['environment']}: {d['model']} v{d['version']} ({d['strategy']}{share}) "
            f"since {d['at'][:19].replace('T', ' ')}, deployed by {origin}, "
            f"approver {d['approver'] or '-'}"
        )
        if d["alias_actor"]:
            print(
                f"    alias '{d['environment']}' -> v{d['version']} by {d['alias_by']}: "
                f"{d['alias_reason'] or 'no reason given'}"
            )
    return 0
