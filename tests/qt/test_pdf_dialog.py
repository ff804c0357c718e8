"""The Export report dialog: file, lens and run choices; writing HTML or PDF with progress;
bad file names reported in the dialog without writing anything."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt

from mlops_desktop.app.projects import ProjectService
from mlops_desktop.app.reports import ReportService
from mlops_desktop.app.workspace import Workspace
from mlops_desktop.qt.reports.dialog import ExportReportDialog, _safe_file_name


@pytest.fixture
def workspace(tmp_path):  # noqa: ANN001
    ws = Workspace.open(str(tmp_path / "w.db"))
    ProjectService(ws).create_project("Fraud <i>scoring</i>", template="aws", description="x")
    yield ws
    ws.close()


def test_defaults_follow_the_project(qtbot, workspace, tmp_path):  # noqa: ANN001
    dialog = ExportReportDialog(workspace, "Fraud <i>scoring</i>", folder=str(tmp_path))
    qtbot.addWidget(dialog)
    assert dialog.lens() == "aws"  # the project's template
    assert dialog.run_id() is None and not dialog.run_combo.isEnabled()  # no runs yet
    assert dialog.path().endswith("Fraud-i-scoring-i-report.pdf")
    assert dialog.path().startswith(str(tmp_path))


def test_exports_pdf_and_html_with_progress(qtbot, workspace, tmp_path):  # noqa: ANN001
    dialog = ExportReportDialog(workspace, "Fraud <i>scoring</i>", folder=str(tmp_path))
    qtbot.addWidget(dialog)
    dialog.show()
    seen: list[int] = []
    dialog.progress.valueChanged.connect(seen.append)
    with qtbot.waitSignal(dialog.report_written, timeout=60000) as signal:
        dialog.export_button.click()
    pdf = tmp_path / "Fraud-i-scoring-i-report.pdf"
    assert signal.args == [str(pdf)]
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert seen and seen[-1] == 100 and len(set(seen)) > 2
    assert dialog.open_button.isVisible() and "Saved to" in dialog.status.text()
    dialog.grab().save(str(tmp_path / "dialog.png"))

    dialog.path_edit.setText(str(tmp_path / "r.html"))
    dialog.lens_combo.setCurrentIndex(dialog.lens_combo.findData("azure"))
    assert dialog.export() == tmp_path / "r.html"
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Fraud &lt;i&gt;scoring&lt;/i&gt;" in page and "Azure" in page


def test_the_report_is_gathered_on_a_reader_thread_while_the_dialog_paints(
    qtbot, workspace, tmp_path, monkeypatch
):  # noqa: ANN001
    """A long history takes seconds to gather (10,000 runs: over a second): the reads and
    the assessment run off the GUI thread, their progress reaches the bar, and Escape
    meanwhile does not close the dialog under the report being written."""
    threads: list[str] = []
    real_build = ReportService.build

    def build(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        threads.append(threading.current_thread().name)
        return real_build(self, *args, **kwargs)

    monkeypatch.setattr(ReportService, "build", build)
    dialog = ExportReportDialog(workspace, "Fraud <i>scoring</i>", folder=str(tmp_path))
    qtbot.addWidget(dialog)
    dialog.show()
    seen: list[int] = []
    still_open: list[bool] = []

    def on_value(value: int) -> None:
        seen.append(value)
        if value < 40 and not still_open:  # gathering: the user presses Escape
            qtbot.keyClick(dialog, Qt.Key.Key_Escape)
            still_open.append(dialog.isVisible())

    dialog.progress.valueChanged.connect(on_value)
    assert dialog.export() == tmp_path / "Fraud-i-scoring-i-report.pdf"
    assert threads and threading.main_thread().name not in threads
    assert any(0 < v < 40 for v in seen) and seen[-1] == 100  # the gathering's steps shown
    assert still_open == [True] and dialog.isVisible()
    assert "Saved to" in dialog.status.text()


def test_a_failed_gathering_is_reported_in_the_dialog(qtbot, workspace, tmp_path):  # noqa: ANN001
    dialog = ExportReportDialog(workspace, "Fraud <i>scoring</i>", folder=str(tmp_path))
    qtbot.addWidget(dialog)
    ProjectService(workspace).delete_project("Fraud <i>scoring</i>")  # meanwhile, elsewhere
    assert dialog.export() is None
    assert "Could not write the report" in dialog.status.text()
    assert "Fraud" in dialog.status.text()
    assert dialog.export_button.isEnabled() and list(tmp_path.glob("*.pdf")) == []


def test_bad_file_name_is_reported_in_the_dialog(qtbot, workspace, tmp_path):  # noqa: ANN001
    out = tmp_path / "out"
    out.mkdir()
    dialog = ExportReportDialog(workspace, "Fraud <i>scoring</i>", folder=str(out))
    qtbot.addWidget(dialog)
    for name, message in (("r.docx", "name the file .html or .pdf"), ("", "choose a file")):
        dialog.path_edit.setText(str(out / name) if name else "")
        assert dialog.export() is None
        assert message in dialog.status.text()
        assert not dialog.open_button.isVisible()
    dialog.path_edit.setText(str(out / "nowhere" / "r.pdf"))
    assert dialog.export() is None and "does not exist" in dialog.status.text()
    assert dialog.export_button.isEnabled()
    assert list(out.iterdir()) == []


def test_file_names_from_project_names():
    assert _safe_file_name("Churn model") == "Churn-model"
    assert _safe_file_name("../../etc/passwd") == "etc-passwd"
    assert _safe_file_name("<>") == "project"
