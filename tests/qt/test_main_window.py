"""The main window over a real SQLite workspace: projects, tabs, lenses, autosave, settings."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QPushButton

from mlops_desktop.app.workspace import Workspace
from mlops_desktop.core.serialization import to_dict
from mlops_desktop.qt import project_browser
from mlops_desktop.qt.main_window import MainWindow


@pytest.fixture
def settings(tmp_path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, tmp_path, settings):
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    assert win.open_workspace(str(tmp_path / "workspace.db"))
    yield win
    win.close()


def _latest(win: MainWindow, project: str):
    info = win.service.pipeline_info(project)
    return win.workspace.pipelines.latest(info.id)


def test_new_project_from_google_template_opens_a_tab(window: MainWindow) -> None:
    window.browser.create_project("demo", template="google")
    assert window.browser.project_names() == ["demo"]
    editor = window.current_editor()
    assert editor is not None
    assert window.tabs.count() == 1
    assert "demo" in window.tabs.tabText(0)
    pipeline = window.current_pipeline()
    assert {n.type for n in pipeline.nodes.values()} >= {"load_data", "monitor", "serve"}
    # Opening the same pipeline again focuses the existing tab.
    window.open_pipeline("demo")
    assert window.tabs.count() == 1


def test_lens_switch_changes_no_data_and_is_not_an_undo_step(window: MainWindow) -> None:
    window.browser.create_project("demo", template="aws")
    editor = window.current_editor()
    before = to_dict(window.current_pipeline())
    for lens in ("aws", "google", "azure", "tdsp", None):
        window.set_lens(lens)
        assert editor.lens == lens
        assert window.acts.lens[lens].isChecked()
    assert to_dict(window.current_pipeline()) == before
    assert editor.undo_stack.count() == 0
    window.set_lens("azure")
    assert window.lifecycle_map.current_lens() == "azure"


def test_each_lens_places_every_node_in_a_band_or_unplaced(window: MainWindow) -> None:
    window.browser.create_project("demo", template="google")
    editor = window.current_editor()
    ids = set(window.current_pipeline().nodes)
    for lens in ("aws", "google", "azure", "tdsp"):
        window.set_lens(lens)
        banded = {nid for band in editor.scene.lens_layer.bands for nid in band.node_ids}
        unplaced = {n.id for n in editor.unplaced_nodes()}
        assert banded | unplaced == ids
        assert not banded & unplaced


def test_edits_are_autosaved_as_new_versions(qtbot, window: MainWindow) -> None:
    window.browser.create_project("demo", template="google")
    editor = window.current_editor()
    assert _latest(window, "demo").version == 1
    node_id = next(iter(window.current_pipeline().nodes))
    with qtbot.waitSignal(window.autosaver.saved, timeout=3000) as blocker:
        editor.rename_node(node_id, "Renamed stage")
    assert blocker.args[1] == 2
    latest = _latest(window, "demo")
    assert latest.version == 2
    assert {n["title"] for n in latest.document["nodes"]} >= {"Renamed stage"}
    assert "Saved" in window.save_label.text()


def test_rapid_edits_are_debounced_and_saved_within_a_second(qtbot, window: MainWindow) -> None:
    window.browser.create_project("demo", template="google")
    editor = window.current_editor()
    node_id = next(iter(window.current_pipeline().nodes))
    for i in range(5):
        editor.rename_node(node_id, f"Title {i}")
    assert window.autosaver.is_dirty()
    with qtbot.waitSignal(window.autosaver.saved, timeout=1500):
        pass
    assert not window.autosaver.is_dirty()
    latest = _latest(window, "demo")
    assert latest.version == 2  # five edits, one saved version
    assert {n["title"] for n in latest.document["nodes"]} >= {"Title 4"}


def test_closing_the_window_saves_pending_edits(tmp_path, qtbot, settings) -> None:
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.show()
    win.open_workspace(str(tmp_path / "w.db"))
    win.browser.create_project("demo", template="azure")
    node_id = next(iter(win.current_pipeline().nodes))
    win.current_editor().rename_node(node_id, "Saved on close")
    win.close()  # before the debounce fires
    ws = Workspace.open(str(tmp_path / "w.db"))
    try:
        project = ws.projects.get("demo")
        (info,) = ws.pipelines.list(project.id)
        doc = ws.pipelines.latest(info.id).document
        assert "Saved on close" in {n["title"] for n in doc["nodes"]}
    finally:
        ws.close()


def test_browser_rename_delete_restore_and_search(window: MainWindow, monkeypatch) -> None:
    browser = window.browser
    browser.create_project("alpha", template="blank")
    browser.create_project("beta", template="google")
    assert window.tabs.count() == 2
    assert browser.rename_project("beta", "gamma")
    assert browser.project_names() == ["alpha", "gamma"]
    assert any("gamma" in window.tabs.tabText(i) for i in range(window.tabs.count()))
    assert not browser.rename_project("gamma", "alpha")  # taken: refused, nothing changes
    assert browser.project_names() == ["alpha", "gamma"]

    monkeypatch.setattr(project_browser.dialogs, "confirm", lambda *a, **k: False)
    assert not browser.delete_project("gamma")
    assert "gamma" in browser.project_names()
    monkeypatch.setattr(project_browser.dialogs, "confirm", lambda *a, **k: True)
    assert browser.delete_project("gamma")
    assert browser.project_names() == ["alpha"]
    assert browser.project_names(include_deleted=True) == ["alpha", "gamma"]
    assert window.tabs.count() == 1  # its tab closed
    browser.restore_project("gamma")
    assert browser.project_names() == ["alpha", "gamma"]

    browser.search.setText("gam")
    assert browser.find_item("alpha").isHidden()
    assert not browser.find_item("gamma").isHidden()
    browser.search.clear()
    assert not browser.find_item("alpha").isHidden()


def test_new_project_dialog_reports_errors_inline(window: MainWindow) -> None:
    window.browser.create_project("taken", template="blank")
    dialog = project_browser.NewProjectDialog(window.browser.create_project, window)
    names = [
        dialog.templates.item(i).data(project_browser.NAME_ROLE)
        for i in range(dialog.templates.count())
    ]
    assert names[:4] == ["blank", "aws", "google", "azure"]
    dialog.name.setText("taken")
    dialog.accept()
    assert dialog.project is None and not dialog.error.isHidden()
    dialog.name.setText("fresh")
    dialog.accept()
    assert dialog.project is not None and dialog.project.template == "google"


def test_geometry_lens_and_recent_workspaces_persist(tmp_path, qtbot, settings) -> None:
    first = MainWindow(settings=settings)
    qtbot.addWidget(first)
    first.resize(701, 503)  # within the 800x600 offscreen screen
    first.show()
    first.open_workspace(str(tmp_path / "a.db"))
    first.open_workspace(str(tmp_path / "b.db"))
    first.set_lens("tdsp")
    size = (first.width(), first.height())
    first.close()
    second = MainWindow(settings=settings)
    qtbot.addWidget(second)
    # The 800x600 offscreen screen clamps the restored width; the height fits and is kept.
    assert second.height() == size[1] and second.size().toTuple() != (1440, 900)
    assert second.lens == "tdsp"
    assert second.recent_workspaces()[:2] == [str(tmp_path / "b.db"), str(tmp_path / "a.db")]


def test_validate_reports_problems_in_messages(window: MainWindow) -> None:
    window.browser.create_project("demo", template="google")
    assert window.validate_current() == []
    assert "is valid" in window.log.toPlainText()
    editor = window.current_editor()
    pipeline = window.current_pipeline()
    link = next(iter(pipeline.links))
    editor.select_nodes([])
    from mlops_desktop.core.operations import RemoveLink

    pipeline.apply(RemoveLink(link))
    problems = window.validate_current()
    assert problems and "not connected" in problems[0].message


def test_menus_show_shortcuts_and_editor_actions(window: MainWindow) -> None:
    window.browser.create_project("demo", template="google")
    edit_texts = {a.text().replace("&", "") for a in window.menus.edit.actions()}
    assert {"Undo", "Redo", "Copy", "Paste"} <= {t.split(" ")[0] for t in edit_texts}
    assert window.acts.undo.shortcut().toString() == "Ctrl+Z"
    assert window.acts.lens["google"].shortcut().toString() == "Ctrl+2"
    assert window.acts.new_project.shortcut().toString() == "Ctrl+N"
    view_texts = {a.text().replace("&", "") for a in window.menus.view.actions()}
    assert "Fit to View" in view_texts


def test_start_up_imports_nothing_heavy(tmp_path) -> None:
    """Showing the main window imports neither scikit-learn, pandas, pyqtgraph nor networkx."""
    import os
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from PySide6.QtCore import QSettings\n"
        "from mlops_desktop.qt.application import create_application\n"
        "from mlops_desktop.qt.main_window import MainWindow\n"
        "app = create_application()\n"
        f"w = MainWindow(settings=QSettings({str(tmp_path / 's.ini')!r}, QSettings.Format.IniFormat))\n"
        "w.show(); app.processEvents()\n"
        "heavy = {'sklearn', 'pandas', 'pyqtgraph', 'scipy', 'networkx', 'sqlalchemy', 'numpy'}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy))\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_open_tabs_are_reopened_with_the_workspace(tmp_path, qtbot, settings) -> None:
    first = MainWindow(settings=settings)
    qtbot.addWidget(first)
    first.show()
    first.open_workspace(str(tmp_path / "w.db"))
    first.browser.create_project("one", template="aws")
    first.browser.create_project("two", template="azure")
    first.tabs.setCurrentIndex(0)
    first.close()
    second = MainWindow(settings=settings)
    qtbot.addWidget(second)
    second.show()
    second.open_workspace(str(tmp_path / "w.db"))
    assert sorted(second.open_pipelines()) == [("one", "ML lifecycle"), ("two", "Model workflow")]
    assert "one" in second.tabs.tabText(second.tabs.currentIndex())
    second.close()


def test_continuous_editing_is_saved_at_least_every_second(qtbot, window: MainWindow) -> None:
    """Edits that never pause still reach the workspace within about a second."""
    import time

    window.browser.create_project("demo", template="google")
    editor = window.current_editor()
    node_id = next(iter(window.current_pipeline().nodes))
    saves: list[float] = []
    window.autosaver.saved.connect(lambda *_: saves.append(time.monotonic()))
    start = time.monotonic()
    for i in range(12):  # an edit every 150 ms for 1.8 s: the 400 ms debounce never elapses
        editor.rename_node(node_id, f"Edit {i}")
        qtbot.wait(150)
    assert saves, "nothing was saved while editing"
    assert saves[0] - start < 1.3
    window.autosaver.flush()
    assert _latest(window, "demo").document["nodes"][0]["title"] == "Edit 11"


def test_a_file_that_is_not_a_workspace_is_refused_with_a_dialog(
    tmp_path, qtbot, settings, monkeypatch
) -> None:
    from mlops_desktop.qt import main_window

    shown: list[str] = []
    monkeypatch.setattr(
        main_window.dialogs, "show_error", lambda _p, msg, *a, **k: shown.append(msg)
    )
    bad = tmp_path / "notes.db"
    bad.write_bytes(b"these are not the droids\x00\x01" * 50)
    before = bad.read_bytes()
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    assert not win.open_workspace(str(bad))
    assert shown and shown[0].startswith("Cannot open the workspace")
    assert win.workspace is None and not win.browser.isEnabled()
    assert bad.read_bytes() == before
    assert str(bad) not in win.recent_workspaces()


def test_first_opening_of_an_empty_workspace_adds_a_sample(
    tmp_path, qtbot, settings, monkeypatch
) -> None:
    from mlops_desktop.qt.window.session import SAMPLE_PROJECT

    monkeypatch.delenv("MLOPS_DESKTOP_NO_SAMPLE", raising=False)
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.show()
    win.open_workspace(str(tmp_path / "w.db"))
    assert win.browser.project_names() == [SAMPLE_PROJECT]
    assert win.open_pipelines() and win.open_pipelines()[0][0] == SAMPLE_PROJECT
    assert win.start_here.isVisible()  # the first-run "start here" banner
    win.start_here.findChild(QPushButton).click()  # "Got it"
    assert not win.start_here.isVisible()
    assert win.settings.value("ui/start_here_dismissed", False, type=bool)
    # Deleting the sample does not bring it back next time.
    win.browser.delete_project(SAMPLE_PROJECT, ask=False)
    win.browser.purge_project(SAMPLE_PROJECT, ask=False)
    win.open_workspace(str(tmp_path / "w.db"))
    assert win.browser.project_names() == []
    win.close()


def test_other_panels_join_the_window(qtbot, window: MainWindow) -> None:
    from PySide6.QtWidgets import QLabel

    dock = window.add_panel("Runs", "runs_dock", QLabel("runs"))
    window.show_dock(window.messages_dock)  # bottom panels start closed
    window.show_dock(dock)
    qtbot.wait(20)  # the dock layout settles in the event loop
    assert dock.toggleViewAction() in window.menus.panels.actions()
    assert dock in window.tabifiedDockWidgets(window.messages_dock)
    assert window.current_project() is None
    window.browser.create_project("demo", template="blank")
    assert window.current_project() == "demo"


def test_new_pipeline_in_a_project_opens_in_a_tab(window: MainWindow) -> None:
    window.browser.create_project("demo", template="blank")
    info = window.browser.new_pipeline("demo", "experiments")
    assert info is not None and info.name == "experiments"
    assert ("demo", "experiments") in window.open_pipelines()
    assert window.browser.find_item("experiments", kind="pipeline") is not None
    assert window.browser.new_pipeline("demo", "experiments") is None  # taken
    assert "Cannot add the pipeline" in window.log.toPlainText()


def test_maturity_panel_is_built_when_shown_and_assesses_the_project(
    qtbot, window: MainWindow
) -> None:
    window.browser.create_project("demo", template="google")
    assert window.maturity is None  # nothing heavy until the panel is shown
    window.show_dock(window.maturity_dock)
    qtbot.waitUntil(lambda: window.maturity is not None, timeout=5000)
    qtbot.waitUntil(lambda: window.maturity.assessment is not None, timeout=20000)
    assert window.maturity.assessment.project == "demo"
    assert window.models_panel is not None
    assert window.trigger_timer is not None and window.trigger_timer.active


def test_keyboard_shortcuts_dialog_lists_the_menus(window: MainWindow) -> None:
    from mlops_desktop.qt import dialogs

    window.browser.create_project("demo", template="blank")
    rows = dialogs.shortcut_rows(window.menuBar())
    commands = {(menu.split(" ›")[0], cmd, keys) for menu, cmd, keys in rows}
    assert ("File", "New project…", "Ctrl+N") in commands
    assert ("Run", "Run pipeline", "F5") in commands
    assert any(cmd == "Google" and keys == "Ctrl+2" for _, cmd, keys in commands)
    dialog = dialogs.shortcuts_dialog(window, window.menuBar())
    assert dialog.findChild(dialogs.QTableWidget).rowCount() == len(rows)


def test_the_command_opens_the_window_and_refuses_a_bad_workspace(tmp_path) -> None:
    """``mlops-desktop`` (no sub-command) shows the window; with a non-workspace it says why."""
    import os
    import subprocess
    import sys

    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        MLOPS_DESKTOP_EXIT_AFTER_SHOW="1",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
    )
    good = subprocess.run(
        [sys.executable, "-m", "mlops_desktop", "--workspace", str(tmp_path / "w.db")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert good.returncode == 0, good.stderr
    assert "shown=" in good.stdout and "ready=" in good.stdout
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"\x00garbage" * 100)
    refused = subprocess.run(
        [sys.executable, "-m", "mlops_desktop", "--workspace", str(bad)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 1
    assert "Cannot open the workspace" in refused.stderr
    assert bad.read_bytes() == b"\x00garbage" * 100


def test_a_maturity_suggestion_is_applied_as_one_undo_step(window: MainWindow) -> None:
    from mlops_desktop.core.graph import Link, Node
    from mlops_desktop.core.operations import AddLink, AddNode, Compound

    window.browser.create_project("demo", template="google")
    pipeline = window.current_pipeline()
    split = next(n.id for n in pipeline.nodes.values() if n.type == "split")
    fix = Compound(
        (
            AddNode(Node("tune1", "tune", "Tune", {}, 0, 600)),
            AddLink(Link("tl1", split, "split", "tune1", "split")),
        ),
        label="Add tuning",
    )
    window.panels.apply_fix(pipeline.name, fix)
    editor = window.current_editor()
    assert "tune1" in pipeline.nodes and "tl1" in pipeline.links
    assert editor.undo_stack.count() == 1
    editor.undo_stack.undo()
    assert "tune1" not in pipeline.nodes and "tl1" not in pipeline.links


def test_purging_a_project_in_the_browser_says_how_much_it_freed(window: MainWindow) -> None:
    """Purge reclaims the project's artifact files and the status bar says how much."""
    import os
    import time

    from mlops_desktop.app.runs import RunService
    from mlops_desktop.core import operations as ops
    from mlops_desktop.core.graph import Pipeline
    from mlops_desktop.core.units import format_size

    window.browser.create_project("demo", template="blank")
    info, _ = window.service.load_pipeline("demo")
    graph = Pipeline("main")
    graph.apply(ops.add_stage(graph, "load_data", params={"dataset": "iris"}, node_id="load"))
    window.service.save_pipeline(info.id, graph)
    assert RunService(window.workspace).run("demo").status.value == "succeeded"
    artifacts = window.workspace.artifacts
    then = time.time() - 7200  # older than the collector's minimum age
    total = 0
    for digest in artifacts.digests():
        os.utime(artifacts.path(digest), (then, then))
        total += artifacts.path(digest).stat().st_size
    assert total > 0
    messages: list[str] = []
    window.browser.status_message.connect(messages.append)
    assert window.browser.purge_project("demo", ask=False)
    assert artifacts.digests() == []
    assert messages and f"freed {format_size(total)}" in messages[-1]
    assert window.statusBar().currentMessage() == messages[-1]


