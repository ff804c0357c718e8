"""Scores that explain themselves: the level in each vendor model, the ML Test Score and
the normalized 0-4 crosswalk level, computed from a :class:`ProjectFacts` snapshot.

Vendor level: the highest level whose required (+) criteria all hold (suggested PARTIAL
results count, flagged), capped by any (−) criterion that still describes the project.
ML Test Score: 1 point per automated test (rule holds and the evidence repeated in
history), 0.5 per manual test (answered yes with a linked document), section sums, final
= the lowest section, then the 2017 band.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mlops_desktop.core.maturity.facts import Answer, ProjectFacts
from mlops_desktop.core.maturity.models import (
    VENDOR_MODELS,
    Band,
    Capability,
    Criterion,
    MaturityModel,
    load_crosswalk,
    load_mlts,
    load_model,
)
from mlops_desktop.core.maturity.rules import Evaluator, EvidenceRef

MET, NOT_MET, UNKNOWN, SUGGESTED, INFO = "met", "not_met", "unknown", "suggested", "info"
SATISFIED = (MET, SUGGESTED)


@dataclass(frozen=True, slots=True)
class CriterionResult:
    """A criterion judged against the facts.

    ``holds`` says whether the criterion's statement is true of the project (for a −
    criterion: whether the immature state is still there). ``status`` says whether it
    counts toward maturity: met, not_met, unknown, suggested (a PARTIAL heuristic that a
    person should confirm) or info.
    """

    criterion: Criterion
    status: str
    holds: bool | None
    evidence: tuple[EvidenceRef, ...] = ()
    missing: tuple[str, ...] = ()
    observed_at: datetime | None = None
    confirmed: bool = False
    reason: str = ""

    @property
    def satisfied(self) -> bool:
        return self.status in SATISFIED

    def to_dict(self) -> dict[str, Any]:
        c = self.criterion
        return {
            "id": c.id,
            "key": c.key,
            "level": c.level,
            "polarity": c.polarity,
            "text": c.text,
            "detect": c.detect,
            "status": self.status,
            "holds": self.holds,
            "confirmed": self.confirmed,
            "optional": c.optional,
            "evidence": [e.to_dict() for e in self.evidence],
            "missing": list(self.missing),
            "reason": self.reason,
            "behaviour": c.behaviour,
            "url": c.url,
            "observed_at": self.observed_at.isoformat() if self.observed_at else None,
        }


def evaluate_criterion(criterion: Criterion, ev: Evaluator) -> CriterionResult:
    if criterion.detect == "INFO" or not criterion.check:
        return CriterionResult(criterion, INFO, None, reason="informational; not judged")
    out = ev.evaluate(criterion.check)
    holds, confirmed, suggested = out.value, False, False
    answer = ev.facts.answers.get(criterion.question) if criterion.question else None
    if criterion.detect == "PARTIAL":
        if answer is not None and answer.value in ("yes", "no"):
            holds, confirmed = answer.value == "yes", True
        elif holds is not None:
            suggested = True
    if holds is None:
        satisfied = None
    else:
        satisfied = holds if criterion.polarity == "+" else not holds
    if satisfied is None:
        status = UNKNOWN
    elif satisfied:
        status = SUGGESTED if suggested else MET
    else:
        status = NOT_MET
    reason = _reason(criterion, status, out.missing, confirmed, answer)
    evidence = out.evidence
    if confirmed and answer is not None:
        evidence = (
            EvidenceRef(
                "answer",
                criterion.question,
                f"confirmed: {answer.value}" + (f" ({answer.document})" if answer.document else ""),
                "",
                answer.answered_at,
            ),
            *evidence,
        )
    return CriterionResult(
        criterion, status, holds, evidence, out.missing, out.observed_at, confirmed, reason
    )


def _reason(
    c: Criterion, status: str, missing: tuple[str, ...], confirmed: bool, answer: Answer | None
) -> str:
    if confirmed and answer is not None:
        return f"answered {answer.value} to {c.question}"
    if status == UNKNOWN:
        return "; ".join(missing) or "not enough facts"
    if c.polarity == "-":
        if status == NOT_MET:
            return "still true: " + ("; ".join(missing) or "the immature state holds")
        return "no longer true" + (" (suggested, please confirm)" if status == SUGGESTED else "")
    if status == NOT_MET:
        return "; ".join(missing) or "rule does not hold"
    return "rule holds" + (" (suggested, please confirm)" if status == SUGGESTED else "")


# ----------------------------------------------------------------------------- vendor models
@dataclass(frozen=True, slots=True)
class ModelScore:
    model: MaturityModel
    level: int
    results: tuple[CriterionResult, ...]
    checks: tuple[CriterionResult, ...]
    reasons: tuple[str, ...]
    normalized: int = 0
    normalized_range: tuple[int, int] = (0, 4)

    @property
    def level_name(self) -> str:
        return self.model.level_info(self.level).name

    @property
    def next_level(self) -> int | None:
        return self.level + 1 if self.level < self.model.top else None

    def result(self, key: str) -> CriterionResult:
        return next(r for r in self.results if r.criterion.key == key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model.id,
            "title": self.model.title,
            "source": self.model.source,
            "level": self.level,
            "level_name": self.level_name,
            "normalized": self.normalized,
            "normalized_range": list(self.normalized_range),
            "reasons": list(self.reasons),
            "criteria": [r.to_dict() for r in self.results],
            "checks": [r.to_dict() for r in self.checks],
        }


def _ids(results: list[CriterionResult], limit: int = 6) -> str:
    keys = [r.criterion.key for r in results]
    return ", ".join(keys[:limit]) + (f" and {len(keys) - limit} more" if len(keys) > limit else "")


def score_model(model: MaturityModel, ev: Evaluator) -> ModelScore:
    results = [evaluate_criterion(c, ev) for c in model.criteria]
    checks = [evaluate_criterion(c, ev) for c in model.checks]
    level = model.floor
    reasons = [f"{model.level_info(model.floor).name} is where every project starts."]
    for info in model.levels[1:]:
        required = [
            r
            for r in results
            if r.criterion.level == info.level
            and r.criterion.polarity == "+"
            and r.criterion.scored
        ]
        failing = [r for r in required if not r.satisfied]
        if failing:
            unknown = [r for r in failing if r.status == UNKNOWN]
            msg = f"{info.name} not reached: {len(failing)} of {len(required)} required criteria not met ({_ids(failing)})"
            if unknown:
                msg += f"; {len(unknown)} of them need an answer"
            reasons.append(msg + ".")
            break
        suggested = [r for r in required if r.status == SUGGESTED]
        msg = f"{info.name}: all {len(required)} required criteria hold"
        if suggested:
            msg += f" ({len(suggested)} suggested, please confirm: {_ids(suggested)})"
        reasons.append(msg + ".")
        level = info.level
    caps = [
        r
        for r in results
        if r.criterion.polarity == "-" and r.criterion.scored and r.status == NOT_MET
    ]
    for cap in sorted(caps, key=lambda r: r.criterion.level or 0):
        lv = cap.criterion.level or 0
        if lv < level:
            reasons.append(
                f"Capped at {model.level_info(lv).name}: {cap.criterion.key} still true "
                f"({cap.reason.removeprefix('still true: ')})."
            )
            level = lv
    latent = [r for r in caps if (r.criterion.level or 0) >= level]
    if latent:
        reasons.append(
            f"Still true, and would cap the level once the levels above are reached: {_ids(latent)}."
        )
    if not caps:
        reasons.append("No immature (−) characteristic still holds.")
    return ModelScore(model, level, tuple(results), tuple(checks), tuple(reasons))


# ----------------------------------------------------------------------------- ML Test Score
@dataclass(frozen=True, slots=True)
class MltsTestResult:
    result: CriterionResult
    points: float
    mode: str  # automated | manual | none
    reason: str

    @property
    def test(self) -> Criterion:
        return self.result.criterion

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.result.to_dict(),
            "section": self.test.section,
            "points": self.points,
            "mode": self.mode,
            "score_reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class MltsScore:
    tests: tuple[MltsTestResult, ...]
    sections: dict[str, float]
    final: float
    band: Band
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "final": self.final,
            "band": self.band.id,
            "band_meaning": self.band.meaning,
            "sections": dict(self.sections),
            "reasons": list(self.reasons),
            "tests": [t.to_dict() for t in self.tests],
        }


def _repeats(result: CriterionResult, facts: ProjectFacts) -> tuple[int, str]:
    """How often the evidence of an automated test was seen in history, and as what."""
    counts: dict[str, int] = {}
    nodes = {(e.pipeline, e.ref) for e in result.evidence if e.kind == "node"}
    if nodes:
        counts["runs of its stage"] = sum(
            1 for r in facts.runs if any(p == r.pipeline_name and r.ran(n) for p, n in nodes)
        )
    for kind, label in (
        ("ci", "CI imports"),
        ("run", "runs"),
        ("deployment", "deployments"),
        ("model_version", "model versions"),
        ("alert", "alerts"),
    ):
        n = len({e.ref for e in result.evidence if e.kind == kind})
        if n:
            counts[label] = n
    if not counts:
        return 0, "no repeated evidence"
    label = max(counts, key=lambda k: counts[k])
    return counts[label], label


def score_mlts(ev: Evaluator) -> MltsScore:
    mlts = load_mlts()
    facts = ev.facts
    tests = []
    for test in mlts.tests:
        res = evaluate_criterion(test, ev)
        points, mode = 0.0, "none"
        if res.satisfied and test.detect != "ASK":
            n, what = _repeats(res, facts)
            if n >= mlts.repeat_min:
                points, mode = mlts.automated_points, "automated"
                reason = f"automated: {n} {what}"
            else:
                reason = f"rule holds but seen {n} time(s) ({what}); {mlts.repeat_min} needed for 'repeatedly'"
        else:
            reason = res.reason
        if mode == "none":
            manual = _manual_answer(test, facts, mlts.manual_question)
            if manual is not None:
                if manual.document:
                    points, mode = mlts.manual_points, "manual"
                    reason = f"manual: run by hand, documented at {manual.document}"
                else:
                    reason = "answered yes but no document is linked; link it to earn 0.5"
        tests.append(MltsTestResult(res, points, mode, reason))
    sections = {s: sum(t.points for t in tests if t.test.section == s) for s in mlts.sections}
    final = min(sections.values())
    band = mlts.band(final)
    weakest = [s for s, v in sections.items() if v == final]
    reasons = [f"{s}: {v:g} of 7" for s, v in sections.items()]
    reasons.append(
        f"Final score = lowest section ({', '.join(weakest)}) = {final:g}: {band.meaning}."
    )
    return MltsScore(tuple(tests), sections, final, band, tuple(reasons))


def _manual_answer(test: Criterion, facts: ProjectFacts, manual_question: str) -> Answer | None:
    for qid in (f"{manual_question}:{test.id}", test.question if test.detect == "ASK" else ""):
        answer = facts.answers.get(qid) if qid else None
        if answer is not None and answer.value == "yes":
            return answer
    return None


# ----------------------------------------------------------------------------- crosswalk
@dataclass(frozen=True, slots=True)
class CrosswalkScore:
    capabilities: tuple[tuple[Capability, CriterionResult], ...]
    level: int
    reasons: tuple[str, ...]

    def value(self, cap_id: str) -> float:
        """1 met, 0.5 suggested, 0 otherwise (for the radar)."""
        res = next(r for c, r in self.capabilities if c.id == cap_id)
        return {MET: 1.0, SUGGESTED: 0.5}.get(res.status, 0.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "reasons": list(self.reasons),
            "capabilities": [
                {
                    **r.to_dict(),
                    "capability": c.capability,
                    "normalized_level": c.normalized_level,
                    "value": self.value(c.id),
                }
                for c, r in self.capabilities
            ],
        }


def score_crosswalk(ev: Evaluator) -> CrosswalkScore:
    cw = load_crosswalk()
    pairs = tuple((c, evaluate_criterion(c.criterion, ev)) for c in cw.capabilities)
    level, reasons = 0, []
    for n in (1, 2, 3, 4):
        needed = [(c, r) for c, r in pairs if c.normalized_level == n]
        missing = [c.id for c, r in needed if not r.satisfied]
        if missing:
            reasons.append(f"Normalized level {n} not reached: missing {', '.join(missing)}.")
            break
        level = n
        reasons.append(f"Normalized level {n}: {', '.join(c.id for c, _ in needed)} hold.")
    return CrosswalkScore(pairs, level, tuple(reasons))


# ----------------------------------------------------------------------------- assessment
@dataclass(frozen=True, slots=True)
class Assessment:
    project: str
    time: datetime
    models: dict[str, ModelScore]
    mlts: MltsScore
    crosswalk: CrosswalkScore
    facts_summary: dict[str, Any] = field(default_factory=dict)
    # imported cloud definitions (pipeline, source, vendor, format) and the stage count of
    # the project's own pipelines: a gap in a project with only the former is a change to
    # the definition, not a pipeline fix here
    definitions: tuple[dict[str, str], ...] = ()
    native_stages: int = 0

    def level(self, model_id: str) -> float:
        if model_id == "mlts":
            return self.mlts.final
        if model_id == "crosswalk":
            return float(self.crosswalk.level)
        return float(self.models[model_id].level)

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "time": self.time.isoformat(),
            "facts": self.facts_summary,
            "models": {k: v.to_dict() for k, v in self.models.items()},
            "mlts": self.mlts.to_dict(),
            "crosswalk": self.crosswalk.to_dict(),
            "definitions": [dict(d) for d in self.definitions],
        }


def assess(facts: ProjectFacts, models: tuple[str, ...] = VENDOR_MODELS) -> Assessment:
    """Judge ``facts`` in every model. Pure: the same facts give the same assessment."""
    ev = Evaluator(facts)
    cross = score_crosswalk(ev)
    ranges = load_crosswalk().vendor_ranges
    scores = {}
    for model_id in models:
        sc = score_model(load_model(model_id), ev)
        lo, hi = ranges[model_id][sc.level]
        normalized = min(max(cross.level, lo), hi)
        why = (
            f"Normalized {normalized}: {sc.level_name} spans {lo}-{hi} on the 0-4 scale; "
            f"the crosswalk capabilities place the project at {cross.level}."
        )
        scores[model_id] = ModelScore(
            sc.model, sc.level, sc.results, sc.checks, (*sc.reasons, why), normalized, (lo, hi)
        )
    definitions = tuple(
        {
            "pipeline": pf.name,
            "source": str(ext.get("source") or pf.name),
            "vendor": str(ext.get("vendor") or ""),
            "format": str(ext.get("format_title") or ext.get("format") or ""),
            # what it declares: the lifecycle kinds of its steps, and its schedules
            "kinds": ",".join(sorted({ev.kind_of(pf, n) for n in pf.pipeline.nodes} - {""})),
            "schedules": str(len(ext.get("schedules") or [])),
        }
        for pf in facts.pipelines
        if isinstance(ext := pf.pipeline.meta.get("external"), dict)
    )
    native = sum(
        len(pf.pipeline.nodes)
        for pf in facts.pipelines
        if not isinstance(pf.pipeline.meta.get("external"), dict)
    )
    return Assessment(
        facts.project,
        facts.now,
        scores,
        score_mlts(ev),
        cross,
        facts.summary(),
        definitions,
        native,
    )
