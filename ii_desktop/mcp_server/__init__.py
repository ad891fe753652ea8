"""``ii-desktop mcp serve``: the research agent and its guarded tools as an MCP server.

    service.py         the tools as plain blocking calls (no protocol), on one session
    server.py          the MCP server: schemas, progress notifications, cancellation
    http_transport.py  streamable HTTP on 127.0.0.1 behind a bearer token

The SDK loads only when the server starts, never for ``ii-desktop --help``.
"""
