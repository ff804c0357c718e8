"""Triggers and their firings in words, for the command line and the GUI alike.

``describe_trigger`` says when a trigger fires ("every 15 minutes", "a new *.csv in
/data/in"...), ``next_fire`` when a schedule fires next, and ``describe_event`` what one
firing did (started a run, queued, joined another firing, failed).
"""

from __future__ import annotations

from datetime import UTC, datetime

from mlops_desktop.core.operate_entities import Trigger, TriggerEvent, TriggerType

TYPE_TITLES = {
    TriggerType.MANUAL.value: "Manual",
    TriggerType.SCHEDULE.value: "Schedule",
    TriggerType.DATA_ARRIVAL.value: "New data",
    TriggerType.MONITOR_ALERT.value: "Monitor alert",
    TriggerType.REGISTRY_EVENT.value: "Registry event",
}


def type_title(type_: str) -> str:
    return TYPE_TITLES.get(type_, type_)


def describe_trigger(trigger: Trigger) -> str:
    """When the trigger fires, in one phrase."""
    kind, cfg = trigger.type, trigger.config
    if kind == TriggerType.SCHEDULE:
        cron = str(cfg.get("cron", "?"))
        words = cron_words(cron)
        text = f"{words} (cron {cron})" if words else f"cron {cron}"
    elif kind == TriggerType.DATA_ARRIVAL:
        text = f"a new or changed {cfg.get('pattern') or '*'} in {cfg.get('folder', '?')}"
    elif kind == TriggerType.MONITOR_ALERT:
        source = cfg.get("source_pipeline")
        node = cfg.get("source_node")
        where = f"pipeline '{source}'" if source else "this pipeline"
        text = f"a drift or quality alert of {f'node {node} in ' if node else ''}{where}"
        if cfg.get("force") is False:
            text += " (unchanged stages from the cache)"
    elif kind == TriggerType.REGISTRY_EVENT:
        event = cfg.get("event", "approved")
        model = cfg.get("model")
        what = f"a version of '{model}'" if model else "a model version"
        source = cfg.get("source_pipeline")
        text = f"{what} is {event}" + (f" by pipeline '{source}'" if source else "")
    elif kind == TriggerType.MANUAL:
        text = "by hand"
    else:
        text = ", ".join(f"{k}={v}" for k, v in cfg.items() if k != "origin") or "-"
    extras = []
    cooldown = cfg.get("cooldown_s")
    if isinstance(cooldown, int | float) and not isinstance(cooldown, bool) and cooldown:
        extras.append(f"then waits {float(cooldown):g} s")
    if cfg.get("environment"):
        extras.append(f"runs in {cfg['environment']}")
    broken = trigger.state.get("broken")
    if isinstance(broken, dict) and broken.get("error"):
        extras.append(f"BROKEN: {broken['error']}")
    return text + (f"; {', '.join(extras)}" if extras else "")


_DAYS = ("Sundays", "Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays")


def cron_words(cron: str) -> str:
    """Common cron expressions in words ("every 15 minutes", "Mondays at 06:00"); "" for
    the others."""
    parts = cron.split()
    if len(parts) != 5:
        return ""
    minute, hour, day, month, weekday = parts
    if (day, month, weekday) != ("*", "*", "*") and not (
        (day, month) == ("*", "*") and weekday.isdigit() and int(weekday) <= 7
    ):
        return ""
    when = ""
    if minute.startswith("*/") and minute[2:].isdigit() and hour == "*":
        when = f"every {int(minute[2:])} minutes"
    elif minute.isdigit() and hour == "*":
        when = "every hour" + (f" at :{int(minute):02d}" if int(minute) else "")
    elif minute.isdigit() and hour.isdigit():
        when = f"at {int(hour):02d}:{int(minute):02d}"
    if not when:
        return ""
    if weekday == "*":
        return f"every day {when}" if when.startswith("at") else when
    return f"{_DAYS[int(weekday) % 7]} {when}"


def next_fire(trigger: Trigger, now: datetime | None = None) -> datetime | None:
    """When a schedule fires next (None for other types, disabled triggers, bad cron)."""
    if trigger.type != TriggerType.SCHEDULE or not trigger.enabled:
        return None
    from croniter import croniter

    now = now or datetime.now(UTC)
    try:
        last = datetime.fromisoformat(
            trigger.state.get("last_tick") or trigger.created_at.isoformat()
        )
        tick = croniter(trigger.config["cron"], last).get_next(datetime)
    except (KeyError, ValueError, TypeError):
        return None
    return max(tick, now)  # a tick missed while nothing ran fires at once


def describe_event(event: TriggerEvent, pipeline: str = "", run_number: int | None = None) -> str:
    """One line about a firing (``run_number``: the started run's number in its project)."""
    where = f" {pipeline}" if pipeline else ""
    if event.outcome == "started":
        return f"{event.type}{where}: started run #{run_number or event.run_id}"
    if event.outcome == "queued":
        return f"{event.type}{where}: queued (the pipeline is running; it runs when free)"
    if event.outcome == "coalesced":
        return f"{event.type}{where}: joined the firing #{event.coalesced_into} already waiting"
    if event.outcome == "skipped":
        return f"{event.type}{where}: no run, {event.detail.get('reason', 'nothing new')}"
    return f"{event.type}{where}: failed to start ({event.detail.get('error', 'unknown error')})"


def outcome_text(event: TriggerEvent) -> str:
    """What a firing did, in a few words (for tables)."""
    if event.outcome == "queued":
        return "queued (pipeline busy)" + (" → ran" if event.run_id else "")
    if event.outcome == "coalesced":
        return f"joined firing #{event.coalesced_into}"
    if event.outcome == "failed":
        return f"failed: {event.detail.get('error', 'unknown error')}"
    if event.outcome == "skipped":
        return f"no run: {event.detail.get('reason', 'nothing new')}"
    return event.outcome
