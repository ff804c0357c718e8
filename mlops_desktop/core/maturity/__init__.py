"""MLOps maturity assessment: the vendors' models as data, evidence rules, scoring and gaps.

Pure Python over :mod:`mlops_desktop.core`: the facts of a project go in as a
:class:`~mlops_desktop.core.maturity.facts.ProjectFacts` snapshot; an
:class:`~mlops_desktop.core.maturity.scoring.Assessment` that explains itself comes out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlops_desktop.core.maturity.facts import ProjectFacts
    from mlops_desktop.core.maturity.scoring import Assessment, assess

__all__ = ["Assessment", "ProjectFacts", "assess"]


def __getattr__(name: str) -> Any:
    """Import the rule engine only when it is asked for (``models`` alone stays light)."""
    if name == "ProjectFacts":
        from mlops_desktop.core.maturity.facts import ProjectFacts

        return ProjectFacts
    if name in ("Assessment", "assess"):
        from mlops_desktop.core.maturity import scoring

        return getattr(scoring, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
