"""``ii-desktop mcp serve --http PORT``: 127.0.0.1 only, and nothing without the token."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import time

import anyio
import httpx
import httpx2
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from tests.mcp.client import REPO, serve_command, server_env

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "0"},
    },
}
HEADERS = {"accept": "application/json, text/event-stream"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def http_server(tmp_path, data_dir):
    replay = tmp_path / "replay.json"
    replay.write_text(json.dumps({"turns": ["The answer."]}))
    port = free_port()
    errlog = (tmp_path / "server-stderr.log").open("w")
    process = subprocess.Popen(
        serve_command("--http", str(port), "--engine", "replay", "--replay", str(replay)),
        cwd=REPO,
        env={**server_env(data_dir), "PATH": os.environ.get("PATH", "")},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=errlog,
    )
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (tmp_path / "server-stderr.log").read_text()
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        yield url, data_dir / "mcp-token", tmp_path / "server-stderr.log"
    finally:
        process.terminate()
        process.wait(10)
        errlog.close()


def test_requests_without_the_token_are_refused(http_server):
    url, token_file, stderr = http_server
    token = token_file.read_text().strip()
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert token in stderr.read_text()  # printed for the user to copy

    bare = httpx.post(url, json=INITIALIZE, headers=HEADERS)
    assert bare.status_code == 401
    assert bare.headers["www-authenticate"].startswith("Bearer")
    wrong = httpx.post(
        url, json=INITIALIZE, headers={**HEADERS, "authorization": f"Bearer {token}x"}
    )
    assert wrong.status_code == 401
    right = httpx.post(
        url, json=INITIALIZE, headers={**HEADERS, "authorization": f"Bearer {token}"}
    )
    assert right.status_code == 200, right.text


def test_the_sdk_client_works_with_the_token(http_server):
    url, token_file, _ = http_server
    token = token_file.read_text().strip()

    async def scenario() -> list[str]:
        headers = {"authorization": f"Bearer {token}"}
        async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
            async with streamable_http_client(url, http_client=http) as (read, write):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    return sorted(t.name for t in (await session.list_tools()).tools)

    assert anyio.run(scenario) == [
        "fact_check", "notebook_search", "research", "web_search", "web_visit",
    ]  # fmt: skip
