"""RunView: one run in four tabs — Metrics (series plots), Diagnostics (confusion matrix, ROC,
PR, residuals, importance), Tuning (candidates), and Logs & outputs (each stage's status, log,
error and stored outputs). While the run is going, metric points arrive through
:meth:`RunView.on_metrics_logged` (connected to ``RunController.metrics_logged`` by the
window) and are drawn at most five times a second.

The Diagnostics and Tuning tabs (ten pyqtgraph plots) are built the first time they are
shown or asked for (:attr:`RunView.diagnostics`, :attr:`RunView.tuning`), and a run's
diagnostics and tuning candidates are read and drawn only while their tab is shown: opening
a run, and a run starting or finishing, cost none of it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from mlops_desktop.app import plot_data
from mlops_desktop.core.entities import RunStatus
from mlops_desktop.qt import colors
from mlops_desktop.qt.background import BackgroundReads
from mlops_desktop.qt.lazy_tabs import install_tab
from mlops_desktop.qt.plots.series import MetricPlotWidget
from mlops_desktop.qt.plots.values import MetricValuesPlot
from mlops_desktop.qt.runs.output_preview import OutputPreview
from mlops_desktop.qt.runs.panel import STATUS_COLOURS, format_duration, format_started

if TYPE_CHECKING:
    from mlops_desktop.app.workspace import Workspace
    from mlops_desktop.core.entities import Run
    from mlops_desktop.qt.plots.diagnostics import DiagnosticsView
    from mlops_desktop.qt.plots.tuning import TuningView

Qt = QtCore.Qt
is_series_key = plot_data.is_series_key
# Ticked when a run opens (the evaluate stage's scores), unless the run logged real series.
DEFAULT_METRICS = (
    "accuracy",
    "precision",
    "recall",
    "f1",
    "roc_auc",
    "r2",
    "rmse",
    "mae",
    "cv_best_score",
)
FIRST_FEW = 4
NEXT_TURN_MS = 5  # a later turn of the event loop, after the window has painted
CLEAR_HIDDEN_MS = 400  # after the bars show: the hidden line plot's curves go
LIVE_BARS_MS = 200  # live values of metrics logged once: bars redrawn at most this often
DIAGNOSTICS_TAB, TUNING_TAB = 1, 2


def default_keys(series: Mapping[str, plot_data.Series]) -> set[str]:
    """The metrics ticked when a run opens: its series of several points; else its evaluation
    scores (``DEFAULT_METRICS``); else its first few metrics."""
    curves = {key for key, s in series.items() if len(s) > 1}
    if curves:
        return curves
    known = {key for key in DEFAULT_METRICS if key in series}
    return known or set(list(series)[:FIRST_FEW])


def is_scalar(series: Sequence[plot_data.Series]) -> bool:
    """Every chosen metric has exactly one value: bars show them, not dots at step 0."""
    return bool(series) and all(len(s) == 1 for s in series)


# Why an Evaluate stage of the run drew nothing, by its state.
EVALUATE_NOT_DONE = {
    "skipped": "was skipped (a stage before it did not succeed)",
    "failed": "failed (its log in Logs & outputs says why)",
    "cancelled": "was cancelled",
}


def no_diagnostics_text(run: Run) -> str:
    """Why the run has no diagnostics when its pipeline has an Evaluate stage ("" when it
    has none: the view's own note says to add one)."""
    stage = next((s for s in run.stages if s.stage_type == "evaluate"), None)
    if stage is None:
        return ""
    state = EVALUATE_NOT_DONE.get(str(stage.status), "has not finished yet")
    return f"No diagnostics yet: '{stage.title}' {state} in this run."


class RunView(QtWidgets.QWidget):
    """Everything about one run."""

    run_shown = QtCore.Signal(int)  # the id of the run the view now shows

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.run: Run | None = None
        self._workspace: Workspace | None = None  # where stage outputs are read from
        self.header = QtWidgets.QLabel("No run open")
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setStyleSheet("padding: 4px 6px;")
        self.header.setWordWrap(True)  # a failed run's long message wraps, never widens
        self.tabs = QtWidgets.QTabWidget()
        self.tabs.addTab(self._build_metrics_tab(), "Metrics")
        # Diagnostics and Tuning: empty pages until first shown (see ``diagnostics``).
        self._diagnostics: DiagnosticsView | None = None
        self._tuning: TuningView | None = None
        # What their views have yet to draw: the data, or a reader of it (None: drawn).
        self._diagnostics_due: Any = plot_data.Diagnostics(task="")
        self._diagnostics_note = ""  # why a run with an Evaluate stage has none
        self._tuning_due: Any = None
        self.tabs.addTab(QtWidgets.QWidget(), "Diagnostics")
        self.tabs.addTab(QtWidgets.QWidget(), "Tuning")
        self.tabs.addTab(self._build_logs_tab(), "Logs && outputs")
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)
        box = QtWidgets.QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        self.header_row = QtWidgets.QHBoxLayout()  # the header and its actions
        self.header_row.setContentsMargins(0, 0, 6, 0)
        self.header_row.addWidget(self.header, 1)
        box.addLayout(self.header_row)
        box.addWidget(self.tabs, 1)
        self._series: dict[str, plot_data.Series] = {}
        # Points that reached the view while their run was running, by run id (what the
        # live plot drew before the stored series were read back).
        self.live_points: dict[int, int] = {}
        self._loader: Any = None
        self._hint: Any = None  # the "nothing to plot" note over an empty plot
        self._latest: dict[str, float] = {}
        # Metrics that appeared while the run went, left unticked by the view (not by the
        # user): ticked if they become curves.
        self._untick_chosen: set[str] = set()
        self._reads = BackgroundReads("mlops-run-read", self)
        self._reads.arrived.connect(self._on_read)

    # ------------------------------------------------------------------ building
    def _build_metrics_tab(self) -> QtWidgets.QWidget:
        self.key_list = QtWidgets.QListWidget()
        self.key_list.setToolTip("Tick the metrics to plot; the number is the last value")
        self.key_list.itemChanged.connect(self._on_key_list_item_changed)
        self.plot = MetricPlotWidget()
        self.plot.redrawn.connect(self._on_plot_redrawn)
        self._values_plot: MetricValuesPlot | None = None  # made when first needed
        # Clears the hidden line plot once the bars show, when the window has painted them
        # and read back the rest of the run.
        self._clear_later = QtCore.QTimer(self)
        self._clear_later.setSingleShot(True)
        self._clear_later.setInterval(CLEAR_HIDDEN_MS)
        self._clear_later.timeout.connect(self._clear_hidden_plot)
        # A run read back in the background: its metric list is widened a turn of the event
        # loop after its list and stages, and its plot drawn a turn after that (each turn
        # stays short; the window paints in between).
        self._list_fitted = True  # the list of the run shown is widened already
        self._replot_later = QtCore.QTimer(self)
        self._replot_later.setSingleShot(True)
        self._replot_later.setInterval(NEXT_TURN_MS)
        self._replot_later.timeout.connect(self._plot_turn)
        # Live values of metrics logged once, drawn as bars at most five times a second.
        self._bars_later = QtCore.QTimer(self)
        self._bars_later.setSingleShot(True)
        self._bars_later.setInterval(LIVE_BARS_MS)
        self._bars_later.timeout.connect(self._replot)
        self.plot_stack = QtWidgets.QStackedWidget()
        self.plot_stack.addWidget(self.plot)
        split = QtWidgets.QSplitter()
        split.addWidget(self.key_list)
        split.addWidget(self.plot_stack)
        split.setStretchFactor(1, 1)
        split.setSizes([220, 800])
        self._key_split = split
        return split

    def _fit_key_list(self) -> None:
        """Widen the metric list to its longest name and value (up to 40 % of the tab), so
        no name or value is cut under the scroll bar."""
        keys = self.key_list
        wanted = (
            keys.sizeHintForColumn(0)
            + keys.verticalScrollBar().sizeHint().width()
            + 2 * keys.frameWidth()
            + 12
        )
        sizes = self._key_split.sizes()
        total = sum(sizes) if sum(sizes) > 0 else 1020
        first = min(max(wanted, 160), int(total * 0.4))
        self._key_split.setSizes([first, max(total - first, 1)])

    def _build_logs_tab(self) -> QtWidgets.QWidget:
        self.stage_table = QtWidgets.QTableWidget(0, 4)
        self.stage_table.setHorizontalHeaderLabels(["Stage", "Status", "Duration", "Outputs"])
        self.stage_table.setSelectionBehavior(
            QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows
        )
        self.stage_table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.stage_table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.stage_table.verticalHeader().setVisible(False)
        self.stage_table.horizontalHeader().setStretchLastSection(True)
        self.stage_table.itemSelectionChanged.connect(self._on_stage_table_selection_changed)
        self.log_text = QtWidgets.QPlainTextEdit()
        self.log_text.setReadOnly(True)
        self.log_text.setFont(
            QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont)
        )
        stages = QtWidgets.QSplitter(Qt.Orientation.Vertical)
        stages.addWidget(self.stage_table)
        stages.addWidget(self.log_text)
        stages.setSizes([300, 200])  # the stage list first: a log is a few lines per stage
        # The selected stage's outputs beside them, full height: tables are wide and long.
        self.output_preview = OutputPreview()
        split = QtWidgets.QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(stages)
        split.addWidget(self.output_preview)
        split.setStretchFactor(1, 1)
        split.setSizes([430, 1000])
        return split

    @property
    def values_plot(self) -> MetricValuesPlot:
        """The bars of the metrics logged once: made on first use (it costs the GUI thread
        as much as half the Run panel; the prewarm makes it in a step of its own)."""
        if self._values_plot is None:
            self._values_plot = MetricValuesPlot()
            self.plot_stack.addWidget(self._values_plot)
        return self._values_plot

    # ------------------------------------------------------------ lazy tabs
    @property
    def diagnostics(self) -> DiagnosticsView:
        """The Diagnostics tab's view: built on first use, showing the current run's
        diagnostics (read from the workspace now if they were not yet)."""
        if self._diagnostics is None:
            from mlops_desktop.qt.plots.diagnostics import DiagnosticsView

            self._diagnostics = DiagnosticsView()
            install_tab(self.tabs, DIAGNOSTICS_TAB, self._diagnostics, "Diagnostics")
        view = self._diagnostics
        due, self._diagnostics_due = self._diagnostics_due, None
        if due is not None:
            diag, why = _read(due, "diagnostics")
            view.set_diagnostics(diag if diag is not None else plot_data.Diagnostics(task=""))
            if why or (diag is not None and diag.empty and self._diagnostics_note):
                view.summary.setText(why or self._diagnostics_note)
        return view

    @property
    def tuning(self) -> TuningView:
        """The Tuning tab's view: built on first use, showing the current run's candidates."""
        if self._tuning is None:
            from mlops_desktop.qt.plots.tuning import TuningView

            self._tuning = TuningView()
            install_tab(self.tabs, TUNING_TAB, self._tuning, "Tuning")
        view = self._tuning
        due, self._tuning_due = self._tuning_due, None
        if due is not None:
            tuning, why = _read(due, "tuning candidates")
            if tuning is not None:
                view.set_tuning(tuning)
            if why:
                view.best_label.setText(why)
        return view

    def _on_tabs_current_changed(self, index: int) -> None:
        if index == DIAGNOSTICS_TAB:
            self.diagnostics  # noqa: B018 - built and drawn when first shown
        elif index == TUNING_TAB:
            self.tuning  # noqa: B018

    def _show_later(self, diagnostics: Any, tuning: Any) -> None:
        """Keep the run's diagnostics and tuning (or their readers) for their tabs; draw now
        only the tab that is shown."""
        self._diagnostics_due, self._tuning_due = diagnostics, tuning
        if self.tabs.currentIndex() == DIAGNOSTICS_TAB:
            self.diagnostics  # noqa: B018
        elif self.tabs.currentIndex() == TUNING_TAB:
            self.tuning  # noqa: B018

    # ------------------------------------------------------------------ loading
    def load(self, workspace: Workspace, run_id: int) -> None:
        """Read run ``run_id`` and what its Metrics and Logs tabs show from the workspace
        (its diagnostics and tuning candidates are read when their tab is shown)."""
        self._reads.supersede()  # a read still running in the background is dropped
        self._show_read(workspace, plot_data.run_metrics(workspace, run_id))

    def show_created(self, workspace: Workspace, run: Run) -> None:
        """Show a run just created (queued: no stage, metric or series yet) without
        reading the workspace; its points come live."""
        self._reads.supersede()
        self._show_read(workspace, plot_data.RunMetrics(run, {}, {}, False))

    def load_in_background(self, workspace: Workspace, run_id: int) -> None:
        """:meth:`load`, reading in a worker thread (a run finished: the GUI thread only
        draws); the view keeps what it shows until the read arrives."""
        self._reads.start(lambda: (workspace, plot_data.run_metrics(workspace, run_id)))

    def wait(self, timeout: float = 5.0) -> bool:
        """Block until no background read of a run runs (the workspace closes)."""
        return self._reads.wait(timeout)

    def _on_read(self, number: int, result: Any) -> None:
        if not self._reads.is_latest(number):
            return  # a newer read, or a run opened since
        if isinstance(result, Exception):
            self.header.setText(f"Cannot read the run: {result}")
            return
        self._show_read(*result, plot_later=True)

    def _show_read(
        self, workspace: Workspace, read: plot_data.RunMetrics, *, plot_later: bool = False
    ) -> None:
        self._workspace = workspace
        run_id = read.run.id
        self.set_run(
            read.run,
            latest=read.latest,
            series_keys=list(read.series),
            loader=read.series.__getitem__,
            diagnostics=lambda: plot_data.diagnostics(workspace, run_id),
            tuning=lambda: plot_data.tuning(workspace, run_id),
            has_tuning=read.has_tuning,
            plot_later=plot_later,
        )

    def set_run(
        self,
        run: Run,
        *,
        latest: dict[str, float],
        series_keys: Sequence[str],
        loader: Any,
        diagnostics: plot_data.Diagnostics | Callable[[], plot_data.Diagnostics],
        tuning: plot_data.Tuning | Callable[[], plot_data.Tuning],
        has_tuning: bool | None = None,
        plot_later: bool = False,
    ) -> None:
        """Show a run from data already fetched; ``loader(key)`` returns a Series.
        ``diagnostics`` and ``tuning``: the data, or functions that read it when their tab
        is shown (then ``has_tuning`` says whether the run tuned, for the Tuning tab).
        ``plot_later``: draw the plot in a later turn of the event loop."""
        same_run = self.run is not None and self.run.id == run.id
        self.run = run
        self._loader = loader
        self._series = {}
        self._untick_chosen = set()
        self._set_header(run, latest)
        if not same_run:  # the run read back after its live points keeps its curves
            self.plot.clear()
        self.key_list.blockSignals(True)
        self.key_list.clear()
        for key in series_keys:
            self._series[key] = loader(key)
        ticked = default_keys(self._series)
        for key in series_keys:
            value = latest.get(key)
            text = key if value is None else f"{key}    {value:.4g}"
            item = QtWidgets.QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if key in ticked else Qt.CheckState.Unchecked)
            self.key_list.addItem(item)
        self.key_list.blockSignals(False)
        self._list_fitted = False  # widened with the plot (a turn before it, when later)
        if plot_later:
            self._replot_later.start()
        else:
            self._replot()
        if has_tuning is None:
            has_tuning = not callable(tuning) and tuning.scores.size > 0
        self.tabs.setTabEnabled(TUNING_TAB, has_tuning)
        self._diagnostics_note = no_diagnostics_text(run)
        self._show_later(diagnostics, tuning)
        self._fill_stages(run)
        self.run_shown.emit(run.id)

    def changeEvent(self, event: QtCore.QEvent) -> None:  # noqa: N802 - Qt override
        """Status colours readable in the new theme (the plots restyle themselves)."""
        super().changeEvent(event)
        if self.run is not None and colors.scheme_changed_for(self, event):
            self._set_header(self.run, self._latest)
            self._fill_stages(self.run)
            self._replot()

    def _set_header(self, run: Run, latest: dict[str, float]) -> None:
        self._latest = latest
        colour = colors.readable(STATUS_COLOURS.get(str(run.status), "#6e7781")).name()
        parts = [
            f"<b>Run {run.label}</b>",
            f"<span style='color:{colour}'>{run.status.label}</span>",
            f"trigger {run.trigger}",
            f"environment {run.environment}",
            f"started {format_started(run.started_at or run.created_at)}",
        ]
        if run.duration_s is not None:
            parts.append(f"took {format_duration(run.duration_s)}")
        if run.message:
            parts.append(run.message)
        self.header.setText(" · ".join(parts))

    def _plot_turn(self) -> None:
        """A turn of drawing a run read back: first its metric list widened and the page
        it is drawn on shown (the splitter lays that page out once), in the next turn its
        plot drawn."""
        if not self._list_fitted:
            if is_scalar(self._chosen_series()):
                self.plot_stack.setCurrentWidget(self.values_plot)
            self._fit_pending_list()
            self._replot_later.start()
            return
        self._replot()

    def _chosen_series(self) -> list[plot_data.Series]:
        """The series of the ticked metrics, in the list's order."""
        chosen = []
        for i in range(self.key_list.count()):
            item = self.key_list.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                chosen.append(self._series[item.data(Qt.ItemDataRole.UserRole)])
        return chosen

    def _fit_pending_list(self) -> bool:
        """Widen the metric list of the run shown unless it was already; True when now."""
        if self._list_fitted:
            return False
        self._list_fitted = True
        self._fit_key_list()
        return True

    def _replot(self) -> None:
        self._replot_later.stop()
        self._fit_pending_list()  # drawn before its turn came (a metric ticked meanwhile)
        self.plot.flush()  # live points still queued reach self._series first
        chosen = self._chosen_series()
        if is_scalar(chosen):  # one value each: labelled bars
            # The curves of the hidden line plot go later, once the window is idle (removing
            # a run's curves and legend takes 5-25 ms of the GUI thread).
            self._clear_later.start()
            title = "Final values" if self._has_finished() else "Latest values"
            self.values_plot.set_values([(s.key, float(s.values[-1])) for s in chosen], title)
            self.plot_stack.setCurrentWidget(self.values_plot)
            self._show_empty_hint(False)
            return
        drawn = [s for s in chosen if len(s)]  # a live metric appears with its first points
        self.plot.set_series(drawn, [s.key for s in drawn])
        self.plot_stack.setCurrentWidget(self.plot)
        self._show_empty_hint(not chosen)

    def _clear_hidden_plot(self) -> None:
        if self.plot_stack.currentWidget() is not self.plot:
            self.plot.set_series([])

    def _has_finished(self) -> bool:
        return self.run is not None and RunStatus(self.run.status).finished

    def mark_running(self, run_id: int | None) -> None:
        """Say "running" in the header of run ``run_id`` once a stage of it started (the
        view read the run when it was created, still queued)."""
        run = self.run
        if run is None or run.id != run_id or run.status != RunStatus.QUEUED:
            return
        self.run = replace(run, status=RunStatus.RUNNING)
        self._set_header(self.run, self._latest)

    def make_room_for_run(self) -> None:
        """Take the shown run's curves down before a run's threads start: done at its start
        instead, while they hold the interpreter, it stalled the window."""
        self.plot.clear()
        self._show_empty_hint(False)

    def _show_empty_hint(self, show: bool) -> None:
        """Say why the plot is empty instead of showing bare axes."""
        import pyqtgraph as pg

        from mlops_desktop.qt.plots._common import foreground

        if self._hint is not None:
            self.plot.plot_item.removeItem(self._hint)
            self._hint = None
        if not show or self.key_list.count() == 0 and not self._has_finished():
            return  # nothing logged yet: no run open, or a run that is still going
        text = (
            "Tick metrics on the left to plot them (a metric logged once is drawn as a bar;\n"
            "select several runs in the Runs panel to compare them)."
            if self.key_list.count()
            else "This run logged no metrics."
        )
        self._hint = pg.TextItem(text, color=foreground(), anchor=(0.5, 0.5))
        self._hint.setPos(0.5, 0.5)
        self.plot.plot_item.addItem(self._hint, ignoreBounds=True)

    def _on_key_list_item_changed(self, item: QtWidgets.QListWidgetItem) -> None:
        self._untick_chosen.discard(item.data(Qt.ItemDataRole.UserRole))  # the user's choice
        self._replot()

    def _fill_stages(self, run: Run) -> None:
        self.stage_table.setRowCount(len(run.stages))
        for row, stage in enumerate(run.stages):
            cells = [
                stage.title,
                str(stage.status),
                format_duration(stage.duration_s),
                ", ".join(f"{port} {digest[:10]}" for port, digest in stage.outputs.items()),
            ]
            for col, text in enumerate(cells):
                item = QtWidgets.QTableWidgetItem(text)
                if col == 1:
                    item.setForeground(
                        colors.readable(STATUS_COLOURS.get(str(stage.status), "#6e7781"))
                    )
                self.stage_table.setItem(row, col, item)
        self.stage_table.resizeColumnsToContents()
        if run.stages:
            self.stage_table.clearSelection()  # row 0 of another run is news: show it
            self.stage_table.selectRow(0)
        else:
            self.log_text.setPlainText("This run has no recorded stages.")
            self.output_preview.clear("This run has no recorded stages.")

    def _on_stage_table_selection_changed(self) -> None:
        rows = self.stage_table.selectionModel().selectedRows()
        if self.run is None or not rows:
            return
        stage = self.run.stages[rows[0].row()]
        text = stage.log or "(no log lines)"
        if stage.error:
            text += f"\n\nError:\n{stage.error}"
        self.log_text.setPlainText(text)
        if self._workspace is None:
            self.output_preview.clear("Outputs are read from the run's workspace (none given).")
        else:
            self.output_preview.show_stage(self._workspace, self.run.id, stage.node_id, stage.title)

    # ------------------------------------------------------------------ live
    def _on_plot_redrawn(self) -> None:
        """Keep live points, so unticking and ticking a metric does not lose them."""
        for series in self.plot.series():
            if series.key in self._series:
                self._series[series.key] = series

    def on_metric_logged(
        self, run_id: int, node_id: str, key: str, step: int, value: float
    ) -> None:
        """A point of a running pipeline (GUI thread). Drawn by the plot's throttle timer."""
        self.on_metrics_logged(run_id, node_id, key, [step], [value])

    def on_metrics_logged(
        self, run_id: int, node_id: str, key: str, steps: Any, values: Any
    ) -> None:
        if self.run is None or run_id != self.run.id or not is_series_key(key):
            return
        steps = np.arange(len(values)) if steps is None else steps
        self.live_points[run_id] = self.live_points.get(run_id, 0) + int(np.size(values))
        if key not in self._series:
            self._series[key] = plot_data.make_series(run_id, key, [], [], [])
            # Ticked as when the run is opened (default_keys): a curve, an evaluation
            # score, or one of the first few metrics; a run logging dozens of scores draws
            # a few lines, not one per score.
            tick = np.size(values) > 1 or key in DEFAULT_METRICS
            tick = tick or self.key_list.count() < FIRST_FEW
            item = QtWidgets.QListWidgetItem(key)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            self.key_list.blockSignals(True)
            item.setCheckState(Qt.CheckState.Checked if tick else Qt.CheckState.Unchecked)
            self.key_list.addItem(item)
            self.key_list.blockSignals(False)
            if not tick:
                self._untick_chosen.add(key)
        if self._checked(key):
            self._draw_live(run_id, key, steps, values)
        else:  # kept for when the metric is ticked
            self._series[key] = _with_points(self._series[key], run_id, key, steps, values)
            if key in self._untick_chosen and len(self._series[key]) > 1:
                self._tick_curve(run_id, key)

    def _draw_live(self, run_id: int, key: str, steps: Any, values: Any) -> None:
        """A ticked metric's live points. While every ticked metric has one value they are
        bars, as the run read back shows them (lone dots with a legend, made only to be
        replaced when the run ends, cost the window 40-80 ms then); from a metric's second
        point on, lines."""
        if self.plot_stack.currentWidget() is self.plot and self.plot.series():
            self.plot.append_points(run_id, key, steps, values)  # lines already drawn
            return
        self._series[key] = _with_points(self._series[key], run_id, key, steps, values)
        if is_scalar(self._chosen_series()):
            if not self._bars_later.isActive():
                self._bars_later.start()
            return
        self._bars_later.stop()
        self._replot()  # bars give way to lines, drawn from the points kept so far

    def _tick_curve(self, run_id: int, key: str) -> None:
        """A metric left unticked became a curve (a second point): tick and draw it."""
        self._untick_chosen.discard(key)
        for i in range(self.key_list.count()):
            item = self.key_list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == key:
                self.key_list.blockSignals(True)
                item.setCheckState(Qt.CheckState.Checked)
                self.key_list.blockSignals(False)
        series = self._series[key]
        if self.plot_stack.currentWidget() is not self.plot:  # bars give way to lines
            self._series[key] = plot_data.make_series(run_id, key, [], [], [])
            self._replot()
        # Its points so far, drawn by the plot's next tick with those still to come.
        self.plot.append_points(run_id, key, series.steps, series.values, series.timestamps)

    def _checked(self, key: str) -> bool:
        for i in range(self.key_list.count()):
            item = self.key_list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == key:
                return item.checkState() == Qt.CheckState.Checked
        return False


def _with_points(
    old: plot_data.Series, run_id: int, key: str, steps: Any, values: Any
) -> plot_data.Series:
    """``old`` with live points added (stamped now)."""
    now = QtCore.QDateTime.currentMSecsSinceEpoch() / 1000.0
    v = np.atleast_1d(np.asarray(values, dtype=np.float64))
    return plot_data.make_series(
        run_id,
        key,
        np.concatenate([old.steps, np.atleast_1d(steps)]),
        np.concatenate([old.values, v]),
        np.concatenate([old.timestamps, np.full(v.shape, now)]),
    )


def _read(due: Any, what: str) -> tuple[Any, str]:
    """The data ``due`` is, or reads (with why it could not be read: "" when it could)."""
    if not callable(due):
        return due, ""
    try:
        return due(), ""
    except Exception as exc:  # noqa: BLE001 - a closed workspace, a deleted run: said in the tab
        return None, f"Cannot read the run's {what}: {exc}"
