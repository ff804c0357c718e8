"""The maturity bar for CI: ``google=1,azure=2,aws=repeatable,mlts=3`` read, checked against an
assessment (which criteria keep each model below the bar), and written as a JUnit report.

Used by ``mlops-desktop assess --fail-below ... [--format junit]``: a CI job fails when the
project or repository is below the bar, and its test view lists every criterion.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from mlops_desktop.core.errors import MlopsError
from mlops_desktop.core.maturity.scoring import SATISFIED, Assessment, CriterionResult

BAR_MODELS = ("google", "azure", "aws", "mlts")


class BarError(MlopsError):
    """The ``--fail-below`` text cannot be read."""


@dataclass(frozen=True, slots=True)
class Shortfall:
    """One model below its bar, with the criteria that keep it there."""

    model: str
    have: float
    want: float
    missing: tuple[CriterionResult, ...] = field(default=())

    def lines(self) -> list[str]:
        out = [f"{self.model}: {self.have:g} is below the bar {self.want:g}"]
        for r in self.missing:
            why = "; ".join(r.missing) or r.reason
            out.append(f"  {r.criterion.key}: {r.criterion.text[:80]} ({why[:160]})")
        return out


def parse_bar(text: str, assessment: Assessment) -> dict[str, float]:
    """``model=level`` pairs; a vendor level is a number or its name (``repeatable``)."""
    bar: dict[str, float] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        model, sep, value = part.partition("=")
        model, value = model.strip().lower(), value.strip()
        if not sep or not value:
            raise BarError(f"'{part}' is not model=level (e.g. google=1,aws=repeatable)")
        if model not in BAR_MODELS:
            raise BarError(f"unknown model '{model}' in the bar (use {', '.join(BAR_MODELS)})")
        try:
            bar[model] = float(value)
            continue
        except ValueError:
            pass
        if model == "mlts":
            raise BarError(f"the ML Test Score bar is a number, not '{value}'")
        levels = assessment.models[model].model.levels
        found = [lv.level for lv in levels if value.lower() in (lv.name.lower(), lv.short.lower())]
        if not found:
            names = ", ".join(lv.short.lower() for lv in levels)
            raise BarError(f"{model} has no level '{value}' (levels: {names})")
        bar[model] = float(found[0])
    if not bar:
        raise BarError("the bar is empty (e.g. --fail-below google=1,aws=repeatable)")
    return bar


def _vendor_missing(assessment: Assessment, model: str, want: float) -> list[CriterionResult]:
    score = assessment.models[model]
    out = []
    for r in score.results:
        c = r.criterion
        if not c.scored or c.level is None:
            continue
        if c.polarity == "+" and c.level <= want and not r.satisfied:
            out.append(r)
        elif c.polarity == "-" and c.level < want and r.status == "not_met":
            out.append(r)  # an immature trait that caps the level below the bar
    return out


def check_bar(assessment: Assessment, bar: dict[str, float]) -> list[Shortfall]:
    """The models below their bar (empty when the bar is met)."""
    out: list[Shortfall] = []
    for model, want in bar.items():
        if model == "mlts":
            have = assessment.mlts.final
            if have < want:
                low = {s for s, v in assessment.mlts.sections.items() if v < want}
                missing = tuple(
                    t.result
                    for t in assessment.mlts.tests
                    if t.points < 1.0 and t.test.section in low
                )
                out.append(Shortfall(model, have, want, missing))
            continue
        have = float(assessment.models[model].level)
        if have < want:
            out.append(
                Shortfall(model, have, want, tuple(_vendor_missing(assessment, model, want)))
            )
    return out


def junit_report(assessment: Assessment, bar: dict[str, float]) -> str:
    """Every judged criterion as a test case: passed when met, failed when it keeps the
    project below the bar, skipped when unmet but not needed for the bar."""
    below = {(s.model, r.criterion.key) for s in check_bar(assessment, bar) for r in s.missing}
    root = ET.Element("testsuites", name=f"MLOps maturity of {assessment.project}")
    suites: list[tuple[str, list[CriterionResult]]] = []
    for model, score in assessment.models.items():
        suites.append((model, [r for r in score.results if r.status != "info"]))
    suites.append(("mlts", [t.result for t in assessment.mlts.tests]))
    for model, results in suites:
        suite = ET.SubElement(root, "testsuite", name=f"maturity.{model}")
        if model in bar:
            have = assessment.mlts.final if model == "mlts" else assessment.models[model].level
            props = ET.SubElement(suite, "properties")
            ET.SubElement(props, "property", name="level", value=f"{have:g}")
            ET.SubElement(props, "property", name="bar", value=f"{bar[model]:g}")
        failures = skipped = 0
        for r in results:
            case = ET.SubElement(
                suite, "testcase", classname=f"maturity.{model}", name=r.criterion.key
            )
            why = "; ".join(r.missing) or r.reason
            ok = r.status in SATISFIED if r.criterion.polarity == "+" else r.status != "not_met"
            if ok:
                ev = "; ".join(e.label for e in r.evidence[:5])
                ET.SubElement(case, "system-out").text = f"{r.criterion.text}\nevidence: {ev}"
            elif (model, r.criterion.key) in below:
                failures += 1
                fail = ET.SubElement(case, "failure", message=why[:300])
                fail.text = (
                    f"{r.criterion.text}\nlooked for: {r.criterion.behaviour}\nnot found: {why}"
                )
            else:
                skipped += 1
                ET.SubElement(case, "skipped", message=f"not needed for the bar: {why}"[:300])
        suite.set("tests", str(len(results)))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.set("skipped", str(skipped))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode")
