"""After a failed run, the offer to insert the stage its message names.

When a stage fails saying "add a Feature engineering stage before this one",
:class:`FixOffer` shows a button in the status bar and in the Run panel's header while it
shows that run ("Insert Feature engineering before Train") and says so in the Messages
panel. Clicking it puts that stage on the link feeding
the failed stage of the pipeline that ran, as one undo step. Nothing blocks: the offer
stays until it is used, the next run starts, or that pipeline's tab closes. What a message
asks for is read by :mod:`mlops_desktop.app.stage_fixes`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPointF, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QStatusBar, QToolButton

from mlops_desktop.core.errors import MlopsError

if TYPE_CHECKING:
    from mlops_desktop.app.stage_fixes import StageFix
    from mlops_desktop.qt.runs.view import RunView
    from mlops_desktop.qt.window.host import OpenWorkspace, WindowHost
    from mlops_desktop.qt.window.tabs import DocumentTabs


class FixOffer(QObject):
    """The status bar's "Insert … before …" button for the last failed run."""

    def __init__(
        self,
        host: WindowHost,
        state: OpenWorkspace,
        documents: DocumentTabs,
        status_bar: QStatusBar | None,
    ) -> None:
        super().__init__(documents)
        self._host = host
        self._state = state
        self._documents = documents
        self.fix: StageFix | None = None
        self.pipeline_id: int | None = None
        self.run_id: int | None = None
        self._views: list[tuple[RunView, QToolButton]] = []
        self.action = QAction("Insert stage", self)
        self.action.setEnabled(False)
        self.action.triggered.connect(self.apply)
        self.button = QToolButton()
        self.button.setObjectName("fix_offer_button")
        self.button.setDefaultAction(self.action)
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.button.setAutoRaise(False)
        self.button.setStyleSheet(
            "QToolButton { background: #0f766e; color: white; border-radius: 3px;"
            " padding: 1px 8px; font-weight: 600; }"
        )
        self.button.hide()
        if status_bar is not None:
            status_bar.insertPermanentWidget(0, self.button)
        documents.current_changed.connect(self._on_documents_current_changed)

    def offer(self, run_id: int, pipeline_id: int | None) -> StageFix | None:
        """Look at the failed run ``run_id`` of pipeline ``pipeline_id``: when a failed stage
        names a stage to add, offer to insert it (returns the fix offered)."""
        self.clear()
        tab, workspace = self._documents.get(pipeline_id), self._state.workspace
        if tab is None or workspace is None:
            return None
        from mlops_desktop.app.stage_fixes import run_fixes

        try:
            fixes = run_fixes(workspace, run_id, tab.pipeline)
        except MlopsError:
            return None
        if not fixes:
            return None
        self.fix, self.pipeline_id, self.run_id = fixes[0], pipeline_id, run_id
        self.action.setText(self.fix.label)
        self.action.setToolTip(
            f"{self.fix.label}: put a {self.fix.stage_title} stage on the link into "
            f"'{self.fix.node_title}' (Edit → Undo takes it back)"
        )
        self.action.setEnabled(True)
        self.button.show()
        self._sync_views()
        self._host.show_message(
            f"Fix: {self.fix.label} — the button in the Run panel or at the bottom right"
        )
        return self.fix

    def clear(self) -> None:
        """Withdraw the offer."""
        self.fix, self.pipeline_id, self.run_id = None, None, None
        self.action.setEnabled(False)
        self.button.hide()
        self._sync_views()

    def attach(self, view: RunView) -> None:
        """Offer the insertion in ``view``'s header too, while it shows the failed run."""
        button = QToolButton(view)
        button.setDefaultAction(self.action)
        button.setStyleSheet(self.button.styleSheet())
        view.header_row.addWidget(button, 0, Qt.AlignmentFlag.AlignVCenter)
        self._views.append((view, button))
        view.run_shown.connect(lambda _run_id: self._sync_views())
        self._sync_views()

    def _sync_views(self) -> None:
        for view, button in self._views:
            shown = view.run is not None and view.run.id == self.run_id
            button.setVisible(self.fix is not None and shown)

    def _on_documents_current_changed(self) -> None:
        if self.fix is not None and self._documents.get(self.pipeline_id) is None:
            self.clear()  # the failed pipeline's tab closed: nothing to insert into

    def apply(self) -> str | None:
        """Insert the offered stage (one undo step) and select it; returns its node id."""
        fix, tab = self.fix, self._documents.get(self.pipeline_id)
        self.clear()
        if fix is None:
            return None
        if tab is None:
            self._host.show_message(
                f"Cannot {fix.label.lower()}: the pipeline is not open", error=True
            )
            return None
        pipeline = tab.pipeline
        link = pipeline.links.get(fix.link_id)
        if link is None:
            self._host.show_message(
                f"Cannot {fix.label.lower()}: the pipeline changed since the run", error=True
            )
            return None
        source, target = pipeline.nodes[link.source], pipeline.nodes[link.target]
        at = QPointF((source.x + target.x) / 2, (source.y + target.y) / 2)
        self._documents.tabs.setCurrentWidget(tab.editor)
        node_id = tab.editor.insert_stage_on_link(fix.stage_type, fix.link_id, at, fix.params)
        if node_id is None:
            self._host.show_message(f"Cannot {fix.label.lower()}", error=True)
            return None
        settings = ", ".join(f"{k}={v}" for k, v in fix.params.items())
        self._host.show_message(
            f"Inserted {pipeline.nodes[node_id].title} before {fix.node_title}"
            + (f" ({settings})" if settings else "")
            + ": run again (F5)"
        )
        return node_id
