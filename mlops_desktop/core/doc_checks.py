"""Structural checks of a pipeline document before it becomes a :class:`Pipeline`.

Every path that turns stored or imported JSON into a pipeline (import, open, run, report,
export, the app) goes through :func:`mlops_desktop.core.serialization.from_dict`, which calls
:func:`check_document` first. It refuses, with the place in the document named, what no edit
in the app can produce and what would crash or hang a later step: numbers that are not
finite or do not fit a float, nesting deeper than :data:`MAX_DEPTH`, more stages, links or
values than the limits, ids that are not strings or repeat, links that name missing stages,
and cycles. The walk is iterative, so a hostile document cannot exhaust the stack.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from mlops_desktop.core.dag import stuck_nodes
from mlops_desktop.core.errors import FormatError

MAX_DEPTH = 32  # nesting of objects and lists (parameters, settings) in one document
MAX_VALUES = 2_000_000  # JSON values in one document
MAX_STRING = 1_000_000  # characters in one string
MAX_INT = 2**63 - 1  # integers beyond a 64-bit range are refused
MAX_STAGES = 5_000
MAX_LINKS = 20_000
MAX_NOTES = 5_000
MAX_ID = 200  # characters of a stage, link or note id
MAX_COORD = 1e7  # canvas coordinates and sizes
ITEM_KEYS = ("nodes", "links", "notes")


def _where(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the document"


def check_values(doc: Any) -> None:
    """Refuse deep nesting, too many values, huge strings and numbers that are not finite
    or out of range; the message names the place (``nodes[3].params.alpha``)."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(doc, ())]
    count = 0
    while stack:
        value, path = stack.pop()
        count += 1
        if count > MAX_VALUES:
            raise FormatError(f"the document holds more than {MAX_VALUES:,} values")
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, float):
            if not math.isfinite(value):
                raise FormatError(f"{_where(path)}: {value} is not a finite number")
        elif isinstance(value, int):
            if abs(value) > MAX_INT:
                raise FormatError(f"{_where(path)}: the number is out of range")
        elif isinstance(value, str):
            if len(value) > MAX_STRING:
                raise FormatError(f"{_where(path)}: the text is longer than {MAX_STRING:,}")
        elif isinstance(value, Mapping | list | tuple):
            if len(path) >= MAX_DEPTH:
                raise FormatError(f"{_where(path)}: nested deeper than {MAX_DEPTH} levels")
            if isinstance(value, Mapping):
                for key, item in value.items():
                    if not isinstance(key, str):
                        raise FormatError(f"{_where(path)}: a key is not a string")
                    stack.append((item, (*path, key)))
            else:
                stack.extend((item, (*path, i)) for i, item in enumerate(value))
        else:
            raise FormatError(f"{_where(path)}: unexpected value of type {type(value).__name__}")


def _item_list(doc: Mapping[str, Any], key: str, limit: int) -> list[Any]:
    items = doc.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        raise FormatError(f"{key}: expected a list")
    if len(items) > limit:
        raise FormatError(f"{key}: {len(items):,} entries, more than the limit of {limit:,}")
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise FormatError(f"{key}[{i}]: expected an object")
    return items


def _text(item: Mapping[str, Any], where: str, key: str, *, required: bool, limit: int) -> None:
    value = item.get(key)
    if value is None and not required:
        return
    if not isinstance(value, str) or (required and not value):
        raise FormatError(f"{where}.{key}: expected a non-empty text")
    if len(value) > limit:
        raise FormatError(f"{where}.{key}: longer than {limit} characters")


def _number(item: Mapping[str, Any], where: str, key: str, *, low: float = -MAX_COORD) -> None:
    value = item.get(key)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FormatError(f"{where}.{key}: expected a number")
    if not low <= value <= MAX_COORD:
        raise FormatError(f"{where}.{key}: {value} is outside {low:g} .. {MAX_COORD:g}")


def _unique_ids(items: list[Any], key: str) -> list[str]:
    seen: set[str] = set()
    ids = []
    for i, item in enumerate(items):
        where = f"{key}[{i}]"
        _text(item, where, "id", required=True, limit=MAX_ID)
        if item["id"] in seen:
            raise FormatError(f"{where}.id: '{item['id']}' is used twice")
        seen.add(item["id"])
        ids.append(item["id"])
    return ids


def check_document(doc: Mapping[str, Any]) -> None:
    """Refuse a (current-version) document whose structure is broken; see the module doc."""
    check_values(doc)
    nodes = _item_list(doc, "nodes", MAX_STAGES)
    links = _item_list(doc, "links", MAX_LINKS)
    notes = _item_list(doc, "notes", MAX_NOTES)
    node_ids = set(_unique_ids(nodes, "nodes"))
    for i, node in enumerate(nodes):
        where = f"nodes[{i}]"
        _text(node, where, "type", required=True, limit=MAX_ID)
        _text(node, where, "title", required=False, limit=1000)
        if node.get("params") is not None and not isinstance(node["params"], Mapping):
            raise FormatError(f"{where}.params: expected an object")
        _number(node, where, "x")
        _number(node, where, "y")
    _unique_ids(links, "links")
    successors: dict[str, list[str]] = {n: [] for n in node_ids}
    for i, link in enumerate(links):
        where = f"links[{i}]"
        for key in ("source", "target"):
            _text(link, where, key, required=True, limit=MAX_ID)
            if link[key] not in node_ids:
                raise FormatError(f"{where}.{key}: no stage has the id '{link[key]}'")
        for key in ("source_port", "target_port"):
            _text(link, where, key, required=True, limit=MAX_ID)
        successors[link["source"]].append(link["target"])
    _unique_ids(notes, "notes")
    for i, note in enumerate(notes):
        where = f"notes[{i}]"
        _text(note, where, "text", required=False, limit=MAX_STRING)
        _text(note, where, "color", required=False, limit=100)
        for key in ("x", "y"):
            _number(note, where, key)
        for key in ("width", "height"):
            _number(note, where, key, low=0.0)
    meta = doc.get("meta")
    if meta is not None and not isinstance(meta, Mapping):
        raise FormatError("meta: expected an object")
    _check_acyclic(successors)


def _check_acyclic(successors: dict[str, list[str]]) -> None:
    """Every stage must be reachable in a topological order."""
    stuck = stuck_nodes(successors)
    if stuck:
        raise FormatError(
            f"links: the pipeline contains a cycle through stage '{stuck[0]}'; "
            "a pipeline must be acyclic"
        )
