"""Interfaces that lower layers implement and others use, so that engine, storage and reports
stay independent: ``app`` passes a storage object where the engine expects one of these."""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO, Protocol, runtime_checkable


class ArtifactStore(Protocol):
    """A content-addressed store of files: the key of a blob is its SHA-256 hex digest."""

    def put_bytes(self, data: bytes, suffix: str = "") -> str: ...

    def put_file(self, path: Path, suffix: str = "") -> str: ...

    def path(self, digest: str) -> Path: ...

    def open(self, digest: str) -> BinaryIO: ...

    def exists(self, digest: str) -> bool: ...


@runtime_checkable
class WorkerService(Protocol):
    """A service a stage asks (e.g. ``code_trust``) that can travel to a remote worker: a
    remote executor sends ``for_worker()``, a picklable snapshot that answers the same calls
    there, so the worker itself checks what it is about to run."""

    def for_worker(self) -> Any: ...
