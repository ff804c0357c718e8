"""The Lifecycle map: each vendor's lifecycle drawn as its own graph, coloured by coverage.

Phases are boxes in the vendor's order joined by arrows; the vendor's feedback loops are
curved arrows (backward loops below the row, forward ones above); a cross-cutting phase
(Google's data and model management) spans the row underneath. Each phase is coloured by how
the project covers it: the stages that implement it, their last run status when known, or
"missing". Clicking a phase emits :attr:`LifecycleMapView.phase_activated` with its stages.
The loop as it happened (alerts, retraining runs, promotions, rollbacks) is drawn as markers
on the wired feedback loop's arc; clicking one emits :attr:`LifecycleMapView.run_activated`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPalette,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import (
    QGraphicsObject,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSceneMouseEvent,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QStyleOptionGraphicsItem,
    QTabBar,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.entities import StageStatus
from mlops_desktop.core.graph import GraphEvent, Node, Pipeline
from mlops_desktop.core.lifecycle import Lifecycle, Loop, Phase, lifecycles, place
from mlops_desktop.core.vendors import catalogue
from mlops_desktop.qt import colors
from mlops_desktop.qt.lifecycle.markers import (
    MARKER_STYLE,
    LoopMarker,
    add_loop_markers,
    counts_text,
)

if TYPE_CHECKING:  # a type only: plot_data loads numpy, which start-up must not
    from mlops_desktop.app.plot_data import TimelineEvent

BOX_W, BOX_H, GAP = 168.0, 86.0, 40.0
LOOP_STEP = 12.0  # how much deeper a loop goes to clear the labels and arcs drawn before it
LOOP_CLEARANCE = 8.0  # the band around an arc that a label must keep out of
CROSS_CUTTING = {"gcp.stage.data_model_management"}
LENS_TAB_LABELS = {lens.id: lens.tab for lens in catalogue().lenses()}  # "azure": "Azure ML"


@dataclass(frozen=True, slots=True)
class Coverage:
    """How a project covers one phase: its stages and a summary state."""

    state: str  # missing | planned | running | succeeded | failed | skipped
    nodes: tuple[Node, ...]


# Fill, border and label of each coverage state (pastel fills on the light theme; the dark
# theme washes the border colour into the window colour instead, see _phase_fill).
STATE_STYLE: dict[str, tuple[str, str, str]] = {
    "missing": ("#f1f2f4", "#a0a6b1", "Missing"),
    "planned": ("#dbeafe", "#3b82f6", "Not run yet"),
    "running": ("#fef3c7", "#d97706", "Running"),
    "succeeded": ("#dcfce7", "#16a34a", "Succeeded"),
    "failed": ("#fee2e2", "#dc2626", "Failed"),
    "skipped": ("#e5e7eb", "#6b7280", "Skipped"),
}
LEGEND_ORDER = ("succeeded", "failed", "running", "skipped", "planned", "missing")


def coverage_state(statuses: list[StageStatus | None]) -> str:
    """Summarise the last run statuses of a phase's stages (``None`` = never ran)."""
    if not statuses:
        return "missing"
    known = [s for s in statuses if s is not None and s is not StageStatus.IDLE]
    if any(s is StageStatus.FAILED for s in known):
        return "failed"
    if any(s in (StageStatus.RUNNING, StageStatus.QUEUED, StageStatus.WAITING) for s in known):
        return "running"
    if known and len(known) == len(statuses):
        if all(s in (StageStatus.SUCCEEDED, StageStatus.CACHED) for s in known):
            return "succeeded"
        return "skipped"
    return "planned"


def wired_loops(pipeline: Pipeline | None, lens_id: str) -> frozenset[str]:
    """Loops the pipeline closes: a ``monitor_alert`` trigger whose source stage sits in the
    loop's source phase, re-running a pipeline that has stages in the loop's target phase."""
    if pipeline is None:
        return frozenset()
    triggers = [t for t in pipeline.meta.get("triggers", []) if isinstance(t, dict)]
    sources = {str(t.get("source_node")) for t in triggers if t.get("type") == "monitor_alert"}
    if not sources:
        return frozenset()
    placement = place(pipeline, lens_id)
    phase_nodes = {pid: {n.id for n in nodes} for pid, nodes in placement.by_phase.items()}
    return frozenset(
        loop.id
        for loop in placement.lifecycle.loops
        if sources & phase_nodes.get(loop.source, set()) and phase_nodes.get(loop.target)
    )


