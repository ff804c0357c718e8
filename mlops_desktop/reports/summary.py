"""The report's first pages, for a reader who stops there: what the pipeline does, its latest
results and their trend, the maturity levels with the three most valuable next steps, and
the risks. Everything is derived from the :class:`ReportData` the appendices show, so the
summary never says something the rest of the report does not back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mlops_desktop.reports.model import GapRow, ReportData, RunSummary

MAX_CHAIN = 14  # stage titles named in the pipeline sentence
NEXT_STEPS = 3
# Stage types whose absence is a risk a manager should hear about, with the risk in words.
SAFEGUARDS = (
    ("Validate data", "No stage validates the data before training: a broken feed trains a model."),
    ("Model gate", "No gate compares a new model with the one in production before release."),
    ("Monitor", "Nothing watches the model in production (no Monitor stage): drift goes unseen."),
)


@dataclass(slots=True)
class NextStep:
    model: str
    missing: str
    action: str


@dataclass(slots=True)
class ManagerSummary:
    purpose: list[str] = field(default_factory=list)
    results: list[str] = field(default_factory=list)
    next_steps: list[NextStep] = field(default_factory=list)
    risks: list[str] = field(default_factory=list)


def _number(value: float) -> str:
    return f"{value:.4g}"


def _headline(run: RunSummary, keys: list[str]) -> str:
    shown = [f"{k} {_number(run.metrics[k])}" for k in keys if k in run.metrics]
    return ", ".join(shown)


def _purpose(data: ReportData) -> list[str]:
    lines: list[str] = [data.project.description] if data.project.description else []
    pl = data.pipeline
    if pl is not None and pl.stages:
        titles = [s.title for s in pl.stages]
        chain = " → ".join(titles[:MAX_CHAIN])
        if len(titles) > MAX_CHAIN:
            chain += f" and {len(titles) - MAX_CHAIN} more"
        lines.append(f"The pipeline “{pl.name}” has {len(titles)} stages: {chain}.")
        lines.extend(pl.notes[:1])  # the first note: usually the use case
    return lines


def _results(data: ReportData, headline: list[str]) -> list[str]:
    run = data.latest_run
    if run is None:
        return ["The pipeline has not run yet: there are no results to report."]
    when = run.finished_at or run.started_at or run.created_at
    day = f" on {when:%d %b %Y}" if when else ""
    scores = _headline(run, headline)
    if run.status == "kept_out":  # the gate kept a weaker challenger out: say whose model stays
        why = run.message.removeprefix("kept out: ")
        lines = [f"The latest run{day} kept its model out of production: {why}."]
        if scores:
            lines.append(f"Its challenger scored {scores}.")
    else:
        lines = [f"The latest run{day} {run.status}" + (f": {scores}." if scores else ".")]
    recent = data.recent_runs.runs if data.recent_runs else []
    total = (data.recent_runs.total_runs if data.recent_runs else 0) or len(recent)
    if len(recent) > 1:
        ok = sum(1 for r in recent if r.status == "succeeded")
        kept = sum(1 for r in recent if r.status == "kept_out")
        held = f", {kept} kept a weaker model out" if kept else ""
        lines.append(
            f"{ok} of the last {len(recent)} runs succeeded{held} ({total} recorded in all)."
        )
    serving = dict(data.project.facts).get("Serving now")
    if serving:
        lines.append(f"Serving now: {serving}.")
    if data.loop is not None and data.loop.story:  # the loop in one sentence
        lines.append(data.loop.story[0])
    key = next((k for k in headline if sum(1 for r in recent if k in r.metrics) >= 2), None)
    if key is None:
        lines.append("One run with results so far: no trend yet.")
    else:
        values = [r.metrics[key] for r in reversed(recent) if key in r.metrics]  # oldest first
        change = values[-1] - values[0]
        direction = "up" if change > 0 else "down" if change < 0 else "unchanged"
        lines.append(
            f"Trend over {len(values)} runs: {key} {_number(values[0])} → {_number(values[-1])}"
            + (f" ({direction} {_number(abs(change))})." if change else " (unchanged).")
        )
    return lines


def _next_steps(data: ReportData) -> list[NextStep]:
    mat = data.maturity
    if mat is None:
        return []
    steps: list[NextStep] = []
    seen: set[str] = set()
    # One step per model first (the nearest level of each), then more of the same models.
    by_model: dict[str, list[GapRow]] = {}
    for gap in mat.gaps:
        by_model.setdefault(gap.model_id, []).append(gap)
    rounds = max((len(v) for v in by_model.values()), default=0)
    for i in range(rounds):
        for model_id, gaps in by_model.items():
            if i >= len(gaps) or len(steps) >= NEXT_STEPS:
                continue
            gap = gaps[i]
            key = (gap.action or gap.title).strip().lower()
            if key in seen:
                continue
            seen.add(key)
            action = (gap.action or gap.title).split("\n")[0]
            action = action.split(" In the repository")[0]  # the step itself; details in
            action = action.split(". ")[0].rstrip(".")  # the appendix
            steps.append(NextStep(mat.model_title(model_id), gap.title, action))
    return steps


def _risks(data: ReportData) -> list[str]:
    risks: list[str] = []
    run = data.latest_run
    if run is not None and run.status not in ("succeeded", "kept_out"):
        risks.append(f"The latest run {run.status}" + (f": {run.message}" if run.message else "."))
    recent = data.recent_runs.runs if data.recent_runs else []
    failed = [r for r in recent if r.status == "failed"]
    if failed and len(failed) < len(recent):
        risks.append(f"{len(failed)} of the last {len(recent)} runs failed.")
    types = {s.stage_type for s in data.pipeline.stages} if data.pipeline else set()
    if types:
        risks.extend(text for stage, text in SAFEGUARDS if stage not in types)
    if any(o.section == "Triggers" for o in data.omitted):
        risks.append(
            "Nothing starts the pipeline by itself: it runs only when someone presses Run."
        )
    return risks or ["No risk found in the recorded runs and the pipeline's safeguards."]


def manager_summary(data: ReportData, headline: list[str]) -> ManagerSummary:
    """The summary of ``data``; ``headline`` names the metrics worth quoting."""
    return ManagerSummary(
        purpose=_purpose(data),
        results=_results(data, headline),
        next_steps=_next_steps(data),
        risks=_risks(data),
    )
