"""An imported cloud pipeline on the lifecycle map and in the crosswalk of the main window,
like a native one: its steps cover the phases their kinds place them in, a click on a phase
selects them, and collapsing a group (display only) changes no coverage."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt

from mlops_desktop.qt.imports import cloud_dialog as cloud_import_dialog
from mlops_desktop.qt.main_window import MainWindow

FIXTURES = Path(__file__).parents[1] / "fixtures" / "cloud"


@pytest.fixture
def window(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.resize(1440, 900)
    win.show()
    assert win.open_workspace(str(tmp_path / "workspace.db"))
    win.browser.create_project("demo", template="blank")
    yield win
    win.close()


def titles(pipeline, ids) -> set[str]:
    return {pipeline.node(i).title for i in ids}


def test_map_and_crosswalk_cover_an_imported_pipeline(qtbot, window) -> None:
    assert cloud_import_dialog.import_cloud_file(
        window, str(FIXTURES / "sagemaker" / "abalone.json")
    )
    pipeline = window.current_pipeline()
    window.set_lens("aws")
    window.show_dock(window.map_dock)
    qtbot.waitExposed(window.lifecycle_map)
    cov = window.lifecycle_map.coverage
    development = cov["aws.stage.model_development"]
    assert {"AbaloneTrain", "AbaloneEval", "AbaloneMSECond"} <= {n.title for n in development.nodes}
    assert {n.title for n in cov["aws.stage.data_processing"].nodes} == {"AbaloneProcess"}
    assert cov["aws.stage.monitoring"].state == "missing"
    item = window.lifecycle_map.phase_item("aws.stage.model_development")
    view = window.lifecycle_map._view
    point = view.mapFromScene(item.boundingRect().center())
    with qtbot.waitSignal(window.lifecycle_map.phase_activated) as blocker:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(point))
    selected = window.current_editor().selected_node_ids()
    assert "AbaloneTrain" in titles(pipeline, selected)
    assert sorted(selected) == sorted(blocker.args[2])
    # the crosswalk lists the imported steps under the canonical stages
    crosswalk = window.crosswalk
    rows = dict(zip(crosswalk.stage_ids(), crosswalk.rows, strict=True))
    assert rows["c.train"].covered and "AbaloneTrain" in titles(pipeline, rows["c.train"].node_ids)
    assert not rows["c.monitor"].covered
    # collapsing the condition's group is display only: the map still counts its steps
    editor = window.current_editor()
    assert editor.set_group_collapsed("AbaloneMSECond", True)
    register = editor.scene.node_items[
        next(n.id for n in pipeline.nodes.values() if n.title == "AbaloneRegisterModel")
    ]
    qtbot.waitUntil(lambda: not register.isVisible(), timeout=2000)
    assert window.lifecycle_map.coverage["aws.stage.model_development"].nodes == development.nodes