def phase_coverage(
    pipeline: Pipeline | None, lens_id: str, states: Mapping[str, StageStatus]
) -> dict[str, Coverage]:
    """The coverage of every phase of ``lens_id`` by ``pipeline`` (all missing without one)."""
    lc = next(x for x in lifecycles() if x.id == lens_id)
    if pipeline is None:
        return {p.id: Coverage("missing", ()) for p in lc.phases}
    placement = place(pipeline, lens_id)
    out = {}
    for phase in lc.phases:
        nodes = tuple(sorted(placement.by_phase[phase.id], key=lambda n: (n.x, n.y)))
        out[phase.id] = Coverage(coverage_state([states.get(n.id) for n in nodes]), nodes)
    return out


class PhaseItem(QGraphicsObject):
    """One phase box; a click reports the phase."""

    clicked = Signal(str)

    def __init__(self, phase: Phase, coverage: Coverage, rect: QRectF, number: int) -> None:
        super().__init__()
        self.phase = phase
        self.coverage = coverage
        self._rect = rect
        self._number = number
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        names = ", ".join(n.title for n in coverage.nodes) or "none: no stage of this pipeline"
        self.setToolTip(
            f"<b>{phase.name}</b><br>{phase.description}<br><br>"
            f"<b>Stages:</b> {names}<br><i>{STATE_STYLE[coverage.state][2]}</i>"
            + ("<br>Click to select them on the canvas." if coverage.nodes else "")
        )
        self._hover = False

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return self._rect.adjusted(-3, -3, 3, 3)

    def hoverEnterEvent(self, event) -> None:  # noqa: N802, ANN001
        self._hover = True
        self.update()

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802, ANN001
        self._hover = False
        self.update()

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.phase.id)
            event.accept()
        else:
            super().mousePressEvent(event)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:  # noqa: ANN001
        fill, border, _ = STATE_STYLE[self.coverage.state]
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(QColor(border), 2.5 if self._hover else 1.5)
        if self.coverage.state == "missing":
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(_phase_fill(fill, border))
        painter.drawRoundedRect(self._rect, 10, 10)
        r = self._rect.adjusted(10, 7, -10, -7)
        painter.setPen(colors.role("text"))
        head = QFont(painter.font())
        head.setPointSizeF(10.0)
        head.setBold(True)
        painter.setFont(head)
        title = f"{self._number}. {self.phase.name}" if self._number else self.phase.name
        flags = int(
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap
        )
        used = painter.boundingRect(QRectF(r.left(), r.top(), r.width(), 40), flags, title)
        painter.drawText(QRectF(r.left(), r.top(), r.width(), 40), flags, title)
        body = QFont(painter.font())
        body.setPointSizeF(9.0)
        body.setBold(False)
        painter.setFont(body)
        painter.setPen(colors.role("muted_text"))
        count = len(self.coverage.nodes)
        names = ", ".join(n.title for n in self.coverage.nodes)
        line = (
            f"{count} stage{'s' if count > 1 else ''}: {names}"
            if count
            else "No stage implements it"
        )
        y = min(used.bottom() + 2, r.bottom() - 34)
        if r.height() < 50:  # a short cross-cutting band: everything on the title's line
            line = f"{line}  ·  {STATE_STYLE[self.coverage.state][2]}"
            y = r.top() + 1
            r = r.adjusted(used.width() + 16, 0, 0, 0)
        painter.drawText(
            QRectF(r.left(), y, r.width(), 16),
            int(Qt.AlignmentFlag.AlignLeft),
            painter.fontMetrics().elidedText(line, Qt.TextElideMode.ElideRight, int(r.width())),
        )
        if r.height() < 50:
            return
        painter.setPen(colors.readable(QColor(border).darker(135)))
        painter.drawText(
            QRectF(r.left(), r.bottom() - 15, r.width(), 15),
            int(Qt.AlignmentFlag.AlignLeft),
            STATE_STYLE[self.coverage.state][2],
        )


