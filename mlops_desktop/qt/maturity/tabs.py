"""The per-model tabs of the Maturity view and its questionnaire.

:class:`ModelTab` shows one model's level and reasons, its criteria grouped by level, the
evidence of the selected criterion and the gap list to the next level (with "Apply to
pipeline"); :class:`QuestionnaireTab` asks what the app cannot find out itself. Both are
composed by :class:`mlops_desktop.qt.maturity.view.MaturityView`.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6 import QtGui, QtWidgets
from PySide6.QtCore import Qt, Signal

from mlops_desktop.core.vendors import catalogue
from mlops_desktop.qt import colors
from mlops_desktop.qt.wrapped_tree import wrap_columns

if TYPE_CHECKING:
    from mlops_desktop.core.maturity.scoring import CriterionResult

STATUS_TEXT = {"met": "met", "not_met": "not met", "unknown": "unknown", "suggested": "suggested"}
# a (−) criterion describes the immature state: "met" means it no longer holds
NEGATIVE_TEXT = {
    "met": "no longer true",
    "not_met": "still true",
    "unknown": "unknown",
    "suggested": "no longer true?",
}
STATUS_COLOUR = {
    "met": "#2ca02c",
    "not_met": "#d62728",
    "unknown": "#7f7f7f",
    "suggested": "#ff7f0e",
    "info": "#bbbbbb",
}
MODEL_TABS = tuple((v.model, v.maker) for v in catalogue().by_maturity())  # ("azure", "Microsoft")
SERIES = (*MODEL_TABS, ("crosswalk", "Crosswalk"))
GAP_KIND = {
    "missing": "missing",
    "cap": "still true",
    "answer": "answer needed",
    "confirm": "confirm",
}
ROLE_REF = Qt.ItemDataRole.UserRole + 1
GAP_COLUMN_SHARES = (0.3, 0.42, 0.28)  # gap, action (what to do), pipeline change


def status_text(result: CriterionResult) -> str:
    table = NEGATIVE_TEXT if result.criterion.polarity == "-" else STATUS_TEXT
    return table.get(result.status, result.status)


def _dot(status: str) -> QtGui.QIcon:
    pix = QtGui.QPixmap(12, 12)
    pix.fill(Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(pix)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    painter.setBrush(QtGui.QColor(STATUS_COLOUR.get(status, "#999999")))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(1, 1, 10, 10)
    painter.end()
    return QtGui.QIcon(pix)


def _wrap_label(text: str = "", rich: bool = False) -> QtWidgets.QLabel:
    label = QtWidgets.QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
    label.setOpenExternalLinks(True)
    return label


# ============================================================================= model tab
class ModelTab(QtWidgets.QWidget):
    """Level and reasons, criteria grouped by level, evidence of the selection, the gap list."""

    evidence_activated = Signal(str, str, str)  # kind, ref, pipeline
    fix_clicked = Signal(str)  # fix id

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.level_label = QtWidgets.QLabel()
        self.level_label.setStyleSheet("font-size: 15pt; font-weight: 600;")
        self.reasons = _wrap_label(rich=True)
        self.criteria = QtWidgets.QTreeWidget()
        self.criteria.setHeaderLabels(
            ["Criterion", "Status", "Evidence or what is missing", "Observed"]
        )
        self.criteria.setAlternatingRowColors(True)
        self.criteria.setUniformRowHeights(True)
        self.criteria.header().setStretchLastSection(False)
        self.criteria.header().setSectionResizeMode(2, QtWidgets.QHeaderView.ResizeMode.Stretch)
        self.criteria.setColumnWidth(0, 330)  # room left for the evidence at 1280 px
        self.criteria.setColumnWidth(1, 110)
        self.criteria.setColumnWidth(3, 90)
        self.criteria.currentItemChanged.connect(self._on_criteria_current_changed)
        self.detail = _wrap_label(rich=True)
        self.evidence = QtWidgets.QListWidget()
        self.evidence.setToolTip(
            "Double-click a stage to select it on the canvas, a run to open it"
        )
        self.evidence.itemActivated.connect(self._on_evidence_activated)
        self.gaps = QtWidgets.QTreeWidget()
        self.gaps.setHeaderLabels(["Gap", "Action", "Pipeline change"])
        self.gaps.setRootIsDecorated(False)
        # The action is what to do: it gets the most room, and long texts wrap, never cut.
        wrap_columns(self.gaps, GAP_COLUMN_SHARES)
        self.gaps.currentItemChanged.connect(self._on_gaps_current_changed)
        self.gap_title = QtWidgets.QLabel("Gap to the next level")
        self.gap_title.setStyleSheet("font-weight: 600;")
        self.apply_button = QtWidgets.QPushButton("Apply to pipeline")
        self.apply_button.setEnabled(False)
        self.apply_button.setToolTip("Make this change to the pipeline as one undoable edit")
        self.apply_button.clicked.connect(self._on_apply_button_clicked)
        self._results: dict[str, CriterionResult] = {}
        self._layout()

    def _layout(self) -> None:
        left = QtWidgets.QWidget()
        lv = QtWidgets.QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(self.criteria, 3)
        lv.addWidget(self.detail)
        lv.addWidget(self.evidence, 1)
        right = QtWidgets.QWidget()
        rv = QtWidgets.QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        title_row = QtWidgets.QHBoxLayout()  # the button above the list: seen at any height
        title_row.addWidget(self.gap_title, 1)
        title_row.addWidget(self.apply_button, 0)
        rv.addLayout(title_row)
        rv.addWidget(self.gaps, 1)
        split = QtWidgets.QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 5)
        split.setStretchFactor(1, 3)
        box = QtWidgets.QVBoxLayout(self)
        box.addWidget(self.level_label)
        box.addWidget(self.reasons)
        box.addWidget(split, 1)

    def show_score(
        self,
        title: str,
        level_text: str,
        reasons: Sequence[str],
        results: Sequence[CriterionResult],
        level_names: dict[int | None, str],
        gap_report: Any,
        status_override: dict[str, str] | None = None,
    ) -> None:
        self.level_label.setText(f"{title}: {level_text}")
        self.reasons.setText("<br>".join(f"• {html.escape(r)}" for r in reasons))
        self.criteria.clear()
        self._results = {}
        groups: dict[Any, QtWidgets.QTreeWidgetItem] = {}
        for r in results:
            c = r.criterion
            key = c.level if c.level is not None else c.section
            if key not in groups:
                name = level_names.get(c.level, c.section) if c.level is not None else c.section
                head = QtWidgets.QTreeWidgetItem(self.criteria, [name])
                head.setFirstColumnSpanned(True)
                font = head.font(0)
                font.setBold(True)
                head.setFont(0, font)
                head.setExpanded(True)
                groups[key] = head
            shown = (
                r.evidence[0].label if r.satisfied and r.evidence else "; ".join(r.missing)
            ) or r.reason
            observed = r.observed_at.strftime("%Y-%m-%d") if r.observed_at else ""
            prefix = ("(−) " if c.polarity == "-" else "") + ("(optional) " if c.optional else "")
            shown_status = (status_override or {}).get(c.key) or status_text(r)
            item = QtWidgets.QTreeWidgetItem(
                groups[key], [f"{prefix}{c.text}", shown_status, shown, observed]
            )
            item.setIcon(1, _dot(r.status))
            if r.status == "suggested":
                item.setToolTip(
                    1, "suggested by a heuristic: please confirm it in the questionnaire"
                )
            item.setToolTip(0, f"{c.key} ({c.detect})\n{c.text}\nEvidence rule: {c.evidence}")
            item.setToolTip(2, shown)
            item.setToolTip(
                3,
                r.observed_at.strftime("last observed %Y-%m-%d %H:%M UTC") if r.observed_at else "",
            )
            item.setData(0, ROLE_REF, c.key)
            self._results[c.key] = r
        self._show_gaps(gap_report)
        self.detail.setText("Select a criterion to see its evidence.")
        self.evidence.clear()

    def _show_gaps(self, report: Any) -> None:
        self.gaps.clear()
        self.gap_title.setText(
            f"Gap to {report.target_name}" if report.target is not None else report.target_name
        )
        from mlops_desktop.core.maturity.gaps import fix_label

        for g in report.items:
            item = QtWidgets.QTreeWidgetItem(
                self.gaps,
                [
                    f"{g.id} ({GAP_KIND.get(g.kind, g.kind)})",
                    g.action,
                    fix_label(g.fix) or ("Change the definition" if g.definition_change else ""),
                ],
            )
            item.setToolTip(0, g.text)
            item.setToolTip(
                1,
                g.action
                + ("\n" + "; ".join(g.missing) if g.missing else "")
                + ("\n" + g.repo_change if g.repo_change else ""),
            )
            item.setData(0, ROLE_REF, g.fix)
            if g.fix:
                item.setForeground(2, colors.role("link_text"))
                item.setToolTip(
                    2, "Select and press 'Apply to pipeline' to make this change (undoable)"
                )
        if not report.items:
            QtWidgets.QTreeWidgetItem(self.gaps, ["Nothing missing", ""])

    def select_criterion(self, key: str) -> None:
        it = QtWidgets.QTreeWidgetItemIterator(self.criteria)
        while it.value() is not None:
            if it.value().data(0, ROLE_REF) == key:
                self.criteria.setCurrentItem(it.value())
                return
            it += 1

    def _on_criteria_current_changed(
        self, item: QtWidgets.QTreeWidgetItem | None, _prev: Any
    ) -> None:
        self.evidence.clear()
        result = self._results.get(item.data(0, ROLE_REF)) if item is not None else None
        if result is None:
            return
        c = result.criterion
        src = f'<a href="{html.escape(c.url)}">source</a>' if c.url else ""
        looked = ""
        if c.behaviour:
            label = "Met by" if result.satisfied else "Looked for"
            looked = f"<br><i>{label}:</i> {html.escape(c.behaviour)}"
        self.detail.setText(
            f"<b>{html.escape(c.key)}</b> ({c.detect}, {html.escape(status_text(result))}) {src}<br>"
            f"{html.escape(result.reason)}{looked}"
        )
        for e in result.evidence:
            when = f" ({e.at:%Y-%m-%d %H:%M})" if e.at else ""
            entry = QtWidgets.QListWidgetItem(f"{e.kind}: {e.label}{when}")
            entry.setData(ROLE_REF, (e.kind, e.ref, e.pipeline))
            if e.kind in ("node", "run"):
                entry.setForeground(colors.role("link_text"))
            elif e.kind == "file":
                entry.setToolTip(f"In the repository: {e.ref}")
            elif e.kind == "definition":
                entry.setToolTip(f"Declared in the imported cloud definition: {e.ref}")
            elif e.kind == "declared":
                entry.setToolTip(
                    f"Declared in the imported cloud definition, not yet shown to run: {e.ref}"
                )
            self.evidence.addItem(entry)
        for m in result.missing:
            text = f"not found: {m}" if result.holds is not True else m
            missing = QtWidgets.QListWidgetItem(text)
            missing.setForeground(colors.role("error_text"))
            self.evidence.addItem(missing)

    def _on_evidence_activated(self, item: QtWidgets.QListWidgetItem) -> None:
        ref = item.data(ROLE_REF)
        if ref:
            self.evidence_activated.emit(*ref)

    def _on_gaps_current_changed(self, item: QtWidgets.QTreeWidgetItem | None, _prev: Any) -> None:
        self.apply_button.setEnabled(bool(item is not None and item.data(0, ROLE_REF)))

    def _on_apply_button_clicked(self) -> None:
        item = self.gaps.currentItem()
        if item is not None and item.data(0, ROLE_REF):
            self.fix_clicked.emit(item.data(0, ROLE_REF))


# ============================================================================= questionnaire
class QuestionnaireTab(QtWidgets.QWidget):
    """The questions the app cannot answer itself, grouped, with help; answers are saved."""

    answer_given = Signal(str, str, str)  # question id, value, document

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree = QtWidgets.QTreeWidget()
        self.tree.setHeaderLabels(["Question", "Answer", "Document"])
        self.tree.setColumnWidth(0, 520)
        self.tree.setColumnWidth(1, 80)
        self.tree.setWordWrap(True)
        self.tree.currentItemChanged.connect(self._on_tree_current_changed)
        self.help = _wrap_label()
        self.help.setMinimumHeight(48)
        self.value = QtWidgets.QComboBox()
        self.value.addItems(["yes", "no", "partial"])
        self.document = QtWidgets.QLineEdit()
        self.document.setPlaceholderText("link to the document that shows it (optional)")
        self.save = QtWidgets.QPushButton("Save answer")
        self.save.setEnabled(False)
        self.save.clicked.connect(self._on_save_clicked)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(QtWidgets.QLabel("Answer:"))
        row.addWidget(self.value)
        row.addWidget(self.document, 1)
        row.addWidget(self.save)
        box = QtWidgets.QVBoxLayout(self)
        box.addWidget(self.tree, 1)
        box.addWidget(self.help)
        box.addLayout(row)

    def show_questions(self, items: Sequence[Any]) -> None:
        self.tree.clear()
        groups: dict[str, QtWidgets.QTreeWidgetItem] = {}
        for q in items:
            if q.group not in groups:
                head = QtWidgets.QTreeWidgetItem(self.tree, [q.group])
                head.setFirstColumnSpanned(True)
                font = head.font(0)
                font.setBold(True)
                head.setFont(0, font)
                head.setExpanded(q.group != "ML Test Score (manual tests)")
                groups[q.group] = head
            answer = q.answer.value if q.answer else "—"
            item = QtWidgets.QTreeWidgetItem(
                groups[q.group], [q.question, answer, q.answer.document if q.answer else ""]
            )
            item.setToolTip(0, f"{q.id}\n{q.help}")
            item.setData(0, ROLE_REF, q)
            if q.suggested and q.answer is None:
                item.setIcon(0, _dot("suggested"))
        for head in groups.values():
            head.setText(0, f"{head.text(0)} ({head.childCount()})")

    def _on_tree_current_changed(self, item: QtWidgets.QTreeWidgetItem | None, _prev: Any) -> None:
        q = item.data(0, ROLE_REF) if item is not None else None
        self.save.setEnabled(q is not None)
        if q is None:
            self.help.setText("")
            return
        self.help.setText(f"{q.id}: {q.help}")
        if q.answer is not None:
            self.value.setCurrentText(q.answer.value)
            self.document.setText(q.answer.document)
        else:
            self.document.clear()

    def _on_save_clicked(self) -> None:
        item = self.tree.currentItem()
        q = item.data(0, ROLE_REF) if item is not None else None
        if q is not None:
            self.answer_given.emit(q.id, self.value.currentText(), self.document.text().strip())
