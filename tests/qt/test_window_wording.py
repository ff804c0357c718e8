"""What the window says: the Start here banner, the lens legend, the Help menu's user guide."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QDesktopServices

from mlops_desktop.qt import dialogs
from mlops_desktop.qt.main_window import MainWindow
from mlops_desktop.qt.window.session import SAMPLE_PROJECT


@pytest.fixture
def window(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.resize(1440, 900)
    win.show()
    assert win.open_workspace(str(tmp_path / "workspace.db"))
    yield win
    win.close()


def test_start_here_names_the_users_own_project_and_the_current_lens(window) -> None:
    window.set_lens(None)
    window.browser.create_project("churn", template="google")
    window.show_start_here()
    text = window.start_here_text.text()
    assert "sample" not in text.lower() and "churn" in text
    assert "Google" not in text.replace("AWS, Google, Azure", "")
    window.set_lens("aws")
    assert "The AWS lens" in window.start_here_text.text()
    window.browser.create_project(SAMPLE_PROJECT, template="google")
    assert "This sample pipeline" in window.start_here_text.text()


def test_the_lens_legend_uses_the_right_article(window) -> None:
    window.browser.create_project("demo", template="aws")
    window.set_lens("aws")
    lines = window.current_editor().view.lens_legend_lines()
    assert "Every stage has an AWS phase" in lines
    window.set_lens("google")
    assert (
        "Every stage has a Google Cloud phase" in window.current_editor().view.lens_legend_lines()
    )


def test_help_menu_opens_the_user_guide(window, monkeypatch) -> None:
    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    assert window.acts.user_guide in window.menuBar().actions()[-1].menu().actions()
    window.acts.user_guide.trigger()
    assert opened and opened[0] == dialogs.user_guide_url()
    url = opened[0]
    assert url.toString().endswith("user-guide.md")
    if url.isLocalFile():
        assert "## 1." in Path(url.toLocalFile()).read_text(encoding="utf-8")