def _phase_fill(fill: str, border: str) -> QColor:
    if not colors.is_dark():
        return QColor(fill)
    edge, base = QColor(border), QApplicationPalette.base()
    return QColor(
        round(edge.red() * 0.22 + base.red() * 0.78),
        round(edge.green() * 0.22 + base.green() * 0.78),
        round(edge.blue() * 0.22 + base.blue() * 0.78),
    )


def _loop_path(
    src: QRectF, dst: QRectF, backward: bool, depth: float, shift: float
) -> tuple[QPainterPath, QPointF, QPointF]:
    """A loop's curve (below the row going backward, above going forward), its end point
    and the control point the arrow head points away from."""
    y0, sign = (BOX_H, 1.0) if backward else (0.0, -1.0)
    p0 = QPointF(src.center().x() + (12 if backward else 30) + shift, y0)
    p1 = QPointF(dst.center().x() - (12 if backward else 30) - shift, y0)
    path = QPainterPath(p0)
    c0 = QPointF(p0.x(), y0 + sign * depth * 1.3)
    c1 = QPointF(p1.x(), y0 + sign * depth * 1.3)
    path.cubicTo(c0, c1, p1)
    return path, p1, c1


def _arrow_head(tip: QPointF, towards: QPointF, size: float = 9.0) -> QPolygonF:
    d = tip - towards
    length = max((d.x() ** 2 + d.y() ** 2) ** 0.5, 1e-6)
    ux, uy = d.x() / length, d.y() / length
    left = QPointF(tip.x() - ux * size - uy * size * 0.55, tip.y() - uy * size + ux * size * 0.55)
    right = QPointF(tip.x() - ux * size + uy * size * 0.55, tip.y() - uy * size - ux * size * 0.55)
    return QPolygonF([tip, left, right])


