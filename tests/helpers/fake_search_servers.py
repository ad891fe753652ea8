"""Search provider APIs on 127.0.0.1, each speaking its real wire format.

``FakeSearchServer("serper", key="k")`` serves Serper's ``POST /search``;
``"tavily"``, ``"brave"``, ``"searxng"`` and ``"ddgs"`` (DuckDuckGo's HTML page at
``POST /html/``) likewise. Each request takes the next mode queued with ``script()``,
else ``default``:

    ok            results for the query (12 by default, so the 10-result cap shows)
    empty         a valid answer with no results
    rate_limit    429 with ``Retry-After: retry_after`` (DuckDuckGo: its 202 challenge page)
    server_error  503
    slow          waits ``delay`` seconds, then answers ok
    malformed     200 with a body that is not the provider's format
    forbidden     403 (SearXNG's answer when JSON output is disabled)
    challenge     DuckDuckGo's bot check served with 200

A keyed provider answers 401/403 like the real API when the key is missing or wrong.
Every request is recorded in ``requests``.
"""

from __future__ import annotations

import html
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PATHS = {
    "ddgs": "/html/",
    "searxng": "/search",
    "serper": "/search",
    "tavily": "/search",
    "brave": "/res/v1/web/search",
}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that time out and hang up are part of the tests


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    mode: str


@dataclass
class FakeResult:
    url: str
    title: str
    snippet: str


def default_results(provider: str, query: str, count: int = 12) -> list[FakeResult]:
    slug = "-".join(query.lower().split()) or "q"
    return [
        FakeResult(
            url=f"https://example.org/{provider}/{slug}/{i}",
            title=f"{provider} result {i} for {query}",
            snippet=f"Snippet {i} about {query}...",
        )
        for i in range(count)
    ]


@dataclass
class FakeSearchServer:
    provider: str
    key: str | None = None
    results: list[FakeResult] | None = None  # None: made from the query
    default: str = "ok"
    retry_after: str | None = "0"
    delay: float = 1.0
    requests: list[RecordedRequest] = field(default_factory=list)
    _modes: deque[str] = field(default_factory=deque)
    _released: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        if self.provider not in PATHS:
            raise ValueError(f"no fake server for {self.provider!r}")
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def hits(self) -> int:
        return len(self.requests)

    def script(self, *modes: str) -> FakeSearchServer:
        self._modes.extend(modes)
        return self

    def next_mode(self) -> str:
        return self._modes.popleft() if self._modes else self.default

    def wait_slow(self) -> None:
        self._released.wait(self.delay)

    def close(self) -> None:
        self._released.set()  # wake slow handlers so nothing outlives the test
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeSearchServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- answers in each provider's format -------------------------------------------------

    def answer(self, query: str, empty: bool) -> tuple[str, bytes]:
        found = [] if empty else (self.results or default_results(self.provider, query))
        if self.provider == "ddgs":
            return "text/html; charset=utf-8", _ddg_page(found).encode()
        body: dict[str, Any]
        if self.provider == "serper":
            body = {
                "searchParameters": {"q": query, "type": "search", "engine": "google"},
                "organic": [
                    {"title": r.title, "link": r.url, "snippet": r.snippet, "position": i + 1}
                    for i, r in enumerate(found)
                ],
                "credits": 1,
            }
        elif self.provider == "tavily":
            body = {
                "query": query,
                "follow_up_questions": None,
                "answer": None,
                "images": [],
                "results": [
                    {"title": r.title, "url": r.url, "content": r.snippet, "score": 0.9}
                    for r in found
                ],
                "response_time": 0.42,
            }
        elif self.provider == "brave":
            body = {"type": "search", "query": {"original": query}}
            if found:  # Brave leaves out the web section when nothing matched
                body["web"] = {
                    "type": "search",
                    "results": [
                        {
                            "title": r.title,
                            "url": r.url,
                            "description": _brave_highlight(r.snippet, query),
                            "is_source_local": False,
                        }
                        for r in found
                    ],
                    "family_friendly": True,
                }
        else:
            body = {
                "query": query,
                "number_of_results": len(found),
                "results": [
                    {
                        "url": r.url,
                        "title": r.title,
                        "content": r.snippet,
                        "engine": "duckduckgo",
                        "engines": ["duckduckgo"],
                        "score": 1.0,
                        "category": "general",
                    }
                    for r in found
                ],
                "answers": [],
                "corrections": [],
                "infoboxes": [],
                "suggestions": [],
                "unresponsive_engines": [],
            }
        return "application/json", json.dumps(body).encode()

    def key_problem(self, req: RecordedRequest) -> int | None:
        """The status the real API gives for a missing or wrong key, else None."""
        if self.key is None:
            return None
        if self.provider == "serper":
            sent = req.headers.get("x-api-key")
            return None if sent == self.key else 403
        if self.provider == "brave":
            sent = req.headers.get("x-subscription-token")
            return None if sent == self.key else 401
        if self.provider == "tavily":
            try:
                in_body = json.loads(req.body or b"{}").get("api_key")
            except ValueError:
                in_body = None
            bearer = req.headers.get("authorization", "").removeprefix("Bearer ")
            return None if self.key in (in_body, bearer) else 401
        return None


