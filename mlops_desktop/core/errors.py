"""Domain errors. Each carries a message meant for the user, not a traceback."""

from __future__ import annotations


class MlopsError(Exception):
    """Base of every error the app reports to the user as one clear line."""


class GraphError(MlopsError):
    """An edit to a pipeline graph was refused (bad link, cycle, unknown node...)."""


class ParameterError(MlopsError):
    """A stage parameter value does not fit its schema."""

    def __init__(self, stage: str, name: str, message: str) -> None:
        super().__init__(f"parameter '{name}' of {stage}: {message}")
        self.stage = stage
        self.name = name


class FormatError(MlopsError):
    """A pipeline document or data file could not be read."""


class NotFoundError(MlopsError):
    """A named project, pipeline, run or model does not exist."""


class ConflictError(MlopsError):
    """A name is already taken, or the state changed under us."""


class WorkspaceError(MlopsError):
    """The workspace cannot be opened (not a workspace, newer schema, unreachable...)."""


class InvalidNameError(MlopsError):
    """A name given for a project, pipeline or other record is empty or malformed."""
