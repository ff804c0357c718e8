"""Canvas speed: scene build and full repaint at 200 / 1,000 / 5,000 nodes, beside NodeGraphQt.

Both sides draw the same graphs: blocks of a ten-stage lifecycle pipeline (load, split,
feature engineering, train, evaluate, gate, register, approve, deploy, monitor) with the same
named ports and 13 links per block, laid out in a grid. "Build" is document -> populated
QGraphicsScene (for NodeGraphQt, creating its nodes and connecting their ports without undo).
"Full repaint" renders the whole scene into a 1920x1080 QImage (so zoomed far out); "viewport
repaint" renders a 1920x1080 window at 100 % zoom; "drag selection" is one mouse move while
every node is selected and dragged (ours only). Medians of 3 renders after one warm-up.

Settings: MLOps Desktop items use no item cache (QGraphicsItem.NoCache) and Qt's BSP scene
index (built on the first paint, so "first render" includes it), links are painted by Qt's C++ path item, nodes switch to plain boxes below 22 %
zoom; QPixmapCache therefore does not matter to it. NodeGraphQt 0.6
caches its items with DeviceCoordinateCache, so its repaint depends on QPixmapCache: it is
measured with Qt's default 10 MB limit and again with a 100 MB limit.

Run: python bench/bench_canvas.py (each measurement runs in a fresh process)
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["QT_API"] = "pyside6"

SIZES = (200, 1000, 5000)
BLOCK = [
    ("load", "load_data"),
    ("split", "split"),
    ("fe", "feature_engineering"),
    ("train", "train"),
    ("eval", "evaluate"),
    ("gate", "model_gate"),
    ("reg", "register_model"),
    ("approve", "approve"),
    ("deploy", "deploy"),
    ("mon", "monitor"),
]
BLOCK_LINKS = [
    ("load", "dataset", "split", "dataset"),
    ("split", "split", "fe", "split"),
    ("fe", "split", "train", "split"),
    ("train", "model", "eval", "model"),
    ("fe", "split", "eval", "split"),
    ("train", "model", "gate", "model"),
    ("eval", "metrics", "gate", "metrics"),
    ("gate", "model", "reg", "model"),
    ("gate", "metrics", "reg", "metrics"),
    ("reg", "model_version", "approve", "model_version"),
    ("approve", "model_version", "deploy", "model_version"),
    ("split", "split", "mon", "reference"),
    ("eval", "predictions", "mon", "predictions"),
]
BLOCKS_PER_ROW = 4


def graph_spec(
    n: int,
) -> tuple[list[tuple[str, str, float, float]], list[tuple[str, str, str, str]]]:
    """Nodes (id, stage type, x, y) and links (source, port, target, port) for ``n`` nodes."""
    nodes, links = [], []
    for b in range(n // len(BLOCK)):
        ox, oy = (b % BLOCKS_PER_ROW) * 2600.0, (b // BLOCKS_PER_ROW) * 260.0
        for i, (key, stage) in enumerate(BLOCK):
            nodes.append(
                (f"{key}{b}", stage, ox + i * 250.0, oy + (60.0 if key in ("eval", "mon") else 0.0))
            )
        links += [(f"{a}{b}", ap, f"{c}{b}", cp) for a, ap, c, cp in BLOCK_LINKS]
    return nodes, links


def _median_render(render: Callable[[], None]) -> tuple[float, float]:
    t0 = time.perf_counter()
    render()
    first = time.perf_counter() - t0
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        render()
        times.append(time.perf_counter() - t0)
    return first, statistics.median(times)


def _renderers(scene, source_full):  # noqa: ANN001, ANN202
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QColor, QImage, QPainter

    image = QImage(1920, 1080, QImage.Format.Format_ARGB32_Premultiplied)

    def render(source: QRectF) -> None:
        image.fill(QColor("white"))
        painter = QPainter(image)
        painter.setRenderHints(
            QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing
        )
        scene.render(painter, QRectF(0, 0, 1920, 1080), source, Qt.AspectRatioMode.KeepAspectRatio)
        painter.end()

    window = QRectF(source_full.left(), source_full.top(), 1920, 1080)
    return (lambda: render(source_full)), (lambda: render(window))


def bench_pipeline(n: int):  # noqa: ANN201 - a mlops_desktop Pipeline
    """The benchmark graph of ``n`` nodes as a pipeline document (also used by bench_memory)."""
    from mlops_desktop.core.graph import Link, Node, Pipeline

    nodes, links = graph_spec(n)
    pipeline = Pipeline("bench")
    reg = pipeline.registry
    pipeline.load_items(
        [Node(i, t, t, reg.get(t).default_params(), x, y) for i, t, x, y in nodes],
        [Link(f"l{k}", *lk) for k, lk in enumerate(links)],
    )
    return pipeline


def bench_ours(n: int) -> dict[str, float]:
    from mlops_desktop.qt.canvas.scene import PipelineScene

    pipeline = bench_pipeline(n)
    t0 = time.perf_counter()
    scene = PipelineScene(pipeline)
    build = time.perf_counter() - t0
    assert len(scene.node_items) == n and len(scene.link_items) == len(pipeline.links)
    full, window = _renderers(scene, scene.content_rect())
    first, full_t = _median_render(full)
    _, window_t = _median_render(window)
    drag = _drag_all(scene)
    scene.detach()
    return {"build": build, "first": first, "full": full_t, "window": window_t, "drag": drag}


def _drag_all(scene) -> float:  # noqa: ANN001
    """Median time of one mouse move while dragging every node (real mouse events on a
    1600x1000 view at 100 %, each move painted)."""
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from mlops_desktop.qt.canvas.view import PipelineView

    app = QApplication.instance()
    view = PipelineView(scene)
    view.resize(1600, 1000)
    view.show()
    lead = scene.node_items["train0"]
    view.centerOn(lead.sceneBoundingRect().center())
    app.processEvents()
    scene.select_nodes(list(scene.node_items))
    vp = view.viewport()
    start = view.mapFromScene(lead.sceneBoundingRect().center() + QPointF(0, 8))
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    times = []
    for k in range(1, 12):
        t0 = time.perf_counter()
        QTest.mouseMove(vp, start + QPoint(4 * k, 3 * k))
        app.processEvents()
        times.append(time.perf_counter() - t0)
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    view.close()
    return statistics.median(times)


def bench_nodegraphqt(n: int, cache_kb: int) -> dict[str, float]:
    from NodeGraphQt import BaseNode, NodeGraph
    from PySide6.QtGui import QPixmapCache

    from mlops_desktop.core.registry import default_registry

    QPixmapCache.clear()
    QPixmapCache.setCacheLimit(cache_kb)
    registry = default_registry()
    graph = NodeGraph()
    classes = {}
    for _, stage in BLOCK:
        spec = registry.get(stage)

        def init(self, spec=spec):  # noqa: ANN001, ANN202
            BaseNode.__init__(self)
            for p in spec.inputs:
                self.add_input(p.name)
            for p in spec.outputs:
                self.add_output(p.name)

        cls = type(
            f"Bench_{stage}",
            (BaseNode,),
            {"__identifier__": "bench", "NODE_NAME": spec.title, "__init__": init},
        )
        graph.register_node(cls)
        classes[stage] = f"bench.{cls.__name__}"
    nodes, links = graph_spec(n)
    t0 = time.perf_counter()
    made = {}
    for nid, stage, x, y in nodes:
        made[nid] = graph.create_node(
            classes[stage], name=nid, pos=[x, y], selected=False, push_undo=False
        )
    for a, ap, b, bp in links:
        made[a].get_output(ap).connect_to(made[b].get_input(bp), push_undo=False)
    build = time.perf_counter() - t0
    scene = graph.scene()
    full, window = _renderers(scene, scene.itemsBoundingRect())
    first, full_t = _median_render(full)
    _, window_t = _median_render(window)
    return {"build": build, "first": first, "full": full_t, "window": window_t}


def _measure(side: str, n: int, cache_kb: int) -> dict[str, float]:
    """One measurement in a fresh process, so earlier graphs and caches do not interfere."""
    out = subprocess.run(
        [sys.executable, __file__, "--one", side, str(n), str(cache_kb)],
        capture_output=True,
        text=True,
        timeout=1800,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_API": "pyside6"},
    )
    if out.returncode != 0:
        raise RuntimeError(f"{side} {n}: {out.stderr.strip().splitlines()[-1:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run() -> list[dict]:
    from mlops_desktop.qt.canvas.theme import LOD_SIMPLE

    rows: list[dict] = []

    def add(bench: str, metric: str, value: float, note: str) -> None:
        rows.append(
            {
                "benchmark": bench,
                "metric": metric,
                "value": round(value, 4),
                "unit": "s",
                "note": note,
            }
        )

    ours_note = f"MLOps Desktop PipelineScene; NoCache items, BSP index, plain boxes below {LOD_SIMPLE:.0%} zoom"
    for n in SIZES:
        r = _measure("ours", n, 10240)
        add("canvas_build", f"mlops_desktop_{n}", r["build"], ours_note + "; document -> scene")
        add(
            "canvas_full_repaint",
            f"mlops_desktop_{n}",
            r["full"],
            ours_note + f"; first render {r['first']:.3f} s",
        )
        add(
            "canvas_viewport_repaint",
            f"mlops_desktop_{n}",
            r["window"],
            ours_note + "; 1920x1080 at 100 %",
        )
        add(
            "canvas_drag_selection",
            f"mlops_desktop_{n}",
            r["drag"],
            f"one mouse move dragging all {n} selected nodes, painted (median of 11)",
        )
    try:
        import NodeGraphQt  # noqa: F401
    except ImportError as exc:  # the bench extra is not installed
        add(
            "canvas_build",
            "nodegraphqt_unavailable",
            float("nan"),
            f"NodeGraphQt not importable: {exc}",
        )
        return rows
    for label, cache_kb in (("default 10 MB QPixmapCache", 10240), ("100 MB QPixmapCache", 102400)):
        for n in SIZES:
            r = _measure("nodegraphqt", n, cache_kb)
            note = f"NodeGraphQt 0.6 via Qt.py; DeviceCoordinateCache items; {label}"
            tag = "" if cache_kb == 10240 else "_cache100mb"
            add(
                "canvas_build",
                f"nodegraphqt_{n}{tag}",
                r["build"],
                note + "; create nodes + connect ports, no undo",
            )
            add(
                "canvas_full_repaint",
                f"nodegraphqt_{n}{tag}",
                r["full"],
                note + f"; first render {r['first']:.3f} s",
            )
            add(
                "canvas_viewport_repaint",
                f"nodegraphqt_{n}{tag}",
                r["window"],
                note + "; 1920x1080 at 100 %",
            )
    return rows


def _one(side: str, n: int, cache_kb: int) -> None:
    from PySide6.QtWidgets import QApplication

    _app = QApplication.instance() or QApplication([])  # noqa: F841 - keeps Qt alive
    result = bench_ours(n) if side == "ours" else bench_nodegraphqt(n, cache_kb)
    print(json.dumps(result))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        _one(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        for row in run():
            print(
                f"{row['benchmark']:<26} {row['metric']:<30} {row['value']:>9} {row['unit']}  {row['note']}"
            )
