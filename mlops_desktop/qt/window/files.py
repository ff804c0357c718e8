"""File commands of the main window: import and export pipelines, export the canvas as an
image and the project as a report, clean up the workspace's unreferenced artifact files.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog

from mlops_desktop.core.errors import MlopsError
from mlops_desktop.qt import dialogs

if TYPE_CHECKING:
    from mlops_desktop.qt.project_browser import ProjectBrowser
    from mlops_desktop.qt.window.host import OpenWorkspace, WindowHost
    from mlops_desktop.qt.window.tabs import DocumentTabs


class FileCommands:
    """Import, export, export image, export report, clean up."""

    def __init__(
        self,
        host: WindowHost,
        state: OpenWorkspace,
        documents: DocumentTabs,
        browser: ProjectBrowser,
        lens: Callable[[], str | None],
    ) -> None:
        self._host = host
        self._state = state
        self._documents = documents
        self._browser = browser
        self._lens = lens

    def clean_up_workspace(self, ask: bool = True) -> int:
        """Show what unreferenced artifact files take, then delete them after confirmation.
        Returns the bytes freed."""
        service, parent = self._state.service, self._host.window()
        if service is None:
            return 0
        from mlops_desktop.core.units import format_size

        try:
            preview = service.collect_garbage(dry_run=True)
        except (MlopsError, OSError) as exc:
            dialogs.show_error(parent, f"Cannot look at the artifact files: {exc}")
            return 0
        later = (
            f" {preview.young:,} more file(s) written in the last hour are kept for now "
            "(a run in another process may still record them)."
            if preview.young
            else ""
        )
        if preview.removed == 0:
            self._host.show_message("Nothing to clean up: every artifact file is in use." + later)
            return 0
        if ask and not dialogs.confirm(
            parent,
            "Clean up workspace",
            f"Delete {preview.removed:,} artifact file(s) that nothing refers to any more "
            f"({format_size(preview.bytes_freed)})?",
            "Delete files",
            "They were left by deleted runs and purged projects. Runs, models and cached "
            "results in use are not touched." + later,
        ):
            return 0
        try:
            done = service.collect_garbage()
        except (MlopsError, OSError) as exc:
            dialogs.show_error(parent, f"Cannot clean up: {exc}")
            return 0
        self._host.show_message(f"Cleaned up the workspace: {service.describe_freed(done)}")
        return done.bytes_freed

    def import_pipeline(self) -> None:
        tab, service = self._documents.current(), self._state.service
        if service is None or tab is None:
            self._host.show_message(
                "Open a pipeline of the project to import into first", error=True
            )
            return
        path, _ = QFileDialog.getOpenFileName(
            self._host.window(), "Import pipeline", "", "Pipelines (*.json)"
        )
        if not path:
            return
        try:
            imported = service.import_pipeline(tab.project, path)
        except MlopsError as exc:
            dialogs.show_error(self._host.window(), f"Cannot import {path}: {exc}")
            return
        self._browser.refresh()
        self._documents.open(tab.project, imported.name)

    def export_pipeline(self) -> None:
        tab, service = self._documents.current(), self._state.service
        if tab is None or service is None:
            return
        path, chosen = QFileDialog.getSaveFileName(
            self._host.window(),
            "Export pipeline",
            f"{tab.name}.json",
            "Pipelines (*.json);;Runnable Python script (*.py)",
        )
        if path:
            fmt = "python" if path.endswith(".py") or chosen.startswith("Runnable") else "json"
            assert self._state.autosaver is not None
            self._state.autosaver.flush()
            try:
                service.export_pipeline(tab.project, tab.name, path, fmt)
            except MlopsError as exc:
                dialogs.show_error(self._host.window(), f"Cannot export: {exc}")
                return
            self._host.show_message(f"Exported {tab.project} / {tab.name} to {path}")

    def export_report(self) -> None:
        tab, workspace = self._documents.current(), self._state.workspace
        if tab is None or workspace is None:
            self._host.show_message("Open a pipeline of the project to report on first", error=True)
            return
        from mlops_desktop.qt.reports.dialog import show_export_report_dialog

        assert self._state.autosaver is not None
        self._state.autosaver.flush()
        written = show_export_report_dialog(
            self._host.window(), workspace, tab.project, lens=self._lens()
        )
        if written is not None:
            self._host.show_message(f"Wrote the report to {written}")

    def export_image(self) -> None:
        editor = self._documents.current_editor()
        if editor is None:
            return
        path, chosen = QFileDialog.getSaveFileName(
            self._host.window(),
            "Export image",
            "pipeline.png",
            "PNG image (*.png);;SVG image (*.svg)",
        )
        if not path:
            return
        if path.lower().endswith(".svg") or "SVG" in chosen:
            editor.export_svg(path if path.lower().endswith(".svg") else path + ".svg")
        else:
            editor.export_png(path)
        self._host.show_message(f"Saved the canvas to {path}")
