"""OutputPreview: the stored outputs of one stage of a run, read off the GUI thread.

A stage's output values are loaded from the workspace's artifact store and shaped into plain
previews (:func:`mlops_desktop.app.previews.preview`) on a worker of a small private
``QThreadPool``; the result comes back through a queued signal on the GUI thread, and a result
for a stage that is no longer selected is dropped. Tables (the head of a dataset, a split or
predictions), profiles and metrics are shown in a ``QTableView`` over
:class:`PreviewTableModel`; models, transformers and other values as text. Errors (a stage
without outputs, a missing artifact) are one line in the preview area, never a dialog.
"""

from __future__ import annotations

import json
import logging
import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from PySide6 import QtCore, QtGui, QtWidgets

from mlops_desktop.core.errors import MlopsError

if TYPE_CHECKING:
    from mlops_desktop.app.workspace import Workspace

log = logging.getLogger(__name__)
Qt = QtCore.Qt

# The order of a profile's per-column statistics; any others follow in name order.
PROFILE_STATS = (
    "dtype",
    "count",
    "missing",
    "unique",
    "mean",
    "std",
    "min",
    "p25",
    "median",
    "p75",
    "max",
)
IDLE_THREAD_MS = 2000  # a pool thread left idle this long ends (nothing lingers)
TEXT_LIMIT = 20000
TEXT_WIDTH = 100  # characters per line of a wrapped name list
FIT_ROWS = 12  # rows measured to fit a column's width to its contents


def load_previews(workspace: Workspace, run_id: int, node_id: str) -> dict[str, dict[str, Any]]:
    """Every output port of a stage shaped for display (no Qt: runs on a worker thread)."""
    from mlops_desktop.app.previews import preview
    from mlops_desktop.app.runs import RunService

    values = RunService(workspace).outputs(run_id, node_id)
    previews = {port: preview(value) for port, value in values.items()}
    tables = [p["columns"] for p in previews.values() if p["kind"] == "table"]
    for p in previews.values():  # a profile beside its data lists the data's columns in order
        if p["kind"] == "profile" and tables:
            p["profile"] = in_column_order(p["profile"], tables[0])
    return previews


def in_column_order(profile: Mapping[str, Any], columns: Sequence[str]) -> dict[str, Any]:
    """``profile`` keyed in the order of ``columns`` (names not among them last, as given)."""
    ordered = {c: profile[c] for c in columns if c in profile}
    ordered.update((c, stats) for c, stats in profile.items() if c not in ordered)
    return ordered


def format_cell(value: Any) -> str:
    """A cell as text: floats with six significant digits, a missing value as ``NaN``."""
    if value is None:
        return "NaN"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list | dict):
        return json.dumps(value, default=str)
    return str(value)


