"""Cycles in a graph of stages, in plain Python (no networkx import for a check this small).

One check serves a pipeline document being read and a pipeline being validated before it
runs: Kahn's algorithm takes every node once all the nodes leading to it were; what is left
lies on a cycle or after one.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping


def stuck_nodes(successors: Mapping[str, Iterable[str]]) -> list[str]:
    """The nodes no topological order reaches (sorted; empty when the graph is acyclic).
    ``successors``: node -> the nodes its links lead to, one entry per link."""
    after = {n: list(targets) for n, targets in successors.items()}
    waiting = dict.fromkeys(after, 0)
    for targets in after.values():
        for n in targets:
            after.setdefault(n, [])
            waiting[n] = waiting.get(n, 0) + 1
    ready = deque(n for n, count in waiting.items() if count == 0)
    while ready:
        node = ready.popleft()
        for n in after[node]:
            waiting[n] -= 1
            if waiting[n] == 0:
                ready.append(n)
    return sorted(n for n, count in waiting.items() if count > 0)