def _brave_highlight(text: str, query: str) -> str:
    first = query.split()[0] if query.split() else ""
    return text.replace(first, f"<strong>{first}</strong>", 1) if first else text


def _ddg_page(found: list[FakeResult]) -> str:
    """The structure of html.duckduckgo.com's result page, including one ad to be dropped."""
    blocks = [
        '<div class="result results_links results_links_deep result--ad">'
        '<div class="links_main links_deep result__body">'
        '<h2 class="result__title"><a class="result__a" '
        'href="https://duckduckgo.com/y.js?ad_domain=ads.example">An ad</a></h2>'
        '<a class="result__snippet" href="https://duckduckgo.com/y.js?ad_domain=ads.example">'
        "Buy now</a></div></div>"
    ]
    for r in found:
        url = html.escape(r.url)
        blocks.append(
            '<div class="result results_links results_links_deep web-result ">'
            '<div class="links_main links_deep result__body">'
            f'<h2 class="result__title"><a rel="nofollow" class="result__a" href="{url}">'
            f"{html.escape(r.title)}</a></h2>"
            '<div class="result__extras"><div class="result__extras__url">'
            f'<a class="result__url" href="{url}">{url}</a></div></div>'
            f'<a class="result__snippet" href="{url}">{html.escape(r.snippet)}</a>'
            '<div class="clear"></div></div></div>'
        )
    if not found:
        blocks.append('<div class="no-results">No results.</div>')
    return (
        "<!DOCTYPE html><html><head><title>DuckDuckGo</title></head><body>"
        f'<div class="serp__results"><div id="links" class="results">{"".join(blocks)}'
        "</div></div></body></html>"
    )


DDG_CHALLENGE = (
    "<!DOCTYPE html><html><body><div class='anomaly-modal__title'>Unfortunately, bots use "
    "DuckDuckGo too.</div></body></html>"
)


def _handler_for(server: FakeSearchServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def _send(self, status: int, body: bytes, ctype: str, headers: dict[str, str]) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the client gave up (a timeout test); nothing to answer

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            mode = server.next_mode()
            req = RecordedRequest(
                self.command,
                parts.path,
                query,
                {k.lower(): v for k, v in self.headers.items()},
                body,
                mode,
            )
            server.requests.append(req)
            if parts.path.rstrip("/") != PATHS[server.provider].rstrip("/"):
                self._send(404, b'{"error": "not found"}', "application/json", {})
                return
            status = server.key_problem(req)
            if status is not None:
                msg = json.dumps({"message": "Unauthorized.", "statusCode": status}).encode()
                self._send(status, msg, "application/json", {})
                return
            if server.provider == "searxng" and query.get("format") != ["json"]:
                mode = "forbidden"
            self._answer(mode, _query_text(server.provider, query, body))

        def _answer(self, mode: str, text: str) -> None:
            if mode == "slow":
                server.wait_slow()
                mode = "ok"
            if mode == "rate_limit":
                if server.provider == "ddgs":
                    self._send(202, DDG_CHALLENGE.encode(), "text/html", {})
                    return
                extra = {"Retry-After": server.retry_after} if server.retry_after else {}
                self._send(429, b'{"message": "Too many requests"}', "application/json", extra)
            elif mode == "challenge":
                self._send(200, DDG_CHALLENGE.encode(), "text/html", {})
            elif mode == "server_error":
                self._send(503, b"<html>Service Unavailable</html>", "text/html", {})
            elif mode == "forbidden":
                self._send(403, b"<html>Forbidden</html>", "text/html", {})
            elif mode == "malformed":
                if server.provider == "ddgs":  # an empty page: nothing HTML can be read from
                    self._send(200, b"", "text/html", {})
                else:
                    self._send(200, b'{"results": [truncated', "application/json", {})
            elif mode in ("ok", "empty"):
                ctype, body = server.answer(text, empty=mode == "empty")
                self._send(200, body, ctype, {})
            else:
                raise ValueError(f"unknown fake server mode {mode!r}")

    return Handler


class FakeProviders:
    """One fake server per provider, keyed ones expecting ``KEYS``."""

    def __init__(self) -> None:
        self.servers = {name: FakeSearchServer(name, key=KEYS.get(name)) for name in PATHS}

    def __getitem__(self, name: str) -> FakeSearchServer:
        return self.servers[name]

    @property
    def urls(self) -> dict[str, str]:
        return {name: server.url for name, server in self.servers.items()}

    def close(self) -> None:
        for server in self.servers.values():
            server.close()


KEYS = {"serper": "serper-key-1234", "tavily": "tvly-key-5678", "brave": "brave-key-9012"}


def _query_text(provider: str, query: dict[str, list[str]], body: bytes) -> str:
    if provider in ("searxng", "brave"):
        return query.get("q", [""])[0]
    if provider == "ddgs":
        return parse_qs(body.decode()).get("q", [""])[0]
    data = json.loads(body or b"{}")
    return str(data.get("q") or data.get("query") or "")
