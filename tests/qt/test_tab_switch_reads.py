"""Switching pipeline tabs reads the pipeline's latest stage states and its project's model
registry in worker threads: the GUI thread only draws what arrives (at 10,000 runs the two
reads held it 0.2-0.3 s per switch)."""

from __future__ import annotations

import threading

from PySide6.QtCore import QSettings

from mlops_desktop.app.registry import RegistryService
from mlops_desktop.app.runs import RunService
from mlops_desktop.core.entities import StageStatus
from mlops_desktop.core.graph import Link, Node, Pipeline
from mlops_desktop.core.operations import AddLink, AddNode
from mlops_desktop.qt.main_window import MainWindow


def _project(window: MainWindow, name: str) -> None:
    window.service.create_project(name, template="blank")
    pipeline = Pipeline("data")
    pipeline.apply(AddNode(Node("load", "load_data", "Load", {"dataset": "iris"}, 0, 0)))
    pipeline.apply(AddNode(Node("split", "split", "Split", {}, 250, 0)))
    pipeline.apply(AddLink(Link("l1", "load", "dataset", "split", "dataset")))
    window.service.create_pipeline(name, "data", pipeline)
    assert window.workspace is not None
    assert RunService(window.workspace).run(name, "data").status.value == "succeeded"
    RegistryService(window.workspace).register(name, f"{name}-model")


def test_switching_tabs_reads_states_and_models_off_the_gui_thread(
    qtbot, tmp_path, monkeypatch
) -> None:
    win = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    assert win.open_workspace(str(tmp_path / "w.db"))
    _project(win, "first")
    _project(win, "second")
    editors = {p: win.open_pipeline(p, "data") for p in ("first", "second")}

    gui, on_gui = threading.get_ident(), []
    for cls, name in ((RunService, "latest_stage_states"), (RegistryService, "list_models")):
        real = getattr(cls, name)

        def spy(self, *args, _real=real, _name=name, **kwargs):  # noqa: ANN001, ANN202
            on_gui.append((_name, threading.get_ident() == gui))
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(cls, name, spy)

    win.documents.tabs.setCurrentWidget(editors["first"])
    first = editors["first"]
    assert first is not None
    qtbot.waitUntil(lambda: win.models_panel.current_model() == "first-model", timeout=10000)
    qtbot.waitUntil(
        lambda: first.scene.node_items["split"].status is StageStatus.SUCCEEDED, timeout=10000
    )
    assert {name for name, _ in on_gui} == {"latest_stage_states", "list_models"}
    assert not any(gui_thread for _, gui_thread in on_gui), on_gui
    win.runs.wait()
    win.models_panel.wait()
    win.close()
