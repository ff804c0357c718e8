"""Checks of a request to the local prediction endpoint (stages/_endpoint.py), before any of
it reaches the model: the Host header names this machine (a page in a browser cannot reach
the endpoint through DNS rebinding), the body length is a number within the limit, and the
JSON is shallow, finite and of bounded size. Each refusal is one line for a 4xx answer."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    from email.message import Message

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]", "::1")
MAX_DEPTH = 8  # {"rows": [[...]]} or [{...}] needs three levels
# A request's headers: the HTTP server's message, or a plain mapping in tests.
Headers: TypeAlias = "Message[str, str] | Mapping[str, str]"


class BadRequest(ValueError):
    """A request the endpoint refuses; ``code`` is the HTTP status to answer with."""

    def __init__(self, message: str, code: int = 400) -> None:
        super().__init__(message)
        self.code = code


def check_host(headers: Headers) -> None:
    host = (headers.get("Host") or "").strip().lower()
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if name not in LOOPBACK_NAMES:
        raise BadRequest(f"the endpoint answers only requests to this machine (Host {host!r})", 403)


def body_length(headers: Headers, limit: int) -> int:
    text = (headers.get("Content-Length") or "").strip()
    if not text.isdigit():
        raise BadRequest("send a JSON body with a numeric Content-Length", 411 if not text else 400)
    length = int(text)
    if length <= 0 or length > limit:
        raise BadRequest(
            f"send a JSON body of at most {limit // (1024 * 1024)} MB", 413 if length else 400
        )
    return length


def _check(value: Any) -> None:
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise BadRequest(f"the JSON is nested deeper than {MAX_DEPTH} levels")
        if isinstance(item, float) and not math.isfinite(item):
            raise BadRequest("the JSON holds a number that is not finite")
        if isinstance(item, int) and not isinstance(item, bool) and abs(item) > 2**63:
            raise BadRequest("the JSON holds a number out of range")
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)


def parse_rows(body: bytes) -> Any:
    """The ``rows`` of a predict request (or the list itself)."""
    try:
        doc = json.loads(body)
    except RecursionError:
        raise BadRequest(f"the JSON is nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:  # JSONDecodeError, too many digits, bad UTF-8
        raise BadRequest(f"the body is not valid JSON: {str(exc).splitlines()[0]}") from None
    _check(doc)
    if isinstance(doc, dict):
        if "rows" not in doc:
            raise BadRequest('send {"rows": [...]}')
        return doc["rows"]
    return doc
