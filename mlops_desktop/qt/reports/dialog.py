"""File -> Export report...: choose a file (the format follows its extension), the lifecycle
lens and the run, then write the HTML or PDF report with a progress bar.

The main window calls :func:`show_export_report_dialog`. The report is gathered (reads
and the assessment: over a second for 10,000 runs) on a reader thread while the dialog
keeps painting its progress; the figures are then drawn and the file written on the GUI
thread, which the progress callback keeps painting between steps.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QEventLoop, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.errors import MlopsError
from mlops_desktop.core.vendors import catalogue
from mlops_desktop.qt.background import BackgroundReads

if TYPE_CHECKING:
    from mlops_desktop.qt.reports.pdf import Progress
    from mlops_desktop.reports.model import ReportData

LENSES = tuple((v.id, v.title) for v in catalogue().vendors)  # ("google", "Google Cloud")...
FILTERS = "PDF document (*.pdf);;Web page, self-contained (*.html)"
MAX_RUNS_LISTED = 200


def _safe_file_name(name: str) -> str:
    import re

    cleaned = re.sub(r"[^\w\- ]+", "_", name).strip(" _")
    cleaned = re.sub(r"[\s_]+", "-", cleaned).strip("-")
    return cleaned or "project"


class ExportReportDialog(QDialog):
    """Pick where and how to write a project's report, then write it."""

    report_written = Signal(str)  # the path written
    _gathering = Signal(float, str)  # progress of the gathering, from the reader thread

    def __init__(
        self,
        workspace: Any,
        project: str,
        parent: QWidget | None = None,
        *,
        lens: str | None = None,
        registry: Any = None,
        folder: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.project = project
        self.registry = registry
        self.written: Path | None = None
        self._reads = BackgroundReads("mlops-report-read", self)
        self._gathering.connect(self._show_progress)  # queued: it comes from the reader
        self.setWindowTitle("Export report")
        self.setMinimumWidth(520)

        intro = QLabel(
            f"Write a report of <b>{_html_text(project)}</b> that a manager can read: the "
            "pipeline, runs, plots, models and the maturity assessment."
        )
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)

        start = Path(folder or os.path.expanduser("~")) / f"{_safe_file_name(project)}-report.pdf"
        self.path_edit = QLineEdit(str(start))
        self.path_edit.setToolTip("The format follows the extension: .pdf or .html")
        browse = QPushButton("Browse…")
        browse.setAutoDefault(False)  # Enter in the path field exports, it does not browse
        browse.clicked.connect(self._on_browse_clicked)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)

        self.lens_combo = QComboBox()
        for lens_id, title in LENSES:
            self.lens_combo.addItem(title, lens_id)
        self._select_lens(lens)

        self.run_combo = QComboBox()
        self._fill_runs()

        form = QFormLayout()
        form.addRow("File:", path_row)
        form.addRow("Lifecycle lens:", self.lens_combo)
        form.addRow("Run:", self.run_combo)

        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.progress.setVisible(False)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton(
            "Export", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.open_button = self.buttons.addButton(
            "Open report", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.open_button.setVisible(False)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self._on_export_clicked)
        self.open_button.clicked.connect(self._on_open_clicked)
        self.close_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addSpacing(6)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.export_button.setDefault(True)  # after the box is in the dialog, or Qt picks Browse

    # ------------------------------------------------------------------ set-up
    def _select_lens(self, lens: str | None) -> None:
        if lens is None:
            try:
                template = self.workspace.projects.get(self.project).template
            except MlopsError:
                template = ""
            lens = template if template in dict(LENSES) else catalogue().default
        index = self.lens_combo.findData(lens)
        self.lens_combo.setCurrentIndex(max(index, 0))

    def _fill_runs(self) -> None:
        self.run_combo.addItem("Latest run", None)
        try:
            proj = self.workspace.projects.get(self.project)
            runs = self.workspace.runs.list(proj.id, limit=MAX_RUNS_LISTED)
        except MlopsError:
            runs = []
        for run in runs:
            when = run.started_at or run.created_at
            stamp = when.strftime("%Y-%m-%d %H:%M") if when else ""
            self.run_combo.addItem(f"{run.label}  {run.status}  {stamp}  ({run.trigger})", run.id)
        self.run_combo.setEnabled(bool(runs))

    # ----------------------------------------------------------------- values
    def path(self) -> str:
        return self.path_edit.text().strip()

    def lens(self) -> str:
        return str(self.lens_combo.currentData())

    def run_id(self) -> int | None:
        value = self.run_combo.currentData()
        return int(value) if value is not None else None

    # ------------------------------------------------------------------ slots
    def _on_browse_clicked(self) -> None:
        chosen, selected = QFileDialog.getSaveFileName(self, "Export report", self.path(), FILTERS)
        if not chosen:
            return
        if not Path(chosen).suffix:
            chosen += ".html" if "html" in selected else ".pdf"
        self.path_edit.setText(chosen)

    def _on_progress(self, fraction: float, message: str) -> None:
        self._show_progress(fraction, message)
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)

    def _show_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(round(100 * max(0.0, min(1.0, fraction)))))
        self.status.setText(message)

    def reject(self) -> None:
        if self.progress.isVisible() and not self.export_button.isEnabled():
            return  # writing: Escape or the title bar's close waits for the end
        super().reject()

    def _on_export_clicked(self) -> None:
        self.export()

    def _on_open_clicked(self) -> None:
        if self.written is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.written)))

    # ------------------------------------------------------------------ work
    def export(self) -> Path | None:
        """Write the report with the chosen settings; shows the outcome in the dialog."""
        from mlops_desktop.qt.reports.pdf import export_report, report_format

        path = self.path()
        try:
            if not path:
                raise MlopsError("choose a file for the report")
            report_format(path)
        except MlopsError as exc:
            self._show_error(str(exc))
            return None
        self._set_busy(True)
        try:
            self.written = export_report(
                self.workspace,
                self.project,
                path,
                run_id=self.run_id(),
                lens=self.lens(),
                progress=self._on_progress,
                registry=self.registry,
                build_in=self._gather_on_reader,
            )
        except MlopsError as exc:
            self._show_error(str(exc))
            return None
        except Exception as exc:  # noqa: BLE001 - the dialog reports, never crashes the app
            self._show_error(f"{type(exc).__name__}: {exc}")
            return None
        finally:
            self._set_busy(False)
        self.progress.setValue(100)
        self.status.setStyleSheet("")
        self.status.setText(f"Saved to {self.written}")
        self.open_button.setVisible(True)
        self.export_button.setText("Export again")
        self.close_button.setText("Close")
        self.adjustSize()
        self.report_written.emit(str(self.written))
        return self.written

    def _gather_on_reader(self, gather: Callable[[Progress], ReportData]) -> ReportData:
        """Run ``gather`` on a reader thread and wait for it in a local event loop: the
        dialog paints its progress meanwhile (the dialog is modal, and its buttons are
        off while it writes). Its exception is raised here."""
        loop = QEventLoop(self)
        got: list[Any] = []

        def arrived(number: int, result: Any) -> None:
            if number == self._reads.number:
                got.append(result)
                loop.quit()

        self._reads.arrived.connect(arrived)
        try:
            self._reads.start(lambda: gather(self._gathering.emit))
            if not got:
                loop.exec()
        finally:
            self._reads.arrived.disconnect(arrived)
        if isinstance(got[0], BaseException):
            raise got[0]
        return got[0]

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.export_button, self.close_button, self.path_edit, self.lens_combo):
            widget.setEnabled(not busy)
        self.run_combo.setEnabled(not busy and self.run_combo.count() > 1)
        if busy:
            self.progress.setVisible(True)
            self.progress.setValue(0)
            self.open_button.setVisible(False)
            self.setCursor(Qt.CursorShape.BusyCursor)
        else:
            self.unsetCursor()

    def _show_error(self, message: str) -> None:
        self.progress.setVisible(False)
        self.open_button.setVisible(False)
        self.status.setStyleSheet("color: #b42318;")
        self.status.setText(f"Could not write the report: {message}")
        self.adjustSize()


def _html_text(text: str) -> str:
    from html import escape

    return escape(text, quote=True)


def show_export_report_dialog(
    parent: QWidget | None,
    workspace: Any,
    project: str,
    *,
    lens: str | None = None,
    registry: Any = None,
    folder: str | None = None,
) -> Path | None:
    """Run the Export report dialog for ``project``; the path written, or None.

    ``lens``: preselected lifecycle lens (default: the project's template); ``folder``: where
    the file is proposed (default: the home folder)."""
    dialog = ExportReportDialog(
        workspace, project, parent, lens=lens, registry=registry, folder=folder
    )
    dialog.exec()
    return dialog.written
