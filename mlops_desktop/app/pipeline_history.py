"""The saved versions of a pipeline and what changed between two of them.

Used by ``mlops-desktop pipeline versions`` / ``pipeline diff`` and by the cloud import,
whose re-imports save new versions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlops_desktop.core.entities import PipelineVersion
from mlops_desktop.core.errors import NotFoundError
from mlops_desktop.core.pipeline_diff import PipelineDiff, diff

if TYPE_CHECKING:
    from mlops_desktop.app.projects import ProjectService


def pipeline_versions(
    service: ProjectService, project: str | int, pipeline: str | None = None
) -> list[PipelineVersion]:
    """The saved versions of a pipeline, oldest first."""
    info = service.pipeline_info(project, pipeline)
    return sorted(service.workspace.pipelines.versions(info.id), key=lambda v: v.version)


def diff_versions(
    service: ProjectService, project: str | int, pipeline: str | None, old: int, new: int
) -> PipelineDiff:
    """Steps added, removed and changed from version ``old`` to version ``new``."""
    info = service.pipeline_info(project, pipeline)
    by_number = {v.version: v for v in service.workspace.pipelines.versions(info.id)}
    for number in (old, new):
        if number not in by_number:
            raise NotFoundError(f"pipeline '{info.name}' has no version {number}")
    return diff(
        service.pipeline_from_version(by_number[old], info),
        service.pipeline_from_version(by_number[new], info),
    )
