"""Project templates: pipeline documents shipped in ``resources/templates/<name>.json``.

A template file is either one pipeline document (the core serialization format) or an
object with ``"pipelines": [doc, ...]``; both carry a ``"title"`` and a ``"description"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlops_desktop.core.errors import FormatError, NotFoundError
from mlops_desktop.core.graph import Pipeline
from mlops_desktop.core.registry import StageRegistry
from mlops_desktop.core.resources import list_resources, load_json
from mlops_desktop.core.serialization import from_dict

FOLDER = "templates"


@dataclass(frozen=True, slots=True)
class TemplateInfo:
    name: str
    title: str
    description: str


def template_names() -> list[str]:
    return list_resources(FOLDER)


def _raw(name: str) -> dict[str, Any]:
    if name not in template_names():
        raise NotFoundError(
            f"no template named '{name}' (available: {', '.join(template_names())})"
        )
    doc = load_json(FOLDER, f"{name}.json")
    if not isinstance(doc, dict):
        raise FormatError(f"template '{name}' is not a JSON object")
    return doc


def list_templates() -> list[TemplateInfo]:
    """Every shipped template, ``blank`` first."""
    out = []
    for name in sorted(template_names(), key=lambda n: (n != "blank", n)):
        doc = _raw(name)
        out.append(
            TemplateInfo(name, str(doc.get("title") or name), str(doc.get("description") or ""))
        )
    return out


def template_documents(name: str) -> list[dict[str, Any]]:
    """The pipeline documents of a template (copies: callers may change them)."""
    doc = _raw(name)
    docs = doc.get("pipelines", [doc])
    if not isinstance(docs, list) or not docs:
        raise FormatError(f"template '{name}' has no pipelines")
    return [{k: v for k, v in d.items() if k not in ("title", "description")} for d in docs]


def load_template(name: str, registry: StageRegistry | None = None) -> list[Pipeline]:
    """The template's pipelines, read (and upgraded) like any pipeline document."""
    pipelines = []
    for doc in template_documents(name):
        try:
            pipelines.append(from_dict(doc, registry))
        except FormatError as exc:
            raise FormatError(f"template '{name}': {exc}") from None
    return pipelines
