"""Small standard dialogs: errors with details on request, confirmations, About.

Builders (``*_box``) return the dialog without running it, so tests can inspect it; the
``show_*``/``confirm`` helpers run it modally.
"""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, QUrl, qVersion
from PySide6.QtGui import QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMenu,
    QMenuBar,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop import __version__

APP_NAME = "MLOps Desktop"


def error_box(
    parent: QWidget | None, message: str, details: str = "", title: str = ""
) -> QMessageBox:
    """An error dialog: one clear message; the traceback or long text behind "Show Details"."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle(title or f"{APP_NAME}: error")
    box.setText(message)
    if details:
        box.setDetailedText(details)
    box.setStandardButtons(QMessageBox.StandardButton.Close)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return box


def show_error(parent: QWidget | None, message: str, details: str = "", title: str = "") -> None:
    error_box(parent, message, details, title).exec()


def confirm_box(
    parent: QWidget | None, title: str, text: str, action: str, informative: str = ""
) -> QMessageBox:
    """A question whose accepting button names the action ("Delete", "Purge"...)."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(title)
    box.setText(text)
    if informative:
        box.setInformativeText(informative)
    ok = box.addButton(action, QMessageBox.ButtonRole.DestructiveRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setProperty("accept_button", ok)
    return box


def confirm(
    parent: QWidget | None, title: str, text: str, action: str, informative: str = ""
) -> bool:
    """Ask before a destructive action; True only if the user chose ``action``."""
    box = confirm_box(parent, title, text, action, informative)
    box.exec()
    return box.clickedButton() is box.property("accept_button")


def package_version(name: str) -> str:
    """An installed distribution's version without importing it ("not installed" if absent)."""
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def about_text() -> str:
    """Rich text for Help > About: the app's version and those of Qt and scikit-learn."""
    rows = [
        ("MLOps Desktop", __version__),
        ("Qt", qVersion()),
        ("PySide6", pyside_version),
        ("scikit-learn", package_version("scikit-learn")),
        ("Python", platform.python_version()),
    ]
    table = "".join(f"<tr><td>{k}</td><td>&nbsp;&nbsp;<b>{v}</b></td></tr>" for k, v in rows)
    return (
        f"<h3>{APP_NAME} {__version__}</h3>"
        "<p>Design, run and judge your ML lifecycle on your own machine, through the "
        "AWS, Google Cloud and Microsoft Azure lenses.</p>"
        f"<table>{table}</table>"
        "<p>Licensed under the Apache License 2.0.</p>"
    )


def about_box(parent: QWidget | None) -> QMessageBox:
    box = QMessageBox(parent)
    box.setWindowTitle(f"About {APP_NAME}")
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(about_text())
    if parent is not None and not parent.windowIcon().isNull():
        box.setIconPixmap(parent.windowIcon().pixmap(64, 64))
    return box


HOMEPAGE = "https://github.com/mlops-desktop/mlops-desktop"


def user_guide_url() -> QUrl:
    """The user guide: the copy beside the installed sources when there is one (a checkout
    or an editable install), else the one on the project's home page."""
    local = Path(__file__).resolve().parents[2] / "docs" / "user-guide.md"
    if local.is_file():
        return QUrl.fromLocalFile(str(local))
    return QUrl(f"{HOMEPAGE}/blob/main/docs/user-guide.md")


def open_user_guide(parent: QWidget | None) -> bool:
    """Open the user guide in the desktop's browser or viewer; say so if that fails."""
    url = user_guide_url()
    if QDesktopServices.openUrl(url):
        return True
    show_error(parent, f"Could not open the user guide. It is at {url.toString()}")
    return False


def show_about(parent: QWidget | None) -> None:
    about_box(parent).exec()


def shortcut_rows(menu_bar: QMenuBar) -> list[tuple[str, str, str]]:
    """(menu, command, shortcut) of every menu command that has a shortcut."""
    rows: list[tuple[str, str, str]] = []

    def walk(menu: QMenu, path: str) -> None:
        for action in menu.actions():
            sub = action.menu()  # a QMenu in a widgets app (the stub says QObject)
            if isinstance(sub, QMenu):
                walk(sub, f"{path} › {action.text().replace('&', '')}")
            elif not action.isSeparator() and not action.shortcut().isEmpty():
                text = action.text().replace("&", "")
                keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
                rows.append((path, text, keys))

    for top in menu_bar.actions():
        sub = top.menu()
        if isinstance(sub, QMenu):
            walk(sub, top.text().replace("&", ""))
    return rows


def shortcuts_dialog(parent: QWidget, menu_bar: QMenuBar) -> QDialog:
    """A searchable-at-a-glance table of the keyboard shortcuts in the menus."""
    dialog = QDialog(parent)
    dialog.setWindowTitle("Keyboard shortcuts")
    dialog.resize(560, 520)
    rows = shortcut_rows(menu_bar)
    table = QTableWidget(len(rows), 3)
    table.setHorizontalHeaderLabels(["Menu", "Command", "Shortcut"])
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(text))
    table.resizeColumnsToContents()
    table.horizontalHeader().setStretchLastSection(True)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(
        QLabel(
            "Canvas: Tab adds a stage at the cursor, F fits the view, Space or the "
            "middle button pans, the wheel zooms."
        )
    )
    layout.addWidget(table)
    layout.addWidget(buttons)
    return dialog
