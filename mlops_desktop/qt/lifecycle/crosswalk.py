"""The Crosswalk: the three vendors' lifecycle phases side by side against the project's stages.

Rows are the canonical stages of ``resources/crosswalk/stages.json``;
columns give what AWS, Google Cloud and Microsoft Azure call that part of the lifecycle, and
which stages of the open pipeline implement it (by their lifecycle kind). Each vendor's source
is linked under the table. Activating a row emits the ids of its stages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.graph import GraphEvent, Pipeline
from mlops_desktop.core.resources import load_json
from mlops_desktop.core.vendors import catalogue
from mlops_desktop.qt import colors

VENDORS = catalogue().ids()
COVERED = QColor("#dcfce7")
MISSING = QColor("#fef3c7")
COVERED_TEXT = QColor("#14532d")
MISSING_TEXT = QColor("#78350f")
# The dark theme: a deep wash of the same hue, light text.
DARK_COVERED = QColor("#163a24")
DARK_MISSING = QColor("#3d3214")
DARK_COVERED_TEXT = QColor("#bbf7d0")
DARK_MISSING_TEXT = QColor("#fde68a")


def coverage_colours(covered: bool) -> tuple[QColor, QColor]:
    """Background and text of a coverage cell in the current theme."""
    if colors.is_dark():
        return (DARK_COVERED, DARK_COVERED_TEXT) if covered else (DARK_MISSING, DARK_MISSING_TEXT)
    return (COVERED, COVERED_TEXT) if covered else (MISSING, MISSING_TEXT)


@cache
def crosswalk() -> dict[str, Any]:
    """The crosswalk data file."""
    return load_json("crosswalk", "stages.json")


@dataclass(frozen=True, slots=True)
class RowCoverage:
    """The project's side of one canonical stage."""

    node_ids: tuple[str, ...]
    text: str
    covered: bool


def row_coverage(pipeline: Pipeline | None, row: dict[str, Any]) -> RowCoverage:
    """Which stages (or, for the retraining loop, which triggers) implement a canonical stage."""
    if pipeline is None:
        return RowCoverage((), "No pipeline open", False)
    if row.get("loop"):
        triggers = [t for t in pipeline.meta.get("triggers", []) if isinstance(t, dict)]
        names = []
        for t in triggers:
            source = pipeline.nodes.get(str(t.get("source_node", "")))
            kind = str(t.get("type", "trigger")).replace("_", " ")
            names.append(f"{kind} from {source.title}" if source else kind)
        ids = tuple(
            str(t.get("source_node")) for t in triggers if t.get("source_node") in pipeline.nodes
        )
        if names:
            return RowCoverage(ids, "Triggers: " + "; ".join(names), True)
        return RowCoverage((), "Missing: no retraining trigger", False)
    kinds = set(row.get("kinds", []))
    if not kinds:
        return RowCoverage((), "Not a stage: answered in the maturity assessment", False)
    nodes = []
    for node in sorted(pipeline.nodes.values(), key=lambda n: (n.x, n.y)):
        spec = pipeline.registry.find(node.type)
        if spec is not None and spec.kind_for(node.params) in kinds:
            nodes.append(node)
    if not nodes:
        return RowCoverage((), "Missing", False)
    return RowCoverage(tuple(n.id for n in nodes), ", ".join(n.title for n in nodes), True)


