"""Where the main window's widgets are on screen, for end-to-end tests that drive the real app.

Only active when ``MLOPS_DESKTOP_E2E_GEOMETRY_FILE`` names a file: then, every
:data:`INTERVAL_MS`, the main window writes a JSON snapshot there (atomically, through a
temporary file) with the global screen rectangles a test needs to move the real mouse: the
palette's stage items by stage id, the canvas viewport, each node of the current pipeline
with its ports, the tab bars of the docks, and what the window shows (title, tabs, the
modal dialog, run and save state, the maturity header). Without the variable nothing is
created and nothing runs.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QPoint, QPointF, QRect, QTimer
from PySide6.QtWidgets import QApplication, QPushButton, QTabBar, QWidget

if TYPE_CHECKING:
    from mlops_desktop.qt.main_window import MainWindow

ENV_GEOMETRY_FILE = "MLOPS_DESKTOP_E2E_GEOMETRY_FILE"
INTERVAL_MS = 250


def install(window: MainWindow) -> GeometryProbe | None:
    """Start writing snapshots of ``window`` when the variable is set; else do nothing."""
    path = os.environ.get(ENV_GEOMETRY_FILE, "").strip()
    if not path:
        return None
    return GeometryProbe(window, Path(path))


def _rect(widget: QWidget, local: QRect | None = None) -> list[int]:
    """``local`` (default: the whole widget) as global [x, y, width, height]."""
    r = local if local is not None else widget.rect()
    top_left = widget.mapToGlobal(r.topLeft())
    return [top_left.x(), top_left.y(), r.width(), r.height()]


class GeometryProbe(QObject):
    """Writes the window's snapshot to ``path`` on a timer."""

    def __init__(self, window: MainWindow, path: Path) -> None:
        super().__init__(window)
        self.window = window
        self.path = path
        self.seq = 0
        self._timer = QTimer(self)
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._timer.start()

    def _on_timer_timeout(self) -> None:
        self.seq += 1
        try:
            data = self.snapshot()
        except Exception as exc:  # noqa: BLE001 - a test aid never disturbs the app
            data = {"seq": self.seq, "error": f"{type(exc).__name__}: {exc}"}
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            tmp.write_text(json.dumps(data), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            pass  # the test's folder is gone: nobody is reading

    # --------------------------------------------------------------- snapshot
    def snapshot(self) -> dict[str, Any]:
        win = self.window
        modal = QApplication.activeModalWidget()
        focus = QApplication.focusWidget()
        return {
            "seq": self.seq,
            "time": time.time(),
            "pid": os.getpid(),
            "window": {"title": win.windowTitle(), "rect": _rect(win)},
            "modal": self._modal(modal) if modal is not None else None,
            "focus": type(focus).__name__ if focus is not None else None,
            "tabs": [win.tabs.tabText(i) for i in range(win.tabs.count())],
            "current_tab": win.tabs.currentIndex(),
            "project": win.current_project(),
            "palette": self._palette(),
            "canvas": self._canvas(),
            "dock_tabs": self._dock_tabs(),
            "running": bool(win.runner.running),
            "run_label": win.run_label.text() if win.run_label.isVisible() else "",
            "save_label": win.save_label.text(),
            "status": win.statusBar().currentMessage(),
            "maturity": self._maturity(),
            "run_view": self._run_view(),
        }

    def _run_view(self) -> dict[str, Any]:
        """The run the Run panel shows and the metric points that reached it live."""
        view = self.window.run_view
        run = view.run if view is not None else None
        if view is None or run is None:
            return {"run_id": None, "live_points": 0}
        return {"run_id": run.id, "live_points": view.live_points.get(run.id, 0)}

    @staticmethod
    def _modal(dialog: QWidget) -> dict[str, Any]:
        """The modal dialog's class, title, rectangle and visible push buttons by text."""
        buttons = {
            b.text().replace("&", ""): _rect(b)
            for b in dialog.findChildren(QPushButton)
            if b.isVisible()
        }
        return {
            "class": type(dialog).__name__,
            "title": dialog.windowTitle(),
            "rect": _rect(dialog),
            "buttons": buttons,
        }

    def _palette(self) -> dict[str, list[int]]:
        """Global rectangles of the stage items wholly visible in the palette."""
        palette = self.window.stage_palette
        tree = getattr(palette, "tree", None)
        if tree is None or not tree.isVisible():
            return {}
        from mlops_desktop.qt.palette import ROLE_STAGE

        viewport = tree.viewport()
        out: dict[str, list[int]] = {}
        for i in range(tree.topLevelItemCount()):
            head = tree.topLevelItem(i)
            for j in range(head.childCount()):
                item = head.child(j)
                rect = tree.visualItemRect(item)
                if item.isHidden() or not viewport.rect().contains(rect):
                    continue
                out[str(item.data(0, ROLE_STAGE))] = _rect(viewport, rect)
        return out

    def _canvas(self) -> dict[str, Any] | None:
        """The current editor's viewport, nodes (with ports) and links, in global coordinates."""
        editor = self.window.current_editor()
        if editor is None or not hasattr(editor, "view"):
            return None
        view, scene, pipeline = editor.view, editor.scene, editor.pipeline
        viewport = view.viewport()

        def to_global(point: QPointF) -> list[int]:
            p: QPoint = viewport.mapToGlobal(view.mapFromScene(point))
            return [p.x(), p.y()]

        nodes = []
        for node_id, item in scene.node_items.items():
            body = item.mapRectToScene(item.shape_info.rect)
            top_left, bottom_right = to_global(body.topLeft()), to_global(body.bottomRight())
            nodes.append(
                {
                    "id": node_id,
                    "type": item.type_id,
                    "title": item.title,
                    "status": str(getattr(item.status, "value", item.status)),
                    "rect": [
                        *top_left,
                        bottom_right[0] - top_left[0],
                        bottom_right[1] - top_left[1],
                    ],
                    "ports": [
                        {
                            "name": slot.name,
                            "output": slot.output,
                            "pos": to_global(item.mapToScene(slot.pos)),
                        }
                        for slot in item.shape_info.slots
                    ],
                }
            )
        links = [
            {
                "source": lk.source,
                "source_port": lk.source_port,
                "target": lk.target,
                "target_port": lk.target_port,
            }
            for lk in pipeline.links.values()
        ]
        return {
            "pipeline": pipeline.name,
            "viewport": _rect(viewport),
            "visible": viewport.isVisible(),
            "zoom": view.transform().m11(),
            "nodes": nodes,
            "links": links,
        }

    def _dock_tabs(self) -> dict[str, list[int]]:
        """Global rectangles of the tabs of tabified docks, by their text."""
        out: dict[str, list[int]] = {}
        for bar in self.window.findChildren(QTabBar):
            if bar.parent() is not self.window or not bar.isVisible():
                continue
            for i in range(bar.count()):
                out[bar.tabText(i).replace("&", "")] = _rect(bar, bar.tabRect(i))
        return out

    def _maturity(self) -> dict[str, Any]:
        win = self.window
        view = win.maturity
        return {
            "visible": win.maturity_dock.isVisible()
            and not win.maturity_dock.visibleRegion().isEmpty(),
            "built": view is not None,
            "header": view.header.text() if view is not None else "",
            "summary": view.summary.text() if view is not None else "",
        }
