"""MaturityView with real widgets: levels, evidence links, questionnaire, gap fixes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from PySide6 import QtWidgets  # noqa: E402

from mlops_desktop.app.assessment import AssessmentService  # noqa: E402
from mlops_desktop.app.projects import ProjectService  # noqa: E402
from mlops_desktop.app.workspace import Workspace  # noqa: E402
from mlops_desktop.core.graph import Pipeline  # noqa: E402
from mlops_desktop.core.maturity import assess  # noqa: E402
from mlops_desktop.core.maturity.facts import PipelineFacts, ProjectFacts, RunFacts, StageFacts  # noqa: E402
from mlops_desktop.core.operations import Compound, add_stage, connect  # noqa: E402
from mlops_desktop.qt.maturity.view import MaturityView  # noqa: E402

NOW = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def service(tmp_path: Path):
    ws = Workspace.open(str(tmp_path / "ws.db"))
    ProjectService(ws).create_project("demo", "google")
    yield AssessmentService(ws)
    ws.close()


def basic() -> Pipeline:
    p = Pipeline("train")
    types = {
        "load": "load_data",
        "split": "split",
        "train": "train",
        "evaluate": "evaluate",
        "register": "register_model",
    }
    p.apply(Compound(tuple(add_stage(p, t, node_id=n) for n, t in types.items())))
    p.apply(
        Compound(
            (
                connect("load", "dataset", "split", "dataset"),
                connect("split", "split", "train", "split"),
                connect("train", "model", "evaluate", "model"),
                connect("split", "split", "evaluate", "split"),
                connect("train", "model", "register", "model"),
            )
        )
    )
    return p


def find_item(tree: QtWidgets.QTreeWidget, prefix: str) -> QtWidgets.QTreeWidgetItem:
    it = QtWidgets.QTreeWidgetItemIterator(tree)
    while it.value() is not None:
        if it.value().text(0).startswith(prefix):
            return it.value()
        it += 1
    raise AssertionError(f"no item starting with {prefix!r}")


def test_view_shows_levels_and_stores_the_assessment(qtbot, service, tmp_path: Path) -> None:
    view = MaturityView(service)
    qtbot.addWidget(view)
    view.resize(1300, 800)
    with qtbot.waitSignal(view.assessed):
        view.set_project("demo")
    assert "Google: Level 0" in view.summary.text() and "ML Test Score: 0" in view.summary.text()
    google = view.model_tabs["google"]
    assert google.level_label.text().startswith("Google Cloud MLOps levels: Level 0")
    assert [view.tabs.tabText(i) for i in range(view.tabs.count())] == [
        "Overview",
        "Google",
        "Microsoft",
        "AWS",
        "ML Test Score",
        "Crosswalk",
        "Questionnaire",
        "Sources",
    ]
    assert len(service.history("demo")) == 5
    assert "https://cloud.google.com/architecture/mlops" in view.sources.toHtml()
    view.show()
    path = tmp_path / "maturity.png"
    assert view.grab().save(str(path)) and path.stat().st_size > 10_000


def test_evidence_links_emit_node_and_run(qtbot) -> None:
    p = basic()
    stages = tuple(StageFacts(n, p.nodes[n].type, "succeeded") for n in p.nodes)
    run = RunFacts(
        7,
        "train",
        "succeeded",
        "schedule",
        "dev",
        pipeline_version_id=1,
        executor="threads",
        started_at=NOW,
        duration_s=2.0,
        stages=stages,
        metrics={"accuracy": 0.9},
    )
    a = assess(ProjectFacts("demo", (PipelineFacts("train", p, 1, 1, NOW),), runs=(run,), now=NOW))
    view = MaturityView()
    qtbot.addWidget(view)
    view.show_assessment(a)
    tab = view.model_tabs["google"]
    tab.select_criterion("gcp.l1.rapid_experiment")
    items = [tab.evidence.item(i) for i in range(tab.evidence.count())]
    node = next(i for i in items if i.text().startswith("node: Split"))
    with qtbot.waitSignal(view.node_activated) as got:
        tab.evidence.itemActivated.emit(node)
    assert got.args == ["split"]
    tab.select_criterion("gcp.l0.manual_steps")  # cleared by the scheduled run
    run_item = next(
        tab.evidence.item(i)
        for i in range(tab.evidence.count())
        if tab.evidence.item(i).text().startswith("run: run #7")
    )
    with qtbot.waitSignal(view.run_activated) as got:
        tab.evidence.itemActivated.emit(run_item)
    assert got.args == [7]


def test_apply_to_pipeline_emits_one_undoable_edit(qtbot) -> None:
    p = basic()
    a = assess(ProjectFacts("demo", (PipelineFacts("train", p, 1, 1, NOW),), now=NOW))
    view = MaturityView()
    qtbot.addWidget(view)
    view.pipelines_provider = lambda: [("train", p)]
    view.show_assessment(a)
    tab = view.model_tabs["google"]
    assert not tab.apply_button.isEnabled()
    tab.gaps.setCurrentItem(find_item(tab.gaps, "gcp.l1.model_validation"))
    assert tab.apply_button.isEnabled()
    with qtbot.waitSignal(view.fix_requested) as got:
        tab.apply_button.click()
    name, op = got.args
    assert name == "train" and isinstance(op, Compound)
    undo = p.apply(op)
    assert any(n.type == "model_gate" for n in p.nodes.values())
    p.apply(undo)
    assert not any(n.type == "model_gate" for n in p.nodes.values())


def test_questionnaire_answers_are_saved_and_reassessed(qtbot, service) -> None:
    view = MaturityView(service)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.assessed):
        view.set_project("demo")
    q = view.questionnaire
    groups = [q.tree.topLevelItem(i).text(0) for i in range(q.tree.topLevelItemCount())]
    assert groups[0].startswith("Use case") and any(
        g.startswith("Confirm suggestions") for g in groups
    )
    item = find_item(q.tree, "Do ML engineers own")
    q.tree.setCurrentItem(item)
    assert "q.ds_mle" in q.help.text()
    q.value.setCurrentText("yes")
    q.document.setText("https://wiki.example/roles")
    with qtbot.waitSignal(view.assessed):
        q.save.click()
    assert service.answers("demo")["q.ds_mle"].document == "https://wiki.example/roles"
    assert view.assessment.models["aws"].result("aws.rep.ds_mle_collab").status == "met"
    assert find_item(view.questionnaire.tree, "Do ML engineers own").text(1) == "yes"


def test_repository_findings_and_what_was_looked_for_are_shown(qtbot, tmp_path: Path) -> None:
    from mlops_desktop.app.repo_scan import repo_facts

    root = tmp_path / "team"
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "ci.yml").write_text(
        "on: [push]\njobs:\n  t:\n    runs-on: x\n    steps:\n      - run: pytest -q\n"
    )
    (root / "tests").mkdir()
    (root / "tests" / "test_a.py").write_text("def test_a():\n    assert True\n")
    view = MaturityView()
    qtbot.addWidget(view)
    view.show_assessment(assess(repo_facts(root)))
    tab = view.model_tabs["azure"]
    tab.select_criterion("azure.l1.tech.app_tests")
    texts = [tab.evidence.item(i).text() for i in range(tab.evidence.count())]
    assert any(t.startswith("file: .github/workflows/ci.yml:6: - run: pytest -q") for t in texts)
    assert "Met by:" in tab.detail.text()
    tab.select_criterion("azure.l2.tech.model_mgmt")
    texts = [tab.evidence.item(i).text() for i in range(tab.evidence.count())]
    assert "Looked for:" in tab.detail.text() and "model registry call" in tab.detail.text()
    assert any(t.startswith("not found: ") and "none found" in t for t in texts)


def test_attach_repository_button_scans_it_and_the_view_shows_its_findings(
    qtbot, service, tmp_path: Path, monkeypatch
) -> None:
    import subprocess

    repo = tmp_path / "team"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text(
        "on: [push]\njobs:\n  t:\n    runs-on: x\n    steps:\n      - run: pytest -q\n"
    )
    (repo / "tests").mkdir()
    (repo / "tests" / "test_a.py").write_text("def test_a():\n    assert True\n")
    subprocess.run(["git", "-C", str(repo), "init", "-q"], check=True)
    view = MaturityView(service)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.assessed):
        view.set_project("demo")
    chosen = iter([str(tmp_path / "not-a-repo"), str(repo)])
    (tmp_path / "not-a-repo").mkdir()
    monkeypatch.setattr(QtWidgets.QFileDialog, "getExistingDirectory", lambda *a, **k: next(chosen))
    view.repo_button.click()  # a folder outside git: refused where the user looks
    qtbot.waitUntil(lambda: not view.is_busy(), timeout=20000)
    assert view.message.isVisibleTo(view) and "not inside a git repository" in view.message.text()
    with qtbot.waitSignal(view.assessed):
        view.repo_button.click()
    assert f"Repository {repo.resolve()}: " in view.summary.text()
    tab = view.model_tabs["azure"]
    tab.select_criterion("azure.l1.tech.app_tests")
    texts = [tab.evidence.item(i).text() for i in range(tab.evidence.count())]
    assert any(".github/workflows/ci.yml:6" in t for t in texts)
