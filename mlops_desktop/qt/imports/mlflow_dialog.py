"""File → Import MLflow runs…: a team's MLflow history brought into the open project.

The import runs in a worker thread (a page of up to 500 MLflow runs per workspace
transaction, see :mod:`mlops_desktop.app.mlflow_import`); after each page the dialog's
progress bar and line say how many runs were imported and skipped. Cancel stops the import
after the page being written: the pages already written stay, and importing again skips
them and goes on where it stopped.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6 import QtCore, QtWidgets

from mlops_desktop.core.errors import MlopsError

if TYPE_CHECKING:
    from mlops_desktop.app.workspace import Workspace
    from mlops_desktop.qt.main_window import MainWindow


class ImportCancelled(MlopsError):
    """The user cancelled the import (raised between two pages)."""


def tracking_uri(text: str) -> str:
    """What the user typed as an MLflow tracking URI; a path to a ``.db`` file is read as
    MLflow's SQLite store (``sqlite:///path``)."""
    text = text.strip()
    if text and "://" not in text and text.endswith(".db"):
        return f"sqlite:///{Path(text).expanduser().resolve()}"
    return text


class MlflowImportDialog(QtWidgets.QDialog):
    """Asks for the tracking store, imports in the background with progress and Cancel."""

    imported = QtCore.Signal(str, int)  # project, runs imported (also after a cancel)
    _progressed = QtCore.Signal(int, int)  # imported, skipped so far
    _done = QtCore.Signal(object, str)  # result (or None), error text

    def __init__(
        self, workspace: Workspace, project: str, parent: QtWidgets.QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import MLflow runs")
        self._ws = workspace
        self._project = project
        self._cancel = threading.Event()
        self._pool = QtCore.QThreadPool(self)  # a child: its destructor waits for the worker
        self._pool.setMaxThreadCount(1)
        self._running = False
        self._last = (0, 0)

        self.uri_edit = QtWidgets.QLineEdit()
        self.uri_edit.setPlaceholderText("sqlite:///mlflow.db, http://host:5000 or a .db file")
        browse = QtWidgets.QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.uri_edit, 1)
        row.addWidget(browse)
        self.experiment_edit = QtWidgets.QLineEdit()
        self.experiment_edit.setPlaceholderText("all experiments")
        form = QtWidgets.QFormLayout()
        form.addRow("Into project", QtWidgets.QLabel(project))
        form.addRow("Tracking store", row)
        form.addRow("Experiment", self.experiment_edit)

        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("%v run(s)")
        self.status = QtWidgets.QLabel("Runs already imported are skipped.")
        self.status.setWordWrap(True)
        self.buttons = QtWidgets.QDialogButtonBox()
        self.import_button = self.buttons.addButton(
            "Import", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.cancel_button = self.buttons.addButton(QtWidgets.QDialogButtonBox.StandardButton.Close)
        self.import_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)

        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self._progressed.connect(self._on_progressed)
        self._done.connect(self._on_done)

    # ------------------------------------------------------------------ actions
    @property
    def running(self) -> bool:
        return self._running

    def start(self) -> None:
        """Start importing from the typed tracking store (in a worker thread)."""
        uri = tracking_uri(self.uri_edit.text())
        if not uri:
            self.status.setText("Type an MLflow tracking URI or choose its .db file.")
            return
        if uri.startswith("sqlite:///") and not Path(uri[len("sqlite:///") :]).is_file():
            # MLflow would make an empty store there (and its folder): say so instead
            self.status.setText(f"No MLflow store at {uri[len('sqlite:///') :]}")
            return
        if self._running:
            return
        self._running = True
        self._cancel.clear()
        self._last = (0, 0)
        self.import_button.setEnabled(False)
        self.uri_edit.setEnabled(False)
        self.experiment_edit.setEnabled(False)
        self.cancel_button.setText("Cancel")
        self.progress.setRange(0, 0)  # busy until the first page is written
        self.status.setText(f"Reading {uri}…")
        experiment = self.experiment_edit.text().strip() or None
        ws, project, cancel = self._ws, self._project, self._cancel
        progressed, done = self._progressed, self._done

        def progress(imported: int, skipped: int) -> None:
            progressed.emit(imported, skipped)
            if cancel.is_set():
                raise ImportCancelled("import cancelled")

        def work() -> None:
            try:
                from mlops_desktop.app.mlflow_bridge import import_runs

                result = import_runs(ws, project, uri, experiment, progress)
            except ImportCancelled:
                done.emit(None, "")
            except Exception as exc:  # noqa: BLE001 - shown in the dialog, nothing is lost
                done.emit(None, str(exc) or type(exc).__name__)
            else:
                done.emit(result, "")

        self._pool.start(work)

    def cancel(self) -> None:
        """Stop after the page being written (what is written stays)."""
        if self._running:
            self._cancel.set()
            self.cancel_button.setEnabled(False)
            self.status.setText("Cancelling after the page being written…")

    def wait(self, msecs: int = 30000) -> bool:
        return self._pool.waitForDone(msecs)

    # ------------------------------------------------------------------ slots
    def _browse(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "MLflow tracking store", "", "MLflow SQLite store (*.db);;All files (*)"
        )
        if path:
            self.uri_edit.setText(tracking_uri(path))

    def _on_cancel_clicked(self) -> None:
        if self._running:
            self.cancel()
        else:
            self.reject()

    def _on_progressed(self, imported: int, skipped: int) -> None:
        self._last = (imported, skipped)
        handled = imported + skipped
        self.progress.setRange(0, max(handled, 1))
        self.progress.setValue(handled)
        self.status.setText(f"Imported {imported} run(s), skipped {skipped} already here…")

    def _on_done(self, result: Any, error: str) -> None:
        self._running = False
        self.import_button.setEnabled(True)
        self.uri_edit.setEnabled(True)
        self.experiment_edit.setEnabled(True)
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Close")
        imported, skipped = self._last
        if result is not None:
            imported, skipped = len(result.copied), result.skipped
        self.progress.setRange(0, max(imported + skipped, 1))
        self.progress.setValue(imported + skipped)
        if error:
            self.status.setText(f"Import stopped: {error} ({imported} run(s) imported before)")
        elif result is None:
            self.status.setText(
                f"Cancelled: {imported} run(s) imported and kept; importing again goes on "
                "where it stopped."
            )
        else:
            self.status.setText(result.summary("imported"))
        if imported:
            self.imported.emit(self._project, imported)

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        self.cancel()
        self.wait()
        super().closeEvent(event)

    def reject(self) -> None:
        self.cancel()
        self.wait()
        super().reject()


def open_dialog(win: MainWindow) -> MlflowImportDialog | None:
    """Open the import dialog for the project of the current tab (refreshing the runs panel
    when runs arrive)."""
    project = win.current_project()
    if win.workspace is None or project is None:
        win.show_message("Open a pipeline of the project to import into first", error=True)
        return None
    dialog = MlflowImportDialog(win.workspace, project, win)
    dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.imported.connect(lambda _p, n: win.show_message(f"{n} MLflow run(s) imported"))
    dialog.imported.connect(lambda _p, _n: win.runs.reload_runs())
    dialog.show()
    return dialog
