"""Every action of the main window, declared in one place: text, shortcut and tip.

:class:`WindowActions` only makes the actions; the window connects them to its controllers
and :mod:`mlops_desktop.qt.window.menus` places them in the menus and the toolbar. The
current editor's own actions (cut, copy, zoom, layout...) are not here: the menus show them
for the current tab.
"""

from __future__ import annotations

from PySide6.QtGui import QAction, QActionGroup, QKeySequence, QUndoGroup
from PySide6.QtWidgets import QWidget

from mlops_desktop.core.lifecycle import lifecycles
from mlops_desktop.core.vendors import catalogue
from mlops_desktop.qt.theme import MODE_LABELS, MODES

LENS_LABELS: dict[str | None, str] = {
    None: "None",
    **{lens.id: lens.label for lens in catalogue().lenses()},
}


def _action(
    parent: QWidget,
    text: str,
    shortcut: QKeySequence.StandardKey | str | None = None,
    tip: str = "",
) -> QAction:
    action = QAction(text, parent)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    if tip:
        action.setStatusTip(tip)
        action.setToolTip(tip)
    return action


class WindowActions:
    """The window's actions (File, Edit, View, Run, Help, lenses, themes)."""

    def __init__(self, parent: QWidget, undo_group: QUndoGroup, theme_mode: str) -> None:
        sk = QKeySequence.StandardKey
        a = _action
        self.new_project = a(
            parent, "&New project…", sk.New, "Create a project from a lifecycle template"
        )
        self.open_workspace = a(
            parent, "&Open workspace…", sk.Open, "Open or create a workspace file"
        )
        self.import_pipeline = a(
            parent, "&Import pipeline…", None, "Add a pipeline JSON file to the current project"
        )
        self.import_cloud = a(
            parent,
            "Import &cloud pipeline…",
            None,
            "Import an Azure ML, Vertex AI / Kubeflow or SageMaker pipeline definition "
            "(or drop the file onto the window)",
        )
        self.import_mlflow = a(
            parent,
            "Import &MLflow runs…",
            None,
            "Bring an MLflow tracking store's runs into the project",
        )
        self.export_pipeline = a(
            parent, "&Export pipeline…", "Ctrl+Shift+E", "Write the open pipeline as a JSON file"
        )
        self.export_image = a(parent, "Export &image…", None, "Save the canvas as PNG or SVG")
        self.export_report = a(
            parent,
            "Export &report…",
            "Ctrl+Shift+R",
            "Write an HTML or PDF report of the project: pipeline, runs, plots and maturity",
        )
        self.cleanup = a(
            parent,
            "Clean &up workspace…",
            None,
            "Delete the artifact files that no run, cache entry or model refers to any more",
        )
        self.close_tab = a(parent, "&Close tab", "Ctrl+W")
        self.quit = a(parent, "&Quit", "Ctrl+Q")
        self.quit.setMenuRole(QAction.MenuRole.QuitRole)
        self.undo = undo_group.createUndoAction(parent, "&Undo")
        self.undo.setShortcut(QKeySequence("Ctrl+Z"))
        self.redo = undo_group.createRedoAction(parent, "&Redo")
        self.redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.validate = a(
            parent,
            "&Validate pipeline",
            "Ctrl+Shift+V",
            "List every problem of the open pipeline",
        )
        self.run = a(parent, "&Run pipeline", "F5", "Run the open pipeline (F5)")
        self.run_selected = a(
            parent,
            "Run &selected stages",
            "F6",
            "Run only the selected stages, using what earlier runs stored for their inputs",
        )
        self.run_from = a(
            parent,
            "Run &from selected stage",
            "Shift+F6",
            "Run the selected stage and everything downstream of it",
        )
        self.run_force = a(
            parent,
            "Run &without cache",
            "Ctrl+F5",
            "Run every stage again instead of reusing cached outputs",
        )
        self.cancel_run = a(
            parent, "&Cancel run", "Shift+F5", "Stop the run that is going on (Shift+F5)"
        )
        self.cancel_run.setEnabled(False)
        self.shortcuts = a(
            parent, "&Keyboard shortcuts", "Ctrl+/", "Every keyboard shortcut of the menus"
        )
        self.about = a(parent, "&About MLOps Desktop")
        self.about.setMenuRole(QAction.MenuRole.AboutRole)
        self.reset_layout = a(parent, "Reset &layout")
        self.user_guide = a(parent, "&User guide", "F1", "Open the user guide")
        self.start_here = a(parent, "&Start here")
        self.lens_group = QActionGroup(parent)
        self.lens_group.setExclusive(True)
        self.lens: dict[str | None, QAction] = {}
        ids: list[str | None] = [None, *(lc.id for lc in lifecycles())]
        for i, lens in enumerate(ids):
            act = QAction(LENS_LABELS.get(lens, lens or "None"), parent)
            act.setCheckable(True)
            act.setShortcut(QKeySequence(f"Ctrl+{i}"))
            title = next(
                (lc.title for lc in lifecycles() if lc.id == lens), "No lens: the plain canvas"
            )
            act.setToolTip(f"{title} ({act.shortcut().toString()})")
            act.setStatusTip(title)
            act.setData(lens)
            self.lens_group.addAction(act)
            self.lens[lens] = act
        self.lens[None].setChecked(True)
        self.theme_group = QActionGroup(parent)
        self.theme: dict[str, QAction] = {}
        for mode in MODES:
            act = QAction(MODE_LABELS[mode], parent)
            act.setCheckable(True)
            self.theme_group.addAction(act)
            self.theme[mode] = act
        self.theme[theme_mode].setChecked(True)

    def needing_a_pipeline(self) -> tuple[QAction, ...]:
        """The commands that work on the open pipeline (off while no tab is open)."""
        return (self.validate, self.export_pipeline, self.export_image, self.export_report)
