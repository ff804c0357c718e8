"""The workspace: one database (SQLite file or server URL) plus its artifact folder.

``Workspace.open()`` resolves where the workspace is, opens and migrates the database
(refusing files that are not workspaces), builds the stores, and marks the runs of processes
that are gone as interrupted. The workspace owns every store: services ask it for one
(``ws.registry``, ``ws.triggers``...) rather than building their own.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from sqlalchemy.engine import URL

from mlops_desktop.core.errors import WorkspaceError
from mlops_desktop.storage.artifacts import ArtifactStore
from mlops_desktop.storage.cache import CacheStore
from mlops_desktop.storage.database import Database, parse_url
from mlops_desktop.storage.metrics import MetricStore
from mlops_desktop.storage.opener import display_url, open_database, sqlite_path
from mlops_desktop.storage.pipelines import PipelineStore
from mlops_desktop.storage.projects import ProjectStore
from mlops_desktop.storage.runs import RunStore
from mlops_desktop.storage.settings import SettingsStore

if TYPE_CHECKING:
    from mlops_desktop.storage.assessments import AssessmentStore
    from mlops_desktop.storage.deployments import DeploymentStore
    from mlops_desktop.storage.registry import RegistryStore
    from mlops_desktop.storage.reserve import DiskReserve
    from mlops_desktop.storage.triggers import TriggerStore

APP_NAME = "mlops-desktop"
ENV_WORKSPACE = "MLOPS_DESKTOP_WORKSPACE"
ENV_ARTIFACTS = "MLOPS_DESKTOP_ARTIFACTS"
ARTIFACTS_SETTING = "artifacts_dir"


def data_dir() -> Path:
    """The user's data folder for the app (platform convention, via platformdirs)."""
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def default_location() -> str:
    """``$MLOPS_DESKTOP_WORKSPACE`` if set, else ``<data folder>/workspace.db``."""
    return os.environ.get(ENV_WORKSPACE) or str(data_dir() / "workspace.db")


def location_url(location: str | os.PathLike[str]) -> URL:
    """A SQLAlchemy URL for a file path or a URL string."""
    text = os.fspath(location)
    if not text.strip():
        raise WorkspaceError("the workspace location is empty")
    if "://" in text:
        return parse_url(text)
    return URL.create("sqlite", database=str(Path(text).expanduser().absolute()))


class Workspace:
    """An open workspace and its stores (see docs/architecture.md). Close it when done."""

    def __init__(self, url: URL, db: Database, artifacts_dir: Path, temp_dir: Path | None) -> None:
        self._url = url
        self.url: str = url.render_as_string(hide_password=False)
        self.display_name: str = display_url(url)
        self.db = db
        self.artifacts_dir = artifacts_dir
        self._temp_dir = temp_dir
        self.artifacts = ArtifactStore(artifacts_dir)
        self.projects = ProjectStore(db)
        self.pipelines = PipelineStore(db)
        self.runs = RunStore(db)
        self.metrics = MetricStore(db)
        self.cache = CacheStore(db, self.artifacts)
        self.settings = SettingsStore(db)
        self.interrupted_on_open = 0
        self._closed = False

    @classmethod
    def open(
        cls,
        location: str | os.PathLike[str] | None = None,
        *,
        artifacts_dir: str | os.PathLike[str] | None = None,
    ) -> Workspace:
        """Open (creating or migrating if needed) the workspace at ``location``.

        ``location``: a file path or SQLAlchemy URL; None means ``$MLOPS_DESKTOP_WORKSPACE``
        or the default file in the user's data folder. The artifact folder is
        ``artifacts_dir``, else ``$MLOPS_DESKTOP_ARTIFACTS``, else the workspace's
        ``artifacts_dir`` setting, else ``<name>.artifacts`` beside an SQLite file.
        """
        url = location_url(default_location() if location is None else location)
        db = open_database(url)
        try:
            folder, temp = _artifacts_folder(url, db, artifacts_dir)
            workspace = cls(url, db, folder, temp)
            workspace.interrupted_on_open = workspace.runs.mark_interrupted()
            workspace.artifacts.remove_stale_temp_files()
        except BaseException:
            db.dispose()
            raise
        return workspace

    # The stores of the operate side are built on first use (most commands never need them).
    @cached_property
    def registry(self) -> RegistryStore:
        """Registered models, versions, aliases and approvals."""
        from mlops_desktop.storage.registry import RegistryStore

        return RegistryStore(self.db)

    @cached_property
    def deployments(self) -> DeploymentStore:
        """Deployments of model versions to environments."""
        from mlops_desktop.storage.deployments import DeploymentStore

        return DeploymentStore(self.db)

    @cached_property
    def triggers(self) -> TriggerStore:
        """Triggers, their firings and monitor alerts."""
        from mlops_desktop.storage.triggers import TriggerStore

        return TriggerStore(self.db)

    @cached_property
    def assessments(self) -> AssessmentStore:
        """Stored maturity assessments and answers."""
        from mlops_desktop.storage.assessments import AssessmentStore

        return AssessmentStore(self.db)

    @property
    def path(self) -> Path | None:
        """The SQLite file, or None for a server or in-memory workspace."""
        return sqlite_path(self._url)

    @property
    def shareable(self) -> bool:
        """Whether another process can open this workspace by its URL (not in memory)."""
        return not (self._url.get_backend_name() == "sqlite" and self.path is None)

    @cached_property
    def reserve(self) -> DiskReserve | None:
        """Room kept aside for recording how a run ended on a full disk (SQLite beside its
        artifact folder only; see :mod:`mlops_desktop.storage.reserve`)."""
        from mlops_desktop.storage.reserve import DiskReserve

        return DiskReserve.beside(self.path, self.artifacts_dir)

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.db.dispose()
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)

    def __enter__(self) -> Workspace:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Workspace({self.display_name!r})"


def _artifacts_folder(
    url: URL, db: Database, explicit: str | os.PathLike[str] | None
) -> tuple[Path, Path | None]:
    """The artifact folder and, for an in-memory workspace, the temp folder to remove."""
    chosen = explicit or os.environ.get(ENV_ARTIFACTS)
    if not chosen:
        chosen = SettingsStore(db).get(ARTIFACTS_SETTING) or None
    if chosen:
        return Path(chosen).expanduser().absolute(), None
    path = sqlite_path(url)
    if path is not None:
        return path.absolute().with_name(f"{path.stem}.artifacts"), None
    if url.get_backend_name() == "sqlite":  # in memory: artifacts live as long as it does
        temp = Path(tempfile.mkdtemp(prefix="mlops-desktop-artifacts-"))
        return temp, temp
    key = hashlib.sha256(display_url(url).encode()).hexdigest()[:16]
    return data_dir() / "artifacts" / key, None
