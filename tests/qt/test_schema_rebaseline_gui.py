"""The inspector of a Validate data stage that checks against the stored reference says which
run stored it and re-baselines it in one confirmed click, through the same service as
``mlops-desktop schema PROJECT --rebaseline`` (recorded the same way): a changed CSV stops
the run, the re-baseline lets the next run store the new reference."""

from __future__ import annotations

import getpass

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import QSettings, Qt

from mlops_desktop.app.schema_reference import SchemaReferences
from mlops_desktop.core.graph import Link, Node, Pipeline
from mlops_desktop.core.operations import AddLink, AddNode
from mlops_desktop.qt.main_window import MainWindow


def write_csv(path, scale: float = 1.0) -> None:
    rng = np.random.default_rng(0)
    n = 120
    frame = pd.DataFrame(
        {"length": rng.normal(10, 2, n) * scale, "kind": rng.choice(["a", "b"], n)}
    )
    frame["y"] = np.where(frame["length"] > 10 * scale, "big", "small")
    frame.to_csv(path, index=False)


@pytest.fixture
def window(qtbot, tmp_path):
    csv = tmp_path / "parts.csv"
    write_csv(csv)
    win = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    win.open_workspace(str(tmp_path / "w.db"))
    win.service.create_project("parts", template="blank")
    pipeline = Pipeline("data")
    load = {"source": "file", "path": str(csv), "target": "y"}
    check = {"schema_source": "reference", "on_violation": "fail"}
    pipeline.apply(AddNode(Node("load", "load_data", "Load", load, 0, 0)))
    pipeline.apply(AddNode(Node("check", "validate_data", "Check", check, 250, 0)))
    pipeline.apply(AddNode(Node("split", "split", "Split", {}, 500, 0)))
    pipeline.apply(AddLink(Link("l1", "load", "dataset", "check", "dataset")))
    pipeline.apply(AddLink(Link("l2", "check", "dataset", "split", "dataset")))
    win.service.create_pipeline("parts", "data", pipeline)
    win.browser.refresh()
    win.open_pipeline("parts", "data")
    yield win, csv
    win.runner.wait(30)
    win.close()


def _run(qtbot, win: MainWindow) -> str:
    with qtbot.waitSignal(win.runner.finished, timeout=60000) as blocker:
        assert win.run_pipeline() is True
    return blocker.args[1]


def test_rebaseline_from_the_inspector_is_recorded_and_lets_the_next_run_store(qtbot, window):
    win, csv = window
    win.current_editor().select_nodes(["load"])
    assert win.inspector.schema_box is None  # only Validate data shows it
    win.current_editor().select_nodes(["check"])
    box = win.inspector.schema_box
    assert box is not None and not box.button.isEnabled()
    assert "No reference schema stored yet" in box.status.text()

    assert _run(qtbot, win) == "succeeded"  # the first run stores the reference
    win.current_editor().select_nodes(["split"])
    win.current_editor().select_nodes(["check"])
    box = win.inspector.schema_box
    assert box.isVisible() and box.button.isEnabled()
    assert "stored by run #1" in box.status.text()

    write_csv(csv, scale=1000.0)  # the same columns, values a thousand times larger
    assert _run(qtbot, win) == "failed"  # the reference check stops the run
    asked: list[str] = []
    box.confirm = lambda text: asked.append(text) or False  # the user says no: nothing changes
    qtbot.mouseClick(box.button, Qt.MouseButton.LeftButton)
    assert SchemaReferences(win.workspace).stored("parts", "check") is not None
    box.confirm = lambda text: asked.append(text) or True
    with qtbot.waitSignal(box.rebaselined) as forgotten:
        qtbot.mouseClick(box.button, Qt.MouseButton.LeftButton)
    assert forgotten.args[0] == ["check"] and "Forget the stored reference" in asked[-1]
    refs = SchemaReferences(win.workspace)
    assert refs.stored("parts", "check") is None
    history = refs.history("parts")
    assert len(history) == 1 and history[0]["nodes"] == ["check"]
    assert history[0]["by"] == getpass.getuser() and history[0]["at"]
    assert "Re-baselined" in box.status.text() and not box.button.isEnabled()

    assert _run(qtbot, win) == "succeeded"  # stores the new data's reference
    assert refs.stored("parts", "check")["run_label"] == "#3"


def test_the_box_follows_the_schema_source(qtbot, window):
    win, _csv = window
    win.current_editor().select_nodes(["check"])
    box = win.inspector.schema_box
    assert box.isVisible()
    combo = win.inspector.rows["schema_source"].editor
    combo.setCurrentIndex(combo.findText("infer"))
    combo.activated.emit(combo.currentIndex())  # what a pick from the list sends
    assert win.current_pipeline().node("check").params["schema_source"] == "infer"
    assert not win.inspector.schema_box.isVisible()
