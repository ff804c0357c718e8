"""Pieces of the trigger service: when a schedule or a watched folder is due, cooldowns, and
the run listeners that link a trigger event to its run (see :mod:`mlops_desktop.app.triggers`)."""

from __future__ import annotations

import fnmatch
import json
import os
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mlops_desktop.core.execution import NullListener, RunListener, TeeListener
from mlops_desktop.core.operate_entities import Trigger
from mlops_desktop.storage.triggers import TriggerStore


class LinkListener(NullListener):
    """Links the trigger event to its run as soon as the run exists."""

    def __init__(self, store: TriggerStore, event_ids: list[int]) -> None:
        self.store = store
        self.event_ids = event_ids
        self.run_id: int | None = None

    def run_started(self, run_id: int) -> None:
        self.run_id = run_id
        for event_id in self.event_ids:
            self.store.set_event_run(event_id, run_id)


class Tee(TeeListener):
    """Sends run events to the link listener and to an optional extra one (the GUI's)."""

    def __init__(self, first: RunListener, second: RunListener | None) -> None:
        super().__init__([first, second])


def cooling_down(trig: Trigger, now: datetime) -> bool:
    """A trigger with ``cooldown_s`` waits that long after firing before it looks again
    (what happened meanwhile is picked up then), so a loop cannot retrain back to back."""
    cooldown = float(trig.config.get("cooldown_s") or 0)
    last = trig.state.get("last_fired")
    if cooldown <= 0 or not last:
        return False
    return (now - datetime.fromisoformat(last)).total_seconds() < cooldown


def check_schedule(
    trig: Trigger, now: datetime
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    from croniter import croniter

    last = datetime.fromisoformat(trig.state.get("last_tick") or trig.created_at.isoformat())
    it = croniter(trig.config["cron"], last)
    ticks: list[datetime] = []
    while len(ticks) < 1000:
        tick = it.get_next(datetime)
        if tick > now:
            break
        ticks.append(tick)
    if not ticks:
        return None, None
    detail = {"scheduled_for": ticks[-1].isoformat(), "missed": len(ticks) - 1}
    return detail, {**trig.state, "last_tick": ticks[-1].isoformat()}


def snapshot(config: Mapping[str, Any]) -> dict[str, list[float]]:
    """``{file name: [size, mtime]}`` of the files of a watched folder that match."""
    folder, pattern = str(config.get("folder") or ""), str(config.get("pattern") or "*")
    out: dict[str, list[float]] = {}
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return out
    for entry in entries:
        if (
            entry.is_file()
            and fnmatch.fnmatch(entry.name, pattern)
            and not entry.name.startswith(".")
        ):
            st = entry.stat()
            out[entry.name] = [st.st_size, st.st_mtime]
    return out


def check_folder(trig: Trigger) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    seen = trig.state.get("seen") or {}
    now = snapshot(trig.config)
    arrived = sorted(name for name, sig in now.items() if seen.get(name) != sig)
    if not arrived and set(now) == set(seen):
        return None, None
    state = {**trig.state, "seen": now}
    return ({"files": arrived, "folder": trig.config.get("folder")} if arrived else None), state


def canon(config: Mapping[str, Any]) -> str:
    """One text per trigger configuration (to compare declared and stored triggers)."""
    return json.dumps(dict(config), sort_keys=True, default=str)
