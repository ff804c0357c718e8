"""``mlops-desktop project ...``: list, create, rename, delete, restore and purge projects."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from mlops_desktop.cli._common import open_workspace, print_json, print_table

if TYPE_CHECKING:
    from mlops_desktop.app.projects import ProjectService


def register(sub: Any) -> None:
    parser = sub.add_parser("project", help="manage projects", description="Manage projects.")
    cmds = parser.add_subparsers(dest="project_command", metavar="ACTION", required=True)

    p = cmds.add_parser("list", help="list projects")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--deleted", action="store_true", help="include deleted projects")
    p.set_defaults(handler=_list)

    p = cmds.add_parser("create", help="create a project from a template")
    p.add_argument("name")
    p.add_argument("--template", default="blank", help="template name (default: blank)")
    p.add_argument("--description", default="", help="a short description")
    p.set_defaults(handler=_create)

    p = cmds.add_parser("rename", help="rename a project")
    p.add_argument("old")
    p.add_argument("new")
    p.set_defaults(handler=_rename)

    for action, helptext in (
        ("delete", "move a project to the trash (restore brings it back)"),
        ("restore", "bring back a deleted project"),
        ("purge", "delete a project for good, with its pipelines and runs"),
    ):
        p = cmds.add_parser(action, help=helptext)
        p.add_argument("name")
        p.set_defaults(handler=_ACTIONS[action])


@contextmanager
def _service(args: argparse.Namespace) -> Iterator[ProjectService]:
    """A project service on the command's workspace, closed when the block ends."""
    from mlops_desktop.app.projects import ProjectService

    with open_workspace(args) as workspace:
        yield ProjectService(workspace)


def _list(args: argparse.Namespace) -> int:
    with _service(args) as service:
        projects = service.list_projects(include_deleted=args.deleted)
        counts = {p.id: len(service.workspace.pipelines.list(p.id)) for p in projects}
    if args.json:
        print_json(
            [
                {
                    "id": p.id,
                    "name": p.name,
                    "description": p.description,
                    "template": p.template,
                    "pipelines": counts[p.id],
                    "created_at": p.created_at.isoformat(),
                    "updated_at": p.updated_at.isoformat(),
                    "deleted": p.deleted,
                }
                for p in projects
            ]
        )
        return 0
    if not projects:
        print("no projects (create one with: mlops-desktop project create NAME)")
        return 0
    rows = [
        [
            p.name + (" (deleted)" if p.deleted else ""),
            p.template,
            counts[p.id],
            p.updated_at.strftime("%Y-%m-%d %H:%M"),
            p.description,
        ]
        for p in projects
    ]
    print_table(["NAME", "TEMPLATE", "PIPELINES", "UPDATED (UTC)", "DESCRIPTION"], rows)
    return 0


def _create(args: argparse.Namespace) -> int:
    with _service(args) as service:
        project = service.create_project(args.name, args.template, args.description)
    print(f"created project '{project.name}' from template '{project.template}'")
    return 0


def _rename(args: argparse.Namespace) -> int:
    with _service(args) as service:
        project = service.rename_project(args.old, args.new)
    print(f"renamed project '{args.old}' to '{project.name}'")
    return 0


def _delete(args: argparse.Namespace) -> int:
    with _service(args) as service:
        project = service.delete_project(args.name)
    print(f"deleted project '{project.name}' (restore it with: project restore {project.name!r})")
    return 0


def _restore(args: argparse.Namespace) -> int:
    with _service(args) as service:
        project = service.restore_project(args.name)
    print(f"restored project '{project.name}'")
    return 0


def _purge(args: argparse.Namespace) -> int:
    with _service(args) as service:
        gc = service.purge_project(args.name)
    print(f"purged project '{args.name}' and everything in it; {service.describe_freed(gc)}")
    return 0


_ACTIONS = {"delete": _delete, "restore": _restore, "purge": _purge}
