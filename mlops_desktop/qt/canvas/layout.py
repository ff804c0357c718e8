"""Layered left-to-right auto-layout with few crossings (Sugiyama-style, using networkx).

Layers come from the longest path from the sources; links that skip layers get virtual
nodes; a few barycentre sweeps order each layer to reduce crossings; then nodes are pulled
toward their neighbours' heights without overlapping. Returns top-left positions only.
networkx is imported on the first layout, not with the editor (a third of a second the
first project tab would otherwise wait for).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from mlops_desktop.core.graph import Pipeline

if TYPE_CHECKING:
    import networkx as nx

H_GAP = 90.0
V_GAP = 36.0
DUMMY_HEIGHT = 16.0
SWEEPS = 8


def layered_layout(
    pipeline: Pipeline,
    sizes: Mapping[str, tuple[float, float]],
    origin: tuple[float, float] | None = None,
) -> dict[str, tuple[float, float]]:
    """Positions for every node of ``pipeline``; ``sizes`` gives each node's (width, height)."""
    if not pipeline.nodes:
        return {}
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(pipeline.nodes)
    graph.add_edges_from((lk.source, lk.target) for lk in pipeline.links.values())
    layer = _layers(graph)
    # Split long edges with virtual nodes so the ordering sees them.
    g = nx.DiGraph()
    g.add_nodes_from(graph.nodes)
    heights: dict[object, float] = {n: sizes.get(n, (180.0, 80.0))[1] for n in graph.nodes}
    for u, v in graph.edges:
        prev: object = u
        for k in range(layer[u] + 1, layer[v]):
            dummy = ("dummy", u, v, k)
            layer[dummy] = k
            heights[dummy] = DUMMY_HEIGHT
            g.add_edge(prev, dummy)
            prev = dummy
        g.add_edge(prev, v)
    count = max(layer.values()) + 1
    layers: list[list[object]] = [[] for _ in range(count)]
    for n in g.nodes:
        layers[layer[n]].append(n)

    # Start from the user's vertical order, so a layout respects their arrangement.
    def start_y(n: object) -> float:
        return pipeline.nodes[n].y if isinstance(n, str) else 0.0

    for row in layers:
        row.sort(key=start_y)
    _reduce_crossings(g, layers)
    ys = _assign_y(g, layers, heights)
    widths = [
        max((sizes.get(n, (180.0, 0))[0] for n in row if isinstance(n, str)), default=0.0)
        for row in layers
    ]
    xs, x = [], 0.0
    for w in widths:
        xs.append(x)
        x += (w or 40.0) + H_GAP
    out = {n: (xs[layer[n]], ys[n]) for n in graph.nodes}
    if origin is None:
        origin = (
            min(n.x for n in pipeline.nodes.values()),
            min(n.y for n in pipeline.nodes.values()),
        )
    min_x = min(p[0] for p in out.values())
    min_y = min(p[1] for p in out.values())
    return {
        n: (round(x - min_x + origin[0]), round(y - min_y + origin[1])) for n, (x, y) in out.items()
    }


def _layers(graph: nx.DiGraph) -> dict[object, int]:
    import networkx as nx

    layer: dict[object, int] = {}
    for n in nx.topological_sort(graph):
        layer[n] = max((layer[p] + 1 for p in graph.predecessors(n)), default=0)
    # Pull sources right next to their first consumer (a loader feeding layer 3 sits in layer 2).
    for n in graph.nodes:
        succ = list(graph.successors(n))
        if not list(graph.predecessors(n)) and succ:
            layer[n] = min(layer[s] for s in succ) - 1
    return layer


def _reduce_crossings(g: nx.DiGraph, layers: list[list[object]]) -> None:
    for sweep in range(SWEEPS):
        down = sweep % 2 == 0
        order = range(1, len(layers)) if down else range(len(layers) - 2, -1, -1)
        for i in order:
            ref = layers[i - 1] if down else layers[i + 1]
            pos = {n: k for k, n in enumerate(ref)}
            keyed = [(_barycentre(g, n, pos, down, k), k, n) for k, n in enumerate(layers[i])]
            keyed.sort(key=lambda t: (t[0], t[1]))
            layers[i][:] = [n for _, _, n in keyed]


def _barycentre(
    g: nx.DiGraph, n: object, pos: dict[object, int], down: bool, default: int
) -> float:
    nbrs = g.predecessors(n) if down else g.successors(n)
    vals = [pos[m] for m in nbrs if m in pos]
    return sum(vals) / len(vals) if vals else float(default)


def _assign_y(
    g: nx.DiGraph, layers: list[list[object]], heights: dict[object, float]
) -> dict[object, float]:
    """Centre y of each node: stacked in order, then pulled toward neighbours (no overlap)."""
    centre: dict[object, float] = {}
    for row in layers:
        y = 0.0
        for n in row:
            centre[n] = y + heights[n] / 2
            y += heights[n] + V_GAP
        shift = y / 2
        for n in row:
            centre[n] -= shift
    for sweep in range(6):
        down = sweep % 2 == 0
        order = range(1, len(layers)) if down else range(len(layers) - 2, -1, -1)
        for i in order:
            row = layers[i]
            want = []
            for n in row:
                nbrs = list(g.predecessors(n) if down else g.successors(n))
                want.append(sum(centre[m] for m in nbrs) / len(nbrs) if nbrs else centre[n])
            _place_row(row, want, heights, centre)
    # Convert centres to top edges.
    return {n: centre[n] - heights[n] / 2 for n in centre}


def _place_row(
    row: list[object], want: list[float], heights: dict[object, float], centre: dict[object, float]
) -> None:
    """Place ``row`` in order as close to ``want`` as possible with gaps between nodes."""
    n = len(row)
    pos = list(want)
    for k in range(1, n):  # push down to clear the node above
        lo = pos[k - 1] + (heights[row[k - 1]] + heights[row[k]]) / 2 + V_GAP
        pos[k] = max(pos[k], lo)
    # Shift the row back up by the mean displacement, keeping order and gaps.
    if n:
        excess = sum(p - w for p, w in zip(pos, want, strict=True)) / n
        pos = [p - excess for p in pos]
    for k, node in enumerate(row):
        centre[node] = pos[k]
