"""The reference schema of each Validate data stage, kept in the workspace.

The first run of a Validate data stage with ``schema_source=reference`` stores the schema of
the data it checked (columns, types, ranges, categories, missing shares) under its project
and node; later runs are checked against that stored reference. Re-baselining is explicit
(:meth:`SchemaReferences.rebaseline`) and recorded with who asked and when.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mlops_desktop.app.workspace import Workspace

PREFIX = "schema_reference"


class SchemaReferences:
    """Stored reference schemas, one per (project, Validate data node)."""

    def __init__(self, workspace: Workspace) -> None:
        self.ws = workspace

    def _key(self, project_id: int, node_id: str) -> str:
        return f"{PREFIX}:{project_id}:{node_id}"

    def get(self, run_id: int, node_id: str) -> dict[str, Any] | None:
        """The stored reference of the run's project and ``node_id`` (None: none yet)."""
        project_id = self.ws.runs.get(run_id).project_id
        value = self.ws.settings.get(self._key(project_id, node_id))
        return value if isinstance(value, dict) and "columns" in value.get("schema", {}) else None

    def stored(self, project: str | int, node_id: str) -> dict[str, Any] | None:
        """The reference a project's ``node_id`` checks against now: {run_id, run_label,
        stored_at, columns} (None: none stored; the next run stores one)."""
        project_id = self.ws.projects.get(project).id
        value = self.ws.settings.get(self._key(project_id, node_id))
        if not (isinstance(value, dict) and "columns" in value.get("schema", {})):
            return None
        run_id = int(value["run_id"])
        try:
            label = self.ws.runs.get(run_id).label
        except Exception:  # noqa: BLE001 - a run deleted since: name it by id
            label = f"#{run_id}"
        return {
            "run_id": run_id,
            "run_label": label,
            "stored_at": value.get("stored_at", ""),
            "columns": len(value["schema"]["columns"]),
        }

    def history(self, project: str | int) -> list[dict[str, Any]]:
        """Every re-baseline of the project: {at, by, nodes}, oldest first."""
        project_id = self.ws.projects.get(project).id
        return list(self.ws.settings.get(f"{PREFIX}_history:{project_id}", []) or [])

    def store(self, run_id: int, node_id: str, schema: dict[str, Any]) -> dict[str, Any]:
        """Keep ``schema`` as the reference (the first successful check); returns the record."""
        project_id = self.ws.runs.get(run_id).project_id
        record = {"schema": schema, "run_id": run_id, "stored_at": _now()}
        self.ws.settings.set(self._key(project_id, node_id), record)
        return record

    def rebaseline(self, project_id: int, who: str) -> list[str]:
        """Forget the project's references (the next run stores new ones); the act is kept
        in the history setting. Returns the nodes that had one."""
        nodes = []
        for key in list(self.ws.settings.all()):
            if key.startswith(f"{PREFIX}:{project_id}:"):
                nodes.append(key.split(":", 2)[2])
                self.ws.settings.delete(key)
        history_key = f"{PREFIX}_history:{project_id}"
        history = list(self.ws.settings.get(history_key, []) or [])
        history.append({"at": _now(), "by": who, "nodes": nodes})
        self.ws.settings.set(history_key, history)
        return nodes


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
