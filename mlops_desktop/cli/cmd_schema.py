"""``schema``: show or re-baseline the reference schemas a project's Validate data stages
check against (stored by their first run with ``schema_source=reference``)."""

from __future__ import annotations

import argparse
import getpass
from typing import Any

from mlops_desktop.cli._common import open_workspace, print_json


def register(sub: Any) -> None:
    p = sub.add_parser("schema", help="show or re-baseline a project's reference schemas")
    p.add_argument("project", help="project name")
    p.add_argument(
        "--rebaseline",
        action="store_true",
        help="forget the stored references: the next run stores new ones (recorded)",
    )
    p.set_defaults(handler=cmd_schema)


def cmd_schema(args: argparse.Namespace) -> int:
    from mlops_desktop.app.schema_reference import PREFIX, SchemaReferences

    with open_workspace(args) as ws:
        project = ws.projects.get(args.project)
        if args.rebaseline:
            nodes = SchemaReferences(ws).rebaseline(project.id, getpass.getuser())
            shown = ", ".join(nodes) if nodes else "none was stored"
            print(
                f"re-baselined {args.project}: references forgotten ({shown}); the next run "
                "stores new ones"
            )
            return 0
        prefix = f"{PREFIX}:{project.id}:"
        stored = {
            key[len(prefix) :]: value
            for key, value in ws.settings.all().items()
            if key.startswith(prefix)
        }
        print_json(stored)
    return 0
