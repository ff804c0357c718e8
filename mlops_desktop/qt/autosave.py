"""Debounced automatic saving of the open pipelines: there is no Save for the user to forget.

Every change to a watched pipeline marks it dirty. A save happens once edits pause for
``delay_ms``, and never later than ``max_delay_ms`` after the first unsaved change, so a
crash loses at most about a second of work. Each save goes through a callable (normally
``ProjectService.save_pipeline``) that stores a new pipeline version when the content
changed. Closing a tab or the window flushes what is pending.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal

from mlops_desktop.core.entities import PipelineVersion
from mlops_desktop.core.graph import GraphEvent, Pipeline

SaveFunction = Callable[[int, Pipeline], PipelineVersion]
RETRY_MS = 5000


@dataclass
class _Watched:
    pipeline: Pipeline
    unsubscribe: Callable[[], None]
    dirty_since: float | None = None


class Autosaver(QObject):
    """Saves watched pipelines shortly after they change."""

    saved = Signal(int, int)  # pipeline id, saved version number
    save_failed = Signal(int, str)  # pipeline id, message
    dirty_changed = Signal(bool)  # whether anything is waiting to be saved

    def __init__(
        self,
        save: SaveFunction,
        delay_ms: int = 400,
        max_delay_ms: int = 1000,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._save = save
        self.delay_ms = delay_ms
        self.max_delay_ms = max_delay_ms
        self._watched: dict[int, _Watched] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.flush)

    # ----------------------------------------------------------------- watching
    def watch(self, pipeline_id: int, pipeline: Pipeline) -> None:
        """Save ``pipeline`` as ``pipeline_id`` whenever it changes from now on."""
        self.unwatch(pipeline_id)

        def on_event(event: GraphEvent, pid: int = pipeline_id) -> None:
            self._on_pipeline_changed(pid, event)

        self._watched[pipeline_id] = _Watched(pipeline, pipeline.subscribe(on_event))

    def unwatch(self, pipeline_id: int) -> None:
        """Stop watching ``pipeline_id`` after saving what is pending."""
        if pipeline_id not in self._watched:
            return
        self._save_one(pipeline_id)
        self._watched.pop(pipeline_id).unsubscribe()
        self._update_dirty()

    def unwatch_all(self) -> None:
        for pid in list(self._watched):
            self.unwatch(pid)

    def watched(self) -> list[int]:
        return list(self._watched)

    def is_dirty(self, pipeline_id: int | None = None) -> bool:
        if pipeline_id is not None:
            w = self._watched.get(pipeline_id)
            return w is not None and w.dirty_since is not None
        return any(w.dirty_since is not None for w in self._watched.values())

    # ------------------------------------------------------------------ saving
    def flush(self) -> bool:
        """Save every dirty pipeline now. True when all saves succeeded."""
        self._timer.stop()
        ok = True
        for pid in list(self._watched):
            ok = self._save_one(pid) and ok
        self._update_dirty()
        if not ok:
            self._timer.start(RETRY_MS)
        return ok

    def _save_one(self, pipeline_id: int) -> bool:
        w = self._watched.get(pipeline_id)
        if w is None or w.dirty_since is None:
            return True
        try:
            version = self._save(pipeline_id, w.pipeline)
        except Exception as exc:  # noqa: BLE001 - reported to the user, retried later
            self.save_failed.emit(pipeline_id, str(exc) or type(exc).__name__)
            return False
        w.dirty_since = None
        self.saved.emit(pipeline_id, int(version.version))
        return True

    def _on_pipeline_changed(self, pipeline_id: int, event: GraphEvent) -> None:
        if event.kind == "reset":
            return
        w = self._watched[pipeline_id]
        now = time.monotonic()
        was_dirty = self.is_dirty()
        if w.dirty_since is None:
            w.dirty_since = now
        oldest = min(x.dirty_since for x in self._watched.values() if x.dirty_since is not None)
        left_ms = self.max_delay_ms - (now - oldest) * 1000.0
        self._timer.start(max(0, int(min(self.delay_ms, left_ms))))
        if not was_dirty:
            self.dirty_changed.emit(True)

    def _update_dirty(self) -> None:
        if not self.is_dirty():
            self.dirty_changed.emit(False)
