"""Assessing (and reading the attached repository) runs off the GUI thread: while a slow
repository scan is held on the worker, the window's event loop keeps running timers and the
view shows it is busy; a scan that fails or stops at its limit is said in the view."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from PySide6 import QtCore  # noqa: E402

from mlops_desktop.app import assessment as assessment_module  # noqa: E402
from mlops_desktop.app.assessment import AssessmentService  # noqa: E402
from mlops_desktop.app.projects import ProjectService  # noqa: E402
from mlops_desktop.app.repo_scan import scan_repository  # noqa: E402
from mlops_desktop.app.workspace import Workspace  # noqa: E402
from mlops_desktop.qt.maturity.view import MaturityView  # noqa: E402


@pytest.fixture
def ws(tmp_path: Path):
    w = Workspace.open(str(tmp_path / "ws.db"))
    ProjectService(w).create_project("demo", "google")
    yield w
    w.close()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "team"
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "ci.yml").write_text(
        "on: [push]\njobs:\n  t:\n    runs-on: x\n    steps:\n      - run: pytest -q\n"
    )
    subprocess.run(["git", "-C", str(root), "init", "-q"], check=True)
    return root


def make_view(qtbot, ws) -> MaturityView:
    view = MaturityView(AssessmentService(ws))
    qtbot.addWidget(view)
    view.project = "demo"
    return view


def test_the_event_loop_runs_while_a_slow_scan_holds_the_worker(
    qtbot, ws, repo: Path, monkeypatch
) -> None:
    entered, release = threading.Event(), threading.Event()
    threads: list[threading.Thread] = []

    def slow_scan(path, *args, **kwargs):
        threads.append(threading.current_thread())
        entered.set()
        assert release.wait(30), "the test never released the scan"
        return scan_repository(path, *args, **kwargs)

    monkeypatch.setattr(assessment_module, "scan_repository", slow_scan)
    view = make_view(qtbot, ws)
    ticks: list[int] = []
    timer = QtCore.QTimer(view)
    timer.setInterval(1)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    view._attach_repository(str(repo))  # what "Attach repository…" does with the chosen folder
    assert view.is_busy() and not view.repo_button.isEnabled()
    assert "Reading the repository" in view.busy_label.text()
    qtbot.waitUntil(entered.is_set, timeout=20000)
    # the scan is blocked on the worker; the GUI thread still runs its timers
    seen = len(ticks)
    qtbot.waitUntil(lambda: len(ticks) >= seen + 3, timeout=20000)
    assert view.is_busy() and view.assessment is None
    assert threads and threads[0] is not threading.main_thread()
    with qtbot.waitSignal(view.assessed, timeout=20000):
        release.set()
    assert not view.is_busy() and view.repo_button.isEnabled()
    assert f"Repository {repo.resolve()}: " in view.summary.text()


def test_a_failing_scan_is_said_in_the_view(qtbot, ws, repo: Path, monkeypatch) -> None:
    def broken(path, *args, **kwargs):
        raise RuntimeError("disk went away")

    AssessmentService(ws).attach_repo("demo", repo)
    monkeypatch.setattr(assessment_module, "scan_repository", broken)
    view = make_view(qtbot, ws)
    with qtbot.waitSignal(view.error_raised, timeout=20000) as got:
        view.refresh()
    assert "The assessment failed: disk went away" in got.args[0]
    assert view.message.isVisibleTo(view) and not view.is_busy()
    assert view.assess_button.isEnabled()


def test_a_scan_stopped_at_its_time_limit_is_said_in_the_view(
    qtbot, ws, repo: Path, monkeypatch
) -> None:
    AssessmentService(ws).attach_repo("demo", repo)
    # a time limit already spent: the scan stops before reading any file
    monkeypatch.setattr(
        assessment_module, "scan_repository", lambda p: scan_repository(p, time_limit_s=-1.0)
    )
    view = make_view(qtbot, ws)
    with qtbot.waitSignal(view.assessed, timeout=20000):
        view.refresh()
    assert view.message.isVisibleTo(view)
    assert "stopped at its limit" in view.message.text()
    assert "evidence in the files not read is missing" in view.message.text()


def test_an_error_the_service_raises_is_one_line(qtbot, ws) -> None:
    view = make_view(qtbot, ws)
    view.project = "no such project"
    with qtbot.waitSignal(view.error_raised, timeout=20000) as got:
        view.refresh()
    assert "no such project" in got.args[0] and "\n" not in got.args[0]
    assert view.message.text() == got.args[0] and not view.is_busy()


def test_a_declared_step_that_ran_cites_its_place_in_the_definition(qtbot) -> None:
    from mlops_desktop.core.maturity import assess
    from tests.core.test_cannot_game import honest, with_feature_store

    view = MaturityView()
    qtbot.addWidget(view)
    view.show_assessment(assess(with_feature_store(honest())))
    tab = view.model_tabs["google"]
    tab.select_criterion("gcp.l1.feature_store")
    items = [tab.evidence.item(i) for i in range(tab.evidence.count())]
    cited = [i for i in items if i.text().startswith("definition: feature_store.json Steps[0]")]
    assert cited and "CustomerFeatureStore (ran in a recorded execution)" in cited[0].text()
    assert cited[0].toolTip() == (
        "Declared in the imported cloud definition: feature_store.json:Steps[0]"
    )
