"""A stand-in for the Hugging Face hub on 127.0.0.1: the file-list API and file
downloads with ranges, as huggingface_hub and the model manager call them."""

from __future__ import annotations

import hashlib
import http.server
import json
import re
import threading
import time
from dataclasses import dataclass, field

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@dataclass
class HubFile:
    data: bytes
    lfs: bool = True
    served: bytes | None = None  # what is sent instead of ``data`` (a corrupted copy)
    drop_after: list[int] = field(default_factory=list)  # per request: bytes, then hang up

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def blob_id(self) -> str:
        return hashlib.sha1(b"blob %d\0" % len(self.data) + self.data).hexdigest()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _json(self, body: object, status: int = 200) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:
        hub = self.server.hub
        path = self.path.split("?", 1)[0]
        hub.requests.append((path, self.headers.get("Range")))
        api = re.fullmatch(r"/api/models/([^/]+/[^/]+)/revision/([^/]+)", path)
        if api:
            if api.group(1) != hub.repo_id:
                self.send_response(404)
                self.send_header("X-Error-Code", "RepoNotFound")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self._json(hub.api_body())
            return
        got = re.fullmatch(r"/([^/]+/[^/]+)/resolve/([^/]+)/(.+)", path)
        if not got or got.group(1) != hub.repo_id or got.group(3) not in hub.files:
            self._json({"error": "not found"}, 404)
            return
        self._file(hub.files[got.group(3)])

    def _file(self, file: HubFile) -> None:
        body = file.served if file.served is not None else file.data
        start = 0
        ranged = self.headers.get("Range")
        if ranged:
            start = int(re.fullmatch(r"bytes=(\d+)-", ranged).group(1))  # type: ignore[union-attr]
        part = body[start:]
        self.send_response(206 if ranged else 200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(part)))
        self.send_header("X-Repo-Commit", COMMIT)
        self.send_header("ETag", f'"{file.sha256}"')
        if ranged:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.end_headers()
        limit = file.drop_after.pop(0) if file.drop_after else None
        sent = 0
        step = self.server.hub.chunk
        try:
            while sent < len(part):
                if limit is not None and sent >= limit:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                end = min(len(part), sent + step, *([limit] if limit is not None else []))
                self.wfile.write(part[sent:end])
                sent = end
                if self.server.hub.delay:
                    time.sleep(self.server.hub.delay)
        except (BrokenPipeError, ConnectionResetError):
            pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    hub: FakeHub

    def handle_error(self, request: object, client_address: object) -> None:
        pass


class FakeHub:
    """One repo, ``repo_id``, at ``COMMIT``, holding ``files``."""

    def __init__(self, repo_id: str, files: dict[str, HubFile]) -> None:
        self.repo_id = repo_id
        self.files = files
        self.requests: list[tuple[str, str | None]] = []
        self.chunk = 64 * 1024
        self.delay = 0.0
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.hub = self
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def api_body(self) -> dict[str, object]:
        siblings = []
        for name, f in self.files.items():
            entry: dict[str, object] = {"rfilename": name, "size": len(f.data)}
            if f.lfs:
                entry["blobId"] = "f" * 40
                entry["lfs"] = {"size": len(f.data), "sha256": f.sha256, "pointerSize": 134}
            else:
                entry["blobId"] = f.blob_id
            siblings.append(entry)
        return {"id": self.repo_id, "modelId": self.repo_id, "sha": COMMIT, "siblings": siblings}

    def file_requests(self, name: str) -> list[str | None]:
        """The Range header of each request for ``name`` (None: the whole file)."""
        return [r for p, r in self.requests if p.endswith(f"/resolve/{COMMIT}/{name}")]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
