"""A real HTTP/1.1 server on 127.0.0.1 whose routes are small functions writing responses."""

from __future__ import annotations

import http.server
import threading
from collections import Counter
from collections.abc import Callable

Route = Callable[["_Handler"], None]


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        self.server.owner.hits[path] += 1
        self.server.owner.headers_seen.append(dict(self.headers))
        route = self.server.owner.routes.get(path)
        if route is None:
            self.send_body(b"not found", "text/plain", status=404)
            return
        try:
            route(self)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as it should

    def send_body(
        self,
        body: bytes,
        content_type: str = "text/html; charset=utf-8",
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location: str, status: int = 302) -> None:
        self.send_body(b"", "text/plain", status=status, headers={"Location": location})

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    owner: PageServer

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hanging up on hostile routes is the point of those tests


class PageServer:
    """A real HTTP server on 127.0.0.1 with a table of routes."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.headers_seen: list[dict[str, str]] = []
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self.port = self._server.server_address[1]
        self.host = f"127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://{self.host}{path}"

    def route(self, path: str, route: Route) -> None:
        self.routes[path] = route

    def page(self, path: str, body: bytes, content_type: str = "text/html; charset=utf-8") -> None:
        self.routes[path] = lambda h: h.send_body(body, content_type)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
