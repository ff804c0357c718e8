"""A small local prediction endpoint for the Serve stage: HTTP on 127.0.0.1 only.

``POST /predict`` with ``{"rows": [{feature: value, ...}, ...]}`` (or a list of lists in
the model's feature order) answers ``{"predictions": [...], "model": ..., "version": ...}``;
``GET /health`` answers what is served. The server thread is stopped and joined when the
``with`` block ends, so a stage never leaves it running.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HOST = "127.0.0.1"
MAX_BODY = 16 * 1024 * 1024


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        self.server.on_log(f"{self.address_string()} {format % args}")

    def _reply(self, code: int, doc: dict[str, Any]) -> None:
        body = json.dumps(doc).encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - stdlib hook name
        from mlops_desktop.stages._request import BadRequest, check_host

        try:
            check_host(self.headers)
        except BadRequest as exc:
            self._reply(exc.code, {"error": str(exc)})
            return
        if self.path.rstrip("/") == "/health":
            self._reply(200, {"status": "ok", **self.server.info})
        else:
            self._reply(404, {"error": "use GET /health or POST /predict"})

    def do_POST(self) -> None:  # noqa: N802 - stdlib hook name
        if self.path.rstrip("/") != "/predict":
            self._reply(404, {"error": "use POST /predict"})
            return
        from mlops_desktop.stages._request import BadRequest, body_length, check_host, parse_rows

        try:
            check_host(self.headers)
            rows = parse_rows(self.rfile.read(body_length(self.headers, MAX_BODY)))
            predictions = self.server.predict(rows)
        except BadRequest as exc:
            self._reply(exc.code, {"error": str(exc)})
            return
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            self._reply(400, {"error": f"bad request: {exc}"})
            return
        self._reply(200, {"predictions": predictions, **self.server.info})


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        port: int,
        predict: Callable[[Any], list[Any]],
        info: dict[str, Any],
        on_log: Callable[[str], None],
    ) -> None:
        super().__init__((HOST, port), _Handler)
        self.predict = predict
        self.info = info
        self.on_log = on_log


class Endpoint:
    """``with Endpoint(port, predict, info) as ep:`` serves until the block ends."""

    def __init__(
        self,
        port: int,
        predict: Callable[[Any], list[Any]],
        info: dict[str, Any],
        on_log: Callable[[str], None] = lambda line: None,
    ) -> None:
        self._server = _Server(port, predict, info, on_log)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="serve-endpoint",
            daemon=False,
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else host
        return f"http://{name}:{port}"

    def __enter__(self) -> Endpoint:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
