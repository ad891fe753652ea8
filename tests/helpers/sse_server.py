"""A scripted OpenAI-compatible chat server on 127.0.0.1 speaking real SSE, which can
also play a hostile server that never stops sending."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

# what one endless reply sends at most, so even a client without bounds ends its test
ENDLESS_LIMIT = 16 << 20


def delta_chunk(
    delta: dict[str, Any] | None = None,
    finish: str | None = None,
    usage: dict[str, Any] | None = None,
) -> dict[str, Any]:
    chunk: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "choices": [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    if usage is not None:
        chunk["usage"] = usage
    return chunk


def sse(chunk: dict[str, Any]) -> bytes:
    """One chunk as an SSE event."""
    return f"data: {json.dumps(chunk)}\n\n".encode()


class Reply:
    """What the server does for one request.

    ``chunks`` are JSON chunks (sent as ``data:`` events), strings (sent as the event's
    data) or bytes (sent as they are). ``forever`` then makes the reply endless: its bytes
    (or ``forever(i)`` for the i-th piece) are sent again and again, ``pause`` seconds
    apart, until the client hangs up, the server stops, or ``limit`` bytes are out. With
    a status other than 200, ``forever`` is the error body.
    """

    def __init__(
        self,
        chunks: list[Any] | None = None,
        status: int = 200,
        body: str = "",
        drop_after: int | None = None,
        delay: float = 0.0,
        done: bool = True,
        forever: bytes | Callable[[int], bytes] | None = None,
        pause: float = 0.0,
        limit: int = ENDLESS_LIMIT,
    ) -> None:
        self.chunks = chunks or []
        self.status = status
        self.body = body
        self.drop_after = drop_after
        self.delay = delay
        self.done = done
        self.forever = forever
        self.pause = pause
        self.limit = limit

    def pieces(self) -> Iterator[bytes]:
        forever = self.forever
        if forever is None:
            return
        i = 0
        while True:
            yield forever(i) if callable(forever) else forever
            i += 1


class ChatServer:
    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        # bytes of each endless reply sent, and set once its handler stopped sending
        self.sent: list[int] = []
        self.stopped_sending = threading.Event()
        self.stopping = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def handle(self) -> None:
                try:
                    super().handle()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client hung up, as clients may at any point

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                outer.requests.append(json.loads(self.rfile.read(length)))
                outer.headers.append({k.lower(): v for k, v in self.headers.items()})
                reply = outer.replies.pop(0) if outer.replies else Reply(status=500, body="{}")
                if reply.forever is not None:
                    self._endless(reply)
                    return
                if reply.status != 200:
                    data = reply.body.encode()
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for i, chunk in enumerate(reply.chunks):
                    if reply.drop_after is not None and i == reply.drop_after:
                        # vanish mid-stream: no terminating chunk
                        self.connection.shutdown(socket.SHUT_RDWR)
                        self.close_connection = True
                        return
                    self._chunk(self._event(chunk))
                    outer.stopping.wait(reply.delay)
                if reply.done:
                    self._chunk(b"data: [DONE]\n\n")
                self._chunk(b"")

            def _event(self, chunk: Any) -> bytes:
                if isinstance(chunk, bytes):
                    return chunk
                line = chunk if isinstance(chunk, str) else json.dumps(chunk)
                return f"data: {line}\n\n".encode()

            def _endless(self, reply: Reply) -> None:
                sent = 0
                index = len(outer.sent)
                outer.sent.append(0)
                try:
                    self.send_response(reply.status)
                    ctype = "text/event-stream" if reply.status == 200 else "application/json"
                    self.send_header("Content-Type", ctype)
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for chunk in reply.chunks:
                        self._chunk(self._event(chunk))
                    for piece in reply.pieces():
                        if sent >= reply.limit or outer.stopping.is_set():
                            break
                        self._chunk(piece)
                        sent += len(piece)
                        outer.sent[index] = sent
                        if reply.pause:
                            outer.stopping.wait(reply.pause)
                    self._chunk(b"")
                finally:
                    self.close_connection = True
                    outer.stopped_sending.set()

            def _chunk(self, data: bytes) -> None:
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> ChatServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()


class _Counted(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, transport: CountingTransport) -> None:
        self.inner = inner
        self.transport = transport

    def __iter__(self) -> Iterator[bytes]:
        for data in self.inner:
            self.transport.received += len(data)
            yield data

    def close(self) -> None:
        self.inner.close()


class CountingTransport(httpx.HTTPTransport):
    """Counts the response bytes a client actually reads, to show that a bound holds."""

    def __init__(self) -> None:
        super().__init__()
        self.received = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        assert isinstance(response.stream, httpx.SyncByteStream)
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_Counted(response.stream, self),
            extensions=response.extensions,
        )
