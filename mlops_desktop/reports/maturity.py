"""Turn a maturity :class:`~mlops_desktop.core.maturity.Assessment` into the report's
maturity section: levels side by side, the radar, criteria with evidence, the gap list, the
crosswalk and the sources."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from mlops_desktop.core.vendors import catalogue
from mlops_desktop.reports.model import (
    CriterionRow,
    CrosswalkRow,
    Figure,
    GapRow,
    MaturityLevel,
    MaturitySection,
    SourceRef,
)
from mlops_desktop.reports.svg import radar_svg

if TYPE_CHECKING:
    from mlops_desktop.core.maturity.scoring import Assessment, CriterionResult, ModelScore

STATUS_TEXT = {"met": "met", "not_met": "not met", "unknown": "unknown", "suggested": "suggested"}
MAX_EVIDENCE = 4


def _evidence(result: CriterionResult) -> list[str]:
    lines = []
    for e in result.evidence[:MAX_EVIDENCE]:
        where = f" in {e.pipeline}" if getattr(e, "pipeline", "") else ""
        lines.append(f"{e.label}{where}")
    if len(result.evidence) > MAX_EVIDENCE:
        lines.append(f"and {len(result.evidence) - MAX_EVIDENCE} more")
    if not result.satisfied and result.reason:
        lines.append(f"Missing: {result.reason}" if result.status == "not_met" else result.reason)
        if result.criterion.behaviour and result.status == "not_met":
            lines.append(f"Looked for: {result.criterion.behaviour}")
    elif result.status == "suggested":
        lines.append("suggested, please confirm")
    return lines


def _criterion_row(model_id: str, score: ModelScore | None, r: CriterionResult) -> CriterionRow:
    c = r.criterion
    level = ""
    if c.level is not None:
        level = score.model.level_info(c.level).name if score is not None else str(c.level)
        level = level.split(":")[0]
    text = c.text if c.polarity == "+" else f"Immature state: {c.text}"
    return CriterionRow(
        model_id=model_id,
        criterion_id=c.key,
        title=text,
        level=level,
        status=STATUS_TEXT.get(r.status, r.status),
        detect=c.detect,
        evidence=_evidence(r),
        observed_at=r.observed_at,
        source_url=c.url,
    )


GAP_PREFIX = {"cap": "No longer: ", "confirm": "Confirm: ", "answer": "Unknown: "}


def _gaps(assessment: Assessment) -> list[GapRow]:
    """The gap list of every model (the same items the Maturity view shows)."""
    from mlops_desktop.core.maturity.gaps import gaps

    rows: list[GapRow] = []
    for model_id, report in gaps(assessment).items():
        if model_id == "crosswalk":
            continue
        target = report.target_name.split(":")[0]
        for g in report.items:
            action = f"{g.action} {g.repo_change}." if g.repo_change else g.action
            rows.append(
                GapRow(model_id, target, g.key, GAP_PREFIX.get(g.kind, "") + g.text, action)
            )
    return rows


def _why(reasons: Sequence[str]) -> str:
    """The reasons that explain the level: what is missing above it and what caps it."""
    key = [r for r in reasons if "not reached" in r or r.startswith("Capped at")]
    if not key:
        key = [r for r in reasons if not r.startswith("Normalized")][-1:]
    return " ".join(key[:2])


def _level(model_id: str, score: ModelScore) -> MaturityLevel:
    name = score.level_name
    label = name.split(":")[0] if ":" in name else name
    return MaturityLevel(
        model_id=model_id,
        model_title=score.model.title,
        level_label=label,
        level=float(score.level),
        max_level=float(score.model.top),
        normalized=float(score.normalized),
        explanation=_why(score.reasons),
    )


def maturity_section(
    assessment: Assessment, *, criteria_statuses: Iterable[str] | None = None
) -> MaturitySection:
    """The report's view of ``assessment``.

    ``criteria_statuses`` limits the criteria table (default: every scored criterion)."""
    from mlops_desktop.core.maturity.models import MODEL_TITLES

    wanted = set(criteria_statuses) if criteria_statuses is not None else None
    section = MaturitySection(assessed_at=assessment.time, short_names=dict(MODEL_TITLES))
    for model_id, score in assessment.models.items():
        section.levels.append(_level(model_id, score))
        # Criteria up to the next level: what holds the project where it is and what it
        # needs next; higher levels are counted, not listed.
        top = score.next_level if score.next_level is not None else score.level
        for r in score.results:
            if not r.criterion.scored:
                continue
            if (r.criterion.level or 0) > top:
                section.hidden_criteria += 1
                continue
            row = _criterion_row(model_id, score, r)
            if wanted is None or row.status in wanted:
                section.criteria.append(row)
        section.sources.extend(SourceRef(score.model.title, url) for url in score.model.sources)
    mlts = assessment.mlts
    if mlts is not None:
        section.levels.append(
            MaturityLevel(
                model_id="mlts",
                model_title="ML Test Score",
                level_label=f"{mlts.final:g} points",
                level=float(mlts.final),
                explanation=" ".join(mlts.reasons[-1:]),
            )
        )
        section.summary = f"ML Test Score {mlts.final:g}: {mlts.band.meaning}"
        from mlops_desktop.core.maturity.models import load_mlts

        section.sources.extend(SourceRef(load_mlts().title, url) for url in load_mlts().sources)
    section.gaps = _gaps(assessment)
    _add_crosswalk(section, assessment)
    section.sources = _unique_sources(section.sources)
    return section


def _add_crosswalk(section: MaturitySection, assessment: Assessment) -> None:
    cross = assessment.crosswalk
    section.crosswalk_models = [
        (m, section.model_title(m)) for m in catalogue().model_ids() if m in assessment.models
    ]
    values: list[tuple[str, float]] = []
    for cap, result in cross.capabilities:
        section.crosswalk.append(
            CrosswalkRow(
                capability=cap.capability,
                cells={"google": cap.google, "azure": cap.azure, "aws": cap.aws, "mlts": cap.mlts},
                level=float(cap.normalized_level) if cap.normalized_level is not None else None,
                status=STATUS_TEXT.get(result.status, result.status),
            )
        )
        values.append((cap.capability, cross.value(cap.id)))
    if len(values) >= 3:
        section.radar = Figure(
            f"Crosswalk capabilities held by the project (normalized level {cross.level} of 4)",
            svg=radar_svg(values),
            kind="radar",
            data=values,
        )


def _unique_sources(sources: Sequence[SourceRef]) -> list[SourceRef]:
    seen: dict[str, SourceRef] = {}
    for s in sources:
        seen.setdefault(s.url or s.title, s)
    return list(seen.values())


def from_service(service: Any, project: str) -> Any:
    """An assessment of ``project`` from an assessment service (duck-typed). Judging the
    project for a report stores nothing: only the Maturity view records assessments."""
    assess = getattr(service, "assess", None)
    if not callable(assess):
        return None
    try:
        return assess(project, save=False)
    except TypeError:
        return assess(project)
