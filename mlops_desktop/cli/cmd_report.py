"""``report``: write a project's report as one self-contained HTML file or a PDF, headless.

Works with no display: Qt draws the pictures and lays out the PDF offscreen.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from mlops_desktop.cli._common import open_workspace
from mlops_desktop.core.errors import NotFoundError
from mlops_desktop.core.vendors import catalogue


def register(sub: Any) -> None:
    p = sub.add_parser(
        "report",
        help="write a project's report (HTML or PDF)",
        description="Write the report of a project: summary, pipeline picture and stages, latest "
        "run, recent runs, plots, model registry and deployments, maturity assessment. The "
        "format follows the file name: .html (one self-contained file) or .pdf.",
    )
    p.add_argument("project", help="project name")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="FILE.html or FILE.pdf")
    p.add_argument(
        "--run",
        type=int,
        metavar="N",
        help="report run #N of the project, as `runs` lists it (default: the latest)",
    )
    p.add_argument(
        "--lens",
        choices=catalogue().ids(),
        help="lifecycle lens for the pipeline (default: the project's template, else "
        f"{catalogue().default})",
    )
    p.add_argument("--quiet", action="store_true", help="print nothing on success")
    p.set_defaults(handler=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    from mlops_desktop.qt.reports.pdf import ensure_gui_application, export_report, report_format

    report_format(args.output)  # a bad file name fails before any work
    ensure_gui_application()  # offscreen when there is no display
    with open_workspace(args) as ws:
        run_id = None
        if args.run is not None:
            project = ws.projects.get(args.project)
            try:
                run_id = ws.runs.by_number(project.id, args.run).id
            except NotFoundError:
                raise NotFoundError(f"project '{project.name}' has no run #{args.run}") from None
        path = export_report(ws, args.project, args.output, run_id=run_id, lens=args.lens)
    if not args.quiet:
        size = Path(path).stat().st_size
        print(f"wrote {path} ({size / 1024:.0f} KB)")
    return 0
