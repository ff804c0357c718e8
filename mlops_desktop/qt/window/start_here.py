"""The "start here" banner above the canvas on a first run: what to run, switch and look at,
worded for the open pipeline (the sample or the user's own) and the current lens."""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton

from mlops_desktop.core.lifecycle import lifecycles
from mlops_desktop.qt import colors
from mlops_desktop.qt.window.session import SAMPLE_PROJECT


class StartHereBanner(QFrame):
    """A short banner with a "Got it" button (``dismissed`` when pressed)."""

    dismissed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("start_here")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._restyle()
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        close = QPushButton("Got it")
        close.clicked.connect(self.dismissed)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 10, 6)
        row.addWidget(self.text, 1)
        row.addWidget(close, 0, Qt.AlignmentFlag.AlignVCenter)
        self.hide()

    def _restyle(self) -> None:
        """The banner in the current theme's colours."""
        self.setStyleSheet(
            f"#start_here {{ background: {colors.css('banner_fill')};"
            f" border: 1px solid {colors.css('banner_border')}; border-radius: 6px; }}"
            f"#start_here QLabel {{ color: {colors.css('text')}; }}"
        )

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if hasattr(self, "text") and colors.scheme_changed_for(self, event):
            self._restyle()

    def word_for(self, project: str | None, lens_id: str | None) -> None:
        """Word the banner for the open pipeline's project and the lens."""
        if project == SAMPLE_PROJECT:
            what = "This sample pipeline trains, checks and serves a tumour classifier. "
        elif project:
            what = f"This is <b>{html.escape(project)}</b>. "
        else:
            what = "Open a pipeline from <b>Projects</b>, or create one with <b>File → New project…</b>. "
        lens = next((lc for lc in lifecycles() if lc.id == lens_id), None)
        if lens is None:
            switch = "Switch the <b>lifecycle lens</b> in the toolbar (AWS, Google, Azure)"
        else:
            switch = f"The {html.escape(lens.vendor)} lens shows its stages in that lifecycle's "
            switch += "phases; switch the <b>lifecycle lens</b> in the toolbar for another"
        self.text.setText(
            f"<b>Start here.</b> {what}"
            "<b>1.</b> Press <b>F5</b> to run it and watch each stage. "
            f"<b>2.</b> {switch}. "
            "<b>3.</b> <b>View → Panels</b>: <b>Runs</b> for metrics and plots, <b>Maturity</b> "
            "for your level in each vendor's model. <b>4.</b> <b>File → Export report…</b> "
            "writes it all up. Add stages by dragging them from <b>Stages</b> or pressing "
            "<b>Tab</b> on the canvas."
        )
