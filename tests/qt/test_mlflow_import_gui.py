"""File → Import MLflow runs…: progress while importing, Cancel keeps what was written."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from mlops_desktop.app import mlflow_import
from mlops_desktop.qt.imports.mlflow_dialog import MlflowImportDialog
from mlops_desktop.qt.main_window import MainWindow

pytest.importorskip("mlflow")
# MLflow's own store code warns about SQLAlchemy and pydantic deprecations
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")

RUNS = 3


def _client(uri: str):  # noqa: ANN202
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from mlflow.tracking import MlflowClient
    return MlflowClient(tracking_uri=uri)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    """An MLflow SQLite store with three finished runs (made once: MLflow is slow to set up)."""
    from mlflow.entities import Metric, Param

    warnings.simplefilter("ignore", DeprecationWarning)  # module-scoped: before the marks apply
    path = tmp_path_factory.mktemp("mlflow") / "mlflow.db"
    c = _client(f"sqlite:///{path}")
    exp = c.create_experiment("sweep")
    for i in range(RUNS):
        run = c.create_run(exp, start_time=1_700_000_000_000 + i)
        c.log_batch(
            run.info.run_id,
            metrics=[Metric("loss", 1.0 / (s + 1 + i), 1_700_000_000_000 + s, s) for s in range(5)],
            params=[Param("alpha", str(i))],
        )
        c.set_terminated(run.info.run_id, "FINISHED")
    return path


@pytest.fixture
def window(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    assert win.open_workspace(str(tmp_path / "workspace.db"))
    win.browser.create_project("demo", template="blank")
    yield win
    win.close()


def _dialog(window: MainWindow, qtbot) -> MlflowImportDialog:
    window.acts.import_mlflow.trigger()
    dialogs = window.findChildren(MlflowImportDialog)
    assert len(dialogs) == 1
    dialog = dialogs[0]
    assert dialog.isVisible()
    return dialog


def test_menu_imports_with_progress_and_lists_the_runs(window, qtbot, tmp_path, store) -> None:
    assert window.acts.import_mlflow in window.menuBar().actions()[0].menu().actions()
    path = tmp_path / "store.db"
    shutil.copyfile(store, path)
    dialog = _dialog(window, qtbot)
    dialog.uri_edit.setText(str(path))  # a .db file is read as MLflow's SQLite store
    seen: list[tuple[int, int]] = []
    dialog._progressed.connect(lambda a, b: seen.append((a, b)))
    with qtbot.waitSignal(dialog.imported, timeout=60000) as got:
        dialog.import_button.click()
        assert dialog.running and not dialog.import_button.isEnabled()
    assert got.args == ["demo", RUNS]
    assert seen and seen[-1] == (RUNS, 0)
    assert dialog.progress.value() == RUNS and dialog.progress.maximum() == RUNS
    assert "3 run(s)" in dialog.status.text() or "imported" in dialog.status.text()
    project = window.workspace.projects.get("demo")
    runs = window.workspace.runs.list(project.id)
    assert len(runs) == RUNS
    qtbot.waitUntil(lambda: window.runs_panel.model.rowCount() == RUNS, timeout=20000)

    # importing again skips every run already here
    seen.clear()
    dialog.import_button.click()
    qtbot.waitUntil(lambda: not dialog.running, timeout=60000)
    assert seen[-1] == (0, RUNS)
    assert len(window.workspace.runs.list(project.id)) == RUNS
    assert dialog.cancel_button.text() == "Close"
    dialog.cancel_button.click()
    assert not dialog.isVisible()


def test_cancel_keeps_the_pages_written_and_a_new_import_goes_on(
    window, qtbot, tmp_path, store, monkeypatch
) -> None:
    monkeypatch.setattr(mlflow_import, "PAGE", 1)  # one run per page and transaction
    path = tmp_path / "store.db"
    shutil.copyfile(store, path)
    dialog = _dialog(window, qtbot)
    dialog.uri_edit.setText(f"sqlite:///{path}")
    with qtbot.waitSignal(dialog.imported, timeout=60000) as got:
        dialog.import_button.click()
        assert dialog.cancel_button.text() == "Cancel"
        dialog.cancel_button.click()  # stops after the page being written
    assert got.args == ["demo", 1]
    assert "Cancelled" in dialog.status.text()
    project = window.workspace.projects.get("demo")
    assert len(window.workspace.runs.list(project.id)) == 1
    assert dialog.import_button.isEnabled()

    with qtbot.waitSignal(dialog.imported, timeout=60000) as got:
        dialog.import_button.click()
    assert got.args == ["demo", RUNS - 1]
    assert len(window.workspace.runs.list(project.id)) == RUNS
    dialog.close()


def test_a_wrong_store_is_said_in_the_dialog(window, qtbot, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    dialog = _dialog(window, qtbot)
    dialog.uri_edit.setText("")
    dialog.import_button.click()
    assert not dialog.running and "tracking URI" in dialog.status.text()
    missing = tmp_path / "missing" / "nope.db"
    dialog.uri_edit.setText(f"sqlite:///{missing}")
    dialog.import_button.click()
    assert not dialog.running and dialog.status.text() == f"No MLflow store at {missing}"
    assert not missing.parent.exists()  # nothing made beside it
    dialog.uri_edit.setText("http://127.0.0.1:9/")  # no server answers there
    dialog.import_button.click()
    qtbot.waitUntil(lambda: not dialog.running, timeout=120000)
    assert dialog.status.text().startswith("Import stopped:")
    assert window.workspace.runs.list(window.workspace.projects.get("demo").id) == []
    dialog.close()