def test_clean_up_workspace_deletes_only_unreferenced_old_files(window: MainWindow) -> None:
    import os
    import time

    from mlops_desktop.app.runs import RunService
    from mlops_desktop.core import operations as ops
    from mlops_desktop.core.graph import Pipeline

    assert window.clean_up_workspace(ask=False) == 0
    assert "Nothing to clean up" in window.statusBar().currentMessage()
    for name, dataset in (("keep", "iris"), ("gone", "wine")):
        window.service.create_project(name)
        info, _ = window.service.load_pipeline(name)
        graph = Pipeline("main")
        graph.apply(ops.add_stage(graph, "load_data", params={"dataset": dataset}, node_id="d"))
        window.service.save_pipeline(info.id, graph)
        assert RunService(window.workspace).run(name).status.value == "succeeded"
    artifacts = window.workspace.artifacts
    before = set(artifacts.digests())
    window.service.workspace.projects.purge("gone")  # rows gone, files left behind
    then = time.time() - 7200
    for digest in before:
        os.utime(artifacts.path(digest), (then, then))
    freed = window.clean_up_workspace(ask=False)
    assert freed > 0
    left = set(artifacts.digests())
    assert left and left < before  # the kept project's files are all still there
    run = window.workspace.runs.list(window.workspace.projects.get("keep").id)[0]
    outputs = {d for s in window.workspace.runs.get(run.id).stages for d in s.outputs.values()}
    assert outputs <= left
    assert "freed" in window.statusBar().currentMessage()
