"""ProjectService: projects and their pipelines as the GUI and the CLI use them.

Pipelines are stored as core serialization documents; this service turns them into
:class:`~mlops_desktop.core.graph.Pipeline` objects and back, creates projects from
templates, and imports and exports pipeline files.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from mlops_desktop.app.templates import load_template
from mlops_desktop.core.entities import PipelineInfo, PipelineVersion, Project
from mlops_desktop.core.errors import ConflictError, FormatError, NotFoundError
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.pipeline_diff import PipelineDiff
from mlops_desktop.core.registry import StageRegistry, default_registry
from mlops_desktop.core.serialization import read_file, to_dict
from mlops_desktop.core.units import format_size
from mlops_desktop.storage.gc import DEFAULT_MIN_AGE_S, GcReport, collect_garbage

if TYPE_CHECKING:
    from mlops_desktop.app.workspace import Workspace

EXPORT_FORMATS = ("json", "python")  # python: a runnable script (app/codegen.py)


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name} {n}", n + 1
    taken.add(candidate)
    return candidate


class ProjectService:
    def __init__(self, workspace: Workspace, registry: StageRegistry | None = None) -> None:
        self.workspace = workspace
        self.registry = registry or default_registry()

    # --- projects -------------------------------------------------------------------

    def list_projects(self, include_deleted: bool = False) -> list[Project]:
        return self.workspace.projects.list(include_deleted=include_deleted)

    def get_project(self, name: str | int) -> Project:
        return self.workspace.projects.get(name)

    def create_project(self, name: str, template: str = "blank", description: str = "") -> Project:
        """A project with the pipelines of ``template``, all written in one transaction."""
        pipelines = load_template(template, self.registry)
        taken: set[str] = set()
        docs = []
        for pipeline in pipelines:
            doc = to_dict(pipeline)
            doc["name"] = _unique(pipeline.name or "main", taken)
            docs.append((doc["name"], doc))
        return self.workspace.projects.create(name, description, template, pipelines=docs)

    def rename_project(self, old: str, new: str) -> Project:
        return self.workspace.projects.rename(old, new)

    def delete_project(self, name: str) -> Project:
        return self.workspace.projects.delete(name)

    def restore_project(self, name: str) -> Project:
        return self.workspace.projects.restore(name)

    def purge_project(self, name: str) -> GcReport:
        """Delete a project for good, then reclaim the artifact files nothing refers to.

        The collection keeps the default minimum age (an hour), never 0: another process
        may be running a pipeline on this workspace, and it writes its output files before
        the rows that reference them. Files the purge orphaned that are younger than that
        are reclaimed by a later ``workspace gc``.
        """
        self.workspace.projects.purge(name)
        return self.collect_garbage()

    @staticmethod
    def describe_freed(gc: GcReport) -> str:
        """What a purge or a clean-up freed, in one phrase (the command line and the GUI show it)."""
        text = f"freed {format_size(gc.bytes_freed)} in {gc.removed:,} artifact file(s)"
        if gc.young:
            text += (
                f"; {gc.young:,} file(s) written in the last hour are freed by a later "
                "'workspace gc'"
            )
        return text

    def collect_garbage(
        self, *, dry_run: bool = False, min_age_seconds: float = DEFAULT_MIN_AGE_S
    ) -> GcReport:
        """Remove unreferenced artifact files older than ``min_age_seconds`` (storage/gc.py)."""
        return collect_garbage(
            self.workspace.db,
            self.workspace.artifacts,
            dry_run=dry_run,
            min_age_seconds=min_age_seconds,
        )

    # --- pipelines ------------------------------------------------------------------

    def list_pipelines(self, project: str | int) -> list[PipelineInfo]:
        return self.workspace.pipelines.list(self.get_project(project).id)

    def pipeline_info(self, project: str | int, pipeline: str | None = None) -> PipelineInfo:
        """A pipeline of a project by name; None means the project's first pipeline."""
        proj = self.get_project(project)
        if pipeline is not None:
            return self.workspace.pipelines.get(proj.id, pipeline)
        infos = self.workspace.pipelines.list(proj.id)
        if not infos:
            raise NotFoundError(f"project '{proj.name}' has no pipeline")
        return infos[0]

    def load_pipeline(
        self, project: str | int, pipeline: str | None = None
    ) -> tuple[PipelineInfo, Pipeline]:
        info = self.pipeline_info(project, pipeline)
        return info, self.pipeline_from_version(self.workspace.pipelines.latest(info.id), info)

    def pipeline_from_version(
        self, version: PipelineVersion, info: PipelineInfo | None = None
    ) -> Pipeline:
        """The pipeline graph of a stored version (under the pipeline's current name)."""
        from mlops_desktop.core.serialization import from_dict

        doc = dict(version.document)
        if info is not None:
            doc["name"] = info.name
        return from_dict(doc, self.registry)

    def pipeline_versions(
        self, project: str | int, pipeline: str | None = None
    ) -> list[PipelineVersion]:
        """The saved versions of a pipeline, oldest first."""
        info = self.pipeline_info(project, pipeline)
        return sorted(self.workspace.pipelines.versions(info.id), key=lambda v: v.version)

    def diff_versions(
        self, project: str | int, pipeline: str | None, old: int, new: int
    ) -> PipelineDiff:
        """Steps added, removed and changed from version ``old`` to version ``new``."""
        from mlops_desktop.core.pipeline_diff import diff

        info = self.pipeline_info(project, pipeline)
        by_number = {v.version: v for v in self.workspace.pipelines.versions(info.id)}
        for number in (old, new):
            if number not in by_number:
                raise NotFoundError(f"pipeline '{info.name}' has no version {number}")
        return diff(
            self.pipeline_from_version(by_number[old], info),
            self.pipeline_from_version(by_number[new], info),
        )

    def save_pipeline(
        self, pipeline_id: int, pipeline: Pipeline, message: str = ""
    ) -> PipelineVersion:
        """A new version when the pipeline changed since its latest version."""
        doc = to_dict(pipeline)
        doc["name"] = self.workspace.pipelines.get_by_id(pipeline_id).name
        return self.workspace.pipelines.save(pipeline_id, doc, message)

    def create_pipeline(
        self, project: str | int, name: str, pipeline: Pipeline | None = None
    ) -> PipelineInfo:
        proj = self.get_project(project)
        doc = to_dict(pipeline if pipeline is not None else Pipeline(name, self.registry))
        doc["name"] = name.strip()
        return self.workspace.pipelines.create(proj.id, name, doc)

    def import_pipeline(
        self, project: str | int, path: str | os.PathLike[str], name: str | None = None
    ) -> PipelineInfo:
        """Add the pipeline in a JSON file to a project (upgraded to the current format).

        A file that ``pipeline validate`` rejects is refused here too, naming the problem."""
        from mlops_desktop.core.validation import errors

        pipeline = read_file(path, self.registry)
        problems = errors(pipeline)
        if problems:
            more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
            raise FormatError(
                f"{path}: {problems[0].message}{more}; nothing was imported "
                "('mlops-desktop pipeline validate' lists every problem)"
            )
        chosen = (name or pipeline.name or Path(path).stem).strip()
        proj = self.get_project(project)
        existing = {p.name for p in self.workspace.pipelines.list(proj.id)}
        if chosen in existing:
            raise ConflictError(
                f"project '{proj.name}' already has a pipeline named '{chosen}' "
                "(choose another with --name)"
            )
        doc = to_dict(pipeline)
        doc["name"] = chosen
        return self.workspace.pipelines.create(proj.id, chosen, doc)

    def export_pipeline(
        self,
        project: str | int,
        pipeline: str | None,
        path: str | os.PathLike[str],
        fmt: str = "json",
    ) -> Path:
        """Write a pipeline's latest version to ``path`` atomically; returns the path."""
        if fmt not in EXPORT_FORMATS:
            raise FormatError(f"cannot export as {fmt!r} (formats: {', '.join(EXPORT_FORMATS)})")
        info = self.pipeline_info(project, pipeline)
        if fmt == "python":
            from mlops_desktop.app.codegen import write_python

            return write_python(self.load_pipeline(project, info.name)[1], path)
        doc = dict(self.workspace.pipelines.latest(info.id).document)
        doc["name"] = info.name
        from mlops_desktop.core.serialization import from_dict

        from_dict(doc, self.registry)  # a stored document that fails the checks is not written
        target = Path(path)
        if target.is_dir():
            raise FormatError(f"{target} is a folder; give a file name")
        tmp = target.with_name(f".{target.name}.tmp")
        try:
            tmp.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            os.replace(tmp, target)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise FormatError(f"cannot write {target}: {exc.strerror}") from None
        return target
