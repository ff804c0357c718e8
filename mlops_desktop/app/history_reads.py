"""Reads of a project's run history shared by the parts of one piece of work.

A report lists the project's runs, plots their latest metric values and judges the
project's maturity from the same runs and values; with thousands of runs each of those
reads costs a noticeable fraction of a second, so the parts of one report share a
:class:`HistoryReads` and the history is read once. A new piece of work takes a new one
(the history grows between two reports).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlops_desktop.app.workspace import Workspace
    from mlops_desktop.core.entities import Run


class HistoryReads:
    """The runs of a project (newest first, with parameters) and their latest metric
    values, each read from the workspace at most once."""

    def __init__(self, workspace: Workspace) -> None:
        self._ws = workspace
        self._runs: dict[int, list[Run]] = {}
        self._latest: dict[int, dict[int, dict[str, float]]] = {}

    def runs(self, project_id: int) -> list[Run]:
        """The project's runs as ``RunStore.list`` gives them (do not change the list)."""
        if project_id not in self._runs:
            self._runs[project_id] = list(self._ws.runs.list(project_id))
        return self._runs[project_id]

    def latest(self, project_id: int) -> dict[int, dict[str, float]]:
        """Run id -> the latest value of each of its metrics, for every run of the project."""
        if project_id not in self._latest:
            ids = [r.id for r in self.runs(project_id)]
            self._latest[project_id] = self._ws.metrics.latest_many(ids) if ids else {}
        return self._latest[project_id]
