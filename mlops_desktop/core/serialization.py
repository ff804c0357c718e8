"""Versioned JSON documents for pipelines.

A document carries ``format_version``. Reading upgrades older versions step by step (one
function per version) and maps renamed stage ids through the registry's aliases. Only JSON is
read: opening a pipeline file runs none of its author's code.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlops_desktop.core.doc_checks import check_document, check_values
from mlops_desktop.core.errors import FormatError
from mlops_desktop.core.graph import Link, Node, Note, Pipeline
from mlops_desktop.core.registry import StageRegistry

FORMAT = "mlops-desktop/pipeline"
FORMAT_VERSION = 2
MAX_FILE_BYTES = 64 * 1024 * 1024


def _upgrade_1_to_2(doc: dict[str, Any]) -> dict[str, Any]:
    """Version 1 kept positions as ``"pos": [x, y]`` and had no notes or meta."""
    for node in doc.get("nodes", []):
        if "pos" in node:
            x, y = node.pop("pos")
            node["x"], node["y"] = x, y
    doc.setdefault("notes", [])
    doc.setdefault("meta", {})
    doc["format_version"] = 2
    return doc


UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _upgrade_1_to_2}


def to_dict(pipeline: Pipeline) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "name": pipeline.name,
        "nodes": [
            {
                "id": n.id,
                "type": n.type,
                "title": n.title,
                "params": dict(n.params),
                "x": n.x,
                "y": n.y,
            }
            for n in pipeline.nodes.values()
        ],
        "links": [
            {
                "id": lk.id,
                "source": lk.source,
                "source_port": lk.source_port,
                "target": lk.target,
                "target_port": lk.target_port,
            }
            for lk in pipeline.links.values()
        ],
        "notes": [
            {
                "id": n.id,
                "text": n.text,
                "x": n.x,
                "y": n.y,
                "width": n.width,
                "height": n.height,
                "color": n.color,
            }
            for n in pipeline.notes.values()
        ],
        "meta": dict(pipeline.meta),
    }


def dumps(pipeline: Pipeline) -> str:
    return json.dumps(to_dict(pipeline), indent=2, sort_keys=False, ensure_ascii=False)


def _require(cond: bool, message: str) -> None:
    if not cond:
        raise FormatError(message)


def from_dict(doc: Any, registry: StageRegistry | None = None) -> Pipeline:
    """Build a pipeline from a document, upgrading old versions. Raises :class:`FormatError`."""
    _require(isinstance(doc, dict), "not a pipeline document (expected a JSON object)")
    _require(
        doc.get("format", FORMAT) == FORMAT,
        f"not a pipeline document (format {doc.get('format')!r})",
    )
    version = doc.get("format_version")
    _require(isinstance(version, int), "the document has no format_version")
    _require(
        version <= FORMAT_VERSION,
        f"the document has format version {version}, newer than this app reads ({FORMAT_VERSION}); "
        "update MLOps Desktop",
    )
    check_values(doc)  # bounded depth and size before anything recurses into it
    doc = json.loads(json.dumps(doc))  # private copy that upgrades may change
    while doc["format_version"] < FORMAT_VERSION:
        step = UPGRADES.get(doc["format_version"])
        _require(step is not None, f"format version {doc['format_version']} is not supported")
        assert step is not None
        try:
            doc = step(doc)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise FormatError(f"malformed pipeline document: {exc!r}") from None
    check_document(doc)
    pipeline = Pipeline(str(doc.get("name") or "Pipeline"), registry)
    reg = pipeline.registry
    try:
        nodes = [
            Node(
                id=str(n["id"]),
                type=reg.resolve(str(n["type"])),
                title=str(n.get("title") or n["type"]),
                params=dict(n.get("params") or {}),
                x=float(n.get("x", 0.0)),
                y=float(n.get("y", 0.0)),
            )
            for n in doc.get("nodes", [])
        ]
        links = [
            Link(
                str(lk["id"]),
                str(lk["source"]),
                str(lk["source_port"]),
                str(lk["target"]),
                str(lk["target_port"]),
            )
            for lk in doc.get("links", [])
        ]
        notes = [
            Note(
                id=str(n["id"]),
                text=str(n.get("text", "")),
                x=float(n.get("x", 0.0)),
                y=float(n.get("y", 0.0)),
                width=float(n.get("width", 240.0)),
                height=float(n.get("height", 120.0)),
                color=str(n.get("color", "#fff3b0")),
            )
            for n in doc.get("notes", [])
        ]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise FormatError(f"malformed pipeline document: {exc!r}") from None
    meta = doc.get("meta") or {}
    _require(isinstance(meta, dict), "malformed pipeline document: meta must be an object")
    pipeline.load_items(nodes, links, notes, meta)
    return pipeline


def loads(text: str, registry: StageRegistry | None = None) -> Pipeline:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(
            f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except RecursionError:
        raise FormatError("not a pipeline document: the JSON is nested too deeply") from None
    except ValueError as exc:  # e.g. an integer with thousands of digits
        raise FormatError(f"not valid JSON: {exc}") from None
    return from_dict(doc, registry)


def read_file(path: str | os.PathLike[str], registry: StageRegistry | None = None) -> Pipeline:
    p = Path(path)
    if not p.exists():
        raise FormatError(f"file not found: {p}")
    if p.is_dir():
        raise FormatError(f"{p} is a folder, not a pipeline file")
    if p.stat().st_size > MAX_FILE_BYTES:
        raise FormatError(f"{p} is too large to be a pipeline file")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise FormatError(f"{p} is not a text file") from None
    return loads(text, registry)


def write_file(pipeline: Pipeline, path: str | Path) -> None:
    """Write atomically: a crash mid-write never leaves a half-written file."""
    p = Path(path)
    tmp = p.with_name(p.name + ".tmp")
    tmp.write_text(dumps(pipeline), encoding="utf-8")
    tmp.replace(p)
