"""The Maturity view: where the project stands in the Google, Microsoft and AWS models and
the ML Test Score, with the evidence, the questionnaire and the gap to the next level.

A tab per model shows the level and why, the criteria (met / not met / unknown /
suggested) and the evidence of the selected one; activating a node or run of the evidence
emits :attr:`MaturityView.node_activated` / :attr:`MaturityView.run_activated`. The gap
list offers "Apply to pipeline", which emits :attr:`MaturityView.fix_requested` with the
pipeline name and a :class:`~mlops_desktop.core.operations.Compound` for the shell to push
on its undo stack. The overview plots the crosswalk radar, the three models on the
normalized 0-4 scale and maturity over time (pyqtgraph, imported on first use).
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Qt, Signal

from mlops_desktop.qt import colors

if TYPE_CHECKING:
    from mlops_desktop.core.graph import Pipeline
    from mlops_desktop.core.maturity.scoring import Assessment, CriterionResult

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
MODEL_TABS = (("google", "Google"), ("azure", "Microsoft"), ("aws", "AWS"))
SERIES = (("google", "Google"), ("azure", "Microsoft"), ("aws", "AWS"), ("crosswalk", "Crosswalk"))
GAP_KIND = {
    "missing": "missing",
    "cap": "still true",
    "answer": "answer needed",
    "confirm": "confirm",
}
ROLE_REF = Qt.ItemDataRole.UserRole + 1


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
        self.gaps.setColumnWidth(0, 200)
        self.gaps.setColumnWidth(2, 150)
        self.gaps.header().setStretchLastSection(False)
        self.gaps.header().setSectionResizeMode(1, QtWidgets.QHeaderView.ResizeMode.Stretch)
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
        rv.addWidget(self.gap_title)
        rv.addWidget(self.gaps, 1)
        rv.addWidget(self.apply_button, 0, Qt.AlignmentFlag.AlignRight)
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
                self.gaps, [f"{g.id} ({GAP_KIND.get(g.kind, g.kind)})", g.action, fix_label(g.fix)]
            )
            item.setToolTip(0, g.text)
            item.setToolTip(1, g.action + ("\n" + "; ".join(g.missing) if g.missing else ""))
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
        self.detail.setText(
            f"<b>{html.escape(c.key)}</b> ({c.detect}, {html.escape(status_text(result))}) {src}<br>"
            f"{html.escape(result.reason)}"
        )
        for e in result.evidence:
            when = f" ({e.at:%Y-%m-%d %H:%M})" if e.at else ""
            entry = QtWidgets.QListWidgetItem(f"{e.kind}: {e.label}{when}")
            entry.setData(ROLE_REF, (e.kind, e.ref, e.pipeline))
            if e.kind in ("node", "run"):
                entry.setForeground(colors.role("link_text"))
            self.evidence.addItem(entry)
        for m in result.missing:
            missing = QtWidgets.QListWidgetItem(f"missing: {m}" if result.holds is not True else m)
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


# ============================================================================= charts
def build_overview(assessment: Assessment, history: Sequence[Any]) -> QtWidgets.QWidget:
    """Radar of the crosswalk capabilities, the models on the normalized scale, and
    maturity over time, in one pyqtgraph layout."""
    import pyqtgraph as pg

    from mlops_desktop.qt import maturity_charts as charts
    from mlops_desktop.qt.plots._common import colour, foreground, style_plot

    view = pg.GraphicsLayoutWidget()
    view.setBackground(colors.role("plot_background"))
    radar = view.addPlot(row=0, col=0, rowspan=2)
    view.radar_labels = _draw_radar(pg, radar, assessment, colour)
    bars = view.addPlot(row=0, col=1)
    style_plot(bars, "Levels on the normalized 0-4 scale", y="normalized level")
    values = [
        assessment.models[m].normalized if m in assessment.models else assessment.crosswalk.level
        for m, _ in SERIES
    ]
    view.level_bars = []
    for i, v in enumerate(values):
        # A level of 0 keeps an outlined stub (a bar of height 0 draws nothing).
        bar = pg.BarGraphItem(
            x=[i],
            height=[charts.bar_height(v)],
            width=0.6,
            brush=colour(i, 200 if v > 0 else 60),
            pen=pg.mkPen(colour(i), width=1.5),
        )
        bars.addItem(bar)
        view.level_bars.append(bar)
        label = pg.TextItem(f"{v:g}", color=foreground(), anchor=(0.5, 1.0))
        label.setPos(i, charts.bar_height(v) + 0.05)
        bars.addItem(label)
    bars.getAxis("bottom").setTicks([[(i, name) for i, (_, name) in enumerate(SERIES)]])
    bars.setYRange(0, 4.4, padding=0)
    bars.setXRange(-0.6, len(SERIES) - 0.4, padding=0)
    bars.setMouseEnabled(x=False, y=False)
    trend = view.addPlot(row=1, col=1, axisItems={"bottom": charts.DateAxis()})
    style_plot(trend, "Maturity over time", y="normalized level")
    trend.addLegend(
        offset=(-8, 8),
        labelTextSize="8pt",
        labelTextColor=foreground(),
        brush=pg.mkBrush(colors.role("legend_fill")),
        pen=pg.mkPen(colors.role("legend_border")),
    )
    by_model: dict[str, list[tuple[float, float]]] = {}
    for rec in history:
        by_model.setdefault(rec.model, []).append((rec.created_at.timestamp(), rec.score))
    for i, (model, name) in enumerate(SERIES):
        points = by_model.get(model, [])
        if points:
            xs, ys = zip(*points, strict=True)
            trend.plot(
                list(xs),
                list(ys),
                pen=pg.mkPen(colour(i), width=2),
                symbol="o",
                symbolSize=13 - 3 * i,  # equal levels stay visible as nested rings
                symbolBrush=colour(i),
                name=name,
            )
    stamps = [x for points in by_model.values() for x, _ in points]
    if stamps:  # dates on the axis, even around a single assessment
        trend.setXRange(*charts.history_range(stamps), padding=0)
        trend.setLabel("bottom", charts.history_caption(stamps))
    trend.setYRange(-0.25, 4.2, padding=0)
    view.trend_plot = trend
    view.ci.layout.setColumnStretchFactor(0, 5)
    view.ci.layout.setColumnStretchFactor(1, 4)
    return view


def _draw_radar(
    pg: Any, plot: Any, assessment: Assessment, colour: Callable[..., QtGui.QColor]
) -> Any:
    """Draw the radar; returns its :class:`~mlops_desktop.qt.maturity_charts.RadarLabels`."""
    from mlops_desktop.qt.maturity_charts import RadarLabels, capability_title

    caps = assessment.crosswalk.capabilities
    n = len(caps)
    plot.setTitle(
        f"Crosswalk capabilities (normalized level {assessment.crosswalk.level})",
        size="10pt",
        color=colors.role("plot_foreground"),
    )
    plot.setAspectLocked(True)
    plot.hideAxis("left")
    plot.hideAxis("bottom")
    plot.setMouseEnabled(x=False, y=False)
    angles = [math.pi / 2 - 2 * math.pi * i / n for i in range(n)]
    grid = pg.mkPen(colors.role("plot_grid"), width=1)
    for ring in (0.25, 0.5, 0.75, 1.0):
        xs = [ring * math.cos(a) for a in [*angles, angles[0]]]
        ys = [ring * math.sin(a) for a in [*angles, angles[0]]]
        plot.plot(xs, ys, pen=grid)
    labels = []
    for (cap, _), a in zip(caps, angles, strict=True):
        plot.plot([0, math.cos(a)], [0, math.sin(a)], pen=grid)
        title = capability_title(cap)
        label = pg.TextItem(title, color=colors.role("plot_foreground"))
        font = QtGui.QFont(QtWidgets.QApplication.font())
        font.setPointSize(7)
        label.setFont(font)
        label.setPos(1.06 * math.cos(a), 1.06 * math.sin(a))
        plot.addItem(label, ignoreBounds=True)
        labels.append((label, a, title))
    values = [assessment.crosswalk.value(cap.id) for cap, _ in caps]
    xs = [
        max(v, 0.03) * math.cos(a)
        for v, a in zip([*values, values[0]], [*angles, angles[0]], strict=True)
    ]
    ys = [
        max(v, 0.03) * math.sin(a)
        for v, a in zip([*values, values[0]], [*angles, angles[0]], strict=True)
    ]
    plot.plot(
        xs,
        ys,
        pen=pg.mkPen(colour(0), width=2),
        fillLevel=None,
        brush=None,
        symbol="o",
        symbolSize=5,
        symbolBrush=colour(0),
    )
    fill = QtGui.QPolygonF([QtCore.QPointF(x, y) for x, y in zip(xs, ys, strict=True)])
    area = QtWidgets.QGraphicsPolygonItem(fill)
    area.setBrush(colour(0, 60))
    area.setPen(QtGui.QPen(Qt.PenStyle.NoPen))
    plot.addItem(area)
    plot.setRange(xRange=(-2.0, 2.0), yRange=(-1.42, 1.42), padding=0)
    return RadarLabels(plot, labels)


def crosswalk_level_names() -> dict[int | None, str]:
    from mlops_desktop.core.maturity.models import load_crosswalk

    names: dict[int | None, str] = {}
    for row in load_crosswalk().normalized_levels:
        key = 5 if row["normalized"].startswith("4+") else int(row["normalized"])
        names[key] = f"Normalized {row['normalized']}: {row['theme']}"
    return names


def sources_html(assessment: Assessment) -> str:
    from mlops_desktop.core.maturity.models import load_crosswalk, load_mlts

    rows = []
    for score in assessment.models.values():
        links = ", ".join(
            f'<a href="{html.escape(u)}">{html.escape(u)}</a>' for u in score.model.sources
        )
        rows.append(
            f"<li><b>{html.escape(score.model.title)}</b> ({html.escape(score.model.vendor)}): {links}"
            f"<br><i>{html.escape(score.model.rule)}</i></li>"
        )
    mlts = load_mlts()
    rows.append(
        f'<li><b>{html.escape(mlts.title)}</b>: <a href="{mlts.source}">{mlts.source}</a>'
        f"<br><i>{html.escape(mlts.rule)}</i></li>"
    )
    rows.append(f"<li><b>Crosswalk</b>: {html.escape(load_crosswalk().note)}</li>")
    return (
        "<h3>Sources</h3><ul>" + "".join(rows) + "</ul><p>Comparison inspired by S. C. Gupta, "
        '<a href="https://www.ml4devs.com/articles/mlops-the-dust-has-not-settled-yet/">'
        "MLOps: the dust has not settled yet</a>. Criteria marked PARTIAL are heuristics: "
        "confirm them in the questionnaire.</p>"
    )


# ============================================================================= the view
class MaturityView(QtWidgets.QWidget):
    """The maturity assessment of one project. ``service`` is an
    :class:`~mlops_desktop.app.assessment.AssessmentService` (or anything with its methods)."""

    node_activated = Signal(str)  # node id
    node_in_pipeline_activated = Signal(str, str)  # pipeline name, node id
    run_activated = Signal(int)
    fix_requested = Signal(str, object)  # pipeline name, core.operations.Compound
    assessed = Signal(object)  # the Assessment
    error_raised = Signal(str)

    def __init__(self, service: Any = None, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.project: str | None = None
        self.assessment: Assessment | None = None
        self.pipelines_provider: Callable[[], list[tuple[str, Pipeline]]] | None = None
        self.header = QtWidgets.QLabel("No project assessed yet")
        self.header.setStyleSheet("font-size: 12pt; font-weight: 600;")
        self.summary = QtWidgets.QLabel()
        self.message = QtWidgets.QLabel()
        self.message.setStyleSheet("color: #a33;")
        self.assess_button = QtWidgets.QPushButton("Assess now")
        self.assess_button.clicked.connect(self._on_assess_button_clicked)
        self.tabs = QtWidgets.QTabWidget()
        self.overview_holder = QtWidgets.QWidget()
        QtWidgets.QVBoxLayout(self.overview_holder).setContentsMargins(0, 0, 0, 0)
        self.tabs.addTab(self.overview_holder, "Overview")
        self.model_tabs: dict[str, ModelTab] = {}
        for model_id, title in (*MODEL_TABS, ("mlts", "ML Test Score"), ("crosswalk", "Crosswalk")):
            tab = ModelTab()
            tab.evidence_activated.connect(self._on_tab_evidence_activated)
            tab.fix_clicked.connect(self._on_tab_fix_clicked)
            self.model_tabs[model_id] = tab
            self.tabs.addTab(tab, title)
        self.questionnaire = QuestionnaireTab()
        self.questionnaire.answer_given.connect(self._on_questionnaire_answer_given)
        self.tabs.addTab(self.questionnaire, "Questionnaire")
        self.sources = QtWidgets.QTextBrowser()
        self.sources.setOpenExternalLinks(True)
        self.tabs.addTab(self.sources, "Sources")
        top = QtWidgets.QHBoxLayout()
        titles = QtWidgets.QVBoxLayout()
        titles.addWidget(self.header)
        titles.addWidget(self.summary)
        top.addLayout(titles, 1)
        top.addWidget(self.assess_button, 0, Qt.AlignmentFlag.AlignTop)
        box = QtWidgets.QVBoxLayout(self)
        box.addLayout(top)
        box.addWidget(self.message)
        box.addWidget(self.tabs, 1)
        self.message.hide()

    # ------------------------------------------------------------------ public
    def set_project(self, project: str | None, *, assess: bool = True) -> None:
        self.project = project
        if project is not None and assess and self.service is not None:
            self.refresh()

    def refresh(self, save: bool = True) -> None:
        """Assess the project now (stored for the history) and show the result."""
        if self.service is None or self.project is None:
            return
        from mlops_desktop.core.errors import MlopsError

        try:
            assessment = self.service.assess(self.project, save=save)
            history = self.service.history(self.project)
            questions = self.service.questionnaire(self.project, assessment)
        except MlopsError as exc:
            self._show_message(str(exc))
            return
        self.show_assessment(assessment, history, questions)

    def show_assessment(
        self, assessment: Assessment, history: Sequence[Any] = (), questions: Sequence[Any] = ()
    ) -> None:
        self._render(assessment, history, questions)
        self.assessed.emit(assessment)

    def changeEvent(self, event: QtCore.QEvent) -> None:  # noqa: N802 - Qt override
        """Redraw the charts and coloured entries in the new theme's colours."""
        super().changeEvent(event)
        shown = getattr(self, "_shown", None)
        if shown is not None and colors.scheme_changed_for(self, event):
            self._render(*shown)

    def _render(
        self, assessment: Assessment, history: Sequence[Any], questions: Sequence[Any]
    ) -> None:
        from mlops_desktop.core.maturity.gaps import gaps

        self._shown = (assessment, history, questions)
        self.assessment = assessment
        self.message.hide()
        reports = gaps(assessment)
        self.header.setText(f"Maturity of '{assessment.project}'")
        parts = [f"{t}: {assessment.models[m].level_name.split(':')[0]}" for m, t in MODEL_TABS]
        parts.append(f"ML Test Score: {assessment.mlts.final:g}")
        parts.append(f"Crosswalk: {assessment.crosswalk.level} of 4")
        self.summary.setText(
            " · ".join(parts) + f"   (assessed {assessment.time:%Y-%m-%d %H:%M} UTC)"
        )
        for model_id, _title in MODEL_TABS:
            score = assessment.models[model_id]
            names = {lv.level: lv.name for lv in score.model.levels}
            self.model_tabs[model_id].show_score(
                score.model.title,
                f"{score.level_name} (normalized {score.normalized} of 4)",
                score.reasons,
                [*score.results, *score.checks],
                names,
                reports[model_id],
            )
        m = assessment.mlts
        mlts_results = [t.result for t in m.tests]
        self.model_tabs["mlts"].show_score(
            "ML Test Score",
            f"{m.final:g} — {m.band.meaning}",
            [*m.reasons, *(f"{t.test.id}: {t.points:g} ({t.reason})" for t in m.tests if t.points)],
            mlts_results,
            {},
            reports["mlts"],
            {t.test.key: f"{t.points:g} pt, {t.mode}" if t.points else "0 pt" for t in m.tests},
        )
        cw = assessment.crosswalk
        self.model_tabs["crosswalk"].show_score(
            "Crosswalk",
            f"normalized level {cw.level} of 4",
            [*cw.reasons, "A synthesis of the reference, not a vendor statement."],
            sorted(
                (r for _, r in cw.capabilities),
                key=lambda r: (r.criterion.level is None, r.criterion.level or 0),
            ),
            crosswalk_level_names(),
            reports["crosswalk"],
        )
        self._set_overview(build_overview(assessment, history))
        self.questionnaire.show_questions(questions)
        self.sources.setHtml(sources_html(assessment))

    # ------------------------------------------------------------------ slots
    def _set_overview(self, widget: QtWidgets.QWidget) -> None:
        layout = self.overview_holder.layout()
        while layout.count():
            old = layout.takeAt(0).widget()
            if old is not None:
                old.deleteLater()
        layout.addWidget(widget)

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()
        self.error_raised.emit(text)

    def _on_assess_button_clicked(self) -> None:
        self.refresh()

    def _on_tab_evidence_activated(self, kind: str, ref: str, pipeline: str) -> None:
        if kind == "node":
            self.node_activated.emit(ref)
            self.node_in_pipeline_activated.emit(pipeline, ref)
        elif kind == "run" and ref.isdigit():
            self.run_activated.emit(int(ref))

    def _on_tab_fix_clicked(self, fix: str) -> None:
        from mlops_desktop.core.maturity.gaps import choose_pipeline

        if self.pipelines_provider is not None:
            found = choose_pipeline(fix, self.pipelines_provider())
        elif self.service is not None and self.project is not None:
            found = self.service.fix_for(self.project, fix)
        else:
            found = None
        if found is None:
            self._show_message("This change does not apply to any pipeline of the project.")
            return
        self.fix_requested.emit(*found)

    def _on_questionnaire_answer_given(self, question: str, value: str, document: str) -> None:
        if self.service is None or self.project is None:
            return
        from mlops_desktop.core.errors import MlopsError

        try:
            self.service.answer(self.project, question, value, document)
        except MlopsError as exc:
            self._show_message(str(exc))
            return
        self.refresh()
