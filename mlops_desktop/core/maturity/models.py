"""The maturity models of ``resources/maturity/*.json`` loaded into dataclasses.

Ids are the reference's (shared/reference/maturity-models.md); each criterion carries its
level, polarity, the evidence rule (``check``, see :mod:`.rules`), how it is detected
(AUTO, PARTIAL, ASK) and the source URL it comes from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from mlops_desktop.core.resources import load_json
from mlops_desktop.core.vendors import catalogue

VENDOR_MODELS = catalogue().model_ids()  # ("google", "azure", "aws")
ALL_MODELS = (*VENDOR_MODELS, "mlts")
MODEL_TITLES = {**catalogue().makers(), "mlts": "ML Test Score"}  # "azure" -> "Microsoft"


@dataclass(frozen=True, slots=True)
class Level:
    level: int
    name: str
    short: str
    summary: str


@dataclass(frozen=True, slots=True)
class Criterion:
    """One checkable item of a model. ``key`` is unique in the model (matrix cells add ``@L``)."""

    key: str
    id: str
    model: str
    level: int | None
    polarity: str  # "+" must hold to claim the level; "-" describes the immature state
    section: str
    text: str
    evidence: str
    detect: str  # AUTO | PARTIAL | ASK | INFO
    signal: str
    check: str
    action: str
    url: str
    src: str = "V"
    fix: str = ""
    question: str = ""
    optional: bool = False
    note: str = ""
    behaviour: str = ""  # the observed behaviour that meets the check, in words

    @property
    def scored(self) -> bool:
        return self.level is not None and self.detect != "INFO" and not self.optional


@dataclass(frozen=True, slots=True)
class MaturityModel:
    id: str
    vendor: str
    title: str
    source: str
    sources: tuple[str, ...]
    rule: str
    levels: tuple[Level, ...]
    criteria: tuple[Criterion, ...]
    checks: tuple[Criterion, ...] = ()  # lifecycle checks and capabilities: shown, not scored

    def level_info(self, level: int) -> Level:
        return next(lv for lv in self.levels if lv.level == level)

    @property
    def floor(self) -> int:
        return self.levels[0].level

    @property
    def top(self) -> int:
        return self.levels[-1].level


@dataclass(frozen=True, slots=True)
class Band:
    id: str
    score: str
    lo_exclusive: float | None
    hi_inclusive: float | None
    meaning: str

    def contains(self, value: float) -> bool:
        if self.lo_exclusive is not None and not value > self.lo_exclusive:
            return False
        if self.hi_inclusive is not None and not value <= self.hi_inclusive:
            return False
        return True


@dataclass(frozen=True, slots=True)
class MltsModel:
    id: str
    title: str
    source: str
    sources: tuple[str, ...]
    sections: tuple[str, ...]
    tests: tuple[Criterion, ...]
    bands: tuple[Band, ...]
    manual_points: float
    automated_points: float
    repeat_min: int
    manual_question: str
    rule: str

    def band(self, score: float) -> Band:
        return next(b for b in self.bands if b.contains(score))


@dataclass(frozen=True, slots=True)
class Capability:
    id: str
    capability: str
    google: str
    azure: str
    aws: str
    mlts: str
    normalized_level: int | None
    criterion: Criterion


@dataclass(frozen=True, slots=True)
class Crosswalk:
    note: str
    normalized_levels: tuple[dict[str, str], ...]
    vendor_ranges: dict[str, dict[int, tuple[int, int]]]
    capabilities: tuple[Capability, ...]
    stages: tuple[dict[str, str], ...]


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    question: str
    group: str
    help: str
    feeds: tuple[str, ...] = ()
    per_test: bool = False


@dataclass(frozen=True, slots=True)
class Questionnaire:
    values: tuple[str, ...]
    groups: tuple[str, ...]
    confirm_help: str
    questions: tuple[Question, ...] = field(default_factory=tuple)

    def get(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)


def _criterion(
    raw: dict[str, Any],
    model: str,
    *,
    level: int | None,
    key: str = "",
    section: str = "",
    polarity: str = "+",
) -> Criterion:
    return Criterion(
        key=key or raw["id"],
        id=raw["id"],
        model=model,
        level=level,
        polarity=raw.get("polarity", polarity),
        section=section or raw.get("section", raw.get("group", "")),
        text=raw.get("text", ""),
        evidence=raw.get("evidence", ""),
        detect=raw.get("detect", "AUTO"),
        signal=raw.get("signal", ""),
        check=raw.get("check", ""),
        action=raw.get("action", ""),
        url=raw.get("url", ""),
        src=raw.get("src", "V"),
        fix=raw.get("fix", ""),
        question=raw.get("question", ""),
        optional=bool(raw.get("optional", False)),
        note=raw.get("note", ""),
        behaviour=raw.get("behaviour", ""),
    )


def _question_of(detect: str, key: str, check: str) -> str:
    if detect == "PARTIAL":
        return f"confirm:{key}"
    if detect == "ASK":
        match = re.search(r"ask:([\w.:]+)", check)
        return match.group(1) if match else key
    return ""


def _matrix_criteria(row: dict[str, Any], model: str) -> list[Criterion]:
    out = []
    for step in row["steps"]:
        lv = int(step["level"])
        key = f"{row['id']}@L{lv}"
        detect = step.get("detect", row["detect"])
        out.append(
            Criterion(
                key=key,
                id=row["id"],
                model=model,
                level=lv,
                polarity="+",
                section=f"Detail matrix: {row['column']}",
                text=f"{row['column']} at level {lv}: {row['cells'][str(lv)]}",
                evidence=row["cells"][str(lv)],
                detect=detect,
                signal=row.get("signal", ""),
                check=step["check"],
                action=row.get("action", ""),
                url=row.get("url", ""),
                src=row.get("src", "V"),
                fix=row.get("fix", ""),
                question=_question_of(detect, key, step["check"]),
                behaviour=step.get("behaviour", ""),
            )
        )
    return out


@cache
def load_model(model_id: str) -> MaturityModel:
    """One vendor maturity model: ``google``, ``azure`` or ``aws``."""
    raw = load_json("maturity", f"{model_id}.json")
    criteria = [_criterion(c, model_id, level=int(c["level"])) for c in raw["criteria"]]
    for row in raw.get("matrix", []):
        criteria += _matrix_criteria(row, model_id)
    checks = [_criterion(c, model_id, level=None) for c in raw.get("checks", [])]
    return MaturityModel(
        id=raw["id"],
        vendor=raw["vendor"],
        title=raw["title"],
        source=raw["source"],
        sources=tuple(raw.get("sources", [raw["source"]])),
        rule=raw.get("rule", ""),
        levels=tuple(
            Level(int(lv["level"]), lv["name"], lv["short"], lv["summary"]) for lv in raw["levels"]
        ),
        criteria=tuple(criteria),
        checks=tuple(checks),
    )


@cache
def load_mlts() -> MltsModel:
    raw = load_json("maturity", "mlts.json")
    sc = raw["scoring"]
    tests = tuple(_criterion(t, "mlts", level=None, section=t["section"]) for t in raw["tests"])
    bands = tuple(
        Band(b["id"], b["score"], b["lo_exclusive"], b["hi_inclusive"], b["meaning"])
        for b in raw["bands"]
    )
    return MltsModel(
        id="mlts",
        title=raw["title"],
        source=raw["source"],
        sources=tuple(raw["sources"]),
        sections=tuple(raw["sections"]),
        tests=tests,
        bands=bands,
        manual_points=float(sc["manual"]),
        automated_points=float(sc["automated"]),
        repeat_min=int(sc.get("repeat_min", 2)),
        manual_question=sc["manual_question"],
        rule=sc["rule"],
    )


@cache
def load_crosswalk() -> Crosswalk:
    raw = load_json("maturity", "crosswalk.json")
    caps = []
    for c in raw["capabilities"]:
        crit = _criterion(
            {**c, "text": c["capability"], "evidence": c.get("signal", "")},
            "crosswalk",
            level=c["normalized_level"],
            section="Not on the normalized scale (shown only)",
        )
        caps.append(
            Capability(
                c["id"],
                c["capability"],
                c["google"],
                c["azure"],
                c["aws"],
                c["mlts"],
                c["normalized_level"],
                crit,
            )
        )
    ranges = {
        model: {int(k): (int(v[0]), int(v[1])) for k, v in levels.items()}
        for model, levels in raw["vendor_ranges"].items()
    }
    return Crosswalk(
        raw["note"], tuple(raw["normalized_levels"]), ranges, tuple(caps), tuple(raw["stages"])
    )


@cache
def load_questionnaire() -> Questionnaire:
    raw = load_json("maturity", "questionnaire.json")
    qs = tuple(
        Question(
            q["id"],
            q["question"],
            q["group"],
            q["help"],
            tuple(q.get("feeds", [])),
            bool(q.get("per_test")),
        )
        for q in raw["questions"]
    )
    return Questionnaire(tuple(raw["values"]), tuple(raw["groups"]), raw["confirm_help"], qs)


def all_criteria() -> list[Criterion]:
    """Every criterion, check, ML Test Score test and crosswalk capability."""
    out: list[Criterion] = []
    for m in VENDOR_MODELS:
        model = load_model(m)
        out += [*model.criteria, *model.checks]
    out += list(load_mlts().tests)
    out += [c.criterion for c in load_crosswalk().capabilities]
    return out
