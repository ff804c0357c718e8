"""The Maturity view of a project whose pipeline was imported from a cloud definition.

The view is built on the project's workspace (as the window does): an imported SageMaker
definition and no pipeline of the app's own. Its gap list offers no stage to insert (the
stages run in the cloud): each item says the change to the definition, and 'Apply to
pipeline' stays off. Selecting a criterion lists what the definition declares, with file
and place, as declared evidence beside the unmet verdict.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from PySide6 import QtWidgets  # noqa: E402

from mlops_desktop.app.assessment import AssessmentService  # noqa: E402
from mlops_desktop.app.workspace import Workspace  # noqa: E402
from mlops_desktop.cli import main  # noqa: E402
from mlops_desktop.qt.maturity.tabs import ROLE_REF  # noqa: E402
from mlops_desktop.qt.maturity.view import MaturityView  # noqa: E402

ABALONE = Path(__file__).parents[1] / "fixtures" / "cloud" / "sagemaker" / "abalone.json"


def find_item(tree: QtWidgets.QTreeWidget, prefix: str) -> QtWidgets.QTreeWidgetItem:
    it = QtWidgets.QTreeWidgetItemIterator(tree)
    while it.value() is not None:
        if it.value().text(0).startswith(prefix):
            return it.value()
        it += 1
    raise AssertionError(f"no item starting with {prefix!r}")


def test_an_imported_only_project_gets_definition_changes_and_declared_evidence(
    qtbot, tmp_path: Path, capsys
) -> None:
    db = str(tmp_path / "w.db")
    assert main(["--workspace", db, "project", "create", "demo"]) == 0
    assert main(["--workspace", db, "pipeline", "import", "demo", str(ABALONE)]) == 0
    capsys.readouterr()
    with Workspace.open(db) as ws:
        service = AssessmentService(ws)
        view = MaturityView(service)
        qtbot.addWidget(view)
        view.pipelines_provider = lambda: service.pipelines("demo")
        with qtbot.waitSignal(view.assessed):
            view.set_project("demo")
        tab = view.model_tabs["google"]
        gap = find_item(tab.gaps, "gcp.l1.data_validation")
        assert gap.text(1).startswith("In abalone.json (Amazon SageMaker pipeline definition)")
        assert gap.text(2) == "Change the definition"
        tab.gaps.setCurrentItem(gap)
        assert not tab.apply_button.isEnabled()
        every = QtWidgets.QTreeWidgetItemIterator(tab.gaps)
        while every.value() is not None:  # no item carries a pipeline fix
            assert not every.value().data(0, ROLE_REF), every.value().text(0)
            every += 1

        tab.select_criterion("gcp.cap.model_training")
        texts = [tab.evidence.item(i).text() for i in range(tab.evidence.count())]
        assert any(
            t.startswith(
                "declared: abalone.json Steps[1]: AbaloneTrain (declared Train; no recorded "
                "execution ran it)"
            )
            for t in texts
        )
        assert any(
            t.startswith("not found: no run in which a Train or Tune stage ran") for t in texts
        )
        declared = next(
            tab.evidence.item(i)
            for i in range(tab.evidence.count())
            if tab.evidence.item(i).text().startswith("declared:")
        )
        assert declared.toolTip() == (
            "Declared in the imported cloud definition, not yet shown to run: abalone.json:Steps[1]"
        )
