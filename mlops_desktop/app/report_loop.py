"""The continuous-training loop's story for the report, read from what was recorded.

Which run was gated against which champion (and the scores on the same rows), which
challengers were kept out, the alerts Monitor raised and the retraining each started (or
why none ran), what a retraining learned from production, and what became of each canary
(promoted to primary, rolled back, still serving its share). Nothing here runs anything.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mlops_desktop.app.history_reads import HistoryReads
from mlops_desktop.core.entities import Run, RunStatus
from mlops_desktop.reports.model import LoopSection, LoopStep

MAX_STEPS = 24
GATE_KEYS = ("gate_passed", "gate_champion_compared", "gate_champion_version", "feedback_rows")


def _first_metric(metrics: dict[str, float]) -> str:
    """The first metric the gate compared with the champion (``accuracy``), or ""."""
    for key in sorted(metrics):
        if key.startswith("gate_champion_") and key not in GATE_KEYS:
            name = key.removeprefix("gate_champion_")
            if name not in ("compared", "version") and name in metrics:
                return name
    return ""


def _versus(metrics: dict[str, float]) -> str:
    name = _first_metric(metrics)
    if not name:
        return ""
    return f"{name} {metrics[name]:.4f} vs champion {metrics['gate_champion_' + name]:.4f}"


def _at(moment: datetime | None) -> float:
    if moment is None:
        return 0.0
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def loop_section(
    ws: Any, project_id: int, registry: Any, reads: HistoryReads | None = None
) -> LoopSection | None:
    """The loop's story for ``project_id``, or None when the project has no loop to tell
    (``reads``: the history as the report already read it)."""
    reads = reads if reads is not None else HistoryReads(ws)
    runs: list[Run] = list(reads.runs(project_id))
    numbers = ws.runs.numbers(project_id)
    metrics = reads.latest(project_id)  # gate_champion_<metric> names vary
    steps: list[LoopStep] = []
    gated = kept = 0
    kept_latest = ""
    learned = 0
    for run in runs:
        m = metrics.get(run.id, {})
        number = numbers.get(run.id)
        if "gate_passed" in m and m.get("gate_champion_compared") == 1.0:
            gated += 1
            champion = int(m.get("gate_champion_version", 0))
            if run.status is RunStatus.KEPT_OUT or m["gate_passed"] == 0.0:
                kept += 1
                why = run.message.removeprefix("kept out: ") or f"champion v{champion} stays"
                kept_latest = kept_latest or f"run #{number}: {why}"
                steps.append(LoopStep(run.started_at, "kept out", number, why))
            else:
                versus = _versus(m)
                steps.append(
                    LoopStep(
                        run.started_at,
                        "gate passed",
                        number,
                        f"beat champion v{champion}" + (f" ({versus})" if versus else ""),
                    )
                )
        if run.trigger == "monitor_alert":
            rows = int(m.get("feedback_rows", 0))
            learned += rows
            detail = f"{run.status.label}" + (
                f", learned from {rows:,} labelled production rows" if rows else ""
            )
            steps.append(LoopStep(run.started_at, "retraining", number, detail))
    alerts = list(ws.triggers.alerts(project_id))
    kinds: dict[str, int] = {}
    for alert in alerts:
        kinds[alert.kind] = kinds.get(alert.kind, 0) + 1
        number = numbers.get(alert.run_id) if alert.run_id else None
        steps.append(LoopStep(alert.created_at, f"{alert.kind} alert", number, alert.message))
    started = skipped = 0
    acted: set[int] = set()
    for event in ws.triggers.events(project_id, None, None):
        if event.type != "monitor_alert":
            continue
        acted.update(int(i) for i in event.detail.get("alert_ids", []))
        if event.outcome == "skipped":
            skipped += 1
            reason = event.detail.get("reason", "nothing new")
            steps.append(LoopStep(event.fired_at, "no retraining", None, str(reason)))
        elif event.run_id is not None:
            started += 1
    canaries = _canaries(registry, project_id, numbers, steps)
    if not steps:
        return None
    steps.sort(key=lambda s: _at(s.when))
    section = LoopSection(total_steps=len(steps))
    section.steps = steps[-MAX_STEPS:]
    if gated:
        line = (
            f"{gated} challenger{'s' if gated != 1 else ''} met the production champion on the "
            f"same test rows: {gated - kept} passed, {kept} kept out"
        )
        section.story.append(line + (f" (latest, {kept_latest})." if kept_latest else "."))
    if alerts:
        said = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        section.story.append(
            f"Monitoring raised {len(alerts)} alert{'s' if len(alerts) != 1 else ''} ({said}); "
            f"they started {started} retraining run{'s' if started != 1 else ''}"
            + (f" and {skipped} firing(s) found nothing new to learn from." if skipped else ".")
        )
        waiting = _waiting(ws, project_id, [a for a in alerts if a.id not in acted], numbers)
        if waiting:
            section.story.append(waiting)
    if learned:
        section.story.append(f"Retraining learned from {learned:,} labelled production rows.")
    live = _live_accuracy(runs, metrics, numbers)
    if live:
        section.story.append(live)
    section.story.extend(canaries)
    return section


def _waiting(ws: Any, project_id: int, alerts: list[Any], numbers: dict[int, int]) -> str:
    """One sentence on the alerts no trigger has acted on yet, and why they wait."""
    if not alerts:
        return ""
    runs = ", ".join(f"#{numbers[a.run_id]}" for a in alerts if a.run_id in numbers)
    head = f"{len(alerts)} alert{'s' if len(alerts) != 1 else ''}" + (
        f" (run {runs})" if runs else ""
    )
    verb = "has" if len(alerts) == 1 else "have"
    watching = [
        t for t in ws.triggers.list(project_id, enabled_only=True) if t.type == "monitor_alert"
    ]
    if not watching:
        return f"{head} {verb} not started a retraining: no trigger watches for alerts."
    cooldown = max(float(t.config.get("cooldown_s") or 0) for t in watching)
    why = (
        f": a retraining waits {cooldown:g} s after the last one, then looks again."
        if cooldown
        else ": the next scheduler pass looks at it."
    )
    return f"{head} {verb} not started a retraining yet{why}"


def _live_accuracy(
    runs: list[Run], metrics: dict[int, dict[str, float]], numbers: dict[int, int]
) -> str:
    """One sentence on how often production answered right on the labelled rows it served,
    run after run (Monitor's ``monitor/accuracy``): the first, the lowest and the latest."""
    served = sorted(
        (r for r in runs if "monitor/accuracy" in metrics.get(r.id, {})),
        key=lambda r: _at(r.started_at),
    )
    if len(served) < 2:
        return ""
    chosen = [served[0], min(served, key=lambda r: metrics[r.id]["monitor/accuracy"])]
    chosen.append(served[-1])
    seen: list[Run] = []
    for run in chosen:
        if run not in seen:
            seen.append(run)
    seen.sort(key=lambda r: _at(r.started_at))
    path = " → ".join(
        f"{metrics[r.id]['monitor/accuracy']:.3f} (run #{numbers.get(r.id)})" for r in seen
    )
    return f"On the labelled rows production served, accuracy went {path}."


def _canaries(
    registry: Any, project_id: int, numbers: dict[int, int], steps: list[LoopStep]
) -> list[str]:
    """A step per canary deployment and one sentence each on what became of it."""
    if registry is None:
        return []
    deployments = sorted(registry.deployment_store.list(project_id), key=lambda d: d.id)
    story = []
    for dep in deployments:
        if dep.strategy not in ("canary", "shadow"):
            continue
        share = f"{dep.traffic_share:.0%} of" if dep.strategy == "canary" else "a shadow of"
        beside = f" beside v{dep.previous_version}" if dep.previous_version else ""
        number = numbers.get(dep.run_id) if dep.run_id else None
        steps.append(
            LoopStep(
                dep.created_at,
                dep.strategy,
                number,
                f"{dep.model_name} v{dep.version} took {share} {dep.environment}{beside}",
            )
        )
        later = [
            d
            for d in deployments
            if d.id > dep.id and d.environment == dep.environment and d.strategy == "direct"
        ]
        if dep.status == "rolled_back":
            fate = "was rolled back"
        elif later and later[0].version == dep.version:
            fate = f"was promoted to primary on {later[0].created_at:%d %b %Y %H:%M}"
            steps.append(
                LoopStep(
                    later[0].created_at,
                    "promotion",
                    numbers.get(later[0].run_id) if later[0].run_id else None,
                    f"{dep.model_name} v{dep.version} became {dep.environment}'s primary",
                )
            )
        elif dep.status == "active":
            fate = "still serves its share"
        else:
            fate = "was replaced"
        story.append(f"Canary {dep.model_name} v{dep.version} ({share} {dep.environment}) {fate}.")
    return story[-3:]
