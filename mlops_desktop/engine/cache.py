"""Cache keys: a stage's outputs are reused when its type, version, parameters and the
digests of its inputs are unchanged.

A file named by a ``path`` parameter adds its size and modification time, so editing the
file recomputes the stage. A stage module may define ``<function>_cache_token(params)``:
it returns a string mixed into the key, or ``None`` for a stage that must always run (a
SQL query, a deployment...).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from typing import Any

from mlops_desktop.core.specs import ParamKind, StageSpec
from mlops_desktop.engine.context import import_impl

KEY_VERSION = 1


def _file_token(path: str) -> Any:
    if not path:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return "missing"
    return [st.st_size, st.st_mtime_ns]


def stage_token(spec: StageSpec, params: Mapping[str, Any]) -> str | None:
    """The stage's own cache token (``""`` when it defines none), or ``None``: never cache."""
    module_name, _, fn = spec.impl.partition(":")
    try:
        hook = import_impl(f"{module_name}:{fn}_cache_token")
    except (ImportError, AttributeError):
        return ""
    token = hook(dict(params))
    return None if token is None else str(token)


def cache_key(
    spec: StageSpec, params: Mapping[str, Any], input_digests: Mapping[str, str]
) -> str | None:
    """The key of a stage run, or ``None`` when the stage must not be cached (a stage with
    side effects never is: serving it from the cache would skip its effect)."""
    if spec.side_effects:
        return None
    token = stage_token(spec, params)
    if token is None:
        return None
    files = {
        p.name: _file_token(str(params.get(p.name) or ""))
        for p in spec.params
        if p.kind is ParamKind.PATH
    }
    doc = {
        "v": KEY_VERSION,
        "type": spec.id,
        "version": spec.version,
        "params": dict(params),
        "inputs": dict(sorted(input_digests.items())),
        "files": files,
        "token": token,
    }
    text = json.dumps(doc, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class MemoryCache:
    """An in-process :class:`~mlops_desktop.core.execution.CacheLookup` (tests, one-off runs)."""

    def __init__(self) -> None:
        self.entries: dict[str, dict[str, str]] = {}

    def get(self, cache_key: str) -> dict[str, str] | None:
        hit = self.entries.get(cache_key)
        return dict(hit) if hit is not None else None

    def put(self, cache_key: str, stage_type: str, outputs: dict[str, str]) -> None:
        self.entries[cache_key] = dict(outputs)
