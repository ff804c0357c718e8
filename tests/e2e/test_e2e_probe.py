"""The geometry probe the end-to-end test reads: off unless its variable is set, and then
a true picture of the window (offscreen, no X server needed)."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QSettings

from mlops_desktop.qt import e2e_probe
from mlops_desktop.qt.main_window import MainWindow


@pytest.fixture
def window(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    assert win.open_workspace(str(tmp_path / "workspace.db"))
    yield win
    win.close()


def test_without_the_variable_nothing_runs(window, monkeypatch) -> None:
    monkeypatch.delenv(e2e_probe.ENV_GEOMETRY_FILE, raising=False)
    assert e2e_probe.install(window) is None
    assert not window.findChildren(e2e_probe.GeometryProbe)


def test_snapshot_places_palette_nodes_ports_and_dock_tabs(
    window, qtbot, tmp_path, monkeypatch
) -> None:
    out = tmp_path / "geometry.json"
    monkeypatch.setenv(e2e_probe.ENV_GEOMETRY_FILE, str(out))
    window.browser.create_project("demo", template="google")
    # Bottom panels start closed; opened, they sit as tabs the probe reports.
    for dock in (window.map_dock, window.maturity_dock, window.messages_dock):
        window.show_dock(dock)
    probe = e2e_probe.install(window)
    assert probe is not None
    qtbot.waitUntil(out.exists, timeout=3000)
    snap = json.loads(out.read_text())
    assert snap["project"] == "demo" and snap["modal"] is None
    assert snap["window"]["title"] == window.windowTitle() and snap["window"]["title"]
    editor = window.current_editor()
    viewport = editor.view.viewport()
    origin = viewport.mapToGlobal(viewport.rect().topLeft())
    assert snap["canvas"]["viewport"][:2] == [origin.x(), origin.y()]
    nodes = {n["id"]: n for n in snap["canvas"]["nodes"]}
    assert set(nodes) == set(window.current_pipeline().nodes)
    # A port's global position maps back onto that very port of its node.
    load = next(n for n in nodes.values() if n["type"] == "load_data")
    port = next(p for p in load["ports"] if p["output"])
    scene_pos = editor.view.mapToScene(viewport.mapFromGlobal(_point(port["pos"])))
    item = editor.scene.node_items[load["id"]]
    slot = item.port_at(item.mapFromScene(scene_pos))
    assert slot is not None and (slot.name, slot.output) == (port["name"], True)
    assert "load_data" in snap["palette"]
    assert {"Lifecycle map", "Maturity", "Messages"} <= set(snap["dock_tabs"])
    assert len(snap["canvas"]["links"]) == len(window.current_pipeline().links)


def _point(xy: list[int]):
    from PySide6.QtCore import QPoint

    return QPoint(xy[0], xy[1])
