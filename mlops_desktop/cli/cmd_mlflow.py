"""``mlops-desktop mlflow export|import``: runs to and from an MLflow tracking store."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from mlops_desktop.cli._common import open_workspace

URI_HELP = "MLflow tracking URI, e.g. sqlite:///mlflow.db or http://host:5000"


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "mlflow",
        help="export runs to MLflow or import MLflow runs",
        description="Exchange runs with an MLflow tracking store (needs the 'mlflow' extra).",
    )
    cmds = parser.add_subparsers(dest="mlflow_command", metavar="ACTION", required=True)

    p = cmds.add_parser("export", help="log a project's runs to MLflow (skips runs already there)")
    p.add_argument("project")
    p.add_argument("--tracking-uri", required=True, metavar="URI", help=URI_HELP)
    p.add_argument("--experiment", help="MLflow experiment (default: the project's name)")
    p.add_argument(
        "--artifact-location",
        metavar="PATH|URI",
        help="where a new experiment keeps artifacts (default: MLflow's)",
    )
    p.set_defaults(handler=_export)

    p = cmds.add_parser("import", help="bring MLflow runs into a project (skips runs imported)")
    p.add_argument("project")
    p.add_argument("--tracking-uri", required=True, metavar="URI", help=URI_HELP)
    p.add_argument("--experiment", metavar="NAME", help="only this experiment (default: all)")
    p.set_defaults(handler=_import)


def _export(args: argparse.Namespace) -> int:
    from mlops_desktop.app.mlflow_bridge import export_runs

    with open_workspace(args) as ws:
        result = export_runs(
            ws,
            args.project,
            args.tracking_uri,
            experiment=args.experiment,
            artifact_location=args.artifact_location,
        )
    print(result.summary("exported"))
    return 0


def _import(args: argparse.Namespace) -> int:
    from mlops_desktop.app.mlflow_bridge import import_runs

    def progress(imported: int, skipped: int) -> None:
        # one line rewritten in place on a terminal; a line per page in a log
        end = "\r" if sys.stderr.isatty() else "\n"
        print(f"imported {imported} run(s), skipped {skipped}…", end=end, file=sys.stderr)
        sys.stderr.flush()

    with open_workspace(args) as ws:
        result = import_runs(ws, args.project, args.tracking_uri, args.experiment, progress)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print(result.summary("imported"))
    return 0