class PreviewTableModel(QtCore.QAbstractTableModel):
    """A read-only grid of plain cells with a tooltip per column header."""

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._headers: list[str] = []
        self._tips: list[str] = []
        self._rows: list[list[Any]] = []
        self._numbered = True

    def set_table(
        self,
        headers: Sequence[str],
        rows: Sequence[Sequence[Any]],
        tips: Sequence[str] | None = None,
        *,
        numbered: bool = True,
    ) -> None:
        """Replace the grid; ``numbered`` gives rows their position as vertical header."""
        self.beginResetModel()
        self._headers = [str(h) for h in headers]
        self._tips = [str(t) for t in tips] if tips else list(self._headers)
        self._rows = [list(r) for r in rows]
        self._numbered = numbered
        self.endResetModel()

    def headers(self) -> list[str]:
        return list(self._headers)

    def rows(self) -> list[list[Any]]:
        return [list(r) for r in self._rows]

    def rowCount(
        self, parent: QtCore.QModelIndex | QtCore.QPersistentModelIndex | None = None
    ) -> int:  # noqa: N802
        return 0 if parent is not None and parent.isValid() else len(self._rows)

    def columnCount(
        self, parent: QtCore.QModelIndex | QtCore.QPersistentModelIndex | None = None
    ) -> int:  # noqa: N802
        return 0 if parent is not None and parent.isValid() else len(self._headers)

    def data(
        self,
        index: QtCore.QModelIndex | QtCore.QPersistentModelIndex,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if not index.isValid():
            return None
        value = self._rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return format_cell(value)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{self._headers[index.column()]}: {'NaN' if value is None else value}"
        if role == Qt.ItemDataRole.UserRole:
            return value
        if role == Qt.ItemDataRole.TextAlignmentRole:
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            horizontal = Qt.AlignmentFlag.AlignRight if numeric else Qt.AlignmentFlag.AlignLeft
            return int(horizontal | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and value is None:
            return QtGui.QPalette().brush(QtGui.QPalette.ColorRole.PlaceholderText)
        return None

    def headerData(  # noqa: N802 - Qt override
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole and section < len(self._headers):
                return self._headers[section]
            if role == Qt.ItemDataRole.ToolTipRole and section < len(self._tips):
                return self._tips[section]
            return None
        if role == Qt.ItemDataRole.DisplayRole and self._numbered:
            return str(section)
        return None


def profile_table(profile: Mapping[str, Mapping[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """One row per profiled column: its name, then its statistics in ``PROFILE_STATS`` order."""
    present = {key for stats in profile.values() for key in stats}
    keys = [k for k in PROFILE_STATS if k in present] + sorted(present - set(PROFILE_STATS))
    rows = [[name, *(stats.get(k) for k in keys)] for name, stats in profile.items()]
    return ["column", *keys], rows


def name_list(label: str, names: Sequence[Any]) -> str:
    """``label (n): a, b, c`` wrapped to lines of a readable length."""
    text = f"{label} ({len(names)}): " + ", ".join(str(n) for n in names)
    return textwrap.fill(text, TEXT_WIDTH, subsequent_indent="    ", break_long_words=False)


def model_text(p: Mapping[str, Any]) -> str:
    """A model preview as a few readable lines: what it is, its classes, features, params."""
    lines = [f"{p['title']}  ({p.get('task') or 'unknown task'}, estimator '{p['estimator']}')"]
    if p.get("classes"):
        lines.append(name_list("Classes", p["classes"]))
    lines.append(name_list("Features", p.get("features") or []))
    params = p.get("params") or {}
    if params:
        width = max(len(k) for k in params)
        lines += ["", "Parameters:"]
        lines += [f"  {k.ljust(width)}  {v!r}" for k, v in params.items()]
    return "\n".join(lines)


def transformer_text(p: Mapping[str, Any]) -> str:
    return "\n".join(
        [
            name_list("Features in", p.get("features_in") or []),
            name_list("Features out", p.get("features_out") or []),
            "",
            p.get("text", ""),
        ]
    )


def caption_of(p: Mapping[str, Any]) -> str:
    """The line under a preview's title: shape, what is shown, notes."""
    kind = p["kind"]
    if kind in ("table", "split"):
        rows, cols = p["shape"]
        what = "rows"
        if kind == "split":  # the shape is the head's: the training part's length is in parts
            rows, what = int(p["parts"]["train"]), "training rows"
        shown = len(p["rows"])
        parts = [f"{rows:,} {what} × {cols} columns"]
        parts.append(f"showing the first {shown}" if shown < rows else f"all {shown} shown")
        if p.get("target"):
            parts.append(f"target '{p['target']}'")
        if p.get("content_hash"):
            parts.append(f"hash {p['content_hash'][:10]}")
        return " · ".join(parts) + " · hover a column name for its type"
    if kind == "profile":
        total = p.get("rows_total")
        over = f" over {total:,} rows" if isinstance(total, int) else ""
        n = len(p.get("violations") or [])
        checks = f"{n} violation(s)" if n else "no schema violations"
        return f"{len(p['profile'])} columns profiled{over} · {checks}"
    if kind == "metrics":
        details = p.get("details") or []
        more = f" · also stored: {', '.join(details)}" if details else ""
        return f"{len(p['metrics'])} metrics{more}"
    return ""


class OutputPreview(QtWidgets.QWidget):
    """The outputs of one stage: a port selector, then a table, text or a message."""

    outputs_shown = QtCore.Signal(str)  # node id: its previews (or why there are none) show
    _loaded = QtCore.Signal(int, str, object)  # request, node id, previews or error text

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._pool = QtCore.QThreadPool(self)  # a child: its destructor waits for the worker
        self._pool.setMaxThreadCount(1)
        self._pool.setExpiryTimeout(IDLE_THREAD_MS)
        self._request = 0
        self._node_id = ""
        # The stage to load once shown: (workspace, run id, node id, title).
        self._pending: tuple[Workspace, int, str, str] | None = None
        self._previews: dict[str, dict[str, Any]] = {}
        self._message = ""
        self._loaded.connect(self._on_worker_loaded, Qt.ConnectionType.QueuedConnection)
        self._build()
        self.show_message("Select a stage to preview its outputs.")

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        self.title_label = QtWidgets.QLabel()
        self.title_label.setStyleSheet("font-weight: 600;")
        self.caption_label = QtWidgets.QLabel()
        self.caption_label.setWordWrap(True)
        self.caption_label.setForegroundRole(QtGui.QPalette.ColorRole.PlaceholderText)
        self.port_tabs = QtWidgets.QTabBar()
        self.port_tabs.setDocumentMode(True)
        self.port_tabs.setDrawBase(False)
        self.port_tabs.setExpanding(False)
        self.port_tabs.setToolTip("The stage's output ports")
        self.port_tabs.currentChanged.connect(self._on_port_tabs_current_changed)
        self.table_model = PreviewTableModel(self)
        self.table_view = QtWidgets.QTableView()
        self.table_view.setModel(self.table_model)
        self.table_view.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table_view.setAlternatingRowColors(True)
        self.table_view.setWordWrap(False)
        self.table_view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.text_view = QtWidgets.QPlainTextEdit()
        self.text_view.setReadOnly(True)
        self.text_view.setLineWrapMode(QtWidgets.QPlainTextEdit.LineWrapMode.NoWrap)
        self.text_view.setFont(
            QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont)
        )
        self.message_label = QtWidgets.QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label.setStyleSheet("padding: 8px 4px;")
        self.stack = QtWidgets.QStackedWidget()
        for widget in (self.message_label, self.table_view, self.text_view):
            self.stack.addWidget(widget)
        box = QtWidgets.QVBoxLayout(self)
        box.setContentsMargins(6, 4, 0, 0)
        box.setSpacing(3)
        box.addWidget(self.port_tabs)
        box.addWidget(self.title_label)
        box.addWidget(self.caption_label)
        box.addWidget(self.stack, 1)

    # ------------------------------------------------------------------ public
    def show_stage(self, workspace: Workspace, run_id: int, node_id: str, title: str = "") -> None:
        """Load and show the outputs of stage ``node_id`` of run ``run_id`` (asynchronously;
        while this preview is hidden, when it is next shown: reading a run's tables in the
        window's process while its end is drawn held the interpreter for 100 ms)."""
        self._request += 1
        self._node_id = node_id
        self._pool.clear()  # a load still queued for an earlier selection is not needed
        self.show_message(f"Loading the outputs of '{title or node_id}'…")
        self._pending = (workspace, run_id, node_id, title)
        if self.isVisible():
            self._load_pending()

    def showEvent(self, event: QtGui.QShowEvent) -> None:  # noqa: N802 - Qt override
        """Load the stage chosen while this preview was hidden."""
        super().showEvent(event)
        self._load_pending()

    def _load_pending(self) -> None:
        if self._pending is None:
            return
        workspace, run_id, node_id, title = self._pending
        self._pending = None
        request = self._request

        def work() -> None:
            try:
                result: Any = load_previews(workspace, run_id, node_id)
            except MlopsError as exc:
                result = str(exc)
            except Exception as exc:  # noqa: BLE001 - any unreadable artifact is one line
                log.exception("cannot preview the outputs of %s in run #%s", node_id, run_id)
                result = f"Cannot read the outputs of '{title or node_id}': {exc}"
            try:
                self._loaded.emit(request, node_id, result)
            except RuntimeError:  # the widget went away while the worker was reading
                pass

        self._pool.start(work)

    def show_message(self, text: str) -> None:
        """Show one line instead of a preview (and forget any pending load's port list)."""
        self._previews = {}
        self._message = text
        self._set_ports([])
        self.title_label.hide()
        self.caption_label.hide()
        self.message_label.setText(text)
        self.stack.setCurrentWidget(self.message_label)

    def clear(self, text: str = "Select a stage to preview its outputs.") -> None:
        """Forget the stage shown (a late result for it is ignored)."""
        self._request += 1
        self._node_id = ""
        self._pending = None
        self.show_message(text)

    def wait(self, msecs: int = 5000) -> bool:
        """Block until the worker is idle (tests, shutdown); True when it is."""
        return bool(self._pool.waitForDone(msecs))

    def node_id(self) -> str:
        return self._node_id

    def message(self) -> str:
        """The line shown instead of a preview ("" while a preview shows)."""
        return self._message

    def ports(self) -> list[str]:
        return list(self._previews)

    def current_port(self) -> str:
        index = self.port_tabs.currentIndex()
        return self.port_tabs.tabData(index) if index >= 0 else ""

    def current_preview(self) -> dict[str, Any] | None:
        return self._previews.get(self.current_port())

    def select_port(self, port: str) -> None:
        for i in range(self.port_tabs.count()):
            if self.port_tabs.tabData(i) == port:
                self.port_tabs.setCurrentIndex(i)
                return
        raise KeyError(port)

    # ------------------------------------------------------------------ showing
    def _on_worker_loaded(self, request: int, node_id: str, result: Any) -> None:
        if request != self._request:  # the selection moved on meanwhile
            return
        if isinstance(result, str):
            self.show_message(result)
        elif not result:
            self.show_message("This stage has no outputs.")
        else:
            self._previews = dict(result)
            self._message = ""
            self._set_ports(list(result))
            self._render(self.current_port())
        self.outputs_shown.emit(node_id)

    def _set_ports(self, ports: Sequence[str]) -> None:
        self.port_tabs.blockSignals(True)
        while self.port_tabs.count():
            self.port_tabs.removeTab(0)
        for port in ports:
            index = self.port_tabs.addTab(port)
            self.port_tabs.setTabData(index, port)
        self.port_tabs.setCurrentIndex(0 if ports else -1)
        self.port_tabs.blockSignals(False)
        self.port_tabs.setVisible(len(ports) > 1)

    def _on_port_tabs_current_changed(self, _index: int) -> None:
        if self._previews:
            self._render(self.current_port())

    def _render(self, port: str) -> None:
        p = self._previews[port]
        kind = p["kind"]
        self.title_label.setText(str(p.get("title", "")))
        self.title_label.show()
        caption = caption_of(p)
        self.caption_label.setText(caption)
        self.caption_label.setVisible(bool(caption))
        if kind in ("table", "split"):
            tips = [f"{c}: {t}" for c, t in zip(p["columns"], p["dtypes"], strict=False)]
            self._show_table(p["columns"], p["rows"], tips, numbered=True)
        elif kind == "profile":
            headers, rows = profile_table(p["profile"])
            self._show_table(headers, rows, None, numbered=False)
            if p.get("violations"):
                self.caption_label.setText(
                    caption + "\n" + "\n".join(f"• {v}" for v in p["violations"])
                )
        elif kind == "metrics":
            rows = [[k, v] for k, v in p["metrics"].items()]
            self._show_table(["metric", "value"], rows, None, numbered=False)
        elif kind == "model":
            self._show_text(model_text(p))
        elif kind == "transformer":
            self._show_text(transformer_text(p))
        elif kind == "report":
            self._show_text(json.dumps(p.get("data"), indent=2, default=str))
        else:
            self._show_text(str(p.get("text", "")))

    def _show_table(
        self,
        headers: Sequence[str],
        rows: Sequence[Sequence[Any]],
        tips: Sequence[str] | None,
        *,
        numbered: bool,
    ) -> None:
        self.table_model.set_table(headers, rows, tips, numbered=numbered)
        self.table_view.verticalHeader().setVisible(numbered)
        header = self.table_view.horizontalHeader()
        metrics = self.table_view.fontMetrics()
        digit = metrics.horizontalAdvance("0")
        low, cap = digit * 7 + 16, max(120, digit * 28)
        head = rows[:FIT_ROWS]
        # Widths measured here from the first rows' text, not by the view: its measure asks
        # the model for every role of every cell, a Python call each (tens of ms).
        for col, name in enumerate(headers):  # a long column name must not push the rest away
            texts = [str(name)] + [format_cell(r[col]) for r in head if col < len(r)]
            width = max(metrics.horizontalAdvance(t) for t in texts) + 2 * digit
            header.resizeSection(col, max(low, min(width, cap)))
        self.table_view.scrollToTop()
        self.stack.setCurrentWidget(self.table_view)

    def _show_text(self, text: str) -> None:
        if len(text) > TEXT_LIMIT:
            text = text[:TEXT_LIMIT] + "\n…"
        self.text_view.setPlainText(text)
        self.stack.setCurrentWidget(self.text_view)
