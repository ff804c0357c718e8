"""``mlops-desktop workspace ...``: maintenance of the workspace (garbage collection)."""

from __future__ import annotations

import argparse
from typing import Any

from mlops_desktop.cli._common import open_workspace, print_json
from mlops_desktop.core.errors import MlopsError
from mlops_desktop.core.units import format_size

_DEFAULT_MIN_AGE_S = 3600.0  # same as mlops_desktop.storage.gc.DEFAULT_MIN_AGE_S


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "workspace", help="maintain the workspace", description="Maintain the workspace."
    )
    cmds = parser.add_subparsers(dest="workspace_command", metavar="ACTION", required=True)
    p = cmds.add_parser(
        "gc",
        help="delete artifact files nothing refers to any more",
        description="Delete artifact files no run, cache entry or model version refers to "
        "(left by purged projects and deleted runs), and cache entries whose files are gone.",
    )
    p.add_argument("--dry-run", action="store_true", help="only show what would be removed")
    p.add_argument(
        "--min-age",
        type=float,
        default=_DEFAULT_MIN_AGE_S,
        metavar="SECONDS",
        help="keep files written less than this long ago (default: 3600). A run in another "
        "process writes its files before recording them: 0 is only safe when nothing else "
        "uses the workspace",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=_gc)


def _gc(args: argparse.Namespace) -> int:
    if args.min_age < 0:
        raise MlopsError("--min-age cannot be negative")
    from mlops_desktop.app.projects import ProjectService

    with open_workspace(args) as ws:
        report = ProjectService(ws).collect_garbage(
            dry_run=args.dry_run, min_age_seconds=args.min_age
        )
    if args.json:
        print_json(
            {
                "dry_run": report.dry_run,
                "removed": report.removed,
                "kept": report.kept,
                "kept_young": report.young,
                "bytes_freed": report.bytes_freed,
                "cache_entries_dropped": report.cache_entries_dropped,
                "digests": report.digests,
            }
        )
        return 0
    verb = "would remove" if args.dry_run else "removed"
    for digest in report.digests:
        print(f"{verb} {digest}")
    print(
        f"{verb} {report.removed:,} artifact file(s), {format_size(report.bytes_freed)}; "
        f"kept {report.kept:,} ({report.young:,} unreferenced but younger than "
        f"{args.min_age:g} s); {'would drop' if args.dry_run else 'dropped'} "
        f"{report.cache_entries_dropped:,} cache entr{'y' if report.cache_entries_dropped == 1 else 'ies'}"
    )
    return 0
