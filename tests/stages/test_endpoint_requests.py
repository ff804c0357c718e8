"""Malformed requests to the local prediction endpoint get one clear 4xx answer and the
server keeps serving; a Host other than this machine's is refused (DNS rebinding)."""

from __future__ import annotations

import json
import socket

import pytest

from mlops_desktop.stages._endpoint import Endpoint


def _raw(url: str, request: bytes) -> tuple[int, dict]:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def _post(body: bytes, length: str | None = None, host: str = "127.0.0.1") -> bytes:
    size = str(len(body)) if length is None else length
    return (
        f"POST /predict HTTP/1.1\r\nHost: {host}\r\nContent-Length: {size}\r\n"
        "Connection: close\r\n\r\n"
    ).encode() + body


@pytest.mark.parametrize(
    ("request_bytes", "code", "message"),
    [
        (_post(b'{"rows": [[1]]}', "abc"), 400, "numeric Content-Length"),
        (_post(b"[" * 5000 + b"]" * 5000), 400, "nested deeper"),
        (_post(b'{"rows": [[1e400]]}'), 400, "not finite"),
        (_post(b'{"rows": [[' + b"1" + b"0" * 400 + b"]]}"), 400, "out of range"),
        (_post(b'{"rows": [[1' + b"0" * 5000 + b"]]}"), 400, "not valid JSON"),
        (_post(b'{"rows": [[1]]}', host="evil.example:8000"), 403, "only requests to this"),
        (b"GET /health HTTP/1.1\r\nHost: attacker.test\r\nConnection: close\r\n\r\n", 403, "Host"),
    ],
)
def test_malformed_requests_get_one_clear_answer(request_bytes, code, message) -> None:
    seen: list = []

    def predict(rows):
        seen.append(rows)
        return [0 for _ in rows]

    with Endpoint(0, predict, {"model": "m", "version": 1}) as ep:
        status, doc = _raw(ep.url, request_bytes)
        assert status == code and message in doc["error"]
        assert seen == []
        status, doc = _raw(ep.url, _post(b'{"rows": [[1, 2]]}', host="localhost:1234"))
        assert status == 200 and doc["predictions"] == [0]  # still serving
