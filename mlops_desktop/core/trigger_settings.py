"""Typed checks of a trigger's settings, shared by adding a trigger, the triggers declared in a
pipeline document (``meta["triggers"]``) and pipeline validation.

A trigger is accepted only when the scheduler can act on it: a cron expression that parses
*and* fires at some time, numbers where numbers are expected, text where text is expected.
So a bad entry is refused where it is written, never found later by the scheduler loop.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from mlops_desktop.core.operate_entities import TriggerType

TRIGGER_TYPES = tuple(t.value for t in TriggerType)
MAX_TRIGGERS_PER_PIPELINE = 50
MAX_COOLDOWN_S = 366 * 24 * 3600.0
_TEXT_KEYS = (
    "folder",
    "pattern",
    "source_pipeline",
    "source_node",
    "model",
    "event",
    "environment",
    "origin",
)


def cron_problem(cron: Any) -> str | None:
    """Why ``cron`` cannot drive a schedule (None when it can): it must parse and fire."""
    from croniter import CroniterError, croniter  # imported on first use

    if cron is None or cron == "":
        return "a schedule needs a cron expression (e.g. '*/15 * * * *')"
    text = cron.strip() if isinstance(cron, str) else ""
    if not text or not croniter.is_valid(text):
        return f"'{cron}' is not a cron expression (e.g. '*/15 * * * *')"
    try:
        croniter(text, datetime(2000, 1, 1, tzinfo=UTC)).get_next(datetime)
    except (CroniterError, ValueError, OverflowError):
        return f"the cron expression '{text}' never fires (no such date)"
    return None


def trigger_problems(type_: Any, config: Mapping[str, Any]) -> list[str]:
    """Every problem with one trigger's type and settings, as messages."""
    if type_ not in TRIGGER_TYPES:
        return [f"unknown trigger type '{type_}' (use {', '.join(TRIGGER_TYPES)})"]
    problems: list[str] = []
    if type_ == TriggerType.SCHEDULE:
        problem = cron_problem(config.get("cron"))
        if problem:
            problems.append(problem)
    cooldown = config.get("cooldown_s")
    if cooldown is not None and (
        isinstance(cooldown, bool)
        or not isinstance(cooldown, int | float)
        or not math.isfinite(cooldown)
        or not 0 <= cooldown <= MAX_COOLDOWN_S
    ):
        problems.append(
            f"cooldown_s must be a number of seconds from 0 to {MAX_COOLDOWN_S:g} (not {cooldown!r})"
        )
    if "force" in config and not isinstance(config["force"], bool):
        problems.append(f"force must be true or false (not {config['force']!r})")
    for key in _TEXT_KEYS:
        value = config.get(key)
        if value is not None and not isinstance(value, str):
            problems.append(f"{key} must be text (not {value!r})")
    if type_ == TriggerType.REGISTRY_EVENT and config.get("event", "approved") not in (
        "approved",
        "registered",
    ):
        problems.append(f"registry event '{config.get('event')}' is not 'approved' or 'registered'")
    return problems


def declared_problems(declared: Any) -> list[str]:
    """Problems of a pipeline document's ``meta["triggers"]``, each naming its entry."""
    if declared is None:
        return []
    if not isinstance(declared, list):
        return ["meta.triggers must be a list of triggers"]
    if len(declared) > MAX_TRIGGERS_PER_PIPELINE:
        return [
            f"meta.triggers declares {len(declared)} triggers, more than the limit of "
            f"{MAX_TRIGGERS_PER_PIPELINE}"
        ]
    problems = []
    for i, entry in enumerate(declared):
        if not isinstance(entry, Mapping):
            problems.append(f"meta.triggers[{i}]: expected an object")
            continue
        config = {k: v for k, v in entry.items() if k not in ("type", "enabled")}
        problems += [
            f"meta.triggers[{i}]: {p}" for p in trigger_problems(entry.get("type"), config)
        ]
    return problems
