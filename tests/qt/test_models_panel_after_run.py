"""The Models panel shows the version a run just registered, without reopening anything."""

from __future__ import annotations

from PySide6.QtCore import QSettings

from mlops_desktop.core.graph import Link, Node, Pipeline
from mlops_desktop.core.operations import AddLink, AddNode
from mlops_desktop.qt.main_window import MainWindow


def test_a_registered_version_appears_in_the_models_panel(qtbot, tmp_path) -> None:
    win = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    win.open_workspace(str(tmp_path / "w.db"))
    win.service.create_project("iris", template="blank")
    p = Pipeline("register")
    for node in (
        Node("load", "load_data", "Load", {"dataset": "iris"}, 0, 0),
        Node("split", "split", "Split", {}, 250, 0),
        Node("train", "train", "Train", {"estimator": "logistic_regression"}, 500, 0),
        Node("register", "register_model", "Register", {"model_name": "iris"}, 750, 0),
    ):
        p.apply(AddNode(node))
    for i, (a, ap, b, bp) in enumerate(
        [
            ("load", "dataset", "split", "dataset"),
            ("split", "split", "train", "split"),
            ("train", "model", "register", "model"),
        ]
    ):
        p.apply(AddLink(Link(f"l{i}", a, ap, b, bp)))
    win.service.create_pipeline("iris", "register", p)
    win.browser.refresh()
    win.open_pipeline("iris", "register")
    win.show_dock(win.models_dock)
    assert win.models_panel.models.count() == 0
    with qtbot.waitSignal(win.runner.finished, timeout=60000) as blocker:
        win.acts.run.trigger()
    assert blocker.args[1] == "succeeded", blocker.args[2]
    # Read again off the GUI thread, then shown.
    qtbot.waitUntil(lambda: win.models_panel.models.count() == 1, timeout=10000)
    assert "iris" in win.models_panel.models.item(0).text()
    win.runner.wait(30)
    win.close()
