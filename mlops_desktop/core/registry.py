"""The catalogue of stage types, filled from the ``mlops_desktop.stages`` entry-point group.

Built-in stages register through the same group as third-party packages. An entry point
names a callable that returns an iterable of :class:`StageSpec`. Loading a spec imports only
the module that declares it, never the code that runs it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from importlib.metadata import entry_points

from mlops_desktop.core.errors import NotFoundError
from mlops_desktop.core.specs import StageSpec

ENTRY_POINT_GROUP = "mlops_desktop.stages"
log = logging.getLogger(__name__)


class StageRegistry:
    """Stage specs by id, with renamed ids (aliases) resolved to the current id."""

    def __init__(self, specs: Iterable[StageSpec] = ()) -> None:
        self._specs: dict[str, StageSpec] = {}
        self._aliases: dict[str, str] = {}
        self.load_errors: list[str] = []
        for spec in specs:
            self.add(spec)

    def add(self, spec: StageSpec) -> None:
        if spec.id in self._specs:
            raise ValueError(f"stage id {spec.id!r} is registered twice")
        self._specs[spec.id] = spec
        for alias in spec.aliases:
            self._aliases[alias] = spec.id

    def resolve(self, stage_id: str) -> str:
        """The current id for ``stage_id`` (which may be an old, renamed id)."""
        return self._aliases.get(stage_id, stage_id)

    def get(self, stage_id: str) -> StageSpec:
        spec = self._specs.get(self.resolve(stage_id))
        if spec is None:
            raise NotFoundError(f"unknown stage type '{stage_id}'")
        return spec

    def find(self, stage_id: str) -> StageSpec | None:
        return self._specs.get(self.resolve(stage_id))

    def __contains__(self, stage_id: object) -> bool:
        return isinstance(stage_id, str) and self.resolve(stage_id) in self._specs

    def __iter__(self) -> Iterator[StageSpec]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)

    def categories(self) -> dict[str, list[StageSpec]]:
        """Specs grouped by category, in registration order."""
        out: dict[str, list[StageSpec]] = {}
        for spec in self._specs.values():
            out.setdefault(spec.category, []).append(spec)
        return out

    def by_kind(self, kind: str) -> list[StageSpec]:
        return [s for s in self._specs.values() if s.kind == kind]


def load_registry() -> StageRegistry:
    """A registry of every stage registered through the entry-point group.

    A broken third-party plugin is reported in ``load_errors`` and skipped; it never stops
    the app from starting.
    """
    registry = StageRegistry()
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name != "builtin"):
        try:
            provider = ep.load()
            for spec in provider():
                registry.add(spec)
        except Exception as exc:  # noqa: BLE001 - a plugin must not break start-up
            message = f"stage plugin '{ep.name}' ({ep.value}) failed to load: {exc}"
            log.warning(message)
            registry.load_errors.append(message)
    return registry


_default: StageRegistry | None = None


def default_registry() -> StageRegistry:
    """The process-wide registry, loaded on first use."""
    global _default
    if _default is None:
        _default = load_registry()
    return _default
