"""Write docs/models/*.md, one page per maturity model, from the app's own data files.

    python docs/make_model_pages.py

The tables come from ``resources/maturity/*.json`` (the same files the assessment reads),
so the pages list exactly the criteria, checks and actions the app uses. The prose around
them (what the model is, how the app places you in it) lives in this script.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "resources" / "maturity"
OUT = ROOT / "docs" / "models"

DETECT = {
    "AUTO": "automatic",
    "PARTIAL": "heuristic (shown as *suggested*; confirm it)",
    "ASK": "questionnaire",
    "—": "not judged",
}

INTRO: dict[str, str] = {
    "google": """\
Google Cloud's architecture article *MLOps: Continuous delivery and automation pipelines in
machine learning* describes three levels. Google's rule: **the level is the degree of
automation of the data-science steps** — how quickly new models can be trained on new data
or on new ideas. Level 0 is a manual, notebook-driven process; level 1 automates the
training pipeline so the model retrains in production (continuous training); level 2 adds
CI/CD for the pipeline itself. Google's *Practitioners guide to MLOps* (2021) adds the
lifecycle of seven processes and the core technical capabilities that the app checks as
well (below, *lifecycle detail checks* and *core capabilities*: they are shown with the
assessment but do not move the level).""",
    "aws": """\
AWS's *MLOps foundation roadmap for enterprises with Amazon SageMaker* (AWS Machine
Learning Blog, 2022) describes four cumulative **phases**: Initial, Repeatable, Reliable and
Scalable. AWS numbers none of them; the app uses 1–4. The phases cover people, process and
technology; the criteria below keep the product-neutral part (a SageMaker Pipelines
criterion is met by any orchestrated pipeline, a Model Monitor criterion by a Monitor
stage). The lifecycle the AWS lens draws on the canvas comes from the Well-Architected
Machine Learning Lens; its components and loops are checked too (below, *lifecycle
components and loops*) without moving the phase.""",
    "azure": """\
Microsoft's *Machine learning operations maturity model* (Azure Architecture Center) has
five levels, 0–4, from *No MLOps* to *Full MLOps Automated Operations*. Each level has a
summary (highlights and technology) and a detail table with four columns — People, Model
creation, Model release and Application integration — whose cells change from level to
level. The app checks both: the summary items as criteria, the detail table as a matrix in
which every cell a level requires must hold. Items that name Azure products (Event Grid,
managed feature store, registries across workspaces) are shown but optional.""",
    "mlts": """\
*The ML Test Score: A Rubric for ML Production Readiness and Technical Debt Reduction*
(Breck, Cai, Nielsen, Salib, Sculley; IEEE Big Data 2017) lists 28 tests in four sections
of seven: Data, Model, Infrastructure and Monitoring. It is a score, not a ladder of levels:
each test earns **half a point** when it is run by hand with results written down and shared,
and **one point** when a system runs it automatically and repeatedly. A section's score is
the sum of its tests; **the final score is the lowest section score**, read against the
paper's bands.""",
}

HOW: dict[str, str] = {
    "vendor": """\
The assessment (**Maturity** panel, or `mlops-desktop assess PROJECT`) judges every
criterion below against evidence the app finds itself: the project's pipelines (stage
kinds, links, triggers), its run history (trigger, environment, commit, parameters,
metrics, executor), the model registry, deployments, monitoring alerts, imported CI test
reports and the attached git repository. What the app cannot see is asked in the
**Questionnaire** tab (or `mlops-desktop answer`). Each criterion has a polarity:

- **+** must hold to claim its level;
- **−** describes the immature state; while it is still true it caps you at its level.

Your level is **the highest level whose + criteria all hold, capped by any − criterion of a
lower level that still describes the project**. A heuristic (*PARTIAL*) result counts but
is flagged *suggested*; an unanswered question is *unknown* and does not count as met. The
**Gap** list names the missing criteria of the next level with the action that closes
each; where a pipeline change would help, *Apply to pipeline* makes it as one undo step.""",
    "mlts": """\
The app scores each test from evidence: a test is **automated** (1 point) when its check
holds and the evidence repeats in the run history (at least two runs); it is **manual**
(0.5 point) when you answer its question *yes* with a link to the document that shows the
results (`mlops-desktop answer PROJECT QUESTION yes --doc URL`, or the Questionnaire tab).""",
}

