"""Reports a manager can read: a plain-data model of the report and its HTML renderings.

This package is Qt-free and storage-free. :mod:`mlops_desktop.app.reports` fills a
:class:`~mlops_desktop.reports.model.ReportData` from a workspace; :mod:`.html` turns it into
a self-contained HTML file (and the simpler HTML that Qt's rich-text engine lays out for the
PDF, see :mod:`mlops_desktop.qt.reports.pdf`).
"""

from __future__ import annotations

from mlops_desktop.reports.model import (
    CriterionRow,
    CrosswalkRow,
    DeploymentRow,
    Figure,
    GapRow,
    MaturityLevel,
    MaturitySection,
    ModelVersionRow,
    Omission,
    PipelineSection,
    ProjectSummary,
    RegistrySection,
    ReportData,
    RunComparison,
    RunSummary,
    SourceRef,
    StageResult,
    StageRow,
    TransitionRow,
)

__all__ = [
    "CriterionRow",
    "CrosswalkRow",
    "DeploymentRow",
    "Figure",
    "GapRow",
    "MaturityLevel",
    "MaturitySection",
    "ModelVersionRow",
    "Omission",
    "PipelineSection",
    "ProjectSummary",
    "RegistrySection",
    "ReportData",
    "RunComparison",
    "RunSummary",
    "SourceRef",
    "StageResult",
    "StageRow",
    "TransitionRow",
]
