"""The human gate of the Approve stage: a dialog to approve or reject a model version with a
comment, and the approvals service that asks it from a run's worker thread.

:class:`DialogApprovalProvider` implements
:class:`mlops_desktop.core.operate_entities.ApprovalProvider`: the stage's worker thread
calls :meth:`~DialogApprovalProvider.request`, which shows an :class:`ApprovalDialog` on the
GUI thread (never modal to the whole app: the window stays usable) and waits for the answer,
checking meanwhile whether the run was cancelled.
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6 import QtCore, QtWidgets

from mlops_desktop.core.operate_entities import ApprovalDecision, ApprovalRequest

KEY_METRICS = ("accuracy", "f1", "roc_auc", "precision", "recall", "r2", "rmse", "mae")


def default_approver() -> str:
    from mlops_desktop.app.registry import current_user

    return current_user()


class ApprovalDialog(QtWidgets.QDialog):
    """Approve or Reject a model version, with the approver's name and a comment."""

    decided = QtCore.Signal(object)  # ApprovalDecision

    def __init__(self, request: ApprovalRequest, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.request = request
        self.decision: ApprovalDecision | None = None
        self._closing_for_cancel = False  # the run withdrew the request: close without asking
        version = request.version
        self.setWindowTitle(f"Approve {version.label}?")
        self.setMinimumWidth(460)
        title = QtWidgets.QLabel(
            f"<b>{html.escape(version.label)}</b> waits for your decision (run #{request.run_id})."
        )
        title.setWordWrap(True)
        facts = QtWidgets.QLabel(self._facts_html())
        facts.setWordWrap(True)
        facts.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.approver = QtWidgets.QLineEdit(default_approver())
        self.comment = QtWidgets.QPlainTextEdit()
        self.comment.setPlaceholderText("Why you approve or reject (kept with the version)")
        self.comment.setFixedHeight(80)
        form = QtWidgets.QFormLayout()
        form.addRow("Approver", self.approver)
        form.addRow("Comment", self.comment)
        self.approve_button = QtWidgets.QPushButton("Approve")
        self.reject_button = QtWidgets.QPushButton("Reject")
        self.approve_button.setDefault(True)
        self.approve_button.clicked.connect(self._on_approve_button_clicked)
        self.reject_button.clicked.connect(self._on_reject_button_clicked)
        self.approver.textChanged.connect(self._on_approver_text_changed)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.reject_button)
        buttons.addWidget(self.approve_button)
        box = QtWidgets.QVBoxLayout(self)
        box.addWidget(title)
        box.addWidget(facts)
        box.addLayout(form)
        box.addLayout(buttons)

    def _facts_html(self) -> str:
        version = self.request.version
        metrics = [(k, version.metrics[k]) for k in KEY_METRICS if k in version.metrics][:4]
        rows = "".join(
            f"<tr><td>{html.escape(k)}</td><td align='right'>{v:.4f}</td></tr>" for k, v in metrics
        )
        parts = [
            f"Task: {html.escape(version.task or 'unknown')}; "
            f"{len(version.feature_names)} features; registered "
            f"{version.created_at.astimezone():%Y-%m-%d %H:%M}."
        ]
        if rows:
            parts.append(f"<table cellspacing='6'>{rows}</table>")
        if self.request.summary:
            parts.append(html.escape(self.request.summary))
        if self.request.deadline is not None:
            when = datetime.fromtimestamp(self.request.deadline).strftime("%H:%M")
            parts.append(
                f"<i>Without a decision by {when} the run follows its policy: "
                f"{html.escape(self.request.fallback or 'reject')}.</i>"
            )
        return "<br>".join(parts)

    def _on_approver_text_changed(self, text: str) -> None:
        ok = bool(text.strip())
        self.approve_button.setEnabled(ok)
        self.reject_button.setEnabled(ok)

    def _decide(self, approved: bool) -> None:
        self.decision = ApprovalDecision(
            approved, self.approver.text().strip(), self.comment.toPlainText().strip()
        )
        self.decided.emit(self.decision)
        self.accept() if approved else self.reject()

    def _on_approve_button_clicked(self) -> None:
        self._decide(True)

    def _on_reject_button_clicked(self) -> None:
        self._decide(False)

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt hook
        """Closing the window without a decision leaves the run waiting (say so)."""
        if self.decision is None and not self._closing_for_cancel:
            event.ignore()
            QtWidgets.QMessageBox.information(
                self,
                "Decision needed",
                "The run waits for Approve or Reject. Cancel the run to stop waiting.",
            )
            return
        super().closeEvent(event)


class _Pending:
    def __init__(self, request: ApprovalRequest) -> None:
        self.request = request
        self.event = threading.Event()
        self.decision: ApprovalDecision | None = None
        self.dialog: ApprovalDialog | None = None


class DialogApprovalProvider(QtCore.QObject):
    """The GUI's approvals service (``ctx.services["approvals"]``)."""

    _asked = QtCore.Signal(object)
    _withdrawn = QtCore.Signal(object)
    dialog_shown = QtCore.Signal(object)  # the ApprovalDialog (for the main window, tests)

    def __init__(
        self, parent_widget: QtWidgets.QWidget | None = None, poll_seconds: float = 0.2
    ) -> None:
        super().__init__()
        self._parent_widget = parent_widget
        self._poll = poll_seconds
        self._asked.connect(self._on_self_asked, QtCore.Qt.ConnectionType.QueuedConnection)
        self._withdrawn.connect(self._on_self_withdrawn, QtCore.Qt.ConnectionType.QueuedConnection)

    def request(
        self, request: ApprovalRequest, check_cancelled: Callable[[], None]
    ) -> ApprovalDecision | None:
        """Ask on the GUI thread and wait (called from a worker thread).

        Returns None, and closes the dialog, when the request's deadline passes unanswered.
        """
        pending = _Pending(request)
        self._asked.emit(pending)
        while not pending.event.wait(self._poll):
            try:
                check_cancelled()
            except BaseException:
                self._withdrawn.emit(pending)
                raise
            if request.deadline is not None and time.time() >= request.deadline:
                self._withdrawn.emit(pending)
                # An answer given in the very last moment still counts.
                return pending.decision if pending.event.wait(0.05) else None
        assert pending.decision is not None
        return pending.decision

    def _on_self_asked(self, pending: _Pending) -> None:
        dialog = ApprovalDialog(pending.request, self._parent_widget)
        dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        pending.dialog = dialog

        def answered(decision: ApprovalDecision) -> None:
            pending.decision = decision
            pending.event.set()

        dialog.decided.connect(answered)
        dialog.setWindowModality(QtCore.Qt.WindowModality.NonModal)
        dialog.show()
        dialog.raise_()
        self.dialog_shown.emit(dialog)

    def _on_self_withdrawn(self, pending: _Pending) -> None:
        if pending.dialog is not None and pending.decision is None:
            pending.dialog._closing_for_cancel = True
            pending.dialog.close()
