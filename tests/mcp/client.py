"""An MCP client session against a real ``python -m ii_desktop mcp serve`` subprocess."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from mcp import ClientSession, StdioServerParameters, stdio_client

REPO = Path(__file__).resolve().parents[2]


def server_env(data_dir: Path) -> dict[str, str]:
    """What the server process needs: the test's data folder, no real keychain."""
    return {
        "II_DESKTOP_DATA_DIR": str(data_dir),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        "PYTHONPATH": str(REPO),
        **({"SYSTEMROOT": os.environ["SYSTEMROOT"]} if "SYSTEMROOT" in os.environ else {}),
    }


def serve_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "ii_desktop", "mcp", "serve", *args]


@asynccontextmanager
async def connect(data_dir: Path, *args: str) -> AsyncIterator[ClientSession]:
    command = serve_command(*args)
    params = StdioServerParameters(
        command=command[0], args=command[1:], env=server_env(data_dir), cwd=REPO
    )
    with (data_dir.parent / "server-stderr.log").open("a") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                yield session


def structured(result: Any) -> dict[str, Any]:
    """A tool result's JSON object (its structured content, else its text)."""
    assert not result.is_error, result.content
    if result.structured_content is not None:
        return dict(result.structured_content)
    return json.loads(result.content[0].text)


def error_text(result: Any) -> str:
    assert result.is_error, result
    return " ".join(c.text for c in result.content if getattr(c, "type", "") == "text")