class LifecycleScene(QGraphicsScene):
    """The drawing of one lifecycle."""

    phase_clicked = Signal(str)
    run_clicked = Signal(int)

    def __init__(self, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.phase_items: dict[str, PhaseItem] = {}
        self.loop_paths: dict[str, QGraphicsPathItem] = {}
        self.loop_labels: dict[str, QGraphicsSimpleTextItem] = {}
        self.loop_markers: list[LoopMarker] = []
        self.marked_loop = ""  # the loop whose arc carries the markers

    def build(
        self,
        lc: Lifecycle,
        coverage: Mapping[str, Coverage],
        wired: frozenset[str] = frozenset(),
        events: Sequence[TimelineEvent] = (),
    ) -> None:
        """Draw ``lc``; loops in ``wired`` are implemented by the pipeline (drawn solid);
        ``events`` (the loop as it happened) are markers on the loop they belong to."""
        self.clear()
        self.phase_items = {}
        self.loop_paths, self.loop_labels = {}, {}
        self.loop_markers, self.marked_loop = [], ""
        fg = QApplicationPalette.text()
        main = [p for p in lc.phases if p.id not in CROSS_CUTTING]
        cross = [p for p in lc.phases if p.id in CROSS_CUTTING]
        rects: dict[str, QRectF] = {}
        for i, phase in enumerate(main):
            rects[phase.id] = QRectF(i * (BOX_W + GAP), 0, BOX_W, BOX_H)
            self._add_phase(phase, coverage[phase.id], rects[phase.id], i + 1)
        width = len(main) * (BOX_W + GAP) - GAP
        arrow_pen = QPen(fg, 1.6)
        for a, b in zip(main, main[1:], strict=False):
            start = QPointF(rects[a.id].right() + 2, BOX_H / 2)
            end = QPointF(rects[b.id].left() - 2, BOX_H / 2)
            self.addLine(start.x(), start.y(), end.x() - 6, end.y(), arrow_pen)
            self.addPolygon(_arrow_head(end, start), QPen(fg, 1), QBrush(fg))
        bottom = self._add_loops(lc, rects, wired)
        self._add_markers(lc, wired, events)
        if cross:
            top = max(bottom, BOX_H + 28.0) + 22
            for phase in cross:
                rect = QRectF(0, top, width, 34)
                self._add_phase(phase, coverage[phase.id], rect, 0)
                top += 44
        self.setSceneRect(self.itemsBoundingRect().adjusted(-16, -16, 16, 16))

    def _add_loops(
        self, lc: Lifecycle, rects: Mapping[str, QRectF], wired: frozenset[str]
    ) -> float:
        """Draw the feedback loops, the shorter ones nearest the row: each arc goes deep
        enough that neither it nor its label crosses a label or an arc drawn before it.
        Returns the lowest y reached below the row."""
        loops = [lp for lp in lc.loops if lp.source in rects and lp.target in rects]
        loops.sort(
            key=lambda lp: abs(rects[lp.source].center().x() - rects[lp.target].center().x())
        )
        stroker = QPainterPathStroker()
        stroker.setWidth(2 * LOOP_CLEARANCE)
        labels: list[QRectF] = []
        strokes: list[QPainterPath] = []
        counts = {True: 0, False: 0}
        bottom = BOX_H
        loop_colour = colors.role("loop")
        for loop in loops:
            src, dst = rects[loop.source], rects[loop.target]
            backward = dst.center().x() < src.center().x()
            counts[backward] += 1
            shift = 16.0 * (counts[backward] - 1)  # loops into one box stay apart
            is_wired = loop.id in wired
            text = f"↺ {loop.label}" if backward else loop.label
            label = QGraphicsSimpleTextItem(text + ("  ✓ wired" if is_wired else ""))
            font = QFont(label.font())
            font.setPointSizeF(8.5)
            label.setFont(font)
            size = label.boundingRect().size()
            depth = (14.0 if backward else 12.0) * (1 + counts[backward])
            for _attempt in range(16):
                path, p1, c1 = _loop_path(src, dst, backward, depth, shift)
                mid = path.pointAtPercent(0.5)
                y = mid.y() + 2 if backward else mid.y() - size.height() - 2
                rect = QRectF(mid.x() - size.width() / 2, y, size.width(), size.height())
                stroke = stroker.createStroke(path)
                if not any(stroke.intersects(r) for r in labels) and not any(
                    rect.intersects(r) or s.intersects(rect)
                    for r, s in zip(labels, strokes, strict=True)
                ):
                    break
                depth += LOOP_STEP
            labels.append(rect)
            strokes.append(stroke)
            if backward:
                bottom = max(bottom, rect.bottom(), path.boundingRect().bottom())
            self._add_loop_items(loop, path, p1, c1, label, rect, is_wired, loop_colour)
        return bottom

    def _add_loop_items(
        self,
        loop: Loop,
        path: QPainterPath,
        p1: QPointF,
        c1: QPointF,
        label: QGraphicsSimpleTextItem,
        rect: QRectF,
        is_wired: bool,
        loop_colour: QColor,
    ) -> None:
        pen = QPen(loop_colour, 2.4 if is_wired else 1.8)
        if not is_wired:
            pen.setStyle(Qt.PenStyle.DashLine)
        self.loop_paths[loop.id] = self.addPath(path, pen)
        self.addPolygon(_arrow_head(p1, c1), QPen(loop_colour, 1), QBrush(loop_colour))
        label.setBrush(loop_colour)
        label.setPos(rect.topLeft())
        label.setZValue(2)
        self.addItem(label)
        self.loop_labels[loop.id] = label
        back = self.addRect(
            label.sceneBoundingRect().adjusted(-3, 0, 3, 0),
            QPen(Qt.PenStyle.NoPen),
            QBrush(QApplicationPalette.base()),
        )
        back.setZValue(1)
        label.setToolTip(
            f"Feedback loop: {loop.label}"
            + (
                "\nWired in this pipeline: a monitor alert triggers the pipeline again."
                if is_wired
                else "\nNot wired: no trigger of this pipeline closes this loop."
            )
        )

    def _add_markers(
        self, lc: Lifecycle, wired: frozenset[str], events: Sequence[TimelineEvent]
    ) -> None:
        """The loop's events on the arc of the loop the pipeline wires (else the first
        feedback loop drawn): retraining closes that loop."""
        drawn = [lp.id for lp in lc.loops if lp.id in self.loop_paths]
        chosen = next((i for i in drawn if i in wired), drawn[0] if drawn else "")
        if not chosen or not events:
            return
        self.marked_loop = chosen
        self.loop_markers = add_loop_markers(self, self.loop_paths[chosen].path(), events)
        for marker in self.loop_markers:
            marker.clicked.connect(self.run_clicked)
        label = self.loop_labels[chosen]
        label.setToolTip(
            f"{label.toolTip()}\nAs it happened: {counts_text(events)} "
            "(the markers on the arc, oldest first; click one to open its run)."
        )

    def _add_phase(self, phase: Phase, coverage: Coverage, rect: QRectF, number: int) -> None:
        item = PhaseItem(phase, coverage, rect, number)
        item.clicked.connect(self.phase_clicked)
        self.addItem(item)
        self.phase_items[phase.id] = item


class QApplicationPalette:
    """Colours from the application palette (so the drawing follows the theme)."""

    @staticmethod
    def text() -> QColor:
        from PySide6.QtWidgets import QApplication

        return QApplication.palette().color(QPalette.ColorRole.Text)

    @staticmethod
    def base() -> QColor:
        from PySide6.QtWidgets import QApplication

        return QApplication.palette().color(QPalette.ColorRole.Base)


class _FitView(QGraphicsView):
    """A view that keeps the whole drawing visible, never magnified past 125 %."""

    def __init__(self, scene: QGraphicsScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumHeight(150)

    def fit(self) -> None:
        rect = self.sceneRect()
        if rect.isEmpty():
            return
        self.resetTransform()
        scale = min(
            self.viewport().width() / rect.width(), self.viewport().height() / rect.height()
        )
        scale = min(scale, 1.25)
        self.scale(scale, scale)
        self.centerOn(rect.center())

    def resizeEvent(self, event) -> None:  # noqa: N802, ANN001
        super().resizeEvent(event)
        self.fit()


class LifecycleMapView(QWidget):
    """Tabs of vendor lifecycles, each drawn as a graph and coloured by the project's coverage."""

    phase_activated = Signal(str, str, list)  # lens id, phase id, node ids
    lens_changed = Signal(str)
    run_activated = Signal(int)  # a loop marker was clicked: open this run

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lifecycles = lifecycles()
        self._pipeline: Pipeline | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._states: dict[str, StageStatus] = {}
        self.coverage: dict[str, Coverage] = {}
        self.wired: frozenset[str] = frozenset()
        self.events: list[TimelineEvent] = []

        self._tabs = QTabBar()
        self._tabs.setDocumentMode(True)
        self._tabs.setExpanding(False)
        self._tabs.setUsesScrollButtons(False)
        for lc in self._lifecycles:
            index = self._tabs.addTab(LENS_TAB_LABELS.get(lc.id, lc.vendor))
            self._tabs.setTabToolTip(index, lc.title)
        self._tabs.currentChanged.connect(self._on_tabs_current_changed)
        self._scene = LifecycleScene(self)
        self._scene.phase_clicked.connect(self._on_scene_phase_clicked)
        self._scene.run_clicked.connect(self.run_activated)
        self._view = _FitView(self._scene)
        self._title = QLabel()
        self._title.setTextFormat(Qt.TextFormat.RichText)
        self._title.setOpenExternalLinks(True)
        self._title.setWordWrap(False)
        self._title.setMinimumWidth(0)
        self._title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._legend = QLabel()
        self._fill_legend()
        legend = self._legend
        legend.setTextFormat(Qt.TextFormat.RichText)
        legend.setToolTip("Each phase is coloured by how this pipeline covers it")
        small = legend.font()
        small.setPointSizeF(small.pointSizeF() * 0.9)
        legend.setFont(small)

        top = QHBoxLayout()
        top.setContentsMargins(6, 2, 6, 0)
        top.addWidget(self._tabs)
        top.addSpacing(12)
        top.addWidget(self._title, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 4)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self._view, 1)
        legend.setContentsMargins(8, 0, 8, 0)
        legend.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout.addWidget(legend)
        self._rebuild()

    # ---------------------------------------------------------------- public API
    def current_lens(self) -> str:
        return self._lifecycles[max(self._tabs.currentIndex(), 0)].id

    def set_lens(self, lens_id: str | None) -> None:
        """Show lifecycle ``lens_id`` (``None`` keeps the current one)."""
        if lens_id is None:
            return
        for i, lc in enumerate(self._lifecycles):
            if lc.id == lens_id:
                self._tabs.setCurrentIndex(i)

    def set_pipeline(self, pipeline: Pipeline | None) -> None:
        """Follow ``pipeline`` (redrawn on every change), or show an empty map for ``None``."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._pipeline = pipeline
        self._states = {}
        self.events = []
        if pipeline is not None:
            self._unsubscribe = pipeline.subscribe(self._on_pipeline_changed)
        self._rebuild()

    def set_stage_states(
        self,
        states: Mapping[str, StageStatus],
        events: Sequence[TimelineEvent] | None = None,
    ) -> None:
        """The last known status of each node (from the latest run) and, when given, the
        continuous-training loop as it happened (see ``plot_data.loop_events``): redrawn
        once, and only when either changed (a redraw costs the GUI thread 10-25 ms)."""
        states = dict(states)
        events = self.events if events is None else list(events)
        if states == self._states and events == self.events:
            return
        self._states, self.events = states, events
        self._rebuild()

    @property
    def loop_markers(self) -> list[LoopMarker]:
        return self._scene.loop_markers

    def phase_item(self, phase_id: str) -> PhaseItem:
        return self._scene.phase_items[phase_id]

    # ------------------------------------------------------------------- slots
    def _on_tabs_current_changed(self, _index: int) -> None:
        self._rebuild()
        self.lens_changed.emit(self.current_lens())

    def _on_pipeline_changed(self, event: GraphEvent) -> None:
        if event.kind in ("node_added", "node_removed", "node_changed", "meta_changed", "reset"):
            self._rebuild()

    def _on_scene_phase_clicked(self, phase_id: str) -> None:
        cov = self.coverage.get(phase_id)
        ids = [n.id for n in cov.nodes] if cov else []
        self.phase_activated.emit(self.current_lens(), phase_id, ids)

    # ----------------------------------------------------------------- drawing
    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        """Redraw in the new theme's colours when the application palette changes."""
        super().changeEvent(event)
        if hasattr(self, "_legend") and colors.scheme_changed_for(self, event):
            self._fill_legend()
            self._rebuild()

    def _fill_legend(self) -> None:
        chips = " &nbsp; ".join(
            f"<span style='color:{STATE_STYLE[state][1]}'>■</span>&nbsp;{STATE_STYLE[state][2]}"
            for state in LEGEND_ORDER
        )
        loop = colors.css("loop")
        symbols = {"triangle": "▲", "square": "■", "circle": "●", "diamond": "◆"}
        marks = " &nbsp; ".join(
            f"<span style='color:{colour}'>{symbols[shape]}</span>&nbsp;{name}"
            for shape, colour, name in MARKER_STYLE.values()
        )
        self._legend.setText(
            f"{chips} &nbsp; <span style='color:{loop}'>╌↺</span>&nbsp;Feedback loop"
            f" &nbsp; <span style='color:{loop}'>━✓</span>&nbsp;Loop wired by a trigger"
            f" &nbsp;·&nbsp; on the loop: {marks}"
        )

    def _rebuild(self) -> None:
        lc = self._lifecycles[max(self._tabs.currentIndex(), 0)]
        self.coverage = phase_coverage(self._pipeline, lc.id, self._states)
        self.wired = wired_loops(self._pipeline, lc.id)
        self._scene.build(lc, self.coverage, self.wired, self.events if self._pipeline else ())
        covered = sum(1 for c in self.coverage.values() if c.nodes)
        coverage = (
            f"{covered} of {len(lc.phases)} phases covered by this pipeline"
            if self._pipeline is not None
            else "open a pipeline to see which phases it covers"
        )
        self._title.setText(
            f"<b>{lc.title}</b> &nbsp;·&nbsp; <a href='{lc.source}'>source</a>"
            f" &nbsp;·&nbsp; {coverage}"
        )
        self._title.setToolTip(lc.note)
        self._view.fit()
