"""``mlops-desktop pipeline ...``: export, import and validate pipeline files."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from mlops_desktop.cli._common import open_workspace

# Formats of ``pipeline export --as`` (kept here so building the parser imports nothing
# heavy; the service checks the same list). "python" writes a runnable script.
EXPORT_FORMATS = ("json", "python")


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "pipeline", help="export, import and validate pipelines", description="Pipeline files."
    )
    cmds = parser.add_subparsers(dest="pipeline_command", metavar="ACTION", required=True)

    p = cmds.add_parser("export", help="write a pipeline of a project to a file")
    p.add_argument("project")
    p.add_argument("--pipeline", default=None, help="pipeline name (default: the first one)")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="file to write")
    p.add_argument("--as", dest="fmt", choices=EXPORT_FORMATS, default="json", help="file format")
    p.set_defaults(handler=_export)

    p = cmds.add_parser(
        "import",
        help="add a pipeline file to a project",
        description="Add a pipeline file to a project: an MLOps Desktop JSON file, or a cloud "
        "definition (Azure ML pipeline job YAML, Kubeflow/Vertex AI compiled pipeline, SageMaker "
        "pipeline definition JSON), detected from its content. Importing the same cloud file "
        "again saves a new version of the pipeline it made.",
    )
    p.add_argument("project")
    p.add_argument("file")
    p.add_argument("--name", default=None, help="pipeline name (default: the file's)")
    p.set_defaults(handler=_import)

    p = cmds.add_parser(
        "local-copy",
        help="make an editable pipeline of built-in stages from an imported cloud pipeline",
        description="Make a local copy of an imported cloud pipeline: a new pipeline of "
        "built-in stages (data preparation -> Load data/Split/Feature engineering, training -> "
        "Train, ...) that runs here on a data sample. Steps with no built-in counterpart are "
        "listed; the copy records the pipeline, version and file it came from.",
    )
    p.add_argument("project")
    p.add_argument("--pipeline", required=True, help="the imported pipeline")
    p.add_argument("--name", default=None, help="name of the copy (default: '<name> (local copy)')")
    p.add_argument(
        "--data",
        default=None,
        metavar="FILE",
        help="a CSV or Parquet sample of your data for its Load data stages "
        "(default: a dataset bundled with scikit-learn)",
    )
    p.add_argument("--target", default=None, help="the column of --data to predict")
    p.set_defaults(handler=_local_copy)

    p = cmds.add_parser("versions", help="list the saved versions of a pipeline")
    p.add_argument("project")
    p.add_argument("--pipeline", default=None, help="pipeline name (default: the first one)")
    p.set_defaults(handler=_versions)

    p = cmds.add_parser("diff", help="show the steps added, removed and changed between versions")
    p.add_argument("project")
    p.add_argument("--pipeline", default=None, help="pipeline name (default: the first one)")
    p.add_argument("--from", dest="old", type=int, default=None, help="default: the one before")
    p.add_argument("--to", dest="new", type=int, default=None, help="default: the latest")
    p.set_defaults(handler=_diff)

    p = cmds.add_parser("validate", help="check a pipeline file and print every problem")
    p.add_argument("file")
    p.set_defaults(handler=_validate)


def _export(args: argparse.Namespace) -> int:
    from mlops_desktop.app.projects import ProjectService

    with open_workspace(args) as workspace:
        path = ProjectService(workspace).export_pipeline(
            args.project, args.pipeline, args.output, args.fmt
        )
    print(f"wrote {path}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from mlops_desktop.app.cloud_import import CloudImportService, is_cloud_definition
    from mlops_desktop.app.projects import ProjectService

    with open_workspace(args) as workspace:
        if is_cloud_definition(args.file):
            result = CloudImportService(workspace).import_file(args.project, args.file, args.name)
            print(f"{result.summary()} into project '{args.project}'")
            return 0
        info = ProjectService(workspace).import_pipeline(args.project, args.file, args.name)
    print(f"imported pipeline '{info.name}' into project '{args.project}'")
    return 0


def _local_copy(args: argparse.Namespace) -> int:
    from mlops_desktop.app.cloud_import import CloudImportService

    with open_workspace(args) as workspace:
        info, copy = CloudImportService(workspace).make_local_copy(
            args.project, args.pipeline, args.name, args.data, args.target
        )
    print(f"made pipeline '{info.name}' in project '{args.project}': {copy.summary()}")
    for why in copy.unmapped:
        print(f"  not mapped: {why['step']} — {why['reason']}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from mlops_desktop.core.serialization import read_file
    from mlops_desktop.core.validation import validate

    pipeline = read_file(args.file)  # a FormatError ends here as one line, exit 1
    problems = validate(pipeline)
    for problem in problems:
        stream = sys.stdout if problem.severity == "warning" else sys.stderr
        print(f"{args.file}: {problem.severity}: {problem.message}", file=stream)
    errors = sum(p.severity == "error" for p in problems)
    if errors:
        print(f"{args.file}: {errors} error(s)", file=sys.stderr)
        return 1
    print(f"{args.file}: OK ({len(pipeline.nodes)} stages, {len(pipeline.links)} links)")
    return 0


def _versions(args: argparse.Namespace) -> int:
    from mlops_desktop.app.pipeline_history import pipeline_versions
    from mlops_desktop.app.projects import ProjectService
    from mlops_desktop.cli._common import print_table

    with open_workspace(args) as workspace:
        service = ProjectService(workspace)
        info = service.pipeline_info(args.project, args.pipeline)
        rows = [
            (v.version, v.created_at.strftime("%Y-%m-%d %H:%M"), v.message)
            for v in pipeline_versions(service, args.project, info.name)
        ]
    print_table(("version", "saved", "message"), rows)
    return 0


def _diff(args: argparse.Namespace) -> int:
    from mlops_desktop.app.pipeline_history import diff_versions
    from mlops_desktop.app.projects import ProjectService

    with open_workspace(args) as workspace:
        service = ProjectService(workspace)
        info = service.pipeline_info(args.project, args.pipeline)
        new = args.new if args.new is not None else info.latest_version
        old = args.old if args.old is not None else new - 1
        result = diff_versions(service, args.project, info.name, old, new)
    print(f"pipeline '{info.name}': version {old} → {new}")
    for line in result.lines():
        print(f"  {line}")
    return 0
