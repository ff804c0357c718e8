"""Access to the data files shipped in ``resources/`` (package ``mlops_desktop_resources``)."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

PACKAGE = "mlops_desktop_resources"


def resource_path(*parts: str) -> Traversable:
    """A shipped resource, e.g. ``resource_path("lifecycles", "aws.json")``."""
    node: Traversable = files(PACKAGE)
    for part in parts:
        node = node.joinpath(part)
    return node


@cache
def load_json(*parts: str) -> Any:
    """Parse a shipped JSON resource (cached: resources do not change while the app runs)."""
    return json.loads(resource_path(*parts).read_text(encoding="utf-8"))


def list_resources(folder: str, suffix: str = ".json") -> list[str]:
    """Names (without suffix) of the resources in ``folder``, sorted."""
    return sorted(
        p.name[: -len(suffix)] for p in resource_path(folder).iterdir() if p.name.endswith(suffix)
    )
