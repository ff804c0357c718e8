"""File commands of the main window: import and export pipelines, export the canvas as an
image and the project as a report, clean up the workspace's unreferenced artifact files.

A mixin of :class:`mlops_desktop.qt.main_window.MainWindow`.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog

from mlops_desktop.core.errors import MlopsError
from mlops_desktop.qt import dialogs


class FileCommandsMixin:
    """Import, export, export image, export report, clean up."""

    def clean_up_workspace(self, ask: bool = True) -> int:
        """Show what unreferenced artifact files take, then delete them after confirmation.
        Returns the bytes freed."""
        if self.service is None:
            return 0
        from mlops_desktop.core.units import format_size

        try:
            preview = self.service.collect_garbage(dry_run=True)
        except (MlopsError, OSError) as exc:
            dialogs.show_error(self, f"Cannot look at the artifact files: {exc}")
            return 0
        later = (
            f" {preview.young:,} more file(s) written in the last hour are kept for now "
            "(a run in another process may still record them)."
            if preview.young
            else ""
        )
        if preview.removed == 0:
            self.show_message("Nothing to clean up: every artifact file is in use." + later)
            return 0
        if ask and not dialogs.confirm(
            self,
            "Clean up workspace",
            f"Delete {preview.removed:,} artifact file(s) that nothing refers to any more "
            f"({format_size(preview.bytes_freed)})?",
            "Delete files",
            "They were left by deleted runs and purged projects. Runs, models and cached "
            "results in use are not touched." + later,
        ):
            return 0
        try:
            done = self.service.collect_garbage()
        except (MlopsError, OSError) as exc:
            dialogs.show_error(self, f"Cannot clean up: {exc}")
            return 0
        self.show_message(f"Cleaned up the workspace: {self.service.describe_freed(done)}")
        return done.bytes_freed

    def _on_import_triggered(self) -> None:
        info = self._current_info()
        project = info["project"] if info else None
        if self.service is None or project is None:
            self.show_message("Open a pipeline of the project to import into first", error=True)
            return
        path, _ = QFileDialog.getOpenFileName(self, "Import pipeline", "", "Pipelines (*.json)")
        if not path:
            return
        try:
            imported = self.service.import_pipeline(project, path)
        except MlopsError as exc:
            dialogs.show_error(self, f"Cannot import {path}: {exc}")
            return
        self.browser.refresh()
        self.open_pipeline(project, imported.name)

    def _on_export_triggered(self) -> None:
        info = self._current_info()
        if info is None or self.service is None:
            return
        path, chosen = QFileDialog.getSaveFileName(
            self,
            "Export pipeline",
            f"{info['name']}.json",
            "Pipelines (*.json);;Runnable Python script (*.py)",
        )
        if path:
            fmt = "python" if path.endswith(".py") or chosen.startswith("Runnable") else "json"
            assert self.autosaver is not None
            self.autosaver.flush()
            try:
                self.service.export_pipeline(info["project"], info["name"], path, fmt)
            except MlopsError as exc:
                dialogs.show_error(self, f"Cannot export: {exc}")
                return
            self.show_message(f"Exported {info['project']} / {info['name']} to {path}")

    def _on_export_report_triggered(self) -> None:
        info = self._current_info()
        if info is None or self.workspace is None:
            self.show_message("Open a pipeline of the project to report on first", error=True)
            return
        from mlops_desktop.qt.report_dialog import show_export_report_dialog

        assert self.autosaver is not None
        self.autosaver.flush()
        written = show_export_report_dialog(self, self.workspace, info["project"], lens=self._lens)
        if written is not None:
            self.show_message(f"Wrote the report to {written}")

    def _on_export_image_triggered(self) -> None:
        editor = self.current_editor()
        if editor is None:
            return
        path, chosen = QFileDialog.getSaveFileName(
            self, "Export image", "pipeline.png", "PNG image (*.png);;SVG image (*.svg)"
        )
        if not path:
            return
        if path.lower().endswith(".svg") or "SVG" in chosen:
            editor.export_svg(path if path.lower().endswith(".svg") else path + ".svg")
        else:
            editor.export_png(path)
        self.show_message(f"Saved the canvas to {path}")