SIGNALS = """\
## Reading the checks

A check is a small expression over signals: `&` (and), `|` (or), `!` (not), parentheses.
Inside a signal `a/b` means *a or b* and `a>b` a path in the pipeline graph.

| signal | holds when |
|---|---|
| `node:KIND` | a pipeline has a stage of this kind (e.g. `data_validate`, `model_validate`, `monitor`) |
| `edge:A>B` | a path in the graph leads from a stage of kind A to one of kind B |
| `loop:monitor>train` | a monitor alert is wired to a trigger of the training pipeline |
| `trigger:TYPE` | a pipeline has a trigger of this type (`schedule`, `data_arrival`, `code_commit`, `monitor_alert`, `registry_event`) |
| `run.*` | the run history shows it: `run.trigger`, `run.env`, `run.commit`, `run.params`, `run.metrics`, `run.executor`, `run.ct` (continuous training), `run.symmetry` (one pipeline version in several environments), `run.reproducible`, `run.baseline`, `run.slices`, `run.importance`, `run.fairness` |
| `model.version`, `lineage` | the registry has versions; deployment → model → run → dataset links exist |
| `deploy.*` | deployments: environment, strategy (canary, shadow, A/B), approver (a person or automation), order of environments, rate per year |
| `mon.*` | monitoring: drift or quality metrics, alerts raised |
| `ci.*` | imported CI test reports (JUnit XML, `mlops-desktop evidence import`): unit, integration, load |
| `repo` | a git repository is attached (`mlops-desktop evidence repo`) |
| `ask:QUESTION` | your answer in the questionnaire |
"""


def cell(text: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text if text not in (None, "") else "—").replace("|", "\\|").replace("\n", " ")


def code(text: Any) -> str:
    return f"`{cell(text)}`" if text else "—"


def sources(model: dict[str, Any], section: str) -> str:
    lines = ["## Sources", ""]
    for url in model.get("sources", [model.get("source")]):
        lines.append(f"- <{url}>")
    if model.get("inspiration"):
        lines.append(
            f"- Overview of the vendors' models: S. C. Gupta, *MLOps — the dust has not settled "
            f"yet*, <{model['inspiration']}>"
        )
    lines.append(
        "- The criteria, with ids, evidence and signals: the data file "
        f"`resources/maturity/{model['id']}.json` (each criterion links its own source)."
    )
    lines.append(
        "- *src V* in the data means checked against the source text; *M* a paraphrase that "
        "was not checked word for word."
    )
    return "\n".join(lines)


