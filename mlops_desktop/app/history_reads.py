"""Reads of a project's run history shared by the parts of one piece of work.

A report lists the project's runs, plots their latest metric values and judges the
project's maturity from the same runs and values; with thousands of runs each of those
reads costs a noticeable fraction of a second, so the parts of one report share a
:class:`HistoryReads` and the history is read once. A new piece of work takes a new one
(the history grows between two reports).

Each read is one query whatever the number of runs (the project's runs are picked in SQL,
not sent back as a list of ids), and stage records come back as shared tuples: a long
history repeats the same few stage lists thousands of times.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlops_desktop.core.maturity.facts import StageFacts

if TYPE_CHECKING:
    from mlops_desktop.app.workspace import Workspace
    from mlops_desktop.core.entities import Run

#: What the maturity facts keep of each stage record (see :class:`StageFacts`).
STAGE_FACT_FIELDS = ("node_id", "stage_type", "status")


class HistoryReads:
    """The runs of a project (newest first, with parameters) and their latest metric
    values, each read from the workspace at most once."""

    def __init__(self, workspace: Workspace) -> None:
        self._ws = workspace
        self._runs: dict[int, list[Run]] = {}
        self._latest: dict[int, dict[int, dict[str, float]]] = {}
        self._stages: dict[int, dict[int, tuple[StageFacts, ...]]] = {}

    def runs(self, project_id: int) -> list[Run]:
        """The project's runs as ``RunStore.list`` gives them (do not change the list)."""
        if project_id not in self._runs:
            self._runs[project_id] = list(self._ws.runs.list(project_id))
        return self._runs[project_id]

    def latest(self, project_id: int) -> dict[int, dict[str, float]]:
        """Run id -> the latest value of each of its metrics, for every run of the project."""
        if project_id not in self._latest:
            out: dict[int, dict[str, float]] = {r.id: {} for r in self.runs(project_id)}
            if out:
                out.update(self._ws.metrics.latest_in_project(project_id))
            self._latest[project_id] = out
        return self._latest[project_id]

    def stage_facts(self, project_id: int) -> dict[int, tuple[StageFacts, ...]]:
        """Run id -> its stage records' node, type and status, in record order (runs with
        no stage record are left out). Equal records, and equal lists of them, are one
        shared object."""
        if project_id not in self._stages:
            rows = self._ws.runs.stage_rows_in_project(project_id, STAGE_FACT_FIELDS)
            facts: dict[tuple[object, ...], StageFacts] = {}
            lists: dict[tuple[StageFacts, ...], tuple[StageFacts, ...]] = {}
            out: dict[int, tuple[StageFacts, ...]] = {}
            for run_id, stages in rows.items():
                made = []
                for row in stages:
                    fact = facts.get(row)
                    if fact is None:
                        fact = facts[row] = StageFacts(*row)
                    made.append(fact)
                key = tuple(made)
                out[run_id] = lists.setdefault(key, key)
            self._stages[project_id] = out
        return self._stages[project_id]
