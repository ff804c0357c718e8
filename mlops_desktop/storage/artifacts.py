"""ArtifactStore: a content-addressed folder of files (datasets, models, figures).

A file's key is the SHA-256 hex digest of its bytes; it lives at ``<root>/<d[:2]>/<d><suffix>``.
Writes go to a temporary file in the same folder, are flushed to disk and then renamed into
place, so a crash never leaves a half-written artifact under a digest.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import BinaryIO

from mlops_desktop.core.errors import NotFoundError, WorkspaceError

_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_SUFFIX = re.compile(r"^(\.[A-Za-z0-9_-]{1,16}){0,2}$")
_CHUNK = 1 << 20


def _check_digest(digest: str) -> str:
    if not isinstance(digest, str) or not _DIGEST.match(digest):
        raise NotFoundError(f"not an artifact digest: {digest!r}")
    return digest


def _check_suffix(suffix: str) -> str:
    if not _SUFFIX.match(suffix):
        raise ValueError(f"bad artifact suffix {suffix!r} (expected e.g. '.parquet')")
    return suffix


class ArtifactStore:
    """Implements :class:`mlops_desktop.core.protocols.ArtifactStore`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        if self.root.exists() and not self.root.is_dir():
            raise WorkspaceError(
                f"{self.root} is a file, not the workspace's artifacts folder: move it away "
                "(nothing was changed)"
            )
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WorkspaceError(
                f"cannot create the artifacts folder {self.root}: {exc.strerror or exc}"
            ) from None

    def put_bytes(self, data: bytes, suffix: str = "") -> str:
        digest = hashlib.sha256(data).hexdigest()
        if not self._refresh(digest):
            self._write(digest, _check_suffix(suffix), lambda fh: fh.write(data))
        return digest

    def put_file(self, path: Path | str, suffix: str = "") -> str:
        source = Path(path)
        sha = hashlib.sha256()
        with source.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                sha.update(chunk)
        digest = sha.hexdigest()
        if not self._refresh(digest):

            def copy(out: BinaryIO) -> None:
                with source.open("rb") as src:
                    shutil.copyfileobj(src, out, _CHUNK)

            self._write(digest, _check_suffix(suffix or source.suffix), copy)
        return digest

    def path(self, digest: str) -> Path:
        found = self._find(_check_digest(digest))
        if found is None:
            raise NotFoundError(f"artifact {digest[:12]} is missing from {self.root}")
        return found

    def open(self, digest: str) -> BinaryIO:
        return self.path(digest).open("rb")

    def read_bytes(self, digest: str) -> bytes:
        return self.path(digest).read_bytes()

    def exists(self, digest: str) -> bool:
        return _DIGEST.match(digest or "") is not None and self._find(digest) is not None

    def digests(self) -> list[str]:
        """Every digest in the store (for clean-up tools)."""
        return sorted(
            p.name[:64] for p in self.root.glob("??/*") if _DIGEST.match(p.name[:64] or "")
        )

    def remove_stale_temp_files(self, older_than_s: float = 3600.0) -> int:
        """Delete temporary files left by writers that died mid-write; the count removed.

        Recent ones are kept: another process may be writing them right now.
        """
        cutoff = time.time() - older_than_s
        removed = 0
        for tmp in self.root.glob("??/.tmp-*"):
            try:
                if tmp.stat().st_mtime < cutoff:
                    tmp.unlink()
                    removed += 1
            except OSError:
                continue  # gone already, or not ours to delete
        return removed

    def _refresh(self, digest: str) -> bool:
        """True if the artifact is stored; its modification time is then set to now, so
        garbage collection (storage/gc.py) sees an artifact written again as young."""
        found = self._find(digest)
        if found is None:
            return False
        try:
            os.utime(found)
        except FileNotFoundError:  # removed by a collector since the lookup: write it again
            return False
        except OSError:  # a read-only folder: the file is there, just not ours to touch
            pass
        return True

    def _folder(self, digest: str) -> Path:
        return self.root / digest[:2]

    def _find(self, digest: str) -> Path | None:
        folder = self._folder(digest)
        exact = folder / digest
        if exact.is_file():
            return exact
        for candidate in folder.glob(f"{digest}.*"):
            if candidate.is_file():
                return candidate
        return None

    def _write(self, digest: str, suffix: str, fill) -> None:  # type: ignore[no-untyped-def]
        folder = self._folder(digest)
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", dir=folder)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as fh:
                fill(fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, folder / f"{digest}{suffix}")
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
