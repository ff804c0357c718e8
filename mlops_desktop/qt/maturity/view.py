"""The Maturity view: where the project stands in the Google, Microsoft and AWS models and
the ML Test Score, with the evidence, the questionnaire and the gap to the next level.

A tab per model shows the level and why, the criteria (met / not met / unknown /
suggested) and the evidence of the selected one; activating a node or run of the evidence
emits :attr:`MaturityView.node_activated` / :attr:`MaturityView.run_activated`. The gap
list offers "Apply to pipeline", which emits :attr:`MaturityView.fix_requested` with the
pipeline name and a :class:`~mlops_desktop.core.operations.Compound` for the shell to push
on its undo stack. The overview plots the crosswalk radar, the three models on the
normalized 0-4 scale and maturity over time (pyqtgraph, imported on first use).

Assessing reads the workspace and scans the attached repository (up to its time limit), so
it runs on a worker thread: the view shows a busy bar meanwhile, the window stays
responsive, and a failure or a scan stopped at its limit is said in the view's message line.

The tabs live in :mod:`mlops_desktop.qt.maturity.tabs` and the charts in
:mod:`mlops_desktop.qt.maturity.charts`; their names stay importable from here.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6 import QtCore, QtWidgets
from PySide6.QtCore import Qt, Signal

from mlops_desktop.qt import colors
from mlops_desktop.qt.maturity.tabs import (
    GAP_KIND,
    MODEL_TABS,
    NEGATIVE_TEXT,
    ROLE_REF,
    SERIES,
    STATUS_COLOUR,
    STATUS_TEXT,
    ModelTab,
    QuestionnaireTab,
    status_text,
)

if TYPE_CHECKING:
    from mlops_desktop.core.graph import Pipeline
    from mlops_desktop.core.maturity.scoring import Assessment

log = logging.getLogger(__name__)
SLOW_NOTICE_MS = 10_000  # past the repository scan's own time limit: say it is still working
IDLE_THREAD_MS = 2_000  # the worker thread ends when idle this long


__all__ = [  # the tabs' names stay importable from this module
    "GAP_KIND",
    "MODEL_TABS",
    "NEGATIVE_TEXT",
    "ROLE_REF",
    "SERIES",
    "STATUS_COLOUR",
    "STATUS_TEXT",
    "MaturityView",
    "ModelTab",
    "QuestionnaireTab",
    "build_overview",
    "crosswalk_level_names",
    "sources_html",
    "status_text",
]


def build_overview(assessment: Assessment, history: Sequence[Any]) -> QtWidgets.QWidget:
    """Radar of the crosswalk capabilities, the models on the normalized scale, and
    maturity over time, in one pyqtgraph layout (see :mod:`mlops_desktop.qt.maturity.charts`,
    imported here on first use)."""
    from mlops_desktop.qt.maturity.charts import build_overview as build

    return build(assessment, history)


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
    busy_changed = Signal(bool)  # an assessment started (True) or ended (False)
    _worked = Signal(
        int, object
    )  # request number, (assessment, history, questions, notice) or error

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
        self.repo_button = QtWidgets.QPushButton("Attach repository…")
        self.repo_button.setToolTip(
            "Attach the project's git repository: its CI definitions, tests, containers, "
            "infrastructure and ML library calls become evidence (read, never run)"
        )
        self.repo_button.clicked.connect(self._on_repo_button_clicked)
        self.busy_bar = QtWidgets.QProgressBar()
        self.busy_bar.setRange(0, 0)  # busy: no known end
        self.busy_bar.setMaximumWidth(160)
        self.busy_bar.setTextVisible(False)
        self.busy_label = QtWidgets.QLabel()
        self._pool = QtCore.QThreadPool(self)  # a child: its destructor waits for the worker
        self._pool.setMaxThreadCount(1)
        self._pool.setExpiryTimeout(IDLE_THREAD_MS)
        self._request = 0
        self._slow = QtCore.QTimer(self)
        self._slow.setSingleShot(True)
        self._slow.setInterval(SLOW_NOTICE_MS)
        self._slow.timeout.connect(self._on_slow_timeout)
        self._worked.connect(self._on_worked, Qt.ConnectionType.QueuedConnection)
        self.tabs = QtWidgets.QTabWidget()
        self.overview_holder = QtWidgets.QWidget()
        self._overview_box = QtWidgets.QVBoxLayout(self.overview_holder)
        self._overview_box.setContentsMargins(0, 0, 0, 0)
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
        top.addWidget(self.busy_label, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.busy_bar, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.repo_button, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.assess_button, 0, Qt.AlignmentFlag.AlignTop)
        box = QtWidgets.QVBoxLayout(self)
        box.addLayout(top)
        box.addWidget(self.message)
        box.addWidget(self.tabs, 1)
        self.message.hide()
        self.busy_bar.hide()
        self.busy_label.hide()

    # ------------------------------------------------------------------ public
    def set_project(self, project: str | None, *, assess: bool = True) -> None:
        self.project = project
        if project is not None and assess and self.service is not None:
            self.refresh()

    def refresh(self, save: bool = True) -> None:
        """Assess the project (stored for the history) on a worker thread; the result shows
        when it arrives (:attr:`assessed`). A newer refresh supersedes a running one."""
        if self.service is None or self.project is None:
            return
        self._start(self.project, save, "Assessing…")

    def is_busy(self) -> bool:
        """An assessment is running on the worker."""
        return self.busy_bar.isVisibleTo(self)

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until the worker is idle (tests, shutdown); True when it is."""
        return bool(self._pool.waitForDone(msecs))

    def _start(self, project: str, save: bool, text: str, attach: str = "") -> None:
        self._request += 1
        request = self._request
        service = self.service
        self._set_busy(text)

        def work() -> None:
            result = _assess_work(service, project, save, attach)
            try:
                self._worked.emit(request, result)
            except RuntimeError:  # the view went away while the worker was reading
                pass

        self._pool.start(work)

    def _set_busy(self, text: str) -> None:
        self.busy_label.setText(text)
        for w in (self.busy_bar, self.busy_label):
            w.show()
        self.assess_button.setEnabled(False)
        self.repo_button.setEnabled(False)
        self._slow.start()
        self.busy_changed.emit(True)

    def _clear_busy(self) -> None:
        self._slow.stop()
        for w in (self.busy_bar, self.busy_label):
            w.hide()
        self.assess_button.setEnabled(True)
        self.repo_button.setEnabled(True)
        self.busy_changed.emit(False)

    def _on_slow_timeout(self) -> None:
        self.busy_label.setText(
            f"Still assessing after {SLOW_NOTICE_MS // 1000} s (a large repository is read "
            "up to its time limit)…"
        )

    def _on_worked(self, request: int, result: Any) -> None:
        if request != self._request:
            return  # a newer assessment is on its way
        self._clear_busy()
        if isinstance(result, str):
            self._show_message(result)
            return
        assessment, history, questions, notice = result
        self.show_assessment(assessment, history, questions)
        if notice:
            self._show_message(notice)

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
        repo = assessment.facts_summary.get("repo")
        found = assessment.facts_summary.get("repo_findings", 0)
        where = f"<br>Repository {html.escape(str(repo))}: {found} findings" if repo else ""
        self.summary.setText(
            html.escape(" · ".join(parts))
            + f"   (assessed {assessment.time:%Y-%m-%d %H:%M} UTC){where}"
        )
        for model_id, _title in MODEL_TABS:
            score = assessment.models[model_id]
            names: dict[int | None, str] = {lv.level: lv.name for lv in score.model.levels}
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
        layout = self._overview_box
        while layout.count():
            taken = layout.takeAt(0)
            old = taken.widget() if taken is not None else None
            if old is not None:
                old.deleteLater()
        layout.addWidget(widget)

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()
        self.error_raised.emit(text)

    def _on_assess_button_clicked(self) -> None:
        self.refresh()

    def _on_repo_button_clicked(self) -> None:
        if self.service is None or self.project is None:
            return
        folder = QtWidgets.QFileDialog.getExistingDirectory(self, "Attach the project's repository")
        if folder:
            self._attach_repository(folder)

    def _attach_repository(self, folder: str) -> None:
        """Attach the folder and assess again, on the worker (git and the scan take time)."""
        if self.service is None or self.project is None:
            return
        self.message.hide()
        self._start(self.project, True, "Reading the repository…", attach=folder)

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


def _assess_work(service: Any, project: str, save: bool, attach: str) -> Any:
    """The worker's part (no Qt): attach ``attach`` if given, assess, read the history and
    the questionnaire; a failure comes back as one line of text."""
    from mlops_desktop.core.errors import MlopsError

    try:
        if attach:
            service.attach_repo(project, attach)
        assessment = service.assess(project, save=save)
        history = service.history(project)
        questions = service.questionnaire(project, assessment)
        notice = ""
        scan_repo = getattr(service, "scan_repo", None)
        scan = scan_repo(project) if scan_repo is not None else None
        if scan is not None and getattr(scan, "truncated", False):
            notice = (
                f"The repository scan stopped at its limit after {scan.files} files: "
                "evidence in the files not read is missing from this assessment."
            )
    except MlopsError as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 - any failure is one line where the user looks
        log.exception("assessing %s failed", project)
        return f"The assessment failed: {exc}"
    return assessment, history, questions, notice
