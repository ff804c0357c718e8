"""MLOps maturity assessment: the vendors' models as data, evidence rules, scoring and gaps.

Pure Python over :mod:`mlops_desktop.core`: the facts of a project go in as a
:class:`~mlops_desktop.core.maturity.facts.ProjectFacts` snapshot; an
:class:`~mlops_desktop.core.maturity.scoring.Assessment` that explains itself comes out.
"""

from __future__ import annotations

from mlops_desktop.core.maturity.facts import ProjectFacts
from mlops_desktop.core.maturity.scoring import Assessment, assess

__all__ = ["Assessment", "ProjectFacts", "assess"]
