"""Triggers and firings in words (shared by the ``triggers`` command and the Triggers panel)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mlops_desktop.app.trigger_text import cron_words, describe_event, describe_trigger, next_fire
from mlops_desktop.core.operate_entities import Trigger, TriggerEvent


@pytest.mark.parametrize(
    ("cron", "words"),
    [
        ("*/15 * * * *", "every 15 minutes"),
        ("0 * * * *", "every hour"),
        ("30 * * * *", "every hour at :30"),
        ("0 2 * * *", "every day at 02:00"),
        ("0 6 * * 1", "Mondays at 06:00"),
        ("5 4 * * 7", "Sundays at 04:05"),
        ("0 6 1 * *", ""),  # monthly: left as cron
        ("0 6 * * 1-5", ""),
        ("not cron", ""),
    ],
)
def test_cron_words(cron: str, words: str) -> None:
    assert cron_words(cron) == words


def _trigger(type_: str, config: dict, **state) -> Trigger:
    created = datetime(2026, 1, 5, 10, 7, tzinfo=UTC)
    return Trigger(1, 1, 1, "main", type_, config, True, created, state)


def test_describe_trigger_per_type() -> None:
    assert (
        describe_trigger(_trigger("schedule", {"cron": "0 2 * * *", "cooldown_s": 60}))
        == "every day at 02:00 (cron 0 2 * * *); then waits 60 s"
    )
    assert describe_trigger(_trigger("data_arrival", {"folder": "/in", "pattern": "*.csv"})) == (
        "a new or changed *.csv in /in"
    )
    assert "pipeline 'train'" in describe_trigger(
        _trigger("monitor_alert", {"source_pipeline": "train", "force": False})
    )
    assert (
        describe_trigger(
            _trigger("registry_event", {"event": "approved", "model": "clf", "environment": "prod"})
        )
        == "a version of 'clf' is approved; runs in prod"
    )


def test_next_fire_of_a_schedule() -> None:
    trig = _trigger("schedule", {"cron": "*/15 * * * *"}, last_tick="2026-01-05T10:00:00+00:00")
    assert next_fire(trig, datetime(2026, 1, 5, 10, 7, tzinfo=UTC)) == datetime(
        2026, 1, 5, 10, 15, tzinfo=UTC
    )
    # A tick missed while nothing ran fires at once: "now".
    late = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    assert next_fire(trig, late) == late
    assert next_fire(_trigger("manual", {})) is None


def test_describe_event_outcomes() -> None:
    now = datetime.now(UTC)
    started = TriggerEvent(1, 1, 1, "schedule", "started", now, run_id=7)
    assert describe_event(started, "main") == "schedule main: started run #7"
    joined = TriggerEvent(
        2, 1, 1, "monitor_alert", "coalesced", now + timedelta(1), coalesced_into=1
    )
    assert "joined the firing #1" in describe_event(joined)
    failed = TriggerEvent(3, 1, 1, "manual", "failed", now, detail={"error": "boom"})
    assert describe_event(failed) == "manual: failed to start (boom)"
