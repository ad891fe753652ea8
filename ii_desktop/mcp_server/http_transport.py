"""Streamable HTTP for the MCP server: 127.0.0.1 only, behind a bearer token.

The token is made at each start, printed to stderr and written to ``mcp-token`` in the
data folder (readable by its owner only), so a client on this computer can read it
there. A request without it gets 401 before it reaches the server.
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
from pathlib import Path
from typing import Any

from ii_desktop.core.settings import AppPaths

HOST = "127.0.0.1"
PATH = "/mcp"
TOKEN_FILE = "mcp-token"

Scope = dict[str, Any]
Receive = Any
Send = Any


def token_path(paths: AppPaths) -> Path:
    return paths.data_dir / TOKEN_FILE


def new_token(paths: AppPaths) -> str:
    """A fresh token, written (mode 0600) to the data folder in place of the last one."""
    token = secrets.token_urlsafe(32)
    path = token_path(paths)
    path.unlink(missing_ok=True)  # a file left by another user's umask is not reused
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(token + "\n")
    os.chmod(path, 0o600)
    return token


class BearerGate:
    """An ASGI wrapper letting through only requests that carry ``Bearer TOKEN``."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self._allowed(scope):
            body = json.dumps(
                {"error": "This server needs its token: send Authorization: Bearer TOKEN."}
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"www-authenticate", b'Bearer realm="ii-desktop"'),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)

    def _allowed(self, scope: Scope) -> bool:
        for name, value in scope.get("headers") or ():
            if name.lower() == b"authorization":
                return hmac.compare_digest(bytes(value), self.expected)
        return False


async def serve_http(server: Any, port: int, token: str) -> None:
    """Serve ``server`` (an ``MCPServer``) at http://127.0.0.1:PORT/mcp until stopped."""
    import uvicorn

    app = BearerGate(server.streamable_http_app(streamable_http_path=PATH, host=HOST), token)
    config = uvicorn.Config(app, host=HOST, port=port, log_level="warning", lifespan="on")
    await uvicorn.Server(config).serve()
