"""RunsPanel: the run history of a project as a sortable table (id, status, trigger, start,
duration and key metrics). Shift/ctrl-click selects several runs to compare; a double-click
opens one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6 import QtCore, QtGui, QtWidgets

from mlops_desktop.qt import colors

if TYPE_CHECKING:
    from mlops_desktop.app.workspace import Workspace

Qt = QtCore.Qt
BASE_COLUMNS = ("Run", "Status", "Trigger", "Started", "Duration")
PIPELINE_COLUMN = "Pipeline"
STATUS_COLOURS = {
    "succeeded": "#1a7f37",
    "failed": "#cf222e",
    "running": "#0969da",
    "queued": "#6e7781",
    "cancelled": "#9a6700",
    "interrupted": "#bc4c00",
}
SORT_ROLE = Qt.ItemDataRole.UserRole + 1


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, sec = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {sec:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def format_started(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S") if moment else ""


class RunsTableModel(QtCore.QAbstractTableModel):
    """Rows as produced by :func:`mlops_desktop.app.plot_data.run_row`."""

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[dict[str, Any]] = []
        self.metric_keys: list[str] = []
        self.columns: tuple[str, ...] = BASE_COLUMNS

    def set_rows(self, rows: Sequence[dict[str, Any]], metric_keys: Sequence[str]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.metric_keys = list(metric_keys)
        # A Pipeline column when the runs come from more than one pipeline of the project.
        several = len({r.get("pipeline", "") for r in self.rows}) > 1
        self.columns = (*BASE_COLUMNS, PIPELINE_COLUMN) if several else BASE_COLUMNS
        self.endResetModel()

    def rowCount(self, parent: Any = QtCore.QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Any = QtCore.QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.columns) + len(self.metric_keys)

    def headerData(
        self, section: int, orientation: Any, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:  # noqa: N802
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        if section < len(self.columns):
            return self.columns[section]
        index = section - len(self.columns)
        return self.metric_keys[index] if index < len(self.metric_keys) else None

    def run_id(self, row: int) -> int:
        return int(self.rows[row]["id"])

    def data(self, index: QtCore.QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, col = self.rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, col)
        if role == SORT_ROLE:
            return self._sort_value(row, col)
        if role == Qt.ItemDataRole.ForegroundRole and col == 1:
            return colors.readable(STATUS_COLOURS.get(row["status"], "#6e7781"))
        numeric = col == 0 or col == 4 or col >= len(self.columns)
        if role == Qt.ItemDataRole.TextAlignmentRole and numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and col == 1 and row.get("message"):
            return row["message"]
        return None

    def _text(self, row: dict[str, Any], col: int) -> str:
        if col == 0:
            return f"#{row['id']}"
        if col == 1:
            return str(row["status"])
        if col == 2:
            return str(row["trigger"])
        if col == 3:
            return format_started(row["started"])
        if col == 4:
            return format_duration(row["duration_s"])
        if col < len(self.columns):  # the Pipeline column
            return str(row.get("pipeline", ""))
        value = row["metrics"].get(self.metric_keys[col - len(self.columns)])
        return "" if value is None else f"{value:.4g}"

    def _sort_value(self, row: dict[str, Any], col: int) -> Any:
        if col == 0:
            return int(row["id"])
        if col == 3:
            return row["started"].timestamp() if row["started"] else 0.0
        if col == 4:
            return row["duration_s"] if row["duration_s"] is not None else -1.0
        if col >= len(self.columns):
            value = row["metrics"].get(self.metric_keys[col - len(self.columns)])
            return float("-inf") if value is None else float(value)
        return self._text(row, col)


class RunsPanel(QtWidgets.QWidget):
    """The runs of a project, newest first."""

    run_opened = QtCore.Signal(int)
    runs_selected = QtCore.Signal(list)
    compare_requested = QtCore.Signal(list)
    delete_requested = QtCore.Signal(list)  # run ids (the window confirms and deletes)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = RunsTableModel(self)
        self.proxy = QtCore.QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.view = QtWidgets.QTableView()
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.view.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(22)
        # Columns fit their contents: a stretched last metric column put its numbers a
        # screen away from their run.
        self.view.horizontalHeader().setStretchLastSection(False)
        # Fit columns to the first rows only: measuring thousands of rows takes seconds.
        self.view.horizontalHeader().setResizeContentsPrecision(100)
        self.view.doubleClicked.connect(self._on_view_double_clicked)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._on_view_context_menu_requested)
        self.view.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.proxy.setFilterKeyColumn(-1)  # match any column
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.filter_edit = QtWidgets.QLineEdit()
        self.filter_edit.setPlaceholderText("Filter runs (status, trigger, pipeline, #id, date…)")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._on_filter_edit_text_changed)
        self.status = QtWidgets.QLabel("No runs yet")
        self.compare_button = QtWidgets.QPushButton("Compare")
        self.compare_button.setToolTip(
            "Compare the selected runs (shift/ctrl-click to pick several)"
        )
        self.compare_button.setEnabled(False)
        self.compare_button.clicked.connect(self._on_compare_button_clicked)
        self.open_button = QtWidgets.QPushButton("Open")
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self._on_open_button_clicked)
        self.delete_button = QtWidgets.QPushButton("Delete…")
        self.delete_button.setToolTip(
            "Delete the selected runs with their stages and metrics (Del); runs that "
            "registered or deployed a model are kept"
        )
        self.delete_button.setEnabled(False)
        self.delete_button.clicked.connect(self._on_delete_button_clicked)
        delete_key = QtGui.QShortcut(QtGui.QKeySequence.StandardKey.Delete, self.view)
        delete_key.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete_key.activated.connect(self._on_delete_button_clicked)
        bar = QtWidgets.QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 2)
        bar.addWidget(self.status, 1)
        bar.addWidget(self.delete_button)
        bar.addWidget(self.open_button)
        bar.addWidget(self.compare_button)
        box = QtWidgets.QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addWidget(self.filter_edit)
        box.addWidget(self.view, 1)
        box.addLayout(bar)
        self._source: tuple[Any, Any, Any] | None = None

    # ------------------------------------------------------------------ data
    def set_rows(
        self, rows: Sequence[dict[str, Any]], metric_keys: Sequence[str] | None = None
    ) -> None:
        """Show these rows (see :func:`mlops_desktop.app.plot_data.run_row`)."""
        from mlops_desktop.app.plot_data import table_metric_keys

        keys = (
            list(metric_keys)
            if metric_keys is not None
            else table_metric_keys(r["metrics"] for r in rows)
        )
        selected = set(self.selected_run_ids())
        self.model.set_rows(rows, keys)
        self.view.resizeColumnsToContents()
        self.status.setText(
            f"{len(rows)} run{'s' if len(rows) != 1 else ''}" if rows else "No runs yet"
        )
        if selected:
            self.select_runs([r["id"] for r in rows if r["id"] in selected])
        self._update_buttons()

    def load(self, workspace: Workspace, project: str | int, pipeline: str | None = None) -> None:
        """Read the runs of ``project`` (optionally one pipeline) from the workspace."""
        from mlops_desktop.app.plot_data import runs_table

        self._source = (workspace, project, pipeline)
        self.set_rows(runs_table(workspace, project, pipeline))

    def refresh(self) -> None:
        """Read the runs again (after a run finished)."""
        if self._source is not None:
            self.load(*self._source)

    # ------------------------------------------------------------------ selection
    def selected_run_ids(self) -> list[int]:
        """Selected runs in the order shown."""
        rows = sorted(i.row() for i in self.view.selectionModel().selectedRows())
        return [
            self.model.run_id(self.proxy.mapToSource(self.proxy.index(r, 0)).row()) for r in rows
        ]

    def select_runs(self, run_ids: Sequence[int]) -> None:
        wanted = set(run_ids)
        selection = QtCore.QItemSelection()
        for row in range(self.proxy.rowCount()):
            source = self.proxy.mapToSource(self.proxy.index(row, 0)).row()
            if self.model.run_id(source) in wanted:
                selection.select(
                    self.proxy.index(row, 0), self.proxy.index(row, self.proxy.columnCount() - 1)
                )
        self.view.selectionModel().select(
            selection, QtCore.QItemSelectionModel.SelectionFlag.ClearAndSelect
        )

    def _on_filter_edit_text_changed(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        self.status.setText(f"{shown} of {total} runs" if text.strip() else f"{total} runs")

    def _update_buttons(self) -> None:
        n = len(self.view.selectionModel().selectedRows())
        self.compare_button.setEnabled(n >= 2)
        self.open_button.setEnabled(n == 1)
        self.delete_button.setEnabled(n >= 1)

    def _on_selection_changed(self, *_args: Any) -> None:
        self._update_buttons()
        self.runs_selected.emit(self.selected_run_ids())

    def _on_view_double_clicked(self, index: QtCore.QModelIndex) -> None:
        self.run_opened.emit(self.model.run_id(self.proxy.mapToSource(index).row()))

    def context_menu(self) -> QtWidgets.QMenu:
        """Open, Compare and Delete for the selected runs (what a right-click shows)."""
        menu = QtWidgets.QMenu(self)
        ids = self.selected_run_ids()
        open_run = menu.addAction("Open", self._on_open_button_clicked)
        open_run.setEnabled(len(ids) == 1)
        compare = menu.addAction("Compare", self._on_compare_button_clicked)
        compare.setEnabled(len(ids) >= 2)
        menu.addSeparator()
        delete = menu.addAction(
            f"Delete {len(ids)} run{'s' if len(ids) != 1 else ''}…", self._on_delete_button_clicked
        )
        delete.setShortcut(QtGui.QKeySequence(QtGui.QKeySequence.StandardKey.Delete))
        delete.setEnabled(bool(ids))
        return menu

    def _on_view_context_menu_requested(self, pos: QtCore.QPoint) -> None:
        index = self.view.indexAt(pos)
        if index.isValid() and not self.view.selectionModel().isRowSelected(index.row()):
            self.view.selectRow(index.row())
        self.context_menu().exec(self.view.viewport().mapToGlobal(pos))

    def _on_delete_button_clicked(self) -> None:
        ids = self.selected_run_ids()
        if ids:
            self.delete_requested.emit(ids)

    def _on_open_button_clicked(self) -> None:
        ids = self.selected_run_ids()
        if len(ids) == 1:
            self.run_opened.emit(ids[0])

    def _on_compare_button_clicked(self) -> None:
        ids = self.selected_run_ids()
        if len(ids) >= 2:
            self.compare_requested.emit(ids)