class CrosswalkView(QWidget):
    """A table of canonical stages × vendors, plus the project's stages for each."""

    stages_activated = Signal(list)  # node ids of the activated row

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._data = crosswalk()
        self._pipeline: Pipeline | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self.rows: list[RowCoverage] = []
        vendors = {v["id"]: v for v in self._data["vendors"]}

        self.table = QTableWidget(len(self._data["stages"]), 2 + len(VENDORS))
        headers = ["Canonical stage", *(vendors[v]["name"] for v in VENDORS), "Your stages"]
        self.table.setHorizontalHeaderLabels(headers)
        for col, vid in enumerate(VENDORS, start=1):
            v = vendors[vid]
            head_item = self.table.horizontalHeaderItem(col)
            if head_item is not None:
                head_item.setToolTip(f"{v['title']}\n{v['source']}")
        head_item = self.table.horizontalHeaderItem(len(VENDORS) + 1)
        if head_item is not None:
            head_item.setToolTip(
                "Stages of the open pipeline that implement this part of the lifecycle"
            )
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(True)
        self.table.setAlternatingRowColors(True)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.table.setColumnWidth(0, 190)
        for col in range(1, 2 + len(VENDORS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)
        header.sectionResized.connect(self._on_header_section_resized)
        self.table.itemActivated.connect(self._on_table_item_activated)
        self.table.itemClicked.connect(self._on_table_item_activated)

        for r, row in enumerate(self._data["stages"]):
            name = QTableWidgetItem(row["name"])
            f = name.font()
            f.setBold(True)
            name.setFont(f)
            name.setToolTip(row["id"])
            self.table.setItem(r, 0, name)
            for col, vid in enumerate(VENDORS, start=1):
                text = row[vid]["text"]
                tip = f"{vendors[vid]['name']}: {text}"
                if vid == "google" and row.get("google_article"):
                    text += f"\nArticle: {row['google_article']}"
                    tip += f"\nArchitecture article: {row['google_article']}"
                item = QTableWidgetItem(text)
                item.setToolTip(tip)
                self.table.setItem(r, col, item)

        links = " &nbsp;·&nbsp; ".join(
            f"{v['name']}: <a href='{v['source']}'>{v['title']}</a>" for v in self._data["vendors"]
        )
        article = vendors["google"].get("article_source")
        if article:
            links += f" (article: <a href='{article}'>MLOps continuous delivery</a>)"
        self.sources = QLabel(f"<b>Sources</b> &nbsp; {links}<br><i>{self._data['note']}</i>")
        self.sources.setTextFormat(Qt.TextFormat.RichText)
        self.sources.setOpenExternalLinks(True)
        self.sources.setWordWrap(True)
        self.sources.setContentsMargins(6, 2, 6, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.sources)
        self._refresh()

    def set_pipeline(self, pipeline: Pipeline | None) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._pipeline = pipeline
        if pipeline is not None:
            self._unsubscribe = pipeline.subscribe(self._on_pipeline_changed)
        self._refresh()

    def stage_ids(self) -> list[str]:
        return [row["id"] for row in self._data["stages"]]

    def _on_pipeline_changed(self, event: GraphEvent) -> None:
        if event.kind in ("node_added", "node_removed", "node_changed", "meta_changed", "reset"):
            self._refresh()

    def _on_header_section_resized(self, *_args: object) -> None:
        self.table.resizeRowsToContents()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if hasattr(self, "rows") and colors.scheme_changed_for(self, event):
            self._refresh()

    def showEvent(self, event) -> None:  # noqa: N802, ANN001
        super().showEvent(event)
        self.table.resizeRowsToContents()

    def _on_table_item_activated(self, item: QTableWidgetItem) -> None:
        ids = list(self.rows[item.row()].node_ids) if item.row() < len(self.rows) else []
        if ids:
            self.stages_activated.emit(ids)

    def _refresh(self) -> None:
        col = len(VENDORS) + 1
        self.rows = []
        for r, row in enumerate(self._data["stages"]):
            cov = row_coverage(self._pipeline, row)
            self.rows.append(cov)
            item = QTableWidgetItem(cov.text)
            if self._pipeline is not None and (cov.covered or row.get("kinds") or row.get("loop")):
                back, text = coverage_colours(cov.covered)
                item.setBackground(QBrush(back))
                item.setForeground(QBrush(text))
            item.setToolTip(
                cov.text + ("\nClick to select them on the canvas." if cov.node_ids else "")
            )
            self.table.setItem(r, col, item)
        self.table.resizeRowsToContents()