def criteria_table(rows: list[dict[str, Any]], level_names: dict[Any, str]) -> list[str]:
    out = [
        "| id | level | pol. | criterion | detected | check | what to do |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in rows:
        text = cell(c["text"])
        if c.get("optional") or "optional" in str(c.get("note", "")):
            text += " *(optional)*"
        out.append(
            f"| `{c['id']}` | {cell(level_names.get(c.get('level'), c.get('level')))} "
            f"| {cell(c.get('polarity'))} | {text} | {DETECT.get(c.get('detect'), c.get('detect'))} "
            f"| {code(c.get('check'))} | {cell(c.get('action'))} |"
        )
    return out


def levels_table(model: dict[str, Any]) -> list[str]:
    out = ["| level | name | in short |", "|---|---|---|"]
    for lv in model["levels"]:
        out.append(f"| {lv['level']} | {cell(lv['name'])} | {cell(lv['summary'])} |")
    return out


def by_key(rows: list[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(str(row.get(key) or "Other"), []).append(row)
    return groups


def vendor_page(model: dict[str, Any], section: str) -> str:
    names = {lv["level"]: lv["short"] for lv in model["levels"]}
    lines = [f"# {model['title']}", "", INTRO[model["id"]], "", "## Levels", ""]
    lines += levels_table(model)
    lines += ["", f"**Rule used by the app:** {model['rule']}", "", "## How the app places you", ""]
    lines += [HOW["vendor"], ""]
    crit = model["criteria"]
    lines += [f"## Criteria ({len(crit)})", ""]
    for group, rows in by_key(crit, "section").items():
        lines += [f"### {group}", ""] + criteria_table(rows, names) + [""]
    if model.get("matrix"):
        lines += matrix_section(model)
    if model.get("checks"):
        lines += [
            f"## Checks shown with the assessment ({len(model['checks'])})",
            "",
            "These do not move the level: they show how much of the vendor's lifecycle the "
            "project covers.",
            "",
        ]
        for group, rows in by_key(model["checks"], "group").items():
            lines += [f"### {group}", ""] + criteria_table(rows, names) + [""]
    lines += [SIGNALS, sources(model, section), ""]
    return "\n".join(lines)


def matrix_section(model: dict[str, Any]) -> list[str]:
    levels = [str(lv["level"]) for lv in model["levels"]]
    lines = [
        f"## Detail matrix ({len(model['matrix'])} rows)",
        "",
        "The value of each row at each level, as Microsoft's detail tables give it. A level "
        "is reached when the checks of every row up to that level hold (the *steps* column "
        "says which check a row needs from which level on).",
        "",
        "| id | column | " + " | ".join(f"L{lv}" for lv in levels) + " | detected | steps |",
        "|---|---|" + "---|" * len(levels) + "---|---|",
    ]
    for row in model["matrix"]:
        cells = " | ".join(cell(row["cells"].get(lv)) for lv in levels)
        steps = "; ".join(f"L{s['level']}: `{cell(s['check'])}`" for s in row.get("steps", []))
        lines.append(
            f"| `{row['id']}` | {cell(row['column'])} | {cells} "
            f"| {DETECT.get(row.get('detect'), row.get('detect'))} | {steps or '—'} |"
        )
    return [*lines, ""]


def mlts_page(model: dict[str, Any]) -> str:
    scoring = model["scoring"]
    lines = [f"# {model['title']}", "", INTRO["mlts"], "", "## Scoring", ""]
    lines += [f"**Rule of the paper:** {scoring['rule']}", ""]
    lines += [
        f"- *Automated* means: {scoring['automated_means']} (at least {scoring['repeat_min']} "
        "runs).",
        f"- *Manual* means: {scoring['manual_means']}.",
        "",
        HOW["mlts"],
        "",
        "## Bands",
        "",
        "| final score | meaning |",
        "|---|---|",
    ]
    for band in model["bands"]:
        lines.append(f"| {cell(band['score'])} | {cell(band['meaning'])} |")
    lines += ["", f"## The {len(model['tests'])} tests", ""]
    for section, rows in by_key(model["tests"], "section").items():
        lines += [
            f"### {section}",
            "",
            "| # | test | automated when | detected | manual (0.5) question | what to do |",
            "|---|---|---|---|---|---|",
        ]
        for t in rows:
            lines.append(
                f"| {t.get('number', '')} | {cell(t['text'])} | {code(t.get('check'))} "
                f"| {DETECT.get(t.get('detect'), t.get('detect'))} "
                f"| {code(t.get('question') or scoring.get('manual_question'))} "
                f"| {cell(t.get('action'))} |"
            )
        lines.append("")
    lines += [SIGNALS, sources(model, "§4"), ""]
    return "\n".join(lines)


PAGES = {
    "google": ("google.md", "§2.1 (levels) and §1.1 (lifecycle, capabilities)"),
    "aws": ("aws.md", "§2.3 (phases) and §1.2 (lifecycle)"),
    "azure": ("azure.md", "§2.2 (summary and detail tables)"),
    "mlts": ("ml-test-score.md", "§4"),
}


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for model_id, (filename, section) in PAGES.items():
        model = json.loads((DATA / f"{model_id}.json").read_text(encoding="utf-8"))
        text = mlts_page(model) if model_id == "mlts" else vendor_page(model, section)
        (OUT / filename).write_text(text, encoding="utf-8")
        print(f"wrote {OUT / filename} ({len(text.splitlines())} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
