"""Triggers under hostile conditions, on SQLite and PostgreSQL: two ``scheduler --once``
processes fire one cron tick once; a trigger that cannot fire is refused when added, and
one stored before that check is marked broken while the others still fire."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mlops_desktop.app.triggers import BROKEN_KEY, TriggerService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.cli import main

DOC = {"format": "mlops-desktop/pipeline", "format_version": 2, "name": "main", "nodes": []}

SCHEDULER = """
import sys, time
from pathlib import Path
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.002)
from mlops_desktop.cli import main
raise SystemExit(main(["--workspace", sys.argv[1], "scheduler", "--once"]))
"""


def _scheduler_pair(url: str, artifacts: Path, go: Path) -> list[subprocess.Popen[str]]:
    env = dict(os.environ, MLOPS_DESKTOP_ARTIFACTS=str(artifacts))
    return [
        subprocess.Popen(
            [sys.executable, "-c", SCHEDULER, url, str(go)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]


def test_two_schedulers_fire_one_tick_once(backend_url: str, tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    with Workspace.open(backend_url, artifacts_dir=artifacts) as ws:
        proj = ws.projects.create("race", pipelines=[("main", DOC)])
        service = TriggerService(ws)
        trig = service.add_trigger(
            "race",
            "main",
            "schedule",
            {"cron": "* * * * *"},
            since=datetime.now(UTC) - timedelta(seconds=61),
        )
    for round_ in range(1):
        go = tmp_path / f"go{round_}"
        procs = _scheduler_pair(backend_url, artifacts, go)
        import time

        time.sleep(1.0)  # both processes imported and waiting
        go.touch()
        for proc in procs:
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
        with Workspace.open(backend_url, artifacts_dir=artifacts) as ws:
            events = [e for e in TriggerService(ws).history("race") if e.trigger_id == trig.id]
            assert len(events) == round_ + 1, events  # one firing per round, not two
            # Re-arm: one more tick is due for the next round.
            store = TriggerService(ws).store
            current = store.get(trig.id)
            earlier = datetime.now(UTC) - timedelta(seconds=61 + 60 * (round_ + 1))
            store.advance(trig.id, current.state, {"last_tick": earlier.isoformat()})
    assert proj.id


def test_a_cron_that_never_fires_is_refused_and_a_stored_one_is_isolated(
    backend_url: str, tmp_path: Path, capsys
) -> None:
    artifacts = tmp_path / "artifacts"
    os.environ["MLOPS_DESKTOP_ARTIFACTS"] = str(artifacts)
    try:
        with Workspace.open(backend_url, artifacts_dir=artifacts) as ws:
            ws.projects.create("demo", pipelines=[("main", DOC)])
            ws.projects.create("other", pipelines=[("main", DOC)])
        args = ["--workspace", backend_url]
        bad = '{"cron": "0 0 31 2 *"}'
        assert main([*args, "triggers", "demo", "--add", "schedule", "--config", bad]) == 1
        assert "never fires" in capsys.readouterr().err
        abc = '{"cron": "* * * * *", "cooldown_s": "abc"}'
        assert main([*args, "triggers", "demo", "--add", "schedule", "--config", abc]) == 1
        assert "cooldown_s must be a number" in capsys.readouterr().err
        # Rows written before these checks existed: the scheduler marks them broken and
        # fires the good trigger of the other project.
        with Workspace.open(backend_url, artifacts_dir=artifacts) as ws:
            service = TriggerService(ws)
            demo = ws.projects.get("demo")
            pid = ws.pipelines.list(demo.id)[0].id
            past = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
            never = service.store.add(
                demo.id, pid, "schedule", {"cron": "0 0 31 2 *"}, state={"last_tick": past}
            )
            typed = service.store.add(
                demo.id,
                pid,
                "schedule",
                {"cron": "* * * * *", "cooldown_s": "abc"},
                state={"last_tick": past, "last_fired": past},
            )
            good = service.add_trigger(
                "other",
                "main",
                "schedule",
                {"cron": "* * * * *"},
                since=datetime.now(UTC) - timedelta(seconds=61),
            )
        assert main([*args, "scheduler", "--once"]) == 0
        capsys.readouterr()
        with Workspace.open(backend_url, artifacts_dir=artifacts) as ws:
            service = TriggerService(ws)
            assert "CroniterBadDateError" in service.store.get(never.id).state[BROKEN_KEY]["error"]
            assert "abc" in service.store.get(typed.id).state[BROKEN_KEY]["error"]
            fired = [e for e in service.history("other") if e.trigger_id == good.id]
            assert [e.outcome for e in fired] == ["started"]
    finally:
        os.environ.pop("MLOPS_DESKTOP_ARTIFACTS", None)


def test_thousands_of_declared_triggers_are_refused_quickly(
    backend_url: str, tmp_path: Path, capsys
) -> None:
    import time

    many = [{"type": "schedule", "cron": f"{i % 60} * * * *"} for i in range(5000)]
    doc = {**DOC, "meta": {"triggers": many}}
    artifacts = tmp_path / "artifacts"
    with Workspace.open(backend_url, artifacts_dir=artifacts) as ws:
        ws.projects.create("big", pipelines=[("main", doc)])
        start = time.monotonic()
        assert TriggerService(ws).run_due() == []
        assert time.monotonic() - start < 5
        assert TriggerService(ws).list_triggers("big") == []
    code = main(["--workspace", backend_url, "trigger", "big"])
    assert code == 1 and "more than the limit of 50" in capsys.readouterr().err


def test_a_tick_seen_by_two_schedulers_is_claimed_once(backend_url: str, tmp_path: Path) -> None:
    """The race made certain: the second scheduler read the trigger's cursor before the
    first one advanced it; its compare-and-set fails, so it does not fire the tick again."""
    artifacts = tmp_path / "artifacts"
    now = datetime.now(UTC)
    with (
        Workspace.open(backend_url, artifacts_dir=artifacts) as first,
        Workspace.open(backend_url, artifacts_dir=artifacts) as second,
    ):
        first.projects.create("race", pipelines=[("main", DOC)])
        trig = TriggerService(first).add_trigger(
            "race", "main", "schedule", {"cron": "* * * * *"}, since=now - timedelta(seconds=61)
        )
        project_id = first.projects.get("race").id
        stale = second.triggers.list(project_id, enabled_only=True)  # read before the claim
        assert [t.id for t in stale] == [trig.id]
        fired = TriggerService(first).due(now)
        assert [f.trigger.id for f in fired if f.trigger] == [trig.id]
        second.triggers.list = lambda *args, **kwargs: list(stale)  # type: ignore[method-assign]
        assert TriggerService(second).due(now) == []


class _Stop(BaseException):
    """Ends the endless ``scheduler --interval`` loop in a test."""


def test_the_interval_loop_goes_on_after_a_pass_that_fails(
    backend_url: str, tmp_path: Path, capsys, monkeypatch
) -> None:
    """A pass that cannot finish (here: the workspace busy) is one line on stderr; the loop
    does not die, and the next pass fires what is due."""
    import pytest

    from mlops_desktop.cli import cmd_trigger
    from mlops_desktop.core.errors import WorkspaceError
    from mlops_desktop.storage.database import BUSY_MESSAGE

    artifacts = tmp_path / "artifacts"
    monkeypatch.setenv("MLOPS_DESKTOP_ARTIFACTS", str(artifacts))
    with Workspace.open(backend_url, artifacts_dir=artifacts) as ws:
        ws.projects.create("p", pipelines=[("main", DOC)])
        TriggerService(ws).add_trigger(
            "p",
            "main",
            "schedule",
            {"cron": "* * * * *"},
            since=datetime.now(UTC) - timedelta(seconds=61),
        )
    passes: list[int] = []
    real = TriggerService.run_due

    def run_due(self, now=None):
        passes.append(1)
        if len(passes) == 1:
            raise WorkspaceError(BUSY_MESSAGE)
        if len(passes) == 2:
            return real(self, now)
        raise _Stop

    monkeypatch.setattr(TriggerService, "run_due", run_due)
    monkeypatch.setattr(cmd_trigger.time, "sleep", lambda seconds: None)
    with pytest.raises(_Stop):
        main(["--workspace", backend_url, "scheduler", "--interval", "5"])
    out, err = capsys.readouterr()
    assert len(passes) == 3
    assert err.count("\n") == 1 and "scheduler pass failed: the workspace is busy" in err
    assert "next pass in 5 s" in err
    assert "started" in out  # the due schedule fired on the next pass


def test_a_pass_over_thousands_of_stored_triggers_reads_them_in_bulk(
    backend_url: str, tmp_path: Path
) -> None:
    """2,000 triggers added by hand over 40 pipelines: a scheduler pass with nothing due
    runs fewer statements than there are triggers (no lookup per trigger), so its time
    grows with the triggers' checks, not with round trips to the database."""
    from sqlalchemy import event

    now = datetime.now(UTC)
    past = now.isoformat()  # each cursor at now: nothing is due, whatever the hour
    with Workspace.open(backend_url, artifacts_dir=tmp_path / "artifacts") as ws:
        proj = ws.projects.create("big", pipelines=[(f"p{i}", DOC) for i in range(40)])
        store = TriggerService(ws).store
        for info in ws.pipelines.list(proj.id):
            for minute in range(50):
                config = {"cron": f"{minute} 3 * * *"}
                store.add(proj.id, info.id, "schedule", config, state={"last_tick": past})
        statements: list[str] = []

        def count(conn, cursor, statement, *args) -> None:
            statements.append(statement)

        event.listen(ws.db.engine, "before_cursor_execute", count)
        try:
            assert TriggerService(ws).run_due(now) == []
        finally:
            event.remove(ws.db.engine, "before_cursor_execute", count)
    assert 0 < len(statements) < 1000, len(statements)
