"""Lifecycle map and crosswalk: coverage by the project's stages, clicks select stages."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from mlops_desktop.app.templates import load_template
from mlops_desktop.core.entities import StageStatus
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.lifecycle import lifecycle
from mlops_desktop.qt import dialogs
from mlops_desktop.qt.lifecycle.crosswalk import CrosswalkView, crosswalk
from mlops_desktop.qt.lifecycle.map_view import LifecycleMapView, coverage_state
from mlops_desktop.qt.theme import ThemeManager, build_palette


@pytest.fixture
def google() -> Pipeline:
    return load_template("google")[0]


def test_coverage_state_summarises_last_run() -> None:
    s = StageStatus
    assert coverage_state([]) == "missing"
    assert coverage_state([None, None]) == "planned"
    assert coverage_state([s.SUCCEEDED, s.CACHED]) == "succeeded"
    assert coverage_state([s.SUCCEEDED, s.FAILED]) == "failed"
    assert coverage_state([s.SUCCEEDED, s.RUNNING]) == "running"
    assert coverage_state([s.SUCCEEDED, s.SKIPPED]) == "skipped"
    assert coverage_state([s.SUCCEEDED, None]) == "planned"


def test_map_colours_each_phase_by_coverage(qtbot, google: Pipeline) -> None:
    view = LifecycleMapView()
    qtbot.addWidget(view)
    view.set_lens("google")
    view.set_pipeline(google)
    cov = view.coverage
    ct = {n.type for n in cov["gcp.stage.continuous_training"].nodes}
    assert ct == {
        "load_data",
        "production_feedback",  # the labelled production rows join the training data
        "validate_data",
        "split",
        "feature_engineering",
        "train",
        "evaluate",
        "model_gate",
        "register_model",
    }
    assert cov["gcp.stage.continuous_monitoring"].state == "planned"
    assert cov["gcp.stage.training_operationalization"].state == "missing"
    assert set(view._scene.phase_items) == {p.id for p in lifecycle("google").phases}
    monitor = next(n.id for n in google.nodes.values() if n.type == "monitor")
    view.set_stage_states({monitor: StageStatus.FAILED})
    assert view.coverage["gcp.stage.continuous_monitoring"].state == "failed"
    drawn = view.phase_item("gcp.stage.continuous_monitoring")
    assert drawn.coverage.state == "failed"
    # A run's end with nothing new for the map (same states, same loop) draws nothing again.
    view.set_stage_states({monitor: StageStatus.FAILED}, [])
    assert view.phase_item("gcp.stage.continuous_monitoring") is drawn


def test_map_follows_pipeline_edits_and_draws_every_lifecycle(qtbot, google: Pipeline) -> None:
    from mlops_desktop.core.operations import RemoveLink, RemoveNode

    view = LifecycleMapView()
    qtbot.addWidget(view)
    for lens in ("aws", "google", "azure", "tdsp"):
        view.set_lens(lens)
        assert view.current_lens() == lens
        assert len(view._scene.phase_items) == len(lifecycle(lens).phases)
    view.set_lens("azure")
    view.set_pipeline(google)
    monitor = next(n for n in google.nodes.values() if n.type == "monitor")
    assert view.coverage["azure.stage.monitor"].nodes
    for link in google.links_of(monitor.id):
        google.apply(RemoveLink(link.id))
    google.apply(RemoveNode(monitor.id))
    assert view.coverage["azure.stage.monitor"].state == "missing"


def test_clicking_a_phase_selects_its_stages_on_the_canvas(qtbot, tmp_path) -> None:
    from PySide6.QtCore import QSettings

    from mlops_desktop.qt.main_window import MainWindow

    win = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    win.open_workspace(str(tmp_path / "w.db"))
    win.browser.create_project("demo", template="google")
    win.set_lens("google")
    win.map_dock.raise_()
    qtbot.waitExposed(win.lifecycle_map)
    item = win.lifecycle_map.phase_item("gcp.stage.prediction_serving")
    view = win.lifecycle_map._view
    point = view.mapFromScene(item.boundingRect().center())
    with qtbot.waitSignal(win.lifecycle_map.phase_activated) as blocker:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(point))
    lens, phase, ids = blocker.args
    assert (lens, phase) == ("google", "gcp.stage.prediction_serving")
    pipeline = win.current_pipeline()
    assert {pipeline.node(i).type for i in ids} == {"simulate_traffic", "serve"}
    assert sorted(win.current_editor().selected_node_ids()) == sorted(ids)
    win.close()


def test_crosswalk_rows_vendors_and_project_stages(qtbot, google: Pipeline) -> None:
    view = CrosswalkView()
    qtbot.addWidget(view)
    data = crosswalk()
    ids = view.stage_ids()
    assert ids[:3] == ["c.frame", "c.data", "c.train"] and "c.govern" in ids
    assert view.table.rowCount() == len(data["stages"]) == 11
    headers = [view.table.horizontalHeaderItem(c).text() for c in range(view.table.columnCount())]
    assert headers == ["Canonical stage", "AWS", "Google Cloud", "Microsoft Azure", "Your stages"]
    for vendor in data["vendors"]:
        assert vendor["source"] in view.sources.text()
    # Vendor phase ids in the crosswalk exist in the lifecycle files.
    for row in data["stages"]:
        for vid in ("aws", "google", "azure"):
            known = {p.id for p in lifecycle(vid).phases}
            assert set(row[vid]["phases"]) <= known, (row["id"], vid)
    view.set_pipeline(google)
    rows = dict(zip(ids, view.rows, strict=True))
    assert (
        rows["c.monitor"].covered and google.node(rows["c.monitor"].node_ids[0]).type == "monitor"
    )
    assert rows["c.retrain"].covered and "monitor alert" in rows["c.retrain"].text
    assert not rows["c.pipeline_cicd"].covered
    col = view.table.columnCount() - 1
    assert view.table.item(ids.index("c.serve"), col).text() == rows["c.serve"].text
    with qtbot.waitSignal(view.stages_activated) as blocker:
        view.table.itemClicked.emit(view.table.item(ids.index("c.train"), col))
    assert [google.node(i).type for i in blocker.args[0]] == ["train"]
    view.set_pipeline(Pipeline("empty"))
    assert not any(r.covered for r in view.rows)


def test_dark_and_light_palettes_switch(qtbot) -> None:
    app = QApplication.instance()
    original = app.palette()
    try:
        theme = ThemeManager(app, "light")
        assert not theme.is_dark
        with qtbot.waitSignal(theme.theme_changed) as blocker:
            theme.set_mode("dark")
        assert blocker.args == [True]
        window = app.palette().color(QPalette.ColorRole.Window)
        assert window.lightness() < 80
        assert build_palette(False).color(QPalette.ColorRole.Window).lightness() > 200
        with pytest.raises(ValueError):
            theme.set_mode("purple")
    finally:
        app.setPalette(original)


def test_about_names_versions_and_error_has_details(qtbot) -> None:
    from importlib.metadata import version

    from PySide6.QtCore import qVersion

    text = dialogs.about_text()
    assert version("scikit-learn") in text and qVersion() in text
    box = dialogs.error_box(None, "Cannot open the workspace", "Traceback ...")
    assert box.text() == "Cannot open the workspace"
    assert box.detailedText() == "Traceback ..."
    confirm = dialogs.confirm_box(None, "Delete", "Delete it?", "Delete")
    assert confirm.defaultButton().text() == "Cancel"


def test_map_shows_the_last_run_status_of_each_phase(qtbot, tmp_path) -> None:
    """A real run of a small pipeline colours the phases its stages implement."""
    from PySide6.QtCore import QSettings

    from mlops_desktop.app.projects import ProjectService
    from mlops_desktop.app.runs import RunService
    from mlops_desktop.app.workspace import Workspace
    from mlops_desktop.core.graph import Link, Node
    from mlops_desktop.core.operations import AddLink, AddNode
    from mlops_desktop.qt.main_window import MainWindow

    ws = Workspace.open(str(tmp_path / "w.db"))
    service = ProjectService(ws)
    service.create_project("small", template="blank")
    pipeline = Pipeline("data")
    pipeline.apply(AddNode(Node("load", "load_data", "Load", {"dataset": "iris"}, 0, 0)))
    pipeline.apply(AddNode(Node("check", "validate_data", "Check", {}, 250, 0)))
    pipeline.apply(AddLink(Link("l1", "load", "dataset", "check", "dataset")))
    service.create_pipeline("small", "data", pipeline)
    run = RunService(ws).run("small", "data")
    assert run.status.value == "succeeded"

    win = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.show()
    win.set_workspace(ws, str(tmp_path / "w.db"))
    win.open_pipeline("small", "data")
    win.set_lens("aws")

    def state(phase: str) -> str:
        return win.lifecycle_map.coverage[phase].state

    assert state("aws.stage.data_processing") == "planned"  # read off the GUI thread
    qtbot.waitUntil(lambda: state("aws.stage.data_processing") == "succeeded", timeout=10000)
    cov = win.lifecycle_map.coverage
    assert cov["aws.stage.model_development"].state == "missing"
    win.close()


def test_loops_closed_by_a_monitor_alert_trigger_are_marked_wired(qtbot, google: Pipeline) -> None:
    from mlops_desktop.qt.lifecycle.map_view import wired_loops

    assert wired_loops(google, "google") == {"gcp.loop.monitor_to_ct"}
    assert wired_loops(google, "aws") == {"aws.loop.model_drift_feedback"}
    assert wired_loops(google, "azure") == {"azure.loop.retrain"}
    assert wired_loops(google, "tdsp") == frozenset()
    assert wired_loops(Pipeline("plain"), "google") == frozenset()
    view = LifecycleMapView()
    qtbot.addWidget(view)
    view.set_lens("azure")
    view.set_pipeline(google)
    assert view.wired == {"azure.loop.retrain"}


@pytest.mark.parametrize("lens", ["aws", "google", "azure", "tdsp"])
def test_loop_arcs_and_labels_do_not_collide(qtbot, google: Pipeline, lens: str) -> None:
    from PySide6.QtGui import QPainterPathStroker

    view = LifecycleMapView()
    qtbot.addWidget(view)
    view.set_lens(lens)
    view.set_pipeline(google)
    scene = view._scene
    assert set(scene.loop_paths) == {lp.id for lp in lifecycle(lens).loops}
    stroker = QPainterPathStroker()
    stroker.setWidth(4)  # the drawn line and a little air
    labels = {lid: item.sceneBoundingRect() for lid, item in scene.loop_labels.items()}
    boxes = [item.sceneBoundingRect() for item in scene.phase_items.values()]
    for lid, rect in labels.items():
        for other, path_item in scene.loop_paths.items():
            if other != lid:  # no other loop's arc runs through this label
                assert not stroker.createStroke(path_item.path()).intersects(rect), (lid, other)
        assert not any(rect.intersects(r) for o, r in labels.items() if o != lid), lid
        assert not any(rect.intersects(box) for box in boxes), lid
