"""RunsPanel: the run history of a project as a sortable table (id, status, trigger, start,
duration and key metrics). Shift/ctrl-click selects several runs to compare; a double-click
opens one."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6 import QtCore, QtGui, QtWidgets

from mlops_desktop.qt import colors
from mlops_desktop.qt.background import BackgroundReads

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
    "kept_out": "#8250df",
}
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
FIT_ROWS = 40  # rows measured to fit the columns to their contents


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


def table_columns(rows: Sequence[dict[str, Any]]) -> tuple[str, ...]:
    """The fixed columns: a Pipeline column when the runs come from several pipelines."""
    several = len({r.get("pipeline", "") for r in rows}) > 1
    return (*BASE_COLUMNS, PIPELINE_COLUMN) if several else BASE_COLUMNS


def cell_text(
    row: dict[str, Any], col: int, columns: Sequence[str], metric_keys: Sequence[str]
) -> str:
    """The text of one cell of the runs table."""
    if col == 0:
        return f"#{row.get('number') or row['id']}"
    if col == 1:
        return str(row["status"]).replace("_", " ")  # kept_out: "kept out"
    if col == 2:
        return str(row["trigger"])
    if col == 3:
        return format_started(row["started"])
    if col == 4:
        return format_duration(row["duration_s"])
    if col < len(columns):  # the Pipeline column
        return str(row.get("pipeline", ""))
    value = row["metrics"].get(metric_keys[col - len(columns)])
    return "" if value is None else f"{value:.4g}"


def haystacks(rows: Sequence[dict[str, Any]], metric_keys: Sequence[str]) -> list[str]:
    """Each row's text in all columns, lower case (what the filter searches); pure Python,
    so a worker thread can prepare it with the rows."""
    columns = table_columns(rows)
    count = len(columns) + len(metric_keys)
    return [
        "\t".join(cell_text(row, c, columns, metric_keys) for c in range(count)).lower()
        for row in rows
    ]


class RunsTableModel(QtCore.QAbstractTableModel):
    """Rows as produced by :func:`mlops_desktop.app.plot_data.run_row`, held in memory.

    Sorting and filtering reorder a list of row numbers (``visible``) and move the
    persistent indexes (the selection) with their runs: no item is rebuilt and no proxy
    asks Python for each cell. :meth:`upsert` adds or updates runs in place, at their
    place in the current order."""

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[dict[str, Any]] = []  # every run, in load order (newest first)
        self.visible: list[int] = []  # indexes into rows, in the order shown
        self.metric_keys: list[str] = []
        self.columns: tuple[str, ...] = BASE_COLUMNS
        self.sort_column = -1
        self.sort_order = Qt.SortOrder.AscendingOrder
        self.needle = ""
        self._haystacks: list[str | None] = []

    def set_rows(
        self,
        rows: Sequence[dict[str, Any]],
        metric_keys: Sequence[str],
        texts: Sequence[str] | None = None,
    ) -> None:
        """Show these rows; ``texts``: their :func:`haystacks` when prepared already."""
        self.beginResetModel()
        self.rows = list(rows)
        self._haystacks = list(texts) if texts is not None else [None] * len(self.rows)
        self.metric_keys = list(metric_keys)
        self.columns = table_columns(self.rows)
        self.visible = self._ordered(self._matching(range(len(self.rows))))
        self.endResetModel()

    # ------------------------------------------------------------------ Qt interface
    def rowCount(self, parent: Any = QtCore.QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.visible)

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
        """The run shown on ``row``."""
        return int(self.rows[self.visible[row]]["id"])

    def data(
        self,
        index: QtCore.QModelIndex | QtCore.QPersistentModelIndex,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if not index.isValid():
            return None
        row, col = self.rows[self.visible[index.row()]], index.column()
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

    def sort(self, column: int, order: Any = Qt.SortOrder.AscendingOrder) -> None:
        self.sort_column, self.sort_order = column, order
        self._relayout(self._ordered(self.visible))

    # ------------------------------------------------------------------ filter and rows
    def set_filter(self, text: str) -> None:
        """Show only runs whose text contains ``text`` (any column, any case)."""
        self.needle = text.strip().lower()
        self._relayout(self._ordered(self._matching(range(len(self.rows)))))

    def upsert(self, rows: Sequence[dict[str, Any]]) -> None:
        """Add these runs, or update them where they are shown already (by id)."""
        where = {int(r["id"]): i for i, r in enumerate(self.rows)}
        for row in rows:
            i = where.get(int(row["id"]))
            if i is None:
                self._insert(row)
                where[int(row["id"])] = len(self.rows) - 1
                continue
            self.rows[i] = row
            self._haystacks[i] = None
            if i in self.visible:
                shown = self.visible.index(i)
                self.dataChanged.emit(
                    self.index(shown, 0), self.index(shown, self.columnCount() - 1)
                )

    def _insert(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        self._haystacks.append(None)
        i = len(self.rows) - 1
        if not self._matching([i]):
            return
        if self.sort_column < 0:
            position = 0  # newest first
        elif self.sort_order == Qt.SortOrder.DescendingOrder:  # after the keys not below it
            new = self._key(i)
            lo, hi = 0, len(self.visible)
            while lo < hi:
                mid = (lo + hi) // 2
                if self._key(self.visible[mid]) < new:
                    hi = mid
                else:
                    lo = mid + 1
            position = lo
        else:  # a key per probe (log n), not one per shown row
            position = bisect.bisect_right(self.visible, self._key(i), key=self._key)
        self.beginInsertRows(QtCore.QModelIndex(), position, position)
        self.visible.insert(position, i)
        self.endInsertRows()

    def _matching(self, indexes: Any) -> list[int]:
        if not self.needle:
            return list(indexes)
        return [i for i in indexes if self.needle in self._haystack(i)]

    def _haystack(self, i: int) -> str:
        text = self._haystacks[i]
        if text is None:
            row = self.rows[i]
            text = "\t".join(self._text(row, c) for c in range(self.columnCount())).lower()
            self._haystacks[i] = text
        return text

    def _key(self, i: int) -> Any:
        value = self._sort_value(self.rows[i], self.sort_column)
        return (value, int(self.rows[i]["id"]))

    def _ordered(self, indexes: list[int]) -> list[int]:
        if self.sort_column < 0 or self.sort_column >= self.columnCount():
            return sorted(indexes)  # load order: newest first
        reverse = self.sort_order == Qt.SortOrder.DescendingOrder
        return sorted(indexes, key=self._key, reverse=reverse)

    def _relayout(self, visible: list[int]) -> None:
        """Show ``visible`` instead, the persistent indexes (selection) following their runs."""
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        position = {i: n for n, i in enumerate(visible)}
        moved = []
        for index in old:
            n = position.get(self.visible[index.row()]) if index.row() < len(self.visible) else None
            moved.append(QtCore.QModelIndex() if n is None else self.index(n, index.column()))
        self.visible = visible
        self.changePersistentIndexList(old, moved)
        self.layoutChanged.emit()

    def _text(self, row: dict[str, Any], col: int) -> str:
        return cell_text(row, col, self.columns, self.metric_keys)

    def _sort_value(self, row: dict[str, Any], col: int) -> Any:
        if col == 0:
            return float(row["id"])
        if col == 3:
            return row["started"].timestamp() if row["started"] else 0.0
        if col == 4:
            return row["duration_s"] if row["duration_s"] is not None else -1.0
        if col >= len(self.columns):
            value = row["metrics"].get(self.metric_keys[col - len(self.columns)])
            return float("-inf") if value is None or value != value else float(value)
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
        # Reads of all the runs, and of some runs (a run finished) that belong to the
        # latest read of all: an older read's result is dropped.
        self._reads = BackgroundReads("mlops-runs-read", self)
        self._reads.arrived.connect(self._on_loaded)
        self._updates = BackgroundReads("mlops-runs-update", self)
        self._updates.arrived.connect(self._on_updated)
        # The view shows the model through an identity proxy (its rows are the model's):
        # the model sorts and filters itself.
        self.proxy = QtCore.QIdentityProxyModel(self)
        self.proxy.setSourceModel(self.model)
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
        # Fit columns to the first rows only (more than the panel shows): measuring thousands
        # of rows takes seconds, a hundred 40-60 ms of the GUI thread at each fill.
        self.view.horizontalHeader().setResizeContentsPrecision(FIT_ROWS)
        self.view.doubleClicked.connect(self._on_view_double_clicked)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._on_view_context_menu_requested)
        self.view.selectionModel().selectionChanged.connect(self._on_selection_changed)
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
        self,
        rows: Sequence[dict[str, Any]],
        metric_keys: Sequence[str] | None = None,
        texts: Sequence[str] | None = None,
    ) -> None:
        """Show these rows (see :func:`mlops_desktop.app.plot_data.run_row`); ``texts``:
        their :func:`haystacks`, when a worker prepared them."""
        from mlops_desktop.app.plot_data import table_metric_keys

        keys = (
            list(metric_keys)
            if metric_keys is not None
            else table_metric_keys(r["metrics"] for r in rows)
        )
        selected = set(self.selected_run_ids())
        self.model.set_rows(rows, keys, texts)
        self.view.resizeColumnsToContents()
        self._show_count()
        if selected:
            self.select_runs([r["id"] for r in rows if r["id"] in selected])
        self._update_buttons()

    def load(self, workspace: Workspace, project: str | int, pipeline: str | None = None) -> None:
        """Read the runs of ``project`` (optionally one pipeline) from the workspace now."""
        from mlops_desktop.app.plot_data import runs_table_rows

        self._source = (workspace, project, pipeline)
        self._reads.supersede()
        self.set_rows(*runs_table_rows(workspace, project, pipeline))

    def load_in_background(
        self, workspace: Workspace, project: str | int, pipeline: str | None = None
    ) -> None:
        """Read the runs in a worker thread; the table fills when they arrive.
        The window stays responsive meanwhile; a newer read supersedes this one."""
        from mlops_desktop.app.plot_data import runs_table_rows

        self._source = (workspace, project, pipeline)
        self.status.setText("Reading the runs…")

        def read() -> Any:
            rows, keys = runs_table_rows(workspace, project, pipeline)
            return rows, keys, haystacks(rows, keys)

        self._reads.start(read)

    def wait(self, timeout: float = 5.0) -> bool:
        """Block until no read of the runs is running (shutdown: the workspace is about to
        close under it); True when none is."""
        return self._reads.wait(timeout) and self._updates.wait(timeout)

    def _on_loaded(self, number: int, result: Any) -> None:
        if not self._reads.is_latest(number):
            return  # a newer read is on its way
        if isinstance(result, Exception):
            self.status.setText(f"Cannot list the runs: {result}")
            return
        self.set_rows(*result)

    def refresh(self) -> None:
        """Read the runs again (in the background)."""
        if self._source is not None:
            self.load_in_background(*self._source)

    def update_runs(self, run_ids: Sequence[int]) -> None:
        """Add or update these runs' rows (a run finished): a read of those runs only; the
        other rows, the order, the filter and the selection stay."""
        from mlops_desktop.app.plot_data import runs_table_rows

        if self._source is None:
            return
        workspace, project, pipeline = self._source
        rows, _keys = runs_table_rows(workspace, project, pipeline, run_ids=run_ids)
        if not self.model.rows:
            self.set_rows(rows)
            return
        self.model.upsert(rows)
        self._show_count()

    def update_in_background(self, run_ids: Sequence[int]) -> None:
        """:meth:`update_runs`, with the read in a worker thread: the rows change when it
        arrives, unless a read of all the runs began meanwhile."""
        from mlops_desktop.app.plot_data import runs_table_rows

        if self._source is None:
            return
        workspace, project, pipeline = self._source
        ids = list(run_ids)

        def read() -> Any:
            return runs_table_rows(workspace, project, pipeline, run_ids=ids)[0]

        self._updates.start(read, number=self._reads.number)

    def _on_updated(self, number: int, result: Any) -> None:
        if not self._reads.is_latest(number):
            return  # a read of every run since: it has these rows as they are now
        if isinstance(result, Exception):
            self.status.setText(f"Cannot list the run: {result}")
            return
        if not self.model.rows:
            self.set_rows(result)
            return
        self.model.upsert(result)
        self._show_count()

    # ------------------------------------------------------------------ selection
    def _selected_rows(self) -> list[int]:
        rows: set[int] = set()
        selection = self.view.selectionModel().selection()
        for part in (selection.at(i) for i in range(selection.count())):
            rows.update(range(part.top(), part.bottom() + 1))
        return sorted(rows)

    def selected_run_ids(self) -> list[int]:
        """Selected runs in the order shown."""
        return [self.model.run_id(r) for r in self._selected_rows()]

    def select_runs(self, run_ids: Sequence[int]) -> None:
        """Select these runs (those shown): one range per block of adjacent rows."""
        wanted = {int(i) for i in run_ids}
        rows = [n for n, i in enumerate(self.model.visible) if self.model.rows[i]["id"] in wanted]
        selection = QtCore.QItemSelection()
        last = self.proxy.columnCount() - 1
        start = previous = None
        for row in [*rows, None]:
            if row is not None and previous is not None and row == previous + 1:
                previous = row
                continue
            if start is not None and previous is not None:  # set together
                selection.select(self.proxy.index(start, 0), self.proxy.index(previous, last))
            start = previous = row
        self.view.selectionModel().select(
            selection, QtCore.QItemSelectionModel.SelectionFlag.ClearAndSelect
        )

    def _on_filter_edit_text_changed(self, text: str) -> None:
        self.model.set_filter(text)
        self._show_count()

    def _show_count(self) -> None:
        shown, total = self.model.rowCount(), len(self.model.rows)
        if not total:
            self.status.setText("No runs yet")
        elif self.model.needle:
            self.status.setText(f"{shown} of {total} runs")
        else:
            self.status.setText(f"{total} run{'s' if total != 1 else ''}")

    def _update_buttons(self) -> None:
        n = len(self._selected_rows())
        self.compare_button.setEnabled(n >= 2)
        self.open_button.setEnabled(n == 1)
        self.delete_button.setEnabled(n >= 1)

    def _on_selection_changed(self, *_args: Any) -> None:
        self._update_buttons()
        self.runs_selected.emit(self.selected_run_ids())

    def _on_view_double_clicked(self, index: QtCore.QModelIndex) -> None:
        self.run_opened.emit(self.model.run_id(index.row()))

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
